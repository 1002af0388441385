"""Read DICOM series, NIfTI and NRRD into channel-first ``MetaTensor`` s.

Every reader returns what ``monai.transforms.LoadImage(reader="ITKReader", ensure_channel_first=True,
image_only=True)`` returns: shape ``(1, X, Y, Z)`` (the axial slice axis last for axial series), the RAS affine in
``.affine`` (so ``.pixdim`` is the voxel spacing in mm) and the source path in ``.meta["filename_or_obj"]``.
The pixels are read with SimpleITK (no ITK Python wrapping, which takes seconds to load). DICOM files are grouped into
series and sorted by slice position from their headers (:mod:`monai_refine.data.dicom`), never by file name, and a
series with a missing, duplicated or misplaced slice is refused by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import torch
from monai.config import DtypeLike, PathLike
from monai.data import MetaTensor

from monai_refine.data.dicom import DicomSeries, list_dicom_series, scan_dicom_series

__all__ = ["list_dicom_series", "load_image", "load_mask"]

logger = logging.getLogger(__name__)

_LPS_TO_RAS = (-1.0, -1.0)


_SITK_TYPES = {
    np.dtype(np.float32): sitk.sitkFloat32,
    np.dtype(np.float64): sitk.sitkFloat64,
    np.dtype(np.int16): sitk.sitkInt16,
    np.dtype(np.int32): sitk.sitkInt32,
    np.dtype(np.uint8): sitk.sitkUInt8,
}


def _to_meta_tensor(
    image: sitk.Image, path: Path, dtype: DtypeLike, series: DicomSeries | None = None, contiguous: bool = True
) -> MetaTensor:
    """Channel-first ``MetaTensor`` with the RAS affine of a SimpleITK image, as MONAI's ``ITKReader`` builds it.

    The missing slices of a ``series`` with gaps are inserted (last axis), filled with the image's minimum.
    ``contiguous=False`` (single-channel images): the owned copy keeps SimpleITK's storage order and the tensor is its
    transposed (Fortran-order) view, with no transposing copy.
    """
    rank = image.GetDimension()
    single = image.GetNumberOfComponentsPerPixel() == 1
    if single and not contiguous:
        view = sitk.GetArrayViewFromImage(image)  # (Z, Y, X): a view on the image's buffer, dies with `image`
        # one owned copy in storage order (a plain copy, or the type conversion), then its reversed-axes view
        array = (view.copy() if dtype is None else view.astype(dtype)).T[None]
    elif single:
        target = None if dtype is None else _SITK_TYPES.get(np.dtype(dtype))
        if target is not None and target != image.GetPixelID():
            image = sitk.Cast(image, target)  # in C++, no numpy temporary; other types: astype below
        # (1, X, Y, Z) in C order: one copy, owned. (A Fortran-order view would be copied again by every
        # convert_to_numpy / .contiguous() downstream, e.g. in SlicePropagator: one more volume in RAM.)
        array = np.array(sitk.GetArrayViewFromImage(image).T, order="C")[None]  # a copy: the view dies with `image`
    else:
        array = sitk.GetArrayViewFromImage(image)  # (Z, Y, X, C)
        array = np.array(np.moveaxis(array, -1, 0).transpose(0, *range(rank, 0, -1)), order="C")  # (C, X, Y, Z)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    spacing = np.asarray(image.GetSpacing(), dtype=np.float64)
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(rank, rank)
    if series is not None and series.gaps:
        spacing[-1] = series.slice_spacing
        full = np.full((*array.shape[:-1], series.depth), array.min(), dtype=array.dtype)
        full[..., series.grid_index] = array
        array = full
    affine = np.eye(rank + 1)
    affine[:rank, :rank] = direction * spacing
    affine[:rank, rank] = image.GetOrigin()
    affine[: min(rank, 2)] *= -1.0  # LPS -> RAS
    meta = {
        "filename_or_obj": str(path),
        "original_affine": affine.copy(),
        "spatial_shape": np.asarray(array.shape[1:]),
        "original_channel_dim": "no_channel" if image.GetNumberOfComponentsPerPixel() == 1 else -1,
        "space": "RAS",
    }
    return MetaTensor(torch.from_numpy(array), affine=torch.as_tensor(affine, dtype=torch.float64), meta=meta)


def _read_series(series: DicomSeries, path: Path) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(series.files)
    try:
        return reader.Execute()
    except RuntimeError as err:
        raise ValueError(f"could not read the DICOM series in {path}: {str(err).strip()[-300:]}") from err


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
    path = Path(path)
    series = None
    if path.is_dir():
        series = scan_dicom_series(path, series_uid, allow_gaps=allow_gaps)
        image = _read_series(series, path)
    elif path.exists():
        if series_uid is not None:
            raise ValueError(f"series_uid={series_uid!r} only applies to a DICOM folder, but {path} is a file.")
        try:
            image = sitk.ReadImage(str(path))
        except RuntimeError as err:
            message = str(err).strip()[-300:]
            raise ValueError(f"could not read {path} (corrupt or unsupported file?): {message}") from err
    else:
        raise FileNotFoundError(f"image path {path} does not exist; check the path.")
    result = _to_meta_tensor(image, path, dtype, series, contiguous)
    if series is not None:
        result.meta["missing_slices"] = series.missing_slices
    logger.debug("loaded %s: shape %s, spacing %s", path, tuple(result.shape), result.pixdim.tolist())
    return result


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
    mask = load_image(path, series_uid=series_uid, dtype=None, allow_gaps=allow_gaps, contiguous=contiguous)
    if mask.shape[0] != 1:
        raise ValueError(f"mask {path} has {mask.shape[0]} channels; expected a single-channel mask.")
    array = mask.as_tensor().numpy()
    foreground = array != 0  # in the layout of `array` (numpy keeps a Fortran-order view's order)
    if not foreground.any():
        raise ValueError(f"mask {path} is empty (no non-zero voxel); check that it is the right mask or organ.")
    # min and max of the non-zero values, without a sort (unique) or a gather of the whole volume
    low = np.min(array, where=foreground, initial=array.max())
    high = np.max(array, where=foreground, initial=array.min())
    if low != high:
        labels = np.unique(array[foreground])
        raise ValueError(
            f"mask {path} has {len(labels)} non-zero values ({labels[:10].tolist()}...); expected a binary "
            "mask ({0, 1} or {0, 255}). Select one label or threshold it first."
        )
    return MetaTensor(torch.from_numpy(foreground.view(np.uint8)), meta=mask.meta)  # meta holds the affine
