from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from monai_refine.inferers import CopyPrevious, GraphCutSegmenter, RandomWalkerSegmenter, seed_bounding_box
from monai_refine.transforms import MaskSeeds


def _disc_scene(seed: int = 0):
    """A bright disc (radius 10) on a dark, noisy background, its prior a shifted disc, seeds from that prior."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:48, :48]
    truth = (yy - 24) ** 2 + (xx - 24) ** 2 <= 10**2
    image = (np.where(truth, 0.7, 0.3) + rng.normal(0, 0.03, truth.shape)).clip(0, 1).astype(np.float32)[None]
    prior = ((yy - 25) ** 2 + (xx - 23) ** 2 <= 9**2)[None]
    seeds = np.asarray(MaskSeeds(margin_mm=5.0)(prior)).astype(bool)
    return image, prior, seeds, truth[None]


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2 * (a & b).sum() / (a.sum() + b.sum())


@pytest.mark.parametrize(
    "segmenter",
    [GraphCutSegmenter(), GraphCutSegmenter(shape_weight=0.3), RandomWalkerSegmenter(beta=500)],
)
def test_segmenters_recover_the_disc(segmenter):
    image, prior, seeds, truth = _disc_scene()
    out = np.asarray(segmenter(image, prior, seeds)) > 0.5
    assert out.shape == (1, 48, 48)
    assert _dice(out, truth) > 0.95 > _dice(prior, truth)


def test_copy_previous_returns_the_prior():
    image, prior, seeds, _ = _disc_scene()
    out = CopyPrevious()(image, prior, seeds)
    np.testing.assert_array_equal(out, prior)
    assert out is not prior


def test_graph_cut_honours_hard_seeds():
    image, prior, seeds, _ = _disc_scene()
    seeds[1, 24, 24] = True  # a background click in the middle of the disc
    seeds[0, 24, 24] = False
    out = GraphCutSegmenter()(image, prior, seeds)
    assert not out[0, 24, 24] and out[0][seeds[0]].all()


def test_shape_weight_pulls_towards_the_prior():
    """Without contrast (flat image) the regional term is uninformative and the shape prior decides."""
    image = np.full((1, 40, 40), 0.5, dtype=np.float32)
    prior = np.zeros((1, 40, 40), dtype=bool)
    prior[0, 12:28, 12:28] = True
    seeds = np.asarray(MaskSeeds(margin_mm=6.0)(prior)).astype(bool)
    out = GraphCutSegmenter(shape_weight=1.0)(image, prior, seeds)
    assert _dice(out, prior) > 0.97


def test_segmenters_without_seeds_keep_the_prior():
    image, prior, _, _ = _disc_scene()
    empty = np.zeros((2, 48, 48), dtype=bool)
    for segmenter in (GraphCutSegmenter(), RandomWalkerSegmenter()):
        np.testing.assert_array_equal(segmenter(image, prior, empty), prior)


def test_seed_bounding_box():
    seeds = np.zeros((2, 10, 12), dtype=bool)
    seeds[0, 3, 4] = seeds[1, 6, 9] = True
    assert seed_bounding_box(seeds, pad=1) == (slice(2, 8), slice(3, 11))
    assert seed_bounding_box(seeds) == (slice(2, 8), slice(3, 11))  # one voxel of padding by default
    assert seed_bounding_box(seeds, pad=5) == (slice(0, 10), slice(0, 12))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: GraphCutSegmenter(lambda_=-1), "lambda_"),
        (lambda: GraphCutSegmenter(sigma=0), "sigma"),
        (lambda: GraphCutSegmenter(bins=1), "bins"),
        (lambda: GraphCutSegmenter(shape_weight=-0.1), "shape_weight"),
        (lambda: RandomWalkerSegmenter(beta=0), "beta"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("make", [GraphCutSegmenter, RandomWalkerSegmenter])
def test_non_finite_pixels_are_refused_before_any_work(monkeypatch, make, bad):
    """A NaN capacity makes PyMaxflow loop forever: the check must come first (max-flow would raise here)."""
    import monai_refine.inferers.segmenters as module

    def forbidden(*args, **kwargs):
        raise AssertionError("the solver was reached with a non-finite image")

    monkeypatch.setattr(module.maxflow, "Graph", {float: forbidden})
    monkeypatch.setattr(module, "random_walker", forbidden)
    image, prior, seeds, _ = _disc_scene()
    image[0, 30, 30] = bad
    with pytest.raises(ValueError, match="image contains NaN or Inf"):
        make()(image, prior, seeds, (0.8, 0.8))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image": np.zeros((48, 48), np.float32)}, "image must be one channel-first 2D slice"),
        ({"prior": np.zeros((1, 40, 48), bool)}, "prior must have the shape of image"),
        ({"seeds": np.zeros((1, 48, 48), bool)}, "seeds must have shape"),
        ({"spacing": (0.8,)}, "spacing must be two finite positive"),
        ({"spacing": (0.8, 0.0)}, "spacing must be two finite positive"),
    ],
)
@pytest.mark.parametrize("make", [GraphCutSegmenter, RandomWalkerSegmenter])
def test_bad_call_arguments(make, kwargs, match):
    image, prior, seeds, _ = _disc_scene()
    call = {"image": image, "prior": prior, "seeds": seeds, "spacing": (0.8, 0.8), **kwargs}
    with pytest.raises(ValueError, match=match):
        make()(**call)


def test_spacing_is_used_in_mm():
    """The shape term is in mm: the same prior on pixels twice as large pulls twice as hard against the contrast."""
    image = np.zeros((1, 40, 40), np.float32)
    image[0, 10:30, 10:24] = 0.6  # the object ends at column 24
    prior = np.zeros((1, 40, 40), bool)
    prior[0, 10:30, 10:28] = True  # the prior reaches 4 columns further
    seeds = np.asarray(MaskSeeds(margin_mm=3.0, spacing=(1.0, 1.0))(prior)).astype(bool)
    segmenter = GraphCutSegmenter(lambda_=0.0, sigma=0.1, shape_weight=0.5)
    fine = segmenter(image, prior, seeds, (0.1, 0.1))  # 4 columns = 0.4 mm: the shape term hardly counts
    coarse = segmenter(image, prior, seeds, (5.0, 5.0))  # 4 columns = 20 mm: the prior wins over the edge
    assert fine[0, 20, 10:24].all() and not fine[0, 20, 24:28].any()
    assert coarse[0, 20, 10:28].all()


@pytest.mark.parametrize("make", [GraphCutSegmenter, RandomWalkerSegmenter, CopyPrevious])
def test_classical_segmenters_are_local(make):
    """``local``: zero outside the seeds' box (so the propagator may hand them a crop around the prior)."""
    image, prior, seeds, _ = _disc_scene()
    image[0, :3, :3] = 0.7  # a bright corner outside the seeds' bounding box
    out = np.asarray(make()(image, prior, seeds, (1.0, 1.0)))
    box = seed_bounding_box(seeds)
    outside = np.ones(out.shape[1:], bool)
    outside[box] = False
    assert make.local is True and not out[0][outside].any()


