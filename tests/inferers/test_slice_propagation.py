from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from scipy import ndimage

from monai_refine.inferers import (
    PRESETS,
    CopyPrevious,
    GraphCutSegmenter,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SlicePropagator,
    annotate_slices,
    edit_prior,
    merge_user_seeds,
    middle_slice,
    propagation_preset,
    rejected_by_clicks,
    slice_result,
    window_intensity,
)
from monai_refine.metrics import overlap_scores
from monai_refine.utils import slice_axis_from_affine
from tests.utils import SHARED_DATA, SLAB_DIR, requires_shared_data

AFFINE = torch.tensor([[-0.8, 0, 0, 10.0], [0, -0.8, 0, 20.0], [0, 0, 2.0, -30.0], [0, 0, 0, 1]], dtype=torch.float64)


def _cone(depth: int = 15, noise: float = 5.0):
    """A cone of 100 HU (radius shrinking along z, vanishing after slice 12) in a 0 HU, noisy volume."""
    rng = np.random.default_rng(0)
    xx, yy = np.mgrid[:48, :48]
    truth = np.zeros((1, 48, 48, depth), dtype=np.uint8)
    for z in range(depth):
        radius = 14 - z
        if radius > 1:
            truth[0, ..., z] = (xx - 24) ** 2 + (yy - 24) ** 2 <= radius**2
    volume = (truth * 100.0 + rng.normal(0, noise, truth.shape)).astype(np.float32)
    return MetaTensor(torch.as_tensor(volume), affine=AFFINE), truth


def _annotate(truth: np.ndarray, slices) -> np.ndarray:
    annotation = np.zeros_like(truth)
    annotation[..., slices] = truth[..., slices]
    return annotation


@pytest.mark.parametrize("segmenter", [GraphCutSegmenter(), RandomWalkerSegmenter(beta=500)])
def test_propagation_recovers_the_cone(segmenter):
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0, window=(-100, 200), min_area_fraction=0.3)
    mask, history = propagator(volume, segmenter, annotation=_annotate(truth, [5]), return_history=True)
    assert isinstance(mask, MetaTensor) and mask.dtype == torch.uint8 and mask.shape == volume.shape
    torch.testing.assert_close(mask.affine, volume.affine)
    assert overlap_scores(mask, truth)["dice"] > 0.95
    # the cone ends at slice 12: the upward direction stops on 13 (noise specks < 0.3 x slice 12), the downward one
    # at the volume end
    reasons = {r.direction: (r.index, r.stop_reason) for r in history if r.stop_reason}
    assert reasons == {1: (13, "shrunk"), -1: (0, "volume_end")}
    assert [r.index for r in history][:2] == [5, 6]
    assert all(r.n_fg_seeds > 0 and r.n_bg_seeds > 0 for r in history if r.direction and r.area)
    assert mask.meta["propagation_history"] == [r.to_dict() for r in history]


def test_copy_previous_copies_the_annotation():
    volume, truth = _cone()
    mask = SlicePropagator(margin_mm=3.0)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    expected = np.repeat(truth[..., 5:6], truth.shape[-1], axis=-1)
    np.testing.assert_array_equal(mask.numpy(), expected)


def test_copy_previous_records_both_volume_ends():
    """Copying slice 5 of 15 reaches slice 0 and slice 14: each direction's last record says ``volume_end``."""
    volume, truth = _cone()
    _, history = SlicePropagator(margin_mm=3.0)(
        volume, CopyPrevious(), annotation=_annotate(truth, [5]), return_history=True
    )
    stops = {r.direction: (r.index, r.stop_reason) for r in history if r.stop_reason}
    assert stops == {1: (14, "volume_end"), -1: (0, "volume_end")}
    assert [r.index for r in history if r.direction == 1] == list(range(6, 15))


def test_history_counts_the_foreground_and_background_seeds():
    """A 5-pixel line annotated on slice 1 of 3 (1 mm, 1 mm ring): its skeleton is the line (5 foreground seeds),
    the ring around it 5 pixels above, 5 below and one at each end (12 background seeds). A user background click
    far from it on slice 0 adds a 13th background seed there; the annotated slice records no seeds."""
    volume = np.zeros((1, 9, 9, 3), np.float32)
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 4, 2:7, 1] = 1
    seeds = np.zeros((2, 9, 9, 3), np.uint8)
    seeds[1, 0, 0, 0] = 1
    _, history = SlicePropagator(margin_mm=1.0)(
        volume, CopyPrevious(), annotation=annotation, seeds=seeds, return_history=True
    )
    counts = {r.index: (r.n_fg_seeds, r.n_bg_seeds) for r in history}
    assert counts == {1: (0, 0), 2: (5, 12), 0: (5, 13)}
    assert {r.index: r.area for r in history} == {1: 5, 2: 5, 0: 5}  # the annotated slice's record holds its area


def test_batched_seeds_are_the_unbatched_seeds():
    """Seeds given as a batch of one, ``(1, 2, X, Y, Z)``, count as the ``(2, X, Y, Z)`` seeds: the same history (the
    click on slice 0 is its 13th background seed) and mask as above."""
    volume = np.zeros((1, 9, 9, 3), np.float32)
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 4, 2:7, 1] = 1
    seeds = np.zeros((2, 9, 9, 3), np.uint8)
    seeds[1, 0, 0, 0] = 1
    propagator = SlicePropagator(margin_mm=1.0)
    expected, _ = propagator(volume, CopyPrevious(), annotation=annotation, seeds=seeds, return_history=True)
    mask, history = propagator(volume, CopyPrevious(), annotation=annotation, seeds=seeds[None], return_history=True)
    assert {r.index: (r.n_fg_seeds, r.n_bg_seeds) for r in history} == {1: (0, 0), 2: (5, 12), 0: (5, 13)}
    np.testing.assert_array_equal(mask, expected)


def test_slice_result_components_are_face_connected():
    """A 3 x 3 seeded block, a 2 x 2 block touching it at one corner and a 1-px hole (docstring): the corner block is
    dropped, the hole filled (9 px) or not (8 px)."""
    probability = np.zeros((8, 8))
    probability[1:4, 1:4] = 0.9
    probability[2, 2] = 0.1
    probability[4:6, 4:6] = 0.7
    foreground = np.zeros((8, 8), bool)
    foreground[1, 1] = True
    expected = np.zeros((8, 8), bool)
    expected[1:4, 1:4] = True
    np.testing.assert_array_equal(slice_result(probability, foreground), expected)
    expected[2, 2] = False
    np.testing.assert_array_equal(slice_result(probability, foreground, fill_holes=False), expected)


def test_slice_result_keeps_a_probability_of_one_half():
    """Thresholded at 0.5 as MONAI's ``AsDiscrete(threshold=0.5)`` does (``>=``): a network's logit 0 (p = 0.5 exactly)
    is foreground."""
    probability = np.zeros((4, 4))
    probability[1:3, 1:3] = 0.5
    foreground = np.zeros((4, 4), bool)
    foreground[1, 1] = True
    np.testing.assert_array_equal(slice_result(probability, foreground), probability == 0.5)


def test_several_annotated_slices_each_own_their_half():
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0)
    mask, history = propagator(
        volume, CopyPrevious(), annotation=_annotate(truth, [2, 8]), slices=[2, 8], return_history=True
    )
    np.testing.assert_array_equal(mask[0, ..., 5].numpy(), truth[0, ..., 2])  # 5 is nearer to 2 than to 8
    np.testing.assert_array_equal(mask[0, ..., 6].numpy(), truth[0, ..., 8])
    assert sorted(r.index for r in history) == list(range(15))


def test_annotated_slices_in_any_order_or_repeated():
    """``slices=[8, 2, 8]`` means slices 2 and 8: the same mask, history and ``propagated_from`` as ``[2, 8]`` (slices
    0-5 copy slice 2, slices 6-14 copy slice 8)."""
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0)
    annotation = _annotate(truth, [2, 8])
    mask, history = propagator(volume, CopyPrevious(), annotation=annotation, slices=[8, 2, 8], return_history=True)
    expected, sorted_history = propagator(volume, CopyPrevious(), annotation=annotation, slices=[2, 8],
                                          return_history=True)  # fmt: skip
    np.testing.assert_array_equal(mask.numpy(), expected.numpy())
    for z in range(15):
        np.testing.assert_array_equal(mask[0, ..., z].numpy(), truth[0, ..., 2 if z <= 5 else 8])
    assert mask.meta["propagated_from"] == [2, 8]
    outcome = [(r.index, r.direction, r.area, r.stop_reason) for r in history]
    assert outcome == [(r.index, r.direction, r.area, r.stop_reason) for r in sorted_history]  # not the timings
    assert sorted(r.index for r in history) == list(range(15))


