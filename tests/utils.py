"""Shared test helpers: where the real data lives and how tests skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The workplace's read-only real data (``../shared/data``); override with ``MONAI_REFINE_SHARED_DATA``.
SHARED_DATA = Path(os.environ.get("MONAI_REFINE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
#: The verbatim IRCAD patient 17 slab shipped with the repository.
SLAB_DIR = REPO_ROOT / "monai_refine" / "data" / "sample" / "ircad_patient17_slab"

requires_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "ircad").is_dir(), reason=f"real data folder {SHARED_DATA} is absent (only in the workplace)"
)

#: Converters for parameterising over input types, like MONAI's ``TEST_NDARRAYS``.
TEST_NDARRAYS = (np.asarray, torch.as_tensor, lambda x: MetaTensor(torch.as_tensor(x)))


def organ_ends_volume() -> tuple[MetaTensor, MetaTensor]:
    """``(image, truth)`` ``(1, 96, 96, 16)``: a 30 × 24 mm ellipse ("organ", 120 HU over ~0 HU noise) on slices 2-9
    of 1 × 1 × 1.6 mm voxels, with two ends a propagation must stop at: its lower end tapers into a round blob of the
    same intensity that touches it and carries on to slice 0, its upper end is abrupt (slices 10-15 are noise)."""
    rng = np.random.default_rng(0)
    xx, yy = np.mgrid[:96, :96]
    image = rng.normal(0.0, 5.0, (1, 96, 96, 16)).astype(np.float32)
    truth = np.zeros((1, 96, 96, 16), np.uint8)
    for z in range(2, 10):
        scale = min(1.0, 0.45 + 0.15 * (z - 2))
        truth[0, ..., z] = ((xx - 48) / (15 * scale)) ** 2 + ((yy - 48) / (12 * scale)) ** 2 <= 1
    blob = ((xx - 48) ** 2 + (yy - 70) ** 2) <= 12**2
    image[0][truth[0] > 0] += 120.0
    image[0, ..., :4][np.broadcast_to(blob[..., None], (96, 96, 4))] += 120.0
    affine = torch.diag(torch.tensor([1.0, 1.0, 1.6, 1.0], dtype=torch.float64))
    return MetaTensor(torch.as_tensor(image), affine=affine), MetaTensor(torch.as_tensor(truth), affine=affine)
