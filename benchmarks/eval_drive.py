"""Score the DRIVE vessel bundle on DRIVE validation (35-40) and HRF 11-15, inside the field of view.

For every checkpoint given (``--checkpoint NAME=PATH``, e.g. the default-loss and the clDice-loss runs) the bundle's own
``inference.json`` pieces are used: network, ``load_image`` / ``load_fov`` / ``normalize_image`` transforms, and the
``IterativeRefinementInferer`` with its sliding window. Rows:

- DRIVE validation 35-40 from the 0.5 map, after the first step and after the convergence stop: Dice, sensitivity,
  specificity and accuracy of the map thresholded at 0.5, AUC of the soft map (MONAI ``ROCAUCMetric``), all computed
  on the pixels inside the published FOV mask, per image, then the mean over the six images;
- refinement of degraded labels: each validation label perturbed by ``RandMaskPerturb`` (the HRF vessel ranges of
  ``benchmarks/bench_perturb.py``, ``dice_range=(0.6, 0.8)``, ``set_random_state(i)`` for the i-th image) is the
  first prior; Dice inside the FOV before, after step 1 and after the convergence stop;
- HRF 11-15 (the 12 images there; 4x downsampled, 876x584): each image and its FOV mask are resized by
  ``s = (DRIVE's median FOV width over training images 21-34) / (the image's FOV width)`` (both sets have a 45
  degree field of view, so this matches the anatomy), segmented, and the map is resized back (bilinear) and scored at
  HRF's resolution inside its FOV; the same with ``s = 1`` (no resampling) for comparison;
- inference time: the bundle's inference (``--dataset_dir``, ``--fov_dir``) on the six validation images through
  ``monai.bundle.ConfigWorkflow``, evaluator run time per image (read, network, PNG writing), with
  ``torch.set_num_threads(--threads)`` and the 1-minute load average before and after.

    python benchmarks/eval_drive.py --checkpoint dice=bundles/drive_vessel_iterative/models/model.pt \\
        --checkpoint cldice=CLDICE_RUN/models/model.pt --out drive_results.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_perturb import VESSEL_RANGES  # benchmarks/ is on sys.path when this script runs
from monai.bundle import ConfigParser, ConfigWorkflow
from monai.metrics import ROCAUCMetric
from monai.transforms import Compose, Resized
from monai.utils import convert_to_tensor
from PIL import Image

from monai_refine.data import parse_config_override
from monai_refine.data.folders2d import drive_datalist, hrf_datalist
from monai_refine.inferers import IterativeRefinementInferer
from monai_refine.transforms import RandMaskPerturb

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "bundles" / "drive_vessel_iterative"
DATA = REPO.parent / "shared" / "data" / "retina"
#: ``benchmarks/bench_perturb.py``'s HRF vessel ranges (pixels), docs/results.md "Achieved Dice on real masks"
VESSEL_PERTURBATION = {**VESSEL_RANGES, "spacing": 1.0}


def read_mask(path: str) -> np.ndarray:
    """A GIF/PNG mask as a bool ``(H, W)`` array (``> 127`` after conversion to grey)."""
    return np.asarray(Image.open(path).convert("L")) > 127


def fov_width(path: str) -> int:
    """The horizontal diameter in pixels of a FOV mask (the number of columns it touches)."""
    return int(read_mask(path).any(axis=0).sum())


def scores(prob: np.ndarray, label: np.ndarray, fov: np.ndarray) -> dict[str, float]:
    """Dice, sensitivity, specificity, accuracy at 0.5, and the AUC of ``prob``, on the pixels inside ``fov``."""
    p, y = prob[fov], label[fov]
    pred = p >= 0.5
    tp, fp = float((pred & y).sum()), float((pred & ~y).sum())
    fn, tn = float((~pred & y).sum()), float((~pred & ~y).sum())
    auc = ROCAUCMetric()
    auc(torch.as_tensor(p, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32))
    return {
        "dice": 2 * tp / (2 * tp + fp + fn),
        "sen": tp / (tp + fn),
        "spe": tn / (tn + fp),
        "acc": (tp + tn) / (tp + tn + fp + fn),
        "auc": float(auc.aggregate()),
    }


def dice_in(a: np.ndarray, b: np.ndarray, fov: np.ndarray) -> float:
    a, b = a[fov], b[fov]
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


class Bundle:
    """The DRIVE bundle's network (with ``checkpoint``), preprocessing and iterative inferer."""

    def __init__(self, checkpoint: str, bundle_root: Path = BUNDLE, overrides: dict | None = None) -> None:
        self.parser = ConfigParser()
        self.parser.read_config(str(bundle_root / "configs" / "inference.json"))
        self.parser["bundle_root"] = str(bundle_root)
        for key, value in (overrides or {}).items():
            self.parser[key] = value
        self.network = self.parser.get_parsed_content("network_def")
        self.network.load_state_dict(torch.load(checkpoint, map_location="cpu"), strict=True)
        self.network.eval()
        self.sliding_window = self.parser.get_parsed_content("sliding_window")
        self.max_steps = self.parser.get_parsed_content("max_steps")
        self.tolerance = self.parser.get_parsed_content("tolerance")

    def transforms(self, resize: float = 1.0, size: tuple[int, int] | None = None) -> Compose:
        """``load_image + load_fov (+ resize) + normalize_image`` of the bundle, for items with a ``fov`` path."""
        load = self.parser.get_parsed_content("load_image") + self.parser.get_parsed_content("load_fov")
        if resize != 1.0 and size is not None:
            new = [max(1, round(s * resize)) for s in size]
            load += [
                Resized("image", new, mode="area"),
                Resized("fov", new, mode="nearest"),
            ]
        return Compose(load + self.parser.get_parsed_content("normalize_image"))

    def infer(self, image: torch.Tensor, prior: torch.Tensor | None, max_steps: int) -> np.ndarray:
        """The foreground probability ``(H, W)`` after at most ``max_steps`` steps from ``prior`` (default 0.5)."""
        inferer = IterativeRefinementInferer(
            max_steps=max_steps, tolerance=self.tolerance, inferer=self.sliding_window, return_probability=True
        )
        batch = convert_to_tensor(image, dtype=torch.float32, track_meta=False)[None]
        with torch.inference_mode():
            out = inferer(batch, self.network, prior=None if prior is None else prior[None])
        return out[0, 0].numpy()


