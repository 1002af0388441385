"""The inputs of every public call of the core, one table per family: each bad input is refused with a ``ValueError``
(or the documented error) whose message names it, and the valid edge values are accepted with the hand-checked
result.

``tests/test_argument_limits.py`` tables the constructor arguments; this file tables what the instances are CALLED
with, written from the ``Shapes:`` / ``Args:`` / ``Raises:`` sections: NaN and Inf in an image, a probability or a
logit; a missing batch or channel dim; a wrong channel count; paired inputs of different shapes (image and mask,
input and target, prior and image, seeds and image) or MetaTensor geometry; a mask that is not binary (0.5, 2, -1);
a probability outside [0, 1]; an empty mask where a non-empty one is required. The accepted edges: a bool mask, a
one-voxel mask on the last voxel, probabilities of exactly 0 and 1. Each family runs on numpy and torch inputs, 2D
and 3D where the callable takes both. A check written for one input of a pair, for one dtype family, for one rank,
or a value range checked with ``>`` where the docstring includes the edge, fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.losses import DiceLoss

import monai_refine.inferers.segmenters as segmenters
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
    rejected_by_clicks,
    slice_result,
    window_intensity,
)
from monai_refine.losses import (
    DeepSupervisionDictLoss,
    DiceImprovementLoss,
    OutputQualityLoss,
    QualityRegularizedLoss,
)
from monai_refine.metrics import dice_coefficient, overlap_scores
from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from monai_refine.transforms import (
    ColorSpaceChannels,
    DiscrepancySeeds,
    DiscrepancySeedsd,
    DualThreshold,
    ExtremePointSeeds,
    FieldOfViewMask,
    GaussianSeedMap,
    MaskSeeds,
    MaskSeedsd,
    RandMaskPerturb,
    RandPercentileContrast,
)
from monai_refine.transforms.lesion import OtsuLesionMask

CONVERTERS = {"numpy": np.asarray, "torch": torch.as_tensor}
SPATIAL = {2: (6, 7), 3: (5, 6, 4)}  # odd, unequal sizes: a transposed or cropped axis shows
_OFF = {"prob": 1.0, "morph_prob": 0.0, "noise_prob": 0.0, "elastic_prob": 0.0, "rotate_prob": 0.0}
_OFF = {**_OFF, "shift_prob": 0.0, "flip_prob": 0.0}  # RandMaskPerturb that changes nothing: output = input


def _block(dims: int, channels: int = 1) -> np.ndarray:
    """A float32 binary mask ``(channels, *spatial)`` with a 2-voxel-wide block away from the border."""
    mask = np.zeros((channels, *SPATIAL[dims]), np.float32)
    mask[(slice(None), *(slice(1, 3),) * dims)] = 1
    return mask


def _last_voxel(dims: int, channels: int = 1) -> np.ndarray:
    """A one-voxel mask on the very last voxel of every channel (the border case of every index computation)."""
    mask = np.zeros((channels, *SPATIAL[dims]), np.float32)
    mask[(slice(None), *(-1,) * dims)] = 1
    return mask


def _with(array: np.ndarray, value: float) -> np.ndarray:
    """``array`` with its first foreground voxel (or its first voxel) set to ``value`` (float64, so NaN fits)."""
    out = np.array(array, dtype=np.float64)
    index = tuple(np.argwhere(out != 0)[0]) if (out != 0).any() else (0,) * out.ndim
    out[index] = value
    return out


# --- 1. binary-mask inputs of transforms, metrics and helpers --------------------------------------------------------

#: name -> (the input's name in messages, dims it takes, how to call with a mask and a valid partner of the valid
#: mask's shape (the other input of a pair), required channels or None = any)
MASK_CALLS: dict[str, tuple[str, tuple[int, ...], Callable[[object, np.ndarray], object], int | None]] = {
    "DiscrepancySeeds-pred": ("pred", (2, 3), lambda m, p: DiscrepancySeeds()(m, p), 1),
    "DiscrepancySeeds-label": ("label", (2, 3), lambda m, p: DiscrepancySeeds()(p, m), 1),
    "MaskSeeds": ("mask", (2, 3), lambda m, p: MaskSeeds(margin_mm=1.0)(m), 1),
    "GaussianSeedMap": ("seeds", (2, 3), lambda m, p: GaussianSeedMap(sigma=1.0)(m), None),
    "ExtremePointSeeds": ("label", (2, 3), lambda m, p: ExtremePointSeeds().set_random_state(0)(m), 1),
    "RandMaskPerturb": ("img", (2, 3), lambda m, p: RandMaskPerturb(**_OFF).set_random_state(0)(m), 1),
    "overlap_scores-pred": ("pred", (2, 3), lambda m, p: overlap_scores(m, p), 1),
    "overlap_scores-label": ("label", (2, 3), lambda m, p: overlap_scores(p, m), 1),
    "middle_slice": ("mask", (3,), lambda m, p: middle_slice(m), 1),
}


#: bad mask variant -> (how to make it from a valid (1, *spatial) float mask, what the message says besides the name)
BAD_MASKS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "nan": (lambda m: _with(m, np.nan), "NaN"),
    "inf": (lambda m: _with(m, np.inf), "NaN or Inf"),
    "minus-inf": (lambda m: _with(m, -np.inf), "NaN or Inf"),
    "half": (lambda m: _with(m, 0.5), "binary"),
    "two": (lambda m: _with(m, 2.0), "binary"),
    "negative-float": (lambda m: -m, "binary"),
    "negative-int": (lambda m: -m.astype(np.int16), "binary"),
    "255": (lambda m: m.astype(np.uint8) * 255, "binary"),
    "no-channel": (lambda m: m[0], "channel"),
    "batch-added": (lambda m: m[None], "channel|spatial dims|shape"),
    "two-channels": (lambda m: np.concatenate([m, m]), "channel"),
}


def _bad_mask_cases():
    for call_name, (name, dims_list, _, channels) in MASK_CALLS.items():
        for dims in dims_list:
            for variant, (_, phrase) in BAD_MASKS.items():
                if channels is None and (variant == "two-channels" or (variant == "no-channel" and dims == 3)):
                    continue  # GaussianSeedMap takes any number of seed channels: (X, Y, Z) is X 2D channels
                if variant == "batch-added" and dims == 2:
                    continue  # (1, 1, H, W) is a valid 3D mask one voxel deep
                if variant in ("no-channel", "batch-added") and call_name == "middle_slice":
                    phrase = "3D volume"
                yield pytest.param(
                    call_name, dims, variant, rf"\b{name}\b.*({phrase})", id=f"{call_name}-{dims}d-{variant}"
                )


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("call_name, dims, variant, match", list(_bad_mask_cases()))
def test_a_bad_mask_is_refused_by_name(call_name, dims, variant, match, convert):
    _, _, call, _ = MASK_CALLS[call_name]
    bad = BAD_MASKS[variant][0](_block(dims))
    with pytest.raises(ValueError, match=match):
        call(convert(bad), convert(_block(dims).astype(np.uint8)))


#: name -> a check of its result on the last-voxel mask of ``dims`` spatial dims (the hand-checked property)
LAST_VOXEL: dict[str, Callable[[object, int], None]] = {
    # under-segmentation of one voxel: one foreground seed, on it
    "DiscrepancySeeds": lambda m, d: _assert_on_last(DiscrepancySeeds()(m * 0, m)[0], d),
    # the skeleton of one voxel is that voxel; the ring lies inside the image
    "MaskSeeds": lambda m, d: _assert_on_last(MaskSeeds(margin_mm=1.0)(m)[0], d),
    "GaussianSeedMap": lambda m, d: _assert_on_last(GaussianSeedMap(sigma=1.0)(m)[0] == 1.0, d),
    # every extreme point of one voxel is that voxel
    "ExtremePointSeeds": lambda m, d: _assert_on_last(ExtremePointSeeds().set_random_state(0)(m)[0], d),
    "RandMaskPerturb": lambda m, d: _assert_on_last(RandMaskPerturb(**_OFF).set_random_state(0)(m)[0], d),
    "overlap_scores": lambda m, d: _assert_equal(overlap_scores(m, m), {"dice": 1.0, "sensitivity": 1.0, "ppv": 1.0}),
    "dice_coefficient": lambda m, d: _assert_equal(dice_coefficient(m, m), 1.0),
    "middle_slice": lambda m, d: _assert_equal(middle_slice(m), SPATIAL[3][-1] - 1),  # the last slice
}
_LAST_VOXEL_DIMS = {"middle_slice": (3,)}  # the others take 2D and 3D


def _assert_on_last(channel, dims: int) -> None:
    """``channel`` (spatial) is non-zero on the last voxel and nowhere else."""
    expected = np.zeros(SPATIAL[dims], bool)
    expected[(-1,) * dims] = True
    np.testing.assert_array_equal(np.asarray(channel) != 0, expected)


def _assert_equal(value, expected) -> None:
    assert value == expected


@pytest.mark.parametrize("as_bool", [False, True], ids=["float", "bool"])
@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize(
    "name, dims", [(n, d) for n in LAST_VOXEL for d in _LAST_VOXEL_DIMS.get(n, (2, 3))], ids=lambda v: str(v)
)
def test_a_one_voxel_mask_on_the_last_voxel_is_accepted(name, dims, convert, as_bool):
    """The smallest valid mask, at the border where an off-by-one index or a wrapped slice shows; a bool mask (a
    documented dtype of every mask input) gives the same result as 0/1 floats."""
    mask = _last_voxel(dims, channels=2 if name == "GaussianSeedMap" else 1)
    LAST_VOXEL[name](convert(mask.astype(bool) if as_bool else mask), dims)


def test_extreme_points_of_an_empty_label_are_refused_in_3d_and_torch():
    with pytest.raises(ValueError, match="label has no foreground"):
        ExtremePointSeeds()(torch.zeros(1, *SPATIAL[3]))


def test_masks_of_another_geometry_are_refused_by_the_metric():
    """overlap_scores, like DiscrepancySeeds: two MetaTensors on different grids are not compared voxel by voxel."""
    mask = torch.as_tensor(_block(3))
    moved = MetaTensor(mask, affine=torch.diag(torch.tensor([1.0, 1.0, 2.5, 1.0])))
    with pytest.raises(ValueError, match=r"pred .* and label .* do not share geometry: spacing"):
        overlap_scores(MetaTensor(mask), moved)
    assert overlap_scores(MetaTensor(mask), MetaTensor(mask))["dice"] == 1.0


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("which", ["a", "b"])
def test_dice_coefficient_refuses_nan_and_inf(which, value, convert):
    """A NaN is non-zero: read as a boolean it would count as foreground."""
    masks = {"a": _block(2), "b": _block(2)}
    masks[which] = _with(masks[which], value)
    with pytest.raises(ValueError, match=rf"^{which} contains NaN"):
        dice_coefficient(convert(masks["a"]), convert(masks["b"]))


# --- 2. image and probability inputs of transforms --------------------------------------------------------------------

#: name -> (dims it takes, channels it needs, a valid image maker, the call); the input is called ``img`` everywhere
IMAGE_CALLS: dict[str, tuple[tuple[int, ...], int, Callable[[int], np.ndarray], Callable]] = {
    "DualThreshold": ((2, 3), 1, lambda d: _block(d) * 0.9, DualThreshold()),
    "ColorSpaceChannels": ((2, 3), 3, lambda d: _block(d, 3) * 200, ColorSpaceChannels()),
    "RandPercentileContrast": ((2, 3), 2, lambda d: _block(d, 2) * 7, RandPercentileContrast().set_random_state(0)),
    "FieldOfViewMask": ((2,), 3, lambda d: _block(d, 3) * 100, FieldOfViewMask()),
    "OtsuLesionMask": ((2,), 3, lambda d: 200 - _block(d, 3) * 100, OtsuLesionMask()),
}


#: the shape variants that apply: a missing channel dim, or a channel count other than the one required
_SHAPE_VARIANTS = {
    "DualThreshold": ("no-channel", "two-channels"),
    "ColorSpaceChannels": ("no-channel", "two-channels"),
    "RandPercentileContrast": (),  # any channel count, any rank >= 2
    "FieldOfViewMask": ("no-channel",),
    "OtsuLesionMask": ("no-channel",),
}


def _bad_image_cases():
    for name, (dims_list, _, _, _) in IMAGE_CALLS.items():
        for dims in dims_list:
            for variant in ("nan", "inf", "minus-inf", "not-an-array", *_SHAPE_VARIANTS[name]):
                yield pytest.param(name, dims, variant, id=f"{name}-{dims}d-{variant}")


def _bad_image(image: np.ndarray, variant: str):
    if variant == "not-an-array":
        return image.tolist()
    if variant == "no-channel":
        return image[0]
    if variant == "two-channels":
        return np.concatenate([image, image])[:2] if image.shape[0] == 1 else image[:2]
    return _with(image, {"nan": np.nan, "inf": np.inf, "minus-inf": -np.inf}[variant])


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("name, dims, variant", list(_bad_image_cases()))
def test_a_bad_image_is_refused_by_name(name, dims, variant, convert):
    _, _, make, call = IMAGE_CALLS[name]
    bad = _bad_image(make(dims), variant)
    if variant != "not-an-array":
        bad = convert(bad)
    with pytest.raises(ValueError, match=r"\bimg\b"):
        call(bad)


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("dims", [2, 3])
def test_probabilities_of_exactly_0_and_1_are_a_valid_map(dims, convert):
    """DualThreshold's documented range is closed: a map of exactly 0 and 1 is the block itself."""
    block = _block(dims)
    out = DualThreshold()(convert(block))
    np.testing.assert_array_equal(np.asarray(out), block)