def test_only_the_given_slices_are_propagated_from():
    """``slices`` picks the annotated slices to start from; the annotation's other slices are ignored, and
    ``meta["propagated_from"]`` lists the given ones: annotated on 2 and 8, started from 8 alone, CopyPrevious copies
    slice 8 everywhere."""
    volume, truth = _cone()
    mask = SlicePropagator(margin_mm=3.0)(volume, CopyPrevious(), annotation=_annotate(truth, [2, 8]), slices=[8])
    assert mask.meta["propagated_from"] == [8]
    for z in range(15):
        np.testing.assert_array_equal(mask[0, ..., z].numpy(), truth[0, ..., 8])


def test_shrink_rule_stops_and_clears_the_slice():
    volume, truth = _cone()
    truth[..., 9:] = 0
    truth[0, 20:23, 20:23, 9] = 1  # slice 9 keeps a 9-voxel speck: far below 0.5 x its neighbour
    volume = MetaTensor(torch.as_tensor(truth * 100.0, dtype=torch.float32), affine=AFFINE)
    propagator = SlicePropagator(margin_mm=3.0, min_area_fraction=0.5)
    mask, history = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]), return_history=True)
    stop = [r for r in history if r.direction == 1 and r.stop_reason][0]
    assert (stop.index, stop.stop_reason, stop.area) == (9, "shrunk", 0)
    assert mask[..., 9:].sum() == 0


def _threshold(image, prior, seeds, spacing):
    """A segmenter that keeps every bright pixel: which components survive is then the propagator's rule alone."""
    return image > 0.5


def _two_squares(b_slices):
    """Square A (64 px) bright on all 5 slices; square B (36 px) bright on ``b_slices``; A and B annotated on 2."""
    volume = np.zeros((1, 32, 32, 5), np.float32)
    volume[0, 4:12, 4:12] = 100.0
    volume[0, 20:26, 20:26, b_slices] = 100.0
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, ..., 2] = volume[0, ..., 2] > 0
    return volume, annotation


def test_user_seeds_add_a_missed_component():
    volume, _ = _two_squares([3])  # B appears on slice 3 only; the annotation holds A
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 4:12, 4:12, 2] = 1
    propagator = SlicePropagator(margin_mm=2.0)
    without = propagator(volume, _threshold, annotation=annotation)
    assert without[0, ..., 3].sum() == 64  # B holds no propagated seed: dropped
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[0, 22, 22, 3] = 1  # the user clicks B as foreground on slice 3
    with_click = propagator(volume, _threshold, annotation=annotation, seeds=seeds)
    assert with_click[0, ..., 3].sum() == 64 + 36 and with_click[0, 20:26, 20:26, 3].all()
    np.testing.assert_array_equal(with_click[..., [0, 1, 2, 4]], without[..., [0, 1, 2, 4]])  # B is gone on 4


def test_user_background_seed_removes_a_propagated_component():
    volume, annotation = _two_squares([0, 1, 2, 3, 4])  # A and B on every slice, both annotated on slice 2
    propagator = SlicePropagator(margin_mm=2.0)
    without = propagator(volume, _threshold, annotation=annotation)
    assert [int(without[0, ..., z].sum()) for z in range(5)] == [100] * 5
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[1, 22, 22, 3] = 1  # the user says B is not the object on slice 3
    with_click = propagator(volume, _threshold, annotation=annotation, seeds=seeds)
    # B goes on slice 3 and, propagated from there, on 4; the downward direction is untouched
    assert [int(with_click[0, ..., z].sum()) for z in range(5)] == [100, 100, 100, 64, 64]
    assert not with_click[0, 20:26, 20:26, 3:].any()


def test_user_background_click_on_a_leak_keeps_the_organ():
    """A leak grown out of the organ (a bright lobe in the annotation and on every slice): a background click in
    the lobe on slice 3 removes the lobe's propagated foreground seeds there, not the organ's. Cancelling the whole
    component under the click (the rule before) emptied slice 3 and stopped the direction."""
    volume = np.zeros((1, 40, 40, 6), np.float32)
    volume[0, 6:26, 6:26] = 100.0  # the organ
    volume[0, 26:34, 12:20] = 100.0  # a lobe of the same intensity, connected to it, on every slice
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, ..., 2] = volume[0, ..., 2] > 0
    seeds = np.zeros((2, 40, 40, 6), np.uint8)
    seeds[1, 30, 16, 3] = 1  # the user: the lobe is not the object
    recorded = {}

    def record(image, prior, seeds_, spacing):
        recorded[len(recorded)] = seeds_.copy()
        return image > 0.5

    mask = SlicePropagator(margin_mm=2.0)(volume, record, annotation=annotation, seeds=seeds)
    assert [int(mask[0, ..., z].sum()) for z in range(6)] == [464] * 6  # organ kept (the threshold keeps the lobe)
    slice3 = recorded[0]  # slices 3, 4, 5 then 1, 0
    assert slice3[0, 6:26, 6:26].any() and not slice3[0, 26:34, 12:20].any() and slice3[1, 30, 16]
    assert recorded[1][0, 26:34, 12:20].any()  # slice 4 is propagated from slice 3's mask: its own seeds again


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.6, 1.7)])
def test_rejected_by_clicks_is_the_union_of_discs(spacing):
    """Each click on the main component rejects the disc (in mm) of twice its depth; clicks at the image border
    and the anisotropic case included (the discs are computed on their boxes only: this pins the box arithmetic)."""
    prior = np.zeros((30, 24), bool)
    prior[0:20, 0:18] = True  # the organ touches the image border
    prior[12:16, 18:24] = True  # a lobe reaching the other border
    clicks = np.zeros_like(prior)
    clicks[[0, 14, 10, 19], [5, 23, 9, 0]] = True
    depth = ndimage.distance_transform_edt(prior, sampling=spacing)
    rows, cols = np.meshgrid(np.arange(30) * spacing[0], np.arange(24) * spacing[1], indexing="ij")
    expected = np.zeros_like(prior)
    for r, c in zip(*np.nonzero(clicks)):
        expected |= np.hypot(rows - r * spacing[0], cols - c * spacing[1]) <= 2 * depth[r, c]
    np.testing.assert_array_equal(rejected_by_clicks(prior, clicks, spacing), expected & prior)
    assert rejected_by_clicks(prior, clicks, spacing)[10, 9]  # the deep click rejects a real disc, not a point


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.5, 0.5)])
def test_click_in_a_thin_leak_rejects_its_whole_disc(spacing):
    """A click one pixel deep in a leak two pixels wide rejects the disc of radius two pixels (twice its depth) on
    both sides along the leak: the disc's box reaches radius / spacing pixels, its far end included. 8 pixels."""
    prior = np.zeros((12, 20), bool)
    prior[0:12, 0:12] = True  # the organ
    prior[5:7, 12:20] = True  # a leak grown out of it
    clicks = np.zeros_like(prior)
    clicks[5, 15] = True
    expected = np.zeros_like(prior)
    expected[5, 13:18] = True  # offsets -2..2 along the leak
    expected[6, 14:17] = True  # one row down: offsets with 1 + c² <= 4
    np.testing.assert_array_equal(rejected_by_clicks(prior, clicks, spacing), expected)


def test_rejected_by_clicks_island_touching_at_a_corner_is_an_island():
    """Components are face-connected: a 3 x 3 island touching the 6 x 6 organ only at a corner is an island, and a
    click in it rejects the island (9 pixels) and nothing of the organ. (Joined to the organ at the corner, the click
    two pixels deep would reject a disc of radius 4 reaching into the organ's corner instead.)"""
    prior = np.zeros((12, 12), bool)
    prior[0:6, 0:6] = True  # the organ
    prior[6:9, 6:9] = True  # the island, diagonal to the organ's corner pixel (5, 5)
    clicks = np.zeros_like(prior)
    clicks[7, 7] = True
    expected = np.zeros_like(prior)
    expected[6:9, 6:9] = True
    np.testing.assert_array_equal(rejected_by_clicks(prior, clicks, (1.0, 1.0)), expected)


def test_merge_user_seeds_overrides_and_rejects():
    prior = np.zeros((12, 12), bool)
    prior[2:10, 2:10] = True
    seeds = np.zeros((2, 12, 12), bool)
    seeds[0, 5, 2:10] = True  # propagated foreground along a row of the prior
    seeds[1, 0, :] = True  # propagated background ring (its top row)
    user = np.zeros((2, 12, 12), bool)
    user[0, 0, 3] = True  # the user: this ring pixel is the object
    user[1, 5, 9] = True  # and this edge pixel of the prior is not
    merged = merge_user_seeds(seeds, prior, user, (1.0, 1.0))
    assert merged[0, 0, 3] and not merged[1, 0, 3]  # user foreground replaces the propagated background
    assert merged[1, 5, 9] and not merged[0, 5, 7:10].any() and merged[0, 5, 2:7].all()  # disc of radius 2 dropped
    assert merged[1, 0, [0, 1, 2, 4]].all() and not seeds[0, 0, 3]  # the rest untouched, the input not modified


