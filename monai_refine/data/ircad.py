"""Read a 3D-IRCADb-01 patient folder: ``PATIENT_DICOM/`` (the CT series) and ``MASKS_DICOM/<organ>/`` (its masks).

Layout of one unzipped patient of 3D-IRCADb-01 (IRCAD France), one DICOM file per axial slice::

    patient17/
        PATIENT_DICOM/image_0 ... image_118
        MASKS_DICOM/liver/image_0 ... image_118
        MASKS_DICOM/portalvein/...
"""

from __future__ import annotations

import logging
from pathlib import Path

from monai.config import PathLike
from monai.data import MetaTensor

from monai_refine.data.readers import load_image, load_mask
from monai_refine.utils import check_same_geometry

__all__ = ["list_ircad_organs", "load_ircad_patient"]

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
        >>> list_ircad_organs("tests/testing_data/ircad_patient17_slab")
        ['liver']
    """
    patient_dir = Path(patient_dir)
    if not patient_dir.is_dir():
        raise FileNotFoundError(f"IRCAD patient folder {patient_dir} does not exist; check the path.")
    masks_dir = patient_dir / MASKS_FOLDER
    _require_folder(masks_dir, patient_dir)
    return sorted(p.name for p in masks_dir.iterdir() if p.is_dir())


def load_ircad_patient(patient_dir: PathLike, organ: str = "liver") -> tuple[MetaTensor, MetaTensor]:
    """Load the CT and one organ mask of an IRCAD patient folder, checked to share geometry.

    Args:
        patient_dir: the patient folder, holding ``PATIENT_DICOM/`` and ``MASKS_DICOM/<organ>/``.
        organ: the mask folder name under ``MASKS_DICOM`` (see :func:`list_ircad_organs`).

    Returns:
        ``(image, mask)``: the CT as float32 HU, shape ``(1, X, Y, Z)`` with slices in position order (axial axis
        last) and the RAS affine; the mask as uint8 {0, 1} of the same shape and affine.

    Raises:
        FileNotFoundError: a missing patient, ``PATIENT_DICOM`` or organ folder (the message lists the organs).
        ValueError: a folder without a DICOM series or with several, a corrupt file, an empty mask, or an image and
            mask that do not share geometry.

    Example:
        >>> image, mask = load_ircad_patient("tests/testing_data/ircad_patient17_slab", organ="liver")
        >>> image.shape, mask.shape, [round(s, 3) for s in image.pixdim.tolist()]
        (torch.Size([1, 512, 512, 24]), torch.Size([1, 512, 512, 24]), [0.743, 0.743, 1.6])
    """
    patient_dir = Path(patient_dir)
    organs = list_ircad_organs(patient_dir)
    image_dir = patient_dir / IMAGE_FOLDER
    _require_folder(image_dir, patient_dir)
    if organ not in organs:
        raise FileNotFoundError(
            f"no mask folder {patient_dir / MASKS_FOLDER / organ}; organs with a mask in {patient_dir}: {organs}."
        )
    image = load_image(image_dir)
    mask = load_mask(patient_dir / MASKS_FOLDER / organ)
    check_same_geometry(image, mask, names=("image", f"{organ} mask"))
    logger.info("loaded IRCAD %s with %s mask: shape %s", patient_dir, organ, tuple(image.shape))
    return image, mask
