"""Tables of small example calls and non-default constructor arguments, shared by the argument tests.

``tests/test_arguments_matter.py`` checks that every constructor argument of every public class changes its output;
``tests/transforms/test_dict_wrappers.py`` checks that every dictionary transform hands every argument to its array
transform. Both read the array transforms' cases from :data:`TRANSFORM_CASES`, so a new argument is added once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

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
from monai_refine.transforms.lesion import OtsuLesionMask

#: stands for "the argument's default" as a :class:`Vary` base
DEFAULT = inspect.Parameter.empty


@dataclass(frozen=True)
class Vary:
    """One argument set to ``value`` instead of ``base`` (its default unless given), with the ``context`` arguments set
    on both sides and, if given, ``data`` instead of the case's example input."""

    value: Any
    base: Any = DEFAULT
    context: Mapping[str, Any] = field(default_factory=dict)
    data: Callable[[], Any] | None = None


def variants(entry: Any) -> list[Vary]:
    """A table entry as a list of :class:`Vary`: a bare value, one :class:`Vary`, or a list of them (an argument
    used on several code paths gets one per path)."""
    if isinstance(entry, list):
        return [variant for item in entry for variant in variants(item)]
    return [entry if isinstance(entry, Vary) else Vary(entry)]


@dataclass(frozen=True)
class Case:
    """How to call a class on a small example: ``call(instance, data())`` gives its output.

    ``args`` maps every argument that matters to a :class:`Vary`, a list of them or a bare non-default value;
    ``fixed`` are arguments every instance gets (a required one, e.g. a loss to wrap); ``seed`` seeds ``Randomizable``
    instances before the call.
    """

    data: Callable[[], Any]
    call: Callable[[Any, Any], Any]
    args: Mapping[str, Any]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None


def kwargs_pair(case: Case, cls: type, name: str, index: int = 0) -> tuple[dict, dict, Callable[[], Any]]:
    """The keyword arguments with ``name`` at its base and at its value (context and fixed ones on both), and the
    example data to call with."""
    vary = variants(case.args[name])[index]
    common = {**case.fixed, **vary.context}
    base = dict(common)
    if vary.base is not DEFAULT:
        base[name] = vary.base
    elif name in common:
        raise ValueError(f"{cls.__name__}: the context of {name!r} sets it; give a base instead.")
    return base, {**common, name: vary.value}, vary.data or case.data


def outcome(cls: type, kwargs: Mapping[str, Any], case: Case, data: Any, call: Callable | None = None) -> Any:
    """``case.call(cls(**kwargs), data)`` (or ``call``'s), or ``("raised", type, message)`` when either raises."""
    try:
        instance = cls(**kwargs)
        if case.seed is not None:
            instance.set_random_state(case.seed)
        return (call or case.call)(instance, data)
    except (AssertionError, ValueError, RuntimeError) as error:  # MONAI's DiceLoss asserts its shapes
        return ("raised", type(error).__name__, str(error))


def raised(result: Any) -> bool:
    """Whether an :func:`outcome` is an exception."""
    return isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], str) and result[0] == "raised"


def _leaves(value: Any) -> list:
    """Flatten nested outputs (tensors, arrays, dicts, sequences, records, numbers) into a list of comparable leaves."""
    if isinstance(value, torch.Tensor):
        return [type(value).__name__, value.detach().cpu().numpy()]
    if isinstance(value, np.ndarray):
        return ["ndarray", value]
    if isinstance(value, Mapping):
        return [leaf for key in sorted(value, key=str) for leaf in (str(key), *_leaves(value[key]))]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, len(value), *(leaf for item in value for leaf in _leaves(item))]
    if hasattr(value, "to_dict"):
        return _leaves(value.to_dict())
    return [value]


def same_outcome(a: Any, b: Any) -> bool:
    """Exactly the same outputs (types, shapes and values; NaN equals NaN)."""
    left, right = _leaves(a), _leaves(b)
    if len(left) != len(right):
        return False
    for x, y in zip(left, right):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
                return False
            if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return False
        elif x != y and not (isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y)):
            return False
    return True


