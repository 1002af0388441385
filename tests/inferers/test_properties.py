"""Properties of the inferers, each checked against an independent definition rather than a stored value.

- :class:`SlicePropagator` is equivariant under the slice axis: moving the slice axis of a plain volume to 0, 1, 2,
  -2 or -3 (with ``slice_axis`` saying so) moves the mask and leaves the history (index, direction, area, seeds,
  stop reason, quality) unchanged, for local (crop) and whole-slice segmenters, with every stop rule and user seeds
  on; a MetaTensor stored with its axes permuted and flipped (the affine permuted and negated with it, the same
  world geometry, anisotropic spacing) gives the same mask stored the same way; reversing the volume along the slice
  axis mirrors the mask and the history.
- with several annotated slices every slice is propagated from its nearest one (brute force over the annotated
  slices), and the intensity fence is the one of the annotated slice a direction started from.
- each stop rule fires on the side of its threshold the docstring gives: ``area < min_area_fraction * previous``,
  ``quality < min_quality``, ``area > max_growth * previous``, median outside ``[Q1 - k IQR, Q3 + k IQR]`` (exactly on
  the threshold: no stop; just past it: stop, the slice blanked), whatever the slice axis.
- :class:`SliceGrid` on anisotropic, non-square slices: grid pixel ``(i, j)`` lies ``(i, j) - (size - 1) / 2`` grid
  spacings (mm) from the prior's bounding-box centre; a linear ramp sampled there and mapped back is the ramp
  (bilinear both ways), each seed lands on the grid pixel nearest in mm (a brute-force search); a
  :class:`NetworkSegmenter` hands the network the parts in the order ``channels`` names them.
- :class:`IterativeRefinementInferer` treats every sample of a batch on its own (the same logits and history alone,
  in a batch, in any order), feeds each step the previous step's probability, and stops on the documented side of
  ``tolerance``, ``min_quality_gain`` and ``max_steps``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.inferers import (
    CopyPrevious,
    GraphCutSegmenter,
    IterativeRefinementInferer,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SliceGrid,
    SlicePropagator,
    network_input,
)
from monai_refine.transforms import GaussianSeedMap

pytestmark = pytest.mark.usefixtures("single_thread")

SHAPE = (30, 26, 11)  # X, Y, Z: no two equal, so a swapped axis cannot go unnoticed
ANNOTATED = 5


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(volume, annotation, seeds)`` with the slices along the LAST axis.

    An off-centre ellipse (60 HU) whose size changes along z, an island (a disc) beside it on slices 3-7, the object
    brighter (100 HU) on slices 0-2 and tiny on slice 9, small noise. User seeds: a foreground click inside the tiny
    slice-9 part (it vouches for that slice), a background click on the island on slice 6 (it drops the island).
    """
    rng = np.random.default_rng(7)
    xx, yy = np.mgrid[: SHAPE[0], : SHAPE[1]]
    semi = {0: (5, 4), 1: (6, 4), 2: (7, 5), 3: (8, 6), 4: (9, 6), 5: (10, 7), 6: (9, 7), 7: (8, 6), 8: (6, 5)}
    truth = np.zeros(SHAPE, bool)
    for z, (a, b) in semi.items():
        truth[..., z] = ((xx - 13) / a) ** 2 + ((yy - 11) / b) ** 2 <= 1
    truth[12:14, 10:12, 9] = True  # a tiny end: below half of slice 8's area
    island = (xx - 25) ** 2 + (yy - 21) ** 2 <= 4
    truth[..., 3:8] |= island[..., None]
    volume = 60.0 * truth + rng.normal(0.0, 2.0, SHAPE)
    volume[..., :3] += 40.0 * truth[..., :3]
    annotation = np.zeros(SHAPE, np.uint8)
    annotation[..., ANNOTATED] = truth[..., ANNOTATED]
    seeds = np.zeros((2, *SHAPE), np.uint8)
    seeds[0, 12, 10, 9] = 1
    seeds[1, 25, 21, 6] = 1
    return volume[None].astype(np.float32), annotation[None], seeds


class _Threshold:
    """Whole-slice segmenter (``local`` unset): windowed intensity above 0.3; optionally a content-derived quality."""

    def __init__(self, quality: bool = False) -> None:
        self.quality = quality

    def __call__(self, image, prior, seeds, spacing=None):
        mask = np.asarray(image) > 0.3
        if self.quality:  # a rating that depends on the slice's content only
            return mask, float(np.round(1.0 - mask.mean() * 2, 6))
        return mask


SEGMENTERS = {
    "copy_previous": (CopyPrevious, {}),
    "graph_cut": (lambda: GraphCutSegmenter(lambda_=0.25, sigma=0.5, shape_weight=0.02), {}),
    "threshold": (_Threshold, {"min_area_fraction": 0.5, "max_growth": 1.3, "intensity_fence": 1.5}),
    "threshold_quality": (lambda: _Threshold(quality=True), {"min_quality": 0.5}),
}


