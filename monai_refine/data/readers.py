"""Read DICOM series, NIfTI and NRRD into channel-first ``MetaTensor`` s.

Every reader returns what ``monai.transforms.LoadImage(reader="ITKReader", ensure_channel_first=True,
image_only=True)`` returns: shape ``(1, X, Y, Z)`` (the axial slice axis last for axial series), the RAS affine in
``.affine`` (so ``.pixdim`` is the voxel spacing in mm) and the source path in ``.meta["filename_or_obj"]``.
DICOM files are grouped into series and sorted by slice position (GDCM), never by file name.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from monai.config import DtypeLike, PathLike
from monai.data import ITKReader, MetaTensor
from monai.transforms import LoadImage
from monai.utils import optional_import

itk, _ = optional_import("itk")
pydicom, _ = optional_import("pydicom")

__all__ = ["list_dicom_series", "load_image", "load_mask"]

logger = logging.getLogger(__name__)


def _series_instance_uid(file: str, default: str) -> str:
    """The SeriesInstanceUID (0020,000E) of a DICOM file, or ``default`` where the file has none."""
    header = pydicom.dcmread(file, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
    return str(header.get("SeriesInstanceUID", default))


def _gdcm_series(folder: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Group the DICOM files of ``folder`` into series, as ``monai.data.ITKReader`` does.

    Returns:
        ``{key: (gdcm_identifier, files sorted by slice position)}``, ``key`` being the SeriesInstanceUID, or GDCM's
        identifier (UID + geometry details) when one UID holds several sub-series of different geometry.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: ``folder`` is not a folder, holds no DICOM series, or holds a DICOM file that no series could use.
    """
    if not folder.exists():
        raise FileNotFoundError(f"DICOM folder {folder} does not exist; check the path.")
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; pass the folder that holds the DICOM files of one series.")
    names = itk.GDCMSeriesFileNames.New()
    names.SetUseSeriesDetails(True)  # split a UID holding several geometries, like ITKReader
    names.AddSeriesRestriction("0008|0021")  # series date
    names.SetDirectory(str(folder))
    groups = {gdcm_id: tuple(names.GetFileNames(gdcm_id)) for gdcm_id in names.GetSeriesUIDs()}

    # GDCM silently leaves out a file it cannot parse (e.g. truncated), which would read as a missing slice.
    in_series = {os.path.realpath(f) for files in groups.values() for f in files}
    stray = sorted(
        e.path
        for e in os.scandir(folder)
        if e.is_file() and os.path.realpath(e.path) not in in_series and pydicom.misc.is_dicom(e.path)
    )
    if stray:
        raise ValueError(
            f"{len(stray)} DICOM file(s) in {folder} could not be read as part of any series (truncated or corrupt?): "
            f"{stray}. Replace them with intact copies, or move them out of the folder."
        )
    if not groups:
        raise ValueError(
            f"no DICOM series found in {folder}; pass the folder that holds the DICOM files of one series."
        )

    uids = {gdcm_id: _series_instance_uid(files[0], default=gdcm_id) for gdcm_id, files in groups.items()}
    counts = Counter(uids.values())
    return {(uids[g] if counts[uids[g]] == 1 else g): (g, files) for g, files in groups.items()}


def list_dicom_series(folder: PathLike) -> dict[str, list[str]]:
    """List the DICOM series in ``folder``, each with its files sorted by slice position (not by file name).

    Args:
        folder: a folder of DICOM files (not searched recursively); non-DICOM files are ignored.

    Returns:
        ``{series_uid: [file, ...]}``. ``series_uid`` is the SeriesInstanceUID (0020,000E); where one UID holds several
        sub-series of different geometry (orientation, spacing, size), each gets GDCM's longer identifier instead.
        Pass a key as ``series_uid=`` to :func:`load_image`.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: ``folder`` holds no DICOM series, or a truncated/corrupt DICOM file.

    Example:
        >>> series = list_dicom_series("tests/testing_data/ircad_patient17_slab/PATIENT_DICOM")
        >>> [[Path(f).name for f in files][:3] for files in series.values()]
        [['image_60', 'image_61', 'image_62']]
    """
    return {key: list(files) for key, (_, files) in _gdcm_series(Path(folder)).items()}


