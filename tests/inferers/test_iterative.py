from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Activationsd, AsDiscreted

from monai_refine.inferers import IterativeRefinementInferer
from monai_refine.networks.nets import IterativeUNet, QualityUNet
from monai_refine.utils import RefineOutputs

pytestmark = pytest.mark.usefixtures("single_thread")


class _Halfway(torch.nn.Module):
    """Moves the prior halfway towards a fixed binary target: the mean change halves at every step.

    With ``channels=2`` it returns softmax logits (background, foreground) with the same foreground probability."""

    def __init__(self, target: torch.Tensor, channels: int = 1) -> None:
        super().__init__()
        self.target = target
        self.channels = channels
        self.batch_sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(x.shape[0])
        target = self.target[: x.shape[0]]
        logit = torch.logit((x[:, -1:] + target) / 2, eps=1e-7)
        if self.channels == 1:
            return logit
        return torch.cat([torch.zeros_like(logit), logit, torch.zeros_like(logit)][: self.channels], dim=1)


class _RatedHalfway(_Halfway):
    """Like ``_Halfway``, and rates its input prior with a scripted sequence of qualities."""

    def __init__(self, target: torch.Tensor, qualities) -> None:
        super().__init__(target)
        self.qualities = list(qualities)
        self.priors: list[torch.Tensor] = []
        self.outputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.priors.append(x[:, -1:].clone())
        quality = torch.full((x.shape[0], 1), self.qualities.pop(0))
        self.outputs.append(super().forward(x))
        return {"mask": self.outputs[-1], "quality": quality}


def _target(ndim: int, batch: int = 2) -> torch.Tensor:
    target = torch.zeros((batch, 1) + (8,) * ndim)
    target[(slice(None), slice(None)) + (slice(2, 6),) * ndim] = 1
    return target


def _expected(target: torch.Tensor, steps: int) -> torch.Tensor:
    """The probability after ``steps`` halving steps from the default prior, 0.5 everywhere."""
    return target * (1 - 0.5 ** (steps + 1)) + (1 - target) * 0.5 ** (steps + 1)


@pytest.mark.parametrize("ndim", [2, 3])
def test_converges_when_the_change_is_below_tolerance(ndim):
    target = _target(ndim)
    inferer = IterativeRefinementInferer(max_steps=20, tolerance=0.01)
    logits, history = inferer(torch.zeros_like(target), _Halfway(target), return_history=True)
    # |S_t - S_(t-1)| = 0.5 ** (t + 1) everywhere: 0.25, 0.125, ... first below 0.01 at t = 6
    for records in history:
        assert [r.step for r in records] == [1, 2, 3, 4, 5, 6]
        assert [r.delta for r in records] == pytest.approx([0.5 ** (t + 1) for t in range(1, 7)], rel=1e-4)
        assert records[-1].stop_reason == "converged"
    torch.testing.assert_close(torch.sigmoid(logits), _expected(target, 6), atol=1e-5, rtol=0)


def test_max_steps():
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=3, tolerance=0.0)
    out, history = inferer(torch.zeros_like(target), _Halfway(target), return_history=True)
    assert [r.stop_reason for r in history[1]] == [None, None, "max_steps"]
    torch.testing.assert_close(torch.sigmoid(out), _expected(target, 3), atol=1e-5, rtol=0)


def test_tolerance_zero_never_converges():
    """The change must fall *below* the tolerance: with 0 even a step that changes nothing (the identity network on
    the 0.5 prior, a change of exactly 0) does not converge, and the loop runs to max_steps."""
    inferer = IterativeRefinementInferer(max_steps=3, tolerance=0.0)
    out, history = inferer(torch.zeros(1, 1, 4, 4), lambda x: torch.logit(x[:, -1:]), return_history=True)
    assert [(r.step, r.delta, r.stop_reason) for r in history[0]] == [
        (1, 0.0, None),
        (2, 0.0, None),
        (3, 0.0, "max_steps"),
    ]
    torch.testing.assert_close(out, torch.zeros(1, 1, 4, 4))


