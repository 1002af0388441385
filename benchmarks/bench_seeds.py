"""Speed of ``GaussianSeedMap`` against MONAI's ``AddGuidanceSignald`` and one bare ``scipy`` EDT, in one run.

For each image size and σ, the same 50 random seeds go through:

- ``GaussianSeedMap`` (ours: one exact anisotropic EDT + exp per channel);
- ``monai.apps.deepgrow.transforms.AddGuidanceSignald`` (point image blurred by ``GaussianFilter``, rescaled);
- one bare ``scipy.ndimage.distance_transform_edt`` call on the same seed mask (the floor a distance-based map costs).

Targets (issue 3): ours ≥ 2× faster than ``AddGuidanceSignald`` at every σ at 512², and never slower than one bare
EDT (``ours / EDT ≤ 1``).

Run: ``python benchmarks/bench_seeds.py`` (``--repeats N`` for steadier numbers, ``--torch-threads 1`` to compare
one core against one core: MONAI's Gaussian filter runs on all of torch's threads).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from monai.apps.deepgrow.transforms import AddGuidanceSignald
from scipy import ndimage

from monai_refine.transforms import GaussianSeedMap

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


if __name__ == "__main__":
    main()
