"""2D image folders for the 2D bundles: datalists of a folder of images (masks, FOV masks), PH2's split, DRIVE's
split, HRF's test images, PNG writer.

The 2D bundles share one inference contract: every ``*.jpg``, ``*.jpeg``, ``*.png``, ``*.bmp``, ``*.tif``,
``*.tiff`` in ``dataset_dir`` is segmented and written as ``output_dir/<image stem>_seg.png``, uint8
{0, 255}, at the image's height and width. :func:`image_folder_datalist` checks the folder (not empty, every image
readable, masks of the same size) before any network runs, and :class:`SaveMask2Dd` writes the result.

Every file is read with Pillow (MONAI's ``PILReader`` with :func:`rgb_converter` or :func:`grey_converter`): RGB
TIFs (DRIVE's images), palette or grey GIFs (DRIVE's labels and FOV masks) and PNGs alike.
"""

from __future__ import annotations

import csv
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from monai.config import KeysCollection, NdarrayOrTensor, PathLike
from monai.transforms import MapTransform, Transform
from monai.utils import convert_to_numpy
from PIL import Image, UnidentifiedImageError

from monai_refine.utils import RefineKeys

__all__ = [
    "DRIVE_SPLITS",
    "FOLDER_IMAGE_EXTENSIONS",
    "SaveMask2D",
    "SaveMask2Dd",
    "drive_datalist",
    "grey_converter",
    "hrf_datalist",
    "image_folder_datalist",
    "image_size",
    "ph2_datalist",
    "rgb_converter",
]

#: The image files a 2D bundle segments (case-insensitive).
FOLDER_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")

#: DRIVE's usual split of its 20 training images (21-40) into training and validation.
DRIVE_SPLITS = {"train": tuple(range(21, 35)), "validation": tuple(range(35, 41))}

#: The FOV mask files of an image ``<stem>.*`` in a ``fov_dir``, in the order they are looked for.
FOV_NAMES = ("{}_mask.gif", "{}_mask.png", "{}_mask.tif", "{}.gif", "{}.png", "{}.tif")


def rgb_converter(image: Image.Image) -> Image.Image:
    """``PILReader(converter=...)``: every image as 3-channel RGB (grey, palette and RGBA files alike)."""
    return image.convert("RGB")


def grey_converter(image: Image.Image) -> Image.Image:
    """``PILReader(converter=...)``: every mask as one 8-bit grey channel."""
    return image.convert("L")


def image_size(path: PathLike, role: str = "image") -> tuple[int, int]:
    """``(height, width)`` of a 2D image file, read from its header.

    Raises:
        ValueError: when the file cannot be read as an image; the message names the file.
    """
    try:
        with Image.open(path) as img:
            img.verify()
        with Image.open(path) as img:  # verify() leaves the file unusable; reopen for the size
            width, height = img.size
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"{role} {path} is not a readable image ({type(e).__name__}: {e}).") from e
    return height, width


def _images(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in FOLDER_IMAGE_EXTENSIONS
    )


def image_folder_datalist(
    dataset_dir: PathLike,
    mask_dir: PathLike | None = None,
    image_key: str = RefineKeys.IMAGE,
    mask_key: str = RefineKeys.PRIOR,
    fov_dir: PathLike | None = None,
    fov_key: str = RefineKeys.FOV,
) -> list[dict[str, str]]:
    """One ``{image_key: path}`` item per image of ``dataset_dir``, with ``{mask_key: path}`` from ``mask_dir``.

    A mask is ``mask_dir/<image stem>.png`` or ``mask_dir/<image stem>_seg.png`` (the bundles' own output name),
    so one bundle's output folder can be another's ``mask_dir``. A field-of-view mask (fundus photographs) is
    ``fov_dir/<image stem>_mask.gif`` (DRIVE's name), ``_mask.png`` (HRF's), ``_mask.tif``, or ``<image stem>``
    with one of those extensions.

    Args:
        dataset_dir: folder of ``*.jpg``, ``*.jpeg``, ``*.png``, ``*.bmp``, ``*.tif``, ``*.tiff`` images.
        mask_dir: optional folder of the masks to refine, one per image, same height and width.
        image_key: the items' image key.
        mask_key: the items' mask key.
        fov_dir: optional folder of field-of-view masks, one per image, same height and width.
        fov_key: the items' FOV mask key.

    Raises:
        ValueError: the folder does not exist or holds no image, an image or mask is unreadable, an image has no
            mask or FOV mask, or a mask's size differs from its image's.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (8, 6)).save(folder / "a.bmp")
        >>> [Path(item["image"]).name for item in image_folder_datalist(folder)]
        ['a.bmp']
    """
    folder = Path(dataset_dir)
    if not folder.is_dir():
        raise ValueError(f"dataset_dir {folder} is not a folder.")
    files = _images(folder)
    if not files:
        raise ValueError(f"dataset_dir {folder} holds no image ({', '.join(FOLDER_IMAGE_EXTENSIONS)}).")
    folders = {}
    for arg, value, key, names in (
        ("mask_dir", mask_dir, mask_key, ("{}.png", "{}_seg.png")),
        ("fov_dir", fov_dir, fov_key, FOV_NAMES),
    ):
        if value is not None and str(value) != "":
            if not Path(value).is_dir():
                raise ValueError(f"{arg} {value} is not a folder.")
            folders[arg] = (Path(value), key, names)
    items = []
    for file in files:
        size = image_size(file)
        item = {image_key: str(file)}
        for arg, (folder_, key, names) in folders.items():
            candidates = [folder_ / name.format(file.stem) for name in names]
            found = next((m for m in candidates if m.is_file()), None)
            if found is None:
                raise ValueError(
                    f"{arg} {folder_} has no {' or '.join(m.name for m in candidates)} for image {file.name}."
                )
            mask_size = image_size(found, "mask")
            if mask_size != size:
                raise ValueError(
                    f"mask {found} is {mask_size[0]}x{mask_size[1]} (HxW) but image {file} is {size[0]}x{size[1]}; "
                    "a mask must have its image's size."
                )
            item[key] = str(found)
        items.append(item)
    return items