def test_each_sample_stops_on_its_own():
    """A sample refines the same alone and beside a sample that converged at step 1 (the batch mean used to decide)."""
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=20, tolerance=0.01)
    image = torch.zeros_like(target)
    alone, alone_history = inferer(image[1:], _Halfway(target[1:]), prior=torch.zeros_like(target[1:]),
                                   return_history=True)  # fmt: skip
    network = _Halfway(target)
    prior = torch.cat([target[:1], torch.zeros_like(target[1:])])  # sample 0 starts converged
    batched, history = inferer(image, network, prior=prior, return_history=True)
    steps = len(alone_history[0])  # |S_t - S_(t-1)| = 0.25 * 0.5 ** t on the 16 of 64 target pixels: t = 5
    assert steps == 5 and [len(h) for h in history] == [1, steps]
    assert [r.delta for r in history[1]] == pytest.approx([r.delta for r in alone_history[0]])
    torch.testing.assert_close(batched[1:], alone, rtol=0, atol=0)
    torch.testing.assert_close(torch.sigmoid(batched[:1]), target[:1], atol=1e-6, rtol=0)
    assert network.batch_sizes == [2, 1, 1, 1, 1]  # the converged sample is not run again


def test_output_is_logits_for_monai_post_transforms():
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=3, tolerance=0.0)
    data = {"pred": inferer(torch.zeros_like(target), _Halfway(target))[0]}
    probability = Activationsd(keys="pred", sigmoid=True)(data)["pred"]
    torch.testing.assert_close(probability, _expected(target, 3)[0], atol=1e-5, rtol=0)
    mask = AsDiscreted(keys="pred", threshold=0.5)(Activationsd(keys="pred", sigmoid=True)(data))["pred"]
    torch.testing.assert_close(mask, target[0])
    explicit = IterativeRefinementInferer(max_steps=3, tolerance=0.0, return_probability=True)
    torch.testing.assert_close(explicit(torch.zeros_like(target), _Halfway(target)), _expected(target, 3), atol=1e-5,
                               rtol=0)  # fmt: skip


def test_metatensor_keeps_its_metadata():
    target = _target(2)
    image = MetaTensor(torch.zeros_like(target), affine=torch.diag(torch.tensor([2.0, 2.0, 1.0, 1.0])))
    out = IterativeRefinementInferer(max_steps=2)(image, _Halfway(target))
    assert isinstance(out, MetaTensor) and float(out.affine[0, 0]) == 2.0


