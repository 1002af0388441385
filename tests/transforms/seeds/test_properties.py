"""Properties of the seed transforms on random masks, each checked against an independent definition.

Random irregular masks touching the image border, 2D and 3D, isotropic, anisotropic and sub-mm spacings; the
references are ``scipy.ndimage`` (exact EDT with ``sampling``, labels), ``skimage.morphology.skeletonize`` and brute
force over voxel coordinates, never the transform itself.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.morphology import skeletonize

from monai_refine.transforms import (
    DiscrepancySeeds,
    DiscrepancySeedsd,
    ExtremePointSeeds,
    ExtremePointSeedsd,
    GaussianSeedMap,
    GaussianSeedMapd,
    MaskSeeds,
    MaskSeedsd,
)
from tests.transforms.random_inputs import SEEDS, face_neighbours, random_mask, with_spacing

FG, BG = 0, 1

#: (spatial shape, spacing in mm, margin in mm, erosion in mm): margins and erosions off the lattice distances
GEOMETRIES = [
    ((24, 20), (1.0, 1.0), 2.3, 1.7),
    ((26, 22), (0.4, 0.7), 1.55, 0.95),
    ((20, 24), (2.0, 0.5), 2.9, 1.3),
    ((14, 12, 10), (0.7, 0.7, 2.5), 3.1, 1.2),
    ((12, 14, 11), (0.3, 0.5, 0.4), 1.13, 0.61),
]


def _geometry_id(case) -> str:
    shape, spacing, *_ = case
    return f"{len(shape)}d-" + "x".join(f"{s:g}" for s in spacing)


def _away_from(distance: np.ndarray, threshold: float) -> None:
    """The random case is usable: no distance within float rounding of the threshold it is compared with."""
    assert np.abs(distance - threshold).min() > 1e-4


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_mask_seeds_ring_is_the_boundary_of_the_mm_dilation(case, seed):
    """Background seeds = voxels within ``margin_mm`` of the object (exact EDT with the spacing) that have a face
    neighbour inside the image farther than ``margin_mm`` (the image edge is no boundary): never on the object, on
    every axis, also where the object touches the image border (the low faces) and where it is far from it (the high
    faces, beyond a background margin). The MetaTensor's spacing gives the same seeds."""
    shape, spacing, margin, _ = case
    reach = [(0, int(np.ceil(margin / h)) + 2) for h in spacing]
    mask = np.pad(random_mask(shape, np.random.default_rng(seed)), reach)
    distance = ndimage.distance_transform_edt(~mask, sampling=spacing)
    _away_from(distance, margin)
    dilated = distance <= margin
    expected = dilated & np.any(face_neighbours(dilated), axis=0)
    seeds = np.asarray(MaskSeeds(margin_mm=margin, spacing=spacing)(mask[None].astype(np.float32)))
    np.testing.assert_array_equal(seeds[BG] > 0, expected)
    assert not (seeds[BG] > 0)[mask].any()
    meta = MaskSeeds(margin_mm=margin)(with_spacing(mask[None].astype(np.float32), spacing))
    np.testing.assert_array_equal(np.asarray(meta), seeds)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_mask_seeds_foreground_is_skeleton_plus_mm_core(case, seed):
    """Foreground seeds without ``erosion_mm`` = skimage's skeleton of the mask, plus at most one voxel for each
    face-connected component the thinning erased (every component keeps a seed); with ``erosion_mm`` the same plus
    the voxels farther than ``erosion_mm`` from the background, the image border counting as background (exact EDT
    of the padded mask with the spacing)."""
    shape, spacing, margin, erosion = case
    mask = random_mask(shape, np.random.default_rng(seed))
    depth = ndimage.distance_transform_edt(np.pad(mask, 1), sampling=spacing)[(slice(1, -1),) * mask.ndim]
    _away_from(depth, erosion)
    plain = np.asarray(MaskSeeds(margin_mm=margin, spacing=spacing)(mask[None]))[FG] > 0
    skeleton = skeletonize(mask)
    labels, count = ndimage.label(mask)
    assert not (plain & ~mask).any() and (plain >= skeleton).all()
    extra = np.bincount(labels[plain & ~skeleton], minlength=count + 1)[1:]
    assert (extra <= 1).all() and (extra[np.bincount(labels[skeleton], minlength=count + 1)[1:] > 0] == 0).all()
    assert (np.bincount(labels[plain], minlength=count + 1)[1:] >= 1).all()
    cored = np.asarray(MaskSeeds(margin_mm=margin, erosion_mm=erosion, spacing=spacing)(mask[None]))[FG] > 0
    np.testing.assert_array_equal(cored, plain | (depth > erosion))


