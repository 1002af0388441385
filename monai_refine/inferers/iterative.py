"""Iterative refinement at inference time (paper 000): feed each segmentation back as the next prior."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from monai.data import MetaTensor
from monai.inferers import Inferer
from monai.utils import convert_to_dst_type

from monai_refine.utils import StopReason, check_positive_int, check_probability, split_network_output

__all__ = ["IterationRecord", "IterativeRefinementInferer"]

_LOGIT_EPS = 1e-6  # a given prior of exactly 0 or 1 is returned as logits of +-13.8 (probabilities 1e-6 from 0/1)


@dataclass
class IterationRecord:
    """One refinement step of one sample: the mean absolute change it made to the sample's foreground probability,
    the predicted quality of its input prior (networks like ``QualityUNet`` rate the mask they are given), and why
    the loop stopped there for that sample."""

    step: int
    delta: float
    quality: float | None = None
    stop_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class IterativeRefinementInferer(Inferer):
    """Run a refinement network repeatedly on ``cat(image, prior)``, its output becoming the next prior (paper 000).

    The first prior is ``initial_prior`` everywhere (0.5 in paper 000: no opinion) unless one is given, e.g. another
    model's segmentation. Step ``t`` computes the logits ``L_t = network(cat(image, S_{t-1}))`` and the foreground
    probability ``S_t`` (``sigmoid(L_t)`` for one output channel; ``softmax(L_t)[:, 1]`` for two channels,
    background then foreground). Every sample of the batch stops on its own, so a sample gives the same result alone
    as in any batch: when its mean absolute change ``mean |S_t - S_{t-1}|`` falls below ``tolerance`` (paper 000's
    threshold Th, ``StopReason.CONVERGED``, ``L_t`` is returned), after ``max_steps`` (``StopReason.MAX_STEPS``), or,
    for networks that also predict the quality of the prior they are given (``QualityUNet``), when its prior is
    rated below the one before it (``StopReason.QUALITY_DROP``; the better-rated earlier segmentation is returned),
    or, with ``min_quality_gain > 0``, rated less than that much above it (a step must earn its change).
    A stopped sample is not passed to the network again.

    Like MONAI's inferers, the result is in the network's output space (logits, ``(B, out_channels, *spatial)``), so
    ``Activationsd(sigmoid=True)`` (or ``softmax=True``) and ``AsDiscreted(threshold=0.5)`` post-process it unchanged.
    A sample that stops on the given prior itself (a quality drop at step 2) gets that prior as logits,
    ``logit(prior)`` clamped to probabilities in ``[1e-6, 1 - 1e-6]`` (channels ``(0, logit(prior))`` for softmax).
    ``return_probability=True`` returns ``sigmoid``/``softmax`` of that instead.

    Args:
        max_steps: the largest number of network calls per sample, >= 1.
        tolerance: convergence threshold on the mean absolute change, >= 0 (default 1e-3, ours: paper 000 names
            its threshold Th but gives no value).
        initial_prior: the constant first prior in [0, 1].
        output_key: the segmentation's key when the network returns a dict (e.g. ``RefineOutputs.MASK``).
        quality_key: the predicted quality's key in that dict (e.g. ``RefineOutputs.QUALITY``), shape ``(B, 1)``.
        min_quality_gain: the rise in predicted quality a step must bring to be kept (>= 0; 0: paper 002's rule,
            stop when the rating drops). A quality head that rates a refined strong mask a little higher than the
            mask it was given, when it is in fact a little worse, makes the refinement of strong masks lose: a
            margin keeps such masks unless the head is clearly more confident in the change.
        inferer: optional MONAI inferer (e.g. ``SlidingWindowInferer``) to run each network call with.
        return_probability: return probabilities (sigmoid, or softmax for two channels) instead of logits.

    ``__call__(..., return_history=True)`` also returns one list of :class:`IterationRecord` per sample; nothing is
    stored on the instance, so one inferer can serve concurrent calls.

    Example:
        >>> import torch
        >>> class Halfway(torch.nn.Module):  # moves the prior halfway to a fixed target: the change halves each step
        ...     def forward(self, x):
        ...         target = torch.ones_like(x[:, 1:])
        ...         return torch.logit((x[:, 1:] + target) / 2, eps=1e-6)
        >>> inferer = IterativeRefinementInferer(max_steps=20, tolerance=0.01)
        >>> logits, history = inferer(torch.zeros(1, 1, 4, 4), Halfway(), return_history=True)
        >>> [round(r.delta, 4) for r in history[0]][:3], len(history[0]), history[0][-1].stop_reason
        ([0.25, 0.125, 0.0625], 6, 'converged')
        >>> round(float(torch.sigmoid(logits).mean()), 4)  # S_6 = 1 - 0.5 ** 7
        0.9922
    """

    def __init__(
        self,
        max_steps: int = 5,
        tolerance: float = 1e-3,
        initial_prior: float = 0.5,
        output_key: str | None = None,
        quality_key: str | None = None,
        min_quality_gain: float = 0.0,
        inferer: Inferer | None = None,
        return_probability: bool = False,
    ) -> None:
        super().__init__()
        self.max_steps = check_positive_int("max_steps", max_steps)
        if not tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance}.")
        self.tolerance = float(tolerance)
        self.initial_prior = check_probability("initial_prior", initial_prior)
        self.output_key = output_key
        self.quality_key = quality_key
        if not (math.isfinite(min_quality_gain) and min_quality_gain >= 0):
            raise ValueError(f"min_quality_gain must be finite and >= 0, got {min_quality_gain}.")
        self.min_quality_gain = float(min_quality_gain)
        self.inferer = inferer
        self.return_probability = bool(return_probability)

    def _step(self, x: torch.Tensor, network) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.inferer(x, network) if self.inferer is not None else network(x)
        logits, quality = split_network_output(out, self.output_key, self.quality_key)
        if logits.ndim != x.ndim or logits.shape[1] not in (1, 2):
            raise ValueError(
                "the network must return segmentation logits of shape (B, 1, *spatial) (sigmoid) or (B, 2, *spatial) "
                f"(softmax, background then foreground), got {tuple(logits.shape)}; out_channels > 2 is not supported."
            )
        return logits, None if quality is None else quality.float().reshape(x.shape[0], -1).mean(1)

    @staticmethod
    def _foreground(logits: torch.Tensor) -> torch.Tensor:
        """The foreground probability ``(B, 1, *spatial)`` of one-channel (sigmoid) or two-channel (softmax) logits."""
        if logits.shape[1] == 1:
            return torch.sigmoid(logits)
        return torch.softmax(logits, dim=1)[:, 1:2]

    @staticmethod
    def _as_logits(prior: torch.Tensor, channels: int) -> torch.Tensor:
        """Logits whose foreground probability is ``prior`` (clamped to [1e-6, 1 - 1e-6])."""
        logit = torch.logit(prior, eps=_LOGIT_EPS)
        return logit if channels == 1 else torch.cat([torch.zeros_like(logit), logit], dim=1)

    def __call__(  # type: ignore[override]
        self, inputs: torch.Tensor, network, prior: torch.Tensor | None = None, return_history: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[list[IterationRecord]]]:
        """Refine every sample until one of its stopping rules fires.

        Args:
            inputs: the image batch, ``(B, C, *spatial)``.
            network: called on ``cat(inputs, prior)`` of ``C + 1`` channels; returns logits ``(B, 1, *spatial)``
                (sigmoid) or ``(B, 2, *spatial)`` (softmax), or a dict of outputs.
            prior: optional first prior, ``(B, 1, *spatial)`` foreground probabilities in [0, 1]; default
                ``initial_prior`` everywhere.
            return_history: also return the per-sample step records.

        Returns:
            the accepted segmentation of every sample, logits ``(B, out_channels, *spatial)`` (probabilities with
            ``return_probability=True``) in the network's output dtype, a MetaTensor with the metadata of a MetaTensor
            ``inputs``; with ``return_history``, also ``history[b]``, the records of sample ``b``.

        Raises:
            ValueError: inputs not a batch or holding NaN/Inf, a prior of the wrong shape or outside [0, 1], network
                outputs with other than 1 or 2 channels, or a dict output without ``output_key``.
        """
        if not isinstance(inputs, torch.Tensor):
            raise ValueError(f"inputs must be a torch.Tensor batch, got {type(inputs).__name__}.")
        if inputs.ndim not in (4, 5):
            raise ValueError(f"inputs must be a batch (B, C, H, W) or (B, C, H, W, D), got {tuple(inputs.shape)}.")
        if inputs.is_floating_point() and not bool(torch.isfinite(inputs).all()):
            raise ValueError("inputs contains NaN or Inf values; clean the image before refining it.")
        expected = (inputs.shape[0], 1, *inputs.shape[2:])
        if prior is None:
            prior = torch.full(expected, self.initial_prior, device=inputs.device, dtype=inputs.dtype)
        elif tuple(prior.shape) != expected:
            raise ValueError(f"prior must have shape (B, 1, *spatial) = {expected}, got {tuple(prior.shape)}.")
        elif not torch.isfinite(prior).all() or prior.min() < 0 or prior.max() > 1:
            raise ValueError("prior must hold finite probabilities in [0, 1].")
        source = inputs
        if isinstance(inputs, MetaTensor):  # batch-indexing a MetaTensor also indexes its metadata: work on the data
            inputs = inputs.as_tensor()
        prior = torch.as_tensor(prior).to(inputs.dtype).clone()
        n = inputs.shape[0]
        history: list[list[IterationRecord]] = [[] for _ in range(n)]
        # per sample: logits of the current prior S_{t-1}, of the one before S_{t-2}, the latter's predicted quality
        prior_logits: torch.Tensor | None = None
        older_logits: torch.Tensor | None = None
        older_quality: list[float | None] = [None] * n
        result: list[torch.Tensor | None] = [None] * n
        active = list(range(n))
        for step in range(1, self.max_steps + 1):
            index = torch.as_tensor(active, device=inputs.device)
            logits, quality = self._step(torch.cat([inputs[index], prior[index]], dim=1), network)
            if prior_logits is None:  # the given prior, in the network's output space, for quality-drop returns
                prior_logits = self._as_logits(prior, logits.shape[1]).to(logits.dtype)
                older_logits = prior_logits.clone()
            current = self._foreground(logits).to(prior.dtype)
            deltas = (current - prior[index]).abs().flatten(1).mean(1).tolist()
            still_active = []
            for j, i in enumerate(active):
                q = None if quality is None else float(quality[j])
                record = IterationRecord(step, deltas[j], q)
                history[i].append(record)
                if q is not None and older_quality[i] is not None and q < older_quality[i] + self.min_quality_gain:
                    record.stop_reason = str(StopReason.QUALITY_DROP)
                    result[i] = older_logits[i]
                elif deltas[j] < self.tolerance:
                    record.stop_reason = str(StopReason.CONVERGED)
                    result[i] = logits[j]
                else:
                    older_logits[i], prior_logits[i] = prior_logits[i].clone(), logits[j]
                    older_quality[i] = q
                    prior[i] = current[j]
                    still_active.append(i)
            active = still_active
            if not active:
                break
        for i in active:
            history[i][-1].stop_reason = str(StopReason.MAX_STEPS)
            result[i] = prior_logits[i]
        out = torch.stack(result)  # type: ignore[arg-type]
        if self.return_probability:
            out = torch.sigmoid(out) if out.shape[1] == 1 else torch.softmax(out, dim=1)
        if isinstance(source, MetaTensor):
            out = convert_to_dst_type(out, source, dtype=out.dtype)[0]  # the metadata, not the input's dtype
        return (out, history) if return_history else out