def drive_rows(bundle: Bundle, dataset_dir: str) -> dict:
    items = drive_datalist(dataset_dir, "validation")
    chain = bundle.transforms()
    rows: dict[str, list] = {"first": [], "final": [], "degraded": [], "refined_first": [], "refined_final": []}
    perturb = RandMaskPerturb(dice_range=(0.6, 0.8), **VESSEL_PERTURBATION)
    for i, item in enumerate(items):
        data = chain(dict(item))
        label, fov = read_mask(item["label"]), read_mask(item["fov"])
        rows["first"].append(scores(bundle.infer(data["image"], None, 1), label, fov))
        rows["final"].append(scores(bundle.infer(data["image"], None, bundle.max_steps), label, fov))
        perturb.set_random_state(i)
        degraded = np.asarray(perturb(label[None].astype(np.uint8)))[0] > 0
        prior = torch.as_tensor(degraded[None], dtype=torch.float32)
        rows["degraded"].append(dice_in(degraded, label, fov))
        rows["refined_first"].append(dice_in(bundle.infer(data["image"], prior, 1) >= 0.5, label, fov))
        rows["refined_final"].append(dice_in(bundle.infer(data["image"], prior, bundle.max_steps) >= 0.5, label, fov))
    return rows


def hrf_rows(bundle: Bundle, hrf_dir: str, drive_dir: str) -> dict:
    drive_width = float(np.median([fov_width(item["fov"]) for item in drive_datalist(drive_dir, "train")]))
    rows: dict[str, list] = {"fov_matched": [], "native": [], "scale": []}
    for item in hrf_datalist(hrf_dir):
        label, fov = read_mask(item["label"]), read_mask(item["fov"])
        scale = drive_width / fov_width(item["fov"])
        rows["scale"].append(scale)
        for key, s in (("fov_matched", scale), ("native", 1.0)):
            data = bundle.transforms(s, label.shape)(dict(item))
            prob = torch.as_tensor(bundle.infer(data["image"], None, bundle.max_steps))[None, None]
            prob = torch.nn.functional.interpolate(prob, size=label.shape, mode="bilinear", align_corners=False)
            rows[key].append(scores(prob[0, 0].numpy(), label, fov))
    return rows


