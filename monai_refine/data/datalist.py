"""Pair 2D image and mask folders into a MONAI datalist, and write it as a Decathlon-style JSON file.

Files are matched by *key*: the file name without its extension and without the folder's suffix. With
``image_suffix="_training"`` and ``mask_suffix="_manual1"``, ``21_training.tif`` and ``21_manual1.gif`` both have the
key ``21``. The written JSON is read back by ``monai.data.load_decathlon_datalist``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from monai.config import PathLike
from monai.data import partition_dataset

from monai_refine.data.writers import write_json
from monai_refine.utils import RefineKeys

__all__ = ["IMAGE_EXTENSIONS", "build_datalist", "split_datalist", "write_datalist"]

logger = logging.getLogger(__name__)

#: File extensions taken as images or masks (case-insensitive); other files in the folders are ignored.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".nii", ".nii.gz", ".nrrd", ".mha")


def _index_folder(
    folder: Path, suffix: str, extensions: Sequence[str], role: str
) -> tuple[dict[str, Path], list[Path]]:
    """Map key → file for the image files of ``folder``; also return the files whose stem lacks ``suffix``."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{role} folder {folder} does not exist; check the path.")
    longest_first = sorted((e.lower() for e in extensions), key=len, reverse=True)  # ".nii.gz" before ".gz"
    by_key: dict[str, list[Path]] = {}
    without_suffix = []
    for file in sorted(folder.iterdir()):
        ext = next((e for e in longest_first if file.name.lower().endswith(e)), "")
        if not ext or not file.is_file() or file.name.startswith("."):
            continue
        stem = file.name[: -len(ext)]
        if not stem.endswith(suffix):
            without_suffix.append(file)
            continue
        by_key.setdefault(stem[: len(stem) - len(suffix)], []).append(file)
    duplicates = {key: files for key, files in by_key.items() if len(files) > 1}
    if duplicates:
        raise ValueError(
            f"{role} folder {folder} has several files with the same key: "
            + "; ".join(f"{key}: {[f.name for f in files]}" for key, files in duplicates.items())
            + ". Keep one file per key."
        )
    return {key: files[0] for key, files in by_key.items()}, without_suffix


def build_datalist(
    images_dir: PathLike,
    masks_dir: PathLike,
    mask_suffix: str = "",
    fov_dir: PathLike | None = None,
    fov_suffix: str = "_mask",
    *,
    image_suffix: str = "",
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
    fov_key: str = "fov",
) -> list[dict[str, str]]:
    """Match the images of one folder to the masks of another (and optionally field-of-view masks) by file name.

    A file's key is its name without extension and without its folder's suffix; every image must have exactly one
    mask (and one FOV mask when ``fov_dir`` is given) with the same key, and every mask an image. Only files with
    one of ``extensions`` are considered (hidden files and sub-folders are skipped); the extensions may differ
    between folders.

    Naming conventions of public sets (``images_dir``, ``masks_dir``, arguments):

    - HAM10000 / ISIC 2018: ``images/ISIC_0024306.jpg``, ``masks/ISIC_0024306_segmentation.png``:
      ``mask_suffix="_segmentation"`` (the copy in ``shared/data/dermoscopy/ham10000`` has ``masks/ISIC_0024306.png``:
      ``mask_suffix=""``).
    - HRF: ``images/01_dr.jpg``, ``manual1/01_dr.png``, FOV ``mask/01_dr_mask.png``: ``fov_dir="mask"``, default
      ``fov_suffix="_mask"``.
    - DRIVE: ``images/21_training.tif``, ``1st_manual/21_manual1.gif``, FOV ``mask/21_training_mask.gif``:
      ``image_suffix="_training", mask_suffix="_manual1", fov_suffix="_training_mask"``.
    - PH2 (flattened): ``images/IMD002.bmp``, ``masks/IMD002_lesion.bmp``: ``mask_suffix="_lesion"``.

    Args:
        images_dir: folder of images.
        masks_dir: folder of masks (labels).
        mask_suffix: end of a mask's stem after the key.
        fov_dir: optional folder of field-of-view masks, added under ``fov_key``.
        fov_suffix: end of a FOV mask's stem after the key.
        image_suffix: end of an image's stem after the key.
        extensions: file extensions to consider, case-insensitive (``".nii.gz"`` works).
        fov_key: datalist key of the FOV mask.

    Returns:
        ``[{"image": ..., "label": ...[, fov_key: ...]}, ...]`` with absolute paths, sorted by image file name.
        :func:`write_datalist` stores them relative to the JSON file.

    Raises:
        FileNotFoundError: a folder is missing.
        ValueError: ``fov_key`` is "image" or "label", no image found, two files of one folder with the same key, or
            unmatched files (the message lists the images without a mask, the masks without an image and likewise
            for FOV masks).

    Example (on the workplace's copy of HRF; ``tests/data`` checks these values on the real data)::

        hrf = "../shared/data/retina/hrf"
        datalist = build_datalist(f"{hrf}/images", f"{hrf}/manual1", fov_dir=f"{hrf}/mask")
        len(datalist), sorted(datalist[0])  # (42, ['fov', 'image', 'label'])
    """
    if fov_key in (RefineKeys.IMAGE, RefineKeys.LABEL):
        raise ValueError(f"fov_key must differ from 'image' and 'label', got {fov_key!r}.")
    images_dir, masks_dir = Path(images_dir).resolve(), Path(masks_dir).resolve()
    images, stray_images = _index_folder(images_dir, image_suffix, extensions, "images")
    if not images and not stray_images:
        raise ValueError(f"no image file ({', '.join(extensions)}) in {images_dir}.")
    others = {RefineKeys.LABEL.value: (masks_dir, mask_suffix, "masks")}
    if fov_dir is not None:
        others[fov_key] = (Path(fov_dir).resolve(), fov_suffix, "FOV masks")

    problems = [f"images without suffix {image_suffix!r}: {[f.name for f in stray_images]}"] if stray_images else []
    matched = {}
    for key, (folder, suffix, role) in others.items():
        files, stray = _index_folder(folder, suffix, extensions, role)
        missing = sorted(images[k].name for k in images.keys() - files.keys())
        orphans = sorted([files[k].name for k in files.keys() - images.keys()] + [f.name for f in stray])
        if missing:
            problems.append(f"{len(missing)} images without a file '<key>{suffix}.<ext>' in {folder}: {missing}")
        if orphans:
            problems.append(f"{len(orphans)} {role} in {folder} without an image (suffix {suffix!r}): {orphans}")
        matched[key] = files
    if problems:
        raise ValueError(
            f"cannot pair the files of {images_dir} (image_suffix={image_suffix!r}) one to one: "
            + "; ".join(problems)
            + ". Check the suffix arguments, or add or remove the files listed."
        )
    datalist = [
        {RefineKeys.IMAGE.value: str(images[k]), **{key: str(files[k]) for key, files in matched.items()}}
        for k in sorted(images, key=lambda k: images[k].name)
    ]
    logger.info("paired %d images of %s with %s", len(datalist), images_dir, ", ".join(matched))
    return datalist


