"""Tests for ``monai_refine.data.readers``: DICOM series, NIfTI and NRRD loading, geometry checks, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
import torch
from monai.data import MetaTensor
from monai.transforms import LoadImage
from pydicom.uid import generate_uid

from monai_refine.data import (
    LabelMapError,
    check_same_geometry,
    list_dicom_series,
    load_image,
    load_mask,
    scan_dicom_series,
)
from tests.utils import SLAB_DIR

IMAGE_DIR = SLAB_DIR / "PATIENT_DICOM"
MASK_DIR = SLAB_DIR / "MASKS_DICOM" / "liver"
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


@pytest.fixture(scope="module")
def slab_image() -> MetaTensor:
    return load_image(IMAGE_DIR)


@pytest.fixture(scope="module")
def slab_mask() -> MetaTensor:
    return load_mask(MASK_DIR)


def copy_slices(source: Path, target: Path, numbers, rename=lambda n: f"image_{n}") -> list[Path]:
    """Copy the slab files ``image_<n>`` of ``source`` to ``target`` under new names."""
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(source / f"image_{n}", target / rename(n))) for n in numbers]


def write_nifti_file(path: Path, data: np.ndarray, spacing=(1.0, 1.0, 1.0)) -> Path:
    nib.save(nib.Nifti1Image(data, np.diag([*spacing, 1.0])), path)
    return path


def test_slab_geometry_equals_simpleitk(slab_image):
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(IMAGE_DIR))
    reference = sitk.ReadImage(files)
    direction = np.asarray(reference.GetDirection()).reshape(3, 3)
    expected = np.eye(4)
    expected[:3, :3] = LPS_TO_RAS @ direction @ np.diag(reference.GetSpacing())
    expected[:3, 3] = LPS_TO_RAS @ np.asarray(reference.GetOrigin())

    assert slab_image.shape == (1, 512, 512, 24)
    assert tuple(slab_image.shape[1:]) == reference.GetSize()
    np.testing.assert_allclose(slab_image.affine.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(slab_image.pixdim.numpy(), [0.743, 0.743, 1.6], atol=1e-4)
    np.testing.assert_allclose(slab_image.affine[:3, 3].numpy(), [0.0, 0.0, 96.0], atol=1e-4)  # RAS origin
    np.testing.assert_array_equal(slab_image[0].numpy(), sitk.GetArrayFromImage(reference).T)


def test_slab_matches_monai_convention(slab_image):
    reference = LoadImage(reader="ITKReader", ensure_channel_first=True, image_only=True)(str(IMAGE_DIR))
    assert slab_image.dtype == reference.dtype == torch.float32
    torch.testing.assert_close(slab_image.as_tensor(), reference.as_tensor())
    torch.testing.assert_close(slab_image.affine, reference.affine)


def test_slices_in_position_order_not_name_order(tmp_path):
    # image_60..image_83 renamed image_0..image_23: by name, image_10 would come before image_2
    folder = tmp_path / "series"
    copy_slices(IMAGE_DIR, folder, range(60, 84), rename=lambda n: f"image_{n - 60}")
    image = load_image(folder)
    headers = [pydicom.dcmread(f) for f in folder.iterdir()]
    headers.sort(key=lambda h: float(h.ImagePositionPatient[2]))
    assert [h.filename for h in headers] != sorted(h.filename for h in headers)  # name order differs
    for k, header in enumerate(headers):
        np.testing.assert_array_equal(image[0, :, :, k].numpy(), header.pixel_array.T.astype(np.float32))
    files = next(iter(list_dicom_series(folder).values()))
    assert [Path(f).name for f in files] == [Path(h.filename).name for h in headers]


def test_slab_mask(slab_image, slab_mask):
    assert slab_mask.dtype == torch.uint8
    assert slab_mask.shape == slab_image.shape
    assert torch.unique(slab_mask.as_tensor()).tolist() == [0, 1]
    raw = pydicom.dcmread(MASK_DIR / "image_70").pixel_array
    assert set(np.unique(raw).tolist()) == {0, 255}
    np.testing.assert_array_equal(slab_mask[0, :, :, 10].numpy(), (raw.T > 0).astype(np.uint8))
    check_same_geometry(slab_image, slab_mask)


def test_nifti_and_nrrd_affine(tmp_path):
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    affine = np.array([[0.0, -0.8, 0.0, 10.0], [0.7, 0.0, 0.0, -20.0], [0.0, 0.0, 2.5, 30.0], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "a.nii.gz")
    image = load_image(tmp_path / "a.nii.gz")
    assert image.shape == (1, 4, 5, 6)
    np.testing.assert_allclose(image.affine.numpy(), affine, atol=1e-5)
    np.testing.assert_array_equal(image[0].numpy(), data)

    itk_image = sitk.GetImageFromArray(data.T.copy())  # SimpleITK arrays are (Z, Y, X)
    itk_image.SetSpacing((0.5, 0.6, 3.0))
    itk_image.SetOrigin((1.0, 2.0, 3.0))  # LPS
    sitk.WriteImage(itk_image, str(tmp_path / "b.nrrd"))
    image = load_image(tmp_path / "b.nrrd")
    np.testing.assert_allclose(image.pixdim.numpy(), [0.5, 0.6, 3.0])
    np.testing.assert_allclose(image.affine[:3, 3].numpy(), [-1.0, -2.0, 3.0])  # RAS
    np.testing.assert_array_equal(image[0].numpy(), data)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="DICOM folder .*nowhere does not exist"):
        list_dicom_series(tmp_path / "nowhere")


def test_folder_without_dicom(tmp_path):
    (tmp_path / "notes.txt").write_text("not DICOM")
    with pytest.raises(ValueError, match=f"no DICOM series found in {tmp_path}"):
        load_image(tmp_path)


def test_two_series_in_one_folder(tmp_path):
    copy_slices(IMAGE_DIR, tmp_path, range(60, 63))
    other_uid = generate_uid()
    for n in (61, 62):
        header = pydicom.dcmread(tmp_path / f"image_{n}")
        header.SeriesInstanceUID = other_uid
        header.save_as(tmp_path / f"image_{n}")
    first_uid = pydicom.dcmread(tmp_path / "image_60").SeriesInstanceUID

    series = list_dicom_series(tmp_path)
    assert sorted(series) == sorted([first_uid, other_uid])
    with pytest.raises(ValueError, match=r"holds 2 DICOM series; pass series_uid= \(CLI: --series-uid\)") as err:
        load_image(tmp_path)
    assert first_uid in str(err.value) and other_uid in str(err.value)
    assert load_image(tmp_path, series_uid=other_uid).shape == (1, 512, 512, 2)
    with pytest.raises(ValueError, match="series_uid='1.2.3' is not in"):
        load_image(tmp_path, series_uid="1.2.3")


def test_truncated_file(tmp_path):
    copy_slices(IMAGE_DIR, tmp_path, range(60, 64))
    broken = tmp_path / "image_62"
    broken.write_bytes(broken.read_bytes()[:300_000])
    with pytest.raises(ValueError, match=r"cannot be read: DICOM file .*image_62 is truncated") as err:
        load_image(tmp_path)
    assert str(broken) in str(err.value)


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.nii.gz"
    path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match=f"could not read {path}"):
        load_image(path)


def test_empty_mask(tmp_path):
    for source in copy_slices(MASK_DIR, tmp_path, range(60, 63)):
        header = pydicom.dcmread(source)
        header.PixelData = bytes(len(header.PixelData))
        header.save_as(source)
    with pytest.raises(ValueError, match="is empty"):
        load_mask(tmp_path)


def test_label_map_is_not_a_mask(tmp_path):
    path = write_nifti_file(tmp_path / "labels.nii.gz", np.array([0, 1, 2], dtype=np.uint8).reshape(3, 1, 1))
    with pytest.raises(LabelMapError, match=r"2 non-zero values \(\[1, 2\]"):
        load_mask(path)


def test_geometry_mismatch_nifti(tmp_path):
    data = np.ones((4, 4, 3), dtype=np.uint8)
    image = load_image(write_nifti_file(tmp_path / "image.nii.gz", data))
    mask = load_mask(write_nifti_file(tmp_path / "mask.nii.gz", data, spacing=(1.0, 1.0, 2.0)))
    with pytest.raises(ValueError, match="do not share geometry: spacing") as err:
        check_same_geometry(image, mask)
    message = str(err.value)
    assert f"image ({tmp_path / 'image.nii.gz'})" in message and f"mask ({tmp_path / 'mask.nii.gz'})" in message
    assert "[1.0, 1.0, 1.0] vs [1.0, 1.0, 2.0]" in message


SHIFTED = np.eye(4)
SHIFTED[:3, 3] = 1.0


@pytest.mark.parametrize(
    "shape, affine, expected",
    [
        ((2, 4, 4, 2), np.eye(4), "size [4, 4, 3] vs [4, 4, 2]"),
        ((2, 4, 4, 3), np.diag([2.0, 1.0, 1.0, 1.0]), "spacing [1.0, 1.0, 1.0] vs [2.0, 1.0, 1.0]"),
        ((2, 4, 4, 3), SHIFTED, "origin [0.0, 0.0, 0.0] vs [1.0, 1.0, 1.0]"),
        ((2, 4, 4, 3), np.diag([-1.0, 1.0, 1.0, 1.0]), "direction [[1.0, 0.0, 0.0]"),
    ],
)
def test_geometry_mismatch_kinds(shape, affine, expected):
    a = MetaTensor(torch.zeros(1, 4, 4, 3), affine=torch.eye(4))
    b = MetaTensor(torch.zeros(shape), affine=torch.as_tensor(affine))
    with pytest.raises(ValueError, match=r"image \(in memory\) and prior \(in memory\) do not share") as err:
        check_same_geometry(a, b, names=("image", "prior"))
    assert expected in str(err.value)


def test_same_geometry_ignores_channels_and_tolerates_rounding():
    a = MetaTensor(torch.zeros(3, 4, 4), affine=torch.eye(3))
    b = MetaTensor(torch.zeros(1, 4, 4), affine=torch.eye(3) + 1e-6)
    check_same_geometry(a, b)


def test_missing_slice_is_refused_or_inserted(tmp_path):
    copy_slices(IMAGE_DIR, tmp_path, [60, 61, 63, 64])  # image_62 (z=99.2 mm) is missing
    with pytest.raises(ValueError, match=r"1 slice\(s\) missing between z=97.60 mm \(image_61\) and z=100.80 mm"):
        load_image(tmp_path)
    image = load_image(tmp_path, allow_gaps=True)
    assert image.shape == (1, 512, 512, 5) and image.meta["missing_slices"] == [2]
    np.testing.assert_allclose(image.pixdim.numpy(), [0.743, 0.743, 1.6], atol=1e-4)
    np.testing.assert_array_equal(image[0, :, :, 3].numpy(), pydicom.dcmread(tmp_path / "image_63").pixel_array.T)
    assert float(image[0, :, :, 2].max()) == float(image.min())  # the inserted slice holds the minimum
    fast = load_image(tmp_path, allow_gaps=True, contiguous=False)  # the gap filled alike in the files' order
    assert torch.equal(fast.as_tensor(), image.as_tensor()) and fast.meta["missing_slices"] == [2]


def test_series_depth_counts_the_missing_slices(tmp_path):
    """From headers only: 4 files of a 5-slice grid with image_62 missing: depth 5, one slice after the 2nd file."""
    copy_slices(IMAGE_DIR, tmp_path / "gap", [60, 61, 63, 64])
    series = scan_dicom_series(tmp_path / "gap", allow_gaps=True)
    assert series.depth == 5 and len(series.files) == 4 and series.gaps == [(1, 1)]


def test_off_grid_slice_is_refused(tmp_path):
    copy_slices(IMAGE_DIR, tmp_path, [60, 61, 62])
    header = pydicom.dcmread(tmp_path / "image_62")
    header.ImagePositionPatient = [*header.ImagePositionPatient[:2], 99.9]  # 2.3 mm after 97.6 instead of 1.6
    header.save_as(tmp_path / "image_62")
    with pytest.raises(ValueError, match=r"non-uniform slice positions .*image_61 z=97.60 mm -> image_62 z=99.90 mm"):
        list_dicom_series(tmp_path) and load_image(tmp_path)


def test_scan_cache_sees_a_changed_file(tmp_path):
    copy_slices(IMAGE_DIR, tmp_path, [60, 61, 62])
    assert scan_dicom_series(tmp_path).depth == 3  # cached now
    header = pydicom.dcmread(tmp_path / "image_62")
    header.ImagePositionPatient = [*header.ImagePositionPatient[:2], 99.9]
    header.save_as(tmp_path / "image_62")
    with pytest.raises(ValueError, match="non-uniform slice positions"):
        scan_dicom_series(tmp_path)


# ---- issue 12.5: contiguous=False keeps the files' voxel order (no transposing copy) -----------------------------


@pytest.mark.parametrize("loader", [load_image, load_mask])
def test_fortran_order_view_has_the_same_voxels_affine_and_meta(loader):
    path = IMAGE_DIR if loader is load_image else MASK_DIR
    expected, fast = loader(path), loader(path, contiguous=False)
    assert expected.is_contiguous() and not fast.is_contiguous()
    # the (1, X, Y, Z) tensor is the reversed-axes view of a (Z, Y, X) C-order block: x varies fastest, z slowest
    assert fast.stride()[1:] == (1, 512, 512 * 512)
    assert fast.dtype == expected.dtype and fast.shape == expected.shape
    assert torch.equal(fast.as_tensor(), expected.as_tensor())
    assert torch.equal(fast.affine, expected.affine)
    assert fast.meta.keys() == expected.meta.keys() and fast.meta["filename_or_obj"] == str(path)
    np.testing.assert_array_equal(fast.meta["spatial_shape"], expected.meta["spatial_shape"])


def test_fortran_order_view_of_a_nifti_file(tmp_path):
    data = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    path = write_nifti_file(tmp_path / "a.nii.gz", data, spacing=(0.5, 0.6, 2.0))
    for dtype in (None, np.float32):
        expected, fast = load_image(path, dtype=dtype), load_image(path, dtype=dtype, contiguous=False)
        assert fast.dtype == expected.dtype and not fast.is_contiguous()
        assert torch.equal(fast.as_tensor(), expected.as_tensor()) and torch.equal(fast.affine, expected.affine)
    assert load_image(path, dtype=None, contiguous=False)[0, 2, 3, 4] == data[2, 3, 4]  # [x, y, z] as the file
