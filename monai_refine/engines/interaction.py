"""Training-time seed simulation (paper 001): an ``iteration_update`` for MONAI trainers and evaluators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.data import MetaTensor
from monai.engines import SupervisedEvaluator, SupervisedTrainer
from monai.transforms import Randomizable
from monai.utils import convert_to_numpy

from monai_refine.transforms.seeds.array import DiscrepancySeeds, GaussianSeedMap
from monai_refine.utils import (
    RefineKeys,
    check_positive_int,
    check_probability,
    resolve_spacing,
    seed_from_numpy,
    split_network_output,
)

__all__ = ["SeedInteraction"]


class SeedInteraction(Randomizable):
    """Simulated user seeds from the network's own errors, so a refinement network learns to use seed maps.

    Paper 001 trains without a user: the seeds come from the disagreement between the current prediction and the
    label. Before each iteration, with probability ``probability``, this runs ``max_interactions`` rounds of: predict
    on the batch (network in eval mode, no gradient), place seeds on the skeletons of the errors with
    :class:`~monai_refine.transforms.DiscrepancySeeds` (under-segmentation → foreground, over-segmentation →
    background), accumulate them over the rounds, and write their
    :class:`~monai_refine.transforms.GaussianSeedMap` into the image's last two channels (foreground, background).
    Otherwise those channels are zeroed, so the network also learns to segment without seeds. Then the engine's own
    iteration runs on the updated batch; the accumulated seeds are left in ``batchdata[seeds_key]``. Modelled on
    ``monai.apps.deepedit.interaction.Interaction``. Its draws (whether to interact, and the seeder's) are seeded at
    construction from NumPy's global generator, as :class:`~monai_refine.engines.SelfRefinementIteration`'s are, so
    ``monai.utils.set_determinism`` makes a training run reproducible.

    Args:
        probability: chance of simulating seeds for an iteration, in [0, 1].
        max_interactions: prediction / seeding rounds per iteration, >= 1.
        seeder: the seed simulation; default ``DiscrepancySeeds(max_seeds_per_component=5)`` (a few clicks per error).
        sigma: width of the Gaussian seed maps (:class:`~monai_refine.transforms.GaussianSeedMap`) in mm, the same
            maps :class:`~monai_refine.inferers.NetworkSegmenter` builds at inference.
        spacing: voxel spacing in mm of the batch's images (one value per spatial dim, or a scalar). Default: each
            sample's own spacing from the batch image's MetaTensor affine (``pixdim``); for a plain tensor without
            ``spacing``, voxel units (σ = ``sigma`` voxels).
        output_key: the segmentation's key for networks returning a dict (e.g. ``RefineOutputs.REFINED``).
        image_key: the batch key of the network input ``(B, C, *spatial)``, its last two channels the seed maps.
        label_key: the batch key of the binary label ``(B, 1, *spatial)``.
        seeds_key: where the accumulated seeds ``(B, 2, *spatial)`` are stored in the batch.

    Example:
        >>> import torch
        >>> from monai.engines import SupervisedTrainer
        >>> class Background(torch.nn.Module):  # predicts background everywhere: every object is missed
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.bias = torch.nn.Parameter(torch.tensor(-10.0))
        ...     def forward(self, x):
        ...         return x[:, :1] * 0 + self.bias
        >>> label = torch.zeros(1, 1, 16, 16); label[0, 0, 8, 5] = 1  # a missed one-pixel object
        >>> batch = {"image": torch.cat([label, torch.zeros(1, 2, 16, 16)], 1), "label": label}
        >>> net = Background()
        >>> trainer = SupervisedTrainer(
        ...     torch.device("cpu"), 1, [batch], net, torch.optim.SGD(net.parameters(), lr=0.0),
        ...     torch.nn.BCEWithLogitsLoss(), iteration_update=SeedInteraction(probability=1.0, spacing=0.74))
        >>> trainer.run()
        >>> maps = batch["image"][0, 1:]  # filled in place: a foreground seed on the object, no background seed
        >>> float(maps[0, 8, 5]), round(float(maps[0, 8, 10]), 3), float(maps[1].max())  # exp(-3.7² / 50) 3.7 mm away
        (1.0, 0.76, 0.0)
    """

    def __init__(
        self,
        probability: float = 0.5,
        max_interactions: int = 1,
        seeder: DiscrepancySeeds | None = None,
        sigma: float = 5.0,
        spacing: Sequence[float] | float | None = None,
        output_key: str | None = None,
        image_key: str = RefineKeys.IMAGE,
        label_key: str = RefineKeys.LABEL,
        seeds_key: str = RefineKeys.SEEDS,
    ) -> None:
        self.max_interactions = check_positive_int("max_interactions", max_interactions)
        self.probability = check_probability("probability", probability)
        self.seeder = DiscrepancySeeds(max_seeds_per_component=5) if seeder is None else seeder
        GaussianSeedMap(sigma=sigma)  # validates sigma
        self.sigma = float(sigma)
        self.spacing = spacing
        self.output_key = output_key
        self.image_key, self.label_key, self.seeds_key = image_key, label_key, seeds_key
        self._interact = False
        self.set_random_state(seed=seed_from_numpy())

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> SeedInteraction:
        super().set_random_state(seed, state)
        self.seeder.set_random_state(state=self.R)
        return self

    def randomize(self, data: None = None) -> None:
        self._interact = self.R.rand() < self.probability

    def _predict(self, engine: SupervisedTrainer | SupervisedEvaluator, batchdata: dict) -> torch.Tensor:
        """The network's binary prediction ``(B, 1, *spatial)`` (bool) on the current batch, on the engine's device."""
        batch = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        engine.network.eval()
        with torch.no_grad():
            logits, _ = split_network_output(engine.inferer(batch[0], engine.network), self.output_key)
        return logits.detach() > 0

    def _spacings(self, image: torch.Tensor) -> list[tuple[float, ...]]:
        """The spacing (mm) of each sample of the batch image ``(B, C, *spatial)``: given, from its affine, or 1."""
        dims = image.ndim - 2
        if self.spacing is not None or not isinstance(image, MetaTensor):
            spacing = resolve_spacing(image, self.spacing if self.spacing is not None else 1.0, dims)
            return [tuple(spacing)] * len(image)
        pixdim = image.pixdim  # one spacing per sample for a collated batch, one for all otherwise
        per_sample = pixdim if image.is_batch else [pixdim] * len(image)
        return [tuple(resolve_spacing(image, np.asarray(p, dtype=np.float64)[:dims], dims)) for p in per_sample]

    def __call__(self, engine: SupervisedTrainer | SupervisedEvaluator, batchdata: dict) -> dict:
        if batchdata is None:
            raise ValueError("SeedInteraction needs the batch data of the current iteration.")
        image, label = batchdata[self.image_key], batchdata[self.label_key]
        if image.ndim not in (4, 5) or image.shape[1] < 3:
            raise ValueError(
                f"{self.image_key} must be (B, C >= 3, *spatial) with the two seed-map channels last, got "
                f"{tuple(image.shape)}."
            )
        seeds = np.zeros((image.shape[0], 2, *image.shape[2:]), dtype=bool)
        image[:, -2:] = 0
        self.randomize()
        if self._interact:
            self._interact_rounds(engine, batchdata, image, label, seeds)
        batchdata[self.seeds_key] = torch.as_tensor(seeds, dtype=torch.float32, device=image.device)
        engine.state.batch = batchdata
        return engine._iteration(engine, batchdata)

    def _interact_rounds(self, engine, batchdata: dict, image: torch.Tensor, label: torch.Tensor, seeds: np.ndarray):
        """Run the prediction / seeding rounds, accumulating into ``seeds`` and writing the maps into ``image``.

        The prediction stays on the engine's device; only the samples with errors are copied to the host (as
        bool) for the skeletons, each error handled in its bounding box, and the maps of all samples go back to the
        image's device in one copy per round. A sample whose seeds did not change keeps its maps.
        """
        spacings = self._spacings(image)
        seed_maps = {spacing: GaussianSeedMap(self.sigma, spacing) for spacing in set(spacings)}
        maps = np.zeros(seeds.shape, dtype=np.float32)
        target = None
        for _ in range(self.max_interactions):
            prediction = self._predict(engine, batchdata)
            if target is None:
                target = label.detach().to(prediction.device) > 0
            wrong = torch.nonzero((prediction != target).flatten(1).any(1)).flatten().cpu().tolist()
            if not wrong:
                break
            host_prediction = prediction[wrong].cpu().numpy()
            host_target = target[wrong].cpu().numpy()
            changed = False
            for b, pred_b, target_b in zip(wrong, host_prediction, host_target):  # samples with errors only
                new = convert_to_numpy(self.seeder(pred_b, target_b)) > 0
                if (new & ~seeds[b]).any():
                    seeds[b] |= new
                    maps[b] = seed_maps[spacings[b]](seeds[b])
                    changed = True
            if changed:
                image[:, -2:] = torch.as_tensor(maps, device=image.device, dtype=image.dtype)