def test_two_channel_softmax_logits():
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=3, tolerance=0.0)
    out = inferer(torch.zeros_like(target), _Halfway(target, channels=2))
    assert out.shape == (2, 2, 8, 8)
    torch.testing.assert_close(torch.softmax(out, 1)[:, 1:], _expected(target, 3), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="out_channels > 2"):
        inferer(torch.zeros_like(target), _Halfway(target, channels=3))
    # return_probability: softmax over the two channels (background 1 - S_3), not a sigmoid of each
    explicit = IterativeRefinementInferer(max_steps=3, tolerance=0.0, return_probability=True)
    probability = explicit(torch.zeros_like(target), _Halfway(target, channels=2))
    torch.testing.assert_close(probability[:, 1:], _expected(target, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(probability[:, :1], 1 - _expected(target, 3), atol=1e-5, rtol=0)


def test_quality_drop_returns_the_better_rated_prior():
    target = _target(2)
    network = _RatedHalfway(target, qualities=[0.5, 0.7, 0.9, 0.6, 0.95])
    inferer = IterativeRefinementInferer(max_steps=10, tolerance=0.0, output_key="mask", quality_key="quality")
    out, history = inferer(torch.zeros_like(target), network, return_history=True)
    # step 4 rates its prior (S_3) 0.6 < 0.9, the rating of S_2 at step 3: S_2 (the logits of step 2) comes back
    assert [r.quality for r in history[0]] == pytest.approx([0.5, 0.7, 0.9, 0.6])
    assert history[0][-1].stop_reason == "quality_drop"
    torch.testing.assert_close(out, network.outputs[1])
    torch.testing.assert_close(torch.sigmoid(out), network.priors[2])


@pytest.mark.parametrize("gain, steps, returned", [(0.0, 5, 4), (0.04, 5, 2), (0.1, 4, 1), (0.25, 2, None)])
def test_min_quality_gain_keeps_a_step_only_when_its_rating_rises_by_that_much(gain, steps, returned):
    """Call k rates S_{k-1} (S_0 the given prior): 0.5, 0.7, 0.9, 0.95, 0.96 (rises 0.2, 0.2, 0.05, 0.01). A step is
    kept while the rating rises by at least ``gain``; at the first smaller rise the earlier segmentation comes back:
    ``network.outputs[returned]`` holds S_{returned + 1}; None: the given prior."""
    target = _target(2, batch=1)
    network = _RatedHalfway(target, qualities=[0.5, 0.7, 0.9, 0.95, 0.96])
    inferer = IterativeRefinementInferer(
        max_steps=5, tolerance=0.0, output_key="mask", quality_key="quality", min_quality_gain=gain
    )
    given = torch.full_like(target, 0.5)
    out, history = inferer(torch.zeros_like(target), network, prior=given, return_history=True)
    assert len(history[0]) == steps
    if gain == 0.0:  # no rating drops: all five steps, the last one's logits
        assert history[0][-1].stop_reason == "max_steps"
        torch.testing.assert_close(out, network.outputs[4])
    elif returned is None:
        assert history[0][-1].stop_reason == "quality_drop"
        torch.testing.assert_close(torch.sigmoid(out), given)
    else:
        assert history[0][-1].stop_reason == "quality_drop"
        torch.testing.assert_close(out, network.outputs[returned])


def test_min_quality_gain_must_be_finite_and_not_negative():
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="min_quality_gain"):
            IterativeRefinementInferer(min_quality_gain=bad)


def test_quality_drop_at_step_two_returns_the_given_prior_as_logits():
    target = _target(2)
    network = _RatedHalfway(target, qualities=[0.9, 0.5])
    inferer = IterativeRefinementInferer(max_steps=10, tolerance=0.0, output_key="mask", quality_key="quality")
    out = inferer(torch.zeros_like(target), network, prior=target.clone())
    assert (torch.sigmoid(out) > 0.5).float().equal(target)
    assert float(out.max()) == pytest.approx(13.8, abs=0.02)  # logit(1 - 1e-6), rounded in float32


def test_given_prior_is_used_first():
    target = _target(2)
    out, history = IterativeRefinementInferer(max_steps=1)(torch.zeros_like(target), _Halfway(target),
                                                           prior=target.clone(), return_history=True)  # fmt: skip
    torch.testing.assert_close(torch.sigmoid(out), target, atol=1e-6, rtol=0)
    assert history[0][0].delta == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("initial_prior", [0.0, 0.2, 1.0])
def test_initial_prior_is_the_first_prior(ndim, initial_prior):
    """One halfway step from the constant first prior p: (p + 1) / 2 on the target and p / 2 elsewhere."""
    target = _target(ndim)
    inferer = IterativeRefinementInferer(max_steps=1, initial_prior=initial_prior, return_probability=True)
    out = inferer(torch.zeros_like(target), _Halfway(target))
    expected = target * (initial_prior + 1) / 2 + (1 - target) * initial_prior / 2
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("ndim", [2, 3])
def test_with_the_refinement_networks(ndim):
    """The inferer's result is the network applied by hand three times, each output's sigmoid the next prior."""
    torch.manual_seed(0)
    image = torch.rand((2, 1) + (16,) * ndim)
    net = IterativeUNet(ndim, in_channels=2, features=(4, 4, 8, 8, 4)).eval()
    with torch.no_grad():
        out = IterativeRefinementInferer(max_steps=3, tolerance=0.0)(image, net)
        prior = torch.full_like(image, 0.5)
        for _ in range(3):
            expected = net(image, prior)
            prior = torch.sigmoid(expected)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-4)
    quality_net = QualityUNet(ndim, in_channels=2, features=(4, 4, 8, 4)).eval()
    rated = IterativeRefinementInferer(max_steps=3, output_key=RefineOutputs.MASK, quality_key=RefineOutputs.QUALITY)
    with torch.no_grad():
        _, history = rated(image, quality_net, return_history=True)
        first = quality_net(image, torch.full_like(image, 0.5))[RefineOutputs.QUALITY]
    assert [records[0].quality for records in history] == pytest.approx(first[:, 0].tolist(), abs=1e-6)


