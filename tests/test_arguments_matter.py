"""Every constructor argument of every public transform, inferer, loss and network changes its output.

The classes are found by walking ``monai_refine.transforms`` (array transforms), ``monai_refine.inferers``,
``monai_refine.losses`` and ``monai_refine.networks.nets``. Each needs a :class:`~tests.argument_tables.Case` (the
array transforms' are in :data:`tests.argument_tables.TRANSFORM_CASES`, the others below) that gives every constructor
argument a non-default value, unless :data:`EXEMPT` says why the argument cannot change the output. For each value, the
output of a small example call must differ from the output with the argument at its default: an argument the class
silently ignores (never stored, not handed on to the part that uses it) fails here. A network's "output" is its module
structure (``repr``: layer kinds, widths, their settings) and its output on an input shaped for it, with the weights
drawn from a fixed seed, so an ignored argument gives the same network and the same output.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from monai.inferers import SlidingWindowInferer
from monai.losses import DiceLoss
from monai.transforms import MapTransform, Transform

import monai_refine.inferers
import monai_refine.losses
import monai_refine.networks.nets
import monai_refine.transforms
from monai_refine.inferers import (
    CopyPrevious,
    GraphCutSegmenter,
    IterationRecord,
    IterativeRefinementInferer,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SliceFrame,
    SliceGrid,
    SlicePropagator,
    SliceRecord,
    network_input,
)
from monai_refine.losses import (
    DeepSupervisionDictLoss,
    DiceImprovementLoss,
    OutputQualityLoss,
    QualityRegularizedLoss,
)
from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from tests.argument_tables import (
    TRANSFORM_CASES,
    Case,
    Vary,
    constructor_arguments,
    kwargs_pair,
    outcome,
    raised,
    same_outcome,
    variants,
)


def _public_classes(package, keep) -> set[type]:
    found = set()
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        for name, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
            if cls.__module__.startswith(package.__name__) and not name.startswith("_") and keep(cls):
                found.add(cls)
    return found


#: records of results: their fields are data, not settings of a computation
RECORDS = {IterationRecord, SliceFrame, SliceRecord}

CLASSES = (
    _public_classes(monai_refine.transforms, lambda c: issubclass(c, Transform) and not issubclass(c, MapTransform))
    | _public_classes(monai_refine.inferers, lambda c: c not in RECORDS)
    | _public_classes(monai_refine.losses, lambda c: True)
    | _public_classes(monai_refine.networks.nets, lambda c: issubclass(c, torch.nn.Module))
)

#: arguments that cannot change an output, each with the reason
EXEMPT = {
    (SlicePropagator, "progress"): "shows a progress bar only",
    (SlicePropagator, "workers"): "processes that share the work; the result is documented to be the same as with 1",
    (NetworkSegmenter, "device"): "where the network runs; the tests run on a CPU only",
    (QualityUNet, "mask_channels"): "image and mask are concatenated again at the input: it splits and checks a mask "
    "given separately (test_quality_unet.py: test_shapes, test_bad_input_channels), nothing else",
}


# --- inferers -----------------------------------------------------------------------------------------------------


class _Refiner(torch.nn.Module):
    """Moves the prior (last channel) halfway to the 3 x 3 mean of the image (``"mask"``), or a quarter of the way
    (``"slow"``); rates a prior by its mean (``"quality"``), so the rating drops as the prior shrinks towards a
    target of mean 1/4. Not pointwise, so a sliding window with zero padding changes its output."""

    def __init__(self, as_dict: bool = False) -> None:
        super().__init__()
        self.as_dict = as_dict

    def forward(self, x):
        target, prior = F.avg_pool2d(x[:, :1], 3, 1, 1), x[:, -1:]
        mask = torch.logit((prior + target) / 2, eps=1e-6)
        if not self.as_dict:
            return mask
        slow = torch.logit((3 * prior + target) / 4, eps=1e-6)
        return {"mask": mask, "slow": slow, "quality": prior.mean((1, 2, 3))[:, None]}


def _refine_data(as_dict: bool = False):
    def data() -> dict:
        image = torch.zeros(1, 1, 8, 8)
        image[..., 2:6, 2:6] = 1.0
        return {"image": image, "network": _Refiner(as_dict)}

    return data


def _refine(inferer: IterativeRefinementInferer, d: dict):
    return inferer(d["image"], d["network"], return_history=True)


def _slice_data() -> dict:
    """One noisy 24 x 24 slice: a bright disc with a dark hole, the prior a slightly larger disc, a few seeds."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:24, :24]
    disc = (yy - 12) ** 2 + (xx - 11) ** 2 <= 36
    image = (0.7 * disc + rng.normal(0, 0.15, (24, 24))).clip(0, 1).astype(np.float32)[None]
    image[0, 11:13, 10:12] = 0.1
    prior = ((yy - 12) ** 2 + (xx - 12) ** 2 <= 64)[None]
    seeds = np.zeros((2, 24, 24), bool)
    seeds[0, 12, 8:15] = seeds[1, 1, :] = seeds[1, :, 22] = True
    return {"image": image, "prior": prior, "seeds": seeds, "spacing": (1.0, 1.5)}


