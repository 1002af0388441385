from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.inferers import (
    CopyPrevious,
    GraphCutSegmenter,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    SlicePropagator,
)
from monai_refine.metrics import overlap_scores
from tests.utils import SHARED_DATA, SLAB_DIR, requires_shared_data

AFFINE = torch.tensor([[-0.8, 0, 0, 10.0], [0, -0.8, 0, 20.0], [0, 0, 2.0, -30.0], [0, 0, 0, 1]], dtype=torch.float64)


def _cone(depth: int = 15, noise: float = 5.0):
    """A cone of 100 HU (radius shrinking along z, vanishing after slice 12) in a 0 HU, noisy volume."""
    rng = np.random.default_rng(0)
    xx, yy = np.mgrid[:48, :48]
    truth = np.zeros((1, 48, 48, depth), dtype=np.uint8)
    for z in range(depth):
        radius = 14 - z
        if radius > 1:
            truth[0, ..., z] = (xx - 24) ** 2 + (yy - 24) ** 2 <= radius**2
    volume = (truth * 100.0 + rng.normal(0, noise, truth.shape)).astype(np.float32)
    return MetaTensor(torch.as_tensor(volume), affine=AFFINE), truth


def _annotate(truth: np.ndarray, slices) -> np.ndarray:
    annotation = np.zeros_like(truth)
    annotation[..., slices] = truth[..., slices]
    return annotation


@pytest.mark.parametrize("segmenter", [GraphCutSegmenter(spacing=(0.8, 0.8)), RandomWalkerSegmenter(beta=500)])
def test_propagation_recovers_the_cone(segmenter):
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0, window=(-100, 200), min_area_fraction=0.3)
    mask = propagator(volume, segmenter, annotation=_annotate(truth, [5]))
    assert isinstance(mask, MetaTensor) and mask.dtype == torch.uint8 and mask.shape == volume.shape
    torch.testing.assert_close(mask.affine, volume.affine)
    assert overlap_scores(mask, truth)["dice"] > 0.95
    # the cone ends at slice 12: the upward direction stops on 13 (noise specks < 0.3 x slice 12), the downward one
    # at the volume end
    reasons = {r.direction: (r.index, r.stop_reason) for r in propagator.history if r.stop_reason}
    assert reasons == {1: (13, "shrunk"), -1: (0, "volume_end")}
    assert [r.index for r in propagator.history][:2] == [5, 6]
    assert all(r.n_fg_seeds > 0 and r.n_bg_seeds > 0 for r in propagator.history if r.direction and r.area)


def test_copy_previous_copies_the_annotation():
    volume, truth = _cone()
    mask = SlicePropagator(margin_mm=3.0)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    expected = np.repeat(truth[..., 5:6], truth.shape[-1], axis=-1)
    np.testing.assert_array_equal(mask.numpy(), expected)


def test_several_annotated_slices_each_own_their_half():
    volume, truth = _cone()
    propagator = SlicePropagator(margin_mm=3.0)
    mask = propagator(volume, CopyPrevious(), annotation=_annotate(truth, [2, 8]), slices=[2, 8])
    np.testing.assert_array_equal(mask[0, ..., 5].numpy(), truth[0, ..., 2])  # 5 is nearer to 2 than to 8
    np.testing.assert_array_equal(mask[0, ..., 6].numpy(), truth[0, ..., 8])
    assert sorted(r.index for r in propagator.history) == list(range(15))


def test_shrink_rule_stops_and_clears_the_slice():
    volume, truth = _cone()
    truth[..., 9:] = 0
    truth[0, 20:23, 20:23, 9] = 1  # slice 9 keeps a 9-voxel speck: far below 0.5 x its neighbour
    volume = MetaTensor(torch.as_tensor(truth * 100.0, dtype=torch.float32), affine=AFFINE)
    propagator = SlicePropagator(margin_mm=3.0, min_area_fraction=0.5)
    mask = propagator(volume, GraphCutSegmenter(spacing=(0.8, 0.8)), annotation=_annotate(truth, [5]))
    stop = [r for r in propagator.history if r.direction == 1 and r.stop_reason][0]
    assert (stop.index, stop.stop_reason, stop.area) == (9, "shrunk", 0)
    assert mask[..., 9:].sum() == 0


