"""CDNN's loss is the Jaccard distance of paper 003, MONAI's ``DiceLoss(jaccard=True, squared_pred=True)``."""

from __future__ import annotations

import torch
from monai.losses import DiceLoss

from monai_refine.networks.nets import CDNN


def test_monai_jaccard_is_the_cdnn_loss():
    """The loss CDNN's docstring prescribes gives the paper's value on a hand-checked example."""
    assert "DiceLoss(sigmoid=True, jaccard=True, squared_pred=True)" in " ".join(CDNN.__doc__.split())
    # Yuan and Lo 2019: L = 1 - sum(t p) / (sum(t^2) + sum(p^2) - sum(t p)), per image
    # image 0: t = (1, 1, 0, 0), p = (1, 0.5, 0.5, 0): tp = 1.5, t^2 = 2, p^2 = 1.5 -> 1 - 1.5 / 2 = 0.25
    # image 1: t = (1, 0, 0, 0), p = (1, 0, 0, 0): a perfect prediction -> 0
    t = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    p = torch.tensor([[[[1.0, 0.5], [0.5, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    logits = torch.logit(p, eps=1e-7)
    loss = DiceLoss(sigmoid=True, jaccard=True, squared_pred=True, smooth_nr=0.0, smooth_dr=0.0, reduction="none")
    torch.testing.assert_close(loss(logits, t).reshape(-1), torch.tensor([0.25, 0.0]), atol=1e-5, rtol=0)
    # squared_pred matters: p = (0.5, 0.5, 0, 0): tp = 1, t^2 = 2, p^2 = 0.5 -> 1 - 1 / 1.5 = 1/3 (not 1/2)
    p2 = torch.tensor([[[[0.5, 0.5], [0.0, 0.0]]]])
    torch.testing.assert_close(loss(torch.logit(p2), t[:1]).reshape(-1), torch.tensor([1 / 3]), atol=1e-5, rtol=0)