def test_graph_cut_labels_an_unseeded_region_by_its_intensity():
    """Bright blocks top-left (foreground seed) and bottom-left (no seed) on a dark slice (background seed): the
    intensity histograms make the unseeded bright block foreground too, whatever it touches."""
    image = np.full((1, 8, 8), 0.2, dtype=np.float32)
    image[0, 0:3, 0:3] = image[0, 5:8, 0:3] = 0.8
    seeds = np.zeros((2, 8, 8), dtype=bool)
    seeds[0, 0, 0] = seeds[1, 7, 7] = True
    out = GraphCutSegmenter()(image, np.zeros_like(image, dtype=bool), seeds)
    np.testing.assert_array_equal(out[0], image[0] > 0.5)


def test_random_walker_follows_the_spacing():
    """On a diagonal ramp (0.1 per pixel along both axes), seeds in opposite corners split the slice along the
    diagonal at isotropic spacing; with 4 mm between columns the intensity changes 4x slower per mm along a row, so
    whole rows join the seed of their own row (row 0 foreground, row 4 background), and with 4 mm between rows whole
    columns do (column 4 foreground, column 0 background)."""
    rows, cols = np.mgrid[:5, :5]
    image = (0.1 * (rows + cols)).astype(np.float32)[None]
    seeds = np.zeros((2, 5, 5), dtype=bool)
    seeds[0, 0, 4] = seeds[1, 4, 0] = True
    prior = np.zeros((1, 5, 5), dtype=bool)
    wide = RandomWalkerSegmenter()(image, prior, seeds, (1.0, 4.0))[0]
    assert wide[0].all() and not wide[4].any()
    tall = RandomWalkerSegmenter()(image, prior, seeds, (4.0, 1.0))[0]
    assert tall[:, 4].all() and not tall[:, 0].any()


