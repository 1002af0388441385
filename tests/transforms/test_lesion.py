from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_refine.transforms.lesion import OtsuLesionMask, OtsuLesionMaskd
from tests.utils import TEST_NDARRAYS


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_otsu_lesion_mask_keeps_the_largest_dark_region_filled(convert):
    img = np.full((3, 12, 12), 200.0)
    img[:, 2:9, 2:9] = 40.0  # the lesion, 7x7
    img[:, 5, 5] = 210.0  # a bright hole inside it: filled
    img[:, 11, 11] = 30.0  # a dark speck: not the largest component
    out = OtsuLesionMask()(convert(img))
    assert type(out) is type(convert(img)) and out.shape == (1, 12, 12)
    expected = np.zeros((1, 12, 12), dtype=np.float32)
    expected[:, 2:9, 2:9] = 1
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_otsu_lesion_mask_constant_image_and_errors():
    assert float(OtsuLesionMask()(np.ones((3, 4, 4))).sum()) == 0
    with pytest.raises(ValueError, match="channel-first 2D"):
        OtsuLesionMask()(np.ones((4, 4)))


def test_otsu_lesion_maskd_writes_the_mask_key():
    img = torch.full((3, 6, 6), 0.9)
    img[:, 1:4, 1:4] = 0.1
    d = OtsuLesionMaskd("image", mask_key="base")({"image": img})
    assert torch.equal(d["image"], img) and float(d["base"].sum()) == 9


def test_otsu_lesion_maskd_writes_the_prior_by_default():
    """The Otsu mask is the weak base a refinement network refines (paper 002): by default it goes to ``"prior"``."""
    img = torch.full((3, 6, 6), 0.9)
    img[:, 1:4, 1:4] = 0.1
    d = OtsuLesionMaskd("image")({"image": img})
    assert set(d) == {"image", "prior"} and float(d["prior"].sum()) == 9


def test_otsu_lesion_mask_components_are_8_connected():
    """A diagonal chain of 5 dark pixels is one 8-connected component, larger than a dark 2 × 2 block: it is kept."""
    img = np.full((3, 12, 12), 200.0)
    for k in range(1, 6):
        img[:, k, k] = 40.0
    img[:, 8:10, 8:10] = 40.0
    out = np.asarray(OtsuLesionMask()(img))[0]
    assert np.argwhere(out).tolist() == [[k, k] for k in range(1, 6)]


def test_otsu_lesion_mask_grey_level_is_the_channel_mean():
    """A lesion dark in green and blue only (red 200 everywhere): the mean of the channels is 200 on the skin and
    80 on the 7 x 7 lesion, which is found; the red channel alone would show nothing."""
    img = np.full((3, 12, 12), 200.0)
    img[1:, 2:9, 2:9] = 20.0
    out = np.asarray(OtsuLesionMask()(img))[0]
    assert np.argwhere(out).min(0).tolist() == [2, 2] and np.argwhere(out).max(0).tolist() == [8, 8]
    assert out.sum() == 49
