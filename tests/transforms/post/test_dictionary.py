from __future__ import annotations

import numpy as np
import pytest

from monai_refine.transforms import DualThreshold, DualThresholdD, DualThresholdd, DualThresholdDict
from tests.utils import TEST_NDARRAYS


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_dict_matches_array(convert):
    assert DualThresholdD is DualThresholdDict is DualThresholdd
    prob = np.random.default_rng(0).random((1, 9, 9)).astype(np.float32)
    out = DualThresholdd(["pred", "missing"], allow_missing_keys=True, select="largest")({"pred": convert(prob)})
    np.testing.assert_array_equal(np.asarray(out["pred"]), DualThreshold(select="largest")(prob))
    with pytest.raises(ValueError, match="select"):
        DualThresholdd("pred", select="any")
