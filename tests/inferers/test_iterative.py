from __future__ import annotations

import pytest
import torch

from monai_refine.inferers import IterativeRefinementInferer
from monai_refine.networks.nets import IterativeUNet, QualityUNet
from monai_refine.utils import RefineOutputs


class _Halfway(torch.nn.Module):
    """Moves the prior halfway towards a fixed binary target: the mean change halves at every step."""

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.target = target

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logit((x[:, -1:] + self.target) / 2, eps=1e-7)


class _RatedHalfway(_Halfway):
    """Like ``_Halfway``, and rates its input prior with a scripted sequence of qualities."""

    def __init__(self, target: torch.Tensor, qualities) -> None:
        super().__init__(target)
        self.qualities = list(qualities)
        self.priors: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.priors.append(x[:, -1:].clone())
        quality = torch.full((x.shape[0], 1), self.qualities.pop(0))
        return {"mask": super().forward(x), "quality": quality}


def _target(ndim: int) -> torch.Tensor:
    target = torch.zeros((2, 1) + (8,) * ndim)
    target[(slice(None), slice(None)) + (slice(2, 6),) * ndim] = 1
    return target


@pytest.mark.parametrize("ndim", [2, 3])
def test_converges_when_the_change_is_below_tolerance(ndim):
    target = _target(ndim)
    inferer = IterativeRefinementInferer(max_steps=20, tolerance=0.01)
    out = inferer(torch.zeros_like(target), _Halfway(target))
    # |S_t - S_(t-1)| = 0.5 ** (t + 1) everywhere: 0.25, 0.125, ... first below 0.01 at t = 6
    assert [r.step for r in inferer.history] == [1, 2, 3, 4, 5, 6]
    assert [r.delta for r in inferer.history] == pytest.approx([0.5 ** (t + 1) for t in range(1, 7)], rel=1e-4)
    assert inferer.history[-1].stop_reason == "converged"
    torch.testing.assert_close(out, target * (1 - 0.5**7) + (1 - target) * 0.5**7, atol=1e-5, rtol=0)


def test_max_steps():
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=3, tolerance=0.0)
    out = inferer(torch.zeros_like(target), _Halfway(target))
    assert [r.stop_reason for r in inferer.history] == [None, None, "max_steps"]
    torch.testing.assert_close(out, target * (1 - 0.5**4) + (1 - target) * 0.5**4, atol=1e-5, rtol=0)


def test_quality_drop_returns_the_better_rated_prior():
    target = _target(2)
    network = _RatedHalfway(target, qualities=[0.5, 0.7, 0.9, 0.6, 0.95])
    inferer = IterativeRefinementInferer(max_steps=10, tolerance=0.0, output_key="mask", quality_key="quality")
    out = inferer(torch.zeros_like(target), network)
    # step 4 rates its prior (S_3) 0.6 < 0.9, the rating of S_2 at step 3: S_2 comes back
    assert [r.quality for r in inferer.history] == pytest.approx([0.5, 0.7, 0.9, 0.6])
    assert inferer.history[-1].stop_reason == "quality_drop"
    torch.testing.assert_close(out, network.priors[2])


def test_given_prior_is_used_first():
    target = _target(2)
    inferer = IterativeRefinementInferer(max_steps=1)
    out = inferer(torch.zeros_like(target), _Halfway(target), prior=target.clone())
    torch.testing.assert_close(out, target, atol=1e-6, rtol=0)
    assert inferer.history[0].delta == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("ndim", [2, 3])
def test_with_the_refinement_networks(ndim):
    torch.manual_seed(0)
    image = torch.rand((2, 1) + (16,) * ndim)
    net = IterativeUNet(ndim, in_channels=2, features=(4, 4, 8, 8, 4)).eval()
    inferer = IterativeRefinementInferer(max_steps=3)
    with torch.no_grad():
        out = inferer(image, net)
    assert out.shape == (2, 1) + (16,) * ndim and 0 <= float(out.min()) and float(out.max()) <= 1
    quality_net = QualityUNet(ndim, in_channels=2, features=(4, 4, 8, 4)).eval()
    rated = IterativeRefinementInferer(max_steps=3, output_key=RefineOutputs.MASK, quality_key=RefineOutputs.QUALITY)
    with torch.no_grad():
        rated(image, quality_net)
    assert all(0 <= r.quality <= 1 for r in rated.history)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: IterativeRefinementInferer(max_steps=0), "max_steps"),
        (lambda: IterativeRefinementInferer(tolerance=-1), "tolerance"),
        (lambda: IterativeRefinementInferer(initial_prior=2), "initial_prior"),
        (lambda: IterativeRefinementInferer()(torch.zeros(1, 8, 8), _Halfway(torch.zeros(1, 1, 8, 8))), "batch"),
        (
            lambda: IterativeRefinementInferer()(torch.zeros(1, 1, 8, 8), _Halfway(_target(2)), torch.zeros(1, 1, 4)),
            "prior must have shape",
        ),
        (
            lambda: IterativeRefinementInferer()(torch.zeros(2, 1, 8, 8), _Halfway(_target(2)), _target(2) * 2),
            "probabilities",
        ),
        (lambda: IterativeRefinementInferer()(torch.zeros(2, 1, 8, 8), _RatedHalfway(_target(2), [1.0])), "output_key"),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