# --- 3. dictionary wrappers: the array transform's errors, and the second key -----------------------------------------


def test_a_dict_wrapper_raises_the_array_transforms_error_naming_the_input():
    with pytest.raises(ValueError, match=r"^mask must be binary"):
        MaskSeedsd("prior")({"prior": np.full((1, 6, 6), 0.5)})
    with pytest.raises(ValueError, match=r"^label contains NaN"):
        DiscrepancySeedsd("pred", label_key="label")({"pred": _block(2), "label": _with(_block(2), np.nan)})


def test_a_missing_label_key_is_a_key_error_even_with_allow_missing_keys():
    """``allow_missing_keys`` skips a missing key of ``keys``; the label is needed by every present key, so its absence
    is an error, not a silent skip."""
    transform = DiscrepancySeedsd("pred", label_key="label", allow_missing_keys=True)
    with pytest.raises(KeyError, match="label"):
        transform({"pred": _block(2)})
    assert "seeds" not in transform({"label": _block(2)})  # no pred: nothing to do, no label needed


# --- 4. losses --------------------------------------------------------------------------------------------------------

_X = torch.tensor([[[[2.0, -2.0], [-2.0, 2.0]]]])  # (1, 1, 2, 2) logits
_Y = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
_HALF = torch.full_like(_X, 0.5)
_Q = torch.ones(1, 1)


