from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.metrics import compute_dice
from monai.transforms import Compose
from monai.utils import set_determinism
from scipy import ndimage

from monai_refine.transforms import RandMaskPerturb
from tests.utils import TEST_NDARRAYS

OPS = ("morph", "noise", "elastic", "rotate", "shift", "flip")


def _only(op: str, **kwargs) -> RandMaskPerturb:
    """A perturbation that always applies ``op`` and nothing else."""
    probs = {f"{name}_prob": float(name == op) for name in OPS}
    return RandMaskPerturb(**probs, **kwargs)


def _block(ndim: int, size: int = 24) -> np.ndarray:
    """An off-centre, asymmetric block so flips and shifts are visible."""
    mask = np.zeros((1,) + (size,) * ndim, dtype=np.uint8)
    mask[(0,) + tuple(slice(5, 14 + 2 * d) for d in range(ndim))] = 1
    return mask


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_type_shape_dtype_and_metadata_kept(ndim, convert):
    mask = convert(_block(ndim))
    out = RandMaskPerturb(dice_range=(0.5, 0.95)).set_random_state(0)(mask)
    assert type(out) is type(mask) and out.shape == mask.shape and out.dtype == mask.dtype
    assert set(np.unique(np.asarray(out))) <= {0, 1}
    if isinstance(mask, MetaTensor):
        np.testing.assert_array_equal(out.affine, mask.affine)


@pytest.mark.parametrize("ndim", [2, 3])
def test_seed_reproduces_bit_for_bit(ndim):
    mask = _block(ndim)
    first = [RandMaskPerturb().set_random_state(7)(mask) for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    perturb = RandMaskPerturb().set_random_state(7)
    runs = [perturb(mask) for _ in range(4)]
    again = RandMaskPerturb().set_random_state(7)
    for run in runs:
        np.testing.assert_array_equal(again(mask), run)


def test_no_global_random_state_used():
    """The legacy global numpy state and torch's generator are left untouched: all draws come from ``self.R``."""
    mask = _block(2)
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 -- the legacy global state is what is checked
    torch_state = torch.random.get_rng_state().clone()
    RandMaskPerturb(elastic_prob=1.0, noise_prob=1.0).set_random_state(1)(mask)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_compose_seed_and_set_determinism():
    mask = _block(2)
    outs = []
    for _ in range(2):
        set_determinism(seed=3)
        outs.append(Compose([RandMaskPerturb(elastic_prob=1.0)]).set_random_state(11)(mask))
    set_determinism(seed=None)
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("ndim", [2, 3])
def test_dice_in_range_and_recomputed_independently(ndim):
    mask = _block(ndim, size=32)
    perturb = RandMaskPerturb(dice_range=(0.6, 0.9)).set_random_state(5)
    for _ in range(3):
        out, info = perturb.perturb(mask)
        assert 0.6 <= info["dice"] <= 0.9 and 1 <= info["num_tries"] <= perturb.max_tries
        expected = compute_dice(torch.as_tensor(out[None]).float(), torch.as_tensor(mask[None]).float())
        assert info["dice"] == pytest.approx(float(expected), abs=1e-6)
        assert set(info["operations"]) <= set(OPS)


@pytest.mark.parametrize("ndim", [2, 3])
def test_erosion_shrinks_and_dilation_grows(ndim):
    mask = _block(ndim).astype(bool)
    eroded = _only("morph", radius_range=(-2.0, -1.0)).set_random_state(0)(mask)
    dilated = _only("morph", radius_range=(1.0, 2.0)).set_random_state(0)(mask)
    assert eroded.sum() < mask.sum() and not (eroded & ~mask).any()
    assert dilated.sum() > mask.sum() and not (mask & ~dilated).any()


def test_morphology_is_spacing_aware():
    mask = np.zeros((1, 21, 21), dtype=np.uint8)
    mask[0, 10, 10] = 1
    spacing = (2.0, 1.0)
    dilated = _only("morph", radius_range=(2.0, 2.0), spacing=spacing)(mask)[0]
    rows, cols = np.nonzero(dilated)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (9, 11, 8, 12)
    meta = MetaTensor(torch.as_tensor(mask), affine=torch.diag(torch.tensor([2.0, 1.0, 1.0, 1.0])))
    from_meta = _only("morph", radius_range=(2.0, 2.0))(meta)
    np.testing.assert_array_equal(from_meta.numpy()[0], dilated)


@pytest.mark.parametrize("ndim", [2, 3])
def test_erosion_is_spacing_aware(ndim):
    """A 21^n block eroded by 2 mm at 1 mm along axis 0 and 2 mm along the others: a voxel k voxels deep is k mm from
    the background along axis 0 and 2k mm along the others, and only voxels more than 2 mm deep stay, so 2 layers go
    on each side along axis 0 and 1 along the others: 17 x 19^(n-1) voxels (289 or 4913 if every axis were 1 mm)."""
    mask = np.zeros((1,) + (31,) * ndim, dtype=np.uint8)
    mask[(0,) + (slice(5, 26),) * ndim] = 1
    spacing = (1.0,) + (2.0,) * (ndim - 1)
    eroded = _only("morph", radius_range=(-2.0, -2.0), spacing=spacing)(mask)[0]
    expected = np.zeros(mask.shape[1:], dtype=bool)
    expected[(slice(7, 24),) + (slice(6, 25),) * (ndim - 1)] = True
    np.testing.assert_array_equal(eroded, expected)
    assert int(eroded.sum()) == 17 * 19 ** (ndim - 1)


def _exact_morphology(mask: np.ndarray, radius: float, spacing: tuple[float, ...]) -> np.ndarray:
    """The Euclidean ball morphology by definition, on the whole image padded with background (the image border counts
    as background): dilation keeps what lies within ``radius`` mm of the mask, erosion what lies more than
    ``-radius`` mm inside it."""
    padded = np.pad(mask.astype(bool), 1)
    inner = (slice(1, -1),) * mask.ndim
    if radius >= 0:
        return (ndimage.distance_transform_edt(~padded, sampling=spacing) <= radius)[inner]
    return (ndimage.distance_transform_edt(padded, sampling=spacing) > -radius)[inner]


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.5, 0.5), (0.4, 1.5)])
@pytest.mark.parametrize("radius", [-2.0, 3.0])
@pytest.mark.parametrize("where", ["inside", "border"])
def test_morphology_equals_the_exact_euclidean_ball(spacing, radius, where):
    """Erosion and dilation equal their definition on the whole image, whatever the spacing (sub-mm voxels need a crop
    of radius / spacing voxels, more than the radius in voxels) and for a mask that touches the image border (the
    border is background: the mask is eroded from it too)."""
    mask = np.zeros((1, 40, 36), dtype=np.uint8)
    rows = slice(12, 27) if where == "inside" else slice(0, 15)
    mask[0, rows, 10:25] = 1
    out = _only("morph", radius_range=(radius, radius), spacing=spacing)(mask)[0]
    expected = _exact_morphology(mask[0], radius, spacing)
    assert expected.sum() != mask.sum()
    np.testing.assert_array_equal(out, expected)


