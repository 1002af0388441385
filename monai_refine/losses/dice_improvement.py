"""Dice-improvement objective of the iterative encoder-decoder (Kim, Kim and Ro, EMBC 2017, eq. 3)."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from monai.networks import one_hot
from monai.utils import LossReduction
from torch import nn
from torch.nn.modules.loss import _Loss

from monai_refine.losses.utils import check_finite_tensor, check_probabilities, check_reduction, reduce_loss

__all__ = ["DiceImprovementLoss"]


class DiceImprovementLoss(_Loss):
    """Dice loss of iteration ``t`` weighted by how poor the previous iteration's Dice was.

    .. math::

        L_t = \\frac{1 - D_t}{D_{t-1} + \\varepsilon},
        \\qquad D = \\frac{2 \\sum_i y_i \\hat y_i + s_{nr}}{\\sum_i y_i + \\sum_i \\hat y_i + s_{dr}}

    where :math:`D_t` is the soft Dice of the current prediction and :math:`D_{t-1}` the Dice of the previous
    iteration's segmentation (the prior the network was given), both against the same ground truth, per sample
    and channel. :math:`D_{t-1}` is a constant (no gradient), so :math:`\\partial L_t / \\partial D_t =
    -1 / (D_{t-1} + \\varepsilon)`.

    **Assumption.** Paper 000's equation (3) is not legible in the project's copy of the paper; its text says only
    that :math:`L_t` depends on :math:`D_t`, :math:`D_{t-1}` and the parameters, and that "if the dice coefficient
    of the (t-1)-th iteration is low, the gradient of the objective function becomes large to increase
    :math:`D_t`; if it is high, the gradient becomes small to converge :math:`D_t`". The form above is our reading,
    the simplest with that property; it reduces to a scaled Dice loss for a fixed prior. ``epsilon`` is ours too.

    **Empty target** (no foreground in a sample/channel, e.g. an organ-free slice). Dice is undefined there (0/0):
    with the smooth terms it is ~0 whatever the prediction, so the loss would be a constant ``1 / epsilon`` with no
    gradient against false positives. On an empty target both Dice values are replaced by the soft true-negative
    rate :math:`D = 1 - \\frac{1}{P} \\sum_i \\hat y_i` (1 for an all-background prediction), so
    :math:`L_t = \\overline{\\hat y_t} / (1 - \\overline{\\hat y_{t-1}} + \\varepsilon)`: it pushes every
    predicted foreground probability down (gradient :math:`1 / (P (D_{t-1} + \\varepsilon))` per voxel), is 0 for a
    clean prediction, and keeps the same weighting by the previous iteration. With ``batch=True`` "empty" means
    empty over the whole batch.

    **Cross-entropy term** (``lambda_ce > 0``, ours, not paper 000's): :math:`L_t + \\lambda_{ce} \\cdot CE_t`, the
    cross-entropy of the current prediction per (sample, channel) averaged over voxels (binary with ``sigmoid``;
    with ``softmax`` channel ``c``'s share :math:`-\\overline{y_c \\log p_c}`, so the channels sum to the usual
    cross-entropy), as MONAI's :py:class:`monai.losses.DiceCELoss` adds it to a Dice loss. A Dice-type loss alone
    trains slowly at a small budget: on PH2 (``docs/results.md``) the iterative network reached validation Dice
    0.878 with the loss alone and 0.919 with MONAI's ``DiceCELoss`` in its place, same recipe.

    The flags mean what they mean for MONAI's :py:class:`monai.losses.DiceLoss` (which gives the same value on
    non-empty targets); the activation (``sigmoid`` / ``softmax``) is applied to ``input`` only, since ``previous``
    is already a segmentation in [0, 1] (at the first iteration, 0.5 everywhere).

    Args:
        include_background: if False, channel 0 (background) is excluded from both Dice values.
        to_onehot_y: whether to convert ``target`` to one-hot with ``input.shape[1]`` classes.
        sigmoid: apply a sigmoid to ``input``.
        softmax: apply a softmax to ``input``.
        smooth_nr: small constant added to the Dice numerators.
        smooth_dr: small constant added to the Dice denominators.
        batch: compute each Dice over the whole batch instead of per sample.
        epsilon: :math:`\\varepsilon > 0`, bounds the weight by :math:`1 / \\varepsilon` when :math:`D_{t-1} = 0`
            (the paper gives no value; default 0.1, ours).
        lambda_ce: weight of the cross-entropy term, ``>= 0``; 0 (default) is paper 000's loss alone. Needs
            ``sigmoid`` or ``softmax`` (the cross-entropy is computed from logits).
        reduction: ``"none"`` (shape ``(B, C, 1, ...)``, ``(1, C, 1, ...)`` with ``batch``), ``"mean"`` or
            ``"sum"`` over batch and channels.

    Raises:
        ValueError: when ``epsilon`` is not > 0 (NaN included), ``reduction`` is unknown, both ``sigmoid`` and
            ``softmax`` are set, or ``lambda_ce`` is negative or set without an activation.

    Example:
        >>> loss = DiceImprovementLoss(sigmoid=True, smooth_nr=0.0, smooth_dr=0.0)
        >>> target = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
        >>> logits = torch.tensor([[[[9.0, -9.0], [-9.0, -9.0]]]])  # covers 1 of 2 foreground pixels: D_t ~ 2/3
        >>> round(float(loss(logits, target, torch.full_like(target, 0.5))), 3)  # D_{t-1} = 1/2: (1/3) / 0.6
        0.556
        >>> round(float(loss(logits, torch.zeros_like(target), torch.full_like(target, 0.5))), 3)  # empty target
        0.417
    """

    def __init__(
        self,
        include_background: bool = True,
        to_onehot_y: bool = False,
        sigmoid: bool = False,
        softmax: bool = False,
        smooth_nr: float = 1e-5,
        smooth_dr: float = 1e-5,
        batch: bool = False,
        epsilon: float = 0.1,
        lambda_ce: float = 0.0,
        reduction: LossReduction | str = LossReduction.MEAN,
    ) -> None:
        super().__init__(reduction=check_reduction(reduction))
        if not epsilon > 0:  # written so that NaN (which would make every loss NaN) fails it too
            raise ValueError(f"epsilon must be positive, got {epsilon}.")
        if sigmoid and softmax:
            raise ValueError("sigmoid and softmax are mutually exclusive: set at most one of them.")
        if not (np.isfinite(lambda_ce) and lambda_ce >= 0):
            raise ValueError(f"lambda_ce must be a finite weight >= 0, got {lambda_ce}.")
        if lambda_ce > 0 and not (sigmoid or softmax):
            raise ValueError("lambda_ce > 0 needs logits: set sigmoid=True or softmax=True.")
        self.lambda_ce = float(lambda_ce)
        self.include_background, self.to_onehot_y = include_background, to_onehot_y
        self.sigmoid, self.softmax, self.batch = sigmoid, softmax, batch
        self.smooth_nr, self.smooth_dr, self.epsilon = float(smooth_nr), float(smooth_dr), float(epsilon)

    def _score(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Soft Dice per (sample, channel), or the soft true-negative rate where the target is empty."""
        axes = list(range(2, prediction.ndim))
        if self.batch:
            axes = [0] + axes
        intersection = (prediction * target).sum(axes, keepdim=True)
        target_sum, prediction_sum = target.sum(axes, keepdim=True), prediction.sum(axes, keepdim=True)
        empty = target_sum == 0
        denominator = torch.where(empty, torch.ones_like(target_sum), target_sum + prediction_sum + self.smooth_dr)
        dice = (2.0 * intersection + self.smooth_nr) / denominator
        return torch.where(empty, 1.0 - prediction.mean(axes, keepdim=True), dice)

    def forward(self, input: torch.Tensor, target: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """
        Args:
            input: ``(B, C, *spatial)`` prediction of iteration ``t`` (logits with ``sigmoid`` / ``softmax``).
            target: ``(B, C, *spatial)`` ground truth, or ``(B, 1, *spatial)`` labels with ``to_onehot_y``.
            previous: ``(B, C, *spatial)`` segmentation of iteration ``t - 1``, values in [0, 1].

        Returns:
            The loss, reduced according to ``reduction``.

        Raises:
            ValueError: when ``previous`` or ``target`` do not match ``input``'s shape, ``input`` or ``target`` hold
                NaN or Inf, or ``previous`` holds values outside [0, 1] (NaN included).
        """
        if previous.shape != input.shape:
            raise ValueError(f"previous must have the shape of input {tuple(input.shape)}, got {tuple(previous.shape)}")
        check_finite_tensor("input", input)
        check_finite_tensor("target", target)
        check_probabilities("previous", previous)
        channels = input.shape[1]
        if self.lambda_ce > 0 and self.softmax and channels == 1:
            raise ValueError("lambda_ce with a single channel prediction needs sigmoid=True, not softmax=True.")
        logits = input  # the cross-entropy's input: logits (sigmoid) or log-probabilities (softmax)
        if self.sigmoid:
            input = torch.sigmoid(input)
        elif self.softmax:
            if channels == 1:
                warnings.warn("single channel prediction, `softmax=True` ignored.", stacklevel=2)
            else:
                logits, input = torch.log_softmax(input, 1), torch.softmax(input, 1)
        if self.to_onehot_y:
            if channels == 1:
                warnings.warn("single channel prediction, `to_onehot_y=True` ignored.", stacklevel=2)
            else:
                target = one_hot(target, num_classes=channels)
        if target.shape != input.shape:
            raise ValueError(f"target must have the shape of input {tuple(input.shape)}, got {tuple(target.shape)}.")
        if not self.include_background:
            if channels == 1:
                warnings.warn("single channel prediction, `include_background=False` ignored.", stacklevel=2)
            else:
                input, target, previous, logits = input[:, 1:], target[:, 1:], previous[:, 1:], logits[:, 1:]
        target = target.to(input.dtype)
        with torch.no_grad():
            previous_dice = self._score(previous.to(input.dtype), target)
        loss = (1.0 - self._score(input, target)) / (previous_dice + self.epsilon)
        if self.lambda_ce > 0:
            loss = loss + self.lambda_ce * self._cross_entropy(logits, target)
        return reduce_loss(loss, self.reduction)

    def _cross_entropy(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy per (sample, channel), voxel mean, shaped like the Dice term."""
        if self.sigmoid:
            voxel = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        else:  # softmax: the channel's share, from the log-probabilities of all channels (sliced afterwards)
            voxel = -target * logits
        axes = list(range(2, voxel.ndim))
        return voxel.mean([0] + axes if self.batch else axes, keepdim=True)
