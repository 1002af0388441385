"""Input checks shared by transforms, metrics, inferers and engines: finite values, binary masks, ranges."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.config import NdarrayOrTensor

__all__ = ["as_binary_mask", "as_numpy", "check_array", "check_finite", "check_probability", "check_range"]


def as_numpy(data: NdarrayOrTensor) -> np.ndarray:
    """``data`` as a numpy array on the CPU, keeping its memory layout: no copy for a CPU tensor or an array.

    Unlike ``monai.utils.convert_to_numpy``, a non-contiguous input (e.g. the Fortran-order view
    ``load_image(..., contiguous=False)`` returns) stays a view: no transposing copy of a whole volume. Use it where
    the array is only read.

    Example:
        >>> volume = torch.arange(24).reshape(2, 3, 4).permute(2, 1, 0)  # a transposed view
        >>> array = as_numpy(volume)
        >>> array.shape, array.flags.c_contiguous, bool(np.shares_memory(array, volume.numpy()))
        ((4, 3, 2), False, True)
    """
    if isinstance(data, torch.Tensor):
        data = data.detach()
        return (data.as_tensor() if hasattr(data, "as_tensor") else data).cpu().numpy()
    return np.asarray(data)


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise ``ValueError`` naming ``name`` when ``array`` holds NaN or Inf."""
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or Inf values; clean the input before this transform.")


def as_binary_mask(name: str, mask: NdarrayOrTensor, *, channels: int | None = 1) -> np.ndarray:
    """Check that ``mask`` is channel-first and binary ({0, 1} or boolean) and return it as a numpy bool array.

    Args:
        name: argument name used in error messages.
        mask: array of shape ``(C, *spatial)`` with 2 or 3 spatial dims.
        channels: the required number of channels, or ``None`` to accept any.

    Raises:
        ValueError: wrong number of dims or channels, NaN/Inf, or values other than 0 and 1.
    """
    array = as_numpy(mask)  # read only: no transposing copy of a non-contiguous volume
    if array.ndim not in (3, 4):
        raise ValueError(f"{name} must be channel-first with 2 or 3 spatial dims, got shape {tuple(array.shape)}.")
    if channels is not None and array.shape[0] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got shape {tuple(array.shape)}.")
    if array.dtype == bool:
        return array
    check_finite(name, array)
    # two reductions for integers, two comparisons for floats: ``np.isin(array, (0, 1))`` sorts and costs ~1 s on a
    # 512² x 119 CT-sized mask, paid by every propagation before its first slice (issue 12.5)
    if np.issubdtype(array.dtype, np.integer):
        binary = array.size == 0 or (array.min() >= 0 and array.max() <= 1)
    else:
        binary = np.logical_or(array == 0, array == 1).all()
    if not binary:
        raise ValueError(f"{name} must be binary with values in {{0, 1}}, got values {np.unique(array)[:6]}.")
    return array.astype(bool)


def check_probability(name: str, value: float) -> float:
    """Return ``value`` as a float, raising ``ValueError`` naming ``name`` unless it lies in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}.")
    return float(value)


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int, raising ``ValueError`` naming ``name`` unless it is an integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def check_range(name: str, value: Sequence[float], low: float = -np.inf, high: float = np.inf) -> tuple[float, float]:
    """Return ``value`` as a ``(lo, hi)`` float pair with ``low <= lo <= hi <= high`` or raise ``ValueError``."""
    pair = tuple(float(v) for v in np.ravel(np.asarray(value, dtype=np.float64)))
    if len(pair) != 2 or not np.isfinite(pair).all() or not low <= pair[0] <= pair[1] <= high:
        raise ValueError(f"{name} must be a finite (lo, hi) pair with {low} <= lo <= hi <= {high}, got {value}.")
    return pair[0], pair[1]


def check_spacing(name: str, value: Sequence[float] | float | None) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is ``None`` or one or more finite spacings > 0 (mm), so a
    bad spacing given to a constructor is refused there, not at the first call (bools are not numbers here)."""
    if value is None:
        return
    values = np.ravel(np.asarray(value, dtype=object))
    try:
        numbers = [float(v) for v in values if not isinstance(v, (bool, np.bool_))]
    except (TypeError, ValueError):
        numbers = []
    if values.size == 0 or len(numbers) != values.size or not all(np.isfinite(v) and v > 0 for v in numbers):
        raise ValueError(f"{name} must be finite and positive (mm), one value or one per spatial dim, got {value!r}.")


def check_array(name: str, value: object) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a numpy array or a torch tensor.

    Transforms call it first, so that a path, ``None`` or a list gives a clear message instead of an
    ``AttributeError`` deep inside (``'str' object has no attribute 'ndim'``).
    """
    if not isinstance(value, (np.ndarray, torch.Tensor)):
        raise ValueError(
            f"{name} must be a numpy array or torch tensor (channel-first), got {type(value).__name__}: {value!r:.60}."
        )
