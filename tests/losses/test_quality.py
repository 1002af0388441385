from __future__ import annotations

import pytest
import torch
from monai.losses import DiceLoss
from parameterized import parameterized

from monai_refine.losses import QualityRegularizedLoss
from monai_refine.utils import RefineOutputs

# refined mask covers 1 of the 2 foreground pixels: Dice loss 1 - 2/3 = 1/3
MASK = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
TARGET = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
# the input mask covers everything: its true quality is 2 * 2 / (4 + 2) = 2/3
PRIOR = torch.ones(1, 1, 2, 2)
EXACT = {"smooth_nr": 0.0, "smooth_dr": 0.0}


class TestQualityRegularizedLoss:
    @parameterized.expand([(0.0, 0.5, 1 / 3), (2.0, 0.5, 1 / 3 + 2 * (0.5 - 2 / 3) ** 2), (1.0, 2 / 3, 1 / 3)])
    def test_hand_computed_values(self, lambda_quality, quality, expected):
        loss = QualityRegularizedLoss(lambda_quality=lambda_quality, **EXACT)
        value = loss(MASK, TARGET, PRIOR, torch.tensor([[quality]]))
        torch.testing.assert_close(value, torch.tensor(expected))

    def test_network_dict_input(self):
        loss = QualityRegularizedLoss(**EXACT)
        quality = torch.tensor([[0.25]])
        expected = loss(MASK, TARGET, PRIOR, quality)
        torch.testing.assert_close(
            loss({RefineOutputs.MASK: MASK, RefineOutputs.QUALITY: quality}, TARGET, PRIOR), expected
        )

    def test_lambda_zero_is_monai_dice_loss(self):
        logits, target = torch.randn(2, 1, 8, 8), (torch.rand(2, 1, 8, 8) > 0.5).float()
        value = QualityRegularizedLoss(lambda_quality=0.0, sigmoid=True)(
            logits, target, torch.rand(2, 1, 8, 8), torch.rand(2, 1)
        )
        torch.testing.assert_close(value, DiceLoss(sigmoid=True)(logits, target))

    def test_gradients_reach_mask_and_quality_not_prior(self):
        mask = torch.randn(2, 1, 8, 8, requires_grad=True)
        quality = torch.rand(2, 1, requires_grad=True)
        prior = torch.rand(2, 1, 8, 8, requires_grad=True)
        QualityRegularizedLoss(sigmoid=True)(mask, (torch.rand(2, 1, 8, 8) > 0.5).float(), prior, quality).backward()
        assert mask.grad is not None and quality.grad is not None and prior.grad is None

    def test_reductions(self):
        torch.manual_seed(0)
        args = (
            torch.randn(3, 2, 8, 8),
            (torch.rand(3, 2, 8, 8) > 0.5).float(),
            torch.rand(3, 2, 8, 8),
            torch.rand(3, 1),
        )
        none = QualityRegularizedLoss(sigmoid=True, reduction="none")(*args)
        assert none.shape == (3, 2, 1, 1)
        torch.testing.assert_close(QualityRegularizedLoss(sigmoid=True, reduction="sum")(*args), none.sum())
        torch.testing.assert_close(QualityRegularizedLoss(sigmoid=True)(*args), none.mean())

    @parameterized.expand([({"lambda_quality": -0.1}, "lambda_quality"), ({"reduction": "max"}, "reduction")])
    def test_bad_arguments(self, kwargs, name):
        with pytest.raises(ValueError, match=name):
            QualityRegularizedLoss(**kwargs)

    @parameterized.expand(
        [
            ((MASK, TARGET, PRIOR), "quality must be given"),
            ((MASK, TARGET, PRIOR, torch.rand(1)), "quality must have shape"),
            ((MASK, TARGET, torch.rand(1, 1, 4, 4), torch.rand(1, 1)), "prior"),
        ]
    )
    def test_bad_inputs(self, args, message):
        with pytest.raises(ValueError, match=message):
            QualityRegularizedLoss()(*args)


def test_the_prior_is_scored_as_given_without_the_activation():
    """sigmoid=True applies to the refined mask only: a binary prior equal to the target has quality 1, so a
    predicted quality of 1 adds nothing (a sigmoid on the prior would give it 0.73 and 0.5 and Dice 0.66)."""
    mask = 20 * TARGET - 10
    loss = QualityRegularizedLoss(lambda_quality=1.0, sigmoid=True, **EXACT)
    expected = DiceLoss(sigmoid=True, **EXACT)(mask, TARGET)
    torch.testing.assert_close(loss(mask, TARGET, prior=TARGET, quality=torch.ones(1, 1)), expected)


def test_smooth_dr_reaches_both_dice_terms():
    """smooth_nr=0, smooth_dr=1, mask = prior = target = four ones: both Dice values are (2 * 4) / (4 + 4 + 1) = 8/9,
    so the Dice loss is 1/9 and the prior's true quality 8/9; a predicted quality of 8/9 adds nothing: 1/9 in all
    (smooth_nr in the denominators would give Dice 1, loss 0 + (8/9 - 1)^2)."""
    ones = torch.ones(1, 1, 2, 2)
    loss = QualityRegularizedLoss(lambda_quality=1.0, smooth_nr=0.0, smooth_dr=1.0)
    torch.testing.assert_close(loss(ones, ones, prior=ones, quality=torch.full((1, 1), 8 / 9)), torch.tensor(1 / 9))
