"""A tiny synthetic fundus-like photograph with its vessel label and field-of-view mask (no DRIVE image may ship).

``python -m tests.bundles.fundus`` writes the DRIVE bundle's sample, in DRIVE's layout and file formats:
``bundles/drive_vessel_iterative/sample/{images/00_training.tif, 1st_manual/00_manual1.gif,
mask/00_training_mask.gif}``. The test suite checks that the shipped files equal a fresh draw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

SAMPLE = Path(__file__).resolve().parents[2] / "bundles" / "drive_vessel_iterative" / "sample"


def synthetic_fundus(height: int = 72, width: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An orange disc on black with a bright optic disc and dark, tapering vessels that branch out of it.

    Returns:
        RGB uint8 ``(H, W, 3)``, the vessel label and the FOV mask, uint8 ``(H, W)`` {0, 255}.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width].astype(float)
    cy, cx, radius = height / 2, width / 2, 0.46 * min(height, width)
    fov = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
    oy, ox = cy, cx + 0.45 * radius  # the optic disc, right of the centre as in a right eye
    vessels = np.zeros((height, width), dtype=bool)
    for angle in np.linspace(0, 2 * np.pi, 6, endpoint=False) + rng.uniform(0, 0.5):
        y, x, direction, half_width = oy, ox, angle, 1.2
        for step in range(60):
            direction += rng.normal(0, 0.12)
            y, x = y + np.sin(direction), x + np.cos(direction)
            vessels |= (yy - y) ** 2 + (xx - x) ** 2 <= max(half_width - 0.012 * step, 0.5) ** 2
    vessels &= fov
    falloff = 1 - 0.35 * ((yy - cy) ** 2 + (xx - cx) ** 2) / radius**2
    rgb = np.stack([200 * falloff, 95 * falloff, 35 * falloff], axis=-1)
    rgb += 45 * np.exp(-((yy - oy) ** 2 + (xx - ox) ** 2) / (2 * 4.0**2))[..., None]  # the bright optic disc
    rgb[vessels] *= (0.75, 0.55, 0.7)
    rgb = ndimage.gaussian_filter(rgb, sigma=(0.6, 0.6, 0)) + rng.normal(0, 3, rgb.shape)
    rgb[~fov] = rng.uniform(0, 6, (int((~fov).sum()), 3))  # the dark border, a little noise
    as_uint8 = lambda a: np.clip(np.round(a), 0, 255).astype(np.uint8)  # noqa: E731
    return as_uint8(rgb), as_uint8(vessels * 255.0), as_uint8(fov * 255.0)


def write_sample(root: Path = SAMPLE, stem: str = "00", seed: int = 0) -> dict[str, Path]:
    """Write one synthetic fundus in DRIVE's layout under ``root``; return the written paths."""
    rgb, vessels, fov = synthetic_fundus(seed=seed)
    paths = {
        "image": root / "images" / f"{stem}_training.tif",
        "label": root / "1st_manual" / f"{stem}_manual1.gif",
        "fov": root / "mask" / f"{stem}_training_mask.gif",
    }
    for key, array in (("image", rgb), ("label", vessels), ("fov", fov)):
        paths[key].parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(paths[key])
    return paths


if __name__ == "__main__":
    for path in write_sample().values():
        print(path)