def ph2_datalist(
    dataset_dir: PathLike,
    split: str = "train",
    image_key: str = RefineKeys.IMAGE,
    label_key: str = RefineKeys.LABEL,
) -> list[dict[str, str]]:
    """The PH2 items of one split of ``dataset_dir/split.csv``: ``images/<name>.jpg`` and ``masks/<name>.png``.

    Any image extension of :data:`FOLDER_IMAGE_EXTENSIONS` is accepted for the images (the published files are
    BMP), the first found in that order.

    Args:
        dataset_dir: the PH2 folder (``images/``, ``masks/``, ``split.csv`` with ``name`` and ``split`` columns).
        split: ``"train"`` or ``"validation"``.
        image_key: the items' image key.
        label_key: the items' mask key.

    Raises:
        ValueError: ``split.csv`` missing, no item of that split, or an image or mask missing.
    """
    root = Path(dataset_dir)
    table = root / "split.csv"
    if not table.is_file():
        raise ValueError(f"dataset_dir {root} has no split.csv (name, clinical_diagnosis, split).")
    with open(table, newline="") as f:
        names = [row["name"] for row in csv.DictReader(f) if row["split"] == split]
    if not names:
        raise ValueError(f"split {split!r} has no item in {table}.")
    items = []
    for name in names:
        image = next(
            (
                root / "images" / f"{name}{e}"
                for e in FOLDER_IMAGE_EXTENSIONS
                if (root / "images" / f"{name}{e}").is_file()
            ),
            None,
        )
        label = root / "masks" / f"{name}.png"
        if image is None or not label.is_file():
            raise ValueError(f"{name} of {table} lacks images/{name}.* or masks/{name}.png in {root}.")
        items.append({image_key: str(image), label_key: str(label)})
    return items


def drive_datalist(
    dataset_dir: PathLike,
    split: str = "train",
    image_key: str = RefineKeys.IMAGE,
    label_key: str = RefineKeys.LABEL,
    fov_key: str = RefineKeys.FOV,
) -> list[dict[str, str]]:
    """The DRIVE items of one split of :data:`DRIVE_SPLITS` (train 21-34, validation 35-40), as published.

    Args:
        dataset_dir: DRIVE's ``training`` folder: ``images/NN_training.tif``, ``1st_manual/NN_manual1.gif``,
            ``mask/NN_training_mask.gif``.
        split: ``"train"`` or ``"validation"``.
        image_key: the items' image key.
        label_key: the items' vessel label key.
        fov_key: the items' field-of-view mask key.

    Raises:
        ValueError: an unknown split, or a file of the split missing.
    """
    if split not in DRIVE_SPLITS:
        raise ValueError(f"split must be one of {sorted(DRIVE_SPLITS)}, got {split!r}.")
    root = Path(dataset_dir)
    items = []
    for n in DRIVE_SPLITS[split]:
        item = {
            image_key: root / "images" / f"{n}_training.tif",
            label_key: root / "1st_manual" / f"{n}_manual1.gif",
            fov_key: root / "mask" / f"{n}_training_mask.gif",
        }
        missing = [str(p) for p in item.values() if not p.is_file()]
        if missing:
            raise ValueError(f"dataset_dir {root} lacks {missing} of DRIVE image {n}.")
        items.append({k: str(v) for k, v in item.items()})
    return items