def split_datalist(
    datalist: Sequence[Mapping[str, str]], val_fraction: float, *, seed: int = 0
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Split a datalist at random into training and validation items (``monai.data.partition_dataset``).

    For a split by patient or by index (e.g. HRF 01-10 / 11-15), select the items yourself and pass both lists to
    :func:`write_datalist`.

    Args:
        datalist: the items to split.
        val_fraction: fraction of items for validation, in (0, 1); at least one item goes to each side.
        seed: random seed of the shuffle; the same seed gives the same split.

    Returns:
        ``(training, validation)``.

    Raises:
        ValueError: ``val_fraction`` outside (0, 1), or fewer than two items.

    Example:
        >>> train, val = split_datalist([{"image": f"{i}.png", "label": f"{i}_m.png"} for i in range(10)], 0.2)
        >>> len(train), len(val)
        (8, 2)
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}.")
    if len(datalist) < 2:
        raise ValueError(f"a split needs at least 2 items, got {len(datalist)}.")
    n_val = min(max(round(val_fraction * len(datalist)), 1), len(datalist) - 1)
    train, val = partition_dataset(
        [dict(item) for item in datalist], ratios=[len(datalist) - n_val, n_val], shuffle=True, seed=seed
    )
    return train, val


def _relative_to(item: Mapping[str, str], folder: Path) -> dict[str, str]:
    """Rewrite the absolute paths of ``item`` that lie inside ``folder`` relative to it; other values are kept."""
    return {
        k: os.path.relpath(v, folder) if isinstance(v, str) and Path(v).is_relative_to(folder) else v
        for k, v in item.items()
    }


def write_datalist(
    datalist: Sequence[Mapping[str, str]],
    output_path: PathLike,
    *,
    validation: Sequence[Mapping[str, str]] | None = None,
    absolute_paths: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a MONAI (Decathlon-style) datalist JSON: ``{"training": [...]}`` plus ``"validation"`` if given.

    Written atomically. By default, absolute paths inside the JSON file's folder are stored relative to it (the
    dataset folder then moves as a whole) and paths elsewhere stay absolute (the JSON file then moves alone);
    ``monai.data.load_decathlon_datalist`` joins relative paths back to the JSON file's folder.

    Args:
        datalist: training items, e.g. from :func:`build_datalist`.
        output_path: the ``.json`` file to write.
        validation: validation items (e.g. from :func:`split_datalist`); none may also be a training item.
        absolute_paths: store every path as given, none relative to the JSON file's folder.
        overwrite: allow replacing an existing file.

    Returns:
        ``output_path`` as a ``Path``.

    Raises:
        ValueError: an empty ``datalist``, an image in both splits, or an existing ``output_path`` and ``overwrite``
            False.

    Example (on the workplace's copy of HRF; ``tests/data`` checks this on the real data)::

        from monai.data import load_decathlon_datalist

        hrf = "../shared/data/retina/hrf"
        pairs = build_datalist(f"{hrf}/images", f"{hrf}/manual1")
        path = write_datalist(pairs, "hrf.json", overwrite=True)
        len(load_decathlon_datalist(path, data_list_key="training"))  # 42
    """
    if not datalist:
        raise ValueError("datalist is empty; nothing to write.")
    output_path = Path(output_path)
    splits = {"training": datalist} if validation is None else {"training": datalist, "validation": validation}
    if validation is not None:
        shared = {item[RefineKeys.IMAGE] for item in datalist} & {item[RefineKeys.IMAGE] for item in validation}
        if shared:
            raise ValueError(f"{len(shared)} images are in both training and validation: {sorted(shared)}.")
    folder = output_path.parent.resolve()
    content = {
        name: [dict(item) if absolute_paths else _relative_to(item, folder) for item in items]
        for name, items in splits.items()
    }
    write_json(content, output_path, overwrite=overwrite)
    logger.info("wrote %s: %s", output_path, ", ".join(f"{len(v)} {k}" for k, v in content.items()))
    return output_path