def test_user_seeds_add_a_missed_component():
    volume, truth = _cone()
    volume = volume.clone()
    volume[0, 2:8, 2:8, 6] = 100.0  # a separate bright blob on slice 6 only
    seeds = np.zeros((2, *truth.shape[1:]), dtype=np.uint8)
    seeds[0, 4, 4, 6] = 1  # the user clicks it as foreground
    propagator = SlicePropagator(margin_mm=3.0)
    without = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]))
    with_click = propagator(volume, GraphCutSegmenter(), annotation=_annotate(truth, [5]), seeds=seeds)
    assert without[0, 4, 4, 6] == 0 and with_click[0, 4, 4, 6] == 1


def test_numpy_input_gives_numpy_output():
    volume, truth = _cone()
    mask = SlicePropagator(margin_mm=3.0)(volume.numpy(), CopyPrevious(), annotation=_annotate(truth, [5]))
    assert isinstance(mask, np.ndarray) and mask.dtype == np.uint8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"inputs": np.zeros((48, 48, 15))}, "channel-first 3D volume"),
        ({"annotation": np.zeros((1, 48, 48, 14))}, "annotation shape"),
        ({"annotation": np.zeros((1, 48, 48, 15))}, "annotation is empty"),
        ({"annotation": np.full((1, 48, 48, 15), 0.5)}, "annotation must be binary"),
        ({"slices": [20]}, "outside the volume"),
        ({"slices": [6]}, "slice 6 is empty"),
        ({"seeds": np.zeros((1, 48, 48, 15))}, "seeds must have 2 channel"),
        ({"inputs": np.full((1, 48, 48, 15), np.nan, dtype=np.float32)}, "inputs contains NaN"),
    ],
)
def test_bad_input(kwargs, match):
    volume, truth = _cone()
    call = {"inputs": volume, "network": CopyPrevious(), "annotation": _annotate(truth, [5]), **kwargs}
    with pytest.raises(ValueError, match=match):
        SlicePropagator()(**call)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"window": (10, 0)}, "window"), ({"min_area_fraction": 1.0}, "min_area_fraction"), ({"margin_mm": 0}, "margin")],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SlicePropagator(**kwargs)


@pytest.mark.slow
def test_graph_cut_on_the_shipped_slab():
    """The tuned graph cut on the verbatim IRCAD slab, from its middle slice: a floor the code really reaches."""
    from monai_refine.data import load_ircad_patient
    from monai_refine.inferers import annotate_slices, middle_slice, propagation_preset

    image, reference = load_ircad_patient(SLAB_DIR)
    annotation = annotate_slices(reference, [middle_slice(reference)])
    segmenter, kwargs = propagation_preset("graph-cut", image.pixdim.tolist())
    mask = SlicePropagator(**kwargs)(image, segmenter, annotation=annotation)
    scores = overlap_scores(mask, reference)
    assert scores["dice"] > 0.95, scores  # measured 0.962 (docs/results.md)
    torch.testing.assert_close(mask.affine, image.affine)


