"""Random inputs for the property tests of the transforms (``tests/transforms/**/test_properties.py``).

Random masks instead of symmetric hand-picked blocks: several components of irregular shape, holes, thin parts and
contact with the image border, so a wrong axis, a wrong sign or a wrong constant shows up where a centred square
would hide it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.data import MetaTensor
from scipy import ndimage

#: Fixed seeds of the random inputs: every property is checked on each.
SEEDS = (0, 1, 2)


def random_field(shape: Sequence[int], rng: np.random.Generator, sigma: float = 1.2) -> np.ndarray:
    """Smooth random field (Gaussian-filtered white noise) rescaled to ``[0, 1]``."""
    field = ndimage.gaussian_filter(rng.standard_normal(tuple(shape)), sigma, mode="nearest")
    return (field - field.min()) / (field.max() - field.min())


def random_mask(
    shape: Sequence[int], rng: np.random.Generator, fraction: float = 0.3, sigma: float = 1.2
) -> np.ndarray:
    """Spatial boolean mask of about ``fraction`` of the voxels, in irregular blobs, touching the image border."""
    field = random_field(shape, rng, sigma)
    mask = field > np.quantile(field, 1 - fraction)
    # the border case: the mask always reaches the first face of every axis
    for axis in range(mask.ndim):
        face = [slice(None)] * mask.ndim
        face[axis] = 0
        face = tuple(face)
        if not mask[face].any():
            index = np.unravel_index(np.argmax(field[face]), mask[face].shape)
            point = list(index)
            point.insert(axis, 0)
            mask[tuple(point)] = True
    return mask


def with_spacing(array: np.ndarray, spacing: Sequence[float]) -> MetaTensor:
    """``array`` as a MetaTensor whose affine has the voxel ``spacing`` (diagonal, one value per spatial dim)."""
    diagonal = [*spacing, *([1.0] * (4 - len(spacing)))]
    return MetaTensor(torch.as_tensor(array), affine=torch.diag(torch.tensor(diagonal, dtype=torch.float64)))


def face_neighbours(mask: np.ndarray) -> list[np.ndarray]:
    """For each face neighbour direction, where the neighbour of every voxel lies *inside* the image and outside
    ``mask``: brute force by shifting along each axis by -1 and +1."""
    out = []
    for axis in range(mask.ndim):
        for step in (-1, 1):
            neighbour_out = np.zeros(mask.shape, dtype=bool)
            src = [slice(None)] * mask.ndim
            dst = [slice(None)] * mask.ndim
            if step == 1:
                dst[axis], src[axis] = slice(0, -1), slice(1, None)
            else:
                dst[axis], src[axis] = slice(1, None), slice(0, -1)
            neighbour_out[tuple(dst)] = ~mask[tuple(src)]
            out.append(neighbour_out)
    return out
