"""Geometry of channel-first ``MetaTensor`` s: voxel spacing, the axial slice axis, and whether two volumes share
size, spacing, origin and direction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor
from monai.utils import convert_to_numpy

__all__ = ["bounding_box", "check_same_geometry", "resolve_spacing", "slice_axis_from_affine", "spacing_from_affine"]


def _geometry(image: MetaTensor) -> dict[str, np.ndarray]:
    """Spatial size, spacing, origin and direction of a channel-first ``MetaTensor`` (from its affine)."""
    affine = image.affine.detach().cpu().numpy()
    rank = affine.shape[0] - 1
    linear = affine[:rank, :rank]
    spacing = np.linalg.norm(linear, axis=0)
    return {
        "size": np.asarray(image.shape[1:]),
        "spacing": spacing,
        "origin": affine[:rank, rank],
        "direction": linear / spacing,
    }


def check_same_geometry(
    a: MetaTensor, b: MetaTensor, names: Sequence[str] = ("image", "mask"), *, atol: float = 1e-4
) -> None:
    """Raise ``ValueError`` unless two channel-first ``MetaTensor`` s share spatial size, spacing, origin and direction.

    Channels are not compared, so an RGB image and its mask can be checked. Spacing, origin (mm) and direction are
    compared from the affines with absolute tolerance ``atol``.

    Args:
        a: first volume, shape ``(C, *spatial)``.
        b: second volume, shape ``(C', *spatial)``.
        names: what ``a`` and ``b`` are, used in the error message with their ``filename_or_obj``.
        atol: tolerance for spacing, origin and direction.

    Raises:
        ValueError: naming both volumes (and their paths) and each property that differs, with both values.

    Example:
        >>> import torch
        >>> from monai.data import MetaTensor
        >>> image = MetaTensor(torch.zeros(1, 4, 4, 2), affine=torch.diag(torch.tensor([0.7, 0.7, 1.6, 1.0])))
        >>> check_same_geometry(image, torch.zeros_like(image))  # passes silently
        >>> check_same_geometry(image, MetaTensor(torch.zeros(1, 4, 4, 2)))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: image (in memory) and mask (in memory) do not share geometry: spacing [0.7, 0.7, 1.6] vs [1.0, ...
    """
    if len(names) != 2:
        raise ValueError(f"names must hold two names, got {names!r}.")
    ga, gb = _geometry(a), _geometry(b)
    differences = [
        f"{key} {np.round(ga[key], 6).tolist()} vs {np.round(gb[key], 6).tolist()}"
        for key in ga
        if ga[key].shape != gb[key].shape or not np.allclose(ga[key], gb[key], rtol=0.0, atol=atol)
    ]
    if differences:
        label_a, label_b = (f"{n} ({t.meta.get('filename_or_obj', 'in memory')})" for n, t in zip(names, (a, b)))
        raise ValueError(f"{label_a} and {label_b} do not share geometry: {'; '.join(differences)}.")


def resolve_spacing(img: NdarrayOrTensor, spacing: Sequence[float] | float | None, spatial_dims: int) -> np.ndarray:
    """Voxel spacing in mm: the explicit ``spacing`` argument, else a MetaTensor's ``pixdim``, else 1 (voxel units).

    Raises:
        ValueError: a spacing of the wrong length, or one that is not finite and positive.
    """
    if spacing is None:
        spacing = convert_to_numpy(img.pixdim)[:spatial_dims] if isinstance(img, MetaTensor) else 1.0
    values = np.asarray(spacing, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(spatial_dims, float(values))
    if values.shape != (spatial_dims,):
        raise ValueError(f"spacing must have {spatial_dims} values (one per spatial dim), got {list(values)}.")
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError(f"spacing must be finite and positive, got {list(values)}.")
    return values


def _linear_part(affine: NdarrayOrTensor, name: str = "affine") -> np.ndarray:
    """The 3x3 linear part of a 4x4 (3 spatial dims) affine, checked finite and invertible."""
    matrix = np.asarray(convert_to_numpy(affine), dtype=np.float64)
    if matrix.shape != (4, 4):
        raise ValueError(f"{name} must be a 4x4 affine of a volume with 3 spatial dims, got shape {matrix.shape}.")
    linear = matrix[:3, :3]
    if not np.isfinite(linear).all() or abs(np.linalg.det(linear)) < 1e-12:
        raise ValueError(f"{name} must be finite with an invertible 3x3 linear part, got {linear.tolist()}.")
    return linear


def spacing_from_affine(affine: NdarrayOrTensor) -> np.ndarray:
    """Voxel spacing in mm of each array axis: the lengths of the columns of the affine's linear part.

    Example:
        >>> import numpy as np
        >>> spacing_from_affine(np.array([[0, 0, 2.0, 0], [0, -0.5, 0, 0], [0.8, 0, 0, 0], [0, 0, 0, 1]])).tolist()
        [0.8, 0.5, 2.0]
    """
    return np.linalg.norm(_linear_part(affine), axis=0)


def slice_axis_from_affine(affine: NdarrayOrTensor) -> int:
    """The spatial array axis (0, 1 or 2) whose direction is closest to the patient's superior-inferior axis.

    Slices across that axis are axial: the axis along which :class:`~monai_refine.inferers.SlicePropagator`
    propagates by default. Only the third world coordinate's share of each axis direction counts, so the answer is
    the same for RAS (MONAI's ``MetaTensor`` convention) and LPS affines, and for either sign of the axis. On a tie
    (an axis exactly 45° between two others) the lower axis wins.

    Args:
        affine: ``(4, 4)`` voxel-to-world affine of a volume with 3 spatial dims (numpy or torch).

    Raises:
        ValueError: an affine that is not 4x4, not finite, or singular.

    Example:
        >>> import numpy as np
        >>> slice_axis_from_affine(np.diag([0.7, 0.7, 2.5, 1.0]))  # (X, Y, Z): slices along the last axis
        2
        >>> slice_axis_from_affine(np.array([[0, 0, 0.7, 0], [0, 0.7, 0, 0], [-2.5, 0, 0, 0], [0, 0, 0, 1]]))
        0
    """
    linear = _linear_part(affine)
    share = np.abs(linear[2]) / np.linalg.norm(linear, axis=0)
    return int(np.argmax(np.round(share, 9)))


def bounding_box(mask: np.ndarray, margin: Sequence[int] | np.ndarray) -> tuple[slice, ...]:
    """Slices of the bounding box of a non-empty boolean ``mask`` grown by ``margin`` voxels per axis (clipped).

    Example:
        >>> mask = np.zeros((6, 8), bool); mask[2, 3:5] = True
        >>> bounding_box(mask, (1, 4))
        (slice(1, 4, None), slice(0, 8, None))
    """
    box = []
    for axis, (size, grow) in enumerate(zip(mask.shape, margin)):
        hits = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        box.append(slice(max(int(hits[0]) - int(grow), 0), min(int(hits[-1]) + int(grow) + 1, size)))
    return tuple(box)
