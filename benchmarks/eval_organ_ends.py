"""Where liver-bundle weights stop on the synthetic two-ended organ of the bundle's leak test.

The volume (:func:`tests.utils.organ_ends_volume`): an organ on slices 2-9 whose tapered lower end touches a blob of
the same intensity running on to slice 0, and whose upper end is abrupt (featureless slices 10-15). For each
checkpoint the propagation starts from the organ's slice 6 through the bundle's ``inference.json`` (default stops)
and prints the mask's area per slice beside the truth's, and where and why each direction stopped: the quick check
of a training recipe against the failure the bundle test guards (running on past an organ's end).

Run::

    python benchmarks/eval_organ_ends.py bundles/liver_ct_slice_propagation/models/model.pt RUN/models/model.pt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from monai_refine.data import load_propagation_bundle
from monai_refine.inferers import annotate_slices

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the volume is the bundle test's own (tests.utils)
from tests.utils import REPO_ROOT, organ_ends_volume  # noqa: E402

BUNDLE = REPO_ROOT / "bundles" / "liver_ct_slice_propagation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="RefineNet weights for the bundle's network")
    parser.add_argument("--bundle", default=str(BUNDLE), help="the bundle whose inference.json runs them")
    args = parser.parse_args()
    torch.set_num_threads(1)
    image, truth = organ_ends_volume()
    depth = truth.shape[-1]
    print("truth", [int(truth[0, ..., z].sum()) for z in range(depth)])
    for checkpoint in args.checkpoints:
        segmenter, propagator = load_propagation_bundle(args.bundle, overrides={"checkpoint": checkpoint})
        mask, history = propagator(image, segmenter, annotation=annotate_slices(truth, [6]), return_history=True)
        areas = [int(mask[0, ..., z].sum()) for z in range(depth)]
        inside = all(areas[z] > 0 for z in range(2, 10))
        passed = inside and areas[:2] == [0, 0] and not any(areas[10:])
        stops = [
            (r.index, r.stop_reason, round(r.quality, 2) if r.quality is not None else None)
            for r in history
            if r.stop_reason
        ]
        print(f"{'PASS' if passed else 'FAIL'} {checkpoint}\n  areas {areas}\n  stops {stops}")


if __name__ == "__main__":
    main()
