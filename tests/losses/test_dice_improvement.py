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

    def test_bad_target(self):
        """A target that would broadcast against the input (one column, one row, two samples for one) is refused."""
        for target in (TARGET[..., :1], TARGET[:, :, :1], torch.cat([TARGET, TARGET])):
            with pytest.raises(ValueError, match="target must have the shape"):
                DiceImprovementLoss()(PRED, target, torch.full_like(PRED, 0.5))


def test_gradient_grows_as_the_previous_dice_falls():
    """Paper 000's stated property: the lower D_(t-1), the larger the gradient that increases D_t."""
    torch.manual_seed(0)
    logits = torch.randn(1, 1, 8, 8)
    target = torch.zeros(1, 1, 8, 8)
    target[..., 2:6, 2:6] = 1
    norms, previous_dice = [], []
    for alpha in (0.0, 0.25, 0.5, 0.75, 1.0):  # previous = alpha * target: D_(t-1) = 2 alpha / (1 + alpha)
        pred = logits.clone().requires_grad_(True)
        DiceImprovementLoss(sigmoid=True, **EXACT)(pred, target, alpha * target).backward()
        norms.append(float(pred.grad.norm()))
        previous_dice.append(2 * alpha / (1 + alpha))
    assert all(a > b for a, b in zip(norms, norms[1:]))
    # the gradient is the Dice-loss gradient scaled by 1 / (D_(t-1) + eps)
    for norm, d in zip(norms, previous_dice):
        assert norm * (d + 0.1) == pytest.approx(norms[0] * 0.1, rel=1e-5)


def test_same_as_monai_dice_loss_on_non_empty_targets():
    from monai.losses import DiceLoss

    torch.manual_seed(1)
    logits, labels = torch.randn(2, 3, 6, 6), torch.randint(0, 3, (2, 1, 6, 6))
    labels[:, :, 0, :3] = torch.tensor([0, 1, 2])  # every class present in every sample
    previous = torch.full((2, 3, 6, 6), 0.5)
    for kwargs in ({}, {"include_background": False}, {"batch": True}):
        ours = DiceImprovementLoss(softmax=True, to_onehot_y=True, reduction="none", **kwargs)(logits, labels, previous)
        monai_dice = DiceLoss(softmax=True, to_onehot_y=True, reduction="none", **kwargs)
        weight = 1 / (1 - DiceLoss(to_onehot_y=True, reduction="none", **kwargs)(previous, labels) + 0.1)
        torch.testing.assert_close(ours.reshape(-1), (monai_dice(logits, labels) * weight).reshape(-1))


class TestEmptyTarget:
    """Issue 16.7: organ-free slices must push against false positives, not give a constant 1 / epsilon."""

    def test_hand_value_and_gradient(self):
        logits = torch.full((1, 1, 4, 4), 2.0, requires_grad=True)
        empty, previous = torch.zeros(1, 1, 4, 4), torch.full((1, 1, 4, 4), 0.5)
        loss = DiceImprovementLoss(sigmoid=True)(logits, empty, previous)
        p = torch.sigmoid(torch.tensor(2.0))
        # 1 - D_t = mean(p) = sigmoid(2); D_(t-1) = 1 - 0.5: L = sigmoid(2) / 0.6
        torch.testing.assert_close(loss, p / 0.6)
        loss.backward()
        # dL/dlogit = p (1 - p) / (16 * 0.6) on every pixel, positive: gradient descent lowers the logits
        torch.testing.assert_close(logits.grad, torch.full((1, 1, 4, 4), float(p * (1 - p) / (16 * 0.6))))

    def test_clean_prediction_costs_nothing_and_worse_previous_pushes_harder(self):
        empty = torch.zeros(1, 1, 4, 4)
        clean = DiceImprovementLoss(**EXACT)(torch.zeros(1, 1, 4, 4), empty, torch.full_like(empty, 0.5))
        assert float(clean) == 0.0
        pred = torch.full((1, 1, 4, 4), 0.25)
        bad = DiceImprovementLoss(**EXACT)(pred, empty, torch.ones_like(empty))  # previous all false positives
        good = DiceImprovementLoss(**EXACT)(pred, empty, torch.zeros_like(empty))
        torch.testing.assert_close(bad, torch.tensor(0.25 / 0.1))
        torch.testing.assert_close(good, torch.tensor(0.25 / 1.1))

    def test_only_the_empty_sample_changes(self):
        target = torch.zeros(2, 1, 2, 2)
        target[0] = TARGET[0]
        pred = torch.cat([PRED, torch.full((1, 1, 2, 2), 0.5)])
        previous = torch.full((2, 1, 2, 2), 0.5)
        out = DiceImprovementLoss(reduction="none", **EXACT)(pred, target, previous)
        torch.testing.assert_close(out.reshape(-1), torch.tensor([(1 / 3) / 0.6, 0.5 / 0.6]))
        assert torch.isfinite(out).all()
        grad_pred = torch.zeros(1, 1, 2, 2, requires_grad=True)
        DiceImprovementLoss(**EXACT)(grad_pred, torch.zeros(1, 1, 2, 2), previous[:1]).backward()
        assert torch.isfinite(grad_pred.grad).all()  # 0/0 never reaches the gradient with smooth terms 0