def _records(history, depth: int | None = None) -> list[tuple]:
    """The records without their wall time; with ``depth``, as the volume reversed along the slice axis sees them."""
    rows = [(r.index, r.direction, r.area, r.n_fg_seeds, r.n_bg_seeds, r.stop_reason, r.quality) for r in history]
    if depth is not None:
        rows = [(depth - 1 - i, -d, *rest) for i, d, *rest in rows]
    return sorted(rows)


def _moved(array: np.ndarray, axis: int) -> np.ndarray:
    """``array`` (channel-first, slices last) with its slice axis moved to spatial ``axis``."""
    return np.moveaxis(array, -1, 1 + axis % 3)


@pytest.mark.parametrize("name", sorted(SEGMENTERS))
@pytest.mark.parametrize("with_seeds", [False, True])
def test_slice_axis_equivariance(name, with_seeds):
    make, kwargs = SEGMENTERS[name]
    volume, annotation, seeds = _scene()
    seeds = seeds if with_seeds else None
    propagate = SlicePropagator(margin_mm=3.0, window=(0.0, 100.0), **kwargs)
    reference, history = propagate(volume, make(), annotation, seeds=seeds, return_history=True)
    reasons = {r.stop_reason for r in history}
    assert len(reasons - {None}) >= 1 and reference.sum() > annotation.sum()  # a run that stops and propagates
    for axis in (0, 1, 2, -2, -3):
        propagator = SlicePropagator(margin_mm=3.0, window=(0.0, 100.0), slice_axis=axis, **kwargs)
        moved_seeds = None if seeds is None else _moved(seeds, axis)
        out, moved_history = propagator(
            _moved(volume, axis), make(), _moved(annotation, axis), seeds=moved_seeds, return_history=True
        )
        np.testing.assert_array_equal(out, _moved(reference, axis), err_msg=f"slice_axis={axis}")
        assert _records(moved_history) == _records(history), f"slice_axis={axis}"


def test_the_scene_exercises_the_seeds_and_the_stop_rules():
    """The equivariance scene is not trivial: with seeds the island is dropped from slice 6 on, the tiny slice 9 is
    kept (vouched), and without them it is the shrink rule that ends the upward run; downward the brighter slices
    stop the threshold segmenter by the intensity fence."""
    volume, annotation, seeds = _scene()
    propagate = SlicePropagator(margin_mm=3.0, window=(0.0, 100.0), **SEGMENTERS["threshold"][1])
    plain, history = propagate(volume, _Threshold(), annotation, return_history=True)
    seeded, seeded_history = propagate(volume, _Threshold(), annotation, seeds=seeds, return_history=True)
    stops = {r.index: r.stop_reason for r in history if r.stop_reason}
    seeded_stops = {r.index: r.stop_reason for r in seeded_history if r.stop_reason}
    assert stops == {9: "shrunk", 2: "intensity"}
    assert seeded_stops == {10: "vanished", 2: "intensity"}
    assert plain[0, 25, 21, 6] == 1 and seeded[0, 25, 21, 6] == 0 and seeded[0, 25, 21, 5] == 1
    assert plain[0, ..., 9].sum() == 0 and seeded[0, 12:14, 10:12, 9].all()


@pytest.mark.parametrize("name", ["copy_previous", "graph_cut", "threshold"])
def test_reversing_the_volume_mirrors_the_result(name):
    make, kwargs = SEGMENTERS[name]
    volume, annotation, seeds = _scene()
    annotation[..., 2] = (volume[..., 2] > 30) & (np.arange(SHAPE[1]) < 20)[None, None]  # a second annotated slice
    propagate = SlicePropagator(margin_mm=3.0, window=(0.0, 100.0), **kwargs)
    forward, history = propagate(volume, make(), annotation, seeds=seeds, return_history=True)
    flip = (slice(None), slice(None), slice(None), slice(None, None, -1))
    backward, backward_history = propagate(
        volume[flip], make(), annotation[flip], seeds=seeds[flip], return_history=True
    )
    np.testing.assert_array_equal(backward[flip], forward)
    assert _records(backward_history, depth=SHAPE[2]) == _records(history)


class _Recording:
    """A whole-slice segmenter that records what it is given: ``(image, prior, spacing)`` per call."""

    def __init__(self, segmenter) -> None:
        self.segmenter, self.calls = segmenter, []

    def __call__(self, image, prior, seeds, spacing=None):
        self.calls.append((np.array(image), np.array(prior), tuple(spacing)))
        return self.segmenter(image, prior, seeds, spacing)


AXES_ORDERS = [(0, 1, 2), (2, 0, 1), (1, 2, 0), (0, 2, 1), (2, 1, 0), (1, 0, 2)]


