"""Tests for ``monai_refine.data.writers``: atomic NIfTI and JSON writing that never replaces an input."""

from __future__ import annotations

import json
import os

import nibabel as nib
import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.data import atomic_write, check_output_path, load_image, write_json, write_nifti
from monai_refine.data import writers as writers_module
from tests.utils import SLAB_DIR

COS, SIN = np.cos(np.pi / 6), np.sin(np.pi / 6)
#: 30 degrees about z, spacing (0.7, 0.8, 2.5) mm, origin (10, -20, 30) mm: an oblique but orthogonal RAS affine.
OBLIQUE = np.array(
    [[0.7 * COS, -0.8 * SIN, 0.0, 10.0], [0.7 * SIN, 0.8 * COS, 0.0, -20.0], [0.0, 0.0, 2.5, 30.0], [0, 0, 0, 1]]
)


def make_image(dtype=torch.uint8, source=None) -> MetaTensor:
    data = (torch.arange(4 * 5 * 6).reshape(1, 4, 5, 6) % 2).to(dtype)
    return MetaTensor(data, affine=torch.as_tensor(OBLIQUE), meta={"filename_or_obj": source} if source else None)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16, torch.float32, torch.bool])
def test_nifti_round_trip(tmp_path, dtype):
    image = make_image(dtype)
    path = write_nifti(image, tmp_path / "out" / "mask.nii.gz")
    assert path == tmp_path / "out" / "mask.nii.gz"
    stored = nib.load(path)
    np.testing.assert_allclose(stored.affine, OBLIQUE, atol=1e-5)
    assert stored.get_data_dtype() == (np.uint8 if dtype == torch.bool else image.numpy().dtype)
    loaded = load_image(path, dtype=None)
    np.testing.assert_allclose(loaded.affine.numpy(), OBLIQUE, atol=1e-5)
    np.testing.assert_array_equal(loaded.numpy(), image.numpy())
    assert sorted(p.name for p in path.parent.iterdir()) == ["mask.nii.gz"]  # no temp file left


@pytest.mark.parametrize("affine", [OBLIQUE, OBLIQUE[[0, 1, 3]][:, [0, 1, 3]]])  # 4 x 4 or a 2D 3 x 3 affine
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float64])
def test_nifti_round_trip_2d(tmp_path, affine, dtype):
    image = MetaTensor(torch.rand(1, 4, 5, dtype=torch.float64).mul(100).to(dtype), affine=torch.as_tensor(affine))
    stored = nib.load(write_nifti(image, tmp_path / "slice.nii.gz"))
    assert stored.shape == (4, 5) and stored.get_data_dtype() == image.numpy().dtype
    np.testing.assert_array_equal(np.asarray(stored.dataobj), image.numpy()[0])  # float64 is not cut to float32
    np.testing.assert_allclose(stored.affine[:2, [0, 1, 3]], OBLIQUE[:2, [0, 1, 3]], atol=1e-6)


def test_nifti_int64_is_stored_as_int32_when_it_fits(tmp_path):
    labels = make_image(torch.int64) * 2**30
    stored = nib.load(write_nifti(labels, tmp_path / "labels.nii.gz"))
    assert stored.get_data_dtype() == np.int32
    np.testing.assert_array_equal(np.asarray(stored.dataobj), labels.numpy()[0])
    with pytest.raises(ValueError, match=r"int64 values in \[0, 4294967296\] do not fit int32.*pass output_dtype"):
        write_nifti(labels * 4, tmp_path / "big.nii.gz")
    assert not (tmp_path / "big.nii.gz").exists()


def test_nifti_empty_int64_is_stored_as_int32(tmp_path):
    """A zero-size int64 image has no min/max to check: it fits int32 trivially."""
    empty = MetaTensor(torch.zeros(1, 0, 5, 6, dtype=torch.int64), affine=torch.as_tensor(OBLIQUE))
    stored = nib.load(write_nifti(empty, tmp_path / "empty.nii.gz"))
    assert stored.shape == (0, 5, 6) and stored.get_data_dtype() == np.int32


def test_nifti_output_dtype(tmp_path):
    path = write_nifti(make_image(torch.float32), tmp_path / "a.nii", output_dtype=np.uint8)
    assert nib.load(path).get_data_dtype() == np.uint8


def test_refuses_to_write_over_an_input(tmp_path):
    source = tmp_path / "ct.nii.gz"
    source.write_bytes(b"input")
    with pytest.raises(ValueError, match="refusing to write .*ct.nii.gz: it is the input"):
        write_nifti(make_image(), source, inputs=[tmp_path / "other.nii.gz", source], overwrite=True)
    with pytest.raises(ValueError, match="refusing to write"):  # the image's own source counts as an input
        write_nifti(make_image(source=str(source)), tmp_path / "." / "ct.nii.gz", overwrite=True)
    assert source.read_bytes() == b"input"


