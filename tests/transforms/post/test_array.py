from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.transforms import DualThreshold
from tests.utils import TEST_NDARRAYS


def _probability_map(ndim: int) -> np.ndarray:
    """Hand-built map on a 15^ndim grid.

    - A: a 0.6 ring-shaped block around the centre with a 0.9 seed and a 0.1 hole -> kept, hole filled;
    - B: a larger 0.6 block in a corner without any value above 0.8 -> dropped by the hysteresis;
    - C: a small confident 0.95 block elsewhere -> kept by the hysteresis, dropped as not central.
    """
    prob = np.zeros((1,) + (15,) * ndim, dtype=np.float32)
    prob[(0,) + (slice(5, 10),) * ndim] = 0.6
    prob[(0,) + (slice(7, 8),) * ndim] = 0.9  # seed at the centre
    prob[(0, 6) + (slice(6, 7),) * (ndim - 1)] = 0.1  # an enclosed hole next to the seed
    prob[(0,) + (slice(0, 4),) * (ndim - 1) + (slice(11, 15),)] = 0.6  # B
    prob[(0,) + (slice(11, 13),) * ndim] = 0.95  # C
    return prob


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_centre_component_with_holes_filled(ndim, convert):
    prob = convert(_probability_map(ndim))
    out = DualThreshold()(prob)
    assert type(out) is type(prob) and out.shape == prob.shape and out.dtype == prob.dtype
    expected = np.zeros((1,) + (15,) * ndim, dtype=np.float32)
    expected[(0,) + (slice(5, 10),) * ndim] = 1
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_hysteresis_alone_keeps_seeded_components_and_the_hole():
    prob = _probability_map(2)
    out = DualThreshold(fill_holes=False, select="largest")(prob)[0]
    assert out[6, 6] == 0 and out[7, 7] == 1 and out[0:4, 11:15].sum() == 0 and out[11:13, 11:13].sum() == 0


def test_largest_and_nearest_selection():
    prob = np.zeros((1, 15, 15), dtype=np.float32)
    prob[0, 0:2, 0:2] = 0.9  # small, 4 px, nearer to the centre (7, 7) than the large one
    prob[0, 10:15, 10:15] = 0.9  # large, 25 px
    np.testing.assert_array_equal(DualThreshold(select="largest")(prob)[0, 10:15, 10:15], 1)
    assert DualThreshold(select="largest")(prob).sum() == 25
    prob[0] = 0.0
    prob[0, 3:5, 6:8] = 0.9  # small, 4 px: 3 rows above the centre (7, 7)
    prob[0, 6:11, 11:15] = 0.9  # large, 20 px: 4 columns right of the centre
    assert DualThreshold()(prob)[0, 3:5, 6:8].sum() == 4 and DualThreshold()(prob).sum() == 4
    # with rows 10 mm apart the small one is 30 mm away, the large one 4 mm
    assert DualThreshold(spacing=(10.0, 1.0))(prob)[0, 6:11, 11:15].sum() == 20
    meta = MetaTensor(torch.as_tensor(prob), affine=torch.diag(torch.tensor([10.0, 1.0, 1.0, 1.0])))
    assert DualThreshold()(meta).sum() == 20


def test_empty_result_and_metadata():
    prob = MetaTensor(torch.full((1, 6, 6), 0.3), affine=torch.diag(torch.tensor([0.5, 0.5, 1.0, 1.0])))
    out = DualThreshold()(prob)
    assert isinstance(out, MetaTensor) and out.sum() == 0 and torch.equal(out.affine, prob.affine)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"high": 0.4, "low": 0.5}, "low <= high"),
        ({"high": 1.2}, "high"),
        ({"low": float("nan")}, "low"),
        ({"select": "smallest"}, "select"),
        ({"connectivity": 4}, "connectivity"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DualThreshold(**kwargs)


@pytest.mark.parametrize(
    "img, match",
    [
        (np.zeros((2, 4, 4)), "shape"),
        (np.zeros((4, 4)), "shape"),
        (np.full((1, 4, 4), 1.5), "probabilities"),
        (np.full((1, 4, 4), np.nan), "NaN"),
    ],
)
def test_bad_inputs(img, match):
    with pytest.raises(ValueError, match=match):
        DualThreshold()(img)
    with pytest.raises(ValueError, match="connectivity=3"):
        DualThreshold(connectivity=3)(np.zeros((1, 4, 4)))