def _select_series(folder: Path, series_uid: str | None) -> str:
    """Return GDCM's identifier of the series to read in ``folder``, or raise naming the series to choose from."""
    series = _gdcm_series(folder)
    listing = "; ".join(
        f"{key} ({len(files)} files: {Path(files[0]).name} ... {Path(files[-1]).name})"
        for key, (_, files) in series.items()
    )
    if series_uid is None:
        if len(series) > 1:
            raise ValueError(
                f"{folder} holds {len(series)} DICOM series; pass series_uid= (CLI: --series-uid) one of: {listing}."
            )
        return next(iter(series.values()))[0]
    if series_uid not in series:
        raise ValueError(f"series_uid={series_uid!r} is not in {folder}; it holds: {listing}.")
    return series[series_uid][0]


def load_image(path: PathLike, *, series_uid: str | None = None, dtype: DtypeLike = np.float32) -> MetaTensor:
    """Load a DICOM series folder, or a NIfTI / NRRD / MetaImage file, as a channel-first ``MetaTensor``.

    The result equals ``LoadImage(reader="ITKReader", ensure_channel_first=True, image_only=True, dtype=dtype)`` on
    the same path, with DICOM slices ordered by position and clear errors for bad input.

    Args:
        path: a folder holding one DICOM series, or an image file (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``, ...).
        series_uid: which series to read when the folder holds several (a key of :func:`list_dicom_series`).
        dtype: data type of the returned tensor; ``None`` keeps the stored type.

    Returns:
        ``MetaTensor`` of shape ``(1, X, Y, Z)`` (``(C, X, Y)`` for a 2D file) with the RAS affine in ``.affine``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no DICOM series, several series and no ``series_uid``, an unknown ``series_uid``, or a file that
            cannot be read.

    Example:
        >>> image = load_image("tests/testing_data/ircad_patient17_slab/PATIENT_DICOM")
        >>> image.shape, image.dtype, [round(v, 3) for v in image.affine[2].tolist()]  # slice axis last, +z
        (torch.Size([1, 512, 512, 24]), torch.float32, [0.0, 0.0, 1.6, 96.0])
    """
    path = Path(path)
    if path.is_dir():
        reader = ITKReader(series_name=_select_series(path, series_uid))
    elif path.exists():
        if series_uid is not None:
            raise ValueError(f"series_uid={series_uid!r} only applies to a DICOM folder, but {path} is a file.")
        reader = ITKReader()
    else:
        raise FileNotFoundError(f"image path {path} does not exist; check the path.")
    loader = LoadImage(ensure_channel_first=True, image_only=True, dtype=dtype)
    try:  # a reader given at call time is the only one tried: no silent fallback to another reader
        image = loader(str(path), reader=reader)
    except RuntimeError as err:
        raise ValueError(f"could not read {path} (corrupt or unsupported file?): {err}") from err
    logger.debug("loaded %s: shape %s, spacing %s", path, tuple(image.shape), image.pixdim.tolist())
    return image


def load_mask(path: PathLike, *, series_uid: str | None = None) -> MetaTensor:
    """Load a binary mask (DICOM series folder or file) as a channel-first ``uint8`` ``MetaTensor`` of {0, 1}.

    Any single non-zero value is foreground (IRCAD stores masks as {0, 255}).

    Args:
        path: a DICOM series folder or an image file, as for :func:`load_image`.
        series_uid: which series to read when the folder holds several.

    Returns:
        ``MetaTensor`` of shape ``(1, X, Y, Z)``, dtype ``uint8``, values {0, 1}, with the RAS affine.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: anything :func:`load_image` raises, more than one channel, several non-zero values (a label
            map, not a mask), or a mask that is empty everywhere.

    Example:
        >>> mask = load_mask("tests/testing_data/ircad_patient17_slab/MASKS_DICOM/liver")
        >>> mask.dtype, mask.unique().tolist()
        (torch.uint8, [0, 1])
    """
    mask = load_image(path, series_uid=series_uid, dtype=None)
    if mask.shape[0] != 1:
        raise ValueError(f"mask {path} has {mask.shape[0]} channels; expected a single-channel mask.")
    values = torch.unique(mask.as_tensor())
    foreground = values[values != 0]
    if len(foreground) == 0:
        raise ValueError(f"mask {path} is empty (no non-zero voxel); check that it is the right mask or organ.")
    if len(foreground) > 1:
        raise ValueError(
            f"mask {path} has {len(foreground)} non-zero values ({foreground[:10].tolist()}...); expected a binary "
            "mask ({0, 1} or {0, 255}). Select one label or threshold it first."
        )
    return (mask != 0).to(torch.uint8)
