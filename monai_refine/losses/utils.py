"""Helpers shared by the refinement losses."""

from __future__ import annotations

import torch
from monai.losses import DiceLoss
from monai.utils import LossReduction

__all__ = ["check_finite_tensor", "check_probabilities", "check_reduction", "dice_loss_pair", "reduce_loss"]


def check_reduction(reduction: LossReduction | str) -> str:
    """Return ``reduction`` as a string, raising a ``ValueError`` unless it is ``"none"``, ``"mean"`` or ``"sum"``."""
    names = [r.value for r in LossReduction]
    if reduction not in names:
        raise ValueError(f"reduction must be one of {names}, got {reduction!r}.")
    return str(LossReduction(reduction).value)


def reduce_loss(f: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce a per-(batch, channel) loss ``f`` as MONAI's ``DiceLoss`` does: mean, sum, or ``f`` unchanged."""
    if reduction == LossReduction.MEAN.value:
        return torch.mean(f)
    if reduction == LossReduction.SUM.value:
        return torch.sum(f)
    return f


def dice_loss_pair(
    include_background: bool,
    to_onehot_y: bool,
    sigmoid: bool,
    softmax: bool,
    smooth_nr: float,
    smooth_dr: float,
    batch: bool = False,
) -> tuple[DiceLoss, DiceLoss]:
    """Two MONAI ``DiceLoss`` instances with ``reduction="none"`` for a prediction and for a reference segmentation.

    The first applies the activation (``sigmoid`` / ``softmax``) to a network output; the second has none, for a
    segmentation already in [0, 1] (a previous iteration's result, an input mask). Both share the other flags.
    """
    common = {
        "include_background": include_background,
        "to_onehot_y": to_onehot_y,
        "smooth_nr": smooth_nr,
        "smooth_dr": smooth_dr,
        "batch": batch,
        "reduction": LossReduction.NONE,
    }
    return DiceLoss(sigmoid=sigmoid, softmax=softmax, **common), DiceLoss(**common)


def check_finite_tensor(name: str, value: torch.Tensor) -> None:
    """Raise a ``ValueError`` naming ``name`` when ``value`` holds NaN or Inf (one reduction: a NaN would otherwise
    make the loss and every gradient NaN, or, in a value read without gradient, silently weight the loss)."""
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains NaN or Inf values.")


def check_probabilities(name: str, value: torch.Tensor) -> None:
    """Raise a ``ValueError`` naming ``name`` unless ``value`` holds finite values in [0, 1]."""
    check_finite_tensor(name, value)
    if value.numel() and (bool(value.min() < 0) or bool(value.max() > 1)):
        raise ValueError(
            f"{name} must hold values in [0, 1] (a segmentation, not logits), got "
            f"[{float(value.min()):g}, {float(value.max()):g}]."
        )
