"""Read a DICOM series folder or an image file into a channel-first numpy array and its RAS affine, without torch.

The reading half of :func:`monai_refine.data.load_image` / :func:`~monai_refine.data.load_mask`: which files, in
which order, with which checks (a DICOM series is sorted by slice position from its headers, never by file name, and
a missing, duplicated or misplaced slice is refused by name), the voxels in the layout ``load_image`` returns, and the
affine and metadata that MONAI's ``ITKReader`` would give. Only the wrapping into a ``MetaTensor`` is left to
:mod:`monai_refine.data.readers`, so a caller can read while torch and MONAI are still importing: the CLI reads its
volumes on a second core during those seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from numpy.typing import DTypeLike

from monai_refine.data.dicom import DicomSeries, scan_dicom_series

__all__ = ["ImageFile", "LabelMapError", "read_image_file", "read_mask_file"]

_SITK_TYPES = {
    np.dtype(np.float32): sitk.sitkFloat32,
    np.dtype(np.float64): sitk.sitkFloat64,
    np.dtype(np.int16): sitk.sitkInt16,
    np.dtype(np.int32): sitk.sitkInt32,
    np.dtype(np.uint8): sitk.sitkUInt8,
}


class LabelMapError(ValueError):
    """A file read as a binary mask holds several non-zero values: a label map (select its organ's labels)."""


@dataclass(frozen=True)
class ImageFile:
    """A read image: what :func:`monai_refine.data.readers.as_meta_tensor` wraps into a ``MetaTensor``.

    Attributes:
        array: the voxels, channel-first ``(C, X, Y, Z)`` (``(C, X, Y)`` for a 2D file), owned (not a view on a
            SimpleITK buffer).
        affine: ``(rank + 1, rank + 1)`` float64 RAS affine.
        meta: ``filename_or_obj``, ``original_affine``, ``spatial_shape``, ``original_channel_dim``, ``space``, and
            for a DICOM series ``missing_slices``, as ``load_image`` puts them in the ``MetaTensor``'s ``meta``.
    """

    array: np.ndarray
    affine: np.ndarray
    meta: dict


def _read_sitk(path: Path, series_uid: str | None, allow_gaps: bool) -> tuple[sitk.Image, DicomSeries | None]:
    if path.is_dir():
        series = scan_dicom_series(path, series_uid, allow_gaps=allow_gaps)
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(series.files)
        try:
            return reader.Execute(), series
        except RuntimeError as err:
            raise ValueError(f"could not read the DICOM series in {path}: {str(err).strip()[-300:]}") from err
    if not path.exists():
        raise FileNotFoundError(f"image path {path} does not exist; check the path.")
    if series_uid is not None:
        raise ValueError(f"series_uid={series_uid!r} only applies to a DICOM folder, but {path} is a file.")
    try:
        return sitk.ReadImage(str(path)), None
    except RuntimeError as err:
        message = str(err).strip()[-300:]
        raise ValueError(f"could not read {path} (corrupt or unsupported file?): {message}") from err


def _channel_first(image: sitk.Image, dtype: DTypeLike, contiguous: bool) -> np.ndarray:
    """The voxels of ``image`` as an owned ``(C, X, Y[, Z])`` array, as MONAI's ``ITKReader`` orders them.

    ``contiguous=False`` (single-channel images): the owned copy keeps SimpleITK's storage order and the result is its
    transposed (Fortran-order) view, with no transposing copy.
    """
    rank = image.GetDimension()
    if image.GetNumberOfComponentsPerPixel() != 1:
        array = sitk.GetArrayViewFromImage(image)  # (Z, Y, X, C)
        array = np.array(np.moveaxis(array, -1, 0).transpose(0, *range(rank, 0, -1)), order="C")  # (C, X, Y, Z)
    elif not contiguous:
        view = sitk.GetArrayViewFromImage(image)  # (Z, Y, X): a view on the image's buffer, dies with `image`
        # one owned copy in storage order (a plain copy, or the type conversion), then its reversed-axes view
        array = (view.copy() if dtype is None else view.astype(dtype)).T[None]
    else:
        target = None if dtype is None else _SITK_TYPES.get(np.dtype(dtype))
        if target is not None and target != image.GetPixelID():
            image = sitk.Cast(image, target)  # in C++, no numpy temporary; other types: astype below
        # (1, X, Y, Z) in C order: one copy, owned. (A Fortran-order view would be copied again by every
        # convert_to_numpy / .contiguous() downstream, e.g. in SlicePropagator: one more volume in RAM.)
        array = np.array(sitk.GetArrayViewFromImage(image).T, order="C")[None]  # a copy: the view dies with `image`
    return array if dtype is None else array.astype(dtype, copy=False)


def read_image_file(
    path: os.PathLike | str,
    *,
    series_uid: str | None = None,
    dtype: DTypeLike = np.float32,
    allow_gaps: bool = False,
    contiguous: bool = True,
) -> ImageFile:
    """Read a DICOM series folder, or a NIfTI / NRRD / MetaImage file, with SimpleITK (arguments of
    :func:`monai_refine.data.load_image`, which is this function and ``as_meta_tensor``).

    Args:
        path: a folder holding one DICOM series, or an image file (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``, ...).
        series_uid: which series to read when the folder holds several.
        dtype: data type of the array; ``None`` keeps the stored type.
        allow_gaps: accept a DICOM series with missing slices: they are inserted (filled with the minimum value) so
            the grid stays uniform, and listed in ``meta["missing_slices"]``.
        contiguous: ``True``: C-contiguous ``(1, X, Y, Z)``; ``False``: for a single-channel image, the Fortran-order
            view of the voxels in the file's order (no transposing copy), same shape and values.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no DICOM series, several series and no ``series_uid``, ``series_uid`` for a file, a file that
            cannot be read, or a DICOM series with a missing, duplicated or misplaced slice (named).

    Example:
        >>> read = read_image_file("monai_refine/data/sample/ircad_patient17_slab/PATIENT_DICOM", dtype=None)
        >>> read.array.shape, read.array.dtype, read.affine[2].round(3).tolist(), read.meta["missing_slices"]
        ((1, 512, 512, 24), dtype('int16'), [0.0, 0.0, 1.6, 96.0], [])
    """
    path = Path(path)
    image, series = _read_sitk(path, series_uid, allow_gaps)
    array = _channel_first(image, dtype, contiguous)
    rank = image.GetDimension()
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
    if series is not None:
        meta["missing_slices"] = series.missing_slices
    return ImageFile(array, affine, meta)


def read_mask_file(
    path: os.PathLike | str, *, series_uid: str | None = None, allow_gaps: bool = False, contiguous: bool = True
) -> ImageFile:
    """Read a binary mask (DICOM series folder or file) as ``uint8`` {0, 1}: any single non-zero value is foreground
    (IRCAD stores masks as {0, 255}). Arguments as :func:`read_image_file`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        LabelMapError: several non-zero values (a label map, not a mask; a ``ValueError``).
        ValueError: anything :func:`read_image_file` raises, more than one channel, or a mask that is empty
            everywhere.

    Example:
        >>> read = read_mask_file("monai_refine/data/sample/ircad_patient17_slab/MASKS_DICOM/liver")
        >>> read.array.dtype, np.unique(read.array).tolist()
        (dtype('uint8'), [0, 1])
    """
    read = read_image_file(path, series_uid=series_uid, dtype=None, allow_gaps=allow_gaps, contiguous=contiguous)
    array = read.array
    if array.shape[0] != 1:
        raise ValueError(f"mask {path} has {array.shape[0]} channels; expected a single-channel mask.")
    foreground = array != 0  # in the layout of `array` (numpy keeps a Fortran-order view's order)
    if not foreground.any():
        raise ValueError(f"mask {path} is empty (no non-zero voxel); check that it is the right mask or organ.")
    # min and max of the non-zero values, without a sort (unique) or a gather of the whole volume
    low = np.min(array, where=foreground, initial=array.max())
    high = np.max(array, where=foreground, initial=array.min())
    if low != high:
        labels = np.unique(array[foreground])
        raise LabelMapError(
            f"mask {path} has {len(labels)} non-zero values ({labels[:10].tolist()}...); expected a binary "
            "mask ({0, 1} or {0, 255}). Select one label or threshold it first."
        )
    return ImageFile(foreground.view(np.uint8), read.affine, read.meta)
