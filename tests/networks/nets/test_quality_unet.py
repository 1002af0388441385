from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from monai.networks.blocks import SubpixelUpsample
from parameterized import parameterized

from monai_refine.networks.nets import QualityUNet
from monai_refine.utils import RefineOutputs
from tests.networks.nets.common import (
    assert_eval_deterministic,
    assert_gradients_reach_every_parameter,
    assert_scriptable_and_exportable,
)

TINY = {"features": (4, 8, 8, 8, 4)}
# spatial_dims, in_channels, mask_channels, out_channels, input spatial shape (odd sizes included)
CASES = [
    (2, 2, 1, 1, (32, 32)),
    (2, 4, 1, 2, (33, 31)),
    (3, 2, 1, 1, (16, 16, 16)),
    (3, 3, 2, 2, (17, 15, 16)),
]


class TestQualityUNet:
    @parameterized.expand(CASES)
    def test_shapes(self, dims, in_channels, mask_channels, out_channels, spatial):
        net = QualityUNet(dims, in_channels, out_channels, mask_channels, **TINY).eval()
        image = torch.rand(2, in_channels - mask_channels, *spatial)
        mask = torch.rand(2, mask_channels, *spatial)
        with torch.no_grad():
            out = net(image, mask)
            concatenated = net(torch.cat([image, mask], dim=1))
        assert set(out) == {RefineOutputs.MASK, RefineOutputs.QUALITY}
        assert out[RefineOutputs.MASK].shape == (2, out_channels, *spatial)
        quality = out[RefineOutputs.QUALITY]
        assert quality.shape == (2, 1)
        assert ((quality >= 0) & (quality <= 1)).all()
        for key in out:
            torch.testing.assert_close(out[key], concatenated[key])

    def test_default_is_four_levels_of_two_convs_with_32_filters(self):
        net = QualityUNet(2)
        assert len(net.unet.encoder.levels) == 4
        first = net.unet.encoder.levels[0]
        assert len(first) == 2 and first.conv_0.conv.out_channels == 32

    @parameterized.expand([(2,), (3,)])
    def test_quality_head_is_global_average_pooling(self, dims):
        """Paper 002: global average pooling, then two dense layers; ours end with a sigmoid."""
        head = QualityUNet(dims, **TINY).quality_head
        assert isinstance(head[0], nn.AdaptiveAvgPool2d if dims == 2 else nn.AdaptiveAvgPool3d)
        assert [type(m) for m in head[2:]] == [nn.Linear, nn.ReLU, nn.Linear, nn.Sigmoid]

    @parameterized.expand([(("leakyrelu", {"negative_slope": 0.1}), nn.LeakyReLU), ("prelu", nn.PReLU)])
    def test_act_reaches_the_quality_head(self, act, kind):
        """``act`` is the activation of every layer, the quality head's between its two dense layers included."""
        net = QualityUNet(2, act=act, **TINY)
        assert isinstance(net.quality_head[3], kind)
        assert not any(isinstance(m, nn.ReLU) for m in net.modules())
        if kind is nn.LeakyReLU:
            assert net.quality_head[3].negative_slope == 0.1

    def test_first_convolution_reads_the_image_then_the_mask(self):
        """The documented channel order, which trained weights rely on: image channels first, then the mask, whether
        the mask comes concatenated or separately."""
        net = QualityUNet(2, 3, 1, 1, **TINY).eval()
        seen = []
        net.unet.encoder.levels[0].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
        image, mask = torch.rand(1, 2, 16, 16), torch.rand(1, 1, 16, 16)
        with torch.no_grad():
            net(image, mask)
            net(torch.cat([image, mask], dim=1))
        for x in seen:
            torch.testing.assert_close(x, torch.cat([image, mask], dim=1))

    @parameterized.expand(
        [("deconv", nn.ConvTranspose2d), ("pixelshuffle", SubpixelUpsample), ("nontrainable", nn.Upsample)]
    )
    def test_upsample_reaches_the_decoder(self, upsample, kind):
        """``upsample`` picks BasicUNet's upsampling layer (docstring) at each of the 3 decoder stages of 4 levels:
        transposed convolutions, sub-pixel convolutions or interpolation, and no other kind."""
        net = QualityUNet(2, upsample=upsample, **TINY)
        kinds = (nn.ConvTranspose2d, SubpixelUpsample, nn.Upsample)
        assert {k: sum(isinstance(m, k) for m in net.modules()) for k in kinds} == {k: 3 * (k is kind) for k in kinds}

    def test_gradients(self):
        assert_gradients_reach_every_parameter(QualityUNet(2, **TINY), torch.rand(2, 2, 16, 16))

    def test_eval_deterministic(self):
        assert_eval_deterministic(QualityUNet(3, dropout=0.5, **TINY), torch.rand(2, 2, 16, 16, 16))

    def test_script_and_export(self):
        assert_scriptable_and_exportable(QualityUNet(2, **TINY), torch.rand(2, 2, 33, 31))

    @parameterized.expand(
        [
            ({"spatial_dims": 1}, "spatial_dims"),
            ({"in_channels": 1}, "in_channels"),
            ({"mask_channels": 0}, "mask_channels"),
            ({"out_channels": 0}, "out_channels"),
            ({"features": (4, 4)}, "features"),
        ]
    )
    def test_bad_arguments(self, kwargs, name):
        args = {"spatial_dims": 2, **TINY, **kwargs}
        with pytest.raises(ValueError, match=name):
            QualityUNet(**args)

    def test_bad_input_channels(self):
        net = QualityUNet(2, **TINY)
        with pytest.raises(ValueError, match="in_channels=2"):
            net(torch.rand(1, 3, 16, 16))
        with pytest.raises(ValueError, match="mask must have 1 channels"):
            net(torch.rand(1, 1, 16, 16), torch.rand(1, 2, 16, 16))
