"""Properties of the classical mask transforms (retina FOV, Otsu lesion) on random images, against their docstrings.

Each mask is rebuilt from its definition with scipy and skimage: the thresholded channel (strict ``>``) or the
channel mean below ``skimage.filters.threshold_otsu``, then the largest 8-connected component with its 4-connected
holes filled (``tests/transforms/post/test_properties.py``). Random integer images have ties with the threshold.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.filters import threshold_otsu

from monai_refine.transforms import FieldOfViewMask, FieldOfViewMaskd, OtsuLesionMask, OtsuLesionMaskd
from tests.transforms.post.test_properties import largest_filled_region_reference
from tests.transforms.random_inputs import SEEDS, random_field
from tests.utils import TEST_NDARRAYS


def _random_image(channels: int, rng: np.random.Generator, shape=(19, 23)) -> np.ndarray:
    """``(channels, *shape)`` 8-bit-valued image (float32), each channel its own rough smooth field."""
    return np.stack([np.round(random_field(shape, rng, sigma=0.9) * 255) for _ in range(channels)]).astype(np.float32)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("channels, channel", [(3, 0), (3, 2), (4, 1)])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_field_of_view_is_the_filled_largest_region_above_the_threshold(channels, channel, seed, convert):
    """``img[channel] > threshold`` (strict: a threshold equal to pixel values, checked), largest 8-connected
    component, 4-connected holes filled; only ``channel`` matters; the dict form writes the same to ``fov_key``."""
    rng = np.random.default_rng(seed)
    img = _random_image(channels, rng)
    threshold = float(np.median(img[channel]))
    assert (img[channel] == threshold).any()
    expected = largest_filled_region_reference(img[channel] > threshold)
    out = FieldOfViewMask(channel=channel, threshold=threshold)(convert(img))
    assert type(out) is type(convert(img)) and tuple(out.shape) == (1, *img.shape[1:])
    np.testing.assert_array_equal(np.asarray(out[0]) > 0, expected)
    others = img.copy()
    others[[c for c in range(channels) if c != channel]] = rng.permutation(others[0].ravel()).reshape(img.shape[1:])
    np.testing.assert_array_equal(np.asarray(FieldOfViewMask(channel, threshold)(others)), np.asarray(out))
    data = FieldOfViewMaskd("image", fov_key="disc", channel=channel, threshold=threshold)({"image": convert(img)})
    np.testing.assert_array_equal(np.asarray(data["disc"]), np.asarray(out))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_otsu_lesion_is_the_filled_largest_region_darker_than_otsu(channels, seed, convert):
    """Grey level = mean of the channels; lesion = grey < skimage's Otsu threshold of it, largest 8-connected
    component, 4-connected holes filled; the dict form writes the same to ``mask_key``."""
    img = _random_image(channels, np.random.default_rng(seed))
    grey = img.mean(axis=0)
    expected = largest_filled_region_reference(grey < threshold_otsu(grey))
    out = OtsuLesionMask()(convert(img))
    assert type(out) is type(convert(img)) and tuple(out.shape) == (1, *img.shape[1:])
    np.testing.assert_array_equal(np.asarray(out[0]) > 0, expected)
    data = OtsuLesionMaskd("image", mask_key="lesion")({"image": convert(img)})
    np.testing.assert_array_equal(np.asarray(data["lesion"]), np.asarray(out))


@pytest.mark.parametrize("seed", SEEDS)
def test_otsu_lesion_excludes_pixels_at_the_threshold(seed):
    """Pixels whose grey level equals Otsu's threshold are not darker than it: they stay out of the lesion. The image
    is made to hold such pixels without moving the threshold: pixels in the histogram bin of the threshold (a bin
    centre of skimage's 256 bins) are set to it exactly, which leaves the histogram unchanged (checked)."""
    img = _random_image(1, np.random.default_rng(seed))
    threshold = threshold_otsu(img[0])
    width = (img.max() - img.min()) / 256
    img[0][np.abs(img[0] - threshold) < width / 2] = threshold
    assert threshold_otsu(img[0]) == threshold and (img[0] == threshold).any()
    expected = largest_filled_region_reference(img[0] < threshold)
    np.testing.assert_array_equal(np.asarray(OtsuLesionMask()(img)[0]) > 0, expected)
    assert not np.array_equal(expected, largest_filled_region_reference(img[0] <= threshold))


def test_random_images_have_several_regions_and_holes():
    """The random images above exercise the component and hole steps: the thresholded masks have several
    8-connected components and some enclosed holes."""
    components, holes = [], []
    for seed in SEEDS:
        img = _random_image(3, np.random.default_rng(seed))
        for mask in (img[0] > np.median(img[0]), img.mean(0) < threshold_otsu(img.mean(0))):
            components.append(ndimage.label(mask, structure=np.ones((3, 3)))[1])
            holes.append(int(ndimage.binary_fill_holes(mask).sum() - mask.sum()))
    assert min(components) >= 2 and max(holes) > 0