def _nan(t: torch.Tensor) -> torch.Tensor:
    out = t.clone()
    out.view(-1)[0] = float("nan")
    return out


def _inf(t: torch.Tensor) -> torch.Tensor:
    out = t.clone()
    out.view(-1)[-1] = float("inf")
    return out


def _seg_loss(x, y):
    return DiceLoss(sigmoid=True)(x["refined"], y)


#: (id, call, error match): every tensor argument of every loss's forward, each bad in one way
LOSS_REFUSED = [
    ("DIL-input-nan", lambda: DiceImprovementLoss(sigmoid=True)(_nan(_X), _Y, _HALF), "^input contains NaN"),
    ("DIL-input-inf", lambda: DiceImprovementLoss(sigmoid=True)(_inf(_X), _Y, _HALF), "^input contains NaN"),
    ("DIL-target-nan", lambda: DiceImprovementLoss(sigmoid=True)(_X, _nan(_Y), _HALF), "^target contains NaN"),
    ("DIL-previous-nan", lambda: DiceImprovementLoss(sigmoid=True)(_X, _Y, _nan(_HALF)), "^previous contains NaN"),
    (
        "DIL-previous-above-1",
        lambda: DiceImprovementLoss()(_X, _Y, _HALF + 0.5 + 1e-6),
        r"^previous must hold .*\[0, 1\]",
    ),
    (
        "DIL-previous-below-0",
        lambda: DiceImprovementLoss()(_X, _Y, _HALF - 0.5 - 1e-6),
        r"^previous must hold .*\[0, 1\]",
    ),
    ("DIL-previous-logits", lambda: DiceImprovementLoss(sigmoid=True)(_X, _Y, _X), "^previous must hold"),
    ("DIL-target-batch", lambda: DiceImprovementLoss()(_X, torch.cat([_Y, _Y]), _HALF), "^target must have the shape"),
    ("QRL-input-nan", lambda: QualityRegularizedLoss(sigmoid=True)(_nan(_X), _Y, _Y, _Q), "^input contains NaN"),
    ("QRL-target-inf", lambda: QualityRegularizedLoss(sigmoid=True)(_X, _inf(_Y), _Y, _Q), "^target contains NaN"),
    ("QRL-prior-nan", lambda: QualityRegularizedLoss(sigmoid=True)(_X, _Y, _nan(_Y), _Q), "^prior contains NaN"),
    ("QRL-prior-logits", lambda: QualityRegularizedLoss(sigmoid=True)(_X, _Y, _X, _Q), r"^prior must hold .*\[0, 1\]"),
    ("QRL-quality-nan", lambda: QualityRegularizedLoss()(_X, _Y, _Y, _nan(_Q)), "^quality contains NaN"),
    ("QRL-target-spatial", lambda: QualityRegularizedLoss()(_X, _Y[..., :1], _Y, _Q), "^target must have the batch"),
    ("QRL-target-batch", lambda: QualityRegularizedLoss()(_X, torch.cat([_Y, _Y]), _Y, _Q), "^target must have"),
    (
        "QRL-dict-no-quality",
        lambda: QualityRegularizedLoss()({"mask": _X}, _Y, _Y),
        r"missing the outputs \['quality'\]",
    ),
    ("QRL-dict-no-mask", lambda: QualityRegularizedLoss()({"quality": _Q}, _Y, _Y), r"missing the outputs \['mask'\]"),
    (
        "OQL-quality-per-batch",  # one quality for two samples would broadcast against both Dice values
        lambda: OutputQualityLoss(_seg_loss)({"refined": torch.cat([_X, _X]), "quality": _Q}, torch.cat([_Y, _Y])),
        r"input\['quality'\] must hold one quality per sample",
    ),
    (
        "OQL-target-shape",
        lambda: OutputQualityLoss(_seg_loss)({"refined": _X, "quality": _Q}, _Y[..., :1]),
        r"^target must have the shape of input\['refined'\]",
    ),
    (
        "OQL-refined-nan",
        lambda: OutputQualityLoss(_seg_loss)({"refined": _nan(_X), "quality": _Q}, _Y),
        r"^input\['refined'\] contains NaN",
    ),
    (
        "OQL-quality-inf",
        lambda: OutputQualityLoss(_seg_loss)({"refined": _X, "quality": _inf(_Q)}, _Y),
        r"^input\['quality'\] contains NaN",
    ),
    (
        "DSDL-target-spatial",  # DeepSupervisionLoss would resample a half-size target onto every output
        lambda: DeepSupervisionDictLoss(DiceLoss(), keys=("refined",))({"refined": _X}, _Y[..., :1]),
        "^target must have the batch and spatial size of the first output",
    ),
    (
        "DSDL-target-batch",
        lambda: DeepSupervisionDictLoss(DiceLoss(), keys=("refined",))({"refined": _X}, torch.cat([_Y, _Y])),
        "^target must have the batch",
    ),
    (
        "DSDL-list-target-rank",
        lambda: DeepSupervisionDictLoss(DiceLoss(), keys=("refined",))([_X], _Y[0]),
        "^target must have the batch",
    ),
]


