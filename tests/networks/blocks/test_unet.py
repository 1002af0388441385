"""Tests for ``monai_refine.networks.blocks``: the U-Net encoder/decoder stacks pass their arguments to every level."""

from __future__ import annotations

import pytest
import torch.nn as nn
from monai.networks.nets import BasicUNet

from monai_refine.networks.blocks import UNetDecoder, UNetEncoder, UNetFeatures


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


@pytest.mark.parametrize("spatial_dims", [2, 3])
def test_features_have_basic_unets_layers(spatial_dims):
    """The same parameters, in the same order, as MONAI's BasicUNet without its output convolution: among them the
    last decoder stage's transposed convolution keeps its 8 channels (``halves=False``) where the others halve."""
    features = (8, 8, 16, 32, 64, 8)
    unet = UNetFeatures(spatial_dims, 1, features, act="relu", norm="batch")
    basic = BasicUNet(spatial_dims, 1, 2, features=features, act="relu", norm="batch")
    assert [p.shape for p in unet.parameters()] == [p.shape for p in basic.parameters()][:-2]
    deconv = nn.ConvTranspose2d if spatial_dims == 2 else nn.ConvTranspose3d
    ups = [(m.in_channels, m.out_channels) for m in unet.modules() if isinstance(m, deconv)]
    assert ups == [(64, 32), (32, 16), (16, 8), (8, 8)]


@pytest.mark.parametrize("skip_channels, features", [((16, 8), (16,)), ((16,), (16, 8))])
def test_decoder_refuses_skips_and_widths_of_different_lengths(skip_channels, features):
    """One stage per skip: a width too few or too many would silently drop a skip (zip) instead of decoding it."""
    with pytest.raises(ValueError, match="same length"):
        UNetDecoder(2, 32, skip_channels, features, act="relu", norm="batch")
