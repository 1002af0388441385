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


def test_dict_lists_its_arguments():
    import inspect

    params = inspect.signature(DualThresholdd.__init__).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert set(inspect.signature(DualThreshold.__init__).parameters) - {"self"} <= set(params)
    assert params["keys"].default is inspect.Parameter.empty
    converter = DualThresholdd("pred", high=0.7, low=0.2, select="all", fill_holes=False, connectivity=1,
                               spacing=2.0).converter  # fmt: skip
    assert (converter.high, converter.low, converter.select, converter.fill_holes, converter.connectivity,
            converter.spacing) == (0.7, 0.2, "all", None, 1, 2.0)  # fmt: skip