def test_include_background_false_drops_channel_zero_of_every_input():
    # channel 1 (foreground) of the prediction is PRED (D_t = 2/3); the previous foreground is the target (D = 1),
    # its background channel is empty of overlap: dropping the wrong channel of `previous` would change the weight
    pred = torch.cat([1 - PRED, PRED], dim=1)
    target = torch.cat([1 - TARGET, TARGET], dim=1)
    previous = torch.cat([torch.zeros_like(TARGET), TARGET], dim=1)
    loss = DiceImprovementLoss(include_background=False, epsilon=0.1, **EXACT)(pred, target, previous)
    torch.testing.assert_close(loss, torch.tensor((1 / 3) / 1.1))


def test_smooth_terms_hand_value():
    # D_t = (2 * 1 + 1) / (1 + 2 + 1) = 3/4; previous 0.5: D = (2 * 1 + 1) / (2 + 2 + 1) = 3/5
    loss = DiceImprovementLoss(smooth_nr=1.0, smooth_dr=1.0, epsilon=0.1)
    torch.testing.assert_close(loss(PRED, TARGET, torch.full((1, 1, 2, 2), 0.5)), torch.tensor(0.25 / 0.7))


def test_smooth_dr_only_in_the_denominator():
    """smooth_nr=0, smooth_dr=1 with prediction = target = previous = four ones: D = (2 * 4 + 0) / (4 + 4 + 1) = 8/9
    for both, so the loss is (1 - 8/9) / (8/9 + 0.1) = 1 / 8.9 (smooth_nr there would give D = 1 and loss 0)."""
    ones = torch.ones(1, 1, 2, 2)
    loss = DiceImprovementLoss(smooth_nr=0.0, smooth_dr=1.0, epsilon=0.1)
    torch.testing.assert_close(loss(ones, ones, ones), torch.tensor(1 / 8.9))