@pytest.mark.parametrize("call, match", [pytest.param(c, m, id=i) for i, c, m in LOSS_REFUSED])
def test_a_bad_loss_input_is_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_edges_of_the_loss_inputs_are_accepted():
    """A previous segmentation / prior of exactly 0 and 1 (a binary mask), a bool target, a perfect prediction."""
    ones, zeros = torch.ones_like(_Y), torch.zeros_like(_Y)
    # D_t of p = y is 1 (smooth terms 0): loss 0 whatever D_{t-1}, here 0 (an all-0 previous) and 1 (previous = y)
    loss = DiceImprovementLoss(smooth_nr=0.0, smooth_dr=0.0)
    assert float(loss(_Y, _Y, zeros)) == 0.0 and float(loss(_Y, _Y.bool(), _Y)) == 0.0
    # 1 - D_t = 1/3 for an all-1 prediction of a 2-voxel target (D = 4 / 6); D_{t-1} of the all-1 previous 2/3
    assert float(loss(ones, _Y, ones)) == pytest.approx((1 / 3) / (2 / 3 + 0.1))
    quality = QualityRegularizedLoss(smooth_nr=0.0, smooth_dr=0.0)
    assert float(quality(_Y, _Y, _Y, torch.ones(1, 1))) == 0.0  # perfect mask, perfect prior rated 1
    assert float(quality(_Y, _Y, zeros, torch.zeros(1, 1))) == 0.0  # an empty prior of Dice 0 rated 0