class _PriorLogits(torch.nn.Module):
    """A stand-in network that returns the prior channel as logits, and records the channels it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.in_channels: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.in_channels.append(x.shape[1])
        return 20 * (x[:, 1:2] - 0.5)


def test_a_network_plugs_in_without_changing_the_engine():
    volume, truth = _cone()
    network = _PriorLogits()
    segmenter = NetworkSegmenter(network, sigma=3.0, spacing=(0.8, 0.8))
    mask = SlicePropagator(margin_mm=3.0)(volume, segmenter, annotation=_annotate(truth, [5]))
    copied = SlicePropagator(margin_mm=3.0)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    np.testing.assert_array_equal(mask.numpy(), copied.numpy())
    assert set(network.in_channels) == {4}  # image, prior, foreground and background seed maps


def test_refinenet_through_network_segmenter():
    from monai_refine.networks.nets import RefineNet
    from monai_refine.utils import RefineOutputs

    volume, truth = _cone()
    torch.manual_seed(0)
    net = RefineNet(2, in_channels=3, features=(4, 4, 8, 8, 8, 4), refine_features=4)
    segmenter = NetworkSegmenter(net, channels=("image", "seed_map"), output_key=RefineOutputs.REFINED)
    propagator = SlicePropagator(margin_mm=3.0)
    mask = propagator(volume, segmenter, annotation=_annotate(truth, [5]))  # untrained: only the plumbing
    assert mask.shape == volume.shape and propagator.history[0].index == 5
    with pytest.raises(ValueError, match="output_key"):
        NetworkSegmenter(net, channels=("image", "seed_map"))(
            np.zeros((1, 48, 48), np.float32), truth[:, ..., 5] > 0, np.zeros((2, 48, 48), bool)
        )
    with pytest.raises(ValueError, match="channels"):
        NetworkSegmenter(net, channels=("image", "label"))


def test_annotation_with_another_geometry_is_refused():
    volume, truth = _cone()
    shifted = AFFINE.clone()
    shifted[0, 3] += 5.0  # same voxels, origin 5 mm away
    annotation = MetaTensor(torch.as_tensor(_annotate(truth, [5])), affine=shifted)
    with pytest.raises(ValueError, match="inputs .* and annotation .* do not share geometry: origin"):
        SlicePropagator()(volume, CopyPrevious(), annotation=annotation)


@pytest.mark.slow
@requires_shared_data
def test_graph_cut_preset_on_the_full_patient():
    """The figure of docs/results.md (Dice 0.914 on IRCAD patient 17 from slice 57) must not silently regress."""
    from monai_refine.data import load_ircad_patient
    from monai_refine.inferers import annotate_slices, propagation_preset

    image, reference = load_ircad_patient(SHARED_DATA / "ircad" / "patient17")
    annotation = annotate_slices(reference, [57])
    segmenter, kwargs = propagation_preset("graph-cut", image.pixdim.tolist())
    scores = overlap_scores(SlicePropagator(**kwargs)(image, segmenter, annotation=annotation), reference)
    assert scores["dice"] > 0.90 and scores["ppv"] > 0.92, scores


class _QualityStub(torch.nn.Module):
    """Returns the prior as mask logits and a "predicted Dice" that drops once the prior is small (< 300 voxels)."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        prior = x[:, 1:2]
        quality = torch.where(prior.sum() > 300, 0.9, 0.2).reshape(1, 1)
        return {"mask": 20 * (prior - 0.5), "quality": quality}


def test_quality_drop_stops_a_direction():
    volume, truth = _cone()
    segmenter = NetworkSegmenter(_QualityStub(), channels=("image", "prior"), output_key="mask", quality_key="quality")
    confident = SlicePropagator(margin_mm=3.0, min_quality=0.5)
    confident(volume, segmenter, annotation=_annotate(truth, [3]))  # 377 voxels: predicted quality 0.9 throughout
    assert all(r.quality == pytest.approx(0.9) for r in confident.history if r.direction)
    assert {r.stop_reason for r in confident.history} == {None, "volume_end"}

    doubtful = SlicePropagator(margin_mm=3.0, min_quality=0.5)
    mask = doubtful(volume, segmenter, annotation=_annotate(truth, [10]))  # 49 voxels: predicted quality 0.2
    stops = {r.direction: (r.index, r.stop_reason, r.quality) for r in doubtful.history if r.stop_reason}
    assert stops == {1: (11, "quality_drop", pytest.approx(0.2)), -1: (9, "quality_drop", pytest.approx(0.2))}
    np.testing.assert_array_equal(mask.numpy(), _annotate(truth, [10]))  # the doubtful slices are left empty


def test_min_quality_needs_a_quality():
    volume, truth = _cone()
    with pytest.raises(ValueError, match="min_quality needs a segmenter"):
        SlicePropagator(min_quality=0.5)(volume, CopyPrevious(), annotation=_annotate(truth, [5]))
    with pytest.raises(ValueError, match="min_quality must be"):
        SlicePropagator(min_quality=1.5)
