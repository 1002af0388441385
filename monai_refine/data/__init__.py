"""Readers and writers: DICOM series, IRCAD patient folders, NIfTI/NRRD, 2D image/mask folders → datalists.

The names are imported lazily (PEP 562), so that ``monai_refine.data.dicom`` (headers only, no torch) loads fast for
the CLI's checks; ``from monai_refine.data import load_image`` works as usual.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "check_same_geometry": "monai_refine.utils.geometry",
    "IMAGE_EXTENSIONS": ".datalist",
    "build_datalist": ".datalist",
    "split_datalist": ".datalist",
    "write_datalist": ".datalist",
    "DicomSeries": ".dicom",
    "scan_dicom_series": ".dicom",
    "list_dicom_series": ".dicom",
    "ircad_folders": ".ircad",
    "list_ircad_organs": ".ircad",
    "load_ircad_patient": ".ircad",
    "ImageFile": ".image_files",
    "LabelMapError": ".image_files",
    "read_image_file": ".image_files",
    "read_mask_file": ".image_files",
    "as_meta_tensor": ".readers",
    "load_image": ".readers",
    "load_mask": ".readers",
    "PropagationSliceDataset": ".slice_samples",
    "load_propagation_bundle": ".bundle",
    "load_weights": ".bundle",
    "parse_config_override": ".bundle",
    "load_ircad_volumes": ".slice_samples",
    "load_datalist_volumes": ".slice_samples",
    "atomic_outputs": ".paths",
    "check_outputs": ".paths",
    "atomic_write": ".writers",
    "check_output_path": ".writers",
    "write_json": ".writers",
    "write_nifti": ".writers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
