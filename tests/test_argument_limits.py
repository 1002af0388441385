"""Every documented limit of a constructor argument, at its edge: the last valid value is accepted and the first
invalid value just beyond it is refused, by the constructor itself (not at the first call).

The table is written from the docstrings (the ``Args:`` and ``Raises:`` sections and the rules they quote), not from
the code: a limit checked with ``>`` where the docstring allows the edge (or with ``>=`` where it excludes it), or one
checked only when the instance is called, fails here. The other side of each limit (clearly invalid values, the
messages) is tested with each module. :data:`INPUT_LIMITS` does the same for the documented value range of an
input (``Shapes:``), refused when called.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from monai.losses import DiceLoss

import monai_refine.inferers.segmenters as segmenters
from monai_refine.inferers import (
    GraphCutSegmenter,
    IterativeRefinementInferer,
    SliceGrid,
    SlicePropagator,
)
from monai_refine.losses import (
    DeepSupervisionDictLoss,
    DiceImprovementLoss,
    OutputQualityLoss,
    QualityRegularizedLoss,
)
from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from monai_refine.transforms import (
    ColorSpaceChannels,
    DualThreshold,
    ExtremePointSeeds,
    GaussianSeedMap,
    MaskSeeds,
    RandMaskPerturb,
    RandPercentileContrast,
)

EPS = 1e-6

#: (class, context arguments, argument, the valid value at the edge, the invalid value just beyond it); the docstring's
#: words in the comment
LIMITS = [
    # transforms
    (DualThreshold, {"high": 0.6}, "low", 0.6, 0.6 + EPS),  # "0 <= low <= high <= 1"
    (DualThreshold, {}, "low", 0.0, -EPS),
    (DualThreshold, {"low": 0.5}, "high", 1.0, 1.0 + EPS),
    (DualThreshold, {}, "connectivity", 1, 0),  # "1 = faces only, up to the number of spatial dims" (2 or 3)
    (DualThreshold, {}, "connectivity", 3, 4),
    (GaussianSeedMap, {}, "sigma", EPS, 0.0),  # "sigma: ... > 0"
    (GaussianSeedMap, {}, "truncate", EPS, 0.0),  # "truncate: ... > 0"
    (ExtremePointSeeds, {}, "pert", 0.0, -EPS),  # "pert: ... >= 0"
    (MaskSeeds, {"spacing": (2.0, 1.0)}, "margin_mm", 2.0, 2.0 - 1e-3),  # "at least the largest voxel spacing"
    (RandMaskPerturb, {}, "prob", 1.0, 1.0 + EPS),  # "probability of perturbing at all"
    (RandMaskPerturb, {}, "flip_prob", 0.0, -EPS),  # "probability of flipping"
    (RandMaskPerturb, {}, "noise_band_range", (0.0, 1.0), (-EPS, 1.0)),  # "lo >= 0"
    (RandMaskPerturb, {}, "noise_fraction_range", (0.0, 1.0), (0.0, 1.0 + EPS)),  # "within [0, 1]"
    (RandMaskPerturb, {}, "dice_range", (0.0, 1.0), (0.0, 1.0 + EPS)),  # "within [0, 1]"
    (RandMaskPerturb, {}, "rotate_range", 0.0, -EPS),  # "the largest absolute rotation angle"
    (RandMaskPerturb, {}, "shift_range", 0.0, -EPS),  # "the largest absolute shift"
    (RandPercentileContrast, {}, "prob", 0.0, -EPS),  # "probability of the stretch"
    (RandPercentileContrast, {}, "lower_range", (0.0, 10.0), (-EPS, 10.0)),  # "within [0, 100]"
    (RandPercentileContrast, {}, "upper_range", (90.0, 100.0), (90.0, 100.0 + EPS)),  # "within [0, 100]"
    # "upper_range: ... above lower_range" (the error: "lower hi < upper lo")
    (RandPercentileContrast, {"upper_range": (10.0, 100.0)}, "lower_range", (0.0, 10.0 - EPS), (0.0, 10.0)),
    (RandPercentileContrast, {"b_min": 1.0}, "b_max", 1.0 + EPS, 1.0),  # "b_max: ..., above b_min"
    # inferers
    (SlicePropagator, {}, "slice_axis", 2, 3),  # "spatial axis (0, 1, 2 or negative)" of a 3D volume
    (SlicePropagator, {}, "slice_axis", -3, -4),
    (SlicePropagator, {}, "window", (0.0, EPS), (0.0, 0.0)),  # window_intensity: "(low, high), finite, low < high"
    (SlicePropagator, {}, "min_quality", 1.0, 1.0 + EPS),  # the predicted Dice, in [0, 1]
    (SlicePropagator, {}, "prior_stroke_mm", 0.0, -EPS),  # edit_prior: "width_mm: ... >= 0"
    (SlicePropagator, {}, "margin_mm", EPS, 0.0),  # MaskSeeds: "at least the largest voxel spacing" (> 0)
    (IterativeRefinementInferer, {}, "max_steps", 1, 0),  # "max_steps: ... >= 1"
    (IterativeRefinementInferer, {}, "tolerance", 0.0, -EPS),  # "tolerance: ... >= 0"
    (IterativeRefinementInferer, {}, "initial_prior", 1.0, 1.0 + EPS),  # "initial_prior: ... in [0, 1]"
    (IterativeRefinementInferer, {}, "initial_prior", 0.0, -EPS),
    (IterativeRefinementInferer, {}, "min_quality_gain", 0.0, -EPS),  # "min_quality_gain: ... (>= 0; ...)"
    (GraphCutSegmenter, {}, "lambda_", 0.0, -EPS),  # "lambda_: ... (≥ 0; 0 is a pure minimal-contrast cut)"
    (SliceGrid, {}, "size", 8, 7),  # "size: grid pixels per side, >= 8"
    (SliceGrid, {}, "spacing", EPS, 0.0),  # "spacing: grid pixel size in mm, > 0"
    # losses
    (DiceImprovementLoss, {}, "epsilon", EPS, 0.0),  # "epsilon: ε > 0"; Raises: "when epsilon <= 0"
    (DiceImprovementLoss, {}, "lambda_ce", 0.0, -EPS),  # "lambda_ce: ... >= 0"
    (QualityRegularizedLoss, {}, "lambda_quality", 0.0, -EPS),  # "λ ≥ 0"; Raises: "when lambda_quality < 0"
    (OutputQualityLoss, {"segmentation_loss": DiceLoss()}, "lambda_quality", 0.0, -EPS),  # "weight λ >= 0"
    (DeepSupervisionDictLoss, {"loss": DiceLoss()}, "keys", ("refined",), ()),  # Raises: "when keys is empty"
    (DeepSupervisionDictLoss, {"loss": DiceLoss()}, "weights", (0.0,) * 4, (0.0, 0.0, 0.0, -EPS)),  # "non-negative"
    (DeepSupervisionDictLoss, {"loss": DiceLoss()}, "weights", (1.0,) * 4, (1.0,) * 3),  # "one per key" (4 keys)
    # networks: "spatial_dims: number of spatial dimensions, 2 or 3"; "features: L + 1 widths, L >= ..."
    (RefineNet, {"in_channels": 3}, "spatial_dims", 2, 1),
    (RefineNet, {"in_channels": 3}, "spatial_dims", 3, 4),
    (RefineNet, {"spatial_dims": 2, "in_channels": 3}, "features", (4,) * 5, (4,) * 4),  # L >= 4
    (QualityUNet, {"spatial_dims": 2}, "features", (4,) * 3, (4,) * 2),  # L >= 2
    (IterativeUNet, {"spatial_dims": 2}, "features", (4,) * 4, (4,) * 3),  # L >= 3
    (CDNN, {"spatial_dims": 2}, "features", (2,) * 17, (2,) * 16),  # "the 17 widths of Table I"
    (CDNN, {"spatial_dims": 2}, "features", (2,) * 17, (2,) * 18),
]


def _limits():
    for number, (cls, context, argument, valid, invalid) in enumerate(LIMITS):
        marks = []
        if cls is GraphCutSegmenter and not segmenters.has_maxflow:
            marks = [pytest.mark.skip(reason="PyMaxflow is not installed")]
        name = f"{cls.__name__}-{argument}-{number}"
        yield pytest.param(cls, context, argument, valid, invalid, id=name, marks=marks)


@pytest.mark.parametrize("cls, context, argument, valid, invalid", list(_limits()))
def test_the_edge_is_accepted(cls, context, argument, valid, invalid):
    cls(**context, **{argument: valid})


@pytest.mark.parametrize("cls, context, argument, valid, invalid", list(_limits()))
def test_just_beyond_the_edge_is_refused_by_the_constructor(cls, context, argument, valid, invalid):
    with pytest.raises(ValueError, match=argument):
        cls(**context, **{argument: invalid})


#: (class, constructor arguments, input channels, the valid input value at the edge, the invalid value just beyond
#: it): an image filled with the value; the docstring's words in the comment
INPUT_LIMITS = [
    (DualThreshold, {}, 1, 0.0, -EPS),  # "img: (1, H, W) or (1, H, W, D) probabilities in [0, 1]"
    (DualThreshold, {}, 1, 1.0, 1.0 + EPS),
    (ColorSpaceChannels, {}, 3, 0.0, -EPS),  # "img: (3, *spatial) RGB with values in [0, max_value]"
    (ColorSpaceChannels, {}, 3, 255.0, 255.0 + EPS),
    (ColorSpaceChannels, {"max_value": 1.0}, 3, 1.0, 1.0 + EPS),
]


def _input_limits():
    for number, (cls, kwargs, channels, valid, invalid) in enumerate(INPUT_LIMITS):
        yield pytest.param(cls, kwargs, channels, valid, invalid, id=f"{cls.__name__}-{number}")


@pytest.mark.parametrize("cls, kwargs, channels, valid, invalid", list(_input_limits()))
def test_an_input_at_the_edge_of_its_range_is_accepted_and_beyond_it_refused(cls, kwargs, channels, valid, invalid):
    transform = cls(**kwargs)
    transform(np.full((channels, 4, 4), valid))
    with pytest.raises(ValueError, match="img"):
        transform(np.full((channels, 4, 4), invalid))


def _scalar_limits(kind: type):
    """One parameter per (class, argument) of ``LIMITS`` whose edge value is a ``kind`` scalar (bools excluded)."""
    seen = set()
    for param in _limits():
        cls, context, argument, valid, _ = param.values
        if type(valid) is kind and (cls, argument) not in seen:
            seen.add((cls, argument))
            yield pytest.param(cls, context, argument, id=f"{cls.__name__}-{argument}", marks=param.marks)


@pytest.mark.parametrize("cls, context, argument", list(_scalar_limits(float)) + list(_scalar_limits(int)))
def test_nan_is_refused_by_the_constructor(cls, context, argument):
    """NaN fails every comparison, so a limit written ``if x < low: raise`` lets it through (and every result that
    uses it becomes NaN); each limited number must refuse it."""
    with pytest.raises(ValueError, match=argument):
        cls(**context, **{argument: math.nan})


@pytest.mark.parametrize("cls, context, argument", list(_scalar_limits(int)))
def test_a_bool_is_not_taken_for_an_integer_argument(cls, context, argument):
    """``True == 1`` in Python: an integer argument (an axis, a size, a count) refuses a bool rather than reading it as
    1 (``slice_axis=True`` would slice along axis 1)."""
    with pytest.raises(ValueError, match=argument):
        cls(**context, **{argument: True})


@pytest.mark.parametrize("cls", [DiceImprovementLoss, QualityRegularizedLoss], ids=lambda c: c.__name__)
def test_sigmoid_and_softmax_together_are_refused(cls):
    """The losses' docstrings: ``sigmoid`` and ``softmax`` are MONAI's ``DiceLoss`` flags, which refuse both at once."""
    with pytest.raises(ValueError, match="sigmoid"):
        cls(sigmoid=True, softmax=True)