def timing(checkpoint: str, dataset_dir: str, threads: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="eval_drive_"))
    images = work / "images"
    images.mkdir()
    items = drive_datalist(dataset_dir, "validation")
    for item in items:
        os.symlink(os.path.abspath(item["image"]), images / Path(item["image"]).name)
    workflow = ConfigWorkflow(
        config_file=str(BUNDLE / "configs" / "inference.json"),
        meta_file=str(BUNDLE / "configs" / "metadata.json"),
        workflow_type="infer",
        bundle_root=str(BUNDLE),
        dataset_dir=str(images),
        fov_dir=str(Path(dataset_dir) / "mask"),
        output_dir=str(work / "out"),
        checkpoint=checkpoint,
        num_threads=threads,
    )
    workflow.initialize()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    workflow.run()
    elapsed = time.perf_counter() - start
    workflow.finalize()
    written = sorted(p.name for p in (work / "out").iterdir())
    return {
        "s_per_image": elapsed / len(items),
        "threads": threads,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "written": written,
    }


def mean(rows: list[dict]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", action="append", required=True, help="NAME=PATH, repeatable")
    parser.add_argument("--drive", default=str(DATA / "drive" / "training"))
    parser.add_argument("--hrf", default=str(DATA / "hrf"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timing_threads", type=int, default=2)
    parser.add_argument("--parts", default="drive,hrf,timing", help="comma-separated parts to run: drive, hrf, timing")
    parser.add_argument("--out", default="drive_results.json")
    parser.add_argument(
        "--set",
        nargs="+",
        type=parse_config_override,
        default=[],
        metavar="ID=JSON",
        help="inference.json overrides for every checkpoint, e.g. channels='[\"rgb\"]' in_channels=4 for RGB weights",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = set(args.parts.split(","))
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.is_file() else {}  # parts run before are kept
    for spec in args.checkpoint:
        name, path = spec.split("=", 1)
        bundle = Bundle(path, overrides=dict(args.set))
        result = results.setdefault(name, {})
        result["checkpoint"] = path
        if "drive" in parts:
            start = time.perf_counter()
            drive = drive_rows(bundle, args.drive)
            result["drive"] = drive
            result["drive_mean"] = {
                k: mean(v) if isinstance(v[0], dict) else float(np.mean(v)) for k, v in drive.items()
            }
            result["drive_s"] = time.perf_counter() - start
            out.write_text(json.dumps(results, indent=2) + "\n")
        if "hrf" in parts:
            start = time.perf_counter()
            hrf = hrf_rows(bundle, args.hrf, args.drive)
            result["hrf"] = hrf
            result["hrf_mean"] = {
                "fov_matched": mean(hrf["fov_matched"]),
                "native": mean(hrf["native"]),
                "scale": float(np.mean(hrf["scale"])),
            }
            result["hrf_s"] = time.perf_counter() - start
            out.write_text(json.dumps(results, indent=2) + "\n")
        if "timing" in parts:
            result["timing"] = timing(path, args.drive, args.timing_threads)
            out.write_text(json.dumps(results, indent=2) + "\n")
        print(table(name, result), flush=True)


def table(name: str, result: dict) -> str:
    """The markdown rows of one checkpoint's results."""
    rows = []
    metric = "| {} | {} | {dice:.4f} | {sen:.4f} | {spe:.4f} | {acc:.4f} | {auc:.4f} |"
    for key in ("first", "final"):
        if key in result.get("drive_mean", {}):
            rows.append(metric.format(name, f"DRIVE 35-40, {key} step", **result["drive_mean"][key]))
    for key in ("fov_matched", "native"):
        if key in result.get("hrf_mean", {}):
            rows.append(metric.format(name, f"HRF 11-15, {key}", **result["hrf_mean"][key]))
    if "drive_mean" in result:
        m = result["drive_mean"]
        rows.append(
            f"| {name} | degraded labels: Dice {m['degraded']:.4f} -> step 1 {m['refined_first']:.4f} -> "
            f"final {m['refined_final']:.4f} |"
        )
    if "timing" in result:
        rows.append(f"| {name} | timing | {result['timing']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
