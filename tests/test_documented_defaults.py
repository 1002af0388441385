"""Every documented constructor default of the public classes, against ``inspect.signature``.

The table is written from the docstrings (and the papers they cite), not from the code: a default changed in the
code without its documentation fails here. Each dictionary transform documents its arguments as "see" its array
transform, so it must share the array transform's defaults (checked for every ``Xd`` of the package).
"""

from __future__ import annotations

import inspect

import pytest

import monai_refine.inferers as inferers
import monai_refine.losses as losses
import monai_refine.networks.blocks as blocks
import monai_refine.networks.nets as nets
import monai_refine.transforms as transforms
from tests.transforms.test_dict_wrappers import DICT_TRANSFORMS

ACT = ("relu", {"inplace": True})

#: {class: {argument: documented default}}; the source of each value in the comment
DOCUMENTED = {
    # transforms
    transforms.ColorSpaceChannels: {"spaces": ("rgb", "hsv", "lab_l"), "max_value": 255.0},  # paper 003's 7 channels
    transforms.DiscrepancySeeds: {"min_component_size": 0, "slice_axis": -1},  # docstring: "0 keeps every component"
    transforms.DualThreshold: {"high": 0.8, "low": 0.5, "select": "centroid"},  # paper 003: 0.8 / 0.5, centroid
    transforms.ExtremePointSeeds: {"pert": 0.0},  # docstring: no perturbation by default
    transforms.FieldOfViewMask: {"channel": 0, "threshold": 30.0},  # docstring: "30 of 255", red channel
    transforms.GaussianSeedMap: {"sigma": 5.0, "truncate": 5.0},  # docstring: "default 5σ"
    transforms.MaskSeeds: {"margin_mm": 5.0},  # docstring: margin_mm ring
    transforms.RandMaskPerturb: {  # docstring: one line per probability / range
        "prob": 1.0,
        "morph_prob": 0.5,
        "radius_range": (-3.0, 3.0),
        "noise_prob": 0.5,
        "noise_band_range": (1.0, 3.0),
        "noise_fraction_range": (0.1, 0.5),
        "elastic_prob": 0.5,
        "elastic_spacing": 32.0,
        "elastic_sigma_range": (5.0, 8.0),
        "rotate_prob": 0.3,
        "rotate_range": 0.2,
        "shift_prob": 0.3,
        "shift_range": 4.0,
        "flip_prob": 0.1,
        "max_tries": 100,
    },
    transforms.RandPercentileContrast: {  # docstring: percentile ranges, output [b_min, b_max]
        "prob": 1.0,
        "lower_range": (0.0, 10.0),
        "upper_range": (90.0, 100.0),
        "b_min": 0.0,
        "b_max": 1.0,
    },
    # dictionary output keys: each docstring states its default key
    transforms.DiscrepancySeedsd: {"seeds_key": "seeds"},
    transforms.ExtremePointSeedsd: {"seeds_key": "seeds"},
    transforms.MaskSeedsd: {"seeds_key": "seeds"},
    transforms.FieldOfViewMaskd: {"fov_key": "fov"},
    transforms.GaussianSeedMapd: {"map_key": "seed_map"},
    transforms.RandMaskPerturbd: {"quality_key": "quality"},
    # inferers
    # docstrings: tolerance 1e-3 (paper 000's Th, no value given there), initial prior 0.5 (paper 000: no opinion)
    inferers.IterativeRefinementInferer: {
        "max_steps": 5,
        "tolerance": 1e-3,
        "initial_prior": 0.5,
        "min_quality_gain": 0.0,
    },
    inferers.GraphCutSegmenter: {  # docstring: regional weight, sigma 0.05 (20 HU of a 400 HU window), 32 bins
        "lambda_": 1.0,
        "sigma": 0.05,
        "bins": 32,
        "shape_weight": 0.0,
    },
    inferers.NetworkSegmenter: {"sigma": 5.0},  # docstring: seed-map width in mm, as GaussianSeedMap
    inferers.RandomWalkerSegmenter: {"beta": 130.0},  # skimage's random_walker default
    inferers.SliceGrid: {  # docstring: size pixels of spacing mm
        "size": 128,
        "spacing": 2.0,
    },
    inferers.SlicePropagator: {  # docstring: abdominal soft-tissue window
        "margin_mm": 5.0,
        "window": (-100.0, 200.0),
        "min_area_fraction": 0.1,
        "workers": 1,
    },
    # losses
    losses.DeepSupervisionDictLoss: {  # docstring: "exp" (1, 1/2, 1/4, ...)
        "weight_mode": "exp",
    },
    losses.DiceImprovementLoss: {  # docstring: epsilon (paper 000's ε, value ours), lambda_ce ours, off
        "smooth_nr": 1e-5,
        "smooth_dr": 1e-5,
        "epsilon": 0.1,
        "lambda_ce": 0.0,
        "reduction": "mean",
    },
    losses.OutputQualityLoss: {  # docstring: lambda default 1, the RefineOutputs keys
        "lambda_quality": 1.0,
        "output_key": "refined",
        "quality_key": "quality",
    },
    losses.QualityRegularizedLoss: {  # docstring: lambda default 1 (paper 002 learns it, gives no value)
        "lambda_quality": 1.0,
        "smooth_nr": 1e-5,
        "smooth_dr": 1e-5,
        "reduction": "mean",
    },
    # networks
    nets.CDNN: {  # paper 003, Table I: 7 input channels, 17 widths, dropout 0.5
        "in_channels": 7,
        "out_channels": 1,
        "features": (16, 32, 64, 64, 128, 128, 256, 256, 512, 256, 256, 128, 128, 128, 64, 32, 16),
        "act": ACT,
        "norm": "batch",
        "dropout": 0.5,
    },
    nets.IterativeUNet: {  # paper 000: image + prior
        "in_channels": 2,
        "out_channels": 1,
        "prior_channels": 1,
        "features": (32, 32, 64, 128, 256, 32),
        "act": ACT,
        "norm": "batch",
        "dropout": 0.0,
        "upsample": "deconv",
    },
    nets.QualityUNet: {  # paper 002: image + mask
        "in_channels": 2,
        "out_channels": 1,
        "mask_channels": 1,
        "features": (32, 32, 64, 128, 32),
        "act": ACT,
        "norm": "batch",
        "dropout": 0.0,
        "upsample": "deconv",
    },
    nets.RefineNet: {  # docstring: seed_channels "default 2", foreground then background
        "in_channels": 3,
        "out_channels": 1,
        "seed_channels": 2,
        "features": (32, 32, 64, 128, 256, 32),
        "refine_features": 16,
        "act": ACT,
        "norm": "batch",
        "dropout": 0.0,
        "upsample": "deconv",
    },
    # the U-Net stacks: BasicUNet's blocks with BasicUNet's defaults; the decoder's docstring: "Each stage upsamples
    # (transposed convolution by default)"; the encoder's: level 0 is two convolutions "(skipped when
    # downsample_first)", an option for an encoder that continues another
    blocks.UNetEncoder: {"bias": True, "dropout": 0.0, "downsample_first": False},
    blocks.UNetDecoder: {"bias": True, "dropout": 0.0, "upsample": "deconv"},
    blocks.UNetFeatures: {"bias": True, "dropout": 0.0, "upsample": "deconv"},
}


