"""Every documented limit of a constructor argument, at its edge: the last valid value is accepted and the first
invalid value just beyond it is refused, by the constructor itself (not at the first call).

The table is written from the docstrings (the ``Args:`` and ``Raises:`` sections and the rules they quote), not from
the code: a limit checked with ``>`` where the docstring allows the edge (or with ``>=`` where it excludes it), or one
checked only when the instance is called, fails here. The other side of each limit (clearly invalid values, the
messages) is tested with each module. :data:`INPUT_LIMITS` does the same for the documented value range of an
input (``Shapes:``), refused when called.

Every row also gets: NaN refused (floats and integers), the infinity on the invalid side refused (floats), NaN and
+-Inf refused in EACH element of a float sequence (a window bound, one spacing, one end of a range), and a bool
refused for an integer. :func:`_call_limits` tables the limited arguments of calls the same way (the in-plane
``spacing`` of every segmenter and helper, ``SliceGrid.frame``, slice axes of the helpers, the iterative inferer's
prior in [0, 1]). :func:`test_every_limited_argument_of_the_public_api_has_a_row` scans the public classes and
functions of transforms, inferers, losses, metrics and networks for arguments whose name is in a limited family or
whose ``Args:`` entry states a limit, and fails on any without a row or a one-line reason in :data:`NOT_TABLED`.
"""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
import torch
from monai.losses import DiceLoss