# --- 5. inferers ------------------------------------------------------------------------------------------------------


class _PriorLogits(torch.nn.Module):
    """Returns the prior channel as confident logits: refinement converges at once on the prior."""

    def forward(self, x):
        return 40 * (x[:, -1:] - 0.5)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("dims", [2, 3])
def test_iterative_inferer_refuses_a_non_finite_image(dims, value):
    image = torch.zeros(2, 1, *SPATIAL[dims])
    image[1].view(-1)[-1] = value  # the last voxel of the second sample only
    with pytest.raises(ValueError, match="^inputs contains NaN or Inf"):
        IterativeRefinementInferer()(image, _PriorLogits())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bool], ids=["float", "bool"])
@pytest.mark.parametrize("dims", [2, 3])
def test_iterative_inferer_takes_a_prior_of_exactly_0_and_1(dims, dtype):
    """A binary prior (another model's mask) lies on both edges of [0, 1]; a bool one is the same mask."""
    prior = torch.as_tensor(_block(dims))[None]
    out = IterativeRefinementInferer(return_probability=True)(torch.zeros_like(prior), _PriorLogits(), prior.to(dtype))
    torch.testing.assert_close(out.round(), prior)


def _slice_inputs(size: tuple[int, int] = (12, 12)):
    """A valid slice: image (1, H, W) in [0, 1], prior (1, H, W) bool, seeds (2, H, W) bool (both kinds)."""
    image = np.zeros((1, *size), np.float32)
    image[0, 3:8, 3:8] = 0.8
    prior = image > 0
    seeds = np.zeros((2, *size), bool)
    seeds[0, 5, 5] = True
    seeds[1, 0, :] = seeds[1, -1, :] = seeds[1, :, 0] = seeds[1, :, -1] = True
    return image, prior, seeds


class _PriorNet(torch.nn.Module):
    def forward(self, x):
        return 20 * (x[:, 1:2] - 0.5)


def _segmenters():
    yield pytest.param(CopyPrevious(), id="CopyPrevious")
    yield pytest.param(RandomWalkerSegmenter(), id="RandomWalkerSegmenter")
    marks = [] if segmenters.has_maxflow else [pytest.mark.skip(reason="PyMaxflow is not installed")]
    yield pytest.param("graph-cut", id="GraphCutSegmenter", marks=marks)
    yield pytest.param(NetworkSegmenter(_PriorNet(), channels=("image", "prior")), id="NetworkSegmenter")
    yield pytest.param(lambda *args: check_slice_inputs(*args), id="check_slice_inputs")


#: bad variant of one argument of a segmenter call -> (argument index, make it from the valid one, message match)
SEGMENTER_BAD = {
    "prior-half": (1, lambda a: a * 0.5, "^prior must be binary"),
    "prior-nan": (1, lambda a: _with(a, np.nan), "^prior contains NaN"),
    "prior-negative": (1, lambda a: -a.astype(np.int8), "^prior must be binary"),
    "prior-shape": (1, lambda a: a[:, :-1], "^prior must have the shape of image"),
    "prior-no-channel": (1, lambda a: a[0], "^prior must have the shape of image"),
    "seeds-half": (2, lambda a: a * 0.5, "^seeds must be binary"),
    "seeds-inf": (2, lambda a: _with(a, np.inf), "^seeds contains NaN"),
    "seeds-one-channel": (2, lambda a: a[:1], r"^seeds must have shape \(2, H, W\)"),
    "seeds-shape": (2, lambda a: a[..., :-1], r"^seeds must have shape \(2, H, W\)"),
    "image-inf": (0, lambda a: _with(a, np.inf), "^image contains NaN"),
    "image-two-channels": (0, lambda a: np.concatenate([a, a]), "^image must be one channel-first 2D slice"),
    "image-no-channel": (0, lambda a: a[0], "^image must be one channel-first 2D slice"),
}


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("variant", SEGMENTER_BAD)
@pytest.mark.parametrize("segmenter", list(_segmenters()))
def test_every_segmenter_refuses_a_bad_slice_input_by_name(segmenter, variant, convert):
    """The one segmenter protocol: every method refuses the same bad image, prior and seeds the same way (a prior of
    0.5 read as a mask, or a NaN read as foreground, would silently change the result)."""
    if segmenter == "graph-cut":
        segmenter = GraphCutSegmenter()
    args = list(_slice_inputs())
    index, make, match = SEGMENTER_BAD[variant]
    args[index] = make(args[index])
    with pytest.raises(ValueError, match=match):
        segmenter(*(convert(np.asarray(a)) for a in args), (1.0, 1.0))


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize("segmenter", list(_segmenters()))
def test_every_segmenter_takes_float_masks_of_0_and_1(segmenter, convert):
    """The valid edge: a 0/1 float prior and seeds (not bool) give the same result as bool ones."""
    if segmenter == "graph-cut":
        segmenter = GraphCutSegmenter()
    image, prior, seeds = _slice_inputs()
    as_bool = segmenter(image, prior, seeds, (1.0, 1.0))
    as_float = segmenter(*(convert(a.astype(np.float32)) for a in (image, prior, seeds)), (1.0, 1.0))
    for left, right in zip(
        as_bool if isinstance(as_bool, tuple) else (as_bool,), as_float if isinstance(as_float, tuple) else (as_float,)
    ):
        np.testing.assert_array_equal(np.asarray(left), np.asarray(right))