def test_refuses_existing_file_unless_overwrite(tmp_path):
    path = write_nifti(make_image(), tmp_path / "mask.nii.gz")
    with pytest.raises(ValueError, match="already exists; pass overwrite=True"):
        write_nifti(make_image(), path)
    write_nifti(make_image(torch.float32), path, overwrite=True)
    assert nib.load(path).get_data_dtype() == np.float32


@pytest.mark.parametrize(
    "image, name, error, message",
    [
        (make_image(), "mask.nrrd", ValueError, "must end with one of"),
        (torch.zeros(1, 2, 2, 2), "mask.nii.gz", TypeError, "must be a MetaTensor"),
    ],
)
def test_bad_nifti_arguments(tmp_path, image, name, error, message):
    with pytest.raises(error, match=message):
        write_nifti(image, tmp_path / name)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(ValueError, match="is an existing folder"):
        check_output_path(tmp_path, overwrite=True)


@pytest.mark.parametrize("channels", [1, 2])  # written by nibabel directly / by NibabelWriter
def test_failed_nifti_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch, channels):
    path = tmp_path / "mask.nii.gz"
    path.write_bytes(b"old")

    def fail_half_way(image_or_writer, filename, verbose=False):
        filename.write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(writers_module.NibabelWriter, "write", fail_half_way)
    monkeypatch.setattr(nib, "save", fail_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_nifti(make_image().repeat(channels, 1, 1, 1), path, overwrite=True)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["mask.nii.gz"]


def test_atomic_write(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "new.txt") as tmp:
            assert tmp.parent == tmp_path and tmp.name.endswith("new.txt")
            tmp.write_text("partial")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_write(tmp_path / "new.txt") as tmp:
        tmp.write_text("complete")
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("new.txt", "complete")]


def test_write_json(tmp_path):
    data = {"training": [{"image": tmp_path / "a.png"}], "dice": np.float32(0.5), "areas": torch.tensor([1, 2])}
    path = write_json(data, tmp_path / "list.json")
    expected = {"training": [{"image": str(tmp_path / "a.png")}], "dice": 0.5, "areas": [1, 2]}
    assert json.loads(path.read_text()) == expected
    with pytest.raises(TypeError):
        write_json({"bad": object()}, tmp_path / "other.json")
    assert [p.name for p in tmp_path.iterdir()] == ["list.json"]
    with pytest.raises(ValueError, match="already exists"):
        write_json({}, path)


def test_refuses_a_hard_link_to_an_input(tmp_path):
    source = tmp_path / "ct.nii.gz"
    source.write_bytes(b"input")
    link = tmp_path / "mask.nii.gz"
    os.link(source, link)  # another name for the input's data: writing there would change the input
    with pytest.raises(ValueError, match="refusing to write"):
        check_output_path(link, inputs=[source], overwrite=True)


# ---- issue 12.5: single-channel volumes are written by nibabel directly, byte for byte as NibabelWriter writes them --


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16, torch.float32, torch.bool])
@pytest.mark.parametrize("fortran", [False, True])
def test_direct_nifti_write_is_byte_identical_to_nibabel_writer(tmp_path, monkeypatch, dtype, fortran):
    data = torch.from_numpy(np.random.default_rng(0).normal(0, 300, (1, 6, 5, 4)).astype(np.float32)).to(dtype)
    if fortran:  # the layout load_image(contiguous=False) and SlicePropagator's mask of it have
        data = torch.from_numpy(np.asfortranarray(data.numpy()[0])[None])
    image = MetaTensor(data, affine=torch.as_tensor(OBLIQUE))
    fast = write_nifti(image, tmp_path / "fast.nii.gz")
    written = []
    monkeypatch.setattr(writers_module, "_write_single_channel", lambda *args: written.append(args) or False)
    reference = write_nifti(image, tmp_path / "reference.nii.gz")  # MONAI's NibabelWriter
    assert len(written) == 1 and fast.read_bytes() == reference.read_bytes()
    np.testing.assert_array_equal(nib.load(fast).get_fdata(), data[0].numpy().astype(np.float64))


@pytest.mark.parametrize("shape", [(2, 4, 5, 6), (3, 4, 5)])
def test_several_channels_take_nibabel_writer(tmp_path, shape):
    image = MetaTensor(torch.ones(shape, dtype=torch.uint8), affine=torch.as_tensor(OBLIQUE))
    assert not writers_module._write_single_channel(image.as_tensor(), image.affine, None, tmp_path / "x.nii")
    assert not (tmp_path / "x.nii").exists()
    assert nib.load(write_nifti(image, tmp_path / "y.nii")).shape[-1] == shape[0]


