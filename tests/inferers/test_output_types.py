"""dtype and container contract of the inferers' public functions and methods, as one table.

Each row calls one public callable with inputs of every dtype it accepts (uint8, bool, float32, float64, int16 for
masks; the image dtypes for images; numpy and torch where both are accepted) and asserts the documented container
and dtype of what it returns: ``SliceGrid.sample`` float32 numpy, ``SliceGrid.to_slice`` the dtype and type of its
``values``, ``SliceGrid.seeds`` bool, ``SliceGrid.frame`` a ``SliceFrame`` of Python ints and floats,
``network_input`` float32, ``NetworkSegmenter`` a float32 probability (and a Python float quality), the classical
segmenters bool (CopyPrevious: the prior as given), ``slice_result`` bool, ``window_intensity`` float32,
``canonical_slices`` the volume's dtype, ``middle_slice`` an int, ``annotate_slices`` the mask's type and dtype,
``SlicePropagator`` uint8 of the input's type, ``IterativeRefinementInferer`` the network's float logits (a
MetaTensor for a MetaTensor input). A result cast to float32 whatever its input, or a bool mask coming back as
int64, shows here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.inferers import (
    CopyPrevious,
    GraphCutSegmenter,
    IterativeRefinementInferer,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SliceFrame,
    SliceGrid,
    SlicePropagator,
    annotate_slices,
    canonical_slices,
    middle_slice,
    network_input,
    slice_result,
    window_intensity,
)

MASK_DTYPES = [np.uint8, np.bool_, np.float32, np.float64, np.int16]
IMAGE_DTYPES = [np.float32, np.float64]
VOLUME_DTYPES = [np.uint8, np.int16, np.float32, np.float64]
TORCH = {np.uint8: torch.uint8, np.bool_: torch.bool, np.float32: torch.float32, np.float64: torch.float64}
TORCH[np.int16] = torch.int16


def _slice_inputs(mask_dtype=np.bool_, image_dtype=np.float32):
    """A 12 x 12 slice: a bright 4 x 4 square (the prior), a foreground seed inside it and a background ring."""
    image = np.zeros((1, 12, 12), image_dtype)
    image[0, 4:8, 4:8] = 0.8
    prior = (image > 0).astype(mask_dtype)
    seeds = np.zeros((2, 12, 12), bool)
    seeds[0, 5, 5] = True
    seeds[1, 1, 1:11] = seeds[1, 10, 1:11] = seeds[1, 1:11, 1] = seeds[1, 1:11, 10] = True
    return image, prior, seeds.astype(mask_dtype)


def _check(out, container, dtype, shape=None):
    assert type(out) is container, (type(out), container)
    assert out.dtype == dtype, (out.dtype, dtype)
    if shape is not None:
        assert tuple(out.shape) == tuple(shape)


class _Net(torch.nn.Module):
    """A fixed 2D "network": logits 4 * (channel 1 - 0.5) (the prior's channel), float32 whatever it gets."""

    def forward(self, x):
        return 4 * (x[:, 1:2].float() - 0.5)


class _Float64Net(_Net):
    def forward(self, x):
        return super().forward(x).double()


class _QualityNet(_Net):
    def forward(self, x):
        return {"mask": super().forward(x), "quality": torch.full((x.shape[0], 1), 0.25)}


# ----------------------------------------------------------------------------------------------------------------
# SliceGrid and network_input


@pytest.mark.parametrize("torch_input", [False, True])
@pytest.mark.parametrize("dtype", MASK_DTYPES)
def test_slice_grid_sample_is_float32_numpy(dtype, torch_input):
    grid = SliceGrid(size=8, spacing=1.0)
    _, prior, _ = _slice_inputs(dtype)
    frame = grid.frame(prior, (1.0, 1.0))
    array = torch.as_tensor(prior) if torch_input else prior
    for mode in ("bilinear", "nearest"):
        out = grid.sample(array, frame, mode=mode)
        _check(out, np.ndarray, np.float32, (1, 8, 8))
        assert out.sum() == 16  # the 4 x 4 prior on a grid of the slice's spacing, whatever its dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_slice_grid_to_slice_keeps_the_dtype_and_type_of_its_values(dtype):
    grid = SliceGrid(size=8, spacing=1.0)
    frame = grid.frame(np.ones((1, 6, 10), bool), (1.0, 1.0))
    out = grid.to_slice(torch.ones((2, 8, 8), dtype=dtype), frame, fill=-3.0)
    _check(out, torch.Tensor, dtype, (2, 6, 10))
    assert out.max() == 1.0


@pytest.mark.parametrize("dtype", MASK_DTYPES)
def test_slice_grid_seeds_and_frame_types(dtype):
    grid = SliceGrid(size=8, spacing=1.0)
    _, prior, seeds = _slice_inputs(dtype)
    frame = grid.frame(prior, np.array([1.0, 2.0], np.float32))
    assert type(frame) is SliceFrame
    assert all(type(v) is int for v in frame.shape) and type(frame.size) is int
    assert all(type(v) is float for v in (*frame.centre, *frame.step))
    assert frame.centre == (5.5, 5.5) and frame.step == (1.0, 0.5)
    out = grid.seeds(seeds, frame)
    _check(out, np.ndarray, np.bool_, (2, 8, 8))
    assert out[0].sum() == 1
    x, frame = network_input(grid, *_slice_inputs(dtype), (1.0, 1.0))
    _check(x, np.ndarray, np.float32, (4, 8, 8))


# ----------------------------------------------------------------------------------------------------------------
# segmenters


@pytest.mark.parametrize("image_dtype", IMAGE_DTYPES)
@pytest.mark.parametrize("mask_dtype", MASK_DTYPES)
def test_segmenters_output_types(mask_dtype, image_dtype):
    image, prior, seeds = _slice_inputs(mask_dtype, image_dtype)
    no_bg = seeds.copy()
    no_bg[1] = 0
    for segmenter in (GraphCutSegmenter(), GraphCutSegmenter(shape_weight=0.5), RandomWalkerSegmenter()):
        for s in (seeds, no_bg):  # with both kinds of seeds, and without background seeds (the prior comes back)
            out = segmenter(image, prior, s, (1.0, 2.0))
            _check(out, np.ndarray, np.bool_, (1, 12, 12))
            np.testing.assert_array_equal(out, prior.astype(bool))
    out = CopyPrevious()(image, prior, seeds)
    _check(out, np.ndarray, np.dtype(mask_dtype), (1, 12, 12))  # the prior as given, a copy
    assert out is not prior


@pytest.mark.parametrize("image_dtype", IMAGE_DTYPES)
@pytest.mark.parametrize("mask_dtype", MASK_DTYPES)
def test_network_segmenter_is_float32_probability(mask_dtype, image_dtype):
    image, prior, seeds = _slice_inputs(mask_dtype, image_dtype)
    channels = ("image", "prior", "seed_map")
    for grid in (None, SliceGrid(size=8, spacing=1.0)):
        out = NetworkSegmenter(_Net(), channels=channels, grid=grid)(image, prior, seeds, (1.0, 1.0))
        _check(out, np.ndarray, np.float32, (1, 12, 12))
        np.testing.assert_allclose(out[0, 4:8, 4:8], 1 / (1 + np.exp(-2)), rtol=1e-6)
        out = NetworkSegmenter(_Float64Net(), channels=channels, grid=grid)(image, prior, seeds, (1.0, 1.0))
        _check(out, np.ndarray, np.float32, (1, 12, 12))  # float32 whatever the network's output dtype
        segmenter = NetworkSegmenter(_QualityNet(), channels, grid=grid, output_key="mask", quality_key="quality")
        probability, quality = segmenter(image, prior, seeds, (1.0, 1.0))
        _check(probability, np.ndarray, np.float32, (1, 12, 12))
        assert type(quality) is float and quality == 0.25


# ----------------------------------------------------------------------------------------------------------------
# slice_propagation helpers


@pytest.mark.parametrize("fg_dtype", MASK_DTYPES)
@pytest.mark.parametrize("dtype", MASK_DTYPES)
def test_slice_result_is_bool(dtype, fg_dtype):
    probability = np.zeros((6, 6), dtype)
    probability[1:4, 1:4] = 1
    foreground = np.zeros((6, 6), fg_dtype)
    foreground[2, 2] = 1
    for fill_holes in (True, False):
        out = slice_result(probability, foreground, fill_holes=fill_holes)
        _check(out, np.ndarray, np.bool_, (6, 6))
        assert out.sum() == 9


@pytest.mark.parametrize("dtype", VOLUME_DTYPES)
def test_window_intensity_is_float32(dtype):
    volume = np.array([[0, 50, 100, 120]], dtype)
    out = window_intensity(volume, (0, 100))
    _check(out, np.ndarray, np.float32, (1, 4))
    np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0, 1.0]])
    assert volume.dtype == dtype and volume[0, 1] == 50  # a new array: the input is left alone
    target = volume.astype(np.float32)
    assert window_intensity(target, (0, 100), out=target) is target  # in place: the float32 array given