def test_merge_user_seeds_background_click_outside_the_prior_clears_a_foreground_seed():
    """A user background click on a propagated foreground seed outside ``prior`` (where the click rejects no part of
    it) still replaces that seed: the pixel ends background only; the other foreground seed stays."""
    prior = np.zeros((6, 6), bool)
    prior[1:3, 1:3] = True
    seeds = np.zeros((2, 6, 6), bool)
    seeds[0, 4, 4] = seeds[0, 1, 1] = True
    user = np.zeros((2, 6, 6), bool)
    user[1, 4, 4] = True
    merged = merge_user_seeds(seeds, prior, user, (1.0, 1.0))
    assert np.argwhere(merged[0]).tolist() == [[1, 1]] and np.argwhere(merged[1]).tolist() == [[4, 4]]


def test_edit_prior_adds_strokes_and_drops_what_background_seeds_reject():
    prior = np.zeros((12, 16), bool)
    prior[2:10, 2:10] = True
    prior[0:2, 13:16] = True  # an island
    user = np.zeros((2, 12, 16), bool)
    user[0, 5, 10:14] = True  # a foreground stroke out of the organ's right edge
    user[1, 1, 14] = True  # a background click on the island
    user[1, 11, 0] = True  # and one outside the prior: rejects nothing, and is no prior either way
    edited = edit_prior(prior, user, (1.0, 1.0))
    expected = prior.copy()
    expected[0:2, 13:16] = False
    expected[5, 10:14] = True
    np.testing.assert_array_equal(edited, expected)
    np.testing.assert_array_equal(edit_prior(prior, np.zeros_like(user), (1.0, 1.0)), prior)


def test_edit_prior_draws_strokes_in_mm():
    """A one-pixel foreground seed drawn 2 mm wide is a disc of radius 1 mm: at 1 x 0.5 mm pixels, two pixels either
    side along the 0.5 mm axis and one across (rows ±1 at 1 mm: only the seed's column, 1 + (0.5 c)² <= 1)."""
    user = np.zeros((2, 9, 9), bool)
    user[0, 4, 4] = True
    expected = np.zeros((9, 9), bool)
    expected[4, 2:7] = True
    expected[[3, 5], 4] = True
    np.testing.assert_array_equal(edit_prior(np.zeros((9, 9), bool), user, (1.0, 0.5), width_mm=2.0), expected)


@pytest.mark.parametrize("width", [-1.0, float("inf"), float("nan")])
def test_edit_prior_refuses_a_bad_width(width):
    with pytest.raises(ValueError, match="width_mm"):
        edit_prior(np.zeros((4, 4), bool), np.zeros((2, 4, 4), bool), (1.0, 1.0), width_mm=width)


class _PriorRecorder:
    """A segmenter that returns the prior it was given, and records it (and the seeds) per call."""

    def __init__(self) -> None:
        self.priors: list[np.ndarray] = []
        self.seeds: list[np.ndarray] = []

    def __call__(self, image, prior, seeds, spacing):
        self.priors.append(np.asarray(prior[0]).copy())
        self.seeds.append(np.asarray(seeds).copy())
        return prior


@pytest.mark.parametrize("width, added", [(None, 0), (0.0, 6), (3.0, 21)])
def test_user_seeds_edit_the_prior_only_when_asked(width, added):
    """``prior_stroke_mm``: the slice with a foreground stroke gets the neighbour's mask plus the stroke as prior
    (its 6 pixels; 3 mm wide at 1 mm pixels, discs of radius 1.5 around them: 3 rows of 7 beside the mask, the
    stroke's end grown by one pixel); without it, the mask alone."""
    volume, annotation = _two_squares([0, 1, 2, 3, 4])
    annotation[0, 20:26, 20:26, 2] = 0  # only A annotated
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[0, 8, 12:18, 3] = 1  # a stroke from A's edge outwards on slice 3
    recorder = _PriorRecorder()
    SlicePropagator(margin_mm=2.0, prior_stroke_mm=width)(volume, recorder, annotation=annotation, seeds=seeds)
    assert len(recorder.priors) == 4  # slices 3, 4 upwards, then 1, 0
    stroke = np.zeros((32, 32), bool)
    stroke[8, 12:18] = True
    first = recorder.priors[0]
    assert first[4:12, 4:12].all() and first[stroke].all() == (width is not None) and first.sum() == 64 + added
    assert recorder.priors[2].sum() == 64  # slice 1: no user seeds, the neighbour's mask as it is


def test_local_crop_holds_the_whole_stroke_of_the_edited_prior():
    """A local segmenter's crop reaches half ``prior_stroke_mm`` past the user seeds even where that exceeds the
    background ring's ``margin_mm``: the edited prior it gets equals the whole slice's, cropped."""
    volume, annotation = _two_squares([0, 1, 2, 3, 4])
    annotation[0, 20:26, 20:26, 2] = 0
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[0, 8, 12:18, 3] = 1
    recorder = _PriorRecorder()
    recorder.local = True
    SlicePropagator(margin_mm=1.0, prior_stroke_mm=8.0)(volume, recorder, annotation=annotation, seeds=seeds)
    whole = edit_prior(annotation[0, ..., 2] > 0, seeds[..., 3] > 0, (1.0, 1.0), 8.0)
    assert recorder.priors[0].sum() == whole.sum() == 64 + 74  # the stroke's 4 mm discs: 74 pixels beside A


def test_prior_stroke_mm_edits_the_prior_not_the_seeds():
    """On the stroked slice the segmenter gets the same seeds with ``prior_stroke_mm`` as without: propagated from
    the neighbour's mask (not from the edited prior, whose background ring would move out around the stroke) and
    merged with the user's; only its prior differs. (Slice 4 differs too, its neighbour's result holding the stroke;
    slices 1 and 0 not at all.)"""
    volume, annotation = _two_squares([0, 1, 2, 3, 4])
    annotation[0, 20:26, 20:26, 2] = 0  # only A annotated
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[0, 8, 12:18, 3] = 1  # a stroke from A's edge outwards on slice 3
    recorders = {width: _PriorRecorder() for width in (None, 3.0)}
    for width, recorder in recorders.items():
        SlicePropagator(margin_mm=2.0, prior_stroke_mm=width)(volume, recorder, annotation=annotation, seeds=seeds)
    plain, edited = recorders[None], recorders[3.0]
    assert len(plain.seeds) == len(edited.seeds) == 4  # slices 3, 4, then 1, 0
    for call in (0, 2, 3):
        np.testing.assert_array_equal(plain.seeds[call], edited.seeds[call])
    assert plain.priors[0].sum() == 64 and edited.priors[0].sum() == 64 + 21  # the stroke 3 mm wide


def test_user_foreground_seed_overrides_the_quality_stop():
    """A segmenter that predicts a low quality on slice 3 (marked by a bright corner pixel) stops the upward direction
    there; a user foreground seed on slice 3 vouches for it and the propagation goes on to the volume's end."""
    volume = np.zeros((1, 32, 32, 6), np.float32)
    volume[0, 8:20, 8:20] = 100.0
    volume[0, 0, 0, 3] = 100.0
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 8:20, 8:20, 1] = 1

    def doubtful(image, prior, seeds, spacing):
        return image > 0.5, 0.2 if image[0, 0, 0] > 0.5 else 0.9

    propagator = SlicePropagator(margin_mm=2.0, min_quality=0.5)
    stopped, history = propagator(volume, doubtful, annotation=annotation, return_history=True)
    assert [int(stopped[0, ..., z].sum()) for z in range(6)] == [144, 144, 144, 0, 0, 0]
    assert (3, "quality_drop") in [(r.index, r.stop_reason) for r in history]
    seeds = np.zeros((2, 32, 32, 6), np.uint8)
    seeds[0, 12, 12, 3] = 1
    vouched = propagator(volume, doubtful, annotation=annotation, seeds=seeds)
    assert [int(vouched[0, ..., z].sum()) for z in range(6)] == [144] * 6


#: slice 3 of a 12 x 12 square (slices 0-2, annotated on 1) that each stop rule stops at: shrunk to 2 x 2, grown to
#: 24 x 24, rated 0.2 (a bright corner pixel marks it), or brighter (180 instead of 100, on slice 3 only); the
#: settings that fire the rule; slice 3's area
STOP_RULES = {
    "shrunk": ((slice(13, 15), slice(13, 15)), {"min_area_fraction": 0.5}, 4),
    "grew": ((slice(2, 26), slice(2, 26)), {"max_growth": 2.0}, 576),
    "quality_drop": ((slice(8, 20), slice(8, 20)), {"min_quality": 0.5}, 144),
    "intensity": ((slice(8, 20), slice(8, 20)), {"intensity_fence": 1.5}, 144),
}


def _stop_rule_case(rule: str):
    """The volume, annotation and segmenter of :data:`STOP_RULES`' ``rule``."""
    box, _, _ = STOP_RULES[rule]
    volume = np.zeros((1, 32, 32, 6), np.float32)
    volume[0, 8:20, 8:20, :3] = 100.0
    volume[(0, *box, slice(3, 6))] = 100.0
    volume[(0, *box, 3)] = 180.0 if rule == "intensity" else 100.0
    volume[0, 0, 0, 3] = 100.0 if rule == "quality_drop" else 0.0
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 8:20, 8:20, 1] = 1

    def rated(image, prior, seeds, spacing):
        mask = image > 0.5
        mask[0, 0, 0] = False
        return mask, 0.2 if image[0, 0, 0] > 0.5 else 0.9

    return volume, annotation, rated


