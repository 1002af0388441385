from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from scipy import ndimage

from monai_refine.transforms import (
    DiscrepancySeeds,
    ExtremePointSeeds,
    GaussianSeedMap,
    MaskSeeds,
    seeds_from_points,
)
from tests.utils import TEST_NDARRAYS

FG, BG = 0, 1


def _bar_2d() -> np.ndarray:
    """A 3-pixel-thick horizontal bar: its skeleton is the middle row (thinning may bend its very ends)."""
    mask = np.zeros((1, 9, 15), dtype=np.float32)
    mask[0, 3:6, 2:13] = 1
    return mask


def _block(ndim: int) -> np.ndarray:
    mask = np.zeros((1,) + (16,) * ndim, dtype=np.float32)
    mask[(0,) + (slice(4, 12),) * ndim] = 1
    return mask


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_discrepancy_skeleton_of_bar(convert):
    label = _bar_2d()
    pred = np.zeros_like(label)
    seeds = DiscrepancySeeds()(convert(pred), convert(label))
    assert type(seeds) is type(convert(pred)) and tuple(seeds.shape) == (2, 9, 15)
    seeds = np.asarray(seeds)
    # the whole bar is under-segmented: its skeleton is on the middle row, no background seed
    assert seeds[BG].sum() == 0
    rows, cols = np.nonzero(seeds[FG])
    assert set(rows.tolist()) <= {3, 4, 5} and (rows == 4).sum() >= 8
    assert cols.min() >= 2 and cols.max() <= 12
    # swapping pred and label turns the same stroke into background seeds
    swapped = np.asarray(DiscrepancySeeds()(convert(label), convert(pred)))
    np.testing.assert_array_equal(swapped[BG], seeds[FG])
    assert swapped[FG].sum() == 0


def test_discrepancy_takes_a_prediction_that_requires_grad():
    """A binary prediction made from a network's output (``sigmoid(logits).round()``) still requires grad: it is
    read without a ``numpy()`` error, and the seeds are the detached prediction's."""
    logits = torch.full((1, 9, 15), -5.0, requires_grad=True)
    pred = torch.sigmoid(logits).round()
    assert pred.requires_grad
    label = torch.as_tensor(_bar_2d())
    seeds = DiscrepancySeeds()(pred, label)
    torch.testing.assert_close(seeds, DiscrepancySeeds()(pred.detach(), label))
    assert float(seeds[BG].sum()) == 0 and float(seeds[FG].sum()) > 0


@pytest.mark.parametrize("ndim", [2, 3])
def test_discrepancy_seeds_lie_in_their_error_region(ndim):
    label = _block(ndim)
    pred = np.roll(label, 3, axis=1)
    seeds = DiscrepancySeeds()(pred, label)
    under = (label > 0) & (pred == 0)
    over = (pred > 0) & (label == 0)
    assert seeds[FG].sum() > 0 and seeds[BG].sum() > 0
    assert not (seeds[FG] > 0)[~under[0]].any()
    assert not (seeds[BG] > 0)[~over[0]].any()


def test_discrepancy_min_component_size_drops_small_errors():
    label = np.zeros((1, 20, 20), dtype=np.float32)
    label[0, 2:10, 2:10] = 1  # 64-pixel missed component
    label[0, 15:17, 15:17] = 1  # 4-pixel missed component
    pred = np.zeros_like(label)
    seeds = DiscrepancySeeds(min_component_size=10)(pred, label)
    assert seeds[FG, 14:, 14:].sum() == 0 and seeds[FG, :10, :10].sum() > 0


@pytest.mark.parametrize("ndim", [2, 3])
def test_discrepancy_max_seeds_per_component_is_reproducible(ndim):
    label = np.zeros((1,) + (24,) * ndim, dtype=np.float32)
    label[(0,) + (slice(2, 5),) * (ndim - 1) + (slice(1, 23),)] = 1  # a rod: long straight skeleton
    label[(0,) + (slice(12, 15),) * (ndim - 1) + (slice(1, 23),)] = 1  # a second rod
    pred = np.zeros_like(label)
    full = DiscrepancySeeds()(pred, label)
    first = DiscrepancySeeds(max_seeds_per_component=3)
    first.set_random_state(7)
    a = first(pred, label)
    second = DiscrepancySeeds(max_seeds_per_component=3)
    second.set_random_state(7)
    b = second(pred, label)
    np.testing.assert_array_equal(a, b)
    components = ndimage.label(label[0])[0]
    counts = np.bincount(components[a[FG] > 0], minlength=3)[1:]
    assert counts.tolist() == [3, 3]
    assert ((a[FG] > 0) <= (full[FG] > 0)).all()
    other = DiscrepancySeeds(max_seeds_per_component=3)
    other.set_random_state(8)
    assert not np.array_equal(other(pred, label), a)


