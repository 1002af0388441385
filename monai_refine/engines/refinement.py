"""Training glue for the refinement networks of papers 000 and 002 inside MONAI's ``SupervisedTrainer``.

Three pieces, each nameable in a bundle config:

- :class:`PriorPrepareBatch` (``prepare_batch``): the network input is ``cat(image, prior)``; the targets are a
  dict holding the label and the prior, so that the loss can see the prior the network was given;
- :class:`BatchInputsLoss` (``loss_function``): calls a loss with the label and extra arguments read from those
  targets, e.g. ``DiceImprovementLoss(pred, label, previous=prior)`` or
  ``QualityRegularizedLoss(pred, label, prior=prior)``;
- :class:`SelfRefinementIteration` (``iteration_update``): paper 000's self-fed prior: before each iteration the
  network's own detached output is fed back a random number of times, starting from the 0.5 map (or from the
  batch's prior, e.g. a perturbed label in paper 002), and the engine's own iteration then trains on the last
  prior.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from monai.engines import SupervisedTrainer
from monai.engines.utils import PrepareBatch
from monai.transforms import Randomizable
from torch.nn.modules.loss import _Loss

from monai_refine.utils import (
    RefineKeys,
    check_positive_int,
    check_probability,
    seed_from_numpy,
    split_network_output,
)

__all__ = ["BatchInputsLoss", "PriorPrepareBatch", "SelectOutput", "SelfRefinementIteration"]


class PriorPrepareBatch(PrepareBatch):
    """``prepare_batch`` for refinement networks: input ``cat(image, prior)``, targets ``{label, prior}``.

    Args:
        image_key: the batch's image ``(B, C, *spatial)``.
        prior_key: the batch's prior ``(B, 1, *spatial)`` in [0, 1]; when the batch has none, ``initial_prior``
            everywhere (paper 000's first iteration).
        label_key: the batch's label ``(B, 1, *spatial)``; optional (inference batches have none).
        initial_prior: the constant prior used when the batch has none, in [0, 1].
        as_input: ``True`` (training): return ``(cat(image, prior), {label_key: label, prior_key: prior})``;
            ``False`` (inference with :class:`~monai_refine.inferers.IterativeRefinementInferer`): return
            ``(image, label, (), {"prior": prior})`` so the inferer starts from the batch's prior.

    Example:
        >>> batch = {"image": torch.zeros(2, 3, 4, 4), "label": torch.ones(2, 1, 4, 4)}
        >>> inputs, targets = PriorPrepareBatch()(batch)
        >>> inputs.shape, float(inputs[:, 3].mean()), sorted(targets)
        (torch.Size([2, 4, 4, 4]), 0.5, ['label', 'prior'])
    """

    def __init__(
        self,
        image_key: str = RefineKeys.IMAGE,
        prior_key: str = RefineKeys.PRIOR,
        label_key: str = RefineKeys.LABEL,
        initial_prior: float = 0.5,
        as_input: bool = True,
    ) -> None:
        self.image_key, self.prior_key, self.label_key = str(image_key), str(prior_key), str(label_key)
        self.initial_prior = check_probability("initial_prior", initial_prior)
        self.as_input = as_input

    def prior(self, batchdata: Mapping, device: str | torch.device | None = None, non_blocking: bool = False):
        """The batch's prior ``(B, 1, *spatial)`` as float on ``device``, or ``initial_prior`` everywhere."""
        image = batchdata[self.image_key]
        prior = batchdata.get(self.prior_key)
        if prior is None:
            return torch.full((image.shape[0], 1, *image.shape[2:]), self.initial_prior, device=device)
        prior = torch.as_tensor(prior)
        if prior.shape != (image.shape[0], 1, *image.shape[2:]):
            raise ValueError(
                f"{self.prior_key} must have shape (B, 1, *spatial) = {(image.shape[0], 1, *image.shape[2:])}, "
                f"got {tuple(prior.shape)}."
            )
        return prior.to(device=device, dtype=torch.float32, non_blocking=non_blocking)

    def __call__(
        self,
        batchdata: Mapping[str, torch.Tensor],
        device: str | torch.device | None = None,
        non_blocking: bool = False,
        **kwargs,
    ):
        image = torch.as_tensor(batchdata[self.image_key]).to(device=device, non_blocking=non_blocking, **kwargs)
        prior = self.prior(batchdata, device, non_blocking).to(image.dtype)
        label = batchdata.get(self.label_key)
        if label is not None:
            label = torch.as_tensor(label).to(device=device, non_blocking=non_blocking, **kwargs)
        if not self.as_input:
            return image, label, (), {"prior": prior}
        return torch.cat([image, prior], dim=1), {self.label_key: label, self.prior_key: prior}


class BatchInputsLoss(_Loss):
    """Call ``loss(input, targets[target_key], **{arg: targets[key] for arg, key in input_keys.items()})``.

    The adapter between ``SupervisedTrainer``'s ``loss_function(pred, targets)`` and the refinement losses that
    need more than the label: with :class:`PriorPrepareBatch` the targets are a dict holding the label and the
    prior the network was given. A plain tensor ``targets`` is passed on as the label (no extra arguments).

    Args:
        loss: the wrapped loss, e.g. ``DiceImprovementLoss(sigmoid=True)``.
        target_key: the label's key in ``targets``.
        input_keys: the loss's extra keyword arguments and the ``targets`` keys they come from, e.g.
            ``{"previous": "prior"}`` for ``DiceImprovementLoss`` or ``{"prior": "prior"}`` for
            ``QualityRegularizedLoss``.

    Example:
        >>> from monai_refine.losses import DiceImprovementLoss
        >>> loss = BatchInputsLoss(DiceImprovementLoss(sigmoid=True), input_keys={"previous": "prior"})
        >>> label = torch.ones(1, 1, 4, 4)
        >>> round(float(loss(torch.full_like(label, 20.0), {"label": label, "prior": label})), 4)
        0.0
    """

    def __init__(
        self, loss: torch.nn.Module, target_key: str = RefineKeys.LABEL, input_keys: Mapping[str, str] | None = None
    ) -> None:
        super().__init__()
        self.loss = loss
        self.target_key = str(target_key)
        self.input_keys = {str(k): str(v) for k, v in (input_keys or {}).items()}

    def forward(self, input, target) -> torch.Tensor:  # noqa: A002 (MONAI's loss signature)
        if not isinstance(target, Mapping):
            if self.input_keys:
                raise ValueError(
                    f"targets must be a dict with {sorted(self.input_keys.values())} (use PriorPrepareBatch), got a "
                    f"{type(target).__name__}."
                )
            return self.loss(input, target)
        missing = [k for k in (self.target_key, *self.input_keys.values()) if target.get(k) is None]
        if missing:
            raise ValueError(f"targets lack {missing}; they have {sorted(target)}.")
        extra = {arg: target[key] for arg, key in self.input_keys.items()}
        return self.loss(input, target[self.target_key], **extra)


class SelfRefinementIteration(Randomizable):
    """Paper 000's self-fed training prior, as an ``iteration_update`` for ``SupervisedTrainer``.

    Before each iteration a number of steps ``n`` is drawn uniformly from ``[min_steps, max_steps]``; starting from
    the batch's prior (``prior_key``; when absent the ``initial_prior`` map, 0.5 in paper 000), the network's own
    detached output ``sigmoid(network(cat(image, prior)))`` becomes the prior ``n - 1`` times (no gradient, the
    network in its current mode), the last prior is written to ``batchdata[prior_key]`` and the engine's own
    iteration runs on it. With :class:`PriorPrepareBatch` and ``BatchInputsLoss(DiceImprovementLoss(...),
    input_keys={"previous": "prior"})`` the loss of step ``t`` is weighted by the Dice of step ``t - 1``, and every
    step of the refinement loop is trained, one step per iteration.

    **Reproducible draws.** MONAI seeds a dataset's random transforms from its ``DataLoader``, but nothing seeds an
    ``iteration_update``, and a ``Randomizable``'s default state is seeded by the operating system: without a seed
    here, ``train.json`` run twice trained different weights. The draws are seeded at construction from NumPy's
    global generator, so ``monai.utils.set_determinism(seed)`` before building the trainer (a bundle's
    ``initialize``) makes a run reproducible; ``set_random_state`` overrides it.

    For paper 002 the batch's prior is a perturbed label (:class:`~monai_refine.transforms.RandMaskPerturbd`) and
    ``min_steps=1``: some iterations train on the perturbed mask, others on the network's own refinement of it.

    Args:
        max_steps: the largest number of steps per iteration, >= 1.
        min_steps: the smallest, in ``[1, max_steps]``.
        output_key: the segmentation's key for networks returning a dict (e.g. ``RefineOutputs.MASK``).
        prepare_batch: the :class:`PriorPrepareBatch` the trainer uses (for its keys and initial prior).

    Example (wiring only; the tests in ``tests/engines`` run it)::

        from monai.engines import SupervisedTrainer

        trainer = SupervisedTrainer(
            device, max_epochs, loader, network, optimizer,
            BatchInputsLoss(DiceImprovementLoss(sigmoid=True), input_keys={"previous": "prior"}),
            prepare_batch=PriorPrepareBatch(), iteration_update=SelfRefinementIteration(max_steps=3))
    """

    def __init__(
        self,
        max_steps: int = 3,
        min_steps: int = 1,
        output_key: str | None = None,
        prepare_batch: PriorPrepareBatch | None = None,
    ) -> None:
        max_steps, min_steps = check_positive_int("max_steps", max_steps), check_positive_int("min_steps", min_steps)
        if min_steps > max_steps:
            raise ValueError(f"min_steps must be <= max_steps={max_steps}, got {min_steps}.")
        self.max_steps, self.min_steps = int(max_steps), int(min_steps)
        self.output_key = output_key
        self.prepare_batch = PriorPrepareBatch() if prepare_batch is None else prepare_batch
        self.steps = 1
        self.set_random_state(seed=seed_from_numpy())

    def randomize(self, data: None = None) -> None:
        self.steps = int(self.R.randint(self.min_steps, self.max_steps + 1))

    def feed_back(self, network: torch.nn.Module, batchdata: dict, device: str | torch.device | None = None) -> None:
        """Replace ``batchdata[prior_key]`` by the network's output ``steps - 1`` times (no gradient)."""
        keys = self.prepare_batch
        if self.steps < 2:
            return
        with torch.no_grad():
            image = torch.as_tensor(batchdata[keys.image_key]).to(device)
            prior = keys.prior(batchdata, device).to(image.dtype)
            for _ in range(self.steps - 1):
                logits, _ = split_network_output(network(torch.cat([image, prior], dim=1)), self.output_key)
                prior = torch.sigmoid(logits.float()).to(image.dtype)
        batchdata[keys.prior_key] = prior.detach()

    def __call__(self, engine: SupervisedTrainer, batchdata: dict) -> dict:
        if batchdata is None:
            raise ValueError("SelfRefinementIteration needs the batch data of the current iteration.")
        self.randomize()
        self.feed_back(engine.network, batchdata, engine.state.device)
        engine.state.batch = batchdata
        return engine._iteration(engine, batchdata)


class SelectOutput(torch.nn.Module):
    """One output of a network that returns a dict, for tools that expect a tensor (``verify_net_in_out``, export).

    Args:
        network: a network returning a dict of outputs, e.g. ``QualityUNet``.
        key: the output to return, e.g. ``RefineOutputs.MASK``.

    Example:
        >>> from monai_refine.networks.nets import QualityUNet
        >>> net = SelectOutput(QualityUNet(2, 4, 1, features=(4, 4, 8, 4)), "mask")
        >>> net(torch.rand(1, 4, 16, 16)).shape
        torch.Size([1, 1, 16, 16])
    """

    def __init__(self, network: torch.nn.Module, key: str) -> None:
        super().__init__()
        self.network = network
        self.key = str(key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = split_network_output(self.network(x), self.key)
        return logits
