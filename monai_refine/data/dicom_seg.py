"""Write a binary mask as a DICOM Segmentation object (SEG) referencing its source series, with highdicom.

A viewer (OHIF, 3D Slicer, a PACS) opens the SEG over the CT it references; NIfTI stays the CLI's default output.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from monai.config import NdarrayOrTensor
from monai.utils import convert_to_numpy, optional_import

hd, has_highdicom = optional_import("highdicom")
pydicom, has_pydicom = optional_import("pydicom")

__all__ = ["write_dicom_seg"]


def write_dicom_seg(
    mask: NdarrayOrTensor,
    source_files: Sequence[os.PathLike | str],
    path: os.PathLike | str,
    *,
    label: str = "liver",
    series_description: str = "monai-refine slice propagation",
) -> Path:
    """Write ``mask`` as a binary DICOM SEG over the DICOM series ``source_files`` (one file per slice).

    Args:
        mask: ``(1, X, Y, Z)`` binary mask on the grid of the series: ``X`` columns, ``Y`` rows, ``Z`` the files in
            ``source_files`` order (sorted by slice position, as :func:`monai_refine.data.scan_dicom_series` gives).
        source_files: the CT series' files, one per slice ``z``.
        path: the ``.dcm`` file to write (not atomically: write to a temporary and rename, as the CLI does).
            A series without a FrameOfReferenceUID (IRCAD's) gets one derived from its SeriesInstanceUID (the same
            for every run), since the SEG must name one; the SEG references the source instances by their UIDs.
        label: the segment's label; ``"liver"`` gets the SNOMED CT code of the liver, anything else a generic
            "organ" property type.
        series_description: the SEG series' description.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ImportError: highdicom or pydicom is missing (``pip install 'monai-refine[dicom]'``).
        ValueError: the mask's shape does not match the series (columns, rows, number of files).
    """
    if not (has_highdicom and has_pydicom):
        raise ImportError("writing DICOM SEG needs highdicom and pydicom: pip install 'monai-refine[dicom]'.")
    from pydicom.sr.codedict import codes

    import monai_refine

    array = convert_to_numpy(mask)
    sources = [pydicom.dcmread(str(f), stop_before_pixels=True) for f in source_files]
    expected = (1, int(sources[0].Columns), int(sources[0].Rows), len(sources))
    if array.shape != expected:
        raise ValueError(
            f"mask shape {array.shape} does not match the DICOM series (1, columns, rows, files) {expected}."
        )
    if "FrameOfReferenceUID" not in sources[0]:  # IRCAD files lack it, and the SEG IOD requires one
        frame_of_reference = pydicom.uid.generate_uid(entropy_srcs=[str(sources[0].SeriesInstanceUID)])
        for source in sources:  # in memory only: the source files are never touched
            source.FrameOfReferenceUID = frame_of_reference
    frames = np.ascontiguousarray(array[0].transpose(2, 1, 0) != 0)  # (files, rows, columns)
    property_type = codes.SCT.Liver if label.lower() == "liver" else codes.SCT.Organ
    description = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label=label,
        segmented_property_category=codes.SCT.Organ,
        segmented_property_type=property_type,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC,
        algorithm_identification=hd.AlgorithmIdentificationSequence(
            name="monai-refine slice propagation",
            version=monai_refine.__version__,
            family=codes.cid7162.ArtificialIntelligence,
        ),
    )
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=frames,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[description],
        series_instance_uid=hd.UID(),
        series_number=int(sources[0].get("SeriesNumber", 0) or 0) + 1000,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="monai-refine",
        manufacturer_model_name="monai-refine",
        software_versions=monai_refine.__version__,
        device_serial_number="0",
        series_description=series_description,
        omit_empty_frames=True,
    )
    seg.save_as(str(path))
    return Path(path)
