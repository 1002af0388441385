from __future__ import annotations

import pytest
import torch
from parameterized import parameterized

from monai_refine.networks.nets import IterativeUNet
from tests.networks.nets.common import (
    assert_eval_deterministic,
    assert_gradients_reach_every_parameter,
    assert_scriptable_and_exportable,
)

TINY = {"features": (4, 4, 8, 8, 4)}
# spatial_dims, in_channels, prior_channels, out_channels, input spatial shape (odd sizes included)
CASES = [
    (2, 2, 1, 1, (32, 32)),
    (2, 4, 1, 2, (33, 31)),
    (3, 2, 1, 1, (16, 16, 16)),
    (3, 3, 2, 2, (17, 15, 16)),
]


class TestIterativeUNet:
    @parameterized.expand(CASES)
    def test_shape_and_inputs(self, dims, in_channels, prior_channels, out_channels, spatial):
        net = IterativeUNet(dims, in_channels, out_channels, prior_channels, **TINY).eval()
        image = torch.rand(2, in_channels - prior_channels, *spatial)
        prior = torch.full((2, prior_channels, *spatial), 0.5)
        with torch.no_grad():
            out = net(image, prior)
            concatenated = net(torch.cat([image, prior], dim=1))
        assert out.shape == (2, out_channels, *spatial)
        torch.testing.assert_close(out, concatenated)

    def test_narrowest_widths_keep_one_channel_per_branch(self):
        """Layer 1's branches take half of ``f0`` but at least one channel: widths of 1 still build a network whose
        branches have one channel each, and it runs."""
        net = IterativeUNet(2, features=(1, 1, 2, 2, 1)).eval()
        assert net.image_conv.conv.out_channels == net.prior_conv.conv.out_channels == 1
        with torch.no_grad():
            assert net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)).shape == (1, 1, 16, 16)

    def test_prior_matters(self):
        net = IterativeUNet(2, **TINY).eval()
        image = torch.rand(1, 1, 16, 16)
        with torch.no_grad():
            assert not torch.allclose(net(image, torch.zeros_like(image)), net(image, torch.ones_like(image)))

    def test_copy_convolution_reads_the_image_features_then_the_prior_features(self):
        """Layer 2 (docstring): the two layer-1 outputs concatenated, image features first, as the input channels are
        ordered; trained weights rely on that order."""
        net = IterativeUNet(2, **TINY).eval()
        seen = {}
        for name in ("image_conv", "prior_conv"):
            getattr(net, name).register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o))
        net.copy_conv.register_forward_pre_hook(lambda module, args: seen.__setitem__("copy", args[0]))
        with torch.no_grad():
            net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))
        torch.testing.assert_close(seen["copy"], torch.cat([seen["image_conv"], seen["prior_conv"]], dim=1))

    @parameterized.expand([(2,), (3,)])
    def test_level_1_reads_the_encoder_features_then_the_mask_branch(self, dims):
        """Layers 3-4 (docstring): the mask branch's level-1 features are concatenated after the encoder's, as at
        layer 2; the encoder and the decoder's level-1 skip rely on that order."""
        net = IterativeUNet(dims, **TINY).eval()
        seen = {}
        for name in ("down_1", "prior_down_1"):
            getattr(net, name).register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o))
        net.encoder.register_forward_pre_hook(lambda module, args: seen.__setitem__("level_1", args[0]))
        with torch.no_grad():
            net(torch.rand(1, 1, *(16,) * dims), torch.rand(1, 1, *(16,) * dims))
        torch.testing.assert_close(seen["level_1"], torch.cat([seen["down_1"], seen["prior_down_1"]], dim=1))

    def test_gradients(self):
        assert_gradients_reach_every_parameter(IterativeUNet(2, **TINY), torch.rand(2, 2, 16, 16))

    def test_eval_deterministic(self):
        assert_eval_deterministic(IterativeUNet(3, dropout=0.5, **TINY), torch.rand(2, 2, 16, 16, 16))

    @parameterized.expand([(2,), (3,)])
    def test_dropout_reaches_every_convolution(self, dims):
        """``dropout=0.3``: layer 1's two convolutions and the copy convolution have their dropout at 0.3, like the
        U-Net levels and decoder stages, and no dropout layer anywhere has another ratio."""
        net = IterativeUNet(dims, dropout=0.3, **TINY)
        for name in ("image_conv", "prior_conv", "copy_conv"):
            assert [m.p for m in getattr(net, name).modules() if isinstance(m, torch.nn.Dropout)] == [0.3], name
        assert {m.p for m in net.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)} == {0.3}

    def test_script_and_export(self):
        assert_scriptable_and_exportable(IterativeUNet(2, **TINY), torch.rand(2, 2, 33, 31))

    @parameterized.expand(
        [
            ({"spatial_dims": 1}, "spatial_dims"),
            ({"spatial_dims": 4}, "spatial_dims"),
            ({"in_channels": 1}, "in_channels"),
            ({"prior_channels": 0}, "prior_channels"),
            ({"out_channels": 0}, "out_channels"),
            ({"features": (4, 4, 4)}, "features"),
        ]
    )
    def test_bad_arguments(self, kwargs, name):
        args = {"spatial_dims": 2, **TINY, **kwargs}
        with pytest.raises(ValueError, match=name):
            IterativeUNet(**args)

    def test_bad_input_channels(self):
        net = IterativeUNet(2, in_channels=3, prior_channels=1, **TINY)
        with pytest.raises(ValueError, match="in_channels=3"):
            net(torch.rand(1, 2, 16, 16))
        with pytest.raises(ValueError, match="image channels"):
            net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))
        with pytest.raises(ValueError, match="prior must have 1 channels"):
            net(torch.rand(1, 2, 16, 16), torch.rand(1, 2, 16, 16))
        with pytest.raises(ValueError, match="in_channels=3"):
            net(torch.rand(1, 4, 16, 16))  # too many channels too

    def test_branch_widths_follow_the_docstring(self):
        """Layer 1: f0 // 2 per branch; the mask branch's level-1 features: f1 // 2, concatenated to f1."""
        net = IterativeUNet(2, features=(8, 16, 16, 16, 8))
        widths = {}
        for name in ("image_conv", "prior_conv", "copy_conv", "down_1", "prior_down_1"):
            getattr(net, name).register_forward_hook(lambda m, i, o, name=name: widths.__setitem__(name, o.shape[1]))
        with torch.no_grad():
            net.eval()(torch.rand(1, 2, 16, 16))
        assert widths == {"image_conv": 4, "prior_conv": 4, "copy_conv": 8, "down_1": 16, "prior_down_1": 8}