def _segment(segmenter, d: dict):
    return segmenter(d["image"], d["prior"], d["seeds"], d["spacing"])


class _Channels(torch.nn.Module):
    """Logits from a 3 x 3 mean of the input channels, channel ``c`` weighted ``c + 1`` (their order matters)."""

    def __init__(self, as_dict: bool = False) -> None:
        super().__init__()
        self.as_dict = as_dict

    def forward(self, x):
        weights = torch.arange(1, x.shape[1] + 1, dtype=x.dtype).view(1, -1, 1, 1)
        logits = F.avg_pool2d((x * weights).sum(1, keepdim=True), 3, 1, 1) - 1
        if not self.as_dict:
            return logits
        return {"a": logits, "b": -logits, "q": logits.mean((1, 2, 3))[:, None], "r": logits.amax((1, 2, 3))[:, None]}


def _volume_data(segmenter, user_seeds: bool = False, bright_end: bool = False):
    """A noisy 32 x 32 x 9 cone (radius 12 at slice 0 down to 4 at slice 8) with a dark 2 x 2 hole off its axis,
    annotated on slice 4; ``user_seeds``: a foreground click outside the object on slice 5; ``bright_end``: the cone
    is 250 instead of 100 on slices 0-1."""

    def data() -> dict:
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[:32, :32]
        truth = np.zeros((1, 32, 32, 9), np.uint8)
        for z in range(9):
            truth[0, ..., z] = (yy - 16) ** 2 + (xx - 16) ** 2 <= (12 - z) ** 2
        volume = truth * 100.0 + rng.normal(0, 5, truth.shape)
        volume[0, 14:16, 18:20] = 0.0
        if bright_end:
            volume[0, ..., :2] += 150.0 * truth[0, ..., :2]
        annotation = np.zeros_like(truth)
        annotation[..., 4] = truth[..., 4]
        seeds = np.zeros((2, 32, 32, 9), np.uint8)
        if user_seeds:
            seeds[0, 16, 28, 5] = 1
        return {"volume": volume.astype(np.float32), "annotation": annotation, "seeds": seeds, "segmenter": segmenter}

    return data


class _RatedCopy(CopyPrevious):
    """Copies the prior and rates it by its area (400 pixels: 1)."""

    def __call__(self, image, prior, seeds, spacing=None):
        mask = super().__call__(image, prior, seeds, spacing)
        return mask, min(1.0, float(mask.sum()) / 400)


def _propagate(propagator: SlicePropagator, d: dict):
    mask, history = propagator(
        d["volume"], d["segmenter"], annotation=d["annotation"], seeds=d["seeds"], return_history=True
    )
    return mask, [(r.index, r.direction, r.area, r.n_fg_seeds, r.n_bg_seeds, r.stop_reason) for r in history]


def _loss_data(channels: int = 2, onehot_target: bool = True):
    def data() -> dict:
        generator = torch.Generator().manual_seed(0)
        target = torch.zeros(2, 1, 6, 6)
        target[0, :, 1:4, 1:5] = target[1, :, 2:6, 0:3] = 1
        full = torch.cat([1 - target, target], 1)[:, -channels:] if onehot_target else target
        return {
            "input": torch.rand(2, channels, 6, 6, generator=generator) * 4 - 2,
            "target": full,
            "prior": torch.rand(2, channels, 6, 6, generator=generator),
            "quality": torch.tensor([[0.3], [0.9]]),
        }

    return data


def _deep_data() -> dict:
    generator = torch.Generator().manual_seed(0)
    outputs = {
        key: torch.randn(2, 1, size, size, generator=generator)
        for key, size in (("refined", 8), ("side_1", 8), ("side_2", 4), ("side_4", 2), ("quality", 1))
    }
    outputs["quality"] = outputs["quality"].reshape(2, 1)
    outputs["other_quality"] = -outputs["quality"]
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:6, 1:7] = 1
    return {"input": outputs, "target": target}


def _dice_of(key: str):
    dice = DiceLoss(sigmoid=True)
    return lambda x, y: dice(x[key], y)


def _net_data() -> dict:
    """Seeds torch's global generator: :func:`~tests.argument_tables.outcome` builds the network right after this
    call, so both networks of a pair draw their weights from the same seed (the same weights where they have the same
    layers)."""
    torch.manual_seed(0)
    return {}


