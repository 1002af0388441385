"""Readers and writers: DICOM series, IRCAD patient folders, NIfTI/NRRD, 2D image/mask folders → datalists."""

from __future__ import annotations

from ..utils.geometry import check_same_geometry
from .datalist import IMAGE_EXTENSIONS, build_datalist, split_datalist, write_datalist
from .ircad import list_ircad_organs, load_ircad_patient
from .readers import list_dicom_series, load_image, load_mask
from .writers import atomic_write, check_output_path, write_json, write_nifti
