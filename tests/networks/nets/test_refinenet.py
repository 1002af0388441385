from __future__ import annotations

import pytest
import torch
from monai.networks.nets import BasicUNet
from parameterized import parameterized

from monai_refine.networks.nets import RefineNet
from monai_refine.utils import RefineOutputs
from tests.networks.nets.common import (
    assert_eval_deterministic,
    assert_gradients_reach_every_parameter,
    assert_scriptable_and_exportable,
)

TINY = {"features": (4, 4, 8, 8, 4), "refine_features": 4}
KEYS = {RefineOutputs.REFINED, RefineOutputs.SIDE_1, RefineOutputs.SIDE_2, RefineOutputs.SIDE_4}
# spatial_dims, in_channels, seed_channels, out_channels, input spatial shape (odd sizes included)
CASES = [
    (2, 3, 2, 1, (32, 32)),
    (2, 5, 2, 2, (33, 31)),
    (3, 3, 2, 1, (16, 16, 16)),
    (3, 4, 1, 2, (17, 15, 16)),
]


def tiny_backbone(dims: int, in_channels: int, out_channels: int) -> BasicUNet:
    return BasicUNet(dims, in_channels, out_channels, features=(4, 4, 4, 4, 4, 4), norm="batch")


class TestRefineNet:
    @parameterized.expand(CASES)
    def test_shapes(self, dims, in_channels, seed_channels, out_channels, spatial):
        net = RefineNet(dims, in_channels, out_channels, seed_channels, **TINY).eval()
        self.check_outputs(net, in_channels, seed_channels, out_channels, spatial)

    @parameterized.expand([(2, (32, 32)), (3, (16, 16, 32))])
    def test_monai_backbone(self, dims, spatial):
        net = RefineNet(dims, backbone=tiny_backbone(dims, 1, 2), out_channels=2, **TINY).eval()
        self.check_outputs(net, 3, 2, 2, spatial)

    @staticmethod
    def check_outputs(net, in_channels, seed_channels, out_channels, spatial):
        image = torch.rand(2, in_channels - seed_channels, *spatial)
        seed_maps = torch.rand(2, seed_channels, *spatial)
        with torch.no_grad():
            out = net(image, seed_maps)
            concatenated = net(torch.cat([image, seed_maps], dim=1))
        assert set(out) == KEYS
        assert out[RefineOutputs.REFINED].shape == out[RefineOutputs.SIDE_1].shape == (2, out_channels, *spatial)
        assert out[RefineOutputs.SIDE_2].shape == (2, out_channels, *(s // 2 for s in spatial))
        assert out[RefineOutputs.SIDE_4].shape == (2, out_channels, *(s // 4 for s in spatial))
        for key in KEYS:
            torch.testing.assert_close(out[key], concatenated[key])

    def test_seed_maps_drive_the_refinement_only(self):
        net = RefineNet(2, **TINY).eval()
        image = torch.rand(1, 1, 16, 16)
        with torch.no_grad():
            fg = net(image, torch.stack([torch.ones(16, 16), torch.zeros(16, 16)])[None])
            bg = net(image, torch.stack([torch.zeros(16, 16), torch.ones(16, 16)])[None])
        assert not torch.allclose(fg[RefineOutputs.REFINED], bg[RefineOutputs.REFINED])
        for key in (RefineOutputs.SIDE_1, RefineOutputs.SIDE_2, RefineOutputs.SIDE_4):
            torch.testing.assert_close(fg[key], bg[key])  # the backbone sees the image alone

    def test_seed_maps_are_average_pooled_to_each_scale(self):
        """A one-pixel foreground seed of value 1 reaches the 1/2x head as 1/4 and the 1/4x head as 1/16 (average
        pooling, as the docstring says; max pooling would give 1 at both)."""
        net = RefineNet(2, **TINY).eval()
        seen = {}
        net.refine_4.register_forward_hook(lambda module, args, out: seen.update(quarter=args[0]))
        net.refine_2.register_forward_hook(lambda module, args, out: seen.update(half=args[1]))
        seed_maps = torch.zeros(1, 2, 16, 16)
        seed_maps[0, 0, 0, 0] = 1.0
        with torch.no_grad():
            net(torch.rand(1, 1, 16, 16), seed_maps)
        for key, size, value in (("half", 8, 0.25), ("quarter", 4, 0.0625)):
            expected = torch.zeros(1, 2, size, size)
            expected[0, 0, 0, 0] = value
            torch.testing.assert_close(seen[key][:, 1:], expected)  # channel 0 is the backbone's side output

    @parameterized.expand([(2, 1, 2, (16, 16)), (3, 2, 1, (8, 8, 8))])
    def test_each_guide_is_the_side_then_the_seed_maps_then_the_image(self, dims, image_channels, out_channels, size):
        """Docstring: the guide is ``cat([side, seed_maps])`` at 1/4x and 1/2x and ``cat([side_1, seed_maps, image])``
        at 1x, in that order (trained weights rely on it): checked with hooks on the backbone and the three stages."""
        net = RefineNet(dims, image_channels + 2, out_channels, 2, **TINY).eval()
        seen = {}
        net.backbone.register_forward_hook(lambda module, args, out: seen.update(sides=out))
        net.refine_4.register_forward_hook(lambda module, args, out: seen.update(quarter=args[0]))
        net.refine_2.register_forward_hook(lambda module, args, out: seen.update(half=args[1]))
        net.refine_1.register_forward_hook(lambda module, args, out: seen.update(full=args[1]))
        image, seed_maps = torch.rand(1, image_channels, *size), torch.rand(1, 2, *size)
        with torch.no_grad():
            net(image, seed_maps)
        pool = torch.nn.functional.avg_pool2d if dims == 2 else torch.nn.functional.avg_pool3d
        side_1, side_2, side_4 = seen["sides"]
        torch.testing.assert_close(seen["full"], torch.cat([side_1, seed_maps, image], dim=1))
        torch.testing.assert_close(seen["half"], torch.cat([side_2, pool(seed_maps, 2)], dim=1))
        torch.testing.assert_close(seen["quarter"], torch.cat([side_4, pool(pool(seed_maps, 2), 2)], dim=1))

    def test_a_custom_backbones_sides_are_average_pooled(self):
        """A backbone that returns its image, values 0..15 on a 4 x 4 grid: the 1/2x side is the mean of each 2 x 2
        block, ((2.5, 4.5), (10.5, 12.5)), and the 1/4x side the mean of those, 7.5 (docstring; max pooling would give
        ((5, 7), (13, 15)) and 15)."""
        net = RefineNet(2, backbone=torch.nn.Identity(), **TINY).eval()
        image = torch.arange(16.0).reshape(1, 1, 4, 4)
        with torch.no_grad():
            out = net(image, torch.zeros(1, 2, 4, 4))
        torch.testing.assert_close(out[RefineOutputs.SIDE_1], image)
        torch.testing.assert_close(out[RefineOutputs.SIDE_2], torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
        torch.testing.assert_close(out[RefineOutputs.SIDE_4], torch.tensor([[[[7.5]]]]))

    def test_quality_head_reads_mean_and_max_of_the_refinement_features(self):
        """The quality head's first layer gets the global average and the global max of the features the final 1x1
        convolution reads (per channel, average first)."""
        net = RefineNet(2, quality_head=True, **TINY).eval()
        seen = {}
        net.final_conv.register_forward_hook(lambda module, args, out: seen.update(features=args[0]))
        net.quality[0].register_forward_hook(lambda module, args, out: seen.update(pooled=args[0]))
        with torch.no_grad():
            net(torch.rand(2, 3, 16, 16))
        features = seen["features"]
        expected = torch.cat([features.mean((2, 3)), features.amax((2, 3))], dim=1)
        assert seen["pooled"].shape == (2, 2 * TINY["refine_features"])
        torch.testing.assert_close(seen["pooled"], expected)

    def test_quality_head_has_a_relu_between_its_layers(self):
        """First layer weights 0 and bias -1 make every hidden unit -1, which the ReLU turns into 0: the quality logit
        is the second layer's bias alone, 0.25 (without the ReLU, 0.25 - 4 with the 4 hidden units)."""
        net = RefineNet(2, quality_head=True, **TINY).eval()
        hidden, output = net.quality[0], net.quality[-1]
        with torch.no_grad():
            hidden.weight.zero_()
            hidden.bias.fill_(-1.0)
            output.weight.fill_(1.0)
            output.bias.fill_(0.25)
            quality = net(torch.rand(2, 3, 16, 16))[RefineOutputs.QUALITY]
        torch.testing.assert_close(quality, torch.full((2, 1), 0.25))

    @parameterized.expand([(2,), (3,)])
    def test_refinement_up_convolutions_keep_the_refine_features(self, dims):
        """The head's two up-convolutions (1/4x to 1/2x, 1/2x to 1x) keep ``refine_features`` channels (BasicUNet's
        ``halves=False``), 4 to 4 here, rather than halving them to 2."""
        net = RefineNet(dims, **TINY)
        deconv = torch.nn.ConvTranspose2d if dims == 2 else torch.nn.ConvTranspose3d
        for stage in (net.refine_2, net.refine_1):
            ups = [(m.in_channels, m.out_channels) for m in stage.modules() if isinstance(m, deconv)]
            assert ups == [(4, 4)]

    @parameterized.expand([(None,), ("basic_unet",)])
    def test_gradients(self, backbone):
        net = RefineNet(2, backbone=tiny_backbone(2, 1, 1) if backbone else None, **TINY)
        assert_gradients_reach_every_parameter(net, torch.rand(2, 3, 16, 16))

    def test_eval_deterministic(self):
        assert_eval_deterministic(RefineNet(3, dropout=0.5, **TINY), torch.rand(2, 3, 16, 16, 16))

    @parameterized.expand([(None,), ("basic_unet",)])
    def test_script_and_export(self, backbone):
        net = RefineNet(2, backbone=tiny_backbone(2, 1, 1) if backbone else None, **TINY)
        assert_scriptable_and_exportable(net, torch.rand(2, 3, 33, 31))

    @parameterized.expand(
        [
            ({"spatial_dims": 1}, "spatial_dims"),
            ({"in_channels": 2}, "in_channels"),
            ({"seed_channels": 0}, "seed_channels"),
            ({"out_channels": 0}, "out_channels"),
            ({"refine_features": 0}, "refine_features"),
            ({"features": (4, 4, 4)}, "features"),
            ({"features": (4, 4, 8, 4)}, "features must have at least 5"),  # accepted, then IndexError in forward
        ]
    )
    def test_bad_arguments(self, kwargs, name):
        args = {"spatial_dims": 2, **TINY, **kwargs}
        with pytest.raises(ValueError, match=name):
            RefineNet(**args)

    @parameterized.expand([((4, 4, 8, 8, 4),), ((4, 4, 8, 8, 8, 4),), ((4, 4, 8, 8, 8, 8, 4),)])
    def test_every_accepted_depth_runs(self, features):
        net = RefineNet(2, features=features, refine_features=4).eval()
        with torch.no_grad():
            out = net(torch.rand(1, 3, 64, 64))
        assert out[RefineOutputs.SIDE_4].shape == (1, 1, 16, 16) and out[RefineOutputs.REFINED].shape == (1, 1, 64, 64)

    def test_bad_input_channels(self):
        net = RefineNet(2, **TINY)
        with pytest.raises(ValueError, match="in_channels=3"):
            net(torch.rand(1, 2, 16, 16))
        with pytest.raises(ValueError, match="seed_maps must have 2 channels"):
            net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))
