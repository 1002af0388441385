from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import ScaleIntensityRangePercentiles
from skimage import color

from monai_refine.transforms import ColorSpaceChannels, RandPercentileContrast
from tests.utils import TEST_NDARRAYS

# R, G, B, H, S, V, L/100 of a few colours, by hand (L* of sRGB primaries from the CIE formulas, D65)
KNOWN = [
    ((255, 0, 0), (1, 0, 0, 0, 1, 1, 0.53241)),
    ((0, 255, 0), (0, 1, 0, 1 / 3, 1, 1, 0.87735)),
    ((0, 0, 255), (0, 0, 1, 2 / 3, 1, 1, 0.32297)),
    ((255, 255, 255), (1, 1, 1, 0, 0, 1, 1.0)),
    ((0, 0, 0), (0, 0, 0, 0, 0, 0, 0.0)),
]


@pytest.mark.parametrize("rgb, expected", KNOWN)
def test_known_colours(rgb, expected):
    img = np.broadcast_to(np.array(rgb, dtype=np.uint8)[:, None, None], (3, 2, 2))
    np.testing.assert_allclose(ColorSpaceChannels()(img)[:, 0, 0], expected, atol=1e-4)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_matches_skimage_on_random_colours(ndim, convert):
    rgb = np.random.default_rng(0).integers(0, 256, (3,) + (4,) * ndim).astype(np.uint8)
    out = ColorSpaceChannels(spaces=("rgb", "hsv", "lab", "lab_l", "gray"))(convert(rgb))
    assert type(out) is type(convert(rgb)) and tuple(out.shape) == (11,) + (4,) * ndim
    assert out.dtype in (np.float32, torch.float32)
    last = np.moveaxis(rgb / 255.0, 0, -1)
    lab = color.rgb2lab(last)
    expected = np.concatenate(
        [
            last,
            color.rgb2hsv(last),
            lab[..., :1] / 100,
            (lab[..., 1:] + 128) / 255,
            lab[..., :1] / 100,
            color.rgb2gray(last)[..., None],
        ],
        axis=-1,
    )
    np.testing.assert_allclose(np.asarray(out), np.moveaxis(expected, -1, 0), atol=1e-5)
    assert 0 <= np.asarray(out).min() and np.asarray(out).max() <= 1


def test_unit_range_input_and_metadata():
    rgb = MetaTensor(torch.rand(3, 5, 5), affine=torch.diag(torch.tensor([0.1, 0.1, 1.0, 1.0])))
    out = ColorSpaceChannels(max_value=1.0)(rgb)
    assert isinstance(out, MetaTensor) and torch.equal(out.affine, rgb.affine)
    np.testing.assert_allclose(out[:3].numpy(), rgb.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "img, match",
    [
        (np.zeros((4, 4, 4)), "RGB"),
        (np.zeros((3, 4)), "RGB"),
        (np.full((3, 4, 4), -1.0), "0, max_value"),
        (np.full((3, 4, 4), 256.0), "0, max_value"),
        (np.full((3, 4, 4), np.nan), "NaN"),
    ],
)
def test_colour_bad_inputs(img, match):
    with pytest.raises(ValueError, match=match):
        ColorSpaceChannels()(img)


def test_colour_value_range_follows_max_value():
    """Values are checked against ``max_value``, not 8-bit: 2.0 is refused with ``max_value=1``, and a 12-bit image
    (``max_value=4095``) is accepted with its full red at R = 1."""
    with pytest.raises(ValueError, match="max_value=1"):
        ColorSpaceChannels(max_value=1.0)(np.full((3, 2, 2), 2.0))
    rgb = np.zeros((3, 2, 2))
    rgb[0] = 4095.0
    out = ColorSpaceChannels(spaces=("rgb",), max_value=4095.0)(rgb)
    np.testing.assert_allclose(out[:, 0, 0], [1.0, 0.0, 0.0])