@pytest.mark.parametrize("rule", sorted(STOP_RULES))
def test_user_foreground_seed_overrides_every_stop_rule(rule):
    """Class docstring: a slice whose result holds a user foreground seed is never stopped by the shrink, quality,
    growth or intensity rules. Without the seed each rule stops the upward direction on slice 3 and leaves it (and 4,
    5) empty; with a foreground click inside slice 3's object the slice is kept and the propagation runs to the
    volume's end (slices 3-5 the object's area: 4, 576 or 144 pixels)."""
    _, settings, area = STOP_RULES[rule]
    volume, annotation, rated = _stop_rule_case(rule)
    propagator = SlicePropagator(margin_mm=2.0, **settings)
    stopped, history = propagator(volume, rated, annotation=annotation, return_history=True)
    assert [int(stopped[0, ..., z].sum()) for z in range(6)] == [144, 144, 144, 0, 0, 0]
    assert [(r.index, r.stop_reason) for r in history if r.direction == 1] == [(2, None), (3, rule)]
    seeds = np.zeros((2, 32, 32, 6), np.uint8)
    seeds[0, 13, 13, 3] = 1
    vouched, history = propagator(volume, rated, annotation=annotation, seeds=seeds, return_history=True)
    assert [int(vouched[0, ..., z].sum()) for z in range(6)] == [144, 144, 144, area, area, area]
    assert [(r.index, r.stop_reason) for r in history if r.direction == 1] == [
        (2, None), (3, None), (4, None), (5, "volume_end")
    ]  # fmt: skip


@pytest.mark.parametrize("rule", sorted(STOP_RULES))
def test_user_foreground_seed_outside_the_result_does_not_vouch(rule):
    """Only a seed that lies in the slice's *result* vouches for it: a foreground click on slice 3 where the segmenter
    finds background (pixel (30, 30), far from the object) leaves every stop rule firing there as without the click."""
    _, settings, _ = STOP_RULES[rule]
    volume, annotation, rated = _stop_rule_case(rule)
    seeds = np.zeros((2, 32, 32, 6), np.uint8)
    seeds[0, 30, 30, 3] = 1
    propagator = SlicePropagator(margin_mm=2.0, **settings)
    stopped, history = propagator(volume, rated, annotation=annotation, seeds=seeds, return_history=True)
    assert [int(stopped[0, ..., z].sum()) for z in range(6)] == [144, 144, 144, 0, 0, 0]
    assert [(r.index, r.stop_reason) for r in history if r.direction == 1] == [(2, None), (3, rule)]


def test_user_background_seed_stops_the_graph_cut():
    """With the graph cut too: a background click inside the propagated blob removes it from that slice on."""
    volume, truth = _cone()
    volume = volume.clone()
    volume[0, 2:8, 2:8, 4:8] = 100.0  # a separate bright blob on slices 4-7, annotated on 5 with the cone
    truth = truth.copy()
    truth[0, 2:8, 2:8, 4:8] = 1
    propagator = SlicePropagator(margin_mm=3.0, erosion_mm=1.5)  # solid foreground cores: robust seed histograms
    without = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]))
    assert without[0, 2:8, 2:8, 6].all()
    seeds = np.zeros((2, *truth.shape[1:]), np.uint8)
    seeds[1, 4, 4, 6] = 1
    with_click = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]), seeds=seeds)
    assert not with_click[0, :10, :10, 6:].any() and with_click[0, 2:8, 2:8, 4].all()
    # the cone stays (the seed histograms change a little without the blob's foreground seeds: measured 0.9997)
    assert overlap_scores(with_click[:, 10:, 10:], without[:, 10:, 10:])["dice"] > 0.99


def test_seeds_both_foreground_and_background_are_refused():
    volume, annotation = _two_squares([2])
    seeds = np.zeros((2, 32, 32, 5), np.uint8)
    seeds[:, 5, 6, 1] = 1
    with pytest.raises(ValueError, match=r"both foreground and background, e.g. at \[5, 6, 1\]"):
        SlicePropagator(margin_mm=2.0)(volume, _threshold, annotation=annotation, seeds=seeds)


def test_min_quality_stops_on_the_quality_of_the_returned_mask():
    """``quality`` is the segmenter's predicted Dice of the mask it returns; a slice below min_quality is blanked."""
    volume, annotation = _two_squares([2])
    calls = []

    def rated(image, prior, seeds, spacing):
        mask = image > 0.5  # A alone on slices 0, 1, 3, 4
        quality = 0.9 if mask.sum() > 80 else 0.3  # rates the mask it returns, not the prior (100 px everywhere)
        calls.append((int(prior.sum()), quality))
        return mask, quality

    mask, history = SlicePropagator(margin_mm=2.0, min_quality=0.5)(
        volume, rated, annotation=annotation, return_history=True
    )
    assert calls == [(100, 0.3), (100, 0.3)]  # one slice each way, from the 100-px annotation
    stops = {r.direction: (r.index, r.stop_reason, r.quality, r.area) for r in history if r.stop_reason}
    assert stops == {1: (3, "quality_drop", 0.3, 0), -1: (1, "quality_drop", 0.3, 0)}
    np.testing.assert_array_equal(mask, annotation)
    _, history = SlicePropagator(margin_mm=2.0, min_quality=0.2)(
        volume, rated, annotation=annotation, return_history=True
    )
    assert [r.quality for r in sorted(history, key=lambda r: r.index)] == [0.3, 0.3, None, 0.3, 0.3]


def test_numpy_input_gives_numpy_output():
    volume, truth = _cone()
    mask = SlicePropagator(margin_mm=3.0)(volume.numpy(), CopyPrevious(), annotation=_annotate(truth, [5]))
    assert isinstance(mask, np.ndarray) and mask.dtype == np.uint8


def test_an_int16_ct_gives_the_mask_of_its_float32_copy():
    """A CT as stored (int16 HU, what the CLI passes on): the window maps it to [0, 1] in float, so a 60 HU square on
    -50 HU with the window (0, 100) reads 0.6 against 0 and the threshold at 0.5 keeps the square on every slice, as
    for the same volume in float32 (integer arithmetic would floor 0.6 to 0: the mask would vanish)."""
    volume = np.full((1, 12, 12, 3), -50, np.int16)
    volume[0, 3:9, 3:9] = 60
    truth = (volume > 0).astype(np.uint8)
    propagator = SlicePropagator(margin_mm=1.0, window=(0, 100))
    masks = [propagator(v, _threshold, annotation=_annotate(truth, [1])) for v in (volume, volume.astype(np.float32))]
    np.testing.assert_array_equal(masks[0], truth)
    np.testing.assert_array_equal(masks[1], truth)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"inputs": np.zeros((48, 48, 15))}, "channel-first 3D volume"),
        ({"annotation": np.zeros((1, 48, 48, 14))}, "annotation shape"),
        ({"annotation": np.zeros((1, 48, 48, 15))}, "annotation is empty"),
        ({"annotation": np.full((1, 48, 48, 15), 0.5)}, "annotation must be binary"),
        ({"annotation": np.full((1, 48, 48, 15), 255, dtype=np.uint8)}, "annotation must be binary"),
        ({"annotation": np.full((1, 48, 48, 15), -1, dtype=np.int8)}, "annotation must be binary"),
        ({"slices": [20]}, "outside the volume"),
        ({"slices": [6]}, "slice 6 is empty"),
        ({"seeds": np.zeros((1, 48, 48, 15))}, "seeds must have 2 channel"),
        ({"inputs": np.full((1, 48, 48, 15), np.nan, dtype=np.float32)}, "inputs contains NaN"),
    ],
)
def test_bad_input(kwargs, match):
    volume, truth = _cone()
    call = {"inputs": volume, "network": CopyPrevious(), "annotation": _annotate(truth, [5]), **kwargs}
    with pytest.raises(ValueError, match=match):
        SlicePropagator()(**call)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"window": (10, 0)}, "window"),
        ({"window": (100, 100)}, "low < high"),
        ({"min_area_fraction": 1.0}, "min_area_fraction"),
        ({"margin_mm": 0}, "margin"),
        ({"workers": 0}, "workers"),
        ({"workers": 1.5}, "workers"),
        ({"prior_stroke_mm": float("inf")}, "prior_stroke_mm"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SlicePropagator(**kwargs)


@pytest.fixture(scope="module")
def slab():
    """The verbatim IRCAD slab (LPS-stored, 512 x 512 x 24), its liver annotated on the middle slice, and the tuned
    graph cut's result (computed once for the tests below)."""
    from monai_refine.data import load_ircad_patient

    image, reference = load_ircad_patient(SLAB_DIR)
    annotation = annotate_slices(reference, [middle_slice(reference)])
    segmenter, kwargs = propagation_preset("graph-cut")
    mask, history = SlicePropagator(**kwargs)(image, segmenter, annotation=annotation, return_history=True)
    return {"image": image, "reference": reference, "annotation": annotation, "mask": mask, "history": history}


@pytest.mark.slow
def test_graph_cut_on_the_shipped_slab(slab):
    """The tuned graph cut on the verbatim IRCAD slab, from its middle slice: a floor the code really reaches."""
    scores = overlap_scores(slab["mask"], slab["reference"])
    assert scores["dice"] > 0.95, scores  # measured 0.962 (docs/results.md)
    torch.testing.assert_close(slab["mask"].affine, slab["image"].affine)


@pytest.mark.slow
@pytest.mark.parametrize("axcodes", ["RAS", "IPL"])
def test_the_same_ct_stored_otherwise_gives_the_same_mask(slab, axcodes):
    """RAS (both in-plane axes flipped), and slices first (1, Z, Y, X) with Z pointing inferior, in-plane swapped."""
    from monai.transforms import Orientation

    stored_as = Orientation(axcodes=axcodes)
    image, annotation = stored_as(slab["image"]), stored_as(slab["annotation"])
    assert slice_axis_from_affine(image.affine) == {"RAS": 2, "IPL": 0}[axcodes]
    segmenter, kwargs = propagation_preset("graph-cut")
    mask = SlicePropagator(**kwargs)(image, segmenter, annotation=annotation)
    back = Orientation(axcodes="LPS")(mask)
    torch.testing.assert_close(back.affine, slab["mask"].affine)
    assert overlap_scores(back, slab["mask"])["dice"] >= 0.999  # measured 1.0: identical


@pytest.mark.slow
def test_two_workers_give_the_same_mask_and_history(slab):
    """The tuned graph cut with the two directions in two forked workers: the same mask and the same history (order
    included) as in one process."""
    segmenter, kwargs = propagation_preset("graph-cut")
    mask, history = SlicePropagator(**kwargs, workers=2)(
        slab["image"], segmenter, annotation=slab["annotation"], return_history=True
    )
    np.testing.assert_array_equal(mask.numpy(), slab["mask"].numpy())
    strip = [{**r.to_dict(), "ms": 0} for r in history]
    assert strip == [{**r.to_dict(), "ms": 0} for r in slab["history"]]
    torch.testing.assert_close(mask.affine, slab["image"].affine)


class _LocalRecorder:
    """A classical-style (``local``) segmenter that thresholds the slice and records each call's slice mean."""

    local = True

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, image, prior, seeds, spacing):
        self.calls.append(float(image.mean()))
        return image > 0.5