@pytest.mark.parametrize("beta, columns", [(1e-3, 11), (130.0, 5)])
def test_random_walker_honours_beta(beta, columns):
    """A 5 x 22 slice, 0 in columns 0-4 and 1 from column 5, foreground seeds in column 0, background in column 21.
    A tiny beta makes every edge alike: the walk's foreground probability falls linearly, 1 - c / 21, above 0.5 up to
    column 10 (11 columns). The default beta makes the step at column 5 a wall: columns 0-4 only."""
    image = np.zeros((1, 5, 22), dtype=np.float32)
    image[0, :, 5:] = 1.0
    seeds = np.zeros((2, 5, 22), dtype=bool)
    seeds[0, :, 0] = seeds[1, :, 21] = True
    out = RandomWalkerSegmenter(beta=beta)(image, np.zeros_like(image, dtype=bool), seeds, (1.0, 1.0))[0]
    expected = np.zeros((5, 22), dtype=bool)
    expected[:, :columns] = True
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("make", [GraphCutSegmenter, RandomWalkerSegmenter])
@pytest.mark.parametrize("channel", [0, 1])
def test_one_kind_of_seed_keeps_the_prior(channel, make):
    """Without background (or foreground) seeds one intensity model is missing for the graph cut, and every random walk
    would end at the one kind of seed there is: both return the prior (class docstrings)."""
    image = np.zeros((1, 20, 20), np.float32)
    image[0, 5:15, 5:15] = 0.8
    prior = image > 0
    seeds = np.zeros((2, 20, 20), bool)
    seeds[channel, 3:17:13, 3:17] = True  # two rows of seeds: a 14 x 14 box the segmenters would work in
    np.testing.assert_array_equal(make()(image, prior, seeds, (1.0, 1.0)), prior)


def test_graph_cut_takes_saturated_pixels():
    """Intensity 1.0 (the top of the window) falls in the last histogram bin."""
    image = np.zeros((1, 20, 20), np.float32)
    image[0, 5:15, 5:15] = 1.0
    seeds = np.zeros((2, 20, 20), bool)
    seeds[0, 10, 10] = True
    seeds[1, 1, :] = seeds[1, -2, :] = seeds[1, :, 1] = seeds[1, :, -2] = True
    assert int(GraphCutSegmenter()(image, image > 0, seeds, (1.0, 1.0)).sum()) == 100


def test_graph_cut_regional_term_is_a_floored_histogram():
    """R_p = -ln Pr(I_p | seeds) (class docstring), Pr the seeds' histogram with ``probability_floor`` of the uniform
    distribution mixed in, so every bin keeps floor / bins and the bins still sum to 1. Seed intensities 0.1, 0.1
    and 0.6 in 4 bins: Pr = 0.99 * (2/3, 0, 1/3, 0) + 0.01 / 4 = (0.6625, 0.0025, 0.3325, 0.0025)."""
    segmenter = GraphCutSegmenter(bins=4)
    centres = np.array([0.125, 0.375, 0.625, 0.875])
    probability = np.exp(-segmenter._neg_log_likelihood(centres, np.array([0.1, 0.1, 0.6])))
    np.testing.assert_allclose(probability, [0.6625, 0.0025, 0.3325, 0.0025])


