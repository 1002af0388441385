"""Dice-improvement objective of the iterative encoder-decoder (Kim, Kim and Ro, EMBC 2017, eq. 3)."""

from __future__ import annotations

import torch
from monai.utils import LossReduction
from torch.nn.modules.loss import _Loss

from monai_refine.losses.utils import check_reduction, dice_loss_pair, reduce_loss

__all__ = ["DiceImprovementLoss"]


class DiceImprovementLoss(_Loss):
    """Dice loss of iteration ``t`` weighted by how poor the previous iteration's Dice was.

    .. math::

        L_t = \\frac{1 - D_t}{D_{t-1} + \\varepsilon},
        \\qquad D = \\frac{2 \\sum_i y_i \\hat y_i + s_{nr}}{\\sum_i y_i + \\sum_i \\hat y_i + s_{dr}}

    where :math:`D_t` is the soft Dice of the current prediction and :math:`D_{t-1}` the Dice of the previous
    iteration's segmentation (the prior the network was given), both against the same ground truth, per sample
    and channel. :math:`D_{t-1}` is a constant (no gradient), so :math:`\\partial L_t / \\partial D_t =
    -1 / (D_{t-1} + \\varepsilon)`: a poor previous segmentation pushes harder to increase :math:`D_t`, a good
    one lets it converge, which is how the paper describes its objective. The equation itself is not legible in
    the project's copy of the paper; this is the simplest form with the described dependence on :math:`D_t`,
    :math:`D_{t-1}` and :math:`\\varepsilon`, and it reduces to a scaled Dice loss for a fixed prior.

    The Dice is MONAI's :py:class:`monai.losses.DiceLoss`, so the flags mean the same; the activation
    (``sigmoid`` / ``softmax``) is applied to ``input`` only, since ``previous`` is already a segmentation in
    [0, 1] (at the first iteration, 0.5 everywhere).

    Args:
        include_background: if False, channel 0 (background) is excluded from both Dice values.
        to_onehot_y: whether to convert ``target`` to one-hot with ``input.shape[1]`` classes.
        sigmoid: apply a sigmoid to ``input``.
        softmax: apply a softmax to ``input``.
        smooth_nr: small constant added to the Dice numerators.
        smooth_dr: small constant added to the Dice denominators.
        batch: compute each Dice over the whole batch instead of per sample.
        epsilon: :math:`\\varepsilon > 0`, bounds the weight by :math:`1 / \\varepsilon` when :math:`D_{t-1} = 0`
            (the paper gives no value).
        reduction: ``"none"`` (shape ``(B, C, 1, ...)``), ``"mean"`` or ``"sum"`` over batch and channels.

    Raises:
        ValueError: when ``epsilon <= 0`` or ``reduction`` is unknown.

    Example:
        >>> loss = DiceImprovementLoss(sigmoid=True)
        >>> logits = torch.randn(2, 1, 32, 32, requires_grad=True)
        >>> target = (torch.rand(2, 1, 32, 32) > 0.5).float()
        >>> previous = torch.full_like(target, 0.5)
        >>> loss(logits, target, previous).backward()
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
        reduction: LossReduction | str = LossReduction.MEAN,
    ) -> None:
        super().__init__(reduction=check_reduction(reduction))
        if epsilon <= 0:
            raise ValueError(f"epsilon must be positive, got {epsilon}.")
        self.epsilon = epsilon
        self.dice, self.previous_dice = dice_loss_pair(
            include_background, to_onehot_y, sigmoid, softmax, smooth_nr, smooth_dr, batch
        )

    def forward(self, input: torch.Tensor, target: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """
        Args:
            input: ``(B, C, *spatial)`` prediction of iteration ``t`` (logits with ``sigmoid`` / ``softmax``).
            target: ``(B, C, *spatial)`` ground truth, or ``(B, 1, *spatial)`` labels with ``to_onehot_y``.
            previous: ``(B, C, *spatial)`` segmentation of iteration ``t - 1``, values in [0, 1].

        Returns:
            The loss, reduced according to ``reduction``.

        Raises:
            ValueError: when ``previous`` and ``input`` have different shapes.
        """
        if previous.shape != input.shape:
            raise ValueError(f"previous must have the shape of input {tuple(input.shape)}, got {tuple(previous.shape)}")
        with torch.no_grad():
            previous_dice = 1.0 - self.previous_dice(previous, target)
        return reduce_loss(self.dice(input, target) / (previous_dice + self.epsilon), self.reduction)
