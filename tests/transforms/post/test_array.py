from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.transforms import DualThreshold, FieldOfViewMask
from monai_refine.transforms.post.array import largest_filled_region
from tests.utils import TEST_NDARRAYS


def _probability_map(ndim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand-built map on a 17^2 grid (image centre (8, 8)), stacked on slices 1..6 of 8 in 3D.

    - A: a 6x6 block of 0.6, off-centre, with a 3x3 seed core of 0.9 and an enclosed 0.1 hole (only on slice 3 in
      3D) -> kept (the lesion), hole filled;
    - B: a 5x5 block of 0.6 holding the image centre, without any value above 0.8 -> dropped by the hysteresis
      (``select="center"`` would pick it without the hysteresis);
    - C: a 1x2 confident blob of 0.95 (less probability mass above 0.8 than A's core) -> kept by the hysteresis,
      dropped by every selection.

    Returns the map and the masks of A (hole filled) and C.
    """
    plane = np.zeros((17, 17), dtype=np.float32)
    plane[1:7, 1:7] = 0.6
    plane[2:5, 2:5] = 0.9
    plane[8:13, 8:13] = 0.6
    plane[14, 1:3] = 0.95
    a, c = np.zeros((17, 17), bool), np.zeros((17, 17), bool)
    a[1:7, 1:7], c[14, 1:3] = True, True
    if ndim == 2:
        prob, a, c = plane[None].copy(), a, c
        prob[0, 5, 5] = 0.1
    else:
        prob = np.zeros((1, 17, 17, 8), dtype=np.float32)
        prob[0, ..., 1:7] = plane[..., None]
        prob[0, 5, 5, 3] = 0.1
        a = np.repeat(a[..., None], 8, -1) & (np.arange(8) >= 1) & (np.arange(8) < 7)
        c = np.repeat(c[..., None], 8, -1) & (np.arange(8) >= 1) & (np.arange(8) < 7)
    return prob, a, c


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
@pytest.mark.parametrize("select", ["centroid", "center", "largest"])
def test_centre_component_with_holes_filled(ndim, convert, select):
    raw, a, _ = _probability_map(ndim)
    prob = convert(raw)
    out = DualThreshold(select=select)(prob)
    assert type(out) is type(prob) and out.shape == prob.shape and out.dtype == prob.dtype
    np.testing.assert_array_equal(np.asarray(out)[0], a.astype(np.float32))


@pytest.mark.parametrize("ndim", [2, 3])
def test_hysteresis_alone_keeps_seeded_components_and_the_hole(ndim):
    prob, a, c = _probability_map(ndim)
    out = DualThreshold(fill_holes=False, select="all")(prob)[0]
    hole = (0, 5, 5) if ndim == 2 else (0, 5, 5, 3)
    expected = a | c
    expected[hole[1:]] = False
    np.testing.assert_array_equal(out, expected.astype(np.float32))  # B (no seed) dropped, A keeps its hole
    np.testing.assert_array_equal(DualThreshold(select="all")(prob)[0], (a | c).astype(np.float32))


def test_thresholds_are_strict():
    """Seeds are ``prob > high`` and regions ``prob > low`` (as skimage's hysteresis): values at a threshold are out."""
    prob = np.zeros((1, 8, 8), dtype=np.float32)
    prob[0, 2:6, 2:6] = 0.625
    prob[0, 3, 3] = 0.75
    assert DualThreshold(high=0.75, low=0.5, select="all")(prob).sum() == 0
    assert DualThreshold(high=0.625, low=0.5, select="all")(prob).sum() == 1 * 0 + 16  # 0.75 > 0.625 seeds all 16
    assert DualThreshold(high=0.7, low=0.625, select="all")(prob).sum() == 1  # 0.625 is not > low


def test_hysteresis_honours_connectivity():
    prob = np.zeros((1, 9, 9), dtype=np.float32)
    prob[0, 4, 4], prob[0, 5, 5], prob[0, 6, 6] = 0.9, 0.6, 0.6  # a diagonal chain from the seed
    assert DualThreshold(connectivity=2, select="all")(prob).sum() == 3
    assert DualThreshold(select="all")(prob).sum() == 3  # None: the full neighbourhood
    assert DualThreshold(connectivity=1, select="all")(prob).sum() == 1
    prob3 = np.zeros((1, 5, 5, 5), dtype=np.float32)
    prob3[0, 1, 1, 1], prob3[0, 2, 2, 2] = 0.9, 0.6  # corner-linked in 3D
    assert DualThreshold(connectivity=2, select="all")(prob3).sum() == 1
    assert DualThreshold(connectivity=3, select="all")(prob3).sum() == 2


def test_paper_rule_keeps_an_off_centre_lesion_over_a_central_blob():
    """Issue 16.3: a 576-px confident lesion off-centre and a 9-px blob at the image centre."""
    prob = np.zeros((1, 64, 64), dtype=np.float32)
    prob[0, 2:26, 2:26] = 0.95  # 24 x 24 = 576 px
    prob[0, 31:34, 31:34] = 0.95  # 3 x 3 = 9 px around the centre (32, 32)
    out = DualThreshold()(prob)
    assert out.sum() == 576 and out[0, 2:26, 2:26].all()
    assert DualThreshold(select="center")(prob).sum() == 9  # the framing prior, documented as not the paper's


def test_paper_rule_prefers_mass_above_the_high_threshold_to_area():
    """Issue 16.3: a weak 380-px region with one pixel above 0.8 against a 324-px region at 0.95."""
    prob = np.zeros((1, 64, 64), dtype=np.float32)
    prob[0, 22:42, 22:41] = 0.6  # 20 x 19 = 380 px, holding the image centre
    prob[0, 30, 30] = 0.85
    prob[0, 2:20, 2:20] = 0.95  # 18 x 18 = 324 px
    out = DualThreshold()(prob)
    assert out.sum() == 324 and out[0, 2:20, 2:20].all()
    assert DualThreshold(select="largest")(prob).sum() == 380  # area alone, documented as not the paper's


def test_paper_rule_mass_is_probability_mass_not_area():
    """10 px at 0.81 (mass 8.1) against 9 px at 1.0 (mass 9.0): the more confident, smaller region is the lesion."""
    prob = np.zeros((1, 32, 32), dtype=np.float32)
    prob[0, 2:4, 2:7] = 0.81  # 2 x 5 = 10 px
    prob[0, 20:23, 20:23] = 1.0  # 3 x 3 = 9 px
    out = DualThreshold()(prob)
    assert out.sum() == 9 and out[0, 20:23, 20:23].all()


def test_paper_rule_weighs_only_the_mass_above_the_high_threshold():
    """Paper 003 weighs "the candidates", the regions above the high threshold: 9 px at 0.95 (mass 8.55) beat one pixel
    at 0.85, although the latter's low-threshold region (379 px at 0.6 and that pixel, mass 228.25) weighs more."""
    prob = np.zeros((1, 64, 64), dtype=np.float32)
    prob[0, 22:42, 22:41] = 0.6  # 20 x 19 = 380 px
    prob[0, 30, 30] = 0.85
    prob[0, 4:7, 4:7] = 0.95  # 3 x 3 = 9 px
    out = DualThreshold()(prob)
    assert out.sum() == 9 and out[0, 4:7, 4:7].all()


def test_paper_rule_centroid_outside_a_c_shaped_region():
    """The centroid of a C-shaped seed region lies in its opening: the component holding the region is kept."""
    prob = np.zeros((1, 20, 20), dtype=np.float32)
    prob[0, 2:17, 2:5] = prob[0, 2:5, 2:17] = prob[0, 14:17, 2:17] = 0.9  # a C open to the right
    prob[0, 8:11, 8:12] = 0.6  # a separate weak blob near the centroid, no seed
    out = DualThreshold(fill_holes=False)(prob)
    np.testing.assert_array_equal(out, (prob >= 0.9).astype(np.float32))


def test_largest_and_nearest_selection():
    prob = np.zeros((1, 15, 15), dtype=np.float32)
    prob[0, 0:2, 0:2] = 0.9  # small, 4 px, nearer to the centre (7, 7) than the large one
    prob[0, 10:15, 10:15] = 0.9  # large, 25 px
    np.testing.assert_array_equal(DualThreshold(select="largest")(prob)[0, 10:15, 10:15], 1)
    assert DualThreshold(select="largest")(prob).sum() == 25
    prob[0] = 0.0
    prob[0, 3:5, 6:8] = 0.9  # small, 4 px: 3 rows above the centre (7, 7)
    prob[0, 6:11, 11:15] = 0.9  # large, 20 px: 4 columns right of the centre
    centre = DualThreshold(select="center")
    assert centre(prob)[0, 3:5, 6:8].sum() == 4 and centre(prob).sum() == 4
    assert DualThreshold()(prob).sum() == 20  # the paper's rule: the larger mass above 0.8
    # with rows 10 mm apart the small one is 30 mm away, the large one 4 mm
    assert DualThreshold(select="center", spacing=(10.0, 1.0))(prob)[0, 6:11, 11:15].sum() == 20
    meta = MetaTensor(torch.as_tensor(prob), affine=torch.diag(torch.tensor([10.0, 1.0, 1.0, 1.0])))
    assert centre(meta).sum() == 20


@pytest.mark.parametrize("ndim", [2, 3])
def test_centre_selection_keeps_the_component_that_holds_the_centre(ndim):
    """An 11^n map: a bar of 0.9 through the centre voxel (5, ..., 5) along the last axis, and a one-voxel blob two
    voxels from the centre along axis 0. The bar holds the centre (distance 0) and is kept, although its voxels lie
    30 / 11 = 2.7 voxels from the centre on average, farther than the blob's 2."""
    prob = np.zeros((1,) + (11,) * ndim, dtype=np.float32)
    prob[(0,) + (5,) * (ndim - 1) + (slice(None),)] = 0.9
    prob[(0, 7) + (5,) * (ndim - 1)] = 0.9
    out = DualThreshold(select="center")(prob)
    np.testing.assert_array_equal(out[(0,) + (5,) * (ndim - 1)], np.ones(11, dtype=np.float32))
    assert out.sum() == 11 and out[(0, 7) + (5,) * (ndim - 1)] == 0


def test_largest_and_hole_filling_honour_connectivity():
    """``connectivity`` applies to every step, the selection and the hole filling included (2D, 9 x 9).

    Largest: blocks A (rows 0-1, cols 0-1) and B (rows 2-3, cols 2-3), 4 px each, touch at one corner; C (rows 6-8,
    cols 6-7) has 6 px. Faces only (connectivity 1), C is the largest; with corners (connectivity None), A + B (8 px).
    Holes: a ring of 7 px around (4, 4) open only at its corner (3, 3): with 1 the centre's four face neighbours are
    all in the ring, so it is an enclosed hole and filled (8 px); with 2 it reaches the outside through the corner.
    """
    prob = np.zeros((1, 9, 9), dtype=np.float32)
    prob[0, 0:2, 0:2] = prob[0, 2:4, 2:4] = prob[0, 6:9, 6:8] = 0.9
    faces = DualThreshold(select="largest", connectivity=1)(prob)
    assert faces.sum() == 6 and faces[0, 6:9, 6:8].sum() == 6
    full = DualThreshold(select="largest")(prob)
    assert full.sum() == 8 and full[0, 0:4, 0:4].sum() == 8
    ring = np.zeros((1, 9, 9), dtype=np.float32)
    for r, c in [(3, 4), (3, 5), (4, 3), (4, 5), (5, 3), (5, 4), (5, 5)]:
        ring[0, r, c] = 0.9
    assert DualThreshold(select="all", connectivity=1)(ring)[0, 4, 4] == 1
    assert DualThreshold(select="all", connectivity=1)(ring).sum() == 8
    assert DualThreshold(select="all", connectivity=2)(ring).sum() == 7


@pytest.mark.parametrize(
    "select, faces_region, full_region",
    [
        ("centroid", (slice(6, 9), slice(6, 8)), (slice(0, 4), slice(0, 4))),
        ("center", (slice(2, 4), slice(2, 4)), (slice(0, 4), slice(0, 4))),
    ],
)
def test_paper_rule_and_centre_selection_honour_connectivity(select, faces_region, full_region):
    """The blocks of ``test_largest_and_hole_filling_honour_connectivity`` (2D, 9 x 9, centre (4, 4)): A (rows 0-1,
    cols 0-1) and B (rows 2-3, cols 2-3), 4 px of 0.9 each, touch at one corner; C (rows 6-8, cols 6-7) has 6 px.

    Centroid: with corners, A + B is one seed region of mass 7.2 > C's 5.4, its centroid (1.5, 1.5) rounds to
    (2, 2) in B, and the kept component is A + B (8 px); faces only, C's mass is the largest (6 px kept). Center:
    with corners, A + B holds the voxel nearest to the centre, (3, 3), and is kept whole; faces only, B alone.
    """
    prob = np.zeros((1, 9, 9), dtype=np.float32)
    prob[0, 0:2, 0:2] = prob[0, 2:4, 2:4] = prob[0, 6:9, 6:8] = 0.9
    faces = DualThreshold(select=select, connectivity=1)(prob)
    assert faces[(0, *faces_region)].all() and faces.sum() == faces[(0, *faces_region)].size
    for connectivity in (None, 2):
        full = DualThreshold(select=select, connectivity=connectivity)(prob)
        assert full.sum() == 8 and full[(0, *full_region)].sum() == 8


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
        ({"select": None}, "select"),
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
    for bad in ("pred.nii.gz", None, [[0.1, 0.9]]):
        with pytest.raises(ValueError, match="img must be a numpy array or torch tensor"):
            DualThreshold()(bad)
    with pytest.raises(ValueError, match=match):
        DualThreshold()(img)
    with pytest.raises(ValueError, match="connectivity=3"):
        DualThreshold(connectivity=3)(np.zeros((1, 4, 4)))


def test_largest_filled_region_fills_a_hole_open_only_at_a_corner():
    """The kept component is 8-connected, so its holes are the 4-connected background pockets: the outline of a 5 x 5
    square (rows and columns 2-6) without its corner (2, 2) is still one 8-connected ring, and its 3 x 3 inside,
    which meets the outside only diagonally through that corner, is a hole: 15 + 9 = 24 pixels, the FOV mask's too."""
    mask = np.zeros((1, 9, 9), dtype=np.uint8)
    mask[0, 2:7, 2:7] = 1
    mask[0, 3:6, 3:6] = 0
    mask[0, 2, 2] = 0
    expected = np.zeros((1, 9, 9), dtype=np.float32)
    expected[0, 2:7, 2:7] = 1
    expected[0, 2, 2] = 0
    np.testing.assert_array_equal(largest_filled_region(mask, mask), expected)
    np.testing.assert_array_equal(FieldOfViewMask()(np.concatenate([mask * 100.0, mask * 0.0, mask * 0.0])), expected)
