"""Overlap scores of a binary segmentation against its reference, from MONAI's confusion-matrix metrics."""

from __future__ import annotations

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.metrics import compute_confusion_matrix_metric, get_confusion_matrix
from monai.utils import convert_to_tensor

from monai_refine.utils import as_binary_mask

__all__ = ["dice_coefficient", "overlap_scores"]


def dice_coefficient(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap ``2|A∩B| / (|A| + |B|)`` of two boolean arrays of the same shape; 1.0 when both are empty."""
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def overlap_scores(pred: NdarrayOrTensor, label: NdarrayOrTensor) -> dict[str, float]:
    """Dice, sensitivity (SEN, recall) and positive predictive value (PPV, precision) of one binary prediction.

    The three scores of paper 001's tables, over the whole volume (3D Dice, not a mean of per-slice values).

    Args:
        pred: binary ``(1, *spatial)``.
        label: binary ``(1, *spatial)``, same shape.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 4, 4)); label[0, :2] = 1
        >>> pred = np.zeros((1, 4, 4)); pred[0, :1] = 1
        >>> {k: round(v, 3) for k, v in overlap_scores(pred, label).items()}
        {'dice': 0.667, 'sensitivity': 0.5, 'ppv': 1.0}
    """
    p, g = as_binary_mask("pred", pred), as_binary_mask("label", label)
    if p.shape != g.shape:
        raise ValueError(f"pred and label must have the same shape, got {p.shape} and {g.shape}.")
    matrix = get_confusion_matrix(convert_to_tensor(p[None], dtype=torch.float32), convert_to_tensor(g[None]).float())
    scores = {
        name: float(compute_confusion_matrix_metric(metric, matrix).nan_to_num(0.0).mean())
        for name, metric in (("sensitivity", "sensitivity"), ("ppv", "precision"))
    }
    return {"dice": dice_coefficient(p, g), **scores}
