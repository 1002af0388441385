from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from monai.networks.blocks import UpSample
from parameterized import parameterized

from monai_refine.networks.nets import CDNN
from tests.networks.nets.common import (
    assert_eval_deterministic,
    assert_gradients_reach_every_parameter,
    assert_scriptable_and_exportable,
)

TINY = {"features": (4,) * 17}
PAPER_PARAMETERS = 5_042_589  # Yuan and Lo 2019, section III-A


class TestCDNN:
    def test_paper_parameter_count(self):
        net = CDNN(spatial_dims=2, in_channels=7, out_channels=1)
        count = sum(p.numel() for p in net.parameters() if p.requires_grad)
        assert abs(count - PAPER_PARAMETERS) / PAPER_PARAMETERS < 0.02, count

    def test_paper_layers(self):
        net = CDNN(2)
        convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
        assert [c.kernel_size[0] for c in convs] == [3] * 5 + [4] + [3] * 6 + [4] + [3] * 4 + [1]
        assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 17
        assert [m.p for m in net.modules() if isinstance(m, nn.Dropout2d | nn.Dropout)] == [0.5, 0.5]

        assert [type(m) for m in net.modules() if isinstance(m, nn.MaxPool2d | nn.AvgPool2d)] == [nn.MaxPool2d] * 4

    @parameterized.expand([(2,), (3,)])
    def test_pooling_takes_the_maximum(self, dims):
        """Table I's pool layers are 2x max pooling: a block of four values 1, 2, 3, 8 (2D) or eight 1..7, 16 (3D)
        pools to its maximum, 8 or 16, not its mean 3.5 or 4.5."""
        pools = [m for m in CDNN(dims, **TINY).modules() if isinstance(m, nn.modules.pooling._MaxPoolNd)]
        assert len(pools) == 4
        values = [1.0, 2.0, 3.0, 8.0] if dims == 2 else [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 16.0]
        x = torch.tensor(values).reshape((1, 1) + (2,) * dims)
        for pool in pools:
            assert float(pool(x).flatten()[0]) == (8.0 if dims == 2 else 16.0)

    @parameterized.expand([(2,), (3,)])
    def test_upsampling_is_nearest_neighbour(self, dims):
        """The four upsampling layers repeat each value over a 2x block (class docstring: parameter-free
        nearest-neighbour upsampling): values 1..2^dims give each value 2^dims times, not an interpolation."""
        net = CDNN(dims, **TINY)
        ups = [m for m in net.layers if isinstance(m, UpSample)]
        assert len(ups) == 4
        x = torch.arange(1.0, 2**dims + 1).reshape((1, 1) + (2,) * dims)
        expected = x
        for axis in range(2, 2 + dims):
            expected = expected.repeat_interleave(2, dim=axis)
        for layer in ups:
            torch.testing.assert_close(layer(x), expected, rtol=0, atol=0)

    def test_dropout_argument_reaches_both_layers(self):
        net = CDNN(2, dropout=0.2, **TINY)
        assert [m.p for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd)] == [0.2, 0.2]

    def test_bias_argument_reaches_every_layer(self):
        """``bias=False``: none of the 17 Table I layers has a bias (17 x 4 = 68 parameters fewer at width 4); the 1x1
        output layer keeps its own."""
        with_bias, without = CDNN(2, **TINY), CDNN(2, bias=False, **TINY)
        convs = [m for m in without.modules() if isinstance(m, nn.Conv2d)]
        assert [c.bias is None for c in convs] == [True] * 17 + [False]
        count = sum(p.numel() for p in with_bias.parameters()) - sum(p.numel() for p in without.parameters())
        assert count == 68

    @parameterized.expand([(2,), (3,)])
    def test_even_kernels_pad_like_pytorch_same(self, dims):
        """The 4x4 layers pad 1 before and 2 after, as ``padding="same"`` in PyTorch."""
        from monai_refine.networks.nets.cdnn import _same_size_conv

        torch.manual_seed(0)
        layer = _same_size_conv(dims, 1, 1, 4, act=None, norm=None, bias=False)
        conv = [m for m in layer.modules() if isinstance(m, nn.Conv2d | nn.Conv3d)][0]
        reference = (nn.Conv2d if dims == 2 else nn.Conv3d)(1, 1, 4, padding="same", bias=False)
        reference.weight.data.copy_(conv.weight.data)
        x = torch.rand((1, 1) + (8,) * dims)
        torch.testing.assert_close(layer(x), reference(x))

    @parameterized.expand([(2,), (3,)])
    def test_dropout_is_element_wise(self, dims):
        """Paper 003 drops activations, not whole feature maps: in training no channel goes entirely to zero."""
        torch.manual_seed(0)
        drops = [m for m in CDNN(dims, **TINY).train().modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
        assert len(drops) == 2
        for drop in drops:
            out = drop(torch.ones((1, 32) + (8,) * dims))
            zero_fraction = float((out == 0).float().mean())
            assert 0.45 < zero_fraction < 0.55  # p = 0.5 of the elements
            assert int((out.flatten(2) == 0).all(-1).sum()) == 0  # Dropout2d/3d would zero ~16 of 32 maps

    @parameterized.expand([(2, 7, 1, (32, 48)), (2, 3, 2, (16, 16)), (3, 7, 1, (16, 16, 32)), (3, 1, 2, (16, 32, 16))])
    def test_shapes(self, dims, in_channels, out_channels, spatial):
        net = CDNN(dims, in_channels, out_channels, **TINY).eval()
        with torch.no_grad():
            assert net(torch.rand(2, in_channels, *spatial)).shape == (2, out_channels, *spatial)

    @parameterized.expand([((33, 32),), ((40, 48),), ((16, 16, 24),)])
    def test_rejects_sizes_not_divisible_by_16(self, spatial):
        net = CDNN(len(spatial), **TINY)
        with pytest.raises(ValueError, match=r"divisible by 16.*DivisiblePad\(k=16\)"):
            net(torch.rand(1, 7, *spatial))

    def test_gradients(self):
        assert_gradients_reach_every_parameter(CDNN(2, **TINY), torch.rand(2, 7, 32, 32))

    def test_eval_deterministic(self):
        assert_eval_deterministic(CDNN(3, **TINY), torch.rand(2, 7, 16, 16, 16))

    def test_script_and_export(self):
        assert_scriptable_and_exportable(CDNN(2, **TINY), torch.rand(1, 7, 32, 48))

    @parameterized.expand(
        [
            ({"spatial_dims": 1}, "spatial_dims"),
            ({"in_channels": 0}, "in_channels"),
            ({"out_channels": 0}, "out_channels"),
            ({"features": (4,) * 16}, "features"),
            ({"dropout": 1.0}, "dropout"),
        ]
    )
    def test_bad_arguments(self, kwargs, name):
        args = {"spatial_dims": 2, **TINY, **kwargs}
        with pytest.raises(ValueError, match=name):
            CDNN(**args)
