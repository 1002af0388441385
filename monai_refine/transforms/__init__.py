"""Transforms, re-exported like ``monai.transforms`` so ``from monai_refine.transforms import MaskSeedsd`` works."""

from __future__ import annotations

from .seeds.array import DiscrepancySeeds, ExtremePointSeeds, GaussianSeedMap, MaskSeeds, seeds_from_points
from .seeds.dictionary import (
    DiscrepancySeedsD,
    DiscrepancySeedsd,
    DiscrepancySeedsDict,
    ExtremePointSeedsD,
    ExtremePointSeedsd,
    ExtremePointSeedsDict,
    GaussianSeedMapD,
    GaussianSeedMapd,
    GaussianSeedMapDict,
    MaskSeedsD,
    MaskSeedsd,
    MaskSeedsDict,
)
