"""Read a 3D-IRCADb-01 patient folder: ``PATIENT_DICOM/`` (the CT series) and ``MASKS_DICOM/<organ>/`` (its masks).

Layout of one unzipped patient of 3D-IRCADb-01 (IRCAD France), one DICOM file per axial slice::

    patient17/
        PATIENT_DICOM/image_0 ... image_118
        MASKS_DICOM/liver/image_0 ... image_118
        MASKS_DICOM/portalvein/...
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monai.data import MetaTensor

__all__ = ["ircad_folders", "list_ircad_organs", "load_ircad_patient"]

PathLike = str | os.PathLike

logger = logging.getLogger(__name__)

IMAGE_FOLDER = "PATIENT_DICOM"
MASKS_FOLDER = "MASKS_DICOM"


def _require_folder(folder: Path, patient_dir: Path) -> None:
    """Raise ``FileNotFoundError`` saying what an IRCAD patient folder holds when ``folder`` is missing."""
    if folder.is_dir():
        return
    zipped = folder.with_name(folder.name + ".zip")
    hint = f"unzip {zipped} first" if zipped.is_file() else f"expected {IMAGE_FOLDER}/ and {MASKS_FOLDER}/<organ>/"
    raise FileNotFoundError(f"{patient_dir} is not an IRCAD patient folder: {folder} is missing ({hint}).")


def list_ircad_organs(patient_dir: PathLike) -> list[str]:
    """List the organs with a mask folder in an IRCAD patient folder (the sub-folders of ``MASKS_DICOM``).

    Args:
        patient_dir: the patient folder, holding ``PATIENT_DICOM/`` and ``MASKS_DICOM/``.

    Returns:
        Sorted organ names, e.g. ``["artery", "liver", "portalvein"]``.

    Raises:
        FileNotFoundError: ``patient_dir`` or its ``MASKS_DICOM`` folder is missing.

    Example:
        >>> list_ircad_organs("monai_refine/data/sample/ircad_patient17_slab")
        ['liver']
    """
    patient_dir = Path(patient_dir)
    if not patient_dir.is_dir():
        raise FileNotFoundError(f"IRCAD patient folder {patient_dir} does not exist; check the path.")
    masks_dir = patient_dir / MASKS_FOLDER
    _require_folder(masks_dir, patient_dir)
    return sorted(p.name for p in masks_dir.iterdir() if p.is_dir())


def ircad_folders(patient_dir: PathLike, organ: str = "liver") -> tuple[Path, Path]:
    """The CT series folder and the ``organ`` mask folder of an IRCAD patient folder, checked to exist (no reading).

    Raises:
        FileNotFoundError: a missing patient, ``PATIENT_DICOM`` or organ folder (the message lists the organs).

    Example:
        >>> [p.name for p in ircad_folders("monai_refine/data/sample/ircad_patient17_slab")]
        ['PATIENT_DICOM', 'liver']
    """
    patient_dir = Path(patient_dir)
    organs = list_ircad_organs(patient_dir)
    image_dir = patient_dir / IMAGE_FOLDER
    _require_folder(image_dir, patient_dir)
    if organ not in organs:
        raise FileNotFoundError(
            f"no mask folder {patient_dir / MASKS_FOLDER / organ}; organs with a mask in {patient_dir}: {organs}."
        )
    return image_dir, patient_dir / MASKS_FOLDER / organ


def load_ircad_patient(
    patient_dir: PathLike, organ: str = "liver", *, allow_gaps: bool = False
) -> tuple[MetaTensor, MetaTensor]:
    """Load the CT and one organ mask of an IRCAD patient folder, checked to share geometry.

    Args:
        patient_dir: the patient folder, holding ``PATIENT_DICOM/`` and ``MASKS_DICOM/<organ>/``.
        organ: the mask folder name under ``MASKS_DICOM`` (see :func:`list_ircad_organs`).
        allow_gaps: accept series with missing slices (inserted empty), see :func:`~monai_refine.data.load_image`.

    Returns:
        ``(image, mask)``: the CT as float32 HU, shape ``(1, X, Y, Z)`` with slices in position order (axial axis
        last) and the RAS affine; the mask as uint8 {0, 1} of the same shape and affine.

    Raises:
        FileNotFoundError: a missing patient, ``PATIENT_DICOM`` or organ folder (the message lists the organs).
        ValueError: a folder without a DICOM series or with several, a corrupt file, an empty mask, or an image and
            mask that do not share geometry.

    Example:
        >>> image, mask = load_ircad_patient("monai_refine/data/sample/ircad_patient17_slab", organ="liver")
        >>> image.shape, mask.shape, [round(s, 3) for s in image.pixdim.tolist()]
        (torch.Size([1, 512, 512, 24]), torch.Size([1, 512, 512, 24]), [0.743, 0.743, 1.6])
    """
    from monai_refine.data.readers import load_image, load_mask
    from monai_refine.utils import check_same_geometry

    image_dir, mask_dir = ircad_folders(patient_dir, organ)
    image = load_image(image_dir, allow_gaps=allow_gaps)
    mask = load_mask(mask_dir, allow_gaps=allow_gaps)
    check_same_geometry(image, mask, names=("image", f"{organ} mask"))
    logger.info("loaded IRCAD %s with %s mask: shape %s", patient_dir, organ, tuple(image.shape))
    return image, mask
