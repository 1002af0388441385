"""Slice-by-slice liver propagation on a full IRCAD patient: 3D Dice, SEN, PPV and ms/slice per segmenter.

Starts from the middle liver slice (its expert mask is the only annotation) and propagates both ways. Besides the
whole volume, it scores the two halves separately: the presets were tuned on the upward half of patient 17 (slices
above the start), so the downward half is the part no parameter was chosen on.

Run: ``python benchmarks/eval_propagation.py [--data ../shared/data/ircad/patient17]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from monai_refine.data import load_ircad_patient
from monai_refine.inferers import (
    PRESETS,
    GraphCutSegmenter,
    SlicePropagator,
    annotate_slices,
    middle_slice,
    propagation_preset,
)
from monai_refine.metrics import overlap_scores

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ircad" / "patient17"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="IRCAD patient folder")
    args = parser.parse_args()
    image, reference = load_ircad_patient(args.data)
    present = np.flatnonzero(reference[0].numpy().any(axis=(0, 1)))
    start = middle_slice(reference)
    annotation = annotate_slices(reference, [start])
    runs = [(name, *propagation_preset(name)) for name in PRESETS]
    naive = GraphCutSegmenter(lambda_=1.0, sigma=0.05, shape_weight=0.0)
    runs.append(("graph-cut, untuned (λ=1, σ=0.05, no shape term, 5 mm ring)", naive, {"margin_mm": 5.0}))

    print(
        f"{args.data}: {tuple(image.shape[1:])} voxels, start slice {start}, liver on slices {present[0]}-{present[-1]}"
    )
    header = f"{'method':<58} {'Dice':>6} {'SEN':>6} {'PPV':>6} {'Dice up':>8} {'Dice down':>9} {'ms/slice':>8}"
    print(header)
    print("-" * len(header))
    for name, segmenter, kwargs in runs:
        propagator = SlicePropagator(**kwargs)
        tic = time.perf_counter()
        mask, history = propagator(image, segmenter, annotation=annotation, return_history=True)
        seconds = time.perf_counter() - tic
        scores = overlap_scores(mask, reference)
        up = overlap_scores(mask[..., start + 1 :], reference[..., start + 1 :])["dice"]
        down = overlap_scores(mask[..., :start], reference[..., :start])["dice"]
        ms = seconds / len(history) * 1e3
        print(
            f"{name:<58} {scores['dice']:>6.3f} {scores['sensitivity']:>6.3f} {scores['ppv']:>6.3f} "
            f"{up:>8.3f} {down:>9.3f} {ms:>8.0f}"
        )


if __name__ == "__main__":
    main()