def constructor_arguments(cls: type) -> list[str]:
    """The names of the keyword arguments of ``cls.__init__`` (``self``, ``*args`` and ``**kwargs`` left out)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self" and p.kind in kinds]


# --- example inputs: tiny, hand-made so that every argument has something to act on -------------------------------


def _discrepancy_data() -> dict:
    """A 3D label block whose last 4 columns the prediction misses (an 8 x 4 x 4 block: its 3D skeleton differs from
    its per-slice one, and slicing along X or Z differs), and a 1-voxel false positive (a component of size 1)."""
    label = np.zeros((1, 12, 12, 6), np.float32)
    label[0, 2:10, 2:10, 1:5] = 1
    pred = label.copy()
    pred[0, 2:10, 6:10, 1:5] = 0
    pred[0, 11, 11, 5] = 1
    other = label.copy()
    other[0, 2:10, 2:5, 1:5] = 0
    return {"pred": pred, "pred_b": other, "label": label}


def _discrepancy_call(t: DiscrepancySeeds, d: dict) -> dict:
    return {"seeds": t(d["pred"], d["label"]), "seeds_b": t(d["pred_b"], d["label"], randomize=False)}


def _mask_data() -> dict:
    a = np.zeros((1, 20, 20), np.float32)
    a[0, 6:14, 6:14] = 1
    b = np.zeros((1, 20, 20), np.float32)
    b[0, 4:10, 3:17] = 1
    return {"a": a, "b": b}


def _seed_data() -> dict:
    a = np.zeros((2, 16, 16), np.float32)
    a[0, 8, 8] = a[1, 2, 2] = 1
    b = np.zeros((2, 16, 16), np.float32)
    b[0, 4, 10] = b[1, 13, 3] = 1
    return {"a": a, "b": b}


def _label_data() -> dict:
    a = np.zeros((1, 12, 12), np.float32)
    a[0, 3:9, 2:10] = 1  # flat sides: ties among the extreme points, drawn at random
    b = np.zeros((1, 12, 12), np.float32)
    b[0, 5:11, 4:8] = 1
    return {"a": a, "b": b}


def _perturb_mask(shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros((1, *shape), np.uint8)
    mask[(0, slice(3, 13), slice(5, 19), *(slice(2, 6),) * (len(shape) - 2))] = 1  # off-centre: a flip moves it
    return mask


def _perturb_data() -> dict:
    b = np.zeros((1, 24, 24), np.uint8)
    b[0, 8:20, 2:12] = 1
    return {"a": _perturb_mask((24, 24)), "b": b}


def _perturb_data_3d() -> dict:
    b = np.zeros((1, 16, 20, 8), np.uint8)
    b[0, 4:12, 6:16, 2:7] = 1
    return {"a": _perturb_mask((16, 20, 8)), "b": b}


def _perturb_call(t: RandMaskPerturb, d: dict) -> dict:
    a, info_a = t.perturb(d["a"])
    b, info_b = t.perturb(d["b"], randomize=False)
    return {"a": a, "b": b, "qa": np.array([info_a["dice"]], np.float32), "qb": np.array([info_b["dice"]], np.float32)}


def _rgb_data() -> dict:
    rng = np.random.default_rng(0)
    return {key: rng.integers(0, 256, (3, 6, 6)).astype(np.uint8) for key in ("a", "b")}


def _contrast_data() -> dict:
    rng = np.random.default_rng(1)
    return {key: rng.uniform(0, high, (2, 8, 8)).astype(np.float32) for key, high in (("a", 100.0), ("b", 50.0))}


def _probability_data() -> dict:
    """15 x 15 probabilities (centre (7, 7)): A, the heaviest, a 5 x 5 ring with a hole, touching a 0.4 strip (inside
    ``low=0.3`` only) and, by a corner only, a 0.6 pixel; B, 4 columns right of the centre; C, 5 rows below it."""
    a = np.zeros((1, 15, 15), np.float32)
    a[0, 1:6, 1:6] = 0.9
    a[0, 3, 3] = 0.0  # the hole
    a[0, 6, 1:6] = 0.4  # the strip
    a[0, 6, 6] = 0.6  # diagonal neighbour of A's corner (5, 5)
    a[0, 7, 11:14] = 0.85  # B
    a[0, 12:14, 7] = 0.85  # C
    return {"a": a, "b": np.ascontiguousarray(a[:, ::-1])}


def _fundus_data() -> dict:
    """Channel 0: a lit square (120) whose left strip is dimmer (80); channel 1: a smaller bright square."""
    img = np.zeros((3, 10, 10), np.float32)
    img[0, 1:9, 1:9] = 120.0
    img[0, 1:9, 1:3] = 80.0
    img[1, 2:6, 2:6] = 200.0
    return {"image": img}


def _lesion_data() -> dict:
    img = np.full((3, 10, 10), 200.0, np.float32)
    img[:, 2:7, 3:8] = 50.0
    img[:, 0, 0] = 40.0
    return {"image": img}


def _each(*keys: str) -> Callable[[Any, dict], dict]:
    """Call a deterministic array transform on each of ``keys``."""
    return lambda t, d: {key: t(d[key]) for key in keys}


def _replayed(t: RandPercentileContrast, d: dict) -> dict:
    """One draw for ``a``, replayed on ``b`` (MONAI's ``randomize=False``)."""
    return {"a": t(d["a"]), "b": t(d["b"], randomize=False)}


_PERTURB_OFF = {"morph_prob": 0.0, "noise_prob": 0.0, "elastic_prob": 0.0, "rotate_prob": 0.0, "shift_prob": 0.0}
_PERTURB_OFF = {**_PERTURB_OFF, "flip_prob": 0.0}


def _perturb_only(prob_name: str) -> dict:
    return {**_PERTURB_OFF, prob_name: 1.0}


def _switch(prob_name: str) -> Vary:
    """A probability from 0 to 1 with every other operation off."""
    return Vary(1.0, base=0.0, context={k: v for k, v in _PERTURB_OFF.items() if k != prob_name})


#: every array transform of ``monai_refine.transforms``: its example and a non-default value of each argument
TRANSFORM_CASES: dict[type, Case] = {
    DiscrepancySeeds: Case(
        data=_discrepancy_data,
        call=_discrepancy_call,
        seed=0,
        args={
            "min_component_size": 2,  # drops the 1-voxel false positive
            "max_seeds_per_component": Vary(2, context={"per_slice": True}),  # the 3D skeleton has 1 voxel
            "per_slice": True,
            "slice_axis": Vary(0, context={"per_slice": True}),
        },
    ),
    MaskSeeds: Case(
        data=_mask_data,
        call=_each("a", "b"),
        args={"margin_mm": 2.0, "erosion_mm": 1.5, "spacing": (2.0, 2.0)},
    ),
    GaussianSeedMap: Case(
        data=_seed_data,
        call=_each("a", "b"),
        args={"sigma": 2.0, "spacing": 2.0, "truncate": 1.0},
    ),
    ExtremePointSeeds: Case(data=_label_data, call=_each("a", "b"), seed=0, args={"pert": 2.0}),
    RandMaskPerturb: Case(
        data=_perturb_data,
        call=_perturb_call,
        seed=1,  # a draw that changes the mask (seed 0 draws nothing but a sub-voxel dilation)
        args={
            "prob": 0.0,
            "morph_prob": _switch("morph_prob"),
            "radius_range": Vary((2.0, 3.0), context=_perturb_only("morph_prob")),
            "noise_prob": _switch("noise_prob"),
            "noise_band_range": Vary((3.0, 4.0), context=_perturb_only("noise_prob")),
            "noise_fraction_range": Vary((0.6, 0.9), context=_perturb_only("noise_prob")),
            "elastic_prob": _switch("elastic_prob"),
            "elastic_magnitude_range": Vary((6.0, 8.0), context=_perturb_only("elastic_prob")),
            "elastic_spacing": Vary(8.0, context=_perturb_only("elastic_prob")),
            "elastic_sigma_range": Vary((1.0, 2.0), context=_perturb_only("elastic_prob"), data=_perturb_data_3d),
            "rotate_prob": _switch("rotate_prob"),
            "rotate_range": Vary(0.8, context=_perturb_only("rotate_prob")),
            "shift_prob": _switch("shift_prob"),
            "shift_range": Vary(10.0, context=_perturb_only("shift_prob")),
            "flip_prob": _switch("flip_prob"),
            "dice_range": (0.5, 0.7),
            "max_tries": Vary(1, context={"dice_range": (0.5, 0.7)}),
            "spacing": Vary((0.5, 0.5), context=_perturb_only("morph_prob")),
        },
    ),
    ColorSpaceChannels: Case(
        data=_rgb_data, call=_each("a", "b"), args={"spaces": ("lab", "gray"), "max_value": 510.0}
    ),
    RandPercentileContrast: Case(
        data=_contrast_data,
        call=_replayed,
        seed=0,
        args={
            "prob": 0.0,
            "lower_range": (20.0, 30.0),
            "upper_range": (60.0, 70.0),
            "b_min": -1.0,
            "b_max": 2.0,
            "clip": False,
            "channel_wise": False,
        },
    ),
    DualThreshold: Case(
        data=_probability_data,
        call=_each("a", "b"),
        args={
            "high": Vary(0.88, context={"select": "all"}),  # B and C (0.85) no longer seed a region
            "low": 0.3,  # A takes in the 0.4 strip
            "select": "all",
            "fill_holes": False,
            "connectivity": 1,  # the 0.6 pixel touches A by a corner only
            "spacing": Vary((1.0, 5.0), context={"select": "center"}),  # columns 5 mm: C becomes the nearest
        },
    ),
    FieldOfViewMask: Case(data=_fundus_data, call=_each("image"), args={"channel": 1, "threshold": 100.0}),
    OtsuLesionMask: Case(data=_lesion_data, call=_each("image"), args={}),
}