@pytest.mark.parametrize("convert", [torch.as_tensor, lambda x: with_spacing(x, (0.6, 0.6, 1.8))])
def test_mask_seeds_same_for_numpy_and_torch(convert):
    mask = random_mask((12, 14, 9), np.random.default_rng(5))[None].astype(np.float32)
    transform = MaskSeeds(margin_mm=2.2, erosion_mm=1.0, spacing=(0.6, 0.6, 1.8))
    np.testing.assert_array_equal(np.asarray(transform(convert(mask))), np.asarray(transform(mask)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(15, 18), (9, 11, 8)], ids=["2d", "3d"])
def test_extreme_points_without_jitter_are_extreme_voxels_of_the_label(shape, seed):
    """With ``pert=0`` every seed is a label voxel on the lowest or highest plane of the label along some axis, and
    each of the ``2 * ndim`` extreme planes holds a seed (any of the tied voxels may be drawn); no background seed."""
    label = random_mask(shape, np.random.default_rng(seed), fraction=0.2, sigma=2.0)
    points = np.argwhere(label)
    transform = ExtremePointSeeds().set_random_state(seed)
    for _ in range(3):
        seeds = np.asarray(transform(label[None].astype(np.float32)))
        found = np.argwhere(seeds[FG] > 0)
        assert seeds[BG].sum() == 0 and 1 <= len(found) <= 2 * len(shape)
        assert label[tuple(found.T)].all()
        lows, highs = points.min(0), points.max(0)
        assert ((found == lows) | (found == highs)).any(1).all()
        for axis in range(len(shape)):
            assert (found[:, axis] == lows[axis]).any() and (found[:, axis] == highs[axis]).any()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(15, 18), (9, 11, 8)], ids=["2d", "3d"])
def test_extreme_point_jitter_is_rounded_and_stays_near_the_extremes(shape, seed):
    """With ``pert=1.4`` every seed lies inside the image within one voxel per axis (offsets rounded from
    ``uniform(-1.4, 1.4)``) of a label voxel on an extreme plane, and across draws seeds fall off the label's extreme
    planes on both sides of every axis where the image leaves room; with ``pert=0.4`` every offset rounds to 0, so the
    first call gives the seeds of ``pert=0`` with the same random state (same choice among ties)."""
    label = random_mask(shape, np.random.default_rng(seed), fraction=0.2, sigma=2.0)
    label = np.pad(label, [(2, 0)] + [(0, 0)] * (len(shape) - 1))  # room below along axis 0, the border elsewhere
    shape = label.shape
    points = np.argwhere(label)
    lows, highs = points.min(0), points.max(0)
    extreme = np.zeros(shape, dtype=bool)
    extreme[tuple(points[((points == lows) | (points == highs)).any(1)].T)] = True
    near = ndimage.binary_dilation(extreme, structure=np.ones((3,) * len(shape)))
    transform = ExtremePointSeeds(pert=1.4).set_random_state(seed)
    found = np.concatenate([np.argwhere(transform(label[None])[FG] > 0) for _ in range(30)])
    assert near[tuple(found.T)].all()
    for axis in range(len(shape)):
        if lows[axis] > 0:
            assert (found[:, axis] < lows[axis]).any()
        if highs[axis] < shape[axis] - 1:
            assert (found[:, axis] > highs[axis]).any()
    unperturbed = ExtremePointSeeds(pert=0.0).set_random_state(seed)(label[None])
    np.testing.assert_array_equal(ExtremePointSeeds(pert=0.4).set_random_state(seed)(label[None]), unperturbed)


#: (spatial shape, spacing, sigma, truncate): sub-mm and anisotropic spacings, a short and the default cut-off
GAUSSIAN_CASES = [
    ((40, 34), (0.3, 0.45), 1.1, 2.5),
    ((28, 30), (1.7, 0.6), 2.0, 5.0),
    ((14, 16, 12), (0.4, 0.6, 0.3), 1.0, 3.0),
    ((16, 12, 10), (0.7, 0.7, 2.5), 2.4, 5.0),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GAUSSIAN_CASES, ids=lambda c: f"{len(c[0])}d-{c[1]}-t{c[3]}")
