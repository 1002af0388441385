"""Choose the quality refiner's acceptance margin (``min_quality_gain``) on the PH2 training split, then score it.

1. Base masks on the ``train`` and ``validation`` splits, by the bundles' own ``inference.json``: the strong outputs
   of ``ph2_lesion_cdnn`` and ``ph2_lesion_iterative``, and the weak Otsu mask.
2. ``ph2_lesion_quality_refinement``'s network on each base mask for 4 fixed steps (the bundle's preprocessing and
   weights): the predicted quality ``q_k`` of each mask ``S_k`` (``S_0`` the given one) and the full-resolution Dice
   of each ``S_k`` as the bundle writes it (bilinear back to the image size, >= 0.5).
3. The bundle's stop rule (at most 3 steps; call ``t`` keeps ``S_{t-1}`` while ``q_{t-1} >= q_{t-2} + margin``)
   replayed for each margin, mean Dice per split and base mask; and the correlation of the predicted with the true
   change after one step. The margin is read off the ``train`` rows; the ``validation`` rows are the check (0.02
   was read off the train rows and failed the check: the bundle keeps no margin, see its README).

    python benchmarks/ph2_quality_margin.py [--dataset_dir ../shared/data/dermoscopy/ph2] [--work DIR] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from monai.bundle import ConfigParser
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_ph2 import BUNDLES, REPO, infer, otsu, scores  # noqa: E402

from monai_refine.data.folders2d import ph2_datalist  # noqa: E402
from monai_refine.metrics import dice_coefficient  # noqa: E402

MARGINS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1)
QUALITY = BUNDLES / "ph2_lesion_quality_refinement"


def base_masks(dataset_dir: str, split: str, work: Path, threads: int) -> list[dict]:
    """Link the split's images into ``work/split/images`` and write the three base masks' folders beside them."""
    items = ph2_datalist(dataset_dir, split)
    images = work / split / "images"
    images.mkdir(parents=True, exist_ok=True)
    for item in items:
        link = images / Path(item["image"]).name
        if not link.exists():
            os.symlink(os.path.abspath(item["image"]), link)
    for name, bundle in (("cdnn", "ph2_lesion_cdnn"), ("it", "ph2_lesion_iterative")):
        infer(
            [str(BUNDLES / bundle / "configs" / "inference.json")],
            BUNDLES / bundle,
            images,
            work / split / name,
            threads,
        )
    otsu(items, work / split / "otsu")
    return items


def steps(items: list[dict], images: Path, masks: Path, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Predicted qualities ``(N, n)`` of ``S_0..S_{n-1}`` and their full-resolution Dice ``(N, n)``."""
    parser = ConfigParser()
    parser.read_config(str(QUALITY / "configs" / "inference.json"))
    parser.update({"bundle_root": str(QUALITY), "dataset_dir": str(images), "mask_dir": str(masks)})
    preprocessing, network = parser.get_parsed_content("preprocessing"), parser.get_parsed_content("network")
    network.load_state_dict(torch.load(QUALITY / "models" / "model.pt", map_location="cpu", weights_only=True))
    network.eval()
    by_stem = {Path(d["image"]).stem: d for d in parser.get_parsed_content("datalist")}
    qualities, dices = [], []
    with torch.inference_mode():
        for item in items:
            data = preprocessing(dict(by_stem[Path(item["image"]).stem]))
            label = np.asarray(Image.open(item["label"]).convert("L")) > 127
            image, prior = data["image"][None].float(), data["prior"][None].float()
            q, d = [], []
            for _ in range(n):
                out = network(torch.cat([image, prior], 1))
                up = torch.nn.functional.interpolate(prior, size=label.shape, mode="bilinear", align_corners=False)
                d.append(dice_coefficient(up[0, 0].numpy() >= 0.5, label))
                q.append(float(out["quality"].reshape(-1)[0]))
                prior = torch.sigmoid(out["mask"])
            qualities.append(q)
            dices.append(d)
    return np.asarray(qualities), np.asarray(dices)


def stop_rule(q: np.ndarray, d: np.ndarray, margin: float, max_steps: int = 3) -> float:
    """Mean Dice of what ``IterativeRefinementInferer(max_steps, min_quality_gain=margin)`` returns."""
    out = []
    for qi, di in zip(q, d):
        kept = next((t - 2 for t in range(2, max_steps + 1) if qi[t - 1] < qi[t - 2] + margin), max_steps)
        out.append(di[kept])
    return float(np.mean(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset_dir", default=str(REPO.parent / "shared" / "data" / "dermoscopy" / "ph2"))
    parser.add_argument("--work", default=None, help="folder for the masks (default: a new temporary one)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(args.work or tempfile.mkdtemp(prefix="ph2_margin_"))
    print(
        "| split | mask given | Dice | " + " | ".join(f"margin {m}" for m in MARGINS) + " | corr(dq, dDice), 1 step |"
    )
    print("|---" * (len(MARGINS) + 4) + "|")
    for split in ("train", "validation"):
        items = base_masks(args.dataset_dir, split, work, args.threads)
        for base in ("cdnn", "it", "otsu"):
            q, d = steps(items, work / split / "images", work / split / base)
            given = scores(work / split / base, items)[0]  # the given mask itself, at full resolution
            corr = np.corrcoef(q[:, 1] - q[:, 0], d[:, 1] - d[:, 0])[0, 1]
            rules = " | ".join(f"{stop_rule(q, d, m):.4f}" for m in MARGINS)
            print(f"| {split} | {base} | {given:.4f} | {rules} | {corr:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
