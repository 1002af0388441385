"""Properties of the intensity transforms on random images, against ``numpy.percentile`` and ``skimage.color``.

``test_array.py`` checks fixed percentiles with the default ``[0, 1]`` output and the default space order; here the
percentiles are the random ones drawn, the output range, clipping and grouping vary, images have ties (integers),
and the colour spaces come in random orders and at other full-scale values.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import color

from monai_refine.transforms import COLOR_SPACES, ColorSpaceChannels, RandPercentileContrast
from tests.transforms.random_inputs import SEEDS
from tests.utils import TEST_NDARRAYS

LOWER, UPPER = (2.0, 20.0), (70.0, 97.0)


def _stretch(values: np.ndarray, lower: float, upper: float, b_min: float, b_max: float, clip: bool) -> np.ndarray:
    """The documented map of one group of values: its lower/upper percentiles (``np.percentile``) to b_min/b_max."""
    lo, hi = np.percentile(values.astype(np.float64), (lower, upper))
    out = (values - lo) / (hi - lo) * (b_max - b_min) + b_min if hi > lo else np.full(values.shape, b_min)
    return np.clip(out, b_min, b_max) if clip else out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(4, 9, 7), (3, 6, 5, 4)], ids=["2d", "3d"])
@pytest.mark.parametrize("channel_wise", [True, False])
@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("convert", TEST_NDARRAYS[:2], ids=["numpy", "torch"])
def test_random_percentiles_map_to_b_min_and_b_max(shape, channel_wise, clip, convert, seed):
    """The drawn percentiles lie in their ranges, one pair per channel (each channel its own) or one for the whole
    image; the output is ``np.percentile``'s stretch of each channel (or of the whole image) to ``[b_min, b_max]``,
    clipped only with ``clip``; integer images with ties included."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 40, shape).astype(np.int16) * rng.integers(1, 5, (shape[0],) + (1,) * (len(shape) - 1))
    b_min, b_max = -1.5, 2.25
    stretch = RandPercentileContrast(
        lower_range=LOWER, upper_range=UPPER, b_min=b_min, b_max=b_max, clip=clip, channel_wise=channel_wise
    ).set_random_state(seed)
    for _ in range(2):
        out = np.asarray(stretch(convert(img)), dtype=np.float64)
        drawn = np.asarray(stretch.percentiles)
        assert drawn.shape == ((shape[0] if channel_wise else 1), 2)
        assert ((drawn[:, 0] >= LOWER[0]) & (drawn[:, 0] <= LOWER[1])).all()
        assert ((drawn[:, 1] >= UPPER[0]) & (drawn[:, 1] <= UPPER[1])).all()
        if channel_wise:
            assert len(set(drawn[:, 0])) == shape[0] and len(set(drawn[:, 1])) == shape[0]
            expected = np.stack([_stretch(img[c], *drawn[c], b_min, b_max, clip) for c in range(shape[0])])
        else:
            expected = _stretch(img, *drawn[0], b_min, b_max, clip)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
        if not clip:
            assert out.min() < b_min and out.max() > b_max


def test_percentile_draws_cover_their_ranges_and_prob():
    """Over 300 draws the lower and upper percentiles each spread over their whole range (uniform), and ``prob`` is
    the fraction of calls that stretch (the others return the input itself)."""
    img = np.random.default_rng(0).uniform(0, 1, (2, 6, 6)).astype(np.float32)
    stretch = RandPercentileContrast(prob=0.3, lower_range=LOWER, upper_range=UPPER).set_random_state(0)
    drawn, applied = [], 0
    for _ in range(300):
        out = stretch(img)
        if out is not img:
            applied += 1
            drawn.append(np.asarray(stretch.percentiles))
    drawn = np.concatenate(drawn)
    assert 0.22 <= applied / 300 <= 0.38
    for column, (low, high) in enumerate((LOWER, UPPER)):
        width = high - low
        assert drawn[:, column].min() < low + 0.1 * width and drawn[:, column].max() > high - 0.1 * width
        assert abs(drawn[:, column].mean() - (low + high) / 2) < 0.1 * width


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("max_value, dtype", [(255.0, np.uint8), (4095.0, np.uint16), (1.0, np.float64)])
@pytest.mark.parametrize("ndim", [2, 3])
def test_colour_spaces_in_any_order_equal_skimage(max_value, dtype, ndim, seed):
    """Every space of :data:`COLOR_SPACES`, in a random order: each block of channels equals ``skimage.color`` on
    ``rgb / max_value`` with the documented scaling, in the order asked for."""
    rng = np.random.default_rng(seed)
    shape = (3,) + (5,) * ndim
    rgb = rng.uniform(0, max_value, shape) if dtype == np.float64 else rng.integers(0, int(max_value) + 1, shape)
    rgb = rgb.astype(dtype)
    spaces = tuple(rng.permutation(sorted(COLOR_SPACES)))
    out = np.asarray(ColorSpaceChannels(spaces=spaces, max_value=max_value)(torch.as_tensor(rgb.astype(np.float32))))
    unit = np.moveaxis(rgb.astype(np.float64) / max_value, 0, -1)
    lab = color.rgb2lab(unit)
    reference = {
        "rgb": unit,
        "hsv": color.rgb2hsv(unit),
        "lab": np.concatenate([lab[..., :1] / 100, (lab[..., 1:] + 128) / 255], -1),
        "lab_l": lab[..., :1] / 100,
        "gray": color.rgb2gray(unit)[..., None],
        "green": unit[..., 1:2],
    }
    expected = np.moveaxis(np.concatenate([reference[s] for s in spaces], -1), -1, 0)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=2e-5)
