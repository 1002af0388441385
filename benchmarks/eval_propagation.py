"""Slice-by-slice liver propagation on a full IRCAD patient: 3D Dice, SEN, PPV, extent and ms/slice per method.

Starts from the middle liver slice (its expert mask is the only annotation) and propagates both ways. Rows: the
classical presets (tuned on the upward half of patient 17), and, when checkpoints are given, the stock MONAI
BasicUNet control (stops only when the mask vanishes or shrinks below 10 %) and RefineNet without and with the
learned quality stop and the growth bound, all loaded through the bundle's ``inference.json`` (the path the CLI
and ``monai.bundle run`` use). "first/last" are the first and last slice of the result against the reference's.
ms/slice is wall time per visited slice; CPU ms/slice is this process's CPU time per slice (with one torch thread,
the cost on one free core: less sensitive to other jobs on a shared machine). ``--clicks 0 1 3 5`` adds simulated
corrections (:func:`simulate_corrections`) and ``--curve FILE.png`` plots them.

Run::

    python benchmarks/eval_propagation.py --data ../shared/data/ircad/patient17 \\
        --trained-on patient1 --refinenet p1_refinenet.pt --control p1_control.pt [--markdown]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from monai_refine.data import load_ircad_patient, load_propagation_bundle, parse_config_override
from monai_refine.inferers import (
    PRESETS,
    GraphCutSegmenter,
    SlicePropagator,
    annotate_slices,
    middle_slice,
    propagation_preset,
    resolve_slice_axis,
)
from monai_refine.metrics import overlap_scores
from monai_refine.transforms import DiscrepancySeeds

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ircad" / "patient17"
BUNDLE = ROOT / "bundles" / "liver_ct_slice_propagation"


def _extent(mask: np.ndarray) -> tuple[int, int]:
    present = np.flatnonzero(mask.reshape(-1, mask.shape[-1]).any(0))
    return (int(present[0]), int(present[-1])) if present.size else (-1, -1)


def simulate_corrections(propagator, segmenter, image, annotation, reference, clicks, slice_axis=2, stroke=False):
    """Dice after each of ``max(clicks)`` simulated corrections (kept for the counts in ``clicks``).

    Each correction goes on the worst slice of the current result (the most wrongly labelled voxels), on that slice's
    largest error component (:class:`~monai_refine.transforms.DiscrepancySeeds`): one skeleton voxel of it (a
    click, ``max_seeds_per_component=1``) or, with ``stroke``, its whole skeleton (a stroke along the middle of the
    error); foreground on a miss, background on a leak. The whole volume is then propagated again from the
    annotation with all corrections so far as user seeds.
    """
    truth = np.asarray(reference[0]) > 0
    seeds = np.zeros((2, *truth.shape), dtype=np.uint8)
    dice = {}
    for count in range(max(clicks) + 1):
        mask = propagator(image, segmenter, annotation=annotation, seeds=seeds if count else None)
        result = np.asarray(mask[0]) > 0
        if count in clicks:
            dice[count] = round(float(overlap_scores(result[None], truth[None])["dice"]), 4)
        pred_slices, truth_slices = np.moveaxis(result, slice_axis, 0), np.moveaxis(truth, slice_axis, 0)
        worst = int((pred_slices != truth_slices).sum((1, 2)).argmax())
        pred, label = pred_slices[worst], truth_slices[worst]
        # DiscrepancySeeds labels misses and leaks apart: keep only the largest component of either kind
        sizes = [np.bincount(ndimage.label(e)[0].ravel())[1:] for e in (pred & ~label, label & ~pred)]
        largest = max((int(s.max()) for s in sizes if s.size), default=0)
        if largest == 0:
            break
        clicker = DiscrepancySeeds(min_component_size=largest, max_seeds_per_component=None if stroke else 1)
        click = np.asarray(clicker.set_random_state(count)(pred[None], label[None])) > 0
        np.moveaxis(seeds, slice_axis + 1, 1)[:, worst] |= click.astype(np.uint8)
    return dice


def _network_runs(args) -> list[tuple[str, str, object, object]]:
    """(name, trained on, segmenter, propagator) of the learned methods given on the command line."""
    runs = []
    base = {"device": args.device, **dict(args.set or [])}
    if args.control:
        overrides = {**base, "checkpoint": str(args.control), "min_quality": None, "max_growth": None}
        segmenter, propagator = load_propagation_bundle(
            args.bundle, ("inference.json", "control_inference.json"), overrides
        )
        runs.append(("BasicUNet control (stops: vanished / <10 %)", args.trained_on, segmenter, propagator))
    for entry in args.refinenet or []:
        label, _, path = entry.rpartition("=")
        net = f"RefineNet ({label})" if label else "RefineNet"
        variants = [
            (f"{net}, no quality stop", None, None),
            (f"{net} + quality stop (q < {args.min_quality})", args.min_quality, None),
            (f"{net} + growth bound (> {args.max_growth}×)", None, args.max_growth),
            (f"{net} + quality stop + growth bound", args.min_quality, args.max_growth),
        ]
        for name, min_quality, max_growth in [v for i, v in enumerate(variants) if str(i) in args.variants]:
            overrides = {**base, "checkpoint": path, "min_quality": min_quality, "max_growth": max_growth}
            segmenter, propagator = load_propagation_bundle(args.bundle, ("inference.json",), overrides)
            runs.append((name, args.trained_on, segmenter, propagator))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="IRCAD patient folder")
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help="the liver slice-propagation bundle")
    parser.add_argument(
        "--refinenet",
        nargs="+",
        metavar="[LABEL=]PATH",
        help="RefineNet weights (the bundle's network_def); several, labelled LABEL=PATH, are compared row by row",
    )
    parser.add_argument("--control", type=Path, help="BasicUNet control weights (control_inference.json)")
    parser.add_argument("--trained-on", default="?", help="which patient(s) trained the given weights")
    parser.add_argument("--min-quality", type=float, default=0.5)
    parser.add_argument("--max-growth", type=float, default=1.5)
    parser.add_argument(
        "--intensity-fence",
        type=float,
        nargs="*",
        default=[],
        help="also run each classical preset with SlicePropagator(intensity_fence=K) for each K given",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--set",
        nargs="+",
        type=parse_config_override,
        metavar="ID=JSON",
        help="inference.json overrides for every network row, e.g. prior_stroke_mm=5.0 for weights trained with it",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: no spinning on a loaded machine)")
    parser.add_argument("--variants", default="0123", help="RefineNet rows: 0 none, 1 quality, 2 growth, 3 both")
    parser.add_argument(
        "--presets",
        nargs="*",
        choices=[*PRESETS, "untuned"],
        default=[*PRESETS, "untuned"],
        help="which classical rows to run ('untuned': the graph cut before tuning); none given: networks only",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument(
        "--clicks", type=int, nargs="*", default=[], help="simulated corrections: Dice after these click counts"
    )
    parser.add_argument("--curve", type=Path, help="with --clicks: plot Dice against clicks to this PNG")
    parser.add_argument("--stroke", action="store_true", help="with --clicks: each correction is a stroke, not a click")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    image, reference = load_ircad_patient(args.data)
    ref_first, ref_last = _extent(reference[0].numpy())
    start = middle_slice(reference)
    annotation = annotate_slices(reference, [start])
    runs = []
    for name in [p for p in PRESETS if p in args.presets]:
        segmenter, kwargs = propagation_preset(name)
        runs.append((f"{name} preset", "- (tuned on p17, upper half)", segmenter, SlicePropagator(**kwargs)))
        for fence in args.intensity_fence:
            label = f"{name} preset + intensity fence {fence:g}"
            runs.append(
                (label, "- (tuned on p17, upper half)", segmenter, SlicePropagator(**kwargs, intensity_fence=fence))
            )
    if "untuned" in args.presets:
        naive = GraphCutSegmenter(lambda_=1.0, sigma=0.05, shape_weight=0.0)
        runs.append(("graph-cut, untuned (λ=1, σ=0.05, no shape term)", "-", naive, SlicePropagator(margin_mm=5.0)))
    runs += _network_runs(args)

    tested = args.data.name
    print(f"{args.data}: {tuple(image.shape[1:])} voxels, start slice {start}, liver on slices {ref_first}-{ref_last}")
    rows = []
    for name, trained_on, segmenter, propagator in runs:
        tic, cpu = time.perf_counter(), time.process_time()
        mask, history = propagator(image, segmenter, annotation=annotation, return_history=True)
        seconds, cpu_seconds = time.perf_counter() - tic, time.process_time() - cpu
        scores = overlap_scores(mask, reference)
        first, last = _extent(np.asarray(mask[0]))
        stops = {r.direction: f"{r.index}:{r.stop_reason}" for r in history if r.stop_reason}
        rows.append(
            {
                "method": name,
                "trained_on": trained_on,
                "tested_on": tested,
                "dice": round(float(scores["dice"]), 3),
                "sensitivity": round(float(scores["sensitivity"]), 3),
                "ppv": round(float(scores["ppv"]), 3),
                "first": first,
                "last": last,
                "reference": [ref_first, ref_last],
                "ms_per_slice": round(seconds / len(history) * 1e3, 1),
                "cpu_ms_per_slice": round(cpu_seconds / len(history) * 1e3, 1),
                "stops": stops,
            }
        )
        row = rows[-1]
        print(
            f"{name:<50} {trained_on:<28} {row['dice']:.3f} {row['sensitivity']:.3f} {row['ppv']:.3f} "
            f"{first}-{last} vs {ref_first}-{ref_last} {row['ms_per_slice']:.0f} ms/slice "
            f"({row['cpu_ms_per_slice']:.0f} ms CPU) stops {stops}",
            flush=True,
        )
    if args.markdown:
        print(
            "\n| method | trained on | tested on | Dice | SEN | PPV | first/last slice vs reference | ms/slice "
            "(wall) | CPU ms/slice |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['method']} | {r['trained_on']} | {r['tested_on']} | {r['dice']:.3f} | {r['sensitivity']:.3f} | "
                f"{r['ppv']:.3f} | {r['first']}/{r['last']} vs {ref_first}/{ref_last} | {r['ms_per_slice']:.0f} | "
                f"{r['cpu_ms_per_slice']:.0f} |"
            )
    if args.clicks:
        axis = resolve_slice_axis(image)
        for row, (name, _, segmenter, propagator) in zip(rows, runs):
            row["clicks"] = simulate_corrections(
                propagator, segmenter, image, annotation, reference, sorted(set(args.clicks)), axis, args.stroke
            )
            print(f"{name:<50} Dice after {'strokes' if args.stroke else 'clicks'} {row['clicks']}", flush=True)
        if args.markdown:
            counts = sorted(set(args.clicks))
            unit = "strokes" if args.stroke else "clicks"
            print("\n| method | trained on | tested on | " + " | ".join(f"{c} {unit}" for c in counts) + " |")
            print("|---|---|---|" + "---|" * len(counts))
            for r in rows:
                values = " | ".join(f"{r['clicks'][c]:.3f}" if c in r["clicks"] else "-" for c in counts)
                print(f"| {r['method']} | {r['trained_on']} | {r['tested_on']} | {values} |")
        if args.curve:
            _plot_curve(rows, args.curve)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def _plot_curve(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 3.5), dpi=120)
    for r in rows:
        counts = sorted(r["clicks"])
        axes.plot(counts, [r["clicks"][c] for c in counts], marker="o", label=f"{r['method']} ({r['trained_on']})")
    axes.set(xlabel="corrections", ylabel="3D Dice", title=f"Simulated corrections, {rows[0]['tested_on']}")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=6)
    figure.tight_layout()
    figure.savefig(path)


if __name__ == "__main__":
    main()
