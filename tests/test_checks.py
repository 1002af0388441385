"""``utils.checks.as_binary_mask``: the binary check every mask input goes through, for each dtype family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_refine.utils.checks import as_binary_mask

PATTERN = np.array([[[0, 1, 1], [0, 0, 1]]])  # (1, 2, 3)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int8, np.int64, np.float32, np.float64])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_binary_masks_of_every_dtype_become_bool(dtype, as_tensor):
    mask = PATTERN.astype(dtype)
    out = as_binary_mask("mask", torch.from_numpy(mask) if as_tensor else mask)
    assert out.dtype == bool
    np.testing.assert_array_equal(out, PATTERN.astype(bool))


@pytest.mark.parametrize(
    "value, dtype",
    [(255, np.uint8), (2, np.int64), (-1, np.int8), (-1, np.int64), (0.5, np.float32), (-1.0, np.float64)],
)
def test_one_non_binary_value_is_refused(value, dtype):
    mask = PATTERN.astype(dtype)
    mask[0, 1, 0] = value
    with pytest.raises(ValueError, match="mask must be binary"):
        as_binary_mask("mask", mask)


def test_nan_and_wrong_channels_are_refused():
    with pytest.raises(ValueError, match="NaN or Inf"):
        as_binary_mask("mask", np.where(PATTERN > 0, np.nan, 0.0))
    with pytest.raises(ValueError, match="1 channel"):
        as_binary_mask("mask", np.zeros((2, 2, 3), dtype=np.uint8))