@pytest.mark.parametrize("order", AXES_ORDERS)
@pytest.mark.parametrize("flips", [(), (0, 2)])
def test_the_same_world_stored_otherwise_gives_the_same_mask(order, flips):
    """Array axes permuted (and flipped) with the affine's columns (negated, origin moved): the same voxels in the
    same world. The slice axis comes from the affine, the in-plane orientation and the anisotropic spacing too, so
    the graph cut (whose ring is in mm) gives the same mask, stored like the input, with the input's affine."""
    volume, annotation, _ = _scene()
    spacing = np.array([0.8, 1.1, 2.5])
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = (5.0, -7.0, 11.0)
    propagate = SlicePropagator(margin_mm=3.0, window=(0.0, 100.0))
    segmenter = _Recording(GraphCutSegmenter(lambda_=0.25, sigma=0.5, shape_weight=0.02))
    reference = propagate(MetaTensor(torch.as_tensor(volume), affine=torch.as_tensor(affine)), segmenter, annotation)
    seen, segmenter.calls = segmenter.calls, []
    # RAS-aligned axes (a positive diagonal) are the canonical orientation: slices as stored, windowed to [0, 1]
    windowed = np.clip(volume[0, ..., ANNOTATED + 1] / np.float32(100.0), 0, 1)
    np.testing.assert_array_equal(seen[0][0][0], windowed)
    assert seen[0][2] == pytest.approx((0.8, 1.1))
    stored = [np.transpose(a, (0, *(1 + np.asarray(order)))) for a in (volume, annotation, reference.numpy())]
    new_affine = affine.copy()
    new_affine[:3, :3] = affine[:3, :3][:, list(order)]
    for axis in flips:  # voxel i along `axis` becomes voxel n - 1 - i: world(i') = origin + (n - 1) col - i' col
        n = stored[0].shape[1 + axis]
        new_affine[:3, 3] += (n - 1) * new_affine[:3, axis]
        new_affine[:3, axis] *= -1
        stored = [np.flip(a, 1 + axis) for a in stored]
    image = MetaTensor(torch.as_tensor(stored[0].copy()), affine=torch.as_tensor(new_affine))
    out = propagate(image, segmenter, MetaTensor(torch.as_tensor(stored[1].copy()), affine=image.affine))
    np.testing.assert_array_equal(out.numpy(), stored[2])
    np.testing.assert_allclose(out.affine.numpy(), new_affine)
    assert out.meta["propagated_from"] == [ANNOTATED]
    reference_history = sorted((r["index"], r["direction"], r["area"]) for r in reference.meta["propagation_history"])
    index_flipped = order.index(2) in flips  # the stored array's slice axis runs the other way
    history = sorted(
        ((SHAPE[2] - 1 - r["index"], -r["direction"]) if index_flipped else (r["index"], r["direction"])) + (r["area"],)
        for r in out.meta["propagation_history"]
    )
    assert history == reference_history

    # the segmenter saw the same slices (crops), in the same in-plane orientation, with the same spacing (mm); in
    # another order where the slice axis runs the other way (the directions swap)
    def calls(recorded):
        return sorted((image.shape, image.tobytes(), prior.tobytes(), np.round(spacing, 6).tolist())
                      for image, prior, spacing in recorded)  # fmt: skip

    assert calls(segmenter.calls) == calls(seen)


@pytest.mark.parametrize("annotated", [[2, 5, 11, 12, 16], [0, 8], [16], [3, 4, 9]])
@pytest.mark.parametrize("axis", [2, 0])
def test_every_slice_is_propagated_from_its_nearest_annotated_slice(annotated, axis):
    """CopyPrevious on an object present on every slice, each annotated slice with its own square: every slice gets
    the square of its nearest annotated slice (a tie: either neighbour, in the direction its record says), exactly one
    record per slice, direction 0 for the annotated ones."""
    depth = 17
    volume = np.zeros((1, 30, 24, depth), np.float32)
    annotation = np.zeros((1, 30, 24, depth), np.uint8)
    for k, a in enumerate(annotated):
        annotation[0, 5 : 10 + 2 * k, 4 : 8 + k, a] = 1
    volume[0, 2:28, 2:22] = 50.0
    propagator = SlicePropagator(margin_mm=2.0, window=(0.0, 100.0), min_area_fraction=0.0, slice_axis=axis)
    mask, history = propagator(_moved(volume, axis), CopyPrevious(), _moved(annotation, axis), return_history=True)
    mask = np.moveaxis(mask, 1 + axis % 3, -1)
    assert sorted(r.index for r in history) == list(range(depth))
    for record in history:
        i = record.index
        distance = {a: abs(a - i) for a in annotated}
        nearest = [a for a in annotated if distance[a] == min(distance.values())]
        if record.direction == 0:
            assert nearest == [i]
            continue
        source = i - record.direction * distance[nearest[0]]
        assert source in nearest, (i, record.direction, nearest)
        np.testing.assert_array_equal(mask[0, ..., i], annotation[0, ..., source], err_msg=f"slice {i}")