@pytest.mark.parametrize("kwargs", [{"spaces": ("rgb", "xyz")}, {"spaces": ()}, {"max_value": 0}])
def test_colour_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ColorSpaceChannels(**kwargs)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_fixed_percentiles_match_monai_per_channel(ndim, convert):
    img = np.random.default_rng(1).uniform(0, 255, (2,) + (6,) * ndim).astype(np.float32)
    out = RandPercentileContrast(lower_range=(5, 5), upper_range=(95, 95))(convert(img))
    assert type(out) is type(convert(img)) and out.shape == img.shape
    for c in range(2):
        lo, hi = np.percentile(img[c], (5, 95))
        np.testing.assert_allclose(np.asarray(out[c]), np.clip((img[c] - lo) / (hi - lo), 0, 1), atol=1e-5)
    whole = RandPercentileContrast(lower_range=(5, 5), upper_range=(95, 95), channel_wise=False)(img)
    np.testing.assert_allclose(whole, ScaleIntensityRangePercentiles(5, 95, 0, 1, clip=True)(img), atol=1e-6)


def test_random_percentiles_reproducible_and_within_ranges():
    img = np.random.default_rng(2).uniform(0, 255, (3, 8, 8)).astype(np.float32)
    stretch = RandPercentileContrast(lower_range=(1, 10), upper_range=(90, 99)).set_random_state(0)
    first = stretch(img)
    assert ((stretch.percentiles[:, 0] >= 1) & (stretch.percentiles[:, 0] <= 10)).all()
    assert ((stretch.percentiles[:, 1] >= 90) & (stretch.percentiles[:, 1] <= 99)).all()
    assert len(set(stretch.percentiles[:, 0])) == 3
    np.testing.assert_array_equal(
        RandPercentileContrast(lower_range=(1, 10), upper_range=(90, 99)).set_random_state(0)(img), first
    )
    assert RandPercentileContrast(prob=0.0)(img) is img


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"prob": -0.5}, "prob"),
        ({"lower_range": (10, 5)}, "lower_range"),
        ({"upper_range": (90, 101)}, "upper_range"),
        ({"lower_range": (5, 95), "upper_range": (90, 99)}, "lower_range"),
        ({"b_min": 1.0, "b_max": 0.0}, "b_min"),
    ],
)
def test_contrast_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandPercentileContrast(**kwargs)


def test_contrast_bad_inputs():
    with pytest.raises(ValueError, match="NaN"):
        RandPercentileContrast()(np.full((1, 4, 4), np.nan))
    with pytest.raises(ValueError, match="channel-first"):
        RandPercentileContrast()(np.zeros(4))
    stretch = RandPercentileContrast()
    stretch(np.random.default_rng(0).random((2, 4, 4)))
    with pytest.raises(ValueError, match="channels"):
        stretch(np.zeros((3, 4, 4)), randomize=False)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_contrast_accepts_integer_images(dtype, convert):
    """LoadImaged(dtype=None) delivers dermoscopy JPEGs as uint8: the stretch works on them as on floats."""
    img = np.random.default_rng(3).integers(0, 256, (3, 8, 8)).astype(dtype)
    out = RandPercentileContrast(lower_range=(5, 5), upper_range=(95, 95))(convert(img))
    assert out.dtype in (np.float32, torch.float32)
    for c in range(3):
        lo, hi = np.percentile(img[c].astype(float), (5, 95))
        np.testing.assert_allclose(np.asarray(out[c]), np.clip((img[c] - lo) / (hi - lo), 0, 1), atol=1e-5)


def test_contrast_constant_channel_and_unclipped_range():
    img = np.stack([np.full((4, 4), 7.0), np.arange(16.0).reshape(4, 4)]).astype(np.float32)
    out = RandPercentileContrast(lower_range=(0, 0), upper_range=(50, 50), b_min=-1, b_max=1, clip=False)(img)
    np.testing.assert_array_equal(out[0], np.full((4, 4), -1.0))  # equal percentiles: b_min, as MONAI's
    # channel 1: 0th percentile 0, 50th 7.5 -> -1 and 1; 15 maps to -1 + 2 * 15 / 7.5 = 3 (unclipped)
    assert float(out[1, 0, 0]) == -1.0 and float(out[1, 3, 3]) == pytest.approx(3.0)


