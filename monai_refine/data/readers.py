"""Read DICOM series, NIfTI and NRRD into channel-first ``MetaTensor`` s.

Every reader returns what ``monai.transforms.LoadImage(reader="ITKReader", ensure_channel_first=True,
image_only=True)`` returns: shape ``(1, X, Y, Z)`` (the axial slice axis last for axial series), the RAS affine in
``.affine`` (so ``.pixdim`` is the voxel spacing in mm) and the source path in ``.meta["filename_or_obj"]``.
The pixels are read with SimpleITK (no ITK Python wrapping, which takes seconds to load). DICOM files are grouped into
series and sorted by slice position from their headers (:mod:`monai_refine.data.dicom`), never by file name, and a
series with a missing, duplicated or misplaced slice is refused by name. The reading itself (no torch) is
:mod:`monai_refine.data.image_files`; this module wraps what it read.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from monai.config import DtypeLike, PathLike
from monai.data import MetaTensor

from monai_refine.data.dicom import list_dicom_series
from monai_refine.data.image_files import ImageFile, read_image_file, read_mask_file

__all__ = ["as_meta_tensor", "list_dicom_series", "load_image", "load_mask"]

logger = logging.getLogger(__name__)


def as_meta_tensor(read: ImageFile) -> MetaTensor:
    """The ``MetaTensor`` of an image read by :func:`~monai_refine.data.image_files.read_image_file` (or
    ``read_mask_file``), sharing its array: ``load_image(path)`` is ``as_meta_tensor(read_image_file(path))``.

    Example:
        >>> from monai_refine.data.image_files import read_mask_file
        >>> mask = as_meta_tensor(read_mask_file("monai_refine/data/sample/ircad_patient17_slab/MASKS_DICOM/liver"))
        >>> mask.shape, mask.dtype, [round(v, 3) for v in mask.pixdim.tolist()]
        (torch.Size([1, 512, 512, 24]), torch.uint8, [0.743, 0.743, 1.6])
    """
    result = MetaTensor(
        torch.from_numpy(read.array), affine=torch.as_tensor(read.affine, dtype=torch.float64), meta=dict(read.meta)
    )
    logger.debug(
        "loaded %s: shape %s, spacing %s", read.meta["filename_or_obj"], tuple(result.shape), result.pixdim.tolist()
    )
    return result


def load_image(
    path: PathLike,
    *,
    series_uid: str | None = None,
    dtype: DtypeLike = np.float32,
    allow_gaps: bool = False,
    contiguous: bool = True,
) -> MetaTensor:
    """Load a DICOM series folder, or a NIfTI / NRRD / MetaImage file, as a channel-first ``MetaTensor``.

    The result equals ``LoadImage(reader="ITKReader", ensure_channel_first=True, image_only=True, dtype=dtype)`` on
    the same path, with DICOM slices ordered by position and clear errors for bad input.

    Args:
        path: a folder holding one DICOM series, or an image file (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``, ...).
        series_uid: which series to read when the folder holds several (a key of :func:`list_dicom_series`).
        dtype: data type of the returned tensor; ``None`` keeps the stored type.
        allow_gaps: accept a DICOM series with missing slices: they are inserted (filled with the minimum value) so
            the grid stays uniform, and listed in ``meta["missing_slices"]``.
        contiguous: ``True`` (as ``LoadImage``): the tensor is C-contiguous in ``(1, X, Y, Z)``. ``False``: for a
            single-channel image, skip that transposing copy (a third of a second for a 512² x 119 CT): the tensor is
            a Fortran-order view of the voxels in the file's order (each axial slice contiguous), with the same
            shape, values and affine; for code that reads it through strides (``SlicePropagator``, the CLI) and not
            through ``.contiguous()`` / ``convert_to_numpy``, which would make that copy then.

    Returns:
        ``MetaTensor`` of shape ``(1, X, Y, Z)`` (``(C, X, Y)`` for a 2D file) with the RAS affine in ``.affine``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no DICOM series, several series and no ``series_uid``, an unknown ``series_uid``, a file that
            cannot be read, or a DICOM series with a missing, duplicated or misplaced slice (named).

    Example:
        >>> image = load_image("monai_refine/data/sample/ircad_patient17_slab/PATIENT_DICOM")
        >>> image.shape, image.dtype, [round(v, 3) for v in image.affine[2].tolist()]  # slice axis last, +z
        (torch.Size([1, 512, 512, 24]), torch.float32, [0.0, 0.0, 1.6, 96.0])
    """
    return as_meta_tensor(
        read_image_file(path, series_uid=series_uid, dtype=dtype, allow_gaps=allow_gaps, contiguous=contiguous)
    )


def load_mask(
    path: PathLike, *, series_uid: str | None = None, allow_gaps: bool = False, contiguous: bool = True
) -> MetaTensor:
    """Load a binary mask (DICOM series folder or file) as a channel-first ``uint8`` ``MetaTensor`` of {0, 1}.

    Any single non-zero value is foreground (IRCAD stores masks as {0, 255}).

    Args:
        path: a DICOM series folder or an image file, as for :func:`load_image`.
        series_uid: which series to read when the folder holds several.
        allow_gaps: accept a DICOM series with missing slices (inserted empty), see :func:`load_image`.
        contiguous: ``False``: the mask keeps the file's voxel order (a Fortran-order view), see :func:`load_image`.

    Returns:
        ``MetaTensor`` of shape ``(1, X, Y, Z)``, dtype ``uint8``, values {0, 1}, with the RAS affine.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: anything :func:`load_image` raises, more than one channel, several non-zero values (a label
            map, not a mask), or a mask that is empty everywhere.

    Example:
        >>> mask = load_mask("monai_refine/data/sample/ircad_patient17_slab/MASKS_DICOM/liver")
        >>> mask.dtype, mask.unique().tolist()
        (torch.uint8, [0, 1])
    """
    return as_meta_tensor(read_mask_file(path, series_uid=series_uid, allow_gaps=allow_gaps, contiguous=contiguous))
