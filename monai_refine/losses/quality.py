"""Quality-regularised refinement objective (Rebelo, Fernandes and Cardoso, 2019)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from monai.utils import LossReduction
from torch.nn.modules.loss import _Loss

from monai_refine.losses.utils import (
    check_finite_tensor,
    check_probabilities,
    check_reduction,
    dice_loss_pair,
    reduce_loss,
)
from monai_refine.utils import RefineOutputs

__all__ = ["QualityRegularizedLoss"]


class QualityRegularizedLoss(_Loss):
    """Dice loss of the refined mask plus lambda times the squared error of the predicted input-mask quality.

    .. math::

        L = (1 - D(\\hat y, y)) + \\lambda \\, (q - D(m, y))^2

    where :math:`\\hat y` is the refined mask, :math:`y` the ground truth, :math:`m` the mask the network was
    given (its *prior*), :math:`q` the network's predicted quality of :math:`m`, and :math:`D` MONAI's soft Dice
    (:py:class:`monai.losses.DiceLoss`, same flags). The true quality :math:`D(m, y)` is the Dice of the prior
    averaged over the channels (after ``include_background``), computed without gradient; the prior is used as
    given, without activation. :math:`\\lambda \\geq 0` is the paper's non-negative weight, chosen by
    cross-validation there; the paper's MSE is the mean of the squared error under ``reduction="mean"``.

    Pairs with :py:class:`monai_refine.networks.nets.QualityUNet`, whose output dict can be passed as ``input``.

    Args:
        lambda_quality: :math:`\\lambda \\geq 0`, weight of the quality term (default 1, both terms weighted
            equally; the paper learns it by cross-validation and gives no value).
        include_background: if False, channel 0 (background) is excluded from both Dice values.
        to_onehot_y: whether to convert ``target`` to one-hot with the mask's number of channels.
        sigmoid: apply a sigmoid to the refined mask.
        softmax: apply a softmax to the refined mask.
        smooth_nr: small constant added to the Dice numerators.
        smooth_dr: small constant added to the Dice denominators.
        reduction: ``"none"`` (shape ``(B, C, 1, ...)``: each channel's Dice loss plus its sample's weighted
            quality error), ``"mean"`` or ``"sum"`` of that tensor.

    Raises:
        ValueError: when ``lambda_quality`` is not >= 0 (NaN included) or ``reduction`` is unknown.

    Example:
        >>> loss = QualityRegularizedLoss(lambda_quality=0.5, sigmoid=True)
        >>> out = {"mask": torch.zeros(1, 1, 4, 4), "quality": torch.full((1, 1), 0.5)}  # p = 0.5 everywhere
        >>> target = torch.ones(1, 1, 4, 4)
        >>> # Dice of p: 2 * 8 / (8 + 16) = 2/3; the prior is perfect (Dice 1) but rated 0.5: 1/3 + 0.5 * 0.25
        >>> round(float(loss(out, target, prior=target)), 4)
        0.4583
    """

    def __init__(
        self,
        lambda_quality: float = 1.0,
        include_background: bool = True,
        to_onehot_y: bool = False,
        sigmoid: bool = False,
        softmax: bool = False,
        smooth_nr: float = 1e-5,
        smooth_dr: float = 1e-5,
        reduction: LossReduction | str = LossReduction.MEAN,
    ) -> None:
        super().__init__(reduction=check_reduction(reduction))
        if not lambda_quality >= 0:  # written so that NaN (which would make every loss NaN) fails it too
            raise ValueError(f"lambda_quality must be non-negative, got {lambda_quality}.")
        self.lambda_quality = lambda_quality
        self.dice, self.prior_dice = dice_loss_pair(
            include_background, to_onehot_y, sigmoid, softmax, smooth_nr, smooth_dr
        )

    def forward(
        self,
        input: torch.Tensor | Mapping[str, torch.Tensor],
        target: torch.Tensor,
        prior: torch.Tensor,
        quality: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            input: ``(B, C, *spatial)`` refined mask, or QualityUNet's output dict holding it under
                ``RefineOutputs.MASK`` and the predicted quality under ``RefineOutputs.QUALITY``.
            target: ``(B, C, *spatial)`` ground truth, or ``(B, 1, *spatial)`` labels with ``to_onehot_y``.
            prior: ``(B, C, *spatial)`` the mask given to the network, values in [0, 1].
            quality: ``(B, 1)`` predicted Dice of ``prior``; taken from ``input`` when it is a dict.

        Returns:
            The loss, reduced according to ``reduction``.

        Raises:
            ValueError: when ``quality`` is missing or not ``(B, 1)``, ``prior`` differs in shape from the mask,
                ``target`` in batch or spatial size, an input holds NaN or Inf, or ``prior`` values outside [0, 1].
        """
        if isinstance(input, Mapping):
            missing = [str(k) for k in (RefineOutputs.MASK, RefineOutputs.QUALITY) if k not in input]
            if missing:
                raise ValueError(f"input is missing the outputs {missing}; it has {list(input)}.")
            quality = input[RefineOutputs.QUALITY]
            input = input[RefineOutputs.MASK]
        if quality is None:
            raise ValueError("quality must be given when input is a tensor (or pass the network's output dict).")
        if quality.shape != (input.shape[0], 1):
            raise ValueError(f"quality must have shape ({input.shape[0]}, 1), got {tuple(quality.shape)}.")
        if prior.shape != input.shape:
            raise ValueError(f"prior must have the shape of the mask {tuple(input.shape)}, got {tuple(prior.shape)}.")
        if target.ndim != input.ndim or target.shape[0] != input.shape[0] or target.shape[2:] != input.shape[2:]:
            raise ValueError(
                f"target must have the batch and spatial size of the mask {tuple(input.shape)}, "
                f"got {tuple(target.shape)}."
            )
        for name, value in (("input", input), ("target", target), ("quality", quality)):
            check_finite_tensor(name, value)
        check_probabilities("prior", prior)
        with torch.no_grad():
            true_quality = 1.0 - self.prior_dice(prior, target).mean(dim=1, keepdim=True)
        squared_error = (quality.view(true_quality.shape) - true_quality) ** 2
        return reduce_loss(self.dice(input, target) + self.lambda_quality * squared_error, self.reduction)
