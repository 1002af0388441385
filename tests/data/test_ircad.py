"""Tests for ``monai_refine.data.ircad``: the IRCAD patient folder reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
import torch

from monai_refine.data import list_ircad_organs, load_image, load_ircad_patient
from tests.utils import SHARED_DATA, SLAB_DIR, requires_shared_data


def make_patient(root: Path, image_slices, mask_slices) -> Path:
    """An IRCAD-like patient folder holding copies of some slab slices."""
    for folder, numbers in (("PATIENT_DICOM", image_slices), ("MASKS_DICOM/liver", mask_slices)):
        (root / folder).mkdir(parents=True)
        for n in numbers:
            shutil.copy(SLAB_DIR / folder / f"image_{n}", root / folder / f"image_{n}")
    return root


def test_slab_patient():
    assert list_ircad_organs(SLAB_DIR) == ["liver"]
    image, mask = load_ircad_patient(SLAB_DIR, organ="liver")
    assert image.shape == mask.shape == (1, 512, 512, 24)
    assert image.dtype == torch.float32 and mask.dtype == torch.uint8
    torch.testing.assert_close(image.affine, mask.affine)
    torch.testing.assert_close(image.as_tensor(), load_image(SLAB_DIR / "PATIENT_DICOM").as_tensor())
    assert torch.unique(mask.as_tensor()).tolist() == [0, 1]
    assert mask.meta["filename_or_obj"] == str(SLAB_DIR / "MASKS_DICOM" / "liver")


def test_missing_patient_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="IRCAD patient folder .*nowhere does not exist"):
        load_ircad_patient(tmp_path / "nowhere")


def test_zipped_patient_folder(tmp_path):
    (tmp_path / "MASKS_DICOM" / "liver").mkdir(parents=True)
    (tmp_path / "PATIENT_DICOM.zip").write_bytes(b"PK")
    with pytest.raises(FileNotFoundError, match="not an IRCAD patient folder: .*PATIENT_DICOM is missing .*unzip"):
        load_ircad_patient(tmp_path)


def test_unknown_organ_lists_organs(tmp_path):
    patient = make_patient(tmp_path, [60], [60])
    (patient / "MASKS_DICOM" / "portalvein").mkdir()
    (patient / "MASKS_DICOM" / "liver.zip").write_bytes(b"PK")  # a file beside the folders is not an organ
    assert list_ircad_organs(patient) == ["liver", "portalvein"]
    with pytest.raises(
        FileNotFoundError, match=r"no mask folder .*spleen; organs with a mask .*\['liver', 'portalvein'\]"
    ):
        load_ircad_patient(patient, organ="spleen")


def test_image_and_mask_differ(tmp_path):
    patient = make_patient(tmp_path, [60, 61, 62], [60, 61])
    with pytest.raises(
        ValueError, match="image .*PATIENT_DICOM.* and liver mask .*liver.* do not share geometry: size"
    ):
        load_ircad_patient(patient)


def test_allow_gaps_reaches_image_and_mask(tmp_path):
    """Slice 63 missing from both series: refused by default, and with ``allow_gaps`` both the CT and the mask
    get an empty slice in its place (6 slices, the fourth all zero)."""
    patient = make_patient(tmp_path, [60, 61, 62, 64, 65], [60, 61, 62, 64, 65])
    with pytest.raises(ValueError, match="allow_gaps"):
        load_ircad_patient(patient)
    image, mask = load_ircad_patient(patient, allow_gaps=True)
    assert image.shape == mask.shape == (1, 512, 512, 6)
    assert all(mask[..., z].sum() > 0 for z in (0, 1, 2, 4, 5)) and mask[..., 3].sum() == 0
    torch.testing.assert_close(image.affine, mask.affine)


def test_empty_organ_mask(tmp_path):
    patient = make_patient(tmp_path, [60, 61], [60, 61])
    for path in (patient / "MASKS_DICOM" / "liver").iterdir():
        header = pydicom.dcmread(path)
        header.PixelData = bytes(len(header.PixelData))
        header.save_as(path)
    with pytest.raises(ValueError, match="mask .*liver is empty"):
        load_ircad_patient(patient)


@pytest.mark.shared_data
@requires_shared_data
def test_real_patient17():
    image, mask = load_ircad_patient(SHARED_DATA / "ircad" / "patient17")
    assert image.shape == mask.shape == (1, 512, 512, 119)
    liver_slices = torch.nonzero(mask.as_tensor().sum(dim=(0, 1, 2))).flatten().tolist()
    assert liver_slices == list(range(1, 114))  # liver on files image_1 .. image_113, in position order
    assert image.min() >= -1024 and image.max() <= 1023