_PRIOR2 = np.zeros((9, 9), bool)
_PRIOR2[2:7, 2:7] = True
_USER = np.zeros((2, 9, 9), bool)
_USER[1, 4, 4] = True
_SEEDS = np.zeros((2, 9, 9), bool)


#: (id, call, match): the propagation helpers, each argument bad in one way
HELPERS_REFUSED = [
    (
        "merge-user-shape",
        lambda: merge_user_seeds(_SEEDS, _PRIOR2, _USER[:, :8], (1, 1)),
        r"^user must have shape \(2, 9, 9\)",
    ),
    ("merge-user-one-channel", lambda: merge_user_seeds(_SEEDS, _PRIOR2, _USER[:1], (1, 1)), "^user must have shape"),
    ("merge-user-half", lambda: merge_user_seeds(_SEEDS, _PRIOR2, _USER * 0.5, (1, 1)), "^user must be binary"),
    ("merge-user-nan", lambda: merge_user_seeds(_SEEDS, _PRIOR2, _with(_USER, np.nan), (1, 1)), "^user contains NaN"),
    (
        "merge-prior-shape",
        lambda: merge_user_seeds(_SEEDS, _PRIOR2[:8], _USER, (1, 1)),
        r"^user must have shape \(2, 8, 9\)",
    ),
    (
        "merge-prior-channel",
        lambda: merge_user_seeds(_SEEDS, _PRIOR2[None], _USER, (1, 1)),
        r"^prior must have shape \(H, W\)",
    ),
    (
        "merge-seeds-shape",
        lambda: merge_user_seeds(_SEEDS[:1], _PRIOR2, _USER, (1, 1)),
        r"^seeds must have shape \(2, 9, 9\)",
    ),
    ("merge-seeds-two", lambda: merge_user_seeds(_SEEDS + 2, _PRIOR2, _USER, (1, 1)), "^seeds must be binary"),
    ("edit-user-shape", lambda: edit_prior(_PRIOR2, _USER[:, :8], (1, 1)), "^user must have shape"),
    ("edit-user-one-channel", lambda: edit_prior(_PRIOR2, _USER[1:], (1, 1)), "^user must have shape"),
    ("edit-prior-nan", lambda: edit_prior(_with(_PRIOR2, np.nan), _USER, (1, 1)), "^prior contains NaN"),
    ("edit-prior-negative", lambda: edit_prior(-_PRIOR2.astype(np.int8), _USER, (1, 1)), "^prior must be binary"),
    (
        "reject-clicks-shape",
        lambda: rejected_by_clicks(_PRIOR2, _USER[1, :8], (1, 1)),
        r"^clicks must have shape \(9, 9\)",
    ),
    ("reject-clicks-half", lambda: rejected_by_clicks(_PRIOR2, _USER[1] * 0.5, (1, 1)), "^clicks must be binary"),
    (
        "reject-prior-3d",
        lambda: rejected_by_clicks(_PRIOR2[None], _USER[1][None], (1, 1)),
        r"^prior must have shape \(H, W\)",
    ),
    ("reject-spacing-nan", lambda: rejected_by_clicks(_PRIOR2, _USER[1], (np.nan, 1)), "^spacing must be two finite"),
    ("reject-spacing-three", lambda: rejected_by_clicks(_PRIOR2, _USER[1], (1, 1, 1)), "^spacing must be two finite"),
    ("reject-spacing-zero", lambda: rejected_by_clicks(_PRIOR2, _USER[1], (0, 1)), "^spacing must be two finite"),
    ("slice-result-nan", lambda: slice_result(_with(_PRIOR2, np.nan), _PRIOR2), "^probability contains NaN"),
    (
        "slice-result-logits",
        lambda: slice_result(_PRIOR2 * 20.0 - 10, _PRIOR2),
        r"^probability must hold values in \[0, 1\]",
    ),
    ("slice-result-above-1", lambda: slice_result(_PRIOR2 * (1 + 1e-6), _PRIOR2), "^probability must hold"),
    ("slice-result-below-0", lambda: slice_result(_PRIOR2 * 1.0 - 1e-6, _PRIOR2), "^probability must hold"),
    (
        "slice-result-shape",
        lambda: slice_result(_PRIOR2 * 1.0, _PRIOR2[:8]),
        "^foreground must have the shape of probability",
    ),
    (
        "slice-result-channel",
        lambda: slice_result(_PRIOR2[None] * 1.0, _PRIOR2),
        r"^probability must be one slice \(H, W\)",
    ),
    ("window-nan", lambda: window_intensity(np.array([np.nan, 1.0]), (0, 2)), "^volume contains NaN"),
    ("middle-slice-empty", lambda: middle_slice(np.zeros((1, 4, 4, 3))), "mask is empty"),
    ("annotate-outside", lambda: annotate_slices(np.ones((1, 2, 2, 3)), [3]), r"^slices \[3\] lie outside the volume"),
    ("annotate-negative", lambda: annotate_slices(np.ones((1, 2, 2, 3)), [-1]), r"^slices \[-1\] lie outside"),
    ("annotate-axis-0", lambda: annotate_slices(np.ones((1, 2, 2, 3)), [2], slice_axis=0), r"0\.\.1"),
    (
        "annotate-no-channel",
        lambda: annotate_slices(np.ones((2, 2, 3)), [1]),
        "^mask must be a channel-first 3D volume",
    ),
    ("canonical-no-channel", lambda: canonical_slices(np.ones((2, 2, 3))), "^volume must be a channel-first 3D volume"),
]