@pytest.mark.parametrize("local", [True, False])
def test_workers_fork_only_for_local_segmenters(local):
    """Several annotated slices and user seeds: 2 workers give the result of 1; a local segmenter runs in the forked
    workers (its calls are not recorded here), any other in this process (a network must not run in a fork)."""
    volume, truth = _cone()
    seeds = np.zeros((2, *truth.shape[1:]), np.uint8)
    seeds[1, 24, 30, 6] = 1  # a user background click on the cone's edge
    annotation = _annotate(truth, [3, 10])
    one, two = _LocalRecorder(), _LocalRecorder()
    one.local = two.local = local
    expected, first = SlicePropagator()(volume, one, annotation=annotation, seeds=seeds, return_history=True)
    mask, history = SlicePropagator(workers=2)(volume, two, annotation=annotation, seeds=seeds, return_history=True)
    np.testing.assert_array_equal(mask.numpy(), expected.numpy())
    assert [r.index for r in history] == [r.index for r in first] and len(one.calls) == len(first) - 2
    assert two.calls == ([] if local else one.calls)


@pytest.mark.slow
def test_graph_cut_crops_to_the_prior_with_the_same_result(slab):
    """The tuned graph cut on crops around the prior and its ring (``local``) equals the whole-slice computation."""
    segmenter, kwargs = propagation_preset("graph-cut")
    whole = SlicePropagator(**kwargs)(slab["image"], lambda *args: segmenter(*args), annotation=slab["annotation"])
    np.testing.assert_array_equal(whole.numpy(), slab["mask"].numpy())


@pytest.mark.slow
def test_inside_a_monai_supervised_evaluator(slab):
    """The segmenter as the engine's network, the annotation from the batch via MONAI's PrepareBatchExtraInput."""
    from monai.data import DataLoader, Dataset
    from monai.engines import PrepareBatchExtraInput, SupervisedEvaluator
    from monai.handlers import MeanDice, from_engine

    data = [{"image": slab["image"], "label": slab["reference"], "annotation": slab["annotation"]}]
    segmenter, kwargs = propagation_preset("graph-cut")
    evaluator = SupervisedEvaluator(
        device=torch.device("cpu"),
        val_data_loader=DataLoader(Dataset(data), batch_size=1),
        network=segmenter,
        inferer=SlicePropagator(**kwargs),
        prepare_batch=PrepareBatchExtraInput({"annotation": "annotation"}),
        key_val_metric={"dice": MeanDice(output_transform=from_engine(["pred", "label"]))},
        decollate=True,
    )
    evaluator.run()
    expected = overlap_scores(slab["mask"], slab["reference"])["dice"]
    assert evaluator.state.metrics["dice"] == pytest.approx(expected, abs=1e-6)
    pred = evaluator.state.output[0]["pred"]
    np.testing.assert_array_equal(pred.numpy(), slab["mask"].numpy())
    torch.testing.assert_close(pred.affine, slab["image"].affine)


class _PriorLogits(torch.nn.Module):
    """A stand-in network that returns the prior channel as logits, and records the channels it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.in_channels: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.in_channels.append(x.shape[1])
        return 20 * (x[:, 1:2] - 0.5)


def test_a_network_plugs_in_without_changing_the_engine():
    volume, truth = _cone()
    network = _PriorLogits()
    segmenter = NetworkSegmenter(network, sigma=3.0)
    mask = SlicePropagator(margin_mm=3.0)(volume, segmenter, annotation=_annotate(truth, [5]))
    copied = SlicePropagator(margin_mm=3.0)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    np.testing.assert_array_equal(mask.numpy(), copied.numpy())
    assert set(network.in_channels) == {4}  # image, prior, foreground and background seed maps


def test_refinenet_through_network_segmenter():
    from monai_refine.networks.nets import RefineNet
    from monai_refine.transforms import GaussianSeedMap, MaskSeeds
    from monai_refine.utils import RefineOutputs

    volume, truth = _cone()
    volume, truth = volume[..., 4:7], truth[..., 4:7]  # 3 slices of the cone (4-6): two network calls
    torch.manual_seed(0)
    net = RefineNet(2, in_channels=3, features=(4, 4, 8, 8, 8, 4), refine_features=4)
    seen = []  # (input, refined logits) of each call
    net.register_forward_hook(lambda module, args, out: seen.append((args[0], out[RefineOutputs.REFINED])))
    segmenter = NetworkSegmenter(net, channels=("image", "seed_map"), output_key=RefineOutputs.REFINED)
    propagator = SlicePropagator(margin_mm=3.0, window=(-100, 200))
    mask, history = propagator(volume, segmenter, annotation=_annotate(truth, [1]), return_history=True)
    assert mask.shape == volume.shape and [r.index for r in history[:2]] == [1, 2] and len(seen) == 2
    # cone slice 6, in the canonical in-plane orientation (the affine points both in-plane axes backwards: flipped)
    x, refined = seen[0]
    canonical = np.flip(volume[0, ..., 2].numpy(), (0, 1))
    np.testing.assert_allclose(x[0, 0].numpy(), np.clip((canonical + 100) / 300, 0, 1), atol=1e-6)
    # the seed maps are in mm on the affine's 0.8 mm grid (sigma 5 mm): the seeds of the annotated cone slice 5
    prior = np.flip(truth[:, ..., 1], (1, 2)).astype(bool)
    seeds = MaskSeeds(margin_mm=3.0, spacing=(0.8, 0.8))(prior)
    np.testing.assert_allclose(x[0, 1:].numpy(), GaussianSeedMap(sigma=5.0, spacing=(0.8, 0.8))(seeds), atol=1e-6)
    # the slice result: the refined output's seeded components, never outside ``sigmoid(refined) >= 0.5``
    result = np.flip(mask[0, ..., 2].numpy(), (0, 1)).astype(bool)
    assert result.sum() == history[1].area > 0
    assert not (result & (torch.sigmoid(refined[0, 0]) < 0.5).numpy()).any()
    with pytest.raises(ValueError, match="output_key"):
        NetworkSegmenter(net, channels=("image", "seed_map"))(
            np.zeros((1, 48, 48), np.float32), truth[:, ..., 1] > 0, np.zeros((2, 48, 48), bool)
        )
    with pytest.raises(ValueError, match="channels"):
        NetworkSegmenter(net, channels=("image", "label"))


@pytest.mark.parametrize("name", ["annotation", "seeds"])
def test_annotation_or_seeds_with_another_geometry_is_refused(name):
    """Every MetaTensor the call is given beside the volume must share its geometry: the annotation and the seeds."""
    volume, truth = _cone()
    shifted = AFFINE.clone()
    shifted[0, 3] += 5.0  # same voxels, origin 5 mm away
    inputs = {"annotation": _annotate(truth, [5]), "seeds": np.zeros((2, *truth.shape[1:]), np.uint8)}
    inputs[name] = MetaTensor(torch.as_tensor(inputs[name]), affine=shifted)
    with pytest.raises(ValueError, match=f"inputs .* and {name} .* do not share geometry: origin"):
        SlicePropagator()(volume, CopyPrevious(), **inputs)


@pytest.mark.slow
@requires_shared_data
def test_graph_cut_preset_on_the_full_patient():
    """The figure of docs/results.md (Dice 0.914 on IRCAD patient 17 from slice 57) must not silently regress."""
    from monai_refine.data import load_ircad_patient

    image, reference = load_ircad_patient(SHARED_DATA / "ircad" / "patient17")
    annotation = annotate_slices(reference, [57])
    segmenter, kwargs = propagation_preset("graph-cut")
    scores = overlap_scores(SlicePropagator(**kwargs)(image, segmenter, annotation=annotation), reference)
    assert scores["dice"] > 0.90 and scores["ppv"] > 0.92, scores


class _QualityStub(torch.nn.Module):
    """Returns the prior as mask logits and a "predicted Dice" that drops once the prior is small (< 300 voxels)."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        prior = x[:, 1:2]
        quality = torch.where(prior.sum() > 300, 0.9, 0.2).reshape(1, 1)
        return {"mask": 20 * (prior - 0.5), "quality": quality}