def test_erosion_of_a_mask_touching_the_image_border_by_hand():
    """Rows 0-5, columns 3-9 of a 12 x 12 image, eroded by 2 mm at 1 mm: a voxel (r, c) lies min(r + 1, 6 - r, c - 2,
    10 - c) mm from the background (the row above the image counts), more than 2 only on rows 2-3, columns 5-7."""
    mask = np.zeros((1, 12, 12), dtype=np.uint8)
    mask[0, 0:6, 3:10] = 1
    out = _only("morph", radius_range=(-2.0, -2.0), spacing=1.0)(mask)[0]
    expected = np.zeros((12, 12), dtype=bool)
    expected[2:4, 5:8] = True
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("op", ["rotate", "shift"])
def test_resampling_brings_in_background_from_outside_the_image(op):
    """What a rotation or a shift moves into the image from outside it is background: a mask that fills the image
    loses voxels along the edges it moves away from (seeds whose draws move it by more than half a voxel)."""
    mask = np.ones((1, 16, 16), dtype=np.uint8)
    for seed in range(5):
        out = _only(op, rotate_range=0.3, shift_range=4.0).set_random_state(seed)(mask)
        assert 0 < out.sum() < mask.sum(), seed
        assert out[0, 6:10, 6:10].all()  # the middle stays: only the edges are lost


@pytest.mark.parametrize("ndim", [2, 3])
def test_flip_is_an_involution(ndim):
    mask = _block(ndim)
    out = _only("flip").set_random_state(4)(mask)
    axes = [a for a in range(1, ndim + 1) if np.array_equal(out, np.flip(mask, axis=a))]
    assert len(axes) == 1
    np.testing.assert_array_equal(_only("flip").set_random_state(4)(out), mask)