class TestCrossEntropyTerm:
    """``lambda_ce``: the loss plus ``lambda_ce`` times the cross-entropy of the current prediction."""

    @parameterized.expand([(2,), (3,)])
    def test_sigmoid_adds_binary_cross_entropy(self, spatial_dims):
        torch.manual_seed(0)
        logits = torch.randn(2, 1, *(5,) * spatial_dims)
        target = (torch.rand_like(logits) > 0.5).float()
        previous = torch.rand_like(logits)
        plain = DiceImprovementLoss(sigmoid=True)(logits, target, previous)
        mixed = DiceImprovementLoss(sigmoid=True, lambda_ce=2.0)(logits, target, previous)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
        torch.testing.assert_close(mixed - plain, 2.0 * bce)

    @parameterized.expand([(True,), (False,)])
    def test_softmax_adds_the_channels_share_of_cross_entropy(self, include_background):
        torch.manual_seed(1)
        logits = torch.randn(2, 3, 6, 6)
        labels = torch.randint(0, 3, (2, 1, 6, 6))
        previous = torch.rand_like(logits)
        kwargs = {"softmax": True, "to_onehot_y": True, "include_background": include_background}
        plain = DiceImprovementLoss(**kwargs)(logits, labels, previous)
        mixed = DiceImprovementLoss(lambda_ce=0.5, **kwargs)(logits, labels, previous)
        voxel_ce = torch.nn.functional.cross_entropy(logits, labels[:, 0], reduction="none")
        if include_background:  # the three channels' shares sum to the cross-entropy; the loss averages them
            expected = voxel_ce.mean() / 3
        else:  # background voxels' share dropped with channel 0, two channels averaged
            expected = (voxel_ce * (labels[:, 0] > 0)).mean() / 2
        torch.testing.assert_close(mixed - plain, 0.5 * expected)

    def test_softmax_keeps_each_channels_own_share_unreduced(self):
        """With ``reduction="none"`` each channel holds its own share, not the channels' average."""
        # voxel 0: logits (0, 0) -> p = (1/2, 1/2), label 1; voxel 1: logits (ln 3, 0) -> p = (3/4, 1/4), label 0
        logits = torch.tensor([[[[0.0, float(torch.log(torch.tensor(3.0)))]], [[0.0, 0.0]]]])
        labels = torch.tensor([[[[1, 0]]]])
        previous = torch.full_like(logits, 0.5)
        kwargs = {"softmax": True, "to_onehot_y": True, "reduction": "none"}
        plain = DiceImprovementLoss(**kwargs)(logits, labels, previous)
        mixed = DiceImprovementLoss(lambda_ce=1.0, **kwargs)(logits, labels, previous)
        # channel 0: -(0 + ln 3/4) / 2 = 0.1438; channel 1: -(ln 1/2 + 0) / 2 = 0.3466
        expected = torch.tensor([-torch.log(torch.tensor(0.75)) / 2, torch.log(torch.tensor(2.0)) / 2])
        torch.testing.assert_close((mixed - plain).flatten(), expected)

    def test_per_sample_shape_and_batch_mode(self):
        logits, target = torch.randn(3, 1, 4, 4), (torch.rand(3, 1, 4, 4) > 0.5).float()
        previous = torch.full_like(logits, 0.5)
        per_sample = DiceImprovementLoss(sigmoid=True, lambda_ce=1.0, reduction="none")(logits, target, previous)
        assert per_sample.shape == (3, 1, 1, 1)
        batch = DiceImprovementLoss(sigmoid=True, lambda_ce=1.0, batch=True, reduction="none")
        assert batch(logits, target, previous).shape == (1, 1, 1, 1)

    def test_cross_entropy_pushes_a_confident_miss_harder_than_dice(self):
        """Dice's gradient vanishes on a saturated wrong logit; the cross-entropy's does not."""
        target = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
        previous = torch.full_like(target, 0.5)
        grads = []
        for lambda_ce in (0.0, 1.0):
            logits = torch.tensor([[[[-8.0, 8.0], [-8.0, -8.0]]]], requires_grad=True)
            DiceImprovementLoss(sigmoid=True, lambda_ce=lambda_ce)(logits, target, previous).backward()
            grads.append(float(logits.grad[0, 0, 0, 0]))
        assert abs(grads[0]) < 1e-3 and grads[1] < -0.2

    @parameterized.expand(
        [
            ({"lambda_ce": -1.0, "sigmoid": True}, "lambda_ce"),
            ({"lambda_ce": float("nan"), "sigmoid": True}, "lambda_ce"),
            ({"lambda_ce": float("inf"), "softmax": True}, "lambda_ce"),
            ({"lambda_ce": 1.0}, "sigmoid=True or softmax=True"),
        ]
    )
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            DiceImprovementLoss(**kwargs)

    def test_softmax_on_one_channel_is_refused(self):
        with pytest.raises(ValueError, match="sigmoid=True"):
            DiceImprovementLoss(softmax=True, lambda_ce=1.0)(PRED, TARGET, TARGET)