def hrf_datalist(
    dataset_dir: PathLike,
    indices: Sequence[int] = tuple(range(11, 16)),
    image_key: str = RefineKeys.IMAGE,
    label_key: str = RefineKeys.LABEL,
    fov_key: str = RefineKeys.FOV,
) -> list[dict[str, str]]:
    """The HRF items whose index is in ``indices`` (every class present: ``_dr``, ``_g``, ``_h``), sorted by name.

    Args:
        dataset_dir: the HRF folder: ``images/NN_c.jpg``, ``manual1/NN_c.png``, ``mask/NN_c_mask.png``.
        indices: the image indices, 1-15 (default 11-15, the usual test indices).
        image_key: the items' image key.
        label_key: the items' vessel label key.
        fov_key: the items' field-of-view mask key.

    Raises:
        ValueError: no image of those indices, or an image without its label or FOV mask.
    """
    root = Path(dataset_dir)
    wanted = {f"{int(i):02d}" for i in indices}
    images = []
    if (root / "images").is_dir():
        images = [f for f in _images(root / "images") if f.stem.split("_")[0] in wanted]
    if not images:
        raise ValueError(f"dataset_dir {root} has no images/NN_*.jpg with NN in {sorted(wanted)}.")
    items = []
    for image in images:
        label, fov = root / "manual1" / f"{image.stem}.png", root / "mask" / f"{image.stem}_mask.png"
        if not label.is_file() or not fov.is_file():
            raise ValueError(f"HRF image {image} lacks manual1/{label.name} or mask/{fov.name} in {root}.")
        items.append({image_key: str(image), label_key: str(label), fov_key: str(fov)})
    return items


class SaveMask2D(Transform):
    """Write a foreground probability or mask ``(1, h, w)`` as ``output_dir/<stem><postfix>.png`` at the image's size.

    The map (a probability or a {0, 1} mask) is resized (bilinear) to the height and width of the image file it was
    computed from, thresholded (foreground where ``>= threshold``) and written as uint8 {0, 255}.

    Args:
        output_dir: the output folder, created if needed.
        postfix: appended to the image's stem.
        threshold: foreground where the resized map is ``>= threshold``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (8, 6)).save(folder / "a.jpg")
        >>> out = SaveMask2D(folder)(torch.ones(1, 3, 4), folder / "a.jpg")
        >>> np.asarray(Image.open(out)).shape, int(np.asarray(Image.open(out)).max())
        ((6, 8), 255)
    """

    def __init__(self, output_dir: PathLike, postfix: str = "_seg", threshold: float = 0.5) -> None:
        self.output_dir = Path(output_dir)
        self.postfix = postfix
        self.threshold = float(threshold)

    def __call__(self, img: NdarrayOrTensor, image_path: PathLike) -> Path:
        """Write ``img`` (``(1, h, w)``) for the image file ``image_path``; return the written path."""
        prob = torch.as_tensor(convert_to_numpy(img), dtype=torch.float32)
        if prob.ndim != 3 or prob.shape[0] != 1:
            raise ValueError(f"img must be one (1, H, W) map, got shape {tuple(prob.shape)}.")
        size = image_size(image_path)
        if tuple(prob.shape[1:]) != size:
            prob = torch.nn.functional.interpolate(prob[None], size=size, mode="bilinear", align_corners=False)[0]
        mask = (prob[0] >= self.threshold).numpy().astype(np.uint8) * 255
        self.output_dir.mkdir(parents=True, exist_ok=True)
        out = self.output_dir / f"{Path(image_path).stem}{self.postfix}.png"
        Image.fromarray(mask).save(out)
        return out


class SaveMask2Dd(MapTransform):
    """Dictionary wrapper of :class:`SaveMask2D`; the image path is ``data[image_key].meta["filename_or_obj"]``.

    Args:
        keys: the maps to write (each ``(1, h, w)``).
        image_key: the key whose MetaTensor metadata names the source image file.
        output_dir: see :class:`SaveMask2D`.
        postfix: see :class:`SaveMask2D`.
        threshold: see :class:`SaveMask2D`.
        allow_missing_keys: don't raise an exception if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection,
        image_key: str = RefineKeys.IMAGE,
        output_dir: PathLike = "./output",
        postfix: str = "_seg",
        threshold: float = 0.5,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.image_key = image_key
        self.saver = SaveMask2D(output_dir, postfix, threshold)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        meta = getattr(d[self.image_key], "meta", None)
        if not meta or "filename_or_obj" not in meta:
            raise ValueError(f"{self.image_key} must be a MetaTensor with meta['filename_or_obj'] (its source file).")
        for key in self.key_iterator(d):
            self.saver(d[key], meta["filename_or_obj"])
        return d
