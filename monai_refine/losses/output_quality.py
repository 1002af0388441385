"""A segmentation loss plus the squared error of the network's predicted Dice of its own output."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.nn.modules.loss import _Loss

from monai_refine.losses.utils import check_finite_tensor
from monai_refine.utils import RefineOutputs

__all__ = ["OutputQualityLoss"]


class OutputQualityLoss(_Loss):
    """``segmentation_loss(input, target) + λ · mean_b (σ(q_b) − D_b)²``: learn to segment and to predict one's Dice.

    ``q_b`` is the network's quality logit for sample ``b`` (``input[quality_key]``, shape ``(B, 1)``) and ``D_b`` the
    Dice of its thresholded output (``input[output_key] > 0``, logits) against the binary ``target``, computed
    without gradient; a sample whose output and target are both empty has Dice 1. Unlike
    :py:class:`monai_refine.losses.QualityRegularizedLoss` (paper 002, the quality of the network's *input* mask),
    this is the quality of the mask the network *returns*, the one slice propagation keeps or rejects
    (``SlicePropagator(min_quality=...)``).

    Args:
        segmentation_loss: loss of the segmentation outputs, called with the whole ``input`` dict and ``target``
            (e.g. :py:class:`monai_refine.losses.DeepSupervisionDictLoss`).
        lambda_quality: weight λ >= 0 of the quality term (default 1).
        output_key: the segmentation logits whose Dice is predicted.
        quality_key: the quality logit.

    Example:
        >>> from monai.losses import DiceLoss
        >>> target = torch.zeros(2, 1, 8, 8); target[:, :, 2:6, 2:6] = 1
        >>> output = {"refined": 20 * target - 10, "quality": torch.tensor([[10.0], [-10.0]])}  # perfect masks
        >>> loss = OutputQualityLoss(lambda x, y: DiceLoss(sigmoid=True)(x["refined"], y), lambda_quality=1.0)
        >>> round(float(loss(output, target)), 2)  # Dice loss ~0, quality errors (1 - 1)² and (0 - 1)², mean 0.5
        0.5
    """

    def __init__(
        self,
        segmentation_loss: torch.nn.Module,
        lambda_quality: float = 1.0,
        output_key: str = RefineOutputs.REFINED,
        quality_key: str = RefineOutputs.QUALITY,
    ) -> None:
        super().__init__()
        if not lambda_quality >= 0:
            raise ValueError(f"lambda_quality must be >= 0, got {lambda_quality}.")
        self.segmentation_loss = segmentation_loss
        self.lambda_quality = float(lambda_quality)
        self.output_key = str(output_key)
        self.quality_key = str(quality_key)

    @staticmethod
    def achieved_dice(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-sample Dice ``(B,)`` of ``logits > 0`` against ``target > 0`` (1 when both are empty)."""
        pred, truth = (logits > 0).flatten(1).float(), (target > 0).flatten(1).float()
        overlap, total = (pred * truth).sum(1), pred.sum(1) + truth.sum(1)
        return torch.where(total > 0, 2 * overlap / total.clamp_min(1), torch.ones_like(total))

    def forward(self, input: Mapping[str, torch.Tensor], target: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """
        Args:
            input: the network's output dict, with ``(B, C, *spatial)`` logits at ``output_key`` and the ``(B, 1)``
                quality logit at ``quality_key``.
            target: ``(B, C, *spatial)`` binary ground truth, the shape of the logits.

        Raises:
            ValueError: when a key is missing, ``target`` differs in shape from the logits, the quality is not one
                value per sample, or the logits or quality hold NaN or Inf.
        """
        missing = [k for k in (self.output_key, self.quality_key) if k not in input]
        if missing:
            raise ValueError(f"input is missing the outputs {missing}; it has {list(input)}.")
        logits, quality_logits = input[self.output_key], input[self.quality_key]
        if target.shape != logits.shape:
            raise ValueError(
                f"target must have the shape of input[{self.output_key!r}] {tuple(logits.shape)}, got "
                f"{tuple(target.shape)}."
            )
        if quality_logits.numel() != logits.shape[0]:
            raise ValueError(
                f"input[{self.quality_key!r}] must hold one quality per sample, shape ({logits.shape[0]}, 1), got "
                f"{tuple(quality_logits.shape)}."
            )
        check_finite_tensor(f"input[{self.output_key!r}]", logits)
        check_finite_tensor(f"input[{self.quality_key!r}]", quality_logits)
        with torch.no_grad():
            dice = self.achieved_dice(logits, target)
        quality = torch.sigmoid(quality_logits.reshape(-1).float())
        return self.segmentation_loss(input, target) + self.lambda_quality * ((quality - dice) ** 2).mean()