def test_quality_drop_stops_a_direction():
    volume, truth = _cone()
    segmenter = NetworkSegmenter(_QualityStub(), channels=("image", "prior"), output_key="mask", quality_key="quality")
    propagator = SlicePropagator(margin_mm=3.0, min_quality=0.5)
    # 377 voxels: predicted quality 0.9 throughout
    _, history = propagator(volume, segmenter, annotation=_annotate(truth, [3]), return_history=True)
    assert all(r.quality == pytest.approx(0.9) for r in history if r.direction)
    assert {r.stop_reason for r in history} == {None, "volume_end"}

    # 49 voxels: predicted quality 0.2
    mask, history = propagator(volume, segmenter, annotation=_annotate(truth, [10]), return_history=True)
    stops = {r.direction: (r.index, r.stop_reason, r.quality) for r in history if r.stop_reason}
    assert stops == {1: (11, "quality_drop", pytest.approx(0.2)), -1: (9, "quality_drop", pytest.approx(0.2))}
    np.testing.assert_array_equal(mask.numpy(), _annotate(truth, [10]))  # the doubtful slices are left empty


def test_min_quality_needs_a_quality():
    volume, truth = _cone()
    with pytest.raises(ValueError, match="min_quality needs a segmenter"):
        SlicePropagator(min_quality=0.5)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    with pytest.raises(ValueError, match="min_quality must be"):
        SlicePropagator(min_quality=1.5)


def _slices_first(volume: MetaTensor, truth: np.ndarray) -> tuple[MetaTensor, np.ndarray]:
    """The cone stored with its slices on the first array axis: ``(1, Z, X, Y)`` with the matching affine."""
    affine = volume.affine.clone()
    affine[:, :3] = volume.affine[:, [2, 0, 1]]
    moved = MetaTensor(torch.as_tensor(np.moveaxis(volume.numpy(), 3, 1).copy()), affine=affine)
    return moved, np.moveaxis(truth, 3, 1).copy()


def test_slices_on_the_first_axis_are_found_from_the_affine():
    volume, truth = _cone()
    moved, moved_truth = _slices_first(volume, truth)
    annotation = MetaTensor(torch.as_tensor(moved_truth * 0), affine=moved.affine)
    annotation[0, 5] = torch.as_tensor(moved_truth[0, 5])
    mask, history = SlicePropagator(margin_mm=3.0)(moved, CopyPrevious(), annotation=annotation, return_history=True)
    # every slice along axis 0 gets the annotated slice 5 (15 slices visited), not every slice along the last axis
    np.testing.assert_array_equal(mask.numpy(), np.repeat(moved_truth[:, 5:6], 15, axis=1))
    assert sorted(r.index for r in history) == list(range(15))
    # the override and the plain-array default (last axis) still apply
    override = SlicePropagator(margin_mm=3.0, slice_axis=0)(moved.numpy(), CopyPrevious(), annotation=annotation)
    np.testing.assert_array_equal(override, mask.numpy())
    with pytest.raises(ValueError, match="annotated slice 0 is empty"):  # axis 2 of (1, Z, X, Y): slice 0 is empty
        SlicePropagator(margin_mm=3.0)(moved.numpy(), CopyPrevious(), annotation=annotation.numpy(), slices=[0])


def test_graph_cut_along_the_first_axis_matches_the_last():
    volume, truth = _cone()
    moved, moved_truth = _slices_first(volume, truth)
    propagator = SlicePropagator(margin_mm=3.0, min_area_fraction=0.3)
    mask = propagator(volume, GraphCutSegmenter(shape_weight=0.02), annotation=_annotate(truth, [5]))
    annotation = np.zeros_like(moved_truth)
    annotation[0, 5] = moved_truth[0, 5]
    moved_mask = propagator(moved, GraphCutSegmenter(shape_weight=0.02), annotation=annotation)
    np.testing.assert_array_equal(np.moveaxis(moved_mask.numpy(), 1, 3), mask.numpy())
    assert overlap_scores(mask, truth)["dice"] > 0.95