def test_gaussian_map_equals_brute_force_in_each_channel(case, seed):
    """Each channel is ``exp(-d² / 2σ²)`` of its own nearest seed (d in mm over all seed voxels, brute force), 0
    beyond ``truncate·σ``: channel 0 with 2 seeds, channel 1 with many (the two code paths side by side), channel 2
    with none (all zero); seeds on the image border included. A MetaTensor carrying the spacing gives the same."""
    shape, spacing, sigma, truncate = case
    rng = np.random.default_rng(seed)
    seeds = np.zeros((3, *shape), dtype=bool)
    seeds[0][tuple(rng.integers(0, shape, (2, len(shape))).T)] = True
    seeds[0][(0,) * len(shape)] = True  # a corner seed
    seeds[1] = rng.random(shape) < 0.08
    maps = np.asarray(GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)(seeds.astype(np.float32)))
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1) * np.asarray(spacing)
    for channel in (0, 1):
        points = np.argwhere(seeds[channel]) * np.asarray(spacing)
        d2 = ((grid[..., None, :] - points) ** 2).sum(-1).min(-1)
        expected = np.where(d2 <= (truncate * sigma) ** 2, np.exp(-d2 / (2 * sigma**2)), 0.0)
        clear = ~np.isclose(d2, (truncate * sigma) ** 2, rtol=1e-5)
        np.testing.assert_allclose(maps[channel][clear], expected[clear], rtol=2e-5, atol=1e-7)
    assert (maps[2] == 0).all()
    meta = GaussianSeedMap(sigma=sigma, truncate=truncate)(with_spacing(seeds.astype(np.float32), spacing))
    np.testing.assert_array_equal(np.asarray(meta), maps)


def _slices(array: np.ndarray, axis: int) -> list[np.ndarray]:
    return list(np.moveaxis(array, axis, 0))


