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