@pytest.mark.parametrize("call, match", [pytest.param(c, m, id=i) for i, c, m in HELPERS_REFUSED])
def test_a_bad_helper_input_is_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_helpers_take_their_edge_inputs():
    """Probabilities of exactly 0 and 1, a seed on the last pixel, a float 0/1 mask, the last slice, +-Inf HU."""
    last = np.zeros((9, 9), bool)
    last[-1, -1] = True
    np.testing.assert_array_equal(slice_result(last * 1.0, last), last)  # exactly 1 is foreground, 0 background
    user = np.zeros((2, 9, 9), np.float32)
    user[0, -1, -1] = 1.0  # a foreground click on the last pixel, as 0/1 floats
    np.testing.assert_array_equal(edit_prior(_PRIOR2 * 1.0, user, (1, 1)), _PRIOR2 | last)
    assert merge_user_seeds(_SEEDS, _PRIOR2, user, (1, 1))[0, -1, -1]
    np.testing.assert_array_equal(window_intensity(np.array([-np.inf, np.inf]), (0, 2)), [0.0, 1.0])
    annotation = annotate_slices(np.ones((1, 2, 2, 3)), [2])
    assert annotation[..., 2].sum() == 4 and annotation[..., :2].sum() == 0


# --- SliceGrid and network_input ---

_GRID = SliceGrid(8, 1.0)
_PRIOR_SLICE = np.zeros((1, 12, 12), bool)
_PRIOR_SLICE[0, 3:6, 3:6] = True
_FRAME = _GRID.frame(_PRIOR_SLICE, (1.0, 1.0))
_SEED_SLICE = np.zeros((2, 12, 12), bool)
_SEED_SLICE[0, 4, 4] = True

GRID_REFUSED = [
    ("frame-prior-half", lambda: _GRID.frame(_PRIOR_SLICE * 0.5, (1, 1)), "^prior must be binary"),
    ("frame-prior-nan", lambda: _GRID.frame(_with(_PRIOR_SLICE, np.nan), (1, 1)), "^prior contains NaN"),
    ("sample-nan", lambda: _GRID.sample(_with(_PRIOR_SLICE, np.nan), _FRAME), "^array contains NaN"),
    ("sample-inf-torch", lambda: _GRID.sample(torch.as_tensor(_with(_PRIOR_SLICE, np.inf)), _FRAME), "^array contains"),
    ("seeds-half", lambda: _GRID.seeds(_SEED_SLICE * 0.5, _FRAME), "^seeds must be binary"),
    ("seeds-negative", lambda: _GRID.seeds(-_SEED_SLICE.astype(np.int8), _FRAME), "^seeds must be binary"),
    ("seeds-nan", lambda: _GRID.seeds(_with(_SEED_SLICE, np.nan), _FRAME), "^seeds contains NaN"),
    (
        "input-image-two-channels",
        lambda: network_input(_GRID, np.zeros((2, 12, 12), np.float32), _PRIOR_SLICE, _SEED_SLICE, (1, 1)),
        "^image must be one channel-first slice",
    ),
    (
        "input-image-nan",
        lambda: network_input(_GRID, _with(_PRIOR_SLICE, np.nan), _PRIOR_SLICE, _SEED_SLICE, (1, 1)),
        "^array contains NaN",
    ),
    (
        "input-prior-half",
        lambda: network_input(_GRID, _PRIOR_SLICE * 1.0, _PRIOR_SLICE * 0.5, _SEED_SLICE, (1, 1)),
        "^prior must be binary",
    ),
]


@pytest.mark.parametrize("call, match", [pytest.param(c, m, id=i) for i, c, m in GRID_REFUSED])
def test_a_bad_grid_input_is_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_seed_on_the_last_slice_pixel_lands_on_the_grid():
    """The frame centred on a one-pixel prior in the last pixel: the seed there sits at the grid's centre pixel
    (size 8: centre 3.5, rounded half to even to 4)."""
    prior = np.zeros((1, 12, 12), np.float32)
    prior[0, -1, -1] = 1.0
    frame = _GRID.frame(prior, (1.0, 1.0))
    seeds = np.zeros((2, 12, 12), np.float32)
    seeds[0, -1, -1] = 1.0
    grid_seeds = _GRID.seeds(torch.as_tensor(seeds), frame)
    assert frame.centre == (11.0, 11.0) and np.argwhere(grid_seeds[0]).tolist() == [[4, 4]]


# --- SlicePropagator (its existing table covers annotation shape / value / emptiness and the channel of seeds) ---


