from __future__ import annotations

from .array import DiscrepancySeeds, ExtremePointSeeds, GaussianSeedMap, MaskSeeds, seeds_from_points
from .dictionary import (
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