import monai_refine.inferers
import monai_refine.inferers.segmenters as segmenters
import monai_refine.losses
import monai_refine.metrics
import monai_refine.networks
import monai_refine.transforms
from monai_refine.inferers import (
    CopyPrevious,
    GraphCutSegmenter,
    IterativeRefinementInferer,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SliceGrid,
    SlicePropagator,
    annotate_slices,
    canonical_slices,
    check_slice_inputs,
    edit_prior,
    merge_user_seeds,
    middle_slice,
    network_input,
    occupied_slices,
    rejected_by_clicks,
    resolve_slice_axis,
    window_intensity,
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
    DiscrepancySeeds,
    DualThreshold,
    ExtremePointSeeds,
    FieldOfViewMask,
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
    (DualThreshold, {"low": 0.5}, "high", 0.5, 0.5 - EPS),  # "low <= high"
    (DualThreshold, {}, "spacing", (EPS, 1.0), (0.0, 1.0)),  # "voxel spacing in mm" (> 0: a length)
    (DualThreshold, {}, "spacing", EPS, 0.0),
    (DiscrepancySeeds, {}, "slice_axis", 2, 3),  # "spatial axis of the slices" of a 3D volume (-1 the last)
    (DiscrepancySeeds, {}, "slice_axis", -3, -4),
    (DiscrepancySeeds, {}, "min_component_size", 0, -1),  # "components with fewer voxels are ignored"
    (DiscrepancySeeds, {}, "max_seeds_per_component", 1, 0),  # "keep at most this many" (>= 1 or None)
    (GaussianSeedMap, {}, "sigma", EPS, 0.0),  # "sigma: ... > 0"
    (GaussianSeedMap, {}, "truncate", EPS, 0.0),  # "truncate: ... > 0"
    (GaussianSeedMap, {}, "spacing", (EPS, 1.0), (0.0, 1.0)),  # "voxel spacing in mm, one value per spatial dim"
    (GaussianSeedMap, {}, "spacing", (1.0, EPS), (1.0, -EPS)),
    (GaussianSeedMap, {}, "spacing", EPS, 0.0),
    (ExtremePointSeeds, {}, "pert", 0.0, -EPS),  # "pert: ... >= 0"
    (MaskSeeds, {"spacing": (2.0, 1.0)}, "margin_mm", 2.0, 2.0 - 1e-3),  # "at least the largest voxel spacing"
    (MaskSeeds, {}, "margin_mm", EPS, 0.0),  # a dilation radius (> 0)
    (MaskSeeds, {}, "erosion_mm", EPS, 0.0),  # "eroded by this many mm" (> 0 or None)
    (MaskSeeds, {}, "spacing", (EPS, 1.0), (0.0, 1.0)),  # "voxel spacing in mm, one value per spatial dim"
    (MaskSeeds, {}, "spacing", (1.0, EPS), (1.0, -EPS)),
    (RandMaskPerturb, {}, "prob", 1.0, 1.0 + EPS),  # "probability of perturbing at all"
    (RandMaskPerturb, {}, "flip_prob", 0.0, -EPS),  # "probability of flipping"
    (RandMaskPerturb, {}, "prob", 0.0, -EPS),
    (RandMaskPerturb, {}, "flip_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "morph_prob", 0.0, -EPS),  # "probability of erosion / dilation"
    (RandMaskPerturb, {}, "morph_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "noise_prob", 0.0, -EPS),  # "probability of boundary noise"
    (RandMaskPerturb, {}, "noise_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "elastic_prob", 0.0, -EPS),  # "probability of the elastic deformation"
    (RandMaskPerturb, {}, "elastic_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "rotate_prob", 0.0, -EPS),  # "probability of a rotation"
    (RandMaskPerturb, {}, "rotate_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "shift_prob", 0.0, -EPS),  # "probability of a shift"
    (RandMaskPerturb, {}, "shift_prob", 1.0, 1.0 + EPS),
    (RandMaskPerturb, {}, "radius_range", (1.0, 1.0), (1.0, 1.0 - EPS)),  # "(lo, hi)": lo <= hi
    (RandMaskPerturb, {}, "noise_band_range", (1.0, 1.0), (1.0, 1.0 - EPS)),
    (RandMaskPerturb, {}, "noise_fraction_range", (0.0, 1.0), (-EPS, 1.0)),
    (RandMaskPerturb, {}, "dice_range", (0.0, 1.0), (-EPS, 1.0)),
    (RandMaskPerturb, {}, "dice_range", (0.5, 0.5), (0.5, 0.5 - EPS)),
    (RandMaskPerturb, {}, "elastic_magnitude_range", (0.0, 1.0), (-EPS, 1.0)),  # MONAI's magnitude_range (>= 0)
    (RandMaskPerturb, {}, "elastic_sigma_range", (EPS, 1.0), (0.0, 1.0)),  # "σ in voxels that smooths" (> 0)
    (RandMaskPerturb, {}, "elastic_spacing", 1.0, 1.0 - EPS),  # "distance in voxels between the control points"
    (RandMaskPerturb, {}, "max_tries", 1, 0),  # "number of draws"
    (RandMaskPerturb, {}, "spacing", (EPS, 1.0), (0.0, 1.0)),  # "voxel spacing in mm (one value per dim or a scalar)"
    (RandMaskPerturb, {}, "spacing", EPS, 0.0),
    (RandMaskPerturb, {}, "noise_band_range", (0.0, 1.0), (-EPS, 1.0)),  # "lo >= 0"
    (RandMaskPerturb, {}, "noise_fraction_range", (0.0, 1.0), (0.0, 1.0 + EPS)),  # "within [0, 1]"
    (RandMaskPerturb, {}, "dice_range", (0.0, 1.0), (0.0, 1.0 + EPS)),  # "within [0, 1]"
    (RandMaskPerturb, {}, "rotate_range", 0.0, -EPS),  # "the largest absolute rotation angle"
    (RandMaskPerturb, {}, "shift_range", 0.0, -EPS),  # "the largest absolute shift"
    (RandPercentileContrast, {}, "prob", 0.0, -EPS),  # "probability of the stretch"
    (RandPercentileContrast, {}, "prob", 1.0, 1.0 + EPS),
    (RandPercentileContrast, {}, "lower_range", (5.0, 5.0), (5.0, 5.0 - EPS)),  # "(lo, hi)": lo <= hi
    (RandPercentileContrast, {}, "lower_range", (0.0, 10.0), (-EPS, 10.0)),  # "within [0, 100]"
    (RandPercentileContrast, {}, "upper_range", (90.0, 100.0), (90.0, 100.0 + EPS)),  # "within [0, 100]"
    # "upper_range: ... above lower_range" (the error: "lower hi < upper lo")
    (RandPercentileContrast, {"upper_range": (10.0, 100.0)}, "lower_range", (0.0, 10.0 - EPS), (0.0, 10.0)),
    (RandPercentileContrast, {"b_min": 1.0}, "b_max", 1.0 + EPS, 1.0),  # "b_max: ..., above b_min"
    (ColorSpaceChannels, {}, "max_value", EPS, 0.0),  # "the value of full intensity" (> 0)
    # inferers
    (SlicePropagator, {}, "slice_axis", 2, 3),  # "spatial axis (0, 1, 2 or negative)" of a 3D volume
    (SlicePropagator, {}, "slice_axis", -3, -4),
    (SlicePropagator, {}, "window", (0.0, EPS), (0.0, 0.0)),  # window_intensity: "(low, high), finite, low < high"
    (SlicePropagator, {}, "min_quality", 1.0, 1.0 + EPS),  # the predicted Dice, in [0, 1]
    (SlicePropagator, {}, "prior_stroke_mm", 0.0, -EPS),  # edit_prior: "width_mm: ... >= 0"
    (SlicePropagator, {}, "margin_mm", EPS, 0.0),  # MaskSeeds: "at least the largest voxel spacing" (> 0)
    (SlicePropagator, {}, "window", (-1.0, 1.0), (1.0, -1.0)),
    (SlicePropagator, {}, "min_quality", 0.0, -EPS),
    (SlicePropagator, {}, "erosion_mm", EPS, 0.0),  # MaskSeeds: "eroded by this many mm"
    (SlicePropagator, {}, "min_area_fraction", 0.0, -EPS),  # "this fraction of the previous slice's" ([0, 1))
    (SlicePropagator, {}, "min_area_fraction", 1.0 - EPS, 1.0),
    (SlicePropagator, {}, "max_growth", 1.0 + EPS, 1.0),  # "exceeds this multiple of the previous slice's" (> 1)
    (SlicePropagator, {}, "intensity_fence", 0.0, -EPS),  # "k (Tukey's fences use 1.5)": IQR multiple >= 0
    (SlicePropagator, {}, "workers", 1, 0),  # "processes that propagate"
    (IterativeRefinementInferer, {}, "max_steps", 1, 0),  # "max_steps: ... >= 1"
    (IterativeRefinementInferer, {}, "tolerance", 0.0, -EPS),  # "tolerance: ... >= 0"
    (IterativeRefinementInferer, {}, "initial_prior", 1.0, 1.0 + EPS),  # "initial_prior: ... in [0, 1]"
    (IterativeRefinementInferer, {}, "initial_prior", 0.0, -EPS),
    (IterativeRefinementInferer, {}, "min_quality_gain", 0.0, -EPS),  # "min_quality_gain: ... (>= 0; ...)"
    (GraphCutSegmenter, {}, "lambda_", 0.0, -EPS),  # "lambda_: ... (≥ 0; 0 is a pure minimal-contrast cut)"
    (GraphCutSegmenter, {}, "sigma", EPS, 0.0),  # "boundary noise level" (> 0: intensity steps divided by it)
    (NetworkSegmenter, {"network": torch.nn.Identity()}, "sigma", EPS, 0.0),  # "Gaussian seed-map width in mm"
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
    (QualityUNet, {"features": (2,) * 3}, "spatial_dims", 2, 1),
    (QualityUNet, {"features": (2,) * 3}, "spatial_dims", 3, 4),
    (IterativeUNet, {"features": (2,) * 4}, "spatial_dims", 2, 1),
    (IterativeUNet, {"features": (2,) * 4}, "spatial_dims", 3, 4),
    (CDNN, {"features": (2,) * 17}, "spatial_dims", 2, 1),
    (CDNN, {"features": (2,) * 17}, "spatial_dims", 3, 4),
    (CDNN, {"spatial_dims": 2, "features": (2,) * 17}, "dropout", 0.0, -EPS),  # "probability of ... dropout" [0, 1)
    (CDNN, {"spatial_dims": 2, "features": (2,) * 17}, "dropout", 1.0 - EPS, 1.0),
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


def _float_pairs(rows):
    """One parameter per (owner, argument) of ``rows`` whose edge value is a sequence of floats."""
    seen = set()
    for param in rows:
        owner, context, argument, valid, _ = param.values
        if isinstance(valid, tuple) and all(type(v) is float for v in valid) and (owner, argument) not in seen:
            seen.add((owner, argument))
            yield pytest.param(owner, context, argument, valid, id=f"{_name(owner)}-{argument}", marks=param.marks)


def _name(owner) -> str:
    return owner if isinstance(owner, str) else owner.__name__


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "minus-inf"])
@pytest.mark.parametrize("cls, context, argument, valid", list(_float_pairs(_limits())))
def test_nan_and_inf_in_every_element_of_a_sequence_are_refused(cls, context, argument, valid, bad):
    """A window, a spacing or a ``(lo, hi)`` range checked as ``lo < hi`` or ``min(x) > 0`` lets a NaN element through
    (and ``(0, inf)`` passes ``lo < hi``): each element of each documented float sequence refuses NaN and +-Inf."""
    for index in range(len(valid)):
        value = tuple(bad if i == index else v for i, v in enumerate(valid))
        with pytest.raises(ValueError, match=argument):
            cls(**context, **{argument: value})


def _beyond(rows):
    """One parameter per (owner, argument, side) of ``rows`` with a scalar float edge: the infinity on the invalid
    side."""
    seen = set()
    for param in rows:
        owner, context, argument, valid, invalid = param.values
        if type(valid) is float and type(invalid) is float:
            side = math.copysign(math.inf, invalid - valid)
            if (owner, argument, side) not in seen:
                seen.add((owner, argument, side))
                yield pytest.param(
                    owner, context, argument, side, id=f"{_name(owner)}-{argument}-{side}", marks=param.marks
                )


@pytest.mark.parametrize("cls, context, argument, infinity", list(_beyond(_limits())))
def test_infinity_beyond_an_edge_is_refused_by_the_constructor(cls, context, argument, infinity):
    """The farthest value on the invalid side: a limit written with ``np.isfinite`` on one side only, or a check
    skipped for infinite values, fails here."""
    with pytest.raises(ValueError, match=argument):
        cls(**context, **{argument: infinity})


#: every finite-only number (a documented value with no range): NaN and +-Inf refused, 0 taken
FINITE_ONLY = [(FieldOfViewMask, {}, "threshold")]  # "foreground where img[channel] > threshold, in image units"


@pytest.mark.parametrize("cls, context, argument", FINITE_ONLY, ids=lambda v: getattr(v, "__name__", str(v)))
def test_a_finite_only_number_refuses_nan_and_inf(cls, context, argument):
    cls(**context, **{argument: 0.0})
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=argument):
            cls(**context, **{argument: bad})


# --- limits of what the instances and functions are CALLED with ------------------------------------------------------

_IMAGE = np.zeros((1, 12, 12), np.float32)
_IMAGE[0, 3:8, 3:8] = 0.8
_PRIOR = _IMAGE > 0
_SEEDS = np.zeros((2, 12, 12), bool)
_SEEDS[0, 5, 5] = True
_SEEDS[1, 0, :] = True
_USER = np.zeros((2, 12, 12), bool)
_USER[1, 5, 5] = True  # a background click inside the prior: merge_user_seeds needs the spacing
_VOLUME = np.ones((1, 3, 4, 5), np.float32)
_GRID = SliceGrid(8, 1.0)


class _PriorNet(torch.nn.Module):
    def forward(self, x):
        return 20 * (x[:, 1:2] - 0.5)


class _PriorLogits(torch.nn.Module):
    def forward(self, x):
        return 40 * (x[:, -1:] - 0.5)


def _spacing_calls():
    """Every public call that takes an in-plane ``spacing``: name -> call(spacing)."""
    graph_cut = GraphCutSegmenter if segmenters.has_maxflow else None
    yield "CopyPrevious.__call__", lambda s: CopyPrevious()(_IMAGE, _PRIOR, _SEEDS, s)
    yield "RandomWalkerSegmenter.__call__", lambda s: RandomWalkerSegmenter()(_IMAGE, _PRIOR, _SEEDS, s)
    yield "GraphCutSegmenter.__call__", (lambda s: graph_cut()(_IMAGE, _PRIOR, _SEEDS, s)) if graph_cut else None
    net = NetworkSegmenter(_PriorNet(), channels=("image", "prior"))
    yield "NetworkSegmenter.__call__", lambda s: net(_IMAGE, _PRIOR, _SEEDS, s)
    yield "check_slice_inputs", lambda s: check_slice_inputs(_IMAGE, _PRIOR, _SEEDS, s)
    yield "SliceGrid.frame", lambda s: _GRID.frame(_PRIOR, s)
    yield "network_input", lambda s: network_input(_GRID, _IMAGE, _PRIOR, _SEEDS, s)
    yield "edit_prior", lambda s: edit_prior(_PRIOR[0], _USER, s)
    yield "merge_user_seeds", lambda s: merge_user_seeds(_SEEDS, _PRIOR[0], _USER * 0, s)  # no click needs it
    yield "rejected_by_clicks", lambda s: rejected_by_clicks(_PRIOR[0], _USER[1], s)


def _iterative(prior_value: float):
    prior = torch.full((1, 1, 6, 6), prior_value)
    return IterativeRefinementInferer(max_steps=1)(torch.zeros(1, 1, 6, 6), _PriorLogits(), prior)


def _call_limits():
    """(owner "Class.method" or function name, the call taking the argument, argument, valid edge, invalid value)."""
    for owner, call in _spacing_calls():
        # "spacing: the slice's in-plane spacing (mm), one value per axis" (two finite values > 0)
        yield owner, call, "spacing", (EPS, 1.0), (0.0, 1.0)
        yield owner, call, "spacing", (1.0, EPS), (1.0, -EPS)
        yield owner, call, "spacing", (1.0, 1.0), (1.0, 1.0, 1.0)
        yield owner, call, "spacing", (1.0, 1.0), (1.0,)
    yield "edit_prior", lambda w: edit_prior(_PRIOR[0], _USER, (1, 1), width_mm=w), "width_mm", 0.0, -EPS  # ">= 0"
    # "sigma: the seed maps' Gaussian width in mm" (> 0)
    yield "network_input", lambda v: network_input(_GRID, _IMAGE, _PRIOR, _SEEDS, (1, 1), sigma=v), "sigma", EPS, 0.0
    # "window: (low, high), finite, low < high"
    yield "window_intensity", lambda w: window_intensity(np.zeros(3), w), "window", (0.0, EPS), (0.0, 0.0)
    for name, function in (
        ("annotate_slices", lambda a: annotate_slices(_VOLUME, [0], slice_axis=a)),
        ("canonical_slices", lambda a: canonical_slices(_VOLUME, slice_axis=a)),
        ("middle_slice", lambda a: middle_slice(_VOLUME, slice_axis=a)),
        ("resolve_slice_axis", lambda a: resolve_slice_axis(_VOLUME, a)),
    ):  # "slice_axis: spatial axis of the slices" of a 3D volume, negative from the last
        yield name, function, "slice_axis", 2, 3
        yield name, function, "slice_axis", -3, -4
    yield "occupied_slices", lambda a: occupied_slices(_VOLUME[0] > 0, a), "axis", 2, 3  # "spatial axis"
    yield "occupied_slices", lambda a: occupied_slices(_VOLUME[0] > 0, a), "axis", -3, -4
    # "prior: optional first prior, (B, 1, *spatial) foreground probabilities in [0, 1]"
    yield "IterativeRefinementInferer.__call__", _iterative, "prior", 0.0, -EPS
    yield "IterativeRefinementInferer.__call__", _iterative, "prior", 1.0, 1.0 + EPS


def _call_params():
    for number, (owner, call, argument, valid, invalid) in enumerate(_call_limits()):
        marks = [] if call is not None else [pytest.mark.skip(reason="PyMaxflow is not installed")]
        yield pytest.param(owner, call, argument, valid, invalid, id=f"{owner}-{argument}-{number}", marks=marks)


@pytest.mark.parametrize("owner, call, argument, valid, invalid", list(_call_params()))
def test_a_call_input_at_its_edge_is_accepted_and_beyond_it_refused(owner, call, argument, valid, invalid):
    call(valid)
    with pytest.raises(ValueError, match=argument):
        call(invalid)


def _call_singles():
    """One parameter per (owner, argument) of the call limits, with the call and the edge value."""
    seen = set()
    for param in _call_params():
        owner, call, argument, valid, _ = param.values
        if (owner, argument) not in seen:
            seen.add((owner, argument))
            yield pytest.param(call, argument, valid, id=f"{owner}-{argument}", marks=param.marks)


@pytest.mark.parametrize("call, argument, valid", list(_call_singles()))
def test_a_call_input_refuses_nan_inf_and_bool(call, argument, valid):
    """NaN and +-Inf for a float (each element of a sequence), a bool for an integer axis."""
    if type(valid) is int:
        bads = [True, False]
    elif type(valid) is float:
        bads = [math.nan]
    else:
        bads = [
            tuple(bad if i == index else v for i, v in enumerate(valid))
            for index in range(len(valid))
            for bad in (math.nan, math.inf, -math.inf)
        ]
    for bad in bads:
        with pytest.raises(ValueError, match=argument):
            call(bad)


def test_a_negative_axis_counts_from_the_last():
    """The negative edge of an axis is accepted AND read from the end (a range check alone would let ``axis=-1``
    select no axis at all): a (4, 4, 9) block on rows 1..2 and slices 2..4."""
    mask = np.zeros((4, 4, 9), bool)
    mask[1:3, 1:3, 2:5] = True
    assert occupied_slices(mask, -1).tolist() == [2, 3, 4] and occupied_slices(mask, -3).tolist() == [1, 2]
    assert resolve_slice_axis(_VOLUME, -1) == 2 and resolve_slice_axis(_VOLUME, -3) == 0


# --- completeness: every limited argument of the public API has a row above ------------------------------------------

PACKAGES = (
    monai_refine.transforms,
    monai_refine.inferers,
    monai_refine.losses,
    monai_refine.metrics,
    monai_refine.networks,
)

#: names whose family has a known limit (an axis, a length in mm, a probability, a range, a count, ...)
LIMITED_NAME = re.compile(
    r"^(slice_axis|axis|spacing|window|sigma|truncate|tolerance|pert|prob|dropout|epsilon|weights|features|"
    r"spatial_dims|connectivity|low|high|threshold|size|workers|initial_prior|"
    r"max_value|b_min|b_max|keys|.*_range|.*_prob|.*_mm|max_.*|min_.*|lambda_.*|.*_spacing|.*_fence|.*_gain)$"
)
#: words of a docstring's ``Args:`` entry that state a limit
LIMIT_WORDS = re.compile(
    r">=|<=|> 0|≥|\bin \[|\bwithin\b|positive|non-negative|finite|-3\.\.2|at least|at most|probabilit|"
    r"\(low, high\)|\(lo, hi\)|low < high|\bL >="
)

#: (owner, argument) left out on purpose -> why (one line each)
NOT_TABLED = {
    ("RandPercentileContrast.__init__", "b_min"): "any finite number; its limit is b_max > b_min, tabled as b_max",
    ("DiceImprovementLoss.forward", "previous"): "tests/test_input_limits.py LOSS_REFUSED: -EPS, 1+EPS, NaN",
    ("QualityRegularizedLoss.forward", "prior"): "tests/test_input_limits.py LOSS_REFUSED: logits, NaN",
    ("slice_result", "probability"): "tests/test_input_limits.py HELPERS_REFUSED: above 1, NaN, logits",
    ("IterativeUNet.forward", "prior"): "a network forward: no data-dependent checks (scriptable, like MONAI's nets)",
    ("QualityUNet.forward", "mask"): "a network forward: no data-dependent checks (scriptable, like MONAI's nets)",
    ("NetworkSegmenter.__init__", "quality_key"): "a dict key, not a number",
    ("NetworkSegmenter.__init__", "quality_logits"): "a flag, not a number",
    ("IterativeUNet.__init__", "norm"): "a layer name, not a number",
    ("IterativeUNet.__init__", "upsample"): "a layer name, not a number",
    ("QualityUNet.__init__", "upsample"): "a layer name, not a number",
    ("IterativeRefinementInferer.__init__", "return_probability"): "a flag, not a number",
    (
        "RefineNet.__init__",
        "dropout",
    ): "MONAI's dropout spec (a float or a layer tuple), checked by torch as in BasicUNet",
    ("QualityUNet.__init__", "dropout"): "MONAI's dropout spec, checked by torch as in BasicUNet",
    ("IterativeUNet.__init__", "dropout"): "MONAI's dropout spec, checked by torch as in BasicUNet",
}
#: owners whose limited arguments are checked elsewhere -> why
NOT_TABLED_OWNERS = {
    "UNetEncoder": "a building block: the nets that use it check spatial_dims and features (rows above)",
    "UNetDecoder": "a building block: the nets that use it check spatial_dims and features (rows above)",
    "UNetFeatures": "a building block: the nets that use it check spatial_dims and features (rows above)",
    "SliceFrame": "a record made by SliceGrid.frame (its spacing is tabled there), not built by users",
    "SliceRecord": "a record of the propagation history, not built by users",
    "IterationRecord": "a record of the iteration history, not built by users",
}


def _args_section(doc: str | None) -> dict[str, str]:
    """The ``Args:`` entries of a Google-style docstring: argument -> its text (continuation lines joined)."""
    entries: dict[str, str] = {}
    current, indent, inside = None, None, False
    for line in (doc or "").splitlines():
        text = line.strip()
        if re.match(r"^(Args|Arguments|Parameters):$", text):
            inside, current, indent = True, None, None
            continue
        if inside and re.match(r"^[A-Z][A-Za-z ]*:$", text):
            inside = False
        if not inside or not text:
            continue
        match = re.match(r"^(\s*)(\*{0,2}\w+)( \(.*?\))?:(\s.*|)$", line)
        if match and (indent is None or len(match.group(1)) <= indent):
            indent, current = len(match.group(1)), match.group(2)
            entries[current] = match.group(4)
        elif current:
            entries[current] += " " + text
    return entries


def _array_transform(name: str, namespace: dict):
    """The array transform a dictionary transform wraps (``MaskSeedsd`` -> ``MaskSeeds``), else None."""
    for suffix in ("Dict", "d", "D"):
        if name.endswith(suffix) and inspect.isclass(namespace.get(name[: -len(suffix)])):
            return name[: -len(suffix)]
    return None


def limited_arguments() -> set[tuple[str, str]]:
    """Every (owner, argument) of the public API of the core packages whose name is in a limited family or whose
    docstring states a limit: owner ``"Class.method"`` (``__init__``, ``__call__``, ``forward`` and public methods
    defined in the package) or a function's name. Dictionary transforms are left to their array transform (the dict
    wrapper tests check that each argument is handed over)."""
    found = set()
    for package in PACKAGES:
        namespace = vars(package)
        for name, obj in namespace.items():
            if name.startswith("_") or not getattr(obj, "__module__", "").startswith("monai_refine"):
                continue
            if inspect.isclass(obj):
                if _array_transform(name, namespace) or name in NOT_TABLED_OWNERS:
                    continue
                methods = {"__init__", "__call__", "forward"} | {m for m in vars(obj) if not m.startswith("_")}
                targets = []
                for method in sorted(methods):
                    function = vars(obj).get(method) or getattr(obj, method, None)
                    if inspect.isfunction(function) and function.__module__.startswith("monai_refine"):
                        doc = (function.__doc__ or "") + ("\n" + (obj.__doc__ or "") if method == "__init__" else "")
                        targets.append((f"{name}.{method}", function, doc))
            elif inspect.isfunction(obj):
                targets = [(name, obj, obj.__doc__)]
            else:
                continue
            for owner, function, doc in targets:
                entries = _args_section(doc)
                for argument in inspect.signature(function).parameters:
                    if argument in ("self", "cls", "args", "kwargs"):
                        continue
                    if LIMITED_NAME.match(argument) or LIMIT_WORDS.search(entries.get(argument, "")):
                        found.add((owner, argument))
    return found


def tabled_arguments() -> set[tuple[str, str]]:
    """Every (owner, argument) with a row in the tables of this file."""
    rows = {(f"{cls.__name__}.__init__", argument) for cls, _, argument, _, _ in LIMITS}
    rows |= {(f"{cls.__name__}.__init__", argument) for cls, _, argument in FINITE_ONLY}
    rows |= {(owner if "." in owner else owner, argument) for owner, _, argument, _, _ in _call_limits()}
    return rows


def test_every_limited_argument_of_the_public_api_has_a_row():
    """A new limited argument (or one of a new class) must get its edge rows, its NaN/Inf/bool checks with them, or a
    one-line reason in ``NOT_TABLED``; a reason for an argument that no longer exists is stale."""
    found, tabled = limited_arguments(), tabled_arguments()
    missing = sorted(found - tabled - set(NOT_TABLED))
    assert not missing, "limited arguments with no row in the limit tables (add rows or a NOT_TABLED reason):\n" + (
        "\n".join(f"  {owner}: {argument}" for owner, argument in missing)
    )
    stale = sorted(set(NOT_TABLED) - found)
    assert not stale, f"NOT_TABLED reasons for arguments that are not limited public arguments: {stale}"


def test_the_completeness_scan_sees_the_known_limits():
    """The scan itself: it finds arguments by name family, by docstring words, in calls and in functions."""
    found = limited_arguments()
    for expected in [
        ("DiscrepancySeeds.__init__", "slice_axis"),  # by name
        ("IterativeRefinementInferer.__init__", "max_steps"),  # ">= 1"
        ("IterativeRefinementInferer.__call__", "prior"),  # "in [0, 1]"
        ("SliceGrid.frame", "spacing"),  # a public method
        ("window_intensity", "window"),  # a function
        ("DeepSupervisionDictLoss.__init__", "weights"),  # "non-negative"
    ]:
        assert expected in found, expected
    assert not any(owner.startswith("MaskSeedsd") for owner, _ in found)  # dict wrappers: left to the array form