def _volume():
    volume = np.zeros((1, 12, 12, 5), np.float32)
    volume[0, 3:9, 3:9, :] = 100.0
    annotation = np.zeros_like(volume)
    annotation[0, 3:9, 3:9, 2] = 1
    return volume, annotation


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize(
    "change, match",
    [
        (lambda v, a, s: (_with(v, np.inf), a, s), "^inputs contains NaN or Inf"),
        (lambda v, a, s: (v, _with(a, np.nan), s), "^annotation contains NaN"),
        (lambda v, a, s: (v, a, s[..., :-1]), r"^seeds shape .* must be \(2, \*\(12, 12, 5\)\)"),
        (lambda v, a, s: (v, a, s * 0.5), "^seeds must be binary"),
        (lambda v, a, s: (v, a, -s), "^seeds must be binary"),
        (lambda v, a, s: (v, a[0], s), "^annotation must (be channel-first|have 1 channel)"),
        (
            lambda v, a, s: (v[None, None], a, s),
            "^inputs must be a batch of one volume|^inputs must be a channel-first",
        ),
    ],
    ids=[
        "inputs-inf",
        "annotation-nan",
        "seeds-shape",
        "seeds-half",
        "seeds-negative",
        "annotation-no-channel",
        "inputs-rank-6",
    ],
)
def test_propagator_refuses_bad_inputs_by_name(change, match, convert):
    volume, annotation = _volume()
    seeds = np.zeros((2, *volume.shape[1:]), np.float32)
    seeds[0, 5, 5, 1] = 1
    volume, annotation, seeds = change(volume, annotation, seeds)
    with pytest.raises(ValueError, match=match):
        SlicePropagator(margin_mm=1.0)(convert(volume), CopyPrevious(), convert(annotation), seeds=convert(seeds))


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
def test_propagator_takes_a_seed_on_the_last_voxel_and_a_bool_annotation(convert):
    """A user foreground seed on the last voxel of the last slice joins that slice's result (a component holding only
    a user seed is kept); a bool annotation on the last slice is propagated from there."""
    volume, annotation = _volume()
    annotation = np.zeros(volume.shape, bool)
    annotation[0, 3:9, 3:9, -1] = True
    seeds = np.zeros((2, *volume.shape[1:]), bool)
    seeds[0, -1, -1, -1] = True
    mask = SlicePropagator(margin_mm=1.0, fill_holes=False)(
        convert(volume), CopyPrevious(), convert(annotation), seeds=convert(seeds)
    )
    expected = np.repeat(annotation[..., -1:], 5, axis=-1).astype(np.uint8)
    expected[0, -1, -1, -1] = 0  # the annotated slice itself is not segmented: the seed does not change it
    np.testing.assert_array_equal(np.asarray(mask), expected)


# --- 6. networks ------------------------------------------------------------------------------------------------------

_TINY = {"norm": "batch"}  # in eval mode: running statistics, any size


def _networks():
    yield pytest.param(
        lambda d: RefineNet(d, in_channels=3, features=(2,) * 5, refine_features=2, **_TINY),
        2,
        "seed_maps",
        id="RefineNet",
    )
    yield pytest.param(lambda d: QualityUNet(d, in_channels=2, features=(2,) * 4, **_TINY), 1, "mask", id="QualityUNet")
    yield pytest.param(
        lambda d: IterativeUNet(d, in_channels=2, features=(2,) * 4, **_TINY), 1, "prior", id="IterativeUNet"
    )


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("make, extra_channels, extra_name", list(_networks()))
def test_networks_refuse_inputs_of_the_wrong_rank_or_size_by_name(make, extra_channels, extra_name, dims):
    net = make(dims).eval()
    spatial = (8,) * dims
    image = torch.zeros(1, 1, *spatial)
    extra = torch.zeros(1, extra_channels, *spatial)
    other_rank = (8,) * (5 - dims)  # 3 spatial dims for a 2D net, 2 for a 3D one
    with pytest.raises(ValueError, match=rf"^x must be a batch \(B, C, \*spatial\) with {dims} spatial dims"):
        net(torch.zeros(1, 1 + extra_channels, *other_rank))
    with pytest.raises(ValueError, match=rf"^x must be a batch .* {dims} spatial dims"):
        net(torch.zeros(1 + extra_channels, *spatial))  # the batch dim missing
    with pytest.raises(ValueError, match=rf"^{extra_name} must have the batch and spatial size of x"):
        net(image, extra[..., :4])
    with pytest.raises(ValueError, match=rf"^{extra_name} must have the batch and spatial size of x"):
        net(image, torch.cat([extra, extra]))
    assert net(image, extra) is not None  # the valid call, separate inputs


@pytest.mark.parametrize("dims", [2, 3])
def test_cdnn_refuses_the_wrong_rank_and_channels_by_name(dims):
    net = CDNN(dims, in_channels=3, features=(2,) * 17, norm="batch").eval()
    spatial = (16,) * dims
    with pytest.raises(ValueError, match=r"^x must have in_channels=3 channels"):
        net(torch.zeros(1, 2, *spatial))
    with pytest.raises(ValueError, match=rf"^x must be a batch .* {dims} spatial dims"):
        net(torch.zeros(3, *spatial))
    with pytest.raises(ValueError, match=rf"^x must be a batch .* {dims} spatial dims"):
        net(torch.zeros(1, 3, *(16,) * (5 - dims)))
    assert net(torch.zeros(1, 3, *spatial)).shape == (1, 1, *spatial)
