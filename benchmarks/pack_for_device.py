"""Pack the shared training data small enough to travel to a lent GPU machine (64 MiB with the working tree).

What each set becomes (written under ``--out``; point ``train.json``'s ``dataset_dir`` there on the GPU machine):

- ``ph2``: the 150 images resized to 192x256 with MONAI's ``Resize(mode="area")`` (what the bundles' pipeline does
  at that size) and re-encoded as JPEG quality 95; masks resized the same way and thresholded at 0.5; ``split.csv``
  copied. About 3.5 MB. Evaluate on the original images, not on these.
- ``drive``: the 20 training images with their red and blue channels zeroed (the bundle reads the green channel
  only, so its input is unchanged), stored as deflate-compressed TIFF; labels and FOV masks copied. About 5 MB.
- ``ircad``: each patient resampled to 1.25 mm in-plane (bilinear; the mask bilinear then >= 0.5, slices unchanged),
  NIfTI (CT int16 HU, liver mask uint8) and ``dataset.json`` with the lists ``training`` (all), ``patient1`` and
  ``patient17``: read by the liver ``train.json`` with ``--data_list_file_path`` (``--data_list_key`` picks the
  patients); 18.6 MB for the two patients. Used by ``benchmarks/train_liver_on_device.sh``.

Session 8 (2026-11-27) used it with ``benchmarks/train_on_device.sh``; ``docs/results.md`` has the runs.

    python benchmarks/pack_for_device.py --out .gpu/data ph2 drive
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from monai.data import MetaTensor
from monai.transforms import Resize, Spacing
from PIL import Image

from monai_refine.data import load_ircad_volumes, write_nifti
from monai_refine.data.folders2d import ph2_datalist, rgb_converter
from monai_refine.utils import slice_axis_from_affine, spacing_from_affine

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def pack_ph2(src: Path, dst: Path, size: tuple[int, int] = (192, 256)) -> None:
    (dst / "images").mkdir(parents=True, exist_ok=True)
    (dst / "masks").mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "split.csv", dst / "split.csv")
    resize = Resize(size, mode="area")
    for split in ("train", "validation"):
        for item in ph2_datalist(src, split):
            rgb = np.asarray(rgb_converter(Image.open(item["image"])), dtype=np.float32) / 255.0
            small = resize(torch.from_numpy(rgb).permute(2, 0, 1)).numpy().transpose(1, 2, 0)
            name = Path(item["image"]).stem
            Image.fromarray(np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)).save(
                dst / "images" / f"{name}.jpg", quality=95
            )
            label = np.asarray(Image.open(item["label"]), dtype=np.float32)[None] / 255.0
            mask = resize(torch.from_numpy(label)).numpy()[0] >= 0.5
            Image.fromarray((mask * 255).astype(np.uint8)).save(dst / "masks" / f"{name}.png")


def pack_drive(src: Path, dst: Path) -> None:
    for sub in ("1st_manual", "mask"):
        shutil.copytree(src / sub, dst / sub, dirs_exist_ok=True)
    (dst / "images").mkdir(parents=True, exist_ok=True)
    for f in sorted((src / "images").glob("*.tif")):
        rgb = np.asarray(Image.open(f).convert("RGB")).copy()
        rgb[..., 0] = 0
        rgb[..., 2] = 0
        Image.fromarray(rgb).save(dst / "images" / f.name, compression="tiff_adobe_deflate")


def pack_ircad(src: Path, dst: Path, patients: list[str], spacing_mm: float = 1.25) -> None:
    """Each patient resampled in-plane to ``spacing_mm`` as NIfTI (CT int16 HU, liver mask uint8) and ``dataset.json``
    listing them: the liver ``train.json`` reads it with ``--data_list_file_path`` (``--data_list_key`` ``training``
    for all, or a patient's name for that patient alone)."""
    dst.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[dict]] = {"training": []}
    for patient in patients:
        ((image, mask),) = load_ircad_volumes(src, [patient])
        pixdim = np.full(3, spacing_mm)
        axis = slice_axis_from_affine(image.affine)
        pixdim[axis] = spacing_from_affine(image.affine)[axis]  # in-plane only: the slices stay as they are
        resample = Spacing(pixdim=pixdim.tolist(), mode="bilinear")
        image, label = resample(image.float()), resample(mask.float())
        hu = MetaTensor(torch.round(image.as_tensor()).clamp(-1024, 3071).to(torch.int16), meta=image.meta)
        liver = MetaTensor((label.as_tensor() >= 0.5).to(torch.uint8), meta=label.meta)
        item = {"image": f"{patient}_ct.nii.gz", "label": f"{patient}_liver.nii.gz"}
        write_nifti(hu, dst / item["image"], overwrite=True)
        write_nifti(liver, dst / item["label"], overwrite=True)
        lists["training"].append(item)
        lists[patient] = [item]
    (dst / "dataset.json").write_text(json.dumps(lists, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", choices=("ph2", "drive", "ircad"))
    parser.add_argument("--out", required=True, help="an ignored folder of the checkout (name it in `carry`)")
    parser.add_argument("--shared", default=str(SHARED))
    parser.add_argument("--patients", nargs="+", default=["patient1", "patient17"])
    args = parser.parse_args()
    shared, out = Path(args.shared), Path(args.out)
    if "ph2" in args.sets:
        pack_ph2(shared / "dermoscopy" / "ph2", out / "ph2")
    if "drive" in args.sets:
        pack_drive(shared / "retina" / "drive" / "training", out / "drive")
    if "ircad" in args.sets:
        pack_ircad(shared / "ircad", out / "ircad", args.patients)


if __name__ == "__main__":
    main()
