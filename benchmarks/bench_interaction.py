"""Cost of ``SeedInteraction`` on the training hot path, as a ratio to one forward+backward pass of its network.

``SeedInteraction`` runs before every training iteration: a prediction pass of the network (eval, no gradient),
then the simulated user's seeds on the errors (``DiscrepancySeeds``) and their Gaussian maps, per interaction
round. This prints, for a 2D batch of 8 at 256² (and with ``--with-3d`` a 3D batch of 2 at 96³):

- ``fwd+bwd``: one training forward + backward pass (BCE on the refined output) of ``RefineNet`` with features
  ``(16, 16, 32, 64, 128, 16)``, the network whose seed channels the interaction fills;
- ``predict``: the eval forward pass the interaction makes per round (inherent to the method);
- ``seeds``: the rest of one round (errors → seeds → seed maps), measured with a stand-in network that returns a
  fixed prediction, so the network's cost is not counted twice;
- the ratios ``seeds / fwd+bwd`` and ``(predict + seeds) / fwd+bwd``.

The labels are the shipped IRCAD slab's liver masks (2D, down-sampled to 256², 1.486 mm) and ellipsoids (3D,
1.5 mm); the predictions are the labels degraded by ``RandMaskPerturb(dice_range=(0.7, 0.9))``, errors of the size
a network makes mid-training. Times are medians of ``--repeats`` (seeding) and ``--network-repeats`` (network)
runs after one warm-up each.

Run: ``python benchmarks/bench_interaction.py`` (2D only: about a minute on 2 idle cores; ``--with-3d`` adds the
3D batch, whose CPU forward+backward takes tens of seconds per pass).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from monai.engines import SupervisedTrainer

from monai_refine.engines import SeedInteraction
from monai_refine.networks import RefineNet
from monai_refine.transforms import DiscrepancySeeds, RandMaskPerturb
from monai_refine.utils import RefineOutputs

SLAB_MASKS = Path(__file__).resolve().parents[1] / "tests" / "testing_data" / "ircad_patient17_slab" / "MASKS_DICOM"
FEATURES = (16, 16, 32, 64, 128, 16)


def median_ms(repeats: int, fn) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls after one warm-up call, in ms."""
    fn()
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tic)
    return float(np.median(times)) * 1e3


def labels_2d(count: int = 8) -> tuple[np.ndarray, float]:
    """``count`` liver masks of the slab at 256² (every other pixel), ``(count, 1, 256, 256)``, and their spacing."""
    import pydicom

    files = sorted((SLAB_MASKS / "liver").glob("image_*"))
    if not files:
        raise SystemExit(f"the slab masks are absent ({SLAB_MASKS})")
    step = max(len(files) // count, 1)
    masks = [pydicom.dcmread(f).pixel_array[::2, ::2] > 0 for f in files[::step][:count]]
    return np.stack(masks)[:, None], 0.743 * 2


def labels_3d(count: int = 2, size: int = 96) -> tuple[np.ndarray, float]:
    """``count`` ellipsoids of different sizes in ``size``³, ``(count, 1, size, size, size)``, 1.5 mm voxels."""
    grid = np.stack(np.mgrid[:size, :size, :size], -1) - size / 2
    masks = [((grid / np.array([30 + 5 * i, 24, 18 - 3 * i])) ** 2).sum(-1) <= 1 for i in range(count)]
    return np.stack(masks)[:, None], 1.5


def degraded(labels: np.ndarray, spacing: float) -> np.ndarray:
    """Each label degraded to a Dice in [0.7, 0.9]: the prediction the interaction finds errors in."""
    perturb = RandMaskPerturb(dice_range=(0.7, 0.9), spacing=spacing, flip_prob=0.0).set_random_state(0)
    return np.stack([perturb(label) for label in labels])


class FixedPrediction(torch.nn.Module):
    """Stand-in network returning the logits of a fixed prediction (costs nothing, so only the seeding is timed)."""

    def __init__(self, prediction: np.ndarray) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(torch.as_tensor(prediction, dtype=torch.float32) * 20 - 10)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {RefineOutputs.REFINED: self.logits + 0 * x[:, :1]}


def trainer_for(network: torch.nn.Module) -> SupervisedTrainer:
    """A trainer whose own iteration does nothing: only ``SeedInteraction`` is timed when called with it."""
    trainer = SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=[{}],
        network=network,
        optimizer=torch.optim.SGD(network.parameters(), lr=0.0),
        loss_function=torch.nn.BCEWithLogitsLoss(),
    )
    trainer._iteration = lambda engine, batchdata: None
    return trainer


def case(name: str, labels: np.ndarray, spacing: float, repeats: int, network_repeats: int) -> None:
    spatial_dims = labels.ndim - 2
    prediction = degraded(labels, spacing)
    image = torch.rand((labels.shape[0], 3, *labels.shape[2:]))
    label = torch.as_tensor(labels, dtype=torch.float32)
    network = RefineNet(spatial_dims, in_channels=3, out_channels=1, features=FEATURES)
    loss = torch.nn.BCEWithLogitsLoss()

    def forward_backward() -> None:
        network.train()
        network.zero_grad()
        loss(network(image)[RefineOutputs.REFINED], label).backward()

    def predict() -> None:
        network.eval()
        with torch.no_grad():
            network(image)

    interaction = SeedInteraction(
        probability=1.0,
        seeder=DiscrepancySeeds(max_seeds_per_component=5),
        output_key=RefineOutputs.REFINED,
        spacing=spacing,
    ).set_random_state(0)
    trainer = trainer_for(FixedPrediction(prediction))

    def seeds() -> None:
        interaction(trainer, {"image": image.clone(), "label": label})

    train_ms, predict_ms = (median_ms(network_repeats, f) for f in (forward_backward, predict))
    seeds_ms = median_ms(repeats, seeds)
    print(
        f"| {name} | {train_ms:.0f} | {predict_ms:.0f} | {seeds_ms:.1f} | {seeds_ms / train_ms:.3f} | "
        f"{(predict_ms + seeds_ms) / train_ms:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of the seeding")
    parser.add_argument("--network-repeats", type=int, default=2, help="timed runs of the network passes")
    parser.add_argument("--with-3d", action="store_true", help="also the 3D batch (minutes on 2 CPU cores)")
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}; RefineNet features {FEATURES}; ms per batch, one round")
    print("| batch | fwd+bwd ms | predict ms | seeds ms | seeds / fwd+bwd | (predict + seeds) / fwd+bwd |")
    print("|---|---|---|---|---|---|")
    case("2D 8 x 256²", *labels_2d(), args.repeats, args.network_repeats)
    if args.with_3d:
        case("3D 2 x 96³", *labels_3d(), args.repeats, args.network_repeats)


if __name__ == "__main__":
    main()
