"""Iterative refinement at inference time (paper 000): feed each segmentation back as the next prior."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from monai.inferers import Inferer

from monai_refine.utils import StopReason, check_probability, split_network_output

__all__ = ["IterationRecord", "IterativeRefinementInferer"]


@dataclass
class IterationRecord:
    """One refinement step: the mean absolute change it made, the predicted quality of its input prior (networks
    like ``QualityUNet`` rate the mask they are given), and why the loop stopped there."""

    step: int
    delta: float
    quality: float | None = None
    stop_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class IterativeRefinementInferer(Inferer):
    """Run a refinement network repeatedly on ``cat(image, prior)``, its output becoming the next prior (paper 000).

    The first prior is ``initial_prior`` everywhere (0.5 in paper 000: no opinion) unless one is given, e.g. another
    model's segmentation. Step ``t`` computes ``S_t = sigmoid(network(cat(image, S_{t-1})))``; the loop stops when
    the mean absolute change ``mean |S_t - S_{t-1}|`` falls below ``tolerance`` (paper 000's threshold Th,
    ``StopReason.CONVERGED``), after ``max_steps`` (``StopReason.MAX_STEPS``), or, for networks that also predict
    the quality of the prior they are given (``QualityUNet``), when a prior is rated below the one before it
    (``StopReason.QUALITY_DROP``; that better-rated earlier segmentation is returned).

    Args:
        max_steps: the largest number of network calls, >= 1.
        tolerance: convergence threshold on the mean absolute change, >= 0.
        initial_prior: the constant first prior in [0, 1].
        output_key: the segmentation's key when the network returns a dict (e.g. ``RefineOutputs.MASK``).
        quality_key: the predicted quality's key in that dict (e.g. ``RefineOutputs.QUALITY``), shape ``(B, 1)``.
        inferer: optional MONAI inferer (e.g. ``SlidingWindowInferer``) to run each network call with.

    After a call, :attr:`history` holds one :class:`IterationRecord` per step.

    Example:
        >>> import torch
        >>> class Halfway(torch.nn.Module):  # moves the prior halfway to a fixed target: the change halves each step
        ...     def forward(self, x):
        ...         target = torch.ones_like(x[:, 1:])
        ...         return torch.logit((x[:, 1:] + target) / 2, eps=1e-6)
        >>> inferer = IterativeRefinementInferer(max_steps=20, tolerance=0.01)
        >>> out = inferer(torch.zeros(1, 1, 4, 4), Halfway())
        >>> [round(r.delta, 4) for r in inferer.history][:3], len(inferer.history), inferer.history[-1].stop_reason
        ([0.25, 0.125, 0.0625], 6, 'converged')
    """

    def __init__(
        self,
        max_steps: int = 5,
        tolerance: float = 1e-3,
        initial_prior: float = 0.5,
        output_key: str | None = None,
        quality_key: str | None = None,
        inferer: Inferer | None = None,
    ) -> None:
        super().__init__()
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be an integer >= 1, got {max_steps!r}.")
        if not tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance}.")
        self.max_steps = max_steps
        self.tolerance = float(tolerance)
        self.initial_prior = check_probability("initial_prior", initial_prior)
        self.output_key = output_key
        self.quality_key = quality_key
        self.inferer = inferer
        self.history: list[IterationRecord] = []

    def _step(self, x: torch.Tensor, network) -> tuple[torch.Tensor, float | None]:
        out = self.inferer(x, network) if self.inferer is not None else network(x)
        logits, quality = split_network_output(out, self.output_key, self.quality_key)
        return torch.sigmoid(logits), None if quality is None else float(quality.float().mean())

    def __call__(  # type: ignore[override]
        self, inputs: torch.Tensor, network, prior: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Refine until a stopping rule fires.

        Args:
            inputs: the image batch, ``(B, C, *spatial)``.
            network: called on ``cat(inputs, prior)`` of ``C + 1`` channels; returns logits ``(B, 1, *spatial)`` or a
                dict of outputs.
            prior: optional first prior, ``(B, 1, *spatial)`` in [0, 1]; default ``initial_prior`` everywhere.

        Returns:
            the last accepted segmentation probability, ``(B, 1, *spatial)``.
        """
        if inputs.ndim not in (4, 5):
            raise ValueError(f"inputs must be a batch (B, C, H, W) or (B, C, H, W, D), got {tuple(inputs.shape)}.")
        if prior is None:
            prior = torch.full((inputs.shape[0], 1, *inputs.shape[2:]), self.initial_prior, device=inputs.device)
        elif prior.shape != (inputs.shape[0], 1, *inputs.shape[2:]):
            expected = (inputs.shape[0], 1, *inputs.shape[2:])
            raise ValueError(f"prior must have shape (B, 1, *spatial) = {expected}, got {tuple(prior.shape)}.")
        elif not torch.isfinite(prior).all() or prior.min() < 0 or prior.max() > 1:
            raise ValueError("prior must hold finite probabilities in [0, 1].")
        self.history = []
        older, older_quality = prior, None  # the prior before `prior`, and the predicted quality of `older`
        for step in range(1, self.max_steps + 1):
            current, quality = self._step(torch.cat([inputs, prior.to(inputs.dtype)], dim=1), network)
            delta = float((current - prior).abs().mean())
            record = IterationRecord(step, delta, quality)
            self.history.append(record)
            if quality is not None and older_quality is not None and quality < older_quality:
                record.stop_reason = str(StopReason.QUALITY_DROP)
                return older
            if delta < self.tolerance:
                record.stop_reason = str(StopReason.CONVERGED)
                return current
            older, older_quality, prior = prior, quality, current
        record.stop_reason = str(StopReason.MAX_STEPS)
        return prior