def test_contrast_equal_percentiles_give_b_min_even_where_values_differ():
    """Equal percentiles map the whole channel to ``b_min``, the values beyond them too (not a shift by the lower
    percentile): 95 zeros and 5 fives, the 0th-10th and 90th-94th percentiles all 0 (ranks up to 0.94 * 99 = 93)."""
    img = np.zeros((1, 10, 10), dtype=np.float32)
    img[0, 0, :5] = 5.0
    out = RandPercentileContrast(lower_range=(0, 10), upper_range=(90, 94), b_min=-1, b_max=2, clip=False)(img)
    np.testing.assert_array_equal(out, np.full((1, 10, 10), -1.0, dtype=np.float32))


def test_contrast_0th_and_100th_percentiles_are_the_minimum_and_maximum():
    img = np.array([[[2.0, 4.0], [6.0, 10.0]]], dtype=np.float32)
    out = RandPercentileContrast(lower_range=(0, 0), upper_range=(100, 100))(img)
    np.testing.assert_allclose(out[0], [[0.0, 0.25], [0.5, 1.0]])  # (v - 2) / (10 - 2)


@pytest.mark.parametrize("bad", ["image.png", None, [[1, 2], [3, 4]]])
def test_non_arrays_are_named(bad):
    for transform in (RandPercentileContrast(), ColorSpaceChannels()):
        with pytest.raises(ValueError, match="img must be a numpy array or torch tensor"):
            transform(bad)


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_colour_refuses_unit_range_rgb_with_max_value_255(convert):
    rgb = np.random.default_rng(4).random((3, 4, 4))
    with pytest.raises(ValueError, match="max_value=1.0"):
        ColorSpaceChannels()(convert(rgb))
    assert float(ColorSpaceChannels(max_value=1.0)(convert(rgb))[0].max()) == pytest.approx(rgb[0].max(), abs=1e-6)
    dark = np.zeros((3, 4, 4), dtype=np.uint8)
    dark[0, 0, 0] = 1  # an 8-bit image with values 0 and 1 only is a (very dark) 8-bit image, not refused
    assert float(ColorSpaceChannels()(dark)[0, 0, 0]) == pytest.approx(1 / 255)


def test_backends_are_what_the_transforms_compute_with():
    from monai.utils import TransformBackends

    assert ColorSpaceChannels.backend == [TransformBackends.NUMPY]  # skimage conversions
    assert RandPercentileContrast.backend == [TransformBackends.TORCH]
    img = torch.rand(2, 6, 6, dtype=torch.float64)
    out = RandPercentileContrast()(img)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.device == img.device


@pytest.mark.parametrize(
    "spaces, expected",
    [
        ("green", [0.4]),  # G / 255 of (255, 102, 0)
        ("rgb", [1.0, 0.4, 0.0]),
        ("hsv", [0.4 / 6, 1.0, 1.0]),  # hue 24° (max R, (G - B) / (max - min) = 0.4 of 60°)
    ],
)
def test_a_single_space_name_is_one_space(spaces, expected):
    """``spaces="hsv"`` is the space HSV, as ``("hsv",)`` is, not the letters "h", "s" and "v" (docstring)."""
    rgb = np.zeros((3, 2, 2), np.uint8)
    rgb[0], rgb[1] = 255, 102
    transform = ColorSpaceChannels(spaces=spaces)
    assert transform.spaces == (spaces,)
    out = transform(rgb)
    assert out.shape == (len(expected), 2, 2)
    np.testing.assert_allclose(out[:, 0, 0], expected, atol=1e-6)
