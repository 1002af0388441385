"""Masks per second of ``RandMaskPerturb`` against MONAI's ``Rand2DElastic`` / ``Rand3DElastic`` alone.

Reference: the MONAI elastic transform that ``RandMaskPerturb`` uses, with the same parameters, ``prob=1``, nearest
interpolation, on the same mask (a centred disk / ball of radius a quarter of the size), called as users call it
(``elastic(mask)``). A second, stricter reference calls it with ``randomize=False``: that skips the full-size random
field ``Rand2DElastic.randomize`` draws and discards (2D) but also the offsets ``Rand3DElastic`` needs (3D, a lower
bound there). Rows:

- ``defaults``: ``RandMaskPerturb()`` with its default probabilities;
- ``every op``: every operation switched on (probability 1), the worst case of one draw;
- ``dice_range``: ``dice_range=(0.6, 0.9)`` with radius and shift ranges a fifth of the ball's radius, so several
  draws per mask.

Target: ``every op`` costs at most 2x the elastic alone. Run ``python benchmarks/bench_perturb.py [--quick]``.

``--real-data N`` instead perturbs the real HRF vessel masks and HAM10000 lesion masks of ``../shared/data``
(override with ``MONAI_REFINE_SHARED_DATA``) N times each with ``dice_range=(0.6, 0.9)`` and prints the histogram
of the achieved Dice and the mean number of tries, with the perturbation settings of :data:`SETTINGS`.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from skimage import io

from monai_refine.transforms import RandMaskPerturb

OPS = ("morph", "noise", "elastic", "rotate", "shift", "flip")
SHARED_DATA = Path(os.environ.get("MONAI_REFINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def lesion_ranges(mask: np.ndarray) -> dict[str, object]:
    """Ranges proportional to a lesion's equivalent radius ``R`` (lesions span ~100-220 px in HAM10000)."""
    radius = float(np.sqrt(mask.sum() / np.pi))
    return {
        "radius_range": (-0.15 * radius, 0.15 * radius),
        "shift_range": 0.15 * radius,
        "noise_band_range": (0.01 * radius, 0.05 * radius),
        "elastic_magnitude_range": (2.0, 8.0),
    }


#: Vessels of the 4x-downsampled HRF masks are 1-5 px wide: one-voxel changes already cost 10-40 Dice points.
VESSEL_RANGES = {
    "radius_range": (-1.0, 1.0),
    "noise_band_range": (0.5, 1.5),
    "noise_fraction_range": (0.05, 0.3),
    "elastic_magnitude_range": (0.3, 1.0),
    "shift_range": 1.5,
    "rotate_range": 0.02,
    "flip_prob": 0.0,
}
#: Real masks (glob under the shared data), the perturbation ranges used on them (voxel units: no spacing) as a
#: function of the mask, and their description.
SETTINGS: dict[str, tuple[str, Callable[[np.ndarray], dict[str, object]], str]] = {
    "HRF vessels": (
        "retina/hrf/manual1/*.png",
        lambda mask: VESSEL_RANGES,
        ", ".join(f"{k}={v}" for k, v in VESSEL_RANGES.items()),
    ),
    "HAM10000 lesions": (
        "dermoscopy/ham10000/masks/*.png",
        lesion_ranges,
        "radius_range=±0.15R, shift_range=0.15R, noise_band_range=(0.01R, 0.05R), elastic_magnitude_range=(2, 8), "
        "R = equivalent radius of the lesion",
    ),
}
DICE_BINS = np.linspace(0.6, 0.9, 7)


