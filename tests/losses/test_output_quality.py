from __future__ import annotations

import pytest
import torch
from monai.losses import DiceLoss

from monai_refine.losses import DeepSupervisionDictLoss, OutputQualityLoss
from monai_refine.networks.nets import RefineNet
from monai_refine.utils import RefineOutputs


def _segmentation(out, target):
    return DiceLoss(sigmoid=True)(out["refined"], target)


def test_achieved_dice_hand_checked():
    logits = torch.full((3, 1, 4, 4), -1.0)
    target = torch.zeros(3, 1, 4, 4)
    logits[0, 0, :2] = 1.0  # 8 predicted, 4 of them right, 8 true: Dice 2·4 / 16
    target[0, 0, 1:3] = 1
    logits[1, 0, 0, 0] = 1.0  # a prediction where the label is empty: Dice 0
    torch.testing.assert_close(OutputQualityLoss.achieved_dice(logits, target), torch.tensor([0.5, 0.0, 1.0]))


def test_quality_term_is_the_squared_error_to_the_achieved_dice():
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 1:3] = 1
    out = {"refined": torch.where(target > 0, 10.0, -10.0), "quality": torch.tensor([[0.0]])}  # σ(0) = 0.5
    loss = OutputQualityLoss(_segmentation, lambda_quality=2.0)
    base = _segmentation(out, target)
    assert float(loss(out, target) - base) == pytest.approx(2.0 * 0.25)
    with pytest.raises(ValueError, match="missing the outputs"):
        loss({"refined": out["refined"]}, target)
    with pytest.raises(ValueError, match="lambda_quality"):
        OutputQualityLoss(_segmentation, lambda_quality=-1.0)


def test_refinenet_quality_head_learns():
    torch.manual_seed(0)
    net = RefineNet(2, in_channels=4, features=(4, 4, 8, 8, 8, 4), refine_features=4, quality_head=True)
    loss = OutputQualityLoss(DeepSupervisionDictLoss(DiceLoss(sigmoid=True)))
    x, y = torch.rand(4, 4, 32, 32), (torch.rand(4, 1, 32, 32) > 0.5).float()
    out = net(x)
    assert out[RefineOutputs.QUALITY].shape == (4, 1)
    optimizer = torch.optim.Adam(net.parameters(), 1e-2)
    losses = []
    for _ in range(15):
        value = loss(net(x), y)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        losses.append(float(value.detach()))
    assert losses[-1] < losses[0]
    assert RefineOutputs.QUALITY not in RefineNet(2, in_channels=4, features=(4, 4, 8, 8, 8, 4))(x)


def test_achieved_dice_thresholds_logits_at_zero():
    """Logits ±0.3 (probabilities 0.57 and 0.43): the positive ones are the output mask."""
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, :2] = 1
    logits = torch.where(target > 0, 0.3, -0.3)
    torch.testing.assert_close(OutputQualityLoss.achieved_dice(logits, target), torch.tensor([1.0]))
