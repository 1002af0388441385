from __future__ import annotations

import numpy as np
import pytest
from monai.transforms import Compose

from monai_refine.transforms import (
    ColorSpaceChannels,
    ColorSpaceChannelsD,
    ColorSpaceChannelsd,
    ColorSpaceChannelsDict,
    RandPercentileContrastD,
    RandPercentileContrastd,
    RandPercentileContrastDict,
)
from tests.utils import TEST_NDARRAYS


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_colour_channels_dict_matches_array(convert):
    assert ColorSpaceChannelsD is ColorSpaceChannelsDict is ColorSpaceChannelsd
    rgb = np.random.default_rng(0).integers(0, 256, (3, 5, 6)).astype(np.uint8)
    out = ColorSpaceChannelsd(["image", "missing"], allow_missing_keys=True, spaces=("hsv",))({"image": convert(rgb)})
    np.testing.assert_allclose(np.asarray(out["image"]), ColorSpaceChannels(spaces=("hsv",))(rgb))
    with pytest.raises(ValueError, match="spaces"):
        ColorSpaceChannelsd("image", spaces=("cmyk",))


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_contrast_dict_shares_one_draw_across_keys(convert):
    assert RandPercentileContrastD is RandPercentileContrastDict is RandPercentileContrastd
    img = np.random.default_rng(1).uniform(0, 255, (2, 6, 6)).astype(np.float32)
    out = RandPercentileContrastd(["a", "b"]).set_random_state(3)({"a": convert(img), "b": convert(img)})
    np.testing.assert_array_equal(np.asarray(out["a"]), np.asarray(out["b"]))
    again = Compose([RandPercentileContrastd(["a", "b"])]).set_random_state(5)
    first = again({"a": img, "b": img})["a"]
    np.testing.assert_array_equal(again.set_random_state(5)({"a": img, "b": img})["a"], first)
    with pytest.raises(ValueError, match="upper_range"):
        RandPercentileContrastd("a", upper_range=(50, 200))


def test_dict_forms_list_their_arguments():
    """No **kwargs pass-through: every argument is a named parameter that reaches the array transform."""
    import inspect

    from monai_refine.transforms import RandPercentileContrast

    for dict_cls, array_cls in (
        (ColorSpaceChannelsd, ColorSpaceChannels),
        (RandPercentileContrastd, RandPercentileContrast),
    ):
        params = inspect.signature(dict_cls.__init__).parameters
        assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params.values())
        assert set(inspect.signature(array_cls.__init__).parameters) - {"self"} <= set(params)
        assert params["keys"].default is inspect.Parameter.empty
    stretch = RandPercentileContrastd("a", prob=0.25, lower_range=(1, 2), upper_range=(80, 90), b_min=-1, b_max=2,
                                      clip=False, channel_wise=False).stretch  # fmt: skip
    assert (stretch.prob, stretch.lower_range, stretch.upper_range) == (0.25, (1.0, 2.0), (80.0, 90.0))
    assert (stretch.b_min, stretch.b_max, stretch.clip, stretch.channel_wise) == (-1.0, 2.0, False, False)
    converter = ColorSpaceChannelsd("a", spaces=("gray",), max_value=1.0).converter
    assert (converter.spaces, converter.max_value) == (("gray",), 1.0)


def test_colour_channels_dict_takes_a_single_space_name():
    rgb = np.zeros((3, 2, 2), np.uint8)
    rgb[1] = 102
    out = ColorSpaceChannelsd(keys="image", spaces="green")({"image": rgb})["image"]
    np.testing.assert_allclose(out, np.full((1, 2, 2), 0.4), atol=1e-6)