# --- every stop rule at its threshold, on any slice axis -------------------------------------------------------


class _Scripted:
    """Whole-slice segmenter: the windowed image above 0 (background is exactly 0), with a fixed quality if given."""

    def __init__(self, quality: float | None = None) -> None:
        self.quality = quality

    def __call__(self, image, prior, seeds, spacing=None):
        mask = np.asarray(image) > 0
        return mask if self.quality is None else (mask, self.quality)


def _two_slices(second: np.ndarray, first: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(volume, annotation)`` ``(1, 30, 28, 2)``, window (0, 1): slice 0 (annotated) a centred 10 x 10 square of
    intensities ``first`` (default 0.5), slice 1 the intensities ``second`` (30 x 28)."""
    volume = np.zeros((1, 30, 28, 2), np.float32)
    volume[0, 10:20, 9:19, 0] = 0.5 if first is None else first
    volume[0, ..., 1] = second
    annotation = (volume > 0).astype(np.uint8)
    annotation[..., 1] = 0
    return volume, annotation


def _rect(rows: tuple[int, int], cols: tuple[int, int], value: float = 0.5) -> np.ndarray:
    out = np.zeros((30, 28), np.float32)
    out[rows[0] : rows[1], cols[0] : cols[1]] = value
    return out


FIFTY, TWO_HUNDRED, HUNDRED = _rect((10, 20), (11, 16)), _rect((10, 20), (4, 24)), _rect((10, 20), (9, 19))
QUARTILES = np.repeat([[0.375], [0.625]], 5, axis=1).repeat(10, axis=0).reshape(10, 10)  # Q1 0.375, Q3 0.625


STOP_CASES = [  # (settings, second slice, segmenter quality, first slice, stop reason on slice 1)
    ({"min_area_fraction": 0.5}, FIFTY, None, None, None),  # 50 == 0.5 * 100: kept
    ({"min_area_fraction": 0.51}, FIFTY, None, None, "shrunk"),
    ({"min_area_fraction": 0.0}, _rect((14, 16), (13, 15)), None, None, None),  # 0: any area is kept
    ({"max_growth": 2.0}, TWO_HUNDRED, None, None, None),  # 200 == 2 * 100: kept
    ({"max_growth": 1.99}, TWO_HUNDRED, None, None, "grew"),
    ({"min_quality": 0.5}, HUNDRED, 0.5, None, None),  # quality == min_quality: kept
    ({"min_quality": 0.5}, HUNDRED, 0.4999, None, "quality_drop"),
    ({"min_quality": 0.0}, HUNDRED, 0.0, None, None),
    ({"intensity_fence": 1.0}, _rect((10, 20), (9, 19), 0.875), None, QUARTILES, None),  # Q3 + 1 IQR exactly
    ({"intensity_fence": 0.99}, _rect((10, 20), (9, 19), 0.875), None, QUARTILES, "intensity"),
    ({"intensity_fence": 1.0}, _rect((10, 20), (9, 19), 0.125), None, QUARTILES, None),  # Q1 - 1 IQR exactly
    ({"intensity_fence": 0.99}, _rect((10, 20), (9, 19), 0.125), None, QUARTILES, "intensity"),
    ({"intensity_fence": 0.0}, _rect((10, 20), (9, 19), 0.625), None, QUARTILES, None),  # k = 0: [Q1, Q3]
    ({"intensity_fence": 0.0}, _rect((10, 20), (9, 19), 0.6251), None, QUARTILES, "intensity"),
]


@pytest.mark.parametrize("settings, second, quality, first, reason", STOP_CASES)
@pytest.mark.parametrize("axis", [2, 0, -2])
def test_every_stop_rule_at_its_threshold(settings, second, quality, first, reason, axis):
    """Slice 1 is the volume's end: kept, it records ``volume_end`` with its area; stopped, the rule's reason, area 0
    and an empty slice (the annotated slice is kept either way). The median of slice 1's result is exactly on, or
    just past, the fence ``[Q1 - k IQR, Q3 + k IQR]`` of the annotated slice's intensities."""
    volume, annotation = _two_slices(second, first)
    kwargs = {"min_area_fraction": 0.0, **settings}
    propagator = SlicePropagator(margin_mm=2.0, window=(0.0, 1.0), slice_axis=axis, **kwargs)
    mask, history = propagator(_moved(volume, axis), _Scripted(quality), _moved(annotation, axis), return_history=True)
    mask = np.moveaxis(mask, 1 + axis % 3, -1)
    (last,) = [r for r in history if r.index == 1]
    expected_area = int((second > 0).sum())
    if reason is None:
        assert (last.stop_reason, last.area) == ("volume_end", expected_area)
        np.testing.assert_array_equal(mask[0, ..., 1], second > 0)
    else:
        assert (last.stop_reason, last.area) == (reason, 0)
        assert mask[0, ..., 1].sum() == 0
    np.testing.assert_array_equal(mask[0, ..., 0], annotation[0, ..., 0])
    assert last.quality == quality


@pytest.mark.parametrize("axis", [2, 1, -3])
@pytest.mark.parametrize("second_value, reason", [(0.8, "volume_end"), (0.9, "intensity")])
def test_the_intensity_fence_is_the_annotated_slices(axis, second_value, reason):
    """Slice 0 (annotated) holds 0.375 and 0.625 (fence [0.125, 0.875] with k = 1), slice 1 all 0.75 and slice 2 all
    ``second_value``: 0.8 is inside the annotated slice's fence (a fence of slice 1's own intensities, [0.75, 0.75],
    would stop it), 0.9 outside."""
    volume = np.zeros((1, 30, 28, 3), np.float32)
    volume[0, 10:20, 9:19, 0] = QUARTILES
    volume[0, 10:20, 9:19, 1] = 0.75
    volume[0, 10:20, 9:19, 2] = second_value
    annotation = (volume > 0).astype(np.uint8)
    annotation[..., 1:] = 0
    propagator = SlicePropagator(margin_mm=2.0, window=(0.0, 1.0), intensity_fence=1.0, slice_axis=axis)
    mask, history = propagator(_moved(volume, axis), _Scripted(), _moved(annotation, axis), return_history=True)
    assert [(r.index, r.stop_reason) for r in history] == [(0, None), (1, None), (2, reason)]
    assert np.moveaxis(mask, 1 + axis % 3, -1)[0, ..., 2].sum() == (100 if reason == "volume_end" else 0)


def _slice_scene():
    """A faint noisy blob with a fainter lobe on a 26 x 34 slice (weak edges: the mm-weighted terms decide), its
    prior (shifted), seeds inside and a ring."""
    rng = np.random.default_rng(4)
    rows, cols = np.mgrid[:26, :34]
    blob = ((rows - 12) / 7.0) ** 2 + ((cols - 15) / 10.0) ** 2 <= 1
    lobe = (rows - 18) ** 2 + (cols - 25) ** 2 <= 9
    image = (0.4 + 0.2 * blob + 0.12 * lobe + rng.normal(0, 0.1, blob.shape)).clip(0, 1).astype(np.float32)[None]
    prior = (((rows - 11) / 6.0) ** 2 + ((cols - 14) / 9.0) ** 2 <= 1)[None]
    seeds = np.zeros((2, 26, 34), bool)
    seeds[0, 10:14, 12:18] = True
    seeds[1, 1, 1:33] = seeds[1, 24, 1:33] = seeds[1, 1:25, 1] = seeds[1, 1:25, 32] = True
    return image, prior, seeds


SLICE_SEGMENTERS = {
    "graph_cut_shape": lambda: GraphCutSegmenter(lambda_=0.5, sigma=0.1, shape_weight=0.05),
    "graph_cut_boundary": lambda: GraphCutSegmenter(lambda_=0.2, sigma=0.3),
    "random_walker": lambda: RandomWalkerSegmenter(beta=130.0),
    "copy_previous": CopyPrevious,
}


@pytest.mark.filterwarnings("ignore:The probability range is outside")
@pytest.mark.parametrize("name", sorted(SLICE_SEGMENTERS))
def test_segmenters_commute_with_transposing_and_flipping_the_slice(name):
    """Transposing the slice and swapping its spacing (0.6 x 1.4 mm), or flipping it, transposes or flips the result:
    no direction of the 8-neighbourhood, of the shape prior or of the walk is favoured, and each spacing travels with
    its axis. (A spacing read in reversed order everywhere would commute too: the order itself is checked with the
    propagator's recorded spacing elsewhere.)"""
    image, prior, seeds = _slice_scene()
    spacing = (0.6, 1.4)
    segmenter = SLICE_SEGMENTERS[name]()
    result = np.asarray(segmenter(image, prior, seeds, spacing))
    assert 0 < result.sum() < result.size
    transposed = np.asarray(
        segmenter(*(np.ascontiguousarray(a.swapaxes(1, 2)) for a in (image, prior, seeds)), spacing[::-1])
    )
    np.testing.assert_array_equal(transposed, result.swapaxes(1, 2))
    for axes in ((1,), (2,), (1, 2)):
        flipped = np.asarray(
            segmenter(*(np.ascontiguousarray(np.flip(a, axes)) for a in (image, prior, seeds)), spacing)
        )
        np.testing.assert_array_equal(flipped, np.flip(result, axes), err_msg=f"flip {axes}")


@pytest.mark.filterwarnings("ignore:The probability range is outside")
@pytest.mark.parametrize("name", sorted(set(SLICE_SEGMENTERS) - {"copy_previous"}))
def test_the_spacing_matters_on_this_slice(name):
    """On this slice the anisotropic spacing changes the result (its order swapped, the image not), so the check
    above is not passed by a segmenter that ignores the spacing."""
    image, prior, seeds = _slice_scene()
    segmenter = SLICE_SEGMENTERS[name]()
    assert not np.array_equal(segmenter(image, prior, seeds, (0.6, 1.4)), segmenter(image, prior, seeds, (1.4, 0.6)))


# --- SliceGrid and NetworkSegmenter ------------------------------------------------------------------------------

GRID_CASES = [  # (grid size, grid spacing mm, slice spacing (rows, cols) mm)
    (16, 2.0, (0.7, 1.3)),
    (9, 1.5, (1.3, 0.7)),
    (12, 0.5, (1.0, 2.5)),
]


def _grid_scene(spacing):
    """A 50 x 37 slice, a prior whose bounding box is rows 12..30, cols 5..22 (centre (21, 13.5)); a linear ramp."""
    prior = np.zeros((1, 50, 37), bool)
    prior[0, 12:31, 5:23] = True
    rows, cols = np.mgrid[:50, :37]
    ramp = (0.3 * rows * spacing[0] - 0.2 * cols * spacing[1] + 7.0).astype(np.float32)[None]  # in mm
    return prior, ramp


@pytest.mark.parametrize("size, grid_spacing, spacing", GRID_CASES)
def test_slice_grid_samples_at_the_documented_mm_positions(size, grid_spacing, spacing):
    grid = SliceGrid(size=size, spacing=grid_spacing)
    prior, ramp = _grid_scene(spacing)
    frame = grid.frame(prior, spacing)
    offsets_mm = (np.arange(size) - (size - 1) / 2) * grid_spacing
    rows_px = 21.0 + offsets_mm / spacing[0]  # slice pixel coordinates of the grid rows, from the mm definition
    cols_px = 13.5 + offsets_mm / spacing[1]
    inside = ((rows_px >= 0) & (rows_px <= 49))[:, None] & ((cols_px >= 0) & (cols_px <= 36))[None]
    expected = 0.3 * rows_px[:, None] * spacing[0] - 0.2 * cols_px[None] * spacing[1] + 7.0
    sampled = grid.sample(ramp, frame)
    assert sampled.shape == (1, size, size)
    np.testing.assert_allclose(sampled[0][inside], expected[inside], rtol=1e-4, atol=1e-4)
    strictly_outside = (rows_px < -1)[:, None] | (cols_px < -1)[None] | (rows_px > 50)[:, None] | (cols_px > 37)[None]
    assert (sampled[0][strictly_outside] == 0).all()
    # and back: the ramp on every slice pixel inside the field of view (linear: bilinear is exact both ways)
    back = grid.to_slice(torch.as_tensor(sampled), frame, fill=-99.0)[0].numpy()
    r, c = np.mgrid[:50, :37]
    covered = (
        (r >= rows_px[0])
        & (r <= rows_px[-1])
        & (c >= cols_px[0])
        & (c <= cols_px[-1])
        & (r >= 0)
        & (r <= 49)
        & (c >= 0)
        & (c <= 36)  # fmt: skip
    )
    fully = covered & (np.abs(r - 21.0) * spacing[0] <= offsets_mm[-1] - grid_spacing)  # away from the padding
    fully &= np.abs(c - 13.5) * spacing[1] <= offsets_mm[-1] - grid_spacing
    fully &= (r >= 1) & (r <= 48) & (c >= 1) & (c <= 35)
    np.testing.assert_allclose(back[fully], ramp[0][fully], rtol=1e-4, atol=1e-4)
    assert (back[~covered] == -99.0).all()


@pytest.mark.parametrize("size, grid_spacing, spacing", GRID_CASES)
def test_each_seed_lands_on_the_grid_pixel_nearest_in_mm(size, grid_spacing, spacing):
    grid = SliceGrid(size=size, spacing=grid_spacing)
    prior, _ = _grid_scene(spacing)
    frame = grid.frame(prior, spacing)
    offsets_mm = (np.arange(size) - (size - 1) / 2) * grid_spacing
    centres_mm = (21.0 * spacing[0] + offsets_mm, 13.5 * spacing[1] + offsets_mm)
    rng = np.random.default_rng(size)
    for channel in (0, 1):
        seeds = np.zeros((2, 50, 37), bool)
        points = rng.integers(0, (50, 37), size=(6, 2))
        seeds[channel, points[:, 0], points[:, 1]] = True
        expected = np.zeros((size, size), bool)
        for point in points:
            index = []
            for axis in (0, 1):
                distance = np.abs(centres_mm[axis] - point[axis] * spacing[axis])
                half = grid_spacing / 2
                index.append(int(np.argmin(distance)) if distance.min() <= half + 1e-9 else None)
            if None not in index:
                expected[tuple(index)] = True
        on_grid = grid.seeds(seeds, frame)
        np.testing.assert_array_equal(on_grid[channel], expected)
        assert not on_grid[1 - channel].any()


class _Echo(torch.nn.Module):
    """Records the input; logits ``4 * channel 0 - 1``."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[torch.Tensor] = []

    def forward(self, x):
        self.inputs.append(x.clone())
        return 4 * x[:, :1] - 1


ORDERS = [("image", "prior", "seed_map"), ("seed_map", "image"), ("prior", "image"), ("seed_map", "prior", "image")]


@pytest.mark.parametrize("channels", ORDERS)
@pytest.mark.parametrize("with_grid", [False, True])
def test_network_segmenter_hands_the_parts_in_the_named_order(channels, with_grid):
    spacing = (0.7, 1.3)
    prior, ramp = _grid_scene(spacing)
    image = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    seeds = np.zeros((2, 50, 37), bool)
    seeds[0, 20, 14] = seeds[1, 4, 30] = True
    grid = SliceGrid(16, 2.0) if with_grid else None
    network = _Echo()
    probability = NetworkSegmenter(network, channels=channels, sigma=3.0, grid=grid)(image, prior, seeds, spacing)
    (seen,) = network.inputs
    if with_grid:
        frame = grid.frame(prior, spacing)
        maps = GaussianSeedMap(sigma=3.0, spacing=(2.0, 2.0))(grid.seeds(seeds, frame))
        parts = {
            "image": grid.sample(image, frame),
            "prior": grid.sample(prior.astype(np.float32), frame, mode="nearest"),
            "seed_map": np.asarray(maps),
        }
        np.testing.assert_array_equal(network_input(grid, image, prior, seeds, spacing, channels, 3.0)[0], seen[0])
        expected_logits = grid.to_slice(4 * seen[0, :1] - 1, frame, fill=-1e4)
    else:
        maps = GaussianSeedMap(sigma=3.0, spacing=spacing)(seeds)
        parts = {"image": image, "prior": prior.astype(np.float32), "seed_map": np.asarray(maps)}
        expected_logits = 4 * seen[0, :1] - 1
    expected = np.concatenate([parts[c] for c in channels])
    np.testing.assert_allclose(seen[0].numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(probability, torch.sigmoid(expected_logits).numpy(), rtol=1e-6, atol=1e-6)


# --- IterativeRefinementInferer --------------------------------------------------------------------------------


class _Affine(torch.nn.Module):
    """Per-sample network: logits ``a * image + b * (prior - 0.5) + c`` per pixel (each sample its own image, so
    its own fixed point and its own number of steps); optionally two softmax channels and a quality that depends on
    the sample's own prior only. Records the prior channel of every call."""

    def __init__(self, channels: int = 1, rated: bool = False) -> None:
        super().__init__()
        self.channels, self.rated = channels, rated
        self.priors: list[torch.Tensor] = []
        self.logits: list[torch.Tensor] = []

    def forward(self, x):
        image, prior = x[:, :-1].mean(1, keepdim=True), x[:, -1:]
        self.priors.append(prior.clone())
        logit = 3.0 * image + 2.0 * (prior - 0.5) - 0.7
        out = logit if self.channels == 1 else torch.cat([0.3 * logit, 1.3 * logit], dim=1)
        self.logits.append(out.clone())
        if not self.rated:
            return out
        quality = 1 - (prior - (image > 0).float()).abs().flatten(1).mean(1, keepdim=True)
        return {"mask": out, "quality": quality}


def _images(ndim: int, batch: int = 4, channels: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(3)
    spatial = (6, 9) if ndim == 2 else (4, 6, 5)
    scale = torch.tensor([0.2, 0.6, 1.0, 1.6, 0.05][:batch]).reshape(-1, 1, *([1] * ndim))
    return torch.randn((batch, channels, *spatial), generator=generator) * scale


def _same_records(records, expected) -> None:
    assert [(r.step, r.stop_reason) for r in records] == [(r.step, r.stop_reason) for r in expected]
    assert [r.delta for r in records] == pytest.approx([r.delta for r in expected], rel=1e-5)
    assert [r.quality or 0.0 for r in records] == pytest.approx([r.quality or 0.0 for r in expected], abs=1e-6)
    assert [r.quality is None for r in records] == [r.quality is None for r in expected]


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("rated", [False, True])
def test_every_sample_is_refined_as_if_alone(ndim, channels, rated):
    """The batch result and history are each sample's own (run alone), in any order of the batch."""
    images = _images(ndim, channels=2)
    prior = torch.rand((images.shape[0], 1, *images.shape[2:]), generator=torch.Generator().manual_seed(1))
    keys = {"output_key": "mask", "quality_key": "quality"} if rated else {}
    inferer = IterativeRefinementInferer(max_steps=6, tolerance=0.02, **keys)
    out, history = inferer(images, _Affine(channels, rated), prior=prior, return_history=True)
    assert len({len(h) for h in history}) > 1  # the samples do stop at different steps
    for b in range(images.shape[0]):
        alone, alone_history = inferer(images[b : b + 1], _Affine(channels, rated), prior[b : b + 1], True)
        torch.testing.assert_close(out[b : b + 1], alone, rtol=1e-6, atol=1e-6)
        _same_records(history[b], alone_history[0])
    order = [2, 0, 3, 1]
    shuffled, shuffled_history = inferer(images[order], _Affine(channels, rated), prior[order], True)
    torch.testing.assert_close(shuffled, out[order], rtol=1e-6, atol=1e-6)
    for records, b in zip(shuffled_history, order):
        _same_records(records, history[b])


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("channels", [1, 2])
def test_each_step_is_fed_the_previous_probability(ndim, channels):
    """Call 1 gets the given prior; call t + 1 gets sigmoid (one channel) or softmax's foreground (two channels) of
    call t's logits, computed here from the recorded logits; max_steps calls, the last logits returned."""
    images = _images(ndim, batch=1)
    network = _Affine(channels)
    prior = torch.full((1, 1, *images.shape[2:]), 0.25)
    out, history = IterativeRefinementInferer(max_steps=4, tolerance=0.0)(images, network, prior, True)
    assert len(network.priors) == 4 and [r.stop_reason for r in history[0]] == [None, None, None, "max_steps"]
    torch.testing.assert_close(network.priors[0], prior)
    for t in range(1, 4):
        logits = network.logits[t - 1]
        expected = torch.sigmoid(logits) if channels == 1 else torch.softmax(logits, 1)[:, 1:]
        torch.testing.assert_close(network.priors[t], expected)
        delta = float((expected - network.priors[t - 1]).abs().mean())
        assert history[0][t - 1].delta == pytest.approx(delta, rel=1e-5)
    torch.testing.assert_close(out, network.logits[-1])


class _ToHalf(torch.nn.Module):
    """Logits 0 everywhere (probability exactly 0.5), with a scripted quality per call."""

    def __init__(self, qualities=None) -> None:
        super().__init__()
        self.qualities = None if qualities is None else list(qualities)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        logits = torch.zeros_like(x[:, -1:])
        if self.qualities is None:
            return logits
        return {"mask": logits, "quality": torch.full((x.shape[0], 1), self.qualities.pop(0))}


@pytest.mark.parametrize("tolerance, steps, reason", [(0.25, 2, "converged"), (0.2500001, 1, "converged"),
                                                      (0.0, 3, "max_steps")])  # fmt: skip
def test_tolerance_at_its_threshold(tolerance, steps, reason):
    """From a prior of 0.25 to 0.5: a mean change of exactly 0.25, then 0. A step converges when its change is BELOW
    the tolerance (0.25 == 0.25 goes on); tolerance 0 never converges."""
    history = IterativeRefinementInferer(max_steps=3, tolerance=tolerance, initial_prior=0.25)(
        torch.zeros(1, 1, 4, 6), _ToHalf(), return_history=True
    )[1][0]
    assert history[0].delta == 0.25
    assert len(history) == steps and history[-1].stop_reason == reason


@pytest.mark.parametrize("gain, steps, reason", [(0.25, 3, "max_steps"), (0.2500001, 2, "quality_drop"),
                                                 (0.0, 3, "max_steps")])  # fmt: skip
def test_min_quality_gain_at_its_threshold(gain, steps, reason):
    """Ratings 0.25, 0.5, 0.75 (each step exactly 0.25 above the last): a step is dropped when its rating is BELOW the
    previous one plus ``min_quality_gain``."""
    inferer = IterativeRefinementInferer(
        max_steps=3, tolerance=0.0, output_key="mask", quality_key="quality", min_quality_gain=gain
    )
    history = inferer(torch.zeros(1, 1, 4, 6), _ToHalf([0.25, 0.5, 0.75]), return_history=True)[1][0]
    assert [r.quality for r in history] == [0.25, 0.5, 0.75][:steps]
    assert len(history) == steps and history[-1].stop_reason == reason


@pytest.mark.parametrize("max_steps", [1, 2, 7])
def test_max_steps_is_the_number_of_network_calls(max_steps):
    network = _ToHalf()
    history = IterativeRefinementInferer(max_steps=max_steps, tolerance=0.0)(
        torch.zeros(2, 1, 4, 6), network, return_history=True
    )[1]
    assert network.calls == max_steps
    assert [[r.step for r in h] for h in history] == [list(range(1, max_steps + 1))] * 2
    assert [h[-1].stop_reason for h in history] == ["max_steps"] * 2
