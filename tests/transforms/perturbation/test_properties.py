"""Properties of :class:`RandMaskPerturb` / :class:`RandMaskPerturbd` on random masks, against independent definitions.

Random irregular masks touching the image border, 2D and 3D, anisotropic and sub-mm spacings (the hand-made blocks of
``test_array.py`` cover a few 2D spacings); references are ``scipy.ndimage.distance_transform_edt`` with ``sampling``,
a numpy Dice and brute-force translations.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy import ndimage

from monai_refine.transforms import RandMaskPerturb, RandMaskPerturbd
from tests.transforms.perturbation.test_array import _exact_morphology, _only
from tests.transforms.random_inputs import SEEDS, random_mask, with_spacing

#: (spatial shape, spacing in mm): anisotropic, sub-mm and coarse
GEOMETRIES = [
    ((22, 18), (0.35, 0.6)),
    ((20, 24), (1.6, 0.7)),
    ((12, 14, 10), (0.7, 0.7, 2.5)),
    ((12, 11, 13), (0.3, 0.5, 0.4)),
]


def _geometry_id(case) -> str:
    shape, spacing = case
    return f"{len(shape)}d-" + "x".join(f"{s:g}" for s in spacing)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    return 2.0 * (a & b).sum() / (a.sum() + b.sum())


def _signed_distance(mask: np.ndarray, spacing) -> np.ndarray:
    """Signed distance in mm (negative inside), the image border counting as background: exact EDT with padding."""
    padded = np.pad(mask, 1)
    inner = (slice(1, -1),) * mask.ndim
    outside = ndimage.distance_transform_edt(~padded, sampling=spacing)
    inside = ndimage.distance_transform_edt(padded, sampling=spacing)
    return (outside - inside)[inner]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sign", [-1, 1], ids=["erode", "dilate"])
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_morphology_of_random_masks_is_the_euclidean_ball(case, sign, seed):
    """A fixed radius off the lattice distances gives exactly the ball definition (image border = background) on
    random masks touching the border, in 2D and 3D; a radius range gives a result between the morphologies by its
    two ends (a radius drawn inside it)."""
    shape, spacing = case
    rng = np.random.default_rng(seed)
    mask = random_mask(shape, rng, fraction=0.4, sigma=1.5)[None].astype(np.uint8)
    radius = sign * float(rng.uniform(0.9, 1.9)) * max(spacing)
    out = _only("morph", radius_range=(radius, radius), spacing=spacing).set_random_state(seed)(mask)[0]
    np.testing.assert_array_equal(out, _exact_morphology(mask[0], radius, spacing))
    lattice = sign * 2 * spacing[-1]  # a radius that voxels lie exactly at: those are in a dilation, out of an erosion
    out = _only("morph", radius_range=(lattice, lattice), spacing=spacing).set_random_state(seed)(mask)[0]
    np.testing.assert_array_equal(out, _exact_morphology(mask[0], lattice, spacing))
    ends = sorted((radius, radius + sign * max(spacing)))
    ranged = _only("morph", radius_range=ends, spacing=spacing).set_random_state(seed)
    for _ in range(3):
        out = ranged(mask)[0].astype(bool)
        assert (out >= _exact_morphology(mask[0], ends[0], spacing)).all()
        assert (out <= _exact_morphology(mask[0], ends[1], spacing)).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_noise_flips_band_voxels_at_a_drawn_fraction(case, seed):
    """Boundary noise alone only changes voxels within ``noise_band_range[1]`` mm of the contour (exact signed EDT with
    the spacing), and within ``noise_band_range[0]`` mm (always inside the drawn band) flips a fraction of the voxels
    inside ``noise_fraction_range`` (up to sampling error)."""
    shape, spacing = case
    rng = np.random.default_rng(seed)
    mask = random_mask(shape, rng, fraction=0.4, sigma=1.5)
    distance = np.abs(_signed_distance(mask, spacing))
    band = (1.2 * max(spacing), 2.2 * max(spacing))
    perturb = _only("noise", noise_band_range=band, noise_fraction_range=(0.2, 0.35), spacing=spacing)
    perturb.set_random_state(seed)
    for _ in range(3):
        changed = perturb(mask[None])[0].astype(bool) ^ mask
        assert not changed[distance > band[1] + 1e-6].any()
        inner = distance <= band[0]
        assert 0.2 - 0.08 <= changed[inner].mean() <= 0.35 + 0.08


def _translate(mask: np.ndarray, offset) -> np.ndarray:
    """``mask`` moved by the integer voxel ``offset``, background brought in: brute force by slicing."""
    out = np.zeros_like(mask)
    src, dst = [], []
    for v, n in zip(offset, mask.shape):
        src.append(slice(max(-v, 0), n - max(v, 0)))
        dst.append(slice(max(v, 0), n - max(-v, 0)))
    out[tuple(dst)] = mask[tuple(src)]
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_shift_is_a_translation_by_at_most_shift_range_mm(case, seed):
    """A shift alone is a translation by whole voxels (nearest neighbour) with background brought in from outside the
    image, of at most ``shift_range`` mm (plus half a voxel of rounding) along each axis; over the draws, every
    axis moves, in both directions, and each axis draws its own shift (some draw moves two axes opposite ways)."""
    shape, spacing = case
    mask = random_mask(shape, np.random.default_rng(seed), fraction=0.4, sigma=1.5)
    shift_range = 1.6 * max(spacing)
    reach = [int(np.ceil(shift_range / h + 0.5)) for h in spacing]
    perturb = _only("shift", shift_range=shift_range, spacing=spacing).set_random_state(seed)
    offsets = []
    for _ in range(10):
        out = perturb(mask[None].astype(np.uint8))[0].astype(bool)
        found = [
            v for v in itertools.product(*(range(-r, r + 1) for r in reach)) if np.array_equal(_translate(mask, v), out)
        ]
        assert found, "the shifted mask is no integer translation of the input within shift_range"
        offsets.append(min(found, key=lambda v: np.abs(v).sum()))
        assert (np.abs(offsets[-1]) * np.asarray(spacing) <= shift_range + np.asarray(spacing) / 2 + 1e-9).all()
    offsets = np.asarray(offsets)
    moved = offsets != 0
    assert moved.any(0).all() and (offsets < 0).any() and (offsets > 0).any()
    assert ((offsets < 0).any(1) & (offsets > 0).any(1)).any()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", GEOMETRIES, ids=_geometry_id)
def test_reported_dice_is_the_numpy_dice_and_in_dice_range(case, seed):
    """Every operation on (default probabilities), many draws: the reported Dice equals the numpy Dice of output and
    input, lies in ``dice_range``, and is the MetaTensor's ``meta["quality"]``; numpy, torch and a MetaTensor carrying
    the spacing give the same output with the same seed."""
    shape, spacing = case
    mask = random_mask(shape, np.random.default_rng(seed), fraction=0.4, sigma=1.5)[None].astype(np.uint8)
    low, high = 0.55, 0.9
    kwargs = {"dice_range": (low, high), "shift_range": 2.0, "max_tries": 200}
    perturbs = [
        RandMaskPerturb(spacing=spacing, **kwargs).set_random_state(seed),
        RandMaskPerturb(spacing=spacing, **kwargs).set_random_state(seed),
        RandMaskPerturb(**kwargs).set_random_state(seed),
    ]
    for _ in range(4):
        out, info = perturbs[0].perturb(mask)
        assert info["dice"] == pytest.approx(_dice(out, mask), abs=1e-6)
        assert low <= info["dice"] <= high
        torch_out = perturbs[1](torch.as_tensor(mask))
        meta_out = perturbs[2](with_spacing(mask, spacing))
        np.testing.assert_array_equal(torch_out.numpy(), out)
        np.testing.assert_array_equal(meta_out.numpy(), out)
        assert meta_out.meta["quality"] == pytest.approx(info["dice"], abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_dict_quality_of_each_key_is_its_own_dice(seed):
    """Two different random masks under two keys get one draw (the array transform's with the same seed, on the first
    key; replayed on the second) and each key's quality is the numpy Dice of its own output against its own input."""
    rng = np.random.default_rng(seed)
    first, second = (random_mask((20, 18), rng, fraction=0.4, sigma=1.5)[None].astype(np.uint8) for _ in range(2))
    kwargs = {"spacing": (0.6, 1.1), "dice_range": (0.5, 0.95), "shift_range": 2.0, "max_tries": 200}
    data = RandMaskPerturbd(["a", "b"], quality_key=["qa", "qb"], **kwargs).set_random_state(seed)(
        {"a": first, "b": second}
    )
    array = RandMaskPerturb(**kwargs).set_random_state(seed)
    np.testing.assert_array_equal(data["a"], array(first))
    np.testing.assert_array_equal(data["b"], array(second, randomize=False))
    for key, mask in (("a", first), ("b", second)):
        assert data[f"q{key}"].shape == (1,)
        assert float(data[f"q{key}"][0]) == pytest.approx(_dice(data[key], mask), abs=1e-6)
    assert 0.5 <= float(data["qa"][0]) <= 0.95
