from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from monai.losses import DiceLoss
from parameterized import parameterized

from monai_refine.losses import DeepSupervisionDictLoss
from monai_refine.networks.nets import RefineNet
from monai_refine.utils import RefineOutputs

TARGET = (torch.rand(2, 1, 16, 16) > 0.5).float()


def refinenet_like_outputs() -> dict[str, torch.Tensor]:
    return {
        RefineOutputs.REFINED: torch.randn(2, 1, 16, 16),
        RefineOutputs.SIDE_1: torch.randn(2, 1, 16, 16),
        RefineOutputs.SIDE_2: torch.randn(2, 1, 8, 8),
        RefineOutputs.SIDE_4: torch.randn(2, 1, 4, 4),
        RefineOutputs.QUALITY: torch.rand(2, 1),  # not supervised: not in keys
    }


class TestDeepSupervisionDictLoss:
    @parameterized.expand(
        [("exp", None, [1.0, 0.5, 0.25, 0.125]), ("same", [2.0, 1.0, 0.0, 1.0], [2.0, 1.0, 0.0, 1.0])]
    )
    def test_weighted_sum_over_keys(self, weight_mode, weights, expected_weights):
        dice = DiceLoss(sigmoid=True)
        outputs = refinenet_like_outputs()
        value = DeepSupervisionDictLoss(dice, weight_mode=weight_mode, weights=weights)(outputs, TARGET)
        keys = (RefineOutputs.REFINED, RefineOutputs.SIDE_1, RefineOutputs.SIDE_2, RefineOutputs.SIDE_4)
        expected = sum(
            w * dice(outputs[k], F.interpolate(TARGET, size=outputs[k].shape[2:], mode="nearest-exact"))
            for w, k in zip(expected_weights, keys)
        )
        torch.testing.assert_close(value, expected)

    @parameterized.expand([("same", [1.0, 1.0, 1.0, 1.0]), ("two", [1.0, 0.5, 0.5, 0.5])])
    def test_weight_modes(self, weight_mode, expected_weights):
        outputs = {k: torch.zeros_like(v) for k, v in refinenet_like_outputs().items()}  # p = 0.5 everywhere
        target = torch.ones(2, 1, 16, 16)  # every output's Dice loss is 1 - 2 * 0.5 / 1.5 = 1/3
        value = DeepSupervisionDictLoss(DiceLoss(sigmoid=True, smooth_nr=0, smooth_dr=0), weight_mode=weight_mode)
        torch.testing.assert_close(value(outputs, target), torch.tensor(sum(expected_weights) / 3))

    def test_tensor_passes_through(self):
        logits = torch.randn(2, 1, 16, 16)
        torch.testing.assert_close(DeepSupervisionDictLoss(DiceLoss())(logits, TARGET), DiceLoss()(logits, TARGET))

    def test_trains_refinenet(self):
        """A few Adam steps on one batch lower the supervised loss of every output, refined and sides."""
        torch.manual_seed(0)
        net = RefineNet(2, features=(4, 4, 8, 8, 4), refine_features=4)
        x, target = torch.rand(2, 3, 16, 16), torch.zeros(2, 1, 16, 16)
        target[:, :, 4:12, 4:12] = 1
        loss, dice = DeepSupervisionDictLoss(DiceLoss(sigmoid=True)), DiceLoss(sigmoid=True, reduction="none")
        optimizer = torch.optim.Adam(net.parameters(), lr=0.01)

        def per_output() -> dict[str, float]:
            with torch.no_grad():
                out = net.eval()(x)
            net.train()
            small = {k: F.interpolate(target, size=v.shape[2:], mode="nearest-exact") for k, v in out.items()}
            return {k: float(dice(v, small[k]).mean()) for k, v in out.items()}

        before = per_output()
        for _ in range(25):
            optimizer.zero_grad()
            loss(net(x), target).backward()
            optimizer.step()
        after = per_output()
        assert all(after[k] < before[k] - 0.05 for k in before), (before, after)

    def test_missing_output(self):
        outputs = refinenet_like_outputs()
        del outputs[RefineOutputs.SIDE_4]
        with pytest.raises(ValueError, match="input is missing the outputs \\['side_4'\\]"):
            DeepSupervisionDictLoss(DiceLoss())(outputs, TARGET)

    @parameterized.expand(
        [
            ({"keys": ()}, "keys"),
            ({"weight_mode": "linear"}, "weight_mode"),
            ({"weights": [1.0, 0.5]}, "weights"),
            ({"weights": [1.0, 0.5, -0.5, 0.1]}, "weights"),
        ]
    )
    def test_bad_arguments(self, kwargs, name):
        with pytest.raises(ValueError, match=name):
            DeepSupervisionDictLoss(DiceLoss(), **kwargs)


def test_dict_loss_takes_a_label_target_of_one_channel():
    """With ``to_onehot_y`` the target is a label map ``(B, 1, *spatial)`` against ``C`` output channels: only batch and
    spatial size must match the full-resolution output; the value is the weighted sum of the one-hot Dice losses."""
    outputs = {k: torch.randn(2, 3, *(16 // s,) * 2) for k, s in zip(("a", "b"), (1, 2))}
    label = torch.randint(0, 3, (2, 1, 16, 16)).float()
    dice = DiceLoss(to_onehot_y=True, softmax=True)
    value = DeepSupervisionDictLoss(dice, weight_mode="same", keys=("a", "b"))(outputs, label)
    half = F.interpolate(label, size=(8, 8), mode="nearest-exact")  # as MONAI's DeepSupervisionLoss resizes it
    torch.testing.assert_close(value, dice(outputs["a"], label) + dice(outputs["b"], half))
