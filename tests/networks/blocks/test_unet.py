"""Tests for ``monai_refine.networks.blocks``: the U-Net encoder/decoder stacks pass their arguments to every level."""

from __future__ import annotations

import pytest
import torch.nn as nn

from monai_refine.networks.blocks import UNetEncoder, UNetFeatures


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_encoder_dropout_reaches_every_level(dropout):
    """Each level is two convolutions, each with its dropout layer at the encoder's ``dropout``."""
    encoder = UNetEncoder(2, 1, (4, 8, 8), act="relu", norm="batch", dropout=dropout)
    ratios = [[m.p for m in level.modules() if isinstance(m, nn.Dropout)] for level in encoder.levels]
    assert ratios == [[dropout, dropout]] * 3


@pytest.mark.parametrize("upsample, deconvolutions, upsamplers", [("deconv", 2, 0), ("nontrainable", 0, 2)])
def test_features_upsample_mode_reaches_the_decoder(upsample, deconvolutions, upsamplers):
    """Features (4, 8, 8, 4): three encoder levels, so two decoder stages, each upsampling once in the given mode."""
    unet = UNetFeatures(2, 1, (4, 8, 8, 4), act="relu", norm="batch", upsample=upsample)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in unet.modules()) == deconvolutions
    assert sum(isinstance(m, nn.Upsample) for m in unet.modules()) == upsamplers
