"""CDNN's loss is the Jaccard distance of paper 003, MONAI's ``DiceLoss(jaccard=True, squared_pred=True)``."""

from __future__ import annotations

from pathlib import Path

import torch
from monai.bundle import ConfigParser
from monai.losses import DiceLoss

from monai_refine.networks.nets import CDNN

CDNN_TRAIN = Path(__file__).resolve().parents[2] / "bundles" / "ph2_lesion_cdnn" / "configs" / "train.json"


def test_monai_jaccard_is_the_cdnn_loss():
    """The loss of the CDNN bundle's training config (and of CDNN's docstring) gives the paper's hand values."""
    assert "DiceLoss(sigmoid=True, jaccard=True, squared_pred=True)" in " ".join(CDNN.__doc__.split())
    parser = ConfigParser()
    parser.read_config(CDNN_TRAIN)
    bundle_loss = parser.get_parsed_content("loss")
    # Yuan and Lo 2019: L = 1 - sum(t p) / (sum(t^2) + sum(p^2) - sum(t p)), per image
    # image 0: t = (1, 1, 0, 0), p = (1, 0.5, 0.5, 0): tp = 1.5, t^2 = 2, p^2 = 1.5 -> 1 - 1.5 / 2 = 0.25
    # image 1: t = (1, 0, 0, 0), p = (1, 0, 0, 0): a perfect prediction -> 0
    t = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    p = torch.tensor([[[[1.0, 0.5], [0.5, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    logits = torch.logit(p, eps=1e-7)
    loss = DiceLoss(sigmoid=True, jaccard=True, squared_pred=True, smooth_nr=0.0, smooth_dr=0.0, reduction="none")
    torch.testing.assert_close(loss(logits, t).reshape(-1), torch.tensor([0.25, 0.0]), atol=1e-5, rtol=0)
    # the bundle's loss (MONAI's default smooth terms 1e-5) on p = (0.8, 0.4, 0.2, 0), t = (1, 1, 0, 0):
    # tp = 1.2, t^2 = 2, p^2 = 0.84 -> 1 - 1.2 / 1.64 = 0.2683 (plain Dice 0.2941, squared Dice 0.1549, Jaccard 0.4545)
    p3 = torch.tensor([[[[0.8, 0.4], [0.2, 0.0]]]])
    torch.testing.assert_close(bundle_loss(torch.logit(p3, eps=1e-7), t[:1]), torch.tensor(1 - 1.2 / 1.64), atol=1e-4,
                               rtol=0)  # fmt: skip
    # squared_pred matters: p = (0.5, 0.5, 0, 0): tp = 1, t^2 = 2, p^2 = 0.5 -> 1 - 1 / 1.5 = 1/3 (not 1/2)
    p2 = torch.tensor([[[[0.5, 0.5], [0.0, 0.0]]]])
    torch.testing.assert_close(loss(torch.logit(p2), t[:1]).reshape(-1), torch.tensor([1 / 3]), atol=1e-5, rtol=0)