@pytest.mark.parametrize("ndim", [2, 3])
def test_discrepancy_randomize_false_reuses_the_draw(ndim):
    """Issue 8.4: randomize=False reuses the previous draw (it raised when the two error skeletons differed in size,
    and reused the background draw for the foreground when they were equal); randomize=True draws anew."""
    label = np.zeros((1,) + (24,) * ndim, dtype=np.float32)
    label[(0,) + (slice(2, 5),) * (ndim - 1) + (slice(1, 23),)] = 1  # a missed rod: foreground seeds
    pred = np.zeros_like(label)
    pred[(0,) + (slice(12, 15),) * (ndim - 1) + (slice(1, 15),)] = 1  # a shorter false rod: background seeds
    transform = DiscrepancySeeds(max_seeds_per_component=2).set_random_state(0)
    first = transform(np.zeros_like(label), label)  # a first call on other masks
    again = transform(pred, label, randomize=False)
    np.testing.assert_array_equal(transform(pred, label, randomize=False), again)
    assert again[FG].sum() == 2 and again[BG].sum() == 2
    np.testing.assert_array_equal(again[FG], first[FG])  # same missed rod, same draw: same foreground seeds
    draws = [transform(pred, label) for _ in range(4)]
    assert any(not np.array_equal(draw, again) for draw in draws)
    assert DiscrepancySeeds(max_seeds_per_component=2)(pred, label, randomize=False)[FG].sum() == 2  # first call


def test_discrepancy_refuses_masks_of_different_geometry():
    """Issue 8.8: a MetaTensor prediction and label with different affines are not compared voxel by voxel."""
    label = MetaTensor(torch.as_tensor(_bar_2d()), affine=torch.diag(torch.tensor([0.7, 0.7, 1.0, 1.0])))
    pred = MetaTensor(torch.zeros_like(label.as_tensor()), affine=torch.diag(torch.tensor([0.8, 0.7, 1.0, 1.0])))
    with pytest.raises(ValueError, match=r"pred .* and label .* do not share geometry: spacing \[0.8, 0.7"):
        DiscrepancySeeds()(pred, label)
    assert DiscrepancySeeds()(MetaTensor(pred.as_tensor(), affine=label.affine), label)[FG].sum() > 0


@pytest.mark.parametrize("bad", ["mask.nii.gz", None, [[[0, 1], [1, 0]]]], ids=["str", "None", "list"])
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: DiscrepancySeeds()(x, _bar_2d()), "pred"),
        (lambda x: DiscrepancySeeds()(_bar_2d(), x), "label"),
        (lambda x: MaskSeeds(margin_mm=2.0)(x), "mask"),
        (lambda x: GaussianSeedMap()(x), "seeds"),
        (lambda x: ExtremePointSeeds()(x), "label"),
    ],
)
def test_non_arrays_are_named(bad, call, name):
    """Issue 8.8: not AttributeError: 'str' object has no attribute 'ndim'."""
    with pytest.raises(ValueError, match=f"{name} must be a numpy array or torch tensor"):
        call(bad)