@pytest.mark.parametrize("torch_input", [False, True])
@pytest.mark.parametrize("dtype", MASK_DTYPES)
def test_volume_helpers_types(dtype, torch_input):
    mask = np.zeros((1, 3, 4, 5), dtype)
    mask[0, 1, 1:3, 1:4] = 1
    volume = torch.as_tensor(mask) if torch_input else mask
    slices, axis, spacing = canonical_slices(volume)
    _check(slices, np.ndarray, np.dtype(dtype), (1, 5, 3, 4))  # the volume's dtype, slice axis first
    assert slices.flags.c_contiguous
    assert type(axis) is int and axis == 2
    assert type(spacing) is tuple and all(type(s) is float for s in spacing)
    middle = middle_slice(volume)
    assert type(middle) is int and middle == 2
    annotation = annotate_slices(volume, [2])
    container = torch.Tensor if torch_input else np.ndarray
    _check(annotation, container, TORCH[dtype] if torch_input else np.dtype(dtype), (1, 3, 4, 5))
    assert int(annotation.sum()) == int(annotation[..., 2].sum()) == 2  # rows 1-2 of slice 2


def test_annotate_slices_keeps_a_metatensor():
    mask = MetaTensor(torch.ones((1, 2, 2, 3), dtype=torch.bool), affine=torch.diag(torch.tensor([2.0, 2, 3, 1])))
    annotation = annotate_slices(mask, [1])
    _check(annotation, MetaTensor, torch.bool, (1, 2, 2, 3))
    torch.testing.assert_close(annotation.affine, mask.affine)
    assert int(annotation.sum()) == 4


