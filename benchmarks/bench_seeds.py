"""Speed of ``GaussianSeedMap`` against MONAI's ``AddGuidanceSignald`` and one bare ``scipy`` EDT, in one run.

For each image size and σ, the same 50 random seeds go through:

- ``GaussianSeedMap`` (ours: one exact anisotropic EDT + exp per channel);
- ``monai.apps.deepgrow.transforms.AddGuidanceSignald`` (point image blurred by ``GaussianFilter``, rescaled);
- one bare ``scipy.ndimage.distance_transform_edt`` call on the same seed mask (the floor a distance-based map costs).

Targets (issue 3): ours ≥ 2× faster than ``AddGuidanceSignald`` at every σ at 512², and never slower than one bare
EDT (``ours / EDT ≤ 1``).

Then ``MaskSeeds`` (issue 12.5) on the 24 real liver masks of the shipped IRCAD slab (512², 0.743 mm, margin 3 mm),
against the named reference ``whole_image_mask_seeds``: the same computation on the whole 512² slice (what
``MaskSeeds`` did before it worked inside the mask's bounding box plus the margin). The outputs must be identical;
the table prints ms per slice for both and the ratio.

Run: ``python benchmarks/bench_seeds.py`` (``--repeats N`` for steadier numbers, ``--torch-threads 1`` to compare
one core against one core: MONAI's Gaussian filter runs on all of torch's threads).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import edt
import numpy as np
import torch
from monai.apps.deepgrow.transforms import AddGuidanceSignald
from scipy import ndimage

from monai_refine.transforms import GaussianSeedMap, MaskSeeds
from monai_refine.transforms.seeds.array import _components, _skeleton

SLAB_MASKS = Path(__file__).resolve().parents[1] / "tests" / "testing_data" / "ircad_patient17_slab" / "MASKS_DICOM"

SHAPES = ((256, 256), (512, 512), (64, 256, 256))
SIGMAS = (2.0, 5.0, 10.0)
N_SEEDS = 50


def best_ms(repeats: int, fn, *args) -> float:
    """Best wall time of ``fn(*args)`` over ``repeats`` calls after one warm-up call, in ms."""
    fn(*args)
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - tic)
    return min(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torch-threads", type=int, help="torch threads for MONAI's GaussianFilter (default: torch's)")
    args = parser.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    print(f"torch threads: {torch.get_num_threads()} (GaussianSeedMap and scipy's EDT use one thread)")
    rng = np.random.default_rng(0)
    header = (
        f"{'shape':>14} {'sigma px':>8} {'ours ms':>9} {'MONAI ms':>9} {'EDT ms':>8} {'MONAI/ours':>10} {'ours/EDT':>8}"
    )
    print(header)
    print("-" * len(header))
    for shape in SHAPES:
        points = np.stack([rng.integers(0, s, N_SEEDS) for s in shape], axis=1)
        seeds = np.zeros((1, *shape), dtype=np.float32)
        seeds[(0, *points.T)] = 1
        image = np.zeros((1, *shape), dtype=np.float32)
        data = {"image": image, "guidance": [points.tolist()]}
        edt_ms = best_ms(args.repeats, ndimage.distance_transform_edt, seeds[0] == 0)
        for sigma in SIGMAS:
            ours = GaussianSeedMap(sigma=sigma, spacing=1.0)
            monai = AddGuidanceSignald(image="image", guidance="guidance", sigma=sigma)
            ours_ms = best_ms(args.repeats, ours, seeds)
            monai_ms = best_ms(args.repeats, monai, data)
            print(
                f"{'x'.join(map(str, shape)):>14} {sigma:>8.0f} {ours_ms:>9.2f} {monai_ms:>9.2f} {edt_ms:>8.2f} "
                f"{monai_ms / ours_ms:>10.1f} {ours_ms / edt_ms:>8.2f}"
            )
    mask_seeds_table(args.repeats)


def whole_image_mask_seeds(mask: np.ndarray, margin_mm: float, spacing: tuple[float, ...]) -> np.ndarray:
    """Reference: ``MaskSeeds``' ring and skeleton computed on the whole image (no bounding box), ``(2, *spatial)``."""
    dilated = edt.edtsq(~mask, anisotropy=spacing, black_border=False) <= (margin_mm * (1 + 1e-6)) ** 2
    ring = dilated & ~ndimage.binary_erosion(dilated, border_value=1)
    return np.stack([_skeleton(mask, _components(mask, False, -1), False, -1), ring]).astype(np.float32)


def mask_seeds_table(repeats: int) -> None:
    """ms per slice of ``MaskSeeds`` and of the whole-image reference on the shipped slab's liver masks."""
    import pydicom

    files = sorted((SLAB_MASKS / "liver").glob("image_*"))
    if not files:
        print(f"\nMaskSeeds: the slab masks are absent ({SLAB_MASKS}), skipped")
        return
    masks = [pydicom.dcmread(f).pixel_array > 0 for f in files]
    spacing, margin = (0.743, 0.743), 3.0
    seeder = MaskSeeds(margin_mm=margin, spacing=spacing)
    for mask in masks:
        np.testing.assert_array_equal(seeder(mask[None]), whole_image_mask_seeds(mask, margin, spacing))
    ours = best_ms(repeats, lambda: [seeder(m[None]) for m in masks]) / len(masks)
    whole = best_ms(repeats, lambda: [whole_image_mask_seeds(m, margin, spacing) for m in masks]) / len(masks)
    print(f"\nMaskSeeds on {len(masks)} liver slices of 512² (identical output to the whole-image reference):")
    print(f"  bounding box + margin: {ours:.2f} ms/slice; whole image: {whole:.2f} ms/slice; ratio {whole / ours:.1f}×")


if __name__ == "__main__":
    main()
