"""Transforms, re-exported like ``monai.transforms`` so ``from monai_refine.transforms import MaskSeedsd`` works."""

from __future__ import annotations

from .intensity.array import COLOR_SPACES, ColorSpaceChannels, RandPercentileContrast
from .intensity.dictionary import (
    ColorSpaceChannelsD,
    ColorSpaceChannelsd,
    ColorSpaceChannelsDict,
    RandPercentileContrastD,
    RandPercentileContrastd,
    RandPercentileContrastDict,
)
from .lesion import OtsuLesionMask, OtsuLesionMaskD, OtsuLesionMaskd, OtsuLesionMaskDict
from .perturbation.array import RandMaskPerturb
from .perturbation.dictionary import RandMaskPerturbD, RandMaskPerturbd, RandMaskPerturbDict
from .post.array import DualThreshold
from .post.dictionary import DualThresholdD, DualThresholdd, DualThresholdDict
from .retina import FieldOfViewMask, FieldOfViewMaskD, FieldOfViewMaskd, FieldOfViewMaskDict
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
