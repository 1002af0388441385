from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.transforms import ColorSpaceChannels, FieldOfViewMask, FieldOfViewMaskd
from tests.utils import TEST_NDARRAYS


def _fundus(size: int = 15) -> np.ndarray:
    """A lit disc of radius 6 (red 150) with a dark lesion inside and a bright speck in the black corner."""
    yy, xx = np.mgrid[:size, :size]
    img = np.zeros((3, size, size))
    disc = (yy - 7) ** 2 + (xx - 7) ** 2 <= 36
    img[0][disc], img[1][disc] = 150.0, 60.0
    img[:, 6:9, 6:9] = 10.0  # a dark 3x3 lesion inside the disc: filled
    img[0, 0, 0] = 250.0  # a speck in the border: dropped
    return img


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_field_of_view_is_the_lit_disc(convert):
    img = _fundus()
    out = FieldOfViewMask()(convert(img))
    assert type(out) is type(convert(img)) and out.shape == (1, 15, 15) and out.dtype in (np.float32, torch.float32)
    yy, xx = np.mgrid[:15, :15]
    np.testing.assert_array_equal(np.asarray(out)[0], ((yy - 7) ** 2 + (xx - 7) ** 2 <= 36).astype(np.float32))
    assert int(np.asarray(out).sum()) == 113  # the lattice points of a radius-6 disc


def test_field_of_view_threshold_and_channel():
    img = _fundus()
    assert int(FieldOfViewMask(threshold=200.0)(img).sum()) == 1  # only the speck is above 200
    assert int(FieldOfViewMask(channel=1, threshold=100.0)(img).sum()) == 0  # green is 60 at most
    assert int(FieldOfViewMask()(np.zeros((3, 4, 4))).sum()) == 0


def test_field_of_view_threshold_is_strict():
    """Foreground where ``img[channel] > threshold``: a disc exactly at the threshold (30, as 8-bit images have) is
    not lit, one grey level above it is."""
    img = _fundus()
    img[0][img[0] > 0] = 30.0  # the disc, its lesion and the speck
    assert int(FieldOfViewMask()(img).sum()) == 0
    img[0][img[0] > 0] = 31.0
    yy, xx = np.mgrid[:15, :15]
    np.testing.assert_array_equal(FieldOfViewMask()(img)[0], ((yy - 7) ** 2 + (xx - 7) ** 2 <= 36).astype(np.float32))


def test_field_of_view_fractional_threshold():
    """The threshold is in the image's units, fractions included: the fundus scaled to [0, 1] (a dark border of 0.05,
    the disc 150 / 255) with the default threshold scaled alike (30 / 255 = 0.118) gives the same radius-6 disc."""
    img = _fundus() / 255.0
    img[0][img[0] == 0] = 0.05
    out = FieldOfViewMask(threshold=30.0 / 255.0)(img)
    yy, xx = np.mgrid[:15, :15]
    np.testing.assert_array_equal(out[0], ((yy - 7) ** 2 + (xx - 7) ** 2 <= 36).astype(np.float32))


def test_field_of_view_keeps_metadata():
    img = MetaTensor(torch.as_tensor(_fundus()), meta={"filename_or_obj": "a.tif"})
    out = FieldOfViewMask()(img)
    assert isinstance(out, MetaTensor) and out.meta["filename_or_obj"] == "a.tif"


@pytest.mark.parametrize(
    "kwargs, img, match",
    [
        ({}, np.zeros((4, 4)), "channel-first 2D"),
        ({}, np.zeros((3, 4, 4, 2)), "channel-first 2D"),  # a 3D volume: the FOV is a 2D fundus notion
        ({"channel": 3}, np.zeros((3, 4, 4)), "more than channel=3"),
        ({}, np.full((3, 4, 4), np.nan), "NaN or Inf"),
    ],
)
def test_field_of_view_bad_input(kwargs, img, match):
    with pytest.raises(ValueError, match=match):
        FieldOfViewMask(**kwargs)(img)


@pytest.mark.parametrize("kwargs", [{"channel": -1}, {"channel": True}, {"threshold": float("inf")}])
def test_field_of_view_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FieldOfViewMask(**kwargs)


def test_field_of_viewd_writes_fov_key():
    img = _fundus()
    d = FieldOfViewMaskd(["image", "missing"], fov_key="mask", threshold=100.0, allow_missing_keys=True)({"image": img})
    assert d["image"] is img and int(d["mask"].sum()) == 113
    assert "fov" in FieldOfViewMaskd("image")({"image": img})
    assert int(FieldOfViewMaskd("image", threshold=200.0)({"image": img})["fov"].sum()) == 1  # only the speck
    assert int(FieldOfViewMaskd("image", channel=1, threshold=100.0)({"image": img})["fov"].sum()) == 0  # green 60


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_green_colour_space(convert):
    rgb = np.zeros((3, 2, 3), dtype=np.uint8)
    rgb[1] = [[0, 51, 102], [153, 204, 255]]
    rgb[0] = 255
    out = ColorSpaceChannels(spaces=("green",))(convert(rgb))
    assert out.shape == (1, 2, 3)
    np.testing.assert_allclose(np.asarray(out)[0], [[0, 0.2, 0.4], [0.6, 0.8, 1.0]], atol=1e-6)