class _Recorder:
    """A segmenter that copies the prior and records the shape and spacing of each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, tuple]] = []

    def __call__(self, image, prior, seeds, spacing):
        self.calls.append((image.shape, tuple(spacing)))
        return prior


def test_segmenters_get_the_in_plane_spacing_of_the_slice_axis():
    volume, truth = _cone()
    affine = torch.diag(torch.tensor([0.7, 0.9, 2.5, 1.0], dtype=torch.float64))
    volume = MetaTensor(volume.as_tensor(), affine=affine)
    recorder = _Recorder()
    SlicePropagator(margin_mm=3.0)(volume, recorder, annotation=_annotate(truth, [5]))
    assert {call[1] for call in recorder.calls} == {(0.7, 0.9)} and len(recorder.calls) == 14
    assert {call[0] for call in recorder.calls} == {(1, 48, 48)}  # no `local` attribute: whole slices

    moved, moved_truth = _slices_first(volume, truth)  # the same CT, slices first: spacing still of (X, Y)
    annotation = np.zeros_like(moved_truth)
    annotation[0, 5] = moved_truth[0, 5]
    recorder = _Recorder()
    SlicePropagator(margin_mm=3.0)(moved, recorder, annotation=annotation)
    assert {call[1] for call in recorder.calls} == {(0.7, 0.9)}
    recorder = _Recorder()
    SlicePropagator(margin_mm=3.0, slice_axis=1)(moved, recorder, annotation=annotation, slices=[24])
    assert {call[1] for call in recorder.calls} == {(0.9, 2.5)}  # slices across X: canonical in-plane (Y, Z)


def test_middle_and_annotated_slices_follow_the_affine():
    volume, truth = _cone()
    moved, moved_truth = _slices_first(volume, truth)
    reference = MetaTensor(torch.as_tensor(moved_truth), affine=moved.affine)
    assert middle_slice(reference) == 6  # the cone spans slices 0..12 along axis 0
    assert middle_slice(reference, slice_axis=2) == 24  # along the last axis it spans 10..38 (radius 14 at 24)
    annotation = annotate_slices(reference, [6])
    assert isinstance(annotation, MetaTensor)
    np.testing.assert_array_equal(annotation.numpy().sum(axis=(0, 2, 3)) > 0, np.arange(15) == 6)
    np.testing.assert_array_equal(annotation[0, 6].numpy(), moved_truth[0, 6])
    with pytest.raises(ValueError, match="the reference mask is empty"):
        middle_slice(np.zeros((1, 4, 4, 9)))


def test_batch_first_input_gives_a_batch_first_output():
    volume, truth = _cone()
    annotation = _annotate(truth, [5])
    single = SlicePropagator(margin_mm=3.0)(volume, GraphCutSegmenter(), annotation=annotation)
    batch = MetaTensor(volume.as_tensor()[None], affine=volume.affine[None])
    batch.is_batch = True
    out, history = SlicePropagator(margin_mm=3.0)(
        batch, GraphCutSegmenter(), annotation=annotation[None], return_history=True
    )
    assert out.shape == (1, 1, 48, 48, 15) and out.is_batch and out.dtype == torch.uint8
    np.testing.assert_array_equal(out[0].numpy(), single.numpy())
    assert [r.index for r in history] == [r["index"] for r in single.meta["propagation_history"]]
    plain = SlicePropagator(margin_mm=3.0)(volume.numpy()[None], CopyPrevious(), annotation=annotation)
    assert plain.shape == (1, 1, 48, 48, 15) and isinstance(plain, np.ndarray)
    with pytest.raises(ValueError, match="batch of one"):
        SlicePropagator()(np.zeros((2, 1, 48, 48, 15)), CopyPrevious(), annotation=annotation)


def test_a_call_leaves_the_propagator_unchanged():
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0)
    before = dict(vars(propagator))
    first, history = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]), return_history=True)
    moved, moved_truth = _slices_first(volume, truth)  # another axis and spacing: nothing may leak to the next call
    annotation = np.zeros_like(moved_truth)
    annotation[0, 5] = moved_truth[0, 5]
    propagator(moved, GraphCutSegmenter(), annotation=annotation)
    assert vars(propagator) == before
    again, history_again = propagator(
        volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]), return_history=True
    )
    np.testing.assert_array_equal(again.numpy(), first.numpy())
    assert [r.area for r in history_again] == [r.area for r in history]


@pytest.mark.parametrize(
    "method, kind, kwargs, floor",
    [  # Dice floors below the measured 0.887 and 1.0 on the noisy cone (copy-previous is checked exactly)
        ("graph-cut", GraphCutSegmenter, {"margin_mm": 3.0, "intensity_fence": 1.5}, 0.85),
        ("random-walker", RandomWalkerSegmenter, {"margin_mm": 3.0, "erosion_mm": 2.0, "intensity_fence": 1.5}, 0.95),
        ("copy-previous", CopyPrevious, {"margin_mm": 3.0, "intensity_fence": 1.5}, None),
    ],
)
def test_every_preset_runs(method, kind, kwargs, floor):
    assert set(PRESETS) == {"graph-cut", "random-walker", "copy-previous"}
    volume, truth = _cone()
    segmenter, preset_kwargs = propagation_preset(method)
    assert type(segmenter) is kind and preset_kwargs == kwargs
    mask = SlicePropagator(**preset_kwargs, window=(-100, 200), min_area_fraction=0.3)(
        volume, segmenter, annotation=_annotate(truth, [5])
    )
    dice = overlap_scores(mask, truth)["dice"]
    if floor is None:  # the annotated disc (253 px) on every slice up to 7; on 8 the cone (113 px) fills less than
        # half of it, the median is background, outside the intensity fence: the upward direction stops there
        expected = np.repeat(truth[..., 5:6], 15, axis=-1)
        expected[..., 8:] = 0
        np.testing.assert_array_equal(mask.numpy(), expected)
    else:
        assert dice > floor, (method, dice)


def test_unknown_preset():
    with pytest.raises(ValueError, match="method must be one of"):
        propagation_preset("watershed")


def test_in_a_bundle_config():
    """The ``inference.json`` wiring of the class docstring, parsed by MONAI's ConfigParser, gives the direct result."""
    from monai.bundle import ConfigParser

    volume, truth = _cone()
    annotation = MetaTensor(torch.as_tensor(_annotate(truth, [5])), affine=AFFINE)
    config = {
        "data": [
            {"image": volume, "label": MetaTensor(torch.as_tensor(truth), affine=AFFINE), "annotation": annotation}
        ],
        "network_def": {"_target_": "monai_refine.inferers.GraphCutSegmenter"},
        "inferer": {"_target_": "monai_refine.inferers.SlicePropagator", "margin_mm": 3.0, "min_area_fraction": 0.3},
        "prepare_batch": {"_target_": "PrepareBatchExtraInput", "extra_keys": {"annotation": "annotation"}},
        "dataloader": {"_target_": "DataLoader", "dataset": {"_target_": "Dataset", "data": "@data"}, "batch_size": 1},
        "evaluator": {
            "_target_": "SupervisedEvaluator",
            "device": "$torch.device('cpu')",
            "val_data_loader": "@dataloader",
            "network": "@network_def",
            "inferer": "@inferer",
            "prepare_batch": "@prepare_batch",
        },
    }
    evaluator = ConfigParser(config).get_parsed_content("evaluator")
    evaluator.run()
    pred = evaluator.state.output[0]["pred"]
    direct = SlicePropagator(margin_mm=3.0, min_area_fraction=0.3)(volume, GraphCutSegmenter(), annotation=annotation)
    np.testing.assert_array_equal(pred.numpy(), direct.numpy())
    assert overlap_scores(pred, truth)["dice"] > 0.95


def test_training_slices_look_like_inference_slices():
    """PropagationSliceDataset (training) holds each slice as SlicePropagator hands it to a segmenter (inference)."""
    from monai_refine.data.slice_samples import PropagationSliceDataset
    from monai_refine.inferers import canonical_slices

    volume, truth = _cone()
    volume = volume.clone()
    volume[0, :6, :3] = 150.0  # an asymmetric mark: any flip or transpose shows
    seen = {}

    def recorder(image, prior, seeds, spacing):
        seen[len(seen)] = (image[0].copy(), tuple(spacing))
        return prior

    SlicePropagator(margin_mm=3.0, window=(-100, 200))(volume, recorder, annotation=_annotate(truth, [5]))
    slices, axis, spacing = canonical_slices(volume)
    assert axis == 2 and spacing == (0.8, 0.8)
    expected = np.clip((slices[0, 6] + 100) / 300, 0, 1)
    np.testing.assert_allclose(seen[0][0], expected, atol=1e-6)  # the first call is slice 6
    assert seen[0][1] == spacing
    assert seen[0][0][-1, -1] == pytest.approx(250 / 300) and seen[0][0][0, 0] < 0.5  # the mark, flipped
    data = PropagationSliceDataset([(volume, MetaTensor(torch.as_tensor(truth), affine=AFFINE))], window=(-100, 200))
    np.testing.assert_allclose(window_intensity(data.images[0][6], data.window), expected, atol=1e-6)  # HU kept
    np.testing.assert_array_equal(data.labels[0][6], np.flip(truth[0, ..., 6], (0, 1)))
    assert data.spacings[0] == spacing


def test_max_growth_stops_a_leak():
    """A cone touching, from slice 9 on, a 40 × 40 square of the same intensity (a neighbouring organ): a segmenter
    that takes everything bright leaks into it; max_growth stops the direction there and leaves that slice empty."""
    volume, truth = _cone()
    leaky = truth.copy()
    leaky[0, 4:44, 4:44, 9:] = 1
    image = MetaTensor(torch.as_tensor(leaky * 100.0, dtype=torch.float32), affine=AFFINE)

    def bright(image, prior, seeds, spacing):
        return image > 0.5

    start = _annotate(leaky, [5])
    unbounded = SlicePropagator(margin_mm=3.0)(image, bright, annotation=start)
    assert unbounded[0, ..., 9:].sum() == 6 * 1600  # the leak runs to the end of the volume
    mask, history = SlicePropagator(margin_mm=3.0, max_growth=1.5)(image, bright, annotation=start, return_history=True)
    stops = {r.direction: (r.index, r.stop_reason) for r in history if r.stop_reason}
    assert stops[1] == (9, "grew")  # 1600 voxels after the cone's 113 (radius 6) on slice 8
    assert stops[-1] == (0, "volume_end")  # downwards the cone widens by at most (10 / 9)² ≈ 1.23× per slice
    assert mask[0, ..., 9:].sum() == 0
    np.testing.assert_array_equal(mask[0, ..., :9], unbounded[0, ..., :9])
    with pytest.raises(ValueError, match="max_growth"):
        SlicePropagator(max_growth=1.0)


@pytest.mark.parametrize("window", [(100, 100), (150.5, 100.5)])
def test_window_intensity_refuses_an_empty_or_inverted_window(window):
    """``(100, 100)`` would divide by zero, ``(150.5, 100.5)`` map intensities backwards: both refused."""
    with pytest.raises(ValueError, match="low < high"):
        window_intensity(np.zeros(3, np.float32), window)


def _square_volume() -> tuple[np.ndarray, np.ndarray]:
    """A (1, 12, 12, 3) volume whose middle slice is annotated with the square rows/columns 3..8."""
    annotation = np.zeros((1, 12, 12, 3), dtype=np.uint8)
    annotation[0, 3:9, 3:9, 1] = 1
    return np.zeros(annotation.shape, dtype=np.float32), annotation


@pytest.mark.parametrize("fill_holes, area", [(True, 36), (False, 32)])
def test_fill_holes_is_applied_to_the_segmenter_output(fill_holes, area):
    """A segmenter answering a 6x6 ring with a 2x2 hole gives 36 voxels with fill_holes, 32 without."""

    def ring(image, prior, seeds, spacing):
        out = np.zeros(prior.shape, dtype=np.float32)
        out[0, 3:9, 3:9] = 1
        out[0, 5:7, 5:7] = 0
        return out

    volume, annotation = _square_volume()
    result = SlicePropagator(margin_mm=2.0, fill_holes=fill_holes)(volume, ring, annotation)
    assert [int(result[0, ..., z].sum()) for z in range(3)] == [area, 36, area]