@pytest.mark.parametrize(
    "shape, sigma, spacing", [((2, 40, 30, 20), 1e6, (0.743, 0.743, 1.6)), ((2, 300, 200), 1e9, 1.0)], ids=["3d", "2d"]
)
def test_gaussian_map_absurd_sigma_is_bounded_by_the_image(shape, sigma, spacing):
    """Issue 8.8: the kernel never reaches beyond the image (it crashed or asked for 75 GiB): the map is ~1 wherever
    the image is, since every voxel is a negligible fraction of sigma from the seed."""
    seeds = np.zeros(shape, dtype=bool)
    seeds[(0,) + tuple(n // 2 for n in shape[1:])] = True
    maps = GaussianSeedMap(sigma=sigma, spacing=spacing)(seeds)
    assert maps.shape == shape and maps[1].max() == 0
    np.testing.assert_allclose(maps[0], 1.0, atol=1e-6)
    few = np.zeros(shape, dtype=bool)
    few[(0,) + tuple(n // 2 for n in shape[1:])] = True
    np.testing.assert_allclose(GaussianSeedMap(sigma, spacing, truncate=1e-9 / sigma)(few)[0][few[0]], 1.0)


def test_discrepancy_per_slice_skeletonises_each_slice():
    label = np.zeros((1, 12, 12, 4), dtype=np.float32)
    label[0, 3:9, 3:9, :] = 1
    seeds = DiscrepancySeeds(per_slice=True, slice_axis=-1)(np.zeros_like(label), label)
    per_slice = seeds[FG].sum(axis=(0, 1))
    assert (per_slice > 0).all()  # every slice gets its own stroke
    np.testing.assert_array_equal(seeds[FG][..., 0], seeds[FG][..., 3])


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_mask_seeds_skeleton_inside_ring_outside(ndim, convert):
    mask = _block(ndim)
    seeds = MaskSeeds(margin_mm=2.0, spacing=1.0)(convert(mask))
    assert type(seeds) is type(convert(mask))
    seeds = np.asarray(seeds)
    inside = mask[0] > 0
    assert seeds[FG].sum() > 0 and not (seeds[FG] > 0)[~inside].any()
    distance = ndimage.distance_transform_edt(~inside)
    ring = distance[seeds[BG] > 0]
    assert ring.size > 0 and ring.min() > 0 and ring.max() <= 2.0


def test_mask_seeds_margin_is_in_mm():
    mask = np.zeros((1, 40, 40), dtype=np.float32)
    mask[0, 18:22, 18:22] = 1
    meta = MetaTensor(torch.as_tensor(mask), affine=torch.diag(torch.tensor([0.5, 2.0, 1.0, 1.0])))
    seeds = np.asarray(MaskSeeds(margin_mm=4.0)(meta))
    rows, cols = np.nonzero(seeds[BG])
    # 4 mm is 8 voxels along axis 0 (0.5 mm) and 2 voxels along axis 1 (2 mm)
    assert rows.min() == 18 - 8 and rows.max() == 21 + 8
    assert cols.min() == 18 - 2 and cols.max() == 21 + 2
    assert isinstance(MaskSeeds(margin_mm=4.0)(meta), MetaTensor)


def test_skeleton_never_loses_a_component():
    """skimage's 3D thinning erases an 8x8x8 cube entirely; the cube must still get its centre as a seed."""
    mask = _block(3)
    seeds = MaskSeeds(margin_mm=1.0)(mask)
    points = np.argwhere(seeds[FG] > 0)
    assert len(points) == 1 and ((points >= 7) & (points <= 8)).all()


def test_mask_seeds_empty_mask_gives_empty_seeds():
    seeds = MaskSeeds()(torch.zeros(1, 8, 8))
    assert seeds.shape == (2, 8, 8) and seeds.sum() == 0


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_gaussian_map_anisotropic_values(convert):
    seeds = np.zeros((2, 21, 21, 5), dtype=np.float32)
    seeds[0, 10, 10, 2] = 1
    spacing = (0.5, 2.0, 3.0)
    maps = GaussianSeedMap(sigma=3.0, spacing=spacing)(convert(seeds))
    assert type(maps) is type(convert(seeds))
    maps = np.asarray(maps)
    assert maps[0, 10, 10, 2] == 1.0
    # sigma = 3 mm: 6 voxels along axis 0, 1.5 voxels along axis 1 (not on grid), 1 voxel along axis 2
    np.testing.assert_allclose(maps[0, 16, 10, 2], np.exp(-0.5), rtol=1e-6)
    np.testing.assert_allclose(maps[0, 10, 10, 3], np.exp(-0.5), rtol=1e-6)
    np.testing.assert_allclose(maps[0, 10, 11, 2], np.exp(-(2.0**2) / 18), rtol=1e-6)
    np.testing.assert_allclose(maps[0, 13, 12, 1], np.exp(-(1.5**2 + 4.0**2 + 3.0**2) / 18), rtol=1e-6)
    assert (maps[1] == 0).all()  # a channel without seeds


@pytest.mark.parametrize(
    "shape, n_seeds, sigma",
    [((30, 40), 6, 4.0), ((120, 150), 4, 1.5), ((12, 20, 16), 3, 2.0), ((40, 40, 30), 3, 1.0)],
    ids=["2d-edt", "2d-scatter", "3d-edt", "3d-scatter"],
)
def test_gaussian_map_matches_brute_force(shape, n_seeds, sigma):
    """Both paths (one EDT, or kernels scattered around few seeds) equal the brute-force nearest-seed Gaussian."""
    rng = np.random.default_rng(0)
    spacing = np.array([1.2, 0.8, 1.5][: len(shape)])
    points = np.stack([rng.integers(0, s, n_seeds) for s in shape], 1)
    seeds = np.zeros((1, *shape), dtype=bool)
    seeds[(0, *points.T)] = True
    maps = GaussianSeedMap(sigma=sigma, spacing=spacing)(seeds)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1) * spacing
    d2 = ((grid[..., None, :] - points * spacing) ** 2).sum(-1).min(-1)
    expected = np.where(d2 <= (5 * sigma) ** 2, np.exp(-d2 / (2 * sigma**2)), 0.0)
    on_cutoff = np.isclose(d2, (5 * sigma) ** 2)  # float32 rounding decides either side of the cut there
    np.testing.assert_allclose(maps[0][~on_cutoff], expected[~on_cutoff], rtol=1e-5, atol=1e-7)


def test_gaussian_map_seeds_on_the_border():
    """Kernels scattered around seeds in the corners and on the edges are cut at the image border, not wrapped."""
    seeds = np.zeros((1, 100, 90), dtype=bool)
    seeds[0, [0, 99, 0, 50], [0, 89, 45, 0]] = True
    maps = GaussianSeedMap(sigma=1.0)(seeds)
    grid = np.stack(np.meshgrid(np.arange(100), np.arange(90), indexing="ij"), -1)
    d2 = ((grid[..., None, :] - np.argwhere(seeds[0])) ** 2).sum(-1).min(-1)
    np.testing.assert_allclose(maps[0], np.where(d2 <= 25, np.exp(-d2 / 2.0), 0.0), rtol=1e-5, atol=1e-7)


def test_gaussian_map_keeps_device_and_meta():
    seeds = MetaTensor(torch.zeros(2, 8, 8), affine=torch.diag(torch.tensor([2.0, 2.0, 1.0, 1.0])))
    seeds[0, 4, 4] = 1
    maps = GaussianSeedMap(sigma=2.0)(seeds)
    assert isinstance(maps, MetaTensor) and maps.device == seeds.device and maps.dtype == torch.float32
    torch.testing.assert_close(maps.affine, seeds.affine)
    np.testing.assert_allclose(float(maps[0, 5, 4]), np.exp(-0.5), rtol=1e-6)  # 1 voxel = 2 mm = sigma


@pytest.mark.parametrize("ndim", [2, 3])
def test_extreme_point_seeds(ndim):
    label = _block(ndim)
    seeds = ExtremePointSeeds()(label)
    points = np.argwhere(seeds[FG] > 0)
    assert seeds[BG].sum() == 0 and 1 <= len(points) <= 2 * ndim
    for axis in range(ndim):
        assert points[:, axis].min() == 4 and points[:, axis].max() == 11


def test_extreme_point_seeds_reproducible_with_pert():
    label = np.zeros((1, 24, 24), dtype=np.float32)
    label[0, 8:16, 8:16] = 1
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        transform = ExtremePointSeeds(pert=2.0).set_random_state(seed)
        runs[name] = np.stack([transform(label) for _ in range(5)])
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert not np.array_equal(runs["a"], runs["c"])
    # the jitter is applied: some seed lies off the label's own extreme rows/columns (8 and 15)
    points = np.argwhere(runs["a"][:, FG] > 0)[:, 1:]
    assert ((points < 8) | (points > 15)).any()


def _diamond_tips(size: int = 25, radius: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A diamond with a unique extreme point at each of its four tips; returns the label and the tips."""
    centre = size // 2
    rows, cols = np.mgrid[:size, :size]
    label = (np.abs(rows - centre) + np.abs(cols - centre) <= radius)[None].astype(np.float32)
    tips = np.array(
        [[centre - radius, centre], [centre + radius, centre], [centre, centre - radius], [centre, centre + radius]]
    )
    return label, tips


def test_extreme_point_jitter_is_symmetric():
    """Issue 16.2: MONAI's get_extreme_points adds 2 * pert * rand() (all offsets in [0, 2 pert), mean +pert); the
    jitter must scatter around the true extreme point: mean offset 0, offsets on both sides up to +-pert."""
    label, tips = _diamond_tips()
    transform = ExtremePointSeeds(pert=2.0).set_random_state(0)
    offsets = []
    for _ in range(2000):
        points = np.argwhere(transform(label)[FG] > 0)
        assert len(points) == 4  # the tips are 8 voxels apart or more: the jittered points never merge
        nearest = np.abs(points[:, None] - tips[None]).sum(-1).argmin(1)
        offsets.append(points - tips[nearest])
    offsets = np.concatenate(offsets)  # 8000 points, 2 coordinates each
    assert np.abs(offsets.mean(axis=0)).max() < 0.1
    assert offsets.min() == -2 and offsets.max() == 2 and offsets.std() > 0.8
    unperturbed = np.argwhere(ExtremePointSeeds(pert=0.0)(label)[FG] > 0)
    np.testing.assert_array_equal(np.sort(unperturbed, axis=0), np.sort(tips, axis=0))


def test_extreme_point_jitter_is_drawn_per_point():
    """Each point gets its own jitter: the four tips of a diamond do not all move by one shared offset. With
    independent offsets uniform in [-2, 2] rounded, four equal offset vectors are rare (under 1 draw in 100); one
    shared draw would make every draw so."""
    label, tips = _diamond_tips()
    transform = ExtremePointSeeds(pert=2.0).set_random_state(0)
    shared = 0
    for _ in range(200):
        points = np.argwhere(transform(label)[FG] > 0)
        assert len(points) == 4
        nearest = np.abs(points[:, None] - tips[None]).sum(-1).argmin(1)
        offsets = points - tips[nearest]
        shared += bool((offsets == offsets[0]).all())
    assert shared < 10


def test_seeds_from_points():
    seeds = seeds_from_points((5, 6), foreground=[(1, 2), (4, 5)], background=[(0, 0)])
    assert seeds.dtype == bool and seeds[FG, 1, 2] and seeds[FG, 4, 5] and seeds[BG, 0, 0] and seeds.sum() == 3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: DiscrepancySeeds()(np.zeros((1, 4, 4)), np.zeros((1, 4, 5))), "same shape"),
        (lambda: DiscrepancySeeds()(np.full((1, 4, 4), 0.5), np.zeros((1, 4, 4))), "pred must be binary"),
        (lambda: DiscrepancySeeds()(np.zeros((1, 4, 4)), np.full((1, 4, 4), np.nan)), "label contains NaN"),
        (lambda: DiscrepancySeeds()(np.zeros((2, 4, 4)), np.zeros((2, 4, 4))), "pred must have 1 channel"),
        (lambda: DiscrepancySeeds()(np.zeros((4, 4)), np.zeros((4, 4))), "pred must be channel-first"),
        (lambda: DiscrepancySeeds(min_component_size=-1), "min_component_size"),
        (lambda: DiscrepancySeeds(max_seeds_per_component=0), "max_seeds_per_component"),
        (lambda: MaskSeeds(margin_mm=0), "margin_mm"),
        (lambda: MaskSeeds(spacing=(1.0, 0.0))(np.ones((1, 4, 4))), "spacing must be finite and positive"),
        (lambda: MaskSeeds(spacing=(1.0, 1.0, 1.0))(np.ones((1, 4, 4))), "spacing must have 2 values"),
        (lambda: MaskSeeds()(np.full((1, 4, 4), np.inf)), "mask contains NaN or Inf"),
        (lambda: GaussianSeedMap(sigma=0), "sigma"),
        (lambda: GaussianSeedMap(sigma=-1.0), "sigma"),
        (lambda: GaussianSeedMap(truncate=0), "truncate"),
        (lambda: GaussianSeedMap()(np.full((2, 4, 4), 2.0)), "seeds must be binary"),
        (lambda: ExtremePointSeeds()(np.zeros((1, 4, 4))), "no foreground"),
        (lambda: ExtremePointSeeds(pert=-1), "pert"),
        (lambda: seeds_from_points((4, 4), foreground=[(1, 4)]), r"foreground seeds \[\[1, 4\]\] lie outside"),
        (lambda: seeds_from_points((4, 4), background=[(-1, 0)]), "background seeds"),
        (lambda: seeds_from_points((4, 4), foreground=[(1, 2, 3)]), "2-coordinate"),
        (lambda: seeds_from_points((4, 4), foreground=[(1.5, 2)]), "integer voxel"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_mask_seeds_erosion_adds_a_solid_core():
    mask = np.zeros((1, 30, 30), dtype=np.float32)
    mask[0, 5:25, 5:25] = 1
    seeds = MaskSeeds(margin_mm=2.0, erosion_mm=3.0, spacing=1.0)(mask)
    core = np.zeros((30, 30), dtype=bool)
    core[8:22, 8:22] = True  # pixels more than 3 mm from the background (distance >= 4 voxels)
    np.testing.assert_array_equal(seeds[FG] > 0, core | (MaskSeeds(margin_mm=2.0)(mask)[FG] > 0))
    with pytest.raises(ValueError, match="erosion_mm"):
        MaskSeeds(erosion_mm=0.0)


def test_mask_seeds_ring_never_lies_on_the_object():
    """Issue 16.1: mask [10:20, 10:20, 3:9] at (0.75, 0.75, 5) mm put 200 of 808 background seeds inside it with
    margin_mm=3 (the dilation did not grow along the 5 mm axis); a margin below a spacing is now refused by name."""
    mask = np.zeros((1, 30, 30, 12), dtype=np.float32)
    mask[0, 10:20, 10:20, 3:9] = 1
    spacing = (0.75, 0.75, 5.0)
    with pytest.raises(ValueError, match=r"margin_mm=3 .*axis \[2\].*margin_mm >= 5"):
        MaskSeeds(margin_mm=3.0, spacing=spacing)
    meta = MetaTensor(torch.as_tensor(mask), affine=torch.diag(torch.tensor([*spacing, 1.0])))
    with pytest.raises(ValueError, match="margin_mm >= 5"):
        MaskSeeds(margin_mm=3.0)(meta)  # spacing from the MetaTensor, checked when called
    seeds = np.asarray(MaskSeeds(margin_mm=5.0)(meta))
    ring = seeds[BG] > 0
    assert ring.sum() > 0 and not (ring & (mask[0] > 0)).any()
    # the ring leaves the object along the coarse axis: one slice above and below the slab
    assert ring[:, :, 2].sum() > 0 and ring[:, :, 9].sum() > 0 and ring[:, :, [0, 1, 10, 11]].sum() == 0


@pytest.mark.parametrize("spacing", [(0.7, 0.7), (1.0, 1.0), (0.5, 2.0)])
def test_mask_seeds_margin_equal_to_the_spacing_is_accepted(spacing):
    """The smallest allowed margin (the largest spacing, float32 rounding included) still puts a ring outside."""
    mask = np.zeros((1, 20, 20), dtype=np.float32)
    mask[0, 5:15, 6:12] = 1
    seeds = MaskSeeds(margin_mm=max(spacing), spacing=spacing)(mask)
    ring = seeds[BG] > 0
    assert not (ring & (mask[0] > 0)).any()
    r0, r1 = (round(max(spacing) / s) for s in spacing)  # the margin in voxels along each axis
    assert ring[5 - r0, 6:12].all() and ring[14 + r0, 6:12].all()
    assert ring[5:15, 6 - r1].all() and ring[5:15, 11 + r1].all()


@pytest.mark.parametrize("ndim", [2, 3])
def test_mask_seeds_do_not_depend_on_the_image_around_the_object(ndim):
    """Issue 12.5: the seeds are computed in the object's box plus margin; the image size must not change them,
    also for an object touching the image edge."""
    small = np.zeros((1,) + (20,) * ndim, dtype=bool)
    small[(0,) + (slice(0, 9),) + (slice(3, 15),) * (ndim - 1)] = True  # touches the edge along axis 0
    small[(0,) + (slice(12, 17),) * ndim] = True
    transform = MaskSeeds(margin_mm=2.0, erosion_mm=1.0, spacing=(1.0, 1.5, 2.0)[:ndim])
    inner = np.asarray(transform(small))
    large = np.zeros((1,) + (20,) + (70,) * (ndim - 1), dtype=bool)
    large[(0, slice(0, 20)) + (slice(25, 45),) * (ndim - 1)] = small[0]
    outer = np.asarray(transform(large))
    np.testing.assert_array_equal(outer[(slice(None), slice(0, 20)) + (slice(25, 45),) * (ndim - 1)], inner)
    assert outer.sum() == inner.sum() and inner[FG].sum() > 0 and inner[BG].sum() > 0


def test_discrepancy_min_component_size_keeps_a_component_of_exactly_that_size():
    """``min_component_size`` drops components with *fewer* voxels: a 4-voxel error survives a limit of 4, not of 5."""
    label = np.zeros((1, 8, 8))
    label[0, 2, 2:6] = 1  # one 4-voxel under-segmentation, pred empty
    pred = np.zeros_like(label)
    assert DiscrepancySeeds(min_component_size=4)(pred, label)[FG].sum() > 0
    assert DiscrepancySeeds(min_component_size=5)(pred, label)[FG].sum() == 0


def test_discrepancy_per_slice_counts_components_per_slice():
    """With ``per_slice`` a bar through 3 slices is 3 components (one seed each), without it one 3D component."""
    label = np.zeros((1, 7, 7, 3))
    label[0, 2:5, 2:5, :] = 1
    pred = np.zeros_like(label)
    per_slice = DiscrepancySeeds(max_seeds_per_component=1, per_slice=True, slice_axis=-1)(pred, label)
    assert per_slice[FG].sum(axis=(0, 1)).tolist() == [1, 1, 1]
    whole = DiscrepancySeeds(max_seeds_per_component=1)(pred, label)
    assert whole[FG].sum() == 1
    # 9 voxels per slice, 27 in 3D: a size limit of 10 drops the per-slice components only
    assert DiscrepancySeeds(min_component_size=10, per_slice=True)(pred, label)[FG].sum() == 0
    assert DiscrepancySeeds(min_component_size=10)(pred, label)[FG].sum() > 0


@pytest.mark.parametrize("slice_axis", [0, 1, 2, -2])
def test_discrepancy_per_slice_components_follow_slice_axis(slice_axis):
    """The per-slice components are cut along ``slice_axis`` whatever it is, not along the last axis: a 3 x 3 x 3 cube
    missed by the prediction, per slice along that axis, is 3 components of 9 voxels, one seed each with
    ``max_seeds_per_component=1`` (one on each slice), and a size limit of 10 drops them all."""
    label = np.zeros((1, 7, 7, 7))
    label[0, 2:5, 2:5, 2:5] = 1
    pred = np.zeros_like(label)
    seeds = DiscrepancySeeds(max_seeds_per_component=1, per_slice=True, slice_axis=slice_axis)(pred, label)
    others = tuple(a for a in range(3) if a != slice_axis % 3)
    assert seeds[FG].sum(axis=others).tolist() == [0, 0, 1, 1, 1, 0, 0]
    assert DiscrepancySeeds(min_component_size=10, per_slice=True, slice_axis=slice_axis)(pred, label)[FG].sum() == 0
    assert DiscrepancySeeds(min_component_size=9, per_slice=True, slice_axis=slice_axis)(pred, label)[FG].sum() > 0


def test_mask_seeds_ring_on_an_object_touching_the_image_border():
    """The image border is not a ring: background seeds never fall on an object that touches the border."""
    mask = np.zeros((1, 10, 10))
    mask[0, 0:4, 3:7] = 1
    seeds = MaskSeeds(margin_mm=2.0, spacing=1.0)(mask)
    assert not (seeds[BG] * mask[0]).any()
    assert seeds[BG][0].sum() == 2  # on the border row, only where the 2 mm ring meets it: columns 1 and 8
    assert seeds[BG][0, [1, 8]].tolist() == [1, 1]


def test_extreme_point_jitter_stays_inside_the_image():
    """Jittered points at the far edge are clipped to the last voxel, never outside (which would raise)."""
    label = np.zeros((1, 6, 6))
    label[0, 3:6, 3:6] = 1  # touches the far edges
    for seed in range(20):
        seeds = ExtremePointSeeds(pert=2.0).set_random_state(seed)(label)
        assert 1 <= seeds[FG].sum() <= 4


def test_mask_seeds_core_keeps_away_from_the_image_border():
    """The erosion counts the image border as outside (as scipy's binary_erosion does): rows 0..4, columns 2..7 touch
    the top edge; a voxel (r, c) lies min(r + 1, 5 - r, c - 1, 8 - c) voxels from the outside, more than 2 only at
    (2, 4) and (2, 5), so the 2 mm core adds those two voxels to the skeleton and nothing on rows 0 and 1."""
    mask = np.zeros((1, 10, 10), dtype=np.float32)
    mask[0, 0:5, 2:8] = 1
    skeleton = np.asarray(MaskSeeds(margin_mm=2.0, spacing=1.0)(mask))[FG] > 0
    with_core = np.asarray(MaskSeeds(margin_mm=2.0, erosion_mm=2.0, spacing=1.0)(mask))[FG] > 0
    core = np.zeros_like(skeleton)
    core[2, 4:6] = True
    np.testing.assert_array_equal(with_core, skeleton | core)


def test_per_slice_on_a_2d_error_is_the_2d_skeleton():
    """``per_slice`` is documented for 3D inputs only: on a 2D error the seeds are its 2D skeleton (skimage's, computed
    here independently), not a skeleton of each 1D row, whatever ``per_slice``."""
    from skimage.morphology import skeletonize

    label = np.zeros((1, 12, 16))
    label[0, 2:9, 2:14] = 1  # a 7 x 12 block missed entirely: one false-negative component
    pred = np.zeros_like(label)
    expected = skeletonize(label[0].astype(bool))
    for per_slice in (False, True):
        seeds = DiscrepancySeeds(per_slice=per_slice)(pred, label)
        np.testing.assert_array_equal(np.asarray(seeds[0], bool), expected)
        assert not np.asarray(seeds[1]).any()


@pytest.mark.parametrize("seed_voxels", [1, 80])  # 1 seed: the kernel path; 80 (135-voxel kernels): the EDT path
def test_gaussian_seed_map_every_channel_brute_force(seed_voxels):
    """Each channel's map is ``exp(-d² / 2σ²)`` of the distance to that channel's nearest seed, 0 beyond truncate·σ,
    on both computation paths; the channels hold different seeds, so a map written into the wrong channel shows."""
    rng = np.random.default_rng(seed_voxels)
    seeds = np.zeros((2, 40, 30))
    for channel in (0, 1):
        flat = rng.choice(seeds[channel].size, seed_voxels, replace=False)
        seeds[channel].flat[flat] = 1
    spacing, sigma, truncate = (0.8, 1.3), 2.0, 3.0
    maps = GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)(seeds)
    grid = np.stack(np.meshgrid(*(np.arange(n) * s for n, s in zip(seeds.shape[1:], spacing)), indexing="ij"), -1)
    for channel in (0, 1):
        points = grid[seeds[channel] > 0]  # (n, 2) mm
        d2 = ((grid[:, :, None, :] - points[None, None]) ** 2).sum(-1).min(-1)
        expected = np.where(d2 <= (truncate * sigma) ** 2, np.exp(-d2 / (2 * sigma**2)), 0.0)
        np.testing.assert_allclose(maps[channel], expected, atol=1e-6)


@pytest.mark.parametrize("pert", [0.6, 1.0, 2.0])
def test_extreme_point_jitter_moves_points_for_any_positive_pert(pert):
    """Any ``pert > 0`` jitters (offsets uniform in ±pert voxels, rounded): with pert above one half some of 30 draws
    move a point; pert 0 never does."""
    x, y = np.mgrid[:21, :21]
    label = (np.abs(x - 10) + np.abs(y - 10) <= 5)[None].astype(np.float32)  # a diamond: one voxel per extreme
    still = np.asarray(ExtremePointSeeds(pert=0.0).set_random_state(0)(label))
    assert np.argwhere(still[0]).tolist() == [[5, 10], [10, 5], [10, 15], [15, 10]]
    transform = ExtremePointSeeds(pert=pert).set_random_state(0)
    moved = [not np.array_equal(np.asarray(transform(label)), still) for _ in range(30)]
    assert any(moved)
