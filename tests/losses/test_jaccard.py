"""CDNN's Jaccard distance is MONAI's DiceLoss(jaccard=True, squared_pred=True): pin that it is the paper's formula."""

from __future__ import annotations

import torch
from monai.losses import DiceLoss


def test_monai_jaccard_is_the_cdnn_loss():
    torch.manual_seed(0)
    p = torch.rand(2, 1, 8, 8)
    t = (torch.rand(2, 1, 8, 8) > 0.5).float()
    # Yuan and Lo 2019: L = 1 - sum(t p) / (sum(t^2) + sum(p^2) - sum(t p)), per image
    tp = (t * p).sum(dim=(1, 2, 3))
    paper = 1 - tp / ((t**2).sum(dim=(1, 2, 3)) + (p**2).sum(dim=(1, 2, 3)) - tp)
    monai = DiceLoss(jaccard=True, squared_pred=True, smooth_nr=0.0, smooth_dr=0.0)(p, t)
    torch.testing.assert_close(monai, paper.mean())