@pytest.mark.parametrize("dtype, value", [(torch.int32, 2**24 + 1), (torch.float64, 1 + 1e-12)])
def test_single_channel_values_are_not_cut_to_float32(tmp_path, dtype, value):
    image = MetaTensor(torch.full((1, 4, 5, 6), value, dtype=dtype), affine=torch.as_tensor(OBLIQUE))
    stored = nib.load(write_nifti(image, tmp_path / "labels.nii.gz"))
    assert stored.get_data_dtype() == image.numpy().dtype and np.asarray(stored.dataobj).max() == value


def test_dicom_seg_label_and_a_frame_of_reference_derived_from_the_series(tmp_path):
    """``write_dicom_seg``: the segment carries the given label (not "liver": SNOMED's generic organ type), and
    IRCAD's series, which has no FrameOfReferenceUID, gets one derived from its SeriesInstanceUID: the same every
    run."""
    import pydicom

    from monai_refine.data.dicom_seg import write_dicom_seg

    files = [SLAB_DIR / "PATIENT_DICOM" / f"image_{n}" for n in (60, 61)]
    source = pydicom.dcmread(files[0], stop_before_pixels=True)
    assert "FrameOfReferenceUID" not in source
    mask = np.zeros((1, 512, 512, 2), dtype=np.uint8)
    mask[0, 200:210, 300:305, 1] = 1
    uids = []
    for name in ("a.dcm", "b.dcm"):
        seg = pydicom.dcmread(write_dicom_seg(mask, files, tmp_path / name, label="tumour"))
        assert seg.SegmentSequence[0].SegmentLabel == "tumour"
        assert seg.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeMeaning == "Organ"
        uids.append(seg.FrameOfReferenceUID)
    assert uids[0] == uids[1] == pydicom.uid.generate_uid(entropy_srcs=[str(source.SeriesInstanceUID)])


@pytest.mark.parametrize("label", ["liver", "Liver", "LIVER"])
def test_dicom_seg_liver_label_in_any_case_gets_the_liver_code(tmp_path, label):
    import pydicom

    from monai_refine.data.dicom_seg import write_dicom_seg

    files = [SLAB_DIR / "PATIENT_DICOM" / "image_60"]
    mask = np.zeros((1, 512, 512, 1), dtype=np.uint8)
    mask[0, 200:210, 300:305, 0] = 1
    seg = pydicom.dcmread(write_dicom_seg(mask, files, tmp_path / "seg.dcm", label=label))
    assert seg.SegmentSequence[0].SegmentLabel == label
    assert seg.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeMeaning == "Liver"


def test_dicom_seg_of_a_non_square_series(tmp_path):
    """Two slab slices cut to 200 columns (rows stay 512): the mask is ``(1, columns, rows, files)``; the SEG frame
    of file ``z`` holds voxel ``(x, y)`` at row ``y``, column ``x``; a mask of the series' square shape is refused."""
    import pydicom

    from monai_refine.data.dicom_seg import write_dicom_seg

    files = []
    for n in (60, 61):
        header = pydicom.dcmread(SLAB_DIR / "PATIENT_DICOM" / f"image_{n}")
        header.PixelData = np.ascontiguousarray(header.pixel_array[:, :200]).tobytes()
        header.Columns = 200
        header.save_as(tmp_path / f"image_{n}")
        files.append(tmp_path / f"image_{n}")
    mask = np.zeros((1, 200, 512, 2), dtype=np.uint8)
    mask[0, 150, 20, 0] = mask[0, 30, 400, 1] = 1
    seg = pydicom.dcmread(write_dicom_seg(mask, files, tmp_path / "seg.dcm"))
    assert (seg.Rows, seg.Columns) == (512, 200)
    frames = seg.pixel_array.reshape(-1, 512, 200)
    sources = [
        group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        for group in seg.PerFrameFunctionalGroupsSequence
    ]
    uids = [pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in files]
    found = {uids.index(uid): tuple(map(int, np.argwhere(f)[0])) for uid, f in zip(sources, frames)}
    assert found == {0: (20, 150), 1: (400, 30)}  # (row, column) = (y, x) of each file's voxel
    with pytest.raises(ValueError, match=r"does not match the DICOM series .*\(1, 200, 512, 2\)"):
        write_dicom_seg(np.zeros((1, 512, 200, 2), dtype=np.uint8), files, tmp_path / "bad.dcm")