def _component_counts(mask: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sizes, seed counts) of the face-connected components of ``mask`` (scipy's default structure)."""
    labels, count = ndimage.label(mask)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    counts = np.bincount(labels[seeds], minlength=count + 1)[1:]
    return sizes, counts


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("slice_axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("min_size", [0, 4])
def test_discrepancy_per_slice_seeds_follow_each_slice_along_any_axis(slice_axis, seed, min_size):
    """Per slice along ``slice_axis``: foreground seeds only where the label misses (label ∧ ¬pred), background seeds
    only where the prediction is wrong (pred ∧ ¬label); in every slice, each error component (face connectivity in the
    slice) of at least ``min_component_size`` voxels holds seeds and each smaller one none; the volume equals the
    2D transform applied slice by slice."""
    rng = np.random.default_rng(seed)
    label = random_mask((10, 12, 9), rng, 0.35)
    pred = random_mask((10, 12, 9), rng, 0.35)
    transform = DiscrepancySeeds(min_component_size=min_size, per_slice=True, slice_axis=slice_axis)
    seeds = np.asarray(transform(pred[None].astype(np.float32), label[None].astype(np.float32))) > 0
    assert not (seeds[FG] & ~(label & ~pred)).any() and not (seeds[BG] & ~(pred & ~label)).any()
    for channel, error in ((FG, label & ~pred), (BG, pred & ~label)):
        for error_slice, seed_slice in zip(_slices(error, slice_axis), _slices(seeds[channel], slice_axis)):
            sizes, counts = _component_counts(error_slice, seed_slice)
            assert ((counts > 0) == (sizes >= min_size)).all()
    per_slice = [
        np.asarray(DiscrepancySeeds(min_component_size=min_size)(p[None], lab[None]))
        for p, lab in zip(_slices(pred.astype(np.float32), slice_axis), _slices(label.astype(np.float32), slice_axis))
    ]
    np.testing.assert_array_equal(seeds, np.stack(per_slice, slice_axis % 3 + 1) > 0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(20, 22), (10, 12, 9)], ids=["2d", "3d"])
def test_discrepancy_seeds_are_the_skeleton_of_each_kept_error_component(shape, seed):
    """Without ``per_slice``: the seeds of each channel contain skimage's skeleton of the error components (face
    connectivity) of at least ``min_component_size`` voxels, plus at most one voxel per component the thinning
    erased, and nothing in smaller components; with ``max_seeds_per_component=k`` a subset of that skeleton with
    ``min(k, skeleton voxels)`` seeds in each component."""
    rng = np.random.default_rng(seed)
    label, pred = random_mask(shape, rng, 0.35), random_mask(shape, rng, 0.35)
    args = (pred[None].astype(np.float32), label[None].astype(np.float32))
    full = np.asarray(DiscrepancySeeds(min_component_size=5)(*args)) > 0
    drawn = np.asarray(DiscrepancySeeds(min_component_size=5, max_seeds_per_component=2).set_random_state(seed)(*args))
    for channel, error in ((FG, label & ~pred), (BG, pred & ~label)):
        labels, count = ndimage.label(error)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        kept = error & (sizes[labels] >= 5)
        skeleton = skeletonize(kept)
        assert not (full[channel] & ~kept).any() and (full[channel] >= skeleton).all()
        extra = np.bincount(labels[full[channel] & ~skeleton], minlength=count + 1)
        assert (extra <= 1).all()
        per_component = np.bincount(labels[full[channel]], minlength=count + 1)[1:]
        chosen = drawn[channel] > 0
        assert (chosen <= full[channel]).all()
        np.testing.assert_array_equal(
            np.bincount(labels[chosen], minlength=count + 1)[1:], np.minimum(per_component, 2)
        )


def test_discrepancy_draws_each_channel_independently():
    """Two congruent error rods, one missed (foreground seeds) and one false (background seeds), 24 voxels each:
    with one seed per component, a draw shared by both channels would put both seeds at the same position along
    the rods every time; independent draws agree about 1 time in 24."""
    label = np.zeros((1, 12, 26), dtype=np.float32)
    pred = np.zeros_like(label)
    label[0, 2:5, 1:25] = 1
    pred[0, 8:11, 1:25] = 1
    transform = DiscrepancySeeds(max_seeds_per_component=1).set_random_state(0)
    same = 0
    for _ in range(20):
        seeds = np.asarray(transform(pred, label))
        (fg,), (bg,) = np.argwhere(seeds[FG] > 0)[:, 1], np.argwhere(seeds[BG] > 0)[:, 1]
        same += int(fg == bg)
    assert same < 8


@pytest.mark.parametrize("seed", SEEDS)
def test_dict_forms_equal_the_array_forms_with_the_same_seed(seed):
    """On random 3D masks: ``DiscrepancySeedsd`` makes one draw for all its keys (the array transform's first draw,
    replayed with ``randomize=False`` on the second prediction); ``ExtremePointSeedsd`` draws for each key in turn as
    successive array calls do; ``MaskSeedsd`` and ``GaussianSeedMapd`` read the spacing of a MetaTensor as the array
    transforms given it explicitly."""
    rng = np.random.default_rng(seed)
    spacing = (0.6, 0.9, 1.8)
    label, pred_a, pred_b = (random_mask((10, 12, 9), rng, 0.35)[None].astype(np.float32) for _ in range(3))
    kwargs = {"max_seeds_per_component": 2, "per_slice": True, "slice_axis": 0}
    out = DiscrepancySeedsd(("a", "b"), label_key="label", seeds_key=("sa", "sb"), **kwargs).set_random_state(seed)(
        {"a": pred_a, "b": pred_b, "label": label}
    )
    array = DiscrepancySeeds(**kwargs).set_random_state(seed)
    np.testing.assert_array_equal(out["sa"], array(pred_a, label))
    np.testing.assert_array_equal(out["sb"], array(pred_b, label, randomize=False))
    out = ExtremePointSeedsd(("a", "b"), seeds_key=("sa", "sb"), pert=1.5).set_random_state(seed)(
        {"a": label, "b": pred_a}
    )
    array = ExtremePointSeeds(pert=1.5).set_random_state(seed)
    np.testing.assert_array_equal(out["sa"], array(label))
    np.testing.assert_array_equal(out["sb"], array(pred_a))
    seeds = MaskSeedsd("a", margin_mm=2.0, erosion_mm=0.9)({"a": with_spacing(label, spacing)})["seeds"]
    np.testing.assert_array_equal(np.asarray(seeds), MaskSeeds(2.0, 0.9, spacing)(label))
    maps = GaussianSeedMapd("s", sigma=1.7, truncate=3.0)({"s": seeds})["seed_map"]
    np.testing.assert_array_equal(np.asarray(maps), GaussianSeedMap(1.7, spacing, 3.0)(np.asarray(seeds)))
