"""Score the PH2 bundles and the stock BasicUNet control on the fixed validation split, at full image resolution.

Every row runs a bundle's own ``inference.json`` (the 2D folder contract) on the 30 validation images, reads the
written ``<stem>_seg.png`` masks and compares them with ``masks/<stem>.png`` (Dice and Jaccard per image, then the
mean). ``ms/image`` is the evaluator's run time (read, resize, network, post-processing, PNG writing) divided by the
number of images, with ``torch.set_num_threads(--threads)``; model loading and config parsing are not counted.

    python benchmarks/eval_ph2.py --dataset_dir ../shared/data/dermoscopy/ph2 --out docs/ph2_results.json \\
        --control_root CONTROL_BUNDLE_ROOT
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
from monai.bundle import ConfigWorkflow
from PIL import Image

from monai_refine.data.folders2d import ph2_datalist
from monai_refine.transforms.lesion import OtsuLesionMask

REPO = Path(__file__).resolve().parents[1]
BUNDLES = REPO / "bundles"


def scores(out_dir: Path, items: list[dict]) -> tuple[float, float]:
    """Mean Dice and Jaccard of ``out_dir/<stem>_seg.png`` against the items' labels (full resolution)."""
    dice, jaccard = [], []
    for item in items:
        stem = Path(item["image"]).stem
        pred = np.asarray(Image.open(out_dir / f"{stem}_seg.png")) > 127
        label = np.asarray(Image.open(item["label"]).convert("L")) > 127
        inter, total = np.logical_and(pred, label).sum(), pred.sum() + label.sum()
        dice.append(2 * inter / total if total else 1.0)
        jaccard.append(inter / (total - inter) if total else 1.0)
    return float(np.mean(dice)), float(np.mean(jaccard))


def infer(config: list[str], bundle_root: Path, images: Path, out: Path, threads: int, **override) -> float:
    """Run a bundle's inference on ``images`` into ``out``; return the evaluator's ms per image."""
    workflow = ConfigWorkflow(
        config_file=config,
        meta_file=str(BUNDLES / "ph2_lesion_iterative" / "configs" / "metadata.json"),
        workflow_type="infer",
        bundle_root=str(bundle_root),
        dataset_dir=str(images),
        output_dir=str(out),
        num_threads=threads,
        **override,
    )
    workflow.initialize()
    n = len(list(images.iterdir()))
    start = time.perf_counter()
    workflow.run()
    elapsed = time.perf_counter() - start
    workflow.finalize()
    return 1000 * elapsed / n


def otsu(items: list[dict], out: Path) -> float:
    """The weak classical masks (Otsu + largest component + hole filling) at full resolution; ms per image."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for item in items:
        rgb = np.moveaxis(np.asarray(Image.open(item["image"]).convert("RGB"), dtype=np.float32), -1, 0)
        mask = np.asarray(OtsuLesionMask()(rgb))[0]
        Image.fromarray((mask * 255).astype(np.uint8)).save(out / f"{Path(item['image']).stem}_seg.png")
    return 1000 * (time.perf_counter() - start) / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset_dir", default=str(REPO.parent / "shared" / "data" / "dermoscopy" / "ph2"))
    parser.add_argument("--control_root", help="bundle_root whose models/model.pt is the control's weights")
    parser.add_argument("--bundle_root", default=None, help="root of the three bundles (default: bundles/)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="ph2_results.json")
    parser.add_argument(
        "--rows", default="control,iterative,otsu,quality,cdnn", help="comma-separated groups of rows to compute"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    roots = Path(args.bundle_root) if args.bundle_root else BUNDLES
    items = ph2_datalist(args.dataset_dir, "validation")
    work = Path(tempfile.mkdtemp(prefix="eval_ph2_"))
    images = work / "images"
    images.mkdir()
    for item in items:
        os.symlink(os.path.abspath(item["image"]), images / Path(item["image"]).name)
    rows: list[dict] = []

    def row(method: str, out: Path, ms: float, paper: str) -> None:
        dice, jaccard = scores(out, items)
        rows.append({"method": method, "dice": dice, "jaccard": jaccard, "ms_per_image": ms, "paper": paper})
        print(f"| {method} | {dice:.4f} | {jaccard:.4f} | {ms:.0f} | {paper} |", flush=True)

    def cfg(name: str) -> str:
        return str(BUNDLES / name / "configs" / "inference.json")

    it, q, cd = "ph2_lesion_iterative", "ph2_lesion_quality_refinement", "ph2_lesion_cdnn"
    groups = set(args.rows.split(","))
    if args.control_root and "control" in groups:
        ms = infer(
            [cfg(it), str(REPO / "benchmarks" / "infer_ph2_control.json")],
            Path(args.control_root),
            images,
            work / "control",
            args.threads,
        )
        row("stock MONAI BasicUNet, DiceCELoss (control)", work / "control", ms, "0.946 at 192x256, 400 epochs (issue)")
    if (roots / it / "models" / "model.pt").is_file() and groups & {"iterative", "quality"}:
        ms = infer([cfg(it)], roots / it, images, work / "it1", args.threads, max_steps=1)
        row("iterative (paper 000), after step 1", work / "it1", ms, "U-Net 0.924")
        ms = infer([cfg(it)], roots / it, images, work / "it", args.threads)
        row("iterative (paper 000), convergence stop", work / "it", ms, "0.940")
    ms = otsu(items, work / "otsu")
    row("weak classical mask: Otsu + largest component + hole filling", work / "otsu", ms, "")
    if (roots / q / "models" / "model.pt").is_file() and "quality" in groups:
        bases = [("Otsu mask", work / "otsu")]
        if (work / "it").is_dir():
            bases.append(("iterative output", work / "it"))
        for base, mask_dir in bases:
            for k, (label, override) in enumerate(
                (
                    ("after 1 step", {"max_steps": 1, "tolerance": 0.0, "inferer#quality_key": None}),
                    ("after 2 steps", {"max_steps": 2, "tolerance": 0.0, "inferer#quality_key": None}),
                    ("quality stop (default, paper 002's rule)", {}),
                    ("quality stop with a 0.02 margin (not adopted)", {"min_quality_gain": 0.02}),
                )
            ):
                out = work / f"q_{base.split()[0]}_{k}"
                ms = infer([cfg(q)], roots / q, images, out, args.threads, mask_dir=str(mask_dir), **override)
                row(f"quality refinement (paper 002) of the {base}, {label}", out, ms, "83.2 -> 90.4 (PH2)")
    if (roots / cd / "models" / "model.pt").is_file() and "cdnn" in groups:
        plain = json.loads((BUNDLES / cd / "configs" / "inference.json").read_text())["postprocessing"]["transforms"]
        plain = [t for t in plain if "DualThreshold" not in t["_target_"]]  # sigmoid, then SaveMask2Dd at 0.5
        ms = infer(
            [cfg(cd)],
            roots / cd,
            images,
            work / "cdnn_plain",
            args.threads,
            **{"postprocessing#transforms": plain},
        )
        row("CDNN (paper 003), threshold 0.5", work / "cdnn_plain", ms, "Jaccard 0.765 (ISIC 2017)")
        ms = infer([cfg(cd)], roots / cd, images, work / "cdnn", args.threads)
        row("CDNN (paper 003), dual threshold", work / "cdnn", ms, "Jaccard 0.765 (ISIC 2017)")
    Path(args.out).write_text(json.dumps({"rows": rows, "threads": args.threads, "images": len(items)}, indent=2))


if __name__ == "__main__":
    main()
