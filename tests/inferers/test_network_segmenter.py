from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.inferers import Inferer

from monai_refine.inferers import NetworkSegmenter, SliceGrid
from monai_refine.networks.nets import RefineNet
from monai_refine.utils import RefineOutputs


class _PriorLogits(torch.nn.Module):
    """Returns the prior channel as logits and records what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(20.0))
        self.shapes: list[tuple[int, ...]] = []
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.shapes.append(tuple(x.shape))
        self.modes.append(self.training)
        return self.scale * (x[:, 1:2] - 0.5)


def _slice(shape=(100, 120)):
    prior = np.zeros((1, *shape), bool)
    prior[0, 30:70, 40:90] = True
    return np.zeros((1, *shape), np.float32), prior, np.zeros((2, *shape), bool)


def test_grid_crop_and_back():
    network = _PriorLogits()
    image, prior, seeds = _slice()
    out = NetworkSegmenter(network, grid=SliceGrid(size=32, spacing=2.5))(image, prior, seeds, (0.5, 0.5))
    assert network.shapes == [(1, 4, 32, 32)]  # image, prior and two seed maps on the 32² grid
    assert out.shape == (1, 100, 120) and out.dtype == np.float32
    # 20 mm × 25 mm prior through 2.5 mm pixels and back: its area survives within one grid pixel's rim
    assert abs(int((out > 0.5).sum()) - int(prior.sum())) < 0.1 * prior.sum()
    assert not (out[0, :25] > 0.5).any() and not (out[0, :, :35] > 0.5).any()


def test_restores_the_callers_mode_and_builds_without_side_effects():
    network = _PriorLogits()
    network.train()
    segmenter = NetworkSegmenter(network, channels=("image", "prior"))
    assert network.training  # no .eval() at construction
    segmenter(*_slice(), (1.0, 1.0))
    assert network.modes == [False] and network.training  # evaluated in eval mode, then restored
    network.eval()
    segmenter(*_slice(), (1.0, 1.0))
    assert not network.training


def test_quality_is_returned_as_a_probability():
    torch.manual_seed(0)
    net = RefineNet(2, in_channels=4, features=(4, 4, 8, 8, 8, 4), refine_features=4, quality_head=True)
    segmenter = NetworkSegmenter(
        net,
        grid=SliceGrid(32, 2.0),
        output_key=RefineOutputs.REFINED,
        quality_key=RefineOutputs.QUALITY,
        quality_logits=True,
    )
    probability, quality = segmenter(*_slice(), (1.0, 1.0))
    assert probability.shape == (1, 100, 120) and 0.0 < quality < 1.0
    with torch.no_grad():
        x = torch.rand(1, 4, 32, 32)
        net.eval()
        logit = float(net(x)[RefineOutputs.QUALITY][0, 0])
    assert isinstance(logit, float)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_runs_on_cuda():
    network = _PriorLogits()
    out = NetworkSegmenter(network, grid=SliceGrid(32, 2.5), device="cuda")(*_slice(), (0.5, 0.5))
    assert isinstance(out, np.ndarray) and next(network.parameters()).device.type == "cuda"


def test_bad_arguments():
    with pytest.raises(ValueError, match="channels must name"):
        NetworkSegmenter(_PriorLogits(), channels=("image", "label"))
    with pytest.raises(ValueError, match="sigma must be"):
        NetworkSegmenter(_PriorLogits(), sigma=0.0)
    with pytest.raises(ValueError, match="output_key"):
        net = RefineNet(2, in_channels=4, features=(4, 4, 8, 8, 8, 4), refine_features=4)
        NetworkSegmenter(net)(*_slice((32, 32)), (1.0, 1.0))


class _FirstChannel(torch.nn.Module):
    """No parameters: the logits are the first input channel; optionally a constant quality (a logit)."""

    def __init__(self, quality: float | None = None) -> None:
        super().__init__()
        self.quality = quality

    def forward(self, x):
        if self.quality is not None:
            return {"logits": x[:, :1], "quality": torch.full((x.shape[0], 1), self.quality)}
        return x[:, :1]


def test_seed_map_uses_sigma_and_quality_logits_are_squashed():
    """With the foreground seed map as the logits, 1 mm from a seed the probability is sigmoid(exp(-0.5 / sigma^2));
    a quality logit of 0 is 0.5 with ``quality_logits`` and 0 without, a logit of ln 3 is 3/4 (odds 3:1) with it."""
    image = np.zeros((1, 5, 5), dtype=np.float32)
    seeds = np.zeros((2, 5, 5), dtype=bool)
    seeds[0, 2, 2] = seeds[1, 0, 0] = True
    for sigma in (1.0, 2.0):
        segmenter = NetworkSegmenter(_FirstChannel(), channels=("seed_map",), sigma=sigma)
        probability = segmenter(image, image > 0, seeds, (1.0, 1.0))
        expected = 1 / (1 + np.exp(-np.exp(-0.5 / sigma**2)))
        np.testing.assert_allclose(probability[0, 2, 3], expected, rtol=1e-5)
    for quality, logits, expected in ((0.0, True, 0.5), (0.0, False, 0.0), (np.log(3.0), True, 0.75)):
        segmenter = NetworkSegmenter(
            _FirstChannel(quality=quality), channels=("image",), output_key="logits", quality_key="quality",
            quality_logits=logits,
        )  # fmt: skip
        assert segmenter(image, image > 0, seeds, (1.0, 1.0))[1] == pytest.approx(expected)


def test_outside_the_field_of_view_is_background():
    """A 16 mm field of view on a 100 × 120 slice: every pixel outside it gets probability 0, not sigmoid(0) = 0.5
    (which the propagator's 0.5 threshold would take as foreground)."""
    image, prior, seeds = _slice()
    out = NetworkSegmenter(_PriorLogits(), grid=SliceGrid(size=16, spacing=1.0))(image, prior, seeds, (1.0, 1.0))
    assert out[0, 0, 0] == 0.0 and int((out >= 0.5).sum()) == 16 * 16  # the prior fills the whole field of view


def test_without_a_grid_the_channels_are_in_order():
    network = _PriorLogits()
    image, prior, seeds = _slice()
    out = NetworkSegmenter(network, channels=("image", "prior"))(image + 0.25, prior, seeds, (1.0, 1.0))
    np.testing.assert_array_equal(out > 0.5, prior)  # channel 1 is the prior, channel 0 the image


def test_seed_maps_without_a_grid_are_in_mm_of_the_slice():
    """At 2 x 1 mm pixels the seed map is exp(-d² / 2σ²) of the distance in mm: one pixel along the rows is 2 mm, one
    along the columns 1 mm (with the foreground map as the logits)."""
    image = np.zeros((1, 5, 5), np.float32)
    seeds = np.zeros((2, 5, 5), bool)
    seeds[0, 2, 2] = True
    segmenter = NetworkSegmenter(_FirstChannel(), channels=("seed_map",), sigma=2.0)
    probability = segmenter(image, image > 0, seeds, (2.0, 1.0))
    for (row, col), mm in (((3, 2), 2.0), ((2, 3), 1.0)):
        np.testing.assert_allclose(probability[0, row, col], 1 / (1 + np.exp(-np.exp(-(mm**2) / 8))), rtol=1e-5)


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_seed_map_on_the_grid_uses_sigma(sigma):
    """A 9-pixel grid of 1 mm on a 9 x 9 slice of 1 mm pixels, centred on the slice's centre (4, 4) (the prior is
    empty): grid and slice pixels coincide, so 1 mm from the seed the probability is sigmoid(exp(-0.5 / sigma^2)), as
    without a grid (with the foreground map as the logits)."""
    image = np.zeros((1, 9, 9), dtype=np.float32)
    seeds = np.zeros((2, 9, 9), dtype=bool)
    seeds[0, 4, 4] = True
    segmenter = NetworkSegmenter(_FirstChannel(), channels=("seed_map",), sigma=sigma, grid=SliceGrid(9, 1.0))
    probability = segmenter(image, image > 0, seeds, (1.0, 1.0))
    expected = 1 / (1 + np.exp(-np.exp(-0.5 / sigma**2)))
    for row, col in ((4, 5), (3, 4)):
        np.testing.assert_allclose(probability[0, row, col], expected, rtol=1e-5)
    np.testing.assert_allclose(probability[0, 4, 4], 1 / (1 + np.exp(-1.0)), rtol=1e-5)


class _PlusOne(Inferer):
    def __call__(self, inputs, network, *args, **kwargs):
        return network(inputs) + 1.0


def test_the_network_runs_through_the_inferer():
    """An inferer that adds 1 to the logits turns an image of zeros (logit 0, probability 0.5) into sigmoid(1)."""
    image = np.zeros((1, 4, 4), np.float32)
    segmenter = NetworkSegmenter(_FirstChannel(), channels=("image",), inferer=_PlusOne())
    out = segmenter(image, image > 0, np.zeros((2, 4, 4), bool), None)
    np.testing.assert_allclose(out, np.full((1, 4, 4), 1 / (1 + np.exp(-1.0))), rtol=1e-6)
