from __future__ import annotations

import pytest
import torch
from parameterized import parameterized

from monai_refine.losses import DiceImprovementLoss

# one 2x2 image: prediction covers 1 of the 2 foreground pixels, D_t = 2 * 1 / (1 + 2) = 2/3
PRED = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
TARGET = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
EXACT = {"smooth_nr": 0.0, "smooth_dr": 0.0}


class TestDiceImprovementLoss:
    @parameterized.expand(
        [
            # previous 0.5 everywhere (first iteration): D_{t-1} = 2 * 1 / (2 + 2) = 1/2
            (torch.full((1, 1, 2, 2), 0.5), 0.1, (1 / 3) / (0.5 + 0.1)),
            # previous equal to the target: D_{t-1} = 1
            (TARGET, 0.1, (1 / 3) / 1.1),
            # previous empty: D_{t-1} = 0, the weight is 1 / epsilon
            (torch.zeros(1, 1, 2, 2), 0.5, (1 / 3) / 0.5),
        ]
    )
    def test_hand_computed_values(self, previous, epsilon, expected):
        loss = DiceImprovementLoss(epsilon=epsilon, **EXACT)
        torch.testing.assert_close(loss(PRED, TARGET, previous), torch.tensor(expected))

    def test_worse_previous_pushes_harder(self):
        grads = {}
        for name, previous in {"bad": torch.zeros(1, 1, 2, 2), "good": TARGET}.items():
            pred = PRED.clone().requires_grad_(True)
            DiceImprovementLoss(epsilon=0.1, **EXACT)(pred, TARGET, previous).backward()
            grads[name] = pred.grad
        # dD/dp_i = (2 y_i (sum p + sum y) - 2 sum p y) / (sum p + sum y)^2 = 4/9 on foreground, -2/9 on background
        d_dice = torch.tensor([[[[4.0, 4.0], [-2.0, -2.0]]]]) / 9
        torch.testing.assert_close(grads["bad"], -d_dice / 0.1)
        torch.testing.assert_close(grads["good"], -d_dice / 1.1)
        assert (grads["bad"][TARGET > 0] < 0).all()  # raising foreground probabilities lowers the loss
        assert (grads["bad"].abs() > grads["good"].abs()).all()

    def test_no_gradient_through_previous(self):
        previous = torch.full((1, 1, 2, 2), 0.5, requires_grad=True)
        pred = PRED.clone().requires_grad_(True)
        DiceImprovementLoss()(pred, TARGET, previous).backward()
        assert previous.grad is None and pred.grad is not None

    def test_reductions(self):
        torch.manual_seed(0)
        logits, previous = torch.randn(3, 2, 8, 8), torch.rand(3, 2, 8, 8)
        target = (torch.rand(3, 2, 8, 8) > 0.5).float()
        none = DiceImprovementLoss(sigmoid=True, reduction="none")(logits, target, previous)
        assert none.shape == (3, 2, 1, 1)
        torch.testing.assert_close(
            DiceImprovementLoss(sigmoid=True, reduction="sum")(logits, target, previous), none.sum()
        )
        torch.testing.assert_close(DiceImprovementLoss(sigmoid=True)(logits, target, previous), none.mean())

    def test_activation_applies_to_input_only(self):
        logits = torch.randn(2, 3, 8, 8)
        labels = torch.randint(0, 3, (2, 1, 8, 8))
        previous = torch.softmax(torch.randn(2, 3, 8, 8), dim=1)
        kwargs = {"to_onehot_y": True, "include_background": False}
        with_softmax = DiceImprovementLoss(softmax=True, **kwargs)(logits, labels, previous)
        on_probabilities = DiceImprovementLoss(**kwargs)(torch.softmax(logits, dim=1), labels, previous)
        torch.testing.assert_close(with_softmax, on_probabilities)

    @parameterized.expand(
        [({"epsilon": 0.0}, "epsilon"), ({"epsilon": -1.0}, "epsilon"), ({"reduction": "max"}, "reduction")]
    )
    def test_bad_arguments(self, kwargs, name):
        with pytest.raises(ValueError, match=name):
            DiceImprovementLoss(**kwargs)

    def test_bad_previous(self):
        with pytest.raises(ValueError, match="previous"):
            DiceImprovementLoss()(PRED, TARGET, torch.rand(1, 2, 2, 2))