def test_graph_cut_boundary_term_alone():
    """With lambda_ = 0 only B_pq = exp(-ΔI² / 2σ²) / dist counts. A 12 × 12 square at 0.3 holds a 4 × 4 square at
    0.5, the foreground seeds in its middle. With σ = 0.05 a cut along the outer edge (ΔI = 0.3: exp(-18) per edge)
    is far cheaper than along the inner one (ΔI = 0.2: exp(-8)), so the whole outer square (144 px) is foreground."""
    image = np.zeros((1, 24, 24), np.float32)
    image[0, 6:18, 6:18] = 0.3
    image[0, 10:14, 10:14] = 0.5
    seeds = np.zeros((2, 24, 24), bool)
    seeds[0, 11:13, 11:13] = True
    seeds[1, 1, 1:-1] = seeds[1, -2, 1:-1] = seeds[1, 1:-1, 1] = seeds[1, 1:-1, -2] = True
    out = GraphCutSegmenter(lambda_=0.0, sigma=0.05)(image, image > 0, seeds, (1.0, 1.0))
    np.testing.assert_array_equal(out, image > 0)


def test_graph_cut_edge_lengths_in_mm():
    """Uniform image, lambda_ = 0: the cut is the cheapest closed curve around the two foreground seeds (10, 9) and
    (10, 11), each edge costing 1 / its length in mm. At 1 × 1 mm two one-pixel cuts (2 × (4 + 4 / √2) = 13.7) beat
    one around the three-pixel row (6 + 2 + 12 / √2 = 16.5); with 5 mm rows the vertical and diagonal edges cost
    1/5 and 1/√26: two cuts 2 × (0.4 + 2 + 4 / √26) = 6.4, one around the row 1.2 + 2 + 12 / √26 = 5.6, so the
    pixel between them joins the foreground."""
    image = np.zeros((1, 21, 21), np.float32)
    seeds = np.zeros((2, 21, 21), bool)
    seeds[0, 10, 9] = seeds[0, 10, 11] = True
    seeds[1, 0, :] = seeds[1, -1, :] = seeds[1, :, 0] = seeds[1, :, -1] = True
    segmenter = GraphCutSegmenter(lambda_=0.0)
    assert np.argwhere(segmenter(image, image > 0, seeds, (1.0, 1.0))[0]).tolist() == [[10, 9], [10, 11]]
    assert np.argwhere(segmenter(image, image > 0, seeds, (5.0, 1.0))[0]).tolist() == [[10, 9], [10, 10], [10, 11]]


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("spacing", [(1.0, 3.0), (3.0, 1.0), (2.0, 2.0)])
def test_graph_cut_shape_prior_distances_on_anisotropic_pixels(spacing, transpose):
    """The shape prior alone against a constant regional pull decides: every pixel is bright (0.8, the foreground
    seed's bin) but the background-seed ring (0.1), so labelling an unseeded pixel foreground gains
    C = λ ln(Pr(0.8 | fg) / Pr(0.8 | bg)) = λ ln((0.99 + 0.01 / 32) / (0.01 / 32)) and costs shape_weight · d, d its
    distance in mm to the prior (0 inside). With shape_weight = C / 2.5 the prior grows by every pixel nearer than
    2.5 mm: two rows and no column at spacing (1, 3), two columns and no row at (3, 1), one pixel all round (no
    diagonal, 2√2 > 2.5) at (2, 2). λ = 100 makes the uniform boundary term (≤ 1 per edge) negligible against the
    margin (C / 5 per pixel). Expected: scipy's distance_transform_edt with ``sampling=spacing``; the transposed
    slice with the spacing swapped gives the transposed mask."""
    shape = (21, 23)
    image = np.full((1, *shape), 0.8, np.float32)
    seeds = np.zeros((2, *shape), bool)
    seeds[1, 0, :] = seeds[1, -1, :] = seeds[1, :, 0] = seeds[1, :, -1] = True
    image[seeds[1:]] = 0.1
    seeds[0, 10, 11] = True
    prior = np.zeros((1, *shape), bool)
    prior[0, 8:13, 9:14] = True
    expected = distance_transform_edt(~prior[0], sampling=spacing) < 2.5
    assert expected.sum() > prior.sum()  # the shape prior does let the mask grow
    lambda_ = 100.0
    gain = lambda_ * np.log((0.99 + 0.01 / 32) / (0.01 / 32))
    segmenter = GraphCutSegmenter(lambda_=lambda_, sigma=0.05, bins=32, shape_weight=gain / 2.5)
    if transpose:
        image, prior, seeds = (np.swapaxes(x, 1, 2) for x in (image, prior, seeds))
        spacing, expected = spacing[::-1], expected.T
    out = segmenter(image, prior, seeds, spacing)
    np.testing.assert_array_equal(out[0], expected)
