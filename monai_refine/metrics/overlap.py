"""Overlap scores of a binary segmentation against its reference: Dice, sensitivity and positive predictive value.

Empty masks follow one convention for all three scores, modelled on MONAI's ``DiceMetric(ignore_empty=...)``:

- ``ignore_empty=False`` (default): a score whose denominator is empty is 1.0 when the other mask is empty too (an
  empty prediction of an empty reference is perfect: Dice, sensitivity and PPV are all 1.0), else 0.0. So an empty
  reference with a non-empty prediction scores 0.0 everywhere, and so does an empty prediction of a non-empty
  reference.
- ``ignore_empty=True``: every score is NaN when the reference is empty (nothing to find: leave the case out of a
  mean, e.g. with ``np.nanmean``), as MONAI's ``ignore_empty=True`` does for the Dice.

With non-empty masks the scores equal MONAI's ``compute_confusion_matrix_metric`` ("sensitivity", "precision").
"""

from __future__ import annotations

import math

import numpy as np
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor

from monai_refine.utils import as_binary_mask, as_numpy, check_finite, check_same_geometry

__all__ = ["dice_coefficient", "overlap_scores"]


def _ratio(numerator: int, denominator: int, other_empty: bool) -> float:
    if denominator == 0:
        return 1.0 if other_empty else 0.0
    return numerator / denominator


def dice_coefficient(a: NdarrayOrTensor, b: NdarrayOrTensor) -> float:
    """Dice overlap ``2|A∩B| / (|A| + |B|)`` of two masks of the same shape; 1.0 when both are empty.

    ``a`` and ``b`` are arrays or tensors of any dtype, read as boolean: every non-zero voxel is foreground, whatever
    its value (a 0/255 mask counts 1 per foreground voxel, as a 0/1 or bool mask does). Threshold probabilities first.
    NaN or Inf values are refused with a ``ValueError`` (a NaN would count as foreground).

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4), bool); a[:2] = True  # 8 voxels
        >>> b = np.zeros((4, 4), bool); b[1:3] = True  # 8 voxels, 4 shared
        >>> dice_coefficient(a, b), dice_coefficient(a[:0], b[:0]), dice_coefficient(a, np.zeros_like(a))
        (0.5, 1.0, 0.0)
    """
    a, b = as_numpy(a), as_numpy(b)
    check_finite("a", a)  # NaN is non-zero: it would be read as foreground
    check_finite("b", b)
    a, b = a.astype(bool, copy=False), b.astype(bool, copy=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}.")
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def overlap_scores(pred: NdarrayOrTensor, label: NdarrayOrTensor, ignore_empty: bool = False) -> dict[str, float]:
    """Dice, sensitivity (SEN, recall) and positive predictive value (PPV, precision) of one binary prediction.

    The three scores of paper 001's tables, over the whole volume (3D Dice, not a mean of per-slice values). Empty
    masks: see the module docstring (one convention for all three scores).

    Args:
        pred: binary ``(1, *spatial)``.
        label: binary ``(1, *spatial)``, same shape (and the same geometry when both are MetaTensors).
        ignore_empty: NaN for every score when ``label`` is empty (MONAI's ``ignore_empty=True``); otherwise an
            empty ``pred`` of an empty ``label`` scores 1.0 everywhere.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 4, 4)); label[0, :2] = 1
        >>> pred = np.zeros((1, 4, 4)); pred[0, :1] = 1
        >>> {k: round(v, 3) for k, v in overlap_scores(pred, label).items()}
        {'dice': 0.667, 'sensitivity': 0.5, 'ppv': 1.0}
        >>> empty = np.zeros((1, 4, 4))
        >>> overlap_scores(empty, empty), overlap_scores(empty, empty, ignore_empty=True)
        ({'dice': 1.0, 'sensitivity': 1.0, 'ppv': 1.0}, {'dice': nan, 'sensitivity': nan, 'ppv': nan})
    """
    if isinstance(pred, MetaTensor) and isinstance(label, MetaTensor):
        check_same_geometry(pred, label, names=("pred", "label"))
    p, g = as_binary_mask("pred", pred), as_binary_mask("label", label)
    if p.shape != g.shape:
        raise ValueError(f"pred and label must have the same shape, got {p.shape} and {g.shape}.")
    n_pred, n_label, overlap = int(p.sum()), int(g.sum()), int(np.logical_and(p, g).sum())
    if ignore_empty and n_label == 0:
        return {"dice": math.nan, "sensitivity": math.nan, "ppv": math.nan}
    return {
        "dice": _ratio(2 * overlap, n_pred + n_label, True),
        "sensitivity": _ratio(overlap, n_label, n_pred == 0),
        "ppv": _ratio(overlap, n_pred, n_label == 0),
    }
