from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Orientation

from monai_refine.utils import slice_axis_from_affine, spacing_from_affine


def _affine(columns, spacing) -> np.ndarray:
    """A 4x4 affine: array axis ``i`` points along world axis ``columns[i]`` (signed, 1-based), ``spacing[i]`` mm."""
    affine = np.eye(4)
    affine[:3, :3] = 0
    for axis, (world, step) in enumerate(zip(columns, spacing)):
        affine[abs(world) - 1, axis] = np.sign(world) * step
    return affine


@pytest.mark.parametrize(
    "columns, expected",
    [
        ((1, 2, 3), 2),  # RAS (X, Y, Z): axial slices along the last axis
        ((-1, -2, 3), 2),  # LPS
        ((1, 2, -3), 2),  # I instead of S
        ((3, 1, 2), 0),  # slices on the first axis
        ((-1, -3, 2), 1),  # coronal-first storage: the superior axis is the second
    ],
)
def test_slice_axis_is_the_superior_inferior_one(columns, expected):
    affine = _affine(columns, (0.7, 0.8, 2.5))
    assert slice_axis_from_affine(affine) == expected
    assert slice_axis_from_affine(torch.as_tensor(affine)) == expected


def test_slice_axis_of_a_tilted_volume():
    """A 20-degree gantry tilt about x: the third array axis is still the one closest to superior-inferior."""
    angle = np.deg2rad(20)
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.7, 0.7, 5.0])  # thick slices must not matter: directions do
    assert slice_axis_from_affine(affine) == 2
    affine[:3, :3] = affine[:3, [2, 0, 1]]
    assert slice_axis_from_affine(affine) == 0


def test_slice_axis_after_monai_orientation():
    image = MetaTensor(torch.zeros(1, 4, 5, 6), affine=torch.as_tensor(_affine((-1, -2, 3), (0.7, 0.7, 1.6))))
    for codes, expected in (("RAS", 2), ("SPL", 0), ("LIP", 1)):
        oriented = Orientation(axcodes=codes)(image)
        assert slice_axis_from_affine(oriented.affine) == expected, codes


def test_spacing_from_affine_follows_the_array_axes():
    np.testing.assert_allclose(spacing_from_affine(_affine((3, -1, 2), (2.5, 0.7, 0.8))), [2.5, 0.7, 0.8])


@pytest.mark.parametrize(
    "affine, match",
    [(np.eye(3), "4x4 affine"), (np.diag([1.0, 1.0, 0.0, 1.0]), "invertible"), (np.full((4, 4), np.nan), "finite")],
)
def test_bad_affine(affine, match):
    with pytest.raises(ValueError, match=match):
        slice_axis_from_affine(affine)


def test_resolve_spacing_of_a_2d_metatensor_takes_the_first_pixdims():
    """A 2D MetaTensor carries a 4x4 affine: its in-plane spacing is the first two pixdims, not the last two."""
    from monai_refine.utils import resolve_spacing

    image = MetaTensor(torch.zeros(1, 4, 4), affine=torch.diag(torch.tensor([2.0, 3.0, 4.0, 1.0])))
    assert resolve_spacing(image, None, 2).tolist() == [2.0, 3.0]


def test_same_geometry_tolerance():
    """Spacings 1 mm apart by 0.001 mm differ at the default atol=1e-4 and agree at atol=1e-2."""
    from monai_refine.utils import check_same_geometry

    a, b = (
        MetaTensor(torch.zeros(1, 4, 4, 2), affine=torch.diag(torch.tensor([s, 1.0, 2.0, 1.0], dtype=torch.float64)))
        for s in (1.0, 1.001)
    )
    with pytest.raises(ValueError, match="spacing"):
        check_same_geometry(a, b)
    check_same_geometry(a, b, atol=1e-2)