def _defaults(cls: type) -> dict:
    params = inspect.signature(cls.__init__).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def _public_classes() -> set[type]:
    found = set()
    for module in (transforms, inferers, losses, nets, blocks):
        for name in module.__all__ if hasattr(module, "__all__") else dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj.__module__.startswith("monai_refine") and obj.__name__ == name:
                found.add(obj)
    return found


@pytest.mark.parametrize("cls", sorted(DOCUMENTED, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_documented_default(cls):
    defaults = _defaults(cls)
    for argument, value in DOCUMENTED[cls].items():
        assert argument in defaults, f"{cls.__name__}.{argument} has no default"
        assert defaults[argument] == value, f"{cls.__name__}.{argument}: {defaults[argument]!r}, documented {value!r}"


def test_every_numeric_or_string_default_is_tabled():
    """Each public array class / network / network block / inferer / loss with a numeric or string default has an entry
    per default."""
    missing = []
    for cls in _public_classes():
        if cls.__name__ in DICT_TRANSFORMS:
            continue  # checked against its array transform below
        for argument, value in _defaults(cls).items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str, tuple)):
                continue
            if argument in ("keys", "channels"):
                continue  # enum tuples, documented in their own docstrings
            if argument not in DOCUMENTED.get(cls, {}):
                missing.append(f"{cls.__name__}.{argument}")
    assert not missing, missing


@pytest.mark.parametrize("name", sorted(DICT_TRANSFORMS))
def test_dict_transform_defaults_are_the_array_defaults(name):
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    array_defaults, dict_defaults = _defaults(array_cls), _defaults(dict_cls)
    for argument, value in array_defaults.items():
        if argument in dict_defaults:
            assert dict_defaults[argument] == value, f"{name}.{argument}"