def test_noise_flips_only_near_the_contour():
    mask = _block(2, size=32).astype(bool)[0]
    out = _only("noise", noise_band_range=(1.0, 1.0), noise_fraction_range=(0.5, 0.5)).set_random_state(2)(mask[None])
    changed = out[0] != mask
    near = np.maximum(ndimage.distance_transform_edt(mask), ndimage.distance_transform_edt(~mask)) <= 1
    assert 0 < changed.sum() < near.sum() and not (changed & ~near).any()


@pytest.mark.parametrize("op", ["elastic", "rotate", "shift"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_resampling_ops_move_the_mask_and_keep_its_size(op, ndim):
    mask = _block(ndim, size=32)
    out = _only(op, rotate_range=0.5, shift_range=3.0, elastic_spacing=8.0).set_random_state(3)(mask)
    assert not np.array_equal(out, mask)
    assert 0.6 < out.sum() / mask.sum() < 1.4


@pytest.mark.parametrize("ndim", [2, 3])
def test_shift_is_in_mm(ndim):
    """shift_range is in mm: with spacing 2 mm along axis 0 and 0.5 mm elsewhere, a shift of s mm moves the mask by
    s / 2 voxels along axis 0 and 2 s voxels along the others (nearest-neighbour resampling rounds to whole voxels)."""
    mask = _block(ndim, size=40)
    spacing = (2.0,) + (0.5,) * (ndim - 1)
    perturb = _only("shift", shift_range=3.0, spacing=spacing).set_random_state(0)
    out = perturb(mask)
    shift_mm = perturb._params["shift"]  # the drawn shift, mm per axis
    moved = np.array([np.argwhere(out[0])[:, a].mean() - np.argwhere(mask[0])[:, a].mean() for a in range(ndim)])
    expected_voxels = shift_mm / np.asarray(spacing)
    # MONAI's Affine translates the sampling grid, so the object moves by minus the drawn shift
    np.testing.assert_allclose(moved, -expected_voxels, atol=0.51)
    assert np.abs(expected_voxels[1:]).max() > 1.0  # the mm -> voxel conversion is visible in this draw


@pytest.mark.parametrize("ndim", [2, 3])
def test_shift_is_drawn_from_both_directions(ndim):
    """Shifts are uniform on [-shift_range, shift_range] per axis (class docstring): over 400 draws of range 3 mm every
    axis gets both signs, nothing beyond 3 mm, and a mean near 0 (its standard error is 3 / sqrt(3 * 400) = 0.087)."""
    perturb = _only("shift", shift_range=3.0).set_random_state(0)
    shifts = []
    for _ in range(400):
        perturb.randomize((24,) * ndim)
        shifts.append(perturb._params["shift"])
    shifts = np.asarray(shifts)
    assert shifts.shape == (400, ndim) and np.abs(shifts).max() <= 3.0
    assert (shifts.min(0) < -2.5).all() and (shifts.max(0) > 2.5).all()
    np.testing.assert_allclose(shifts.mean(0), 0.0, atol=0.35)  # 4 standard errors; one-sided draws give 1.5


def test_prob_zero_returns_input_with_dice_one():
    mask = _block(2)
    out, info = RandMaskPerturb(prob=0.0).perturb(mask)
    assert out is mask and info == {"dice": 1.0, "num_tries": 0, "operations": ()}


def test_unreachable_dice_range_is_a_clear_error():
    with pytest.raises(ValueError, match="dice_range=.*not reached in max_tries=3"):
        _only("flip", dice_range=(0.1, 0.2), max_tries=3)(np.ones((1, 8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="empty mask"):
        RandMaskPerturb(dice_range=(0.6, 0.9))(np.zeros((1, 8, 8)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prob": 1.5},
        {"morph_prob": -0.1},
        {"radius_range": (2.0, 1.0)},
        {"radius_range": (1.0,)},
        {"radius_range": (-3.0, float("inf"))},
        {"radius_range": (float("-inf"), 3.0)},
        {"noise_prob": 2},
        {"noise_band_range": (-1.0, 1.0)},
        {"noise_fraction_range": (0.5, 1.5)},
        {"elastic_prob": float("nan")},
        {"elastic_magnitude_range": (-1.0, 1.0)},
        {"elastic_spacing": 0.5},
        {"elastic_sigma_range": (0.0, 1.0)},
        {"rotate_prob": 1.1},
        {"rotate_range": -0.1},
        {"shift_prob": -1},
        {"shift_range": float("inf")},
        {"flip_prob": 3},
        {"dice_range": (0.9, 0.6)},
        {"dice_range": (0.5, 1.5)},
        {"max_tries": 0},
        {"max_tries": 2.5},
    ],
)
def test_bad_arguments(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        RandMaskPerturb(**kwargs)


@pytest.mark.parametrize(
    "img, match",
    [
        (np.full((1, 8, 8), 0.5), "binary"),
        (np.zeros((2, 8, 8)), "channel"),
        (np.zeros((8,)), "spatial dims"),
        (np.full((1, 8, 8), np.nan), "NaN"),
        ("mask.nii.gz", "img must be a numpy array or torch tensor"),
        (None, "img must be a numpy array or torch tensor"),
        ([[[0, 1], [1, 0]]], "img must be a numpy array or torch tensor"),
    ],
)
def test_bad_inputs(img, match):
    with pytest.raises(ValueError, match=match):
        RandMaskPerturb()(img)


def test_bad_spacing():
    with pytest.raises(ValueError, match="spacing"):
        RandMaskPerturb(spacing=(1.0, 1.0, 1.0))(_block(2))


@pytest.mark.parametrize("ndim", [2, 3])
def test_randomize_false_replays_the_last_draw(ndim):
    """Issue 8.4: MONAI semantics. ``randomize=False`` applies the previous draw (elastic included), ``randomize()``
    makes a new one."""
    mask = _block(ndim, size=24)
    perturb = RandMaskPerturb(elastic_prob=1.0, noise_prob=1.0, rotate_prob=1.0, elastic_spacing=8.0)
    perturb.set_random_state(1)
    first = perturb(mask)
    np.testing.assert_array_equal(perturb(mask, randomize=False), first)
    np.testing.assert_array_equal(perturb(mask, randomize=False), first)
    perturb.randomize(mask.shape[1:])
    drawn = perturb(mask, randomize=False)
    assert not np.array_equal(drawn, first)
    np.testing.assert_array_equal(perturb(mask, randomize=False), drawn)


def test_randomize_false_applies_the_draw_once_whatever_dice_range():
    """``randomize=False`` applies the previous draw once, as it is, without the ``dice_range`` search: a 2 mm
    dilation drawn on a 20 x 20 square (Dice 800 / (400 + 564) = 0.83, inside (0.6, 0.9); the square grows by 2 on
    each side plus one voxel at each corner) replayed on a 4 x 4 square gives Dice 32 / (16 + 52) = 0.47, outside the
    range, and is returned after one try instead of raising."""
    big = np.zeros((1, 40, 40), dtype=np.uint8)
    big[0, 10:30, 10:30] = 1
    small = np.zeros((1, 40, 40), dtype=np.uint8)
    small[0, 18:22, 18:22] = 1
    perturb = _only("morph", radius_range=(2.0, 2.0), dice_range=(0.6, 0.9), spacing=1.0)
    out, info = perturb.perturb(big)
    assert info["dice"] == pytest.approx(800 / 964) and int(out.sum()) == 564
    out, info = perturb.perturb(small, randomize=False)
    assert info["dice"] == pytest.approx(32 / 68) and info["num_tries"] == 1 and int(out.sum()) == 52


def test_randomize_false_needs_a_draw_of_the_same_size():
    with pytest.raises(ValueError, match="randomize=False .* randomize"):
        RandMaskPerturb()(_block(2), randomize=False)
    perturb = RandMaskPerturb(morph_prob=1.0)
    perturb(_block(2, size=24))
    with pytest.raises(ValueError, match=r"spatial size \(24, 24\)"):
        perturb(_block(2, size=20), randomize=False)


def test_metatensor_output_carries_the_dice():
    mask = MetaTensor(torch.as_tensor(_block(2)))
    out, info = _only("morph", radius_range=(1.0, 1.0)).perturb(mask)
    # a 9 x 11 block dilated by 1 mm gains its 2 x (9 + 11) edge neighbours: Dice = 2 * 99 / (99 + 139)
    assert int(out.sum()) == 139 and info["dice"] == pytest.approx(198 / 238)
    assert out.meta["quality"] == pytest.approx(198 / 238) and "quality" not in mask.meta


def test_noise_band_follows_the_moved_boundary():
    """Dilate by 3 mm, then flip every voxel within 2 mm of the *dilated* boundary (fraction 1), by hand on one row.

    Mask columns 10..19 (full height); outside, the signed distance of column c is its distance to the mask, so the
    dilation keeps columns 7..22 and the band (signed distance in [1, 5]) is columns 5..9 and 20..24: after the
    flip, row 4 holds columns 5, 6, 10..19, 23, 24. The band reaches 5 mm from the mask, past the dilation's 3 mm.
    """
    mask = np.zeros((1, 9, 30), dtype=np.float32)
    mask[0, :, 10:20] = 1
    transform = RandMaskPerturb(
        morph_prob=1.0, radius_range=(3.0, 3.0), noise_prob=1.0, noise_band_range=(2.0, 2.0),
        noise_fraction_range=(1.0, 1.0), elastic_prob=0.0, rotate_prob=0.0, shift_prob=0.0, flip_prob=0.0,
        spacing=1.0,
    )  # fmt: skip
    out = np.asarray(transform(mask))[0]
    assert np.flatnonzero(out[4]).tolist() == [5, 6, *range(10, 20), 23, 24]


@pytest.mark.parametrize("ndim", [2, 3])
def test_flip_reaches_every_axis(ndim):
    """Over 20 draws the flip lands on each spatial axis of the asymmetric block."""
    mask = _block(ndim)
    perturb = _only("flip").set_random_state(0)
    flipped = set()
    for _ in range(20):
        out = perturb(mask)
        flipped |= {a for a in range(1, ndim + 1) if np.array_equal(out, np.flip(mask, axis=a))}
    assert flipped == set(range(1, ndim + 1))


def test_3d_rotation_tilts_about_every_axis():
    """A one-voxel rod along axis 0 through the centre of rotation is left in place by a rotation about axis 0; the
    rotations about the other two axes tilt it, so some draws spread it over several rows or columns."""
    rod = np.zeros((1, 21, 21, 21), dtype=np.uint8)
    rod[0, :, 10, 10] = 1
    perturb = _only("rotate", rotate_range=0.4).set_random_state(0)
    spreads = []
    for _ in range(5):
        out = perturb(rod)[0]
        spreads.append(int(out.any(axis=(0, 2)).sum() + out.any(axis=(0, 1)).sum()))
    assert max(spreads) > 4  # one row and one column when untilted


@pytest.mark.parametrize("max_tries", [1, 2, 3])
@pytest.mark.parametrize("accepted", [True, False])
def test_max_tries_draws_exactly_that_many(monkeypatch, max_tries, accepted):
    """``dice_range`` met only on the last allowed try is accepted (``num_tries == max_tries``); met one try later, it
    is an error after exactly ``max_tries`` draws. The Dice of each try is scripted: 0.5, ..., 0.5, then 0.95."""
    import monai_refine.transforms.perturbation.array as module

    tries_needed = max_tries if accepted else max_tries + 1
    dice = iter([0.5] * (tries_needed - 1) + [0.95])
    calls = []
    monkeypatch.setattr(module, "dice_coefficient", lambda a, b: calls.append(1) or next(dice))
    perturb = _only("flip", dice_range=(0.9, 1.0), max_tries=max_tries).set_random_state(0)
    if accepted:
        _, info = perturb.perturb(_block(2))
        assert info["num_tries"] == max_tries and info["dice"] == 0.95
    else:
        with pytest.raises(ValueError, match=f"not reached in max_tries={max_tries} tries"):
            perturb.perturb(_block(2))
    assert len(calls) == max_tries


@pytest.mark.parametrize("ndim", [2, 3])
def test_elastic_magnitude_range_applies_in_2d_and_3d(ndim):
    """``elastic_magnitude_range`` replaces the default magnitudes of both the 2D and the 3D deformation: offsets of
    magnitude 0 leave the mask as it is, and the default magnitudes do not (the same draw otherwise)."""
    only_elastic = {
        "morph_prob": 0.0, "noise_prob": 0.0, "elastic_prob": 1.0, "rotate_prob": 0.0, "shift_prob": 0.0,
        "flip_prob": 0.0, "elastic_spacing": 4.0, "elastic_sigma_range": (2.0, 2.0),
    }  # fmt: skip
    mask = np.zeros((1, *(24,) * ndim), np.float32)
    mask[(0, *(slice(6, 18),) * ndim)] = 1
    still = RandMaskPerturb(elastic_magnitude_range=(0.0, 0.0), **only_elastic).set_random_state(3)(mask)
    np.testing.assert_array_equal(np.asarray(still), mask)
    moved = RandMaskPerturb(**only_elastic).set_random_state(3)(mask)
    assert (np.asarray(moved) != mask).any()
