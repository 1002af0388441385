"""Tests for ``monai_refine.data.paths``: output paths checked against the inputs and each other before any work."""

from __future__ import annotations

import pytest

from monai_refine.data.paths import atomic_outputs, check_outputs


def test_outputs_inside_an_input_folder_are_refused_but_not_beside_it(tmp_path):
    """``series_mask.nii.gz`` starts with the name of the DICOM folder ``series`` but lies beside it, not inside."""
    series = tmp_path / "series"
    series.mkdir()
    with pytest.raises(ValueError, match="inside the dicom folder"):
        check_outputs({"mask": series / "mask.nii.gz"}, {"dicom": series})
    check_outputs({"mask": tmp_path / "series_mask.nii.gz"}, {"dicom": series})


def test_two_outputs_on_one_path_are_refused(tmp_path):
    with pytest.raises(ValueError, match="the history and the mask would both be written"):
        check_outputs({"mask": tmp_path / "out.json", "history": tmp_path / "out.json"}, {})
    check_outputs({"mask": tmp_path / "out.nii.gz", "history": tmp_path / "out.json"}, {})


def test_existing_outputs_need_overwrite(tmp_path):
    existing = tmp_path / "mask.nii.gz"
    existing.write_bytes(b"old")
    with pytest.raises(ValueError, match="already exists; pass --overwrite"):
        check_outputs({"mask": existing}, {})
    check_outputs({"mask": existing}, {}, overwrite=True)


def test_atomic_outputs_all_or_nothing(tmp_path):
    old = tmp_path / "a.txt"
    old.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_outputs(old, tmp_path / "new" / "b.txt") as (a, b):
            a.write_text("A")
            raise RuntimeError("interrupted")
    assert old.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