def _run_network(net: torch.nn.Module, _: dict):
    """The network's structure and its output (training mode: dropout and batch statistics act) on a batch of 2
    shaped for it: ``in_channels`` channels, 32^2 (2D) or 16^3 (3D) voxels as its first convolution's kind says."""
    first = next(m for m in net.modules() if isinstance(m, torch.nn.modules.conv._ConvNd))
    dims = len(first.kernel_size)
    channels = getattr(net, "in_channels", first.in_channels)
    x = torch.rand((2, channels) + (32 if dims == 2 else 16,) * dims, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return repr(net), net(x)


def _net_case(features: tuple, wider: tuple, **args) -> Case:
    """The arguments every U-Net-like network shares, plus ``args``."""
    shared = {
        "spatial_dims": Vary(3, base=2),
        "in_channels": 4,
        "out_channels": 2,
        "features": Vary(wider, base=features),
        "act": "elu",
        "norm": "instance",
        "bias": False,
        "dropout": 0.25,
        "upsample": "nontrainable",
    }
    return Case(
        data=_net_data, call=_run_network, fixed={"spatial_dims": 2, "features": features}, args={**shared, **args}
    )


_LOSS_FLAGS = {
    "include_background": Vary(False, context={"sigmoid": True}),
    "to_onehot_y": Vary(True, context={"softmax": True}, data=_loss_data(onehot_target=False)),
    "sigmoid": True,
    "softmax": True,
    "smooth_nr": 1.0,
    "smooth_dr": 1.0,
    "reduction": "sum",
}

#: the other public classes: a small example call and a non-default value of each argument
CASES: dict[type, Case] = {
    **TRANSFORM_CASES,
    IterativeRefinementInferer: Case(
        data=_refine_data(),
        call=_refine,
        args={
            "max_steps": 2,
            "tolerance": 0.1,
            "initial_prior": 0.2,
            "output_key": Vary("slow", base="mask", data=_refine_data(as_dict=True)),
            "quality_key": Vary("quality", context={"output_key": "mask"}, data=_refine_data(as_dict=True)),
            # from a 0.1 prior the rating (the prior's mean) rises by ~0.075, then ~0.04: a 0.05 margin stops at step 3
            "min_quality_gain": Vary(
                0.05,
                context={"output_key": "mask", "quality_key": "quality", "initial_prior": 0.1, "tolerance": 0.0},
                data=_refine_data(as_dict=True),
            ),
            "inferer": SlidingWindowInferer(roi_size=(4, 4), overlap=0.0),
            "return_probability": True,
        },
    ),
    SlicePropagator: Case(
        data=_volume_data(GraphCutSegmenter()),
        call=_propagate,
        args={
            "margin_mm": 2.0,
            "erosion_mm": 2.0,
            "window": (-400.0, -300.0),  # everything saturates: no contrast left
            "min_area_fraction": 0.8,  # the cone shrinks by more than 20 % a slice near its tip
            "min_quality": Vary(0.9, data=_volume_data(_RatedCopy())),
            "fill_holes": False,
            "slice_axis": 0,
            "max_growth": 1.1,  # downwards the cone grows by more than 10 % a slice
            "prior_stroke_mm": Vary(3.0, data=_volume_data(CopyPrevious(), user_seeds=True)),
            "intensity_fence": Vary(1.5, data=_volume_data(CopyPrevious(), bright_end=True)),  # stops at slice 1
        },
    ),
    CopyPrevious: Case(data=_slice_data, call=_segment, args={}),
    GraphCutSegmenter: Case(
        data=_slice_data,
        call=_segment,
        args={"lambda_": 20.0, "sigma": 0.5, "bins": 4, "shape_weight": 1.0},
    ),
    RandomWalkerSegmenter: Case(data=_slice_data, call=_segment, args={"beta": 5.0}),
    NetworkSegmenter: Case(
        data=_slice_data,
        call=_segment,
        fixed={"network": _Channels()},
        args={
            "network": Vary(torch.nn.Conv2d(4, 1, 1), base=_Channels()),
            "channels": ("seed_map", "prior", "image"),
            "sigma": [Vary(2.0), Vary(2.0, context={"grid": SliceGrid(size=16, spacing=2.0)})],  # both input paths
            "grid": SliceGrid(size=16, spacing=2.0),
            "output_key": Vary("b", base="a", context={"network": _Channels(as_dict=True)}),
            "quality_key": Vary("r", base="q", context={"network": _Channels(as_dict=True), "output_key": "a"}),
            "quality_logits": Vary(
                True, context={"network": _Channels(as_dict=True), "output_key": "a", "quality_key": "q"}
            ),
            "inferer": SlidingWindowInferer(roi_size=(8, 8), overlap=0.0),
        },
    ),
    SliceGrid: Case(
        data=_slice_data,
        call=lambda grid, d: network_input(grid, d["image"], d["prior"], d["seeds"], d["spacing"]),
        args={"size": 16, "spacing": 1.0},
    ),
    DiceImprovementLoss: Case(
        data=_loss_data(),
        call=lambda loss, d: loss(d["input"], d["target"], d["prior"]),
        args={
            **_LOSS_FLAGS,
            "batch": True,
            "epsilon": 0.5,
            "lambda_ce": Vary(1.0, context={"sigmoid": True}),
        },
    ),
    QualityRegularizedLoss: Case(
        data=_loss_data(),
        call=lambda loss, d: loss(d["input"], d["target"], d["prior"], d["quality"]),
        args={**_LOSS_FLAGS, "lambda_quality": 0.5},
    ),
    DeepSupervisionDictLoss: Case(
        data=_deep_data,
        call=lambda loss, d: loss(d["input"], d["target"]),
        fixed={"loss": DiceLoss(sigmoid=True)},
        args={
            "loss": Vary(DiceLoss(sigmoid=True, squared_pred=True), base=DiceLoss(sigmoid=True)),
            "keys": ("refined", "side_2"),
            "weight_mode": "same",
            "weights": (1.0, 0.0, 0.5, 2.0),
        },
    ),
    OutputQualityLoss: Case(
        data=_deep_data,
        call=lambda loss, d: loss(d["input"], d["target"]),
        fixed={"segmentation_loss": _dice_of("refined")},
        args={
            "segmentation_loss": Vary(_dice_of("side_1"), base=_dice_of("refined")),
            "lambda_quality": 0.5,
            "output_key": "side_1",
            "quality_key": "other_quality",
        },
    ),
    IterativeUNet: _net_case((4, 4, 8, 4), (4, 6, 8, 4), prior_channels=Vary(2, context={"in_channels": 4})),
    QualityUNet: _net_case((4, 6, 4), (4, 8, 4)),
    RefineNet: _net_case(
        (4, 4, 6, 8, 4),
        (4, 6, 6, 8, 4),
        seed_channels=Vary(1, context={"in_channels": 4}),
        refine_features=3,
        backbone=torch.nn.Conv2d(1, 1, 3, padding=1),
        quality_head=True,
    ),
    CDNN: Case(
        data=_net_data,
        call=_run_network,
        fixed={"spatial_dims": 2, "features": (2,) * 17},
        args={
            "spatial_dims": Vary(3, base=2),
            "in_channels": 3,
            "out_channels": 2,
            "features": Vary((3,) * 17, base=(2,) * 17),
            "act": "elu",
            "norm": "instance",
            "dropout": 0.25,
            "bias": False,
        },
    ),
}


#: a loss given labels (B, 1) for a two-channel input needs ``to_onehot_y``: without it the call raises
BASE_RAISES = {(DiceImprovementLoss, "to_onehot_y"), (QualityRegularizedLoss, "to_onehot_y")}


def _parameters():
    for cls in sorted(CLASSES & set(CASES), key=lambda c: c.__name__):
        for argument, entry in CASES[cls].args.items():
            for index in range(len(variants(entry))):
                yield pytest.param(cls, argument, index, id=f"{cls.__name__}-{argument}-{index}")


@pytest.mark.parametrize("cls", sorted(CLASSES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_argument_has_a_case_or_a_reason(cls):
    assert cls in CASES, f"{cls.__name__} has no case in tests/test_arguments_matter.py"
    arguments = constructor_arguments(cls)
    missing = [a for a in arguments if a not in CASES[cls].args and (cls, a) not in EXEMPT]
    assert not missing, f"{cls.__name__}: no non-default value (nor an exemption) for {missing}"
    assert set(CASES[cls].args) <= set(arguments)


@pytest.mark.parametrize("cls, argument, index", list(_parameters()))
def test_argument_changes_output(cls, argument, index):
    case = CASES[cls]
    base, changed, data = kwargs_pair(case, cls, argument, index)
    default = outcome(cls, base, case, data())
    assert not raised(default) or (cls, argument) in BASE_RAISES, default
    assert not same_outcome(default, outcome(cls, changed, case, data()))


@pytest.mark.parametrize("cls", [GraphCutSegmenter, RandomWalkerSegmenter, NetworkSegmenter], ids=lambda c: c.__name__)
def test_segmenters_use_the_call_spacing(cls):
    """The in-plane spacing a segmenter is called with (the propagator's, from the affine) changes its result."""
    case = CASES[cls]
    wide = Case(data=lambda: {**case.data(), "spacing": (1.0, 3.0)}, call=case.call, args={}, fixed=case.fixed)
    assert not same_outcome(outcome(cls, case.fixed, case, case.data()), outcome(cls, case.fixed, wide, wide.data()))
