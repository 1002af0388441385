"""Make ``docs/figures/transforms.png``: mask perturbations of real masks and the 7 colour channels of paper 003.

Rows: a real HRF vessel mask (crop shown) and a real HAM10000 lesion mask, each with 6 draws of
``RandMaskPerturb(dice_range=(0.6, 0.9))`` and their Dice; one HAM10000 image and its ``ColorSpaceChannels``.
The perturbation settings are those of ``benchmarks/bench_perturb.py --real-data`` (``SETTINGS``).

Run from the repository root: ``python docs/make_transforms_figure.py`` (reads ``../shared/data``, or the folder in
``MONAI_REFINE_SHARED_DATA``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from skimage import io  # noqa: E402

from monai_refine.transforms import ColorSpaceChannels, RandMaskPerturb  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_perturb import SETTINGS, SHARED_DATA, load_masks  # noqa: E402

OUT = REPO / "docs" / "figures" / "transforms.png"
DRAWS = 6
VESSEL_CROP = (slice(150, 450), slice(450, 850))  # rows, cols of the 584x876 HRF mask around the optic disc
CHANNELS = ("R", "G", "B", "H", "S", "V", "L (CIELAB)")


def overlay(original: np.ndarray, perturbed: np.ndarray) -> np.ndarray:
    """RGB picture: kept foreground white, removed foreground red, added foreground cyan."""
    picture = np.zeros(original.shape + (3,), dtype=np.float32)
    picture[original & perturbed] = 1.0
    picture[original & ~perturbed] = (0.9, 0.1, 0.1)
    picture[~original & perturbed] = (0.1, 0.8, 0.9)
    return picture


def mask_row(axes: np.ndarray, name: str, stem: str, crop: tuple[slice, ...], seed: int) -> None:
    pattern, ranges, _ = SETTINGS[name]
    mask = load_masks(pattern)[stem]
    perturb = RandMaskPerturb(dice_range=(0.6, 0.9), **ranges(mask)).set_random_state(seed)
    original = mask[0].astype(bool)
    axes[0].imshow(original[crop], cmap="gray", interpolation="nearest")
    axes[0].set_title(f"{name}\n{stem} (input)", fontsize=8)
    for ax in axes[1 : DRAWS + 1]:
        perturbed, info = perturb.perturb(mask)
        perturbed = perturbed[0].astype(bool)
        ax.imshow(overlay(original, perturbed)[crop], interpolation="nearest")
        ax.set_title(f"Dice {info['dice']:.3f} ({info['num_tries']} tries)\n{'+'.join(info['operations'])}", fontsize=7)


def main() -> None:
    fig, axes = plt.subplots(3, 8, figsize=(16, 6.6))
    for ax in axes.ravel():
        ax.set_axis_off()
    mask_row(axes[0], "HRF vessels", "01_h", VESSEL_CROP, seed=0)
    mask_row(axes[1], "HAM10000 lesions", "ISIC_0024311", (slice(None), slice(None)), seed=1)
    axes[0, 7].text(
        0.0,
        0.5,
        "RandMaskPerturb\ndice_range=(0.6, 0.9)\n\nwhite: kept\nred: removed\ncyan: added",
        fontsize=9,
        va="center",
    )
    image = io.imread(SHARED_DATA / "dermoscopy/ham10000/images/ISIC_0024311.jpg")
    channels = ColorSpaceChannels()(np.moveaxis(image, -1, 0))
    axes[2, 0].imshow(image)
    axes[2, 0].set_title("HAM10000 ISIC_0024311", fontsize=8)
    for ax, channel, label in zip(axes[2, 1:], channels, CHANNELS):
        ax.imshow(channel, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"ColorSpaceChannels: {label}", fontsize=7)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