# ----------------------------------------------------------------------------------------------------------------
# inferers


@pytest.mark.parametrize("torch_input", [False, True])
@pytest.mark.parametrize("mask_dtype", MASK_DTYPES)
@pytest.mark.parametrize("dtype", VOLUME_DTYPES)
def test_slice_propagator_returns_uint8_of_the_inputs_type(dtype, mask_dtype, torch_input):
    volume = np.full((1, 12, 12, 4), 150, dtype)
    annotation = np.zeros((1, 12, 12, 4), mask_dtype)
    annotation[0, 4:8, 4:8, 1] = 1
    if torch_input:
        volume, annotation = torch.as_tensor(volume), torch.as_tensor(annotation)
    out, history = SlicePropagator(margin_mm=2.0)(volume, CopyPrevious(), annotation, return_history=True)
    if torch_input:
        _check(out, torch.Tensor, torch.uint8, (1, 12, 12, 4))
    else:
        _check(out, np.ndarray, np.uint8, (1, 12, 12, 4))
    assert int(out.sum()) == 64 and len(history) == 4
    batched = SlicePropagator(margin_mm=2.0)(volume[None], CopyPrevious(), annotation)
    assert batched.dtype == out.dtype and tuple(batched.shape) == (1, 1, 12, 12, 4)


def test_slice_propagator_keeps_a_metatensor():
    volume = MetaTensor(torch.full((1, 12, 12, 4), 150.0), affine=torch.diag(torch.tensor([0.5, 0.5, 2.0, 1.0])))
    annotation = torch.zeros((1, 12, 12, 4), dtype=torch.bool)
    annotation[0, 4:8, 4:8, 1] = True
    out = SlicePropagator(margin_mm=2.0)(volume, CopyPrevious(), annotation)
    _check(out, MetaTensor, torch.uint8, (1, 12, 12, 4))
    torch.testing.assert_close(out.affine, volume.affine)


@pytest.mark.parametrize("meta", [False, True])
@pytest.mark.parametrize("return_probability", [False, True])
def test_iterative_inferer_returns_float_logits_of_the_network(return_probability, meta):
    image = torch.zeros((2, 1, 6, 6))
    image[:, :, 1:4, 1:4] = 1
    inputs = MetaTensor(image) if meta else image
    inferer = IterativeRefinementInferer(max_steps=3, return_probability=return_probability)
    net = lambda x: 4 * (x[:, :1] - 0.5)  # noqa: E731  (reads the image only: the same logits at every step)
    out, history = inferer(inputs, net, return_history=True)
    _check(out, MetaTensor if meta else torch.Tensor, torch.float32, (2, 1, 6, 6))
    expected = torch.where(image > 0.5, 2.0, -2.0)  # converged at step 2 (no change), its logits returned
    torch.testing.assert_close(
        out.as_tensor() if meta else out, torch.sigmoid(expected) if return_probability else expected
    )
    assert [len(h) for h in history] == [2, 2]
    out = inferer(inputs, lambda x: net(x.double()))
    assert out.dtype == torch.float64  # the network's dtype, not a fixed one
