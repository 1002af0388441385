"""Deep supervision of a network that returns its outputs as a dict (RefineNet)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from monai.losses import DeepSupervisionLoss
from torch.nn.modules.loss import _Loss

from monai_refine.utils import RefineOutputs

__all__ = ["DeepSupervisionDictLoss"]


class DeepSupervisionDictLoss(DeepSupervisionLoss):
    """MONAI's :py:class:`monai.losses.DeepSupervisionLoss` for networks that return a dict of outputs.

    ``DeepSupervisionLoss`` takes a list of outputs, finest and most important first, and downsamples the target
    (nearest-exact) to each output's size. :py:class:`monai_refine.networks.nets.RefineNet` returns a dict, so
    this thin wrapper picks ``keys`` from it, in order, and hands the list to ``DeepSupervisionLoss``; tensors and
    lists pass through unchanged. The total is :math:`\\sum_k w_k \\, \\text{loss}(\\text{out}_k, y_k)`.

    Args:
        loss: the loss applied to every output, e.g. ``DiceLoss(sigmoid=True)``.
        keys: the outputs to supervise, in weight order. Defaults to RefineNet's refined output then its side
            outputs at 1x, 1/2x and 1/4x.
        weight_mode: ``"exp"`` (1, 1/2, 1/4, ...), ``"same"`` (all 1) or ``"two"`` (1, 1/2, 1/2, ...).
        weights: explicit finite non-negative weights, one per key; overrides ``weight_mode``.

    Raises:
        ValueError: when ``keys`` is empty, ``weight_mode`` is unknown or ``weights`` has the wrong length or a
            negative, NaN or infinite value.

    Example:
        >>> from monai.losses import DiceLoss
        >>> loss = DeepSupervisionDictLoss(DiceLoss(sigmoid=True))
        >>> outputs = {"refined": torch.zeros(1, 1, 8, 8), "side_1": torch.zeros(1, 1, 8, 8),
        ...            "side_2": torch.zeros(1, 1, 4, 4), "side_4": torch.full((1, 1, 2, 2), 20.0)}
        >>> # p = 0.5 on a full target: Dice loss 1/3 on the first three (weights 1, 1/2, 1/4); side_4 is right (0)
        >>> round(float(loss(outputs, torch.ones(1, 1, 8, 8))), 4)
        0.5833
    """

    def __init__(
        self,
        loss: _Loss,
        keys: Sequence[str] = (
            RefineOutputs.REFINED,
            RefineOutputs.SIDE_1,
            RefineOutputs.SIDE_2,
            RefineOutputs.SIDE_4,
        ),
        weight_mode: str = "exp",
        weights: Sequence[float] | None = None,
    ) -> None:
        if len(keys) == 0:
            raise ValueError("keys must name at least one output.")
        if weight_mode not in ("exp", "same", "two"):
            raise ValueError(f"weight_mode must be 'exp', 'same' or 'two', got {weight_mode!r}.")
        if weights is not None and (len(weights) != len(keys) or min(weights) < 0):
            raise ValueError(f"weights must be {len(keys)} non-negative values (one per key), got {weights}.")
        if weights is not None and not all(math.isfinite(w) for w in weights):  # NaN passes min(weights) < 0
            raise ValueError(f"weights must be finite, got {weights}.")
        super().__init__(loss, weight_mode=weight_mode, weights=None if weights is None else list(weights))
        self.keys = [str(k) for k in keys]

    def forward(
        self, input: None | torch.Tensor | list[torch.Tensor] | Mapping[str, torch.Tensor], target: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            input: the network's output dict (``keys`` are supervised), a list of outputs, or one tensor.
            target: ``(B, C, *spatial)`` ground truth at full resolution.

        Raises:
            ValueError: when a key is missing from the dict, ``input`` is None, or ``target`` differs in batch size,
                rank or spatial size from the first (full-resolution) output.
        """
        if isinstance(input, Mapping):
            missing = [k for k in self.keys if k not in input]
            if missing:
                raise ValueError(f"input is missing the outputs {missing}; it has {list(input)}.")
            input = [input[k] for k in self.keys]
        first = input[0] if isinstance(input, (list, tuple)) and input else input
        if isinstance(first, torch.Tensor) and (
            target.ndim != first.ndim or target.shape[0] != first.shape[0] or target.shape[2:] != first.shape[2:]
        ):
            # DeepSupervisionLoss resizes the target to every output: a target of another size would be resampled
            raise ValueError(
                f"target must have the batch and spatial size of the first output {tuple(first.shape)}, got "
                f"{tuple(target.shape)}."
            )
        return super().forward(input, target)