def test_numpy_integer_steps_are_accepted():
    """``max_steps`` from NumPy (``np.int64``) is an integer; ``True`` and ``2.0`` are not."""
    assert IterativeRefinementInferer(max_steps=np.int64(4)).max_steps == 4
    for bad in (True, 2.0):
        with pytest.raises(ValueError, match="max_steps must be an integer >= 1"):
            IterativeRefinementInferer(max_steps=bad)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: IterativeRefinementInferer(max_steps=0), "max_steps"),
        (lambda: IterativeRefinementInferer(tolerance=-1), "tolerance"),
        (lambda: IterativeRefinementInferer(tolerance=float("nan")), "tolerance"),
        (lambda: IterativeRefinementInferer(initial_prior=2), "initial_prior"),
        (lambda: IterativeRefinementInferer()(torch.zeros(1, 8, 8), _Halfway(torch.zeros(1, 1, 8, 8))), "batch"),
        (lambda: IterativeRefinementInferer()("image", _Halfway(torch.zeros(1, 1, 8, 8))), "inputs must be a torch"),
        (
            lambda: IterativeRefinementInferer()(torch.zeros(1, 1, 8, 8), _Halfway(_target(2)), torch.zeros(1, 1, 4)),
            "prior must have shape",
        ),
        (
            lambda: IterativeRefinementInferer()(torch.zeros(2, 1, 8, 8), _Halfway(_target(2)), _target(2) * 2),
            "probabilities",
        ),
        (
            lambda: IterativeRefinementInferer()(
                torch.zeros(2, 1, 8, 8), _Halfway(_target(2)), _target(2).masked_fill(_target(2) == 0, float("nan"))
            ),
            "finite probabilities",
        ),
        (lambda: IterativeRefinementInferer()(torch.zeros(2, 1, 8, 8), _RatedHalfway(_target(2), [1.0])), "output_key"),
        (
            lambda: IterativeRefinementInferer(quality_key="quality")(torch.zeros(2, 1, 8, 8), _Halfway(_target(2))),
            "quality_key needs a network that returns a dict",
        ),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_multichannel_images_take_a_one_channel_prior():
    target = _target(2)
    image = torch.zeros(2, 3, 8, 8)
    inferer = IterativeRefinementInferer(max_steps=2, tolerance=0.0)
    out = inferer(image, _Halfway(target), prior=torch.zeros_like(target))
    torch.testing.assert_close(torch.sigmoid(out), 0.75 * target, atol=1e-5, rtol=0)  # 0 -> t / 2 -> 3 t / 4
    default = IterativeRefinementInferer(max_steps=1)(image, _Halfway(target))  # default prior: 0.5, one channel
    torch.testing.assert_close(torch.sigmoid(default), (0.5 + target) / 2, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="prior must have shape"):
        IterativeRefinementInferer()(image, _Halfway(target), prior=torch.zeros(2, 3, 8, 8))


def test_softmax_quality_drop_at_step_two_returns_the_given_prior():
    target = _target(2)

    class _RatedSoftmax(_RatedHalfway):
        def forward(self, x):
            out = super().forward(x)
            return {"mask": torch.cat([torch.zeros_like(out["mask"]), out["mask"]], dim=1), "quality": out["quality"]}

    inferer = IterativeRefinementInferer(max_steps=5, tolerance=0.0, output_key="mask", quality_key="quality")
    prior = target * 0.75 + 0.125
    out = inferer(torch.zeros_like(target), _RatedSoftmax(target, qualities=[0.9, 0.5]), prior=prior)
    assert out.shape == (2, 2, 8, 8)
    torch.testing.assert_close(torch.softmax(out, 1)[:, 1:], prior, atol=1e-5, rtol=0)