def load_masks(pattern: str) -> dict[str, np.ndarray]:
    """Binary masks ``(1, H, W)`` uint8 of the shared-data files matching ``pattern``, by file stem."""
    paths = sorted(SHARED_DATA.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no files match {SHARED_DATA / pattern}; set MONAI_REFINE_SHARED_DATA.")
    return {path.stem: (io.imread(path) > 0)[None].astype(np.uint8) for path in paths}


def real_data(draws: int) -> None:
    """Print the Dice histogram and the tries of ``draws`` perturbations per real mask, ``dice_range=(0.6, 0.9)``."""
    header = " | ".join(f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(DICE_BINS[:-1], DICE_BINS[1:]))
    print(f"| masks | settings | draws | Dice {header} | mean Dice | mean tries | max tries | s per mask |")
    print("|---" * (len(DICE_BINS) + 6) + "|")
    for name, (pattern, ranges, description) in SETTINGS.items():
        masks = load_masks(pattern)
        dice, tries = [], []
        start = time.perf_counter()
        for seed, mask in enumerate(masks.values()):
            perturb = RandMaskPerturb(dice_range=(0.6, 0.9), **ranges(mask)).set_random_state(seed)
            for _ in range(draws):
                info = perturb.perturb(mask)[1]
                dice.append(info["dice"])
                tries.append(info["num_tries"])
        per_mask = (time.perf_counter() - start) / len(dice)
        counts = " | ".join(str(c) for c in np.histogram(dice, DICE_BINS)[0])
        print(
            f"| {name} ({len(masks)}) | {description} | {len(dice)} | {counts} | {np.mean(dice):.3f} | "
            f"{np.mean(tries):.2f} | {max(tries)} | {per_mask:.3f} |"
        )


def ball(shape: tuple[int, ...]) -> np.ndarray:
    """A centred disk / ball of radius ``min(shape) / 4``, shape ``(1, *shape)`` uint8."""
    grid = np.indices(shape, dtype=np.float32)
    centre = (np.asarray(shape, dtype=np.float32) - 1) / 2
    distance = np.sqrt(sum((g - c) ** 2 for g, c in zip(grid, centre)))
    return (distance <= min(shape) / 4)[None].astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (well under a minute)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: a shared machine)")
    parser.add_argument("--real-data", type=int, metavar="N", help="Dice histogram of N draws per real mask instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.real_data:
        real_data(args.real_data)
        return
    repeats = {2: 10 if args.quick else 30, 3: 2 if args.quick else 5}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, repeats {repeats}, calls interleaved")
    print(
        "| mask | MONAI elastic alone (masks/s) | elastic, randomize=False (masks/s) | RandMaskPerturb | masks/s "
        "| time ratio vs elastic | vs elastic, randomize=False | mean tries |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for shape in [(256, 256), (512, 512), (96, 96, 96)]:
        mask = torch.as_tensor(ball(shape))
        dims, reach = len(shape), min(shape) / 20  # a fifth of the radius: perturbations that can reach Dice 0.6-0.9
        variants = {
            "defaults": RandMaskPerturb(),
            "every op": RandMaskPerturb(**{f"{op}_prob": 1.0 for op in OPS}),
            "dice_range=(0.6, 0.9)": RandMaskPerturb(
                radius_range=(-reach, reach), shift_range=reach, dice_range=(0.6, 0.9)
            ),
        }
        elastic = variants["defaults"].elastic[dims]  # the very MONAI transform RandMaskPerturb uses, prob=1
        float_mask = mask.float()
        calls: dict[str, Callable[[], object]] = {
            "elastic": lambda e=elastic, m=float_mask: e(m),
            "lean": lambda e=elastic, m=float_mask: e(m, randomize=False),
        }
        calls.update(
            {name: lambda p=perturb, m=mask: p.perturb(m)[1]["num_tries"] for name, perturb in variants.items()}
        )
        for transform in (elastic, *variants.values()):
            transform.set_random_state(0)
        seconds = dict.fromkeys(calls, 0.0)
        tries: dict[str, list[int]] = {name: [] for name in variants}
        for repeat in range(repeats[dims] + 1):  # round-robin, so load changes on the machine hit all rows alike
            for name, call in calls.items():
                start = time.perf_counter()
                num_tries = call()
                if repeat:  # the first round warms up
                    seconds[name] += time.perf_counter() - start
                    if name in variants:
                        tries[name].append(num_tries)
        reference, lean = repeats[dims] / seconds["elastic"], repeats[dims] / seconds["lean"]
        size = "x".join(map(str, shape))
        for name in variants:
            rate = repeats[dims] / seconds[name]
            ratio, lean_ratio = seconds[name] / seconds["elastic"], seconds[name] / seconds["lean"]
            print(
                f"| {size} | {reference:.2f} | {lean:.2f} | {name} | {rate:.2f} | {ratio:.2f} | {lean_ratio:.2f} "
                f"| {np.mean(tries[name]):.2f} |"
            )


if __name__ == "__main__":
    main()