def test_user_foreground_click_replaces_a_propagated_background_seed():
    """(1, 5) lies on the 2 mm ring around the annotated square (a background seed); a user foreground click there
    makes it a foreground seed only, on the clicked slice and not on the other."""
    received = {}

    def record(image, prior, seeds, spacing):
        received[len(received)] = seeds.copy()
        return prior.astype(np.float32)

    volume, annotation = _square_volume()
    user = np.zeros((2, 12, 12, 3), dtype=np.uint8)
    user[0, 1, 5, 2] = 1
    SlicePropagator(margin_mm=2.0)(volume, record, annotation, seeds=user)
    forward, backward = received[0], received[1]  # slice 2 first (direction +1), then slice 0
    assert forward[:, 1, 5].tolist() == [True, False]
    assert backward[:, 1, 5].tolist() == [False, True]


def test_local_crop_reaches_the_whole_ring_at_fine_spacing():
    """At 0.5 mm in-plane the 2 mm ring lies 4 pixels out: a local segmenter's crop must hold all of it, so it sees
    the same number of background seeds as a segmenter given the whole slice."""

    class Whole:
        def __call__(self, image, prior, seeds, spacing):
            return prior.astype(np.float32)

    class Local(Whole):
        local = True

    volume = np.zeros((1, 24, 24, 3), dtype=np.float32)
    annotation = np.zeros(volume.shape, dtype=np.uint8)
    annotation[0, 9:15, 9:15, 1] = 1
    affine = torch.diag(torch.tensor([0.5, 0.5, 2.0, 1.0], dtype=torch.float64))
    counts = []
    for segmenter in (Whole(), Local()):
        _, history = SlicePropagator(margin_mm=2.0)(
            MetaTensor(volume, affine=affine), segmenter, MetaTensor(annotation, affine=affine), return_history=True
        )
        counts.append([record.n_bg_seeds for record in history])
    assert counts[0] == counts[1] and min(counts[0][1:]) > 0


def test_canonical_slices_swap_the_spacing_with_the_axes():
    """Array axis 0 runs along world y (0.5 mm) and axis 1 along world x (0.8 mm): the canonical slice has x first,
    so its rows are array axis 1 and its spacing (0.8, 0.5)."""
    from monai_refine.inferers import canonical_slices

    volume = torch.arange(72.0).reshape(1, 4, 6, 3)
    affine = torch.tensor([[0, 0.8, 0, 0], [0.5, 0, 0, 0], [0, 0, 2.0, 0], [0, 0, 0, 1]], dtype=torch.float64)
    slices, axis, spacing = canonical_slices(MetaTensor(volume, affine=affine))
    assert axis == 2 and spacing == (0.8, 0.5) and slices.shape == (1, 3, 6, 4)
    np.testing.assert_array_equal(slices[0, 1], volume[0, :, :, 1].numpy().T)


def test_local_crop_holds_a_user_click_far_from_the_prior():
    """A local segmenter's crop spans the prior, its ring and the slice's user seeds: a foreground click 20 pixels
    away from the annotated square reaches the segmenter, so its pixel is kept on that slice."""

    class LocalSeeds:
        local = True

        def __call__(self, image, prior, seeds, spacing):  # the prior plus every foreground seed
            return prior | seeds[:1]

    volume = np.zeros((1, 40, 40, 3), dtype=np.float32)
    annotation = np.zeros(volume.shape, dtype=np.uint8)
    annotation[0, 4:10, 4:10, 1] = 1
    user = np.zeros((2, 40, 40, 3), dtype=np.uint8)
    user[0, 30, 30, 2] = 1
    mask = SlicePropagator(margin_mm=2.0)(volume, LocalSeeds(), annotation, seeds=user)
    assert [int(mask[0, ..., z].sum()) for z in range(3)] == [36, 36, 37] and mask[0, 30, 30, 2] == 1


def test_negative_slice_axis_counts_from_the_end():
    from monai_refine.inferers import resolve_slice_axis

    assert [resolve_slice_axis(np.zeros((1, 2, 3, 4)), a) for a in (-1, -2, -3)] == [2, 1, 0]
    annotation = np.zeros((1, 3, 12, 12), dtype=np.uint8)
    annotation[0, 1, 3:9, 3:9] = 1
    volume = np.zeros(annotation.shape, dtype=np.float32)
    first = SlicePropagator(margin_mm=2.0, slice_axis=-3)(volume, CopyPrevious(), annotation)
    np.testing.assert_array_equal(
        first, SlicePropagator(margin_mm=2.0, slice_axis=0)(volume, CopyPrevious(), annotation)
    )
    assert first.sum(axis=(0, 2, 3)).tolist() == [36, 36, 36]


@pytest.mark.parametrize("workers", [1, 2])
def test_fortran_order_input_gives_the_same_mask_in_its_own_order(workers):
    """A Fortran-order volume and annotation (``load_image(contiguous=False)``: the CLI's) are read through their
    strides: same mask, history and metadata as the C-order ones, the mask in the input's order (issue 12.5)."""
    volume, truth = _cone()
    annotation = MetaTensor(torch.as_tensor(_annotate(truth, [5])), affine=AFFINE)

    def fortran(x: MetaTensor) -> MetaTensor:
        return MetaTensor(torch.from_numpy(np.asfortranarray(x.numpy()[0])[None]), meta=x.meta)

    propagator = SlicePropagator(margin_mm=3.0, window=(-100, 200), min_area_fraction=0.3, workers=workers)
    segmenter = GraphCutSegmenter()
    expected, expected_history = propagator(volume, segmenter, annotation=annotation, return_history=True)
    mask, history = propagator(fortran(volume), segmenter, annotation=fortran(annotation).bool(), return_history=True)
    assert expected.is_contiguous() and not mask.is_contiguous() and mask.stride()[1:] == (1, 48, 48 * 48)
    assert torch.equal(mask.as_tensor(), expected.as_tensor()) and mask.dtype == torch.uint8
    assert [r.to_dict() | {"ms": 0} for r in history] == [r.to_dict() | {"ms": 0} for r in expected_history]
    assert torch.equal(mask.affine, expected.affine)
    assert mask.meta["propagated_from"] == [5] and len(mask.meta["propagation_history"]) == len(history)
    assert middle_slice(fortran(annotation)) == middle_slice(annotation) == 5


def test_intensity_fence_stops_a_leak_into_a_brighter_organ_at_the_organs_end():
    """An organ (100 HU, slices 3-9) touching a contrast-filled one (220 HU, slices 0-5) beside it: a threshold
    "segmenter" takes both where they touch, and past the organ's lower end only the bright one. Without the fence
    the propagation runs on through the bright organ to slice 0; with Tukey's fence (1.5) it stops on slice 2, the
    first slice whose result's median lies outside the organ's [Q1 - 1.5 IQR, Q3 + 1.5 IQR] on the annotated slice,
    and leaves it empty."""
    rng = np.random.default_rng(0)
    volume = rng.normal(-50, 5, (1, 40, 40, 12)).astype(np.float32)
    volume[0, 8:24, 8:24, 3:10] = rng.normal(100, 8, (16, 16, 7))
    volume[0, 24:32, 8:24, 0:6] = rng.normal(220, 8, (8, 16, 6))  # touches the organ on slices 3-5
    annotation = np.zeros(volume.shape, np.uint8)
    annotation[0, 8:24, 8:24, 6] = 1

    def threshold(image, prior, seeds, spacing):  # window (-100, 200): 25 HU
        return image > 0.42

    plain, history = SlicePropagator(margin_mm=2.0)(volume, threshold, annotation=annotation, return_history=True)
    assert [int(plain[0, ..., z].sum()) for z in range(6)] == [128, 128, 128, 384, 384, 384]
    fenced, history = SlicePropagator(margin_mm=2.0, intensity_fence=1.5)(
        volume, threshold, annotation=annotation, return_history=True
    )
    assert [int(fenced[0, ..., z].sum()) for z in range(6)] == [0, 0, 0, 384, 384, 384]
    assert [(r.index, r.stop_reason) for r in history if r.direction == -1][-1] == (2, "intensity")
    assert int(fenced[0, ..., 9].sum()) == 256 and (fenced[..., 6:] == plain[..., 6:]).all()  # the upper half alike
    with pytest.raises(ValueError, match="intensity_fence"):
        SlicePropagator(intensity_fence=-1.0)


def test_window_intensity_into_a_separate_out_array_ignores_its_old_contents():
    """``out=`` another array: the volume is copied into it first, so what it held before does not matter."""
    volume = np.array([[-200.0, -100.0], [50.0, 500.0]])
    out = np.full(volume.shape, 7.0, np.float32)
    result = window_intensity(volume, (-100, 200), out=out)
    assert result is out
    np.testing.assert_array_equal(out, [[0.0, 0.0], [0.5, 1.0]])
