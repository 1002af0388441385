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
