from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import DataLoader, Dataset, MetaTensor
from monai.engines import SupervisedTrainer
from monai.utils import set_determinism

from monai_refine.engines import SeedInteraction
from monai_refine.inferers import NetworkSegmenter
from monai_refine.transforms import DiscrepancySeeds, GaussianSeedMap


class _Background(torch.nn.Module):
    """Predicts background everywhere (a trainable bias of -10) and records every input it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor(-10.0))
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return x[:, :1] * 0 + self.bias


def _data(n: int = 2) -> list[dict]:
    items = []
    for i in range(n):
        label = np.zeros((1, 16, 16), dtype=np.float32)
        label[0, 3 + i : 12, 4:13] = 1
        image = np.concatenate([label, np.full((2, 16, 16), 7.0, dtype=np.float32)])  # stale seed maps
        items.append({"image": image, "label": label})
    return items


def _trainer(network, interaction, data: list[dict] | None = None) -> SupervisedTrainer:
    return SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=1,
        train_data_loader=DataLoader(Dataset(_data() if data is None else data), batch_size=2),
        network=network,
        optimizer=torch.optim.SGD(network.parameters(), lr=0.0),
        loss_function=torch.nn.BCEWithLogitsLoss(),
        iteration_update=interaction,
    )


def test_seed_maps_come_from_the_errors_of_the_prediction():
    network = _Background()
    interaction = SeedInteraction(probability=1.0, max_interactions=2, seeder=DiscrepancySeeds())
    trainer = _trainer(network, interaction)
    trainer.run()
    # 2 rounds of prediction (eval, no grad), then the training forward: 3 calls
    assert len(network.inputs) == 3
    trained_on = network.inputs[-1]
    for b, item in enumerate(_data()):
        # everything is missed: the foreground seeds are the label's skeleton, no background seed
        expected = GaussianSeedMap(sigma=5.0)(DiscrepancySeeds()(np.zeros_like(item["label"]), item["label"]))
        np.testing.assert_allclose(trained_on[b, 1:].numpy(), expected, rtol=1e-6)
        assert trained_on[b, 2].abs().max() == 0 and trained_on[b, 1].max() == 1.0
    seeds = torch.stack([item["seeds"] for item in trainer.state.batch])  # the engine decollates the batch
    assert seeds.shape == (2, 2, 16, 16) and seeds[:, 0].sum() > 0 and seeds[:, 1].sum() == 0


class _ModeDependent(torch.nn.Module):
    """Foreground everywhere in training mode, background in eval mode (as dropout or batch norm can make a network
    differ between the two); records the mode of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor(10.0))
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return x[:, :1] * 0 + (self.bias if self.training else -self.bias)


def test_seeding_prediction_runs_in_eval_mode():
    network = _ModeDependent()
    trainer = _trainer(network, SeedInteraction(probability=1.0, seeder=DiscrepancySeeds()))
    trainer.run()
    assert network.modes == [False, True]  # the seeding prediction in eval mode, then the training step
    seeds = torch.stack([item["seeds"] for item in trainer.state.batch])
    # in eval mode every object is missed: foreground seeds on each sample, no background seed
    assert seeds[:, 0].flatten(1).sum(1).min() > 0 and seeds[:, 1].sum() == 0


def test_without_interaction_the_seed_channels_are_zeroed():
    network = _Background()
    trainer = _trainer(network, SeedInteraction(probability=0.0))
    trainer.run()
    assert len(network.inputs) == 1 and network.inputs[0][:, 1:].abs().max() == 0


def test_reproducible_with_a_seed():
    def run(seed: int) -> torch.Tensor:
        network = _Background()
        interaction = SeedInteraction(probability=1.0, seeder=DiscrepancySeeds(max_seeds_per_component=3))
        interaction.set_random_state(seed)
        trainer = _trainer(network, interaction)
        trainer.run()
        return network.inputs[-1]

    first = run(3)
    torch.testing.assert_close(run(3), first, rtol=0, atol=0)
    assert not torch.equal(run(4), first)  # another seed picks other seeds on the missed objects
    # 3 seeds of the missed object's skeleton per sample: three maxima of 1 in the foreground map
    assert [int((first[b, 1] == 1).sum()) for b in range(2)] == [3, 3]


def test_reproducible_after_set_determinism_without_a_seed():
    """Seeded at construction from NumPy's global generator, so set_determinism alone reproduces a run."""

    def run(seed: int) -> torch.Tensor:
        set_determinism(seed=seed)
        network = _Background()
        interaction = SeedInteraction(probability=1.0, seeder=DiscrepancySeeds(max_seeds_per_component=3))
        trainer = _trainer(network, interaction)
        trainer.run()
        return network.inputs[-1]

    first = run(3)
    torch.testing.assert_close(run(3), first, rtol=0, atol=0)
    assert not torch.equal(run(4), first)
    set_determinism(None)


def test_set_determinism_reproduces_the_seeders_own_draws():
    """The seeder shares the interaction's state seeded at construction, not its own OS-seeded one."""
    draws = []
    for _ in range(2):
        set_determinism(seed=5)
        interaction = SeedInteraction(seeder=DiscrepancySeeds(max_seeds_per_component=3))
        draws.append([int(interaction.seeder.R.randint(2**31)) for _ in range(3)])
    set_determinism(None)
    assert draws[0] == draws[1]


def _dot_data(spacings) -> list[dict]:
    """One missed 1-pixel object at (8, 5) per sample, as MetaTensors with the given in-plane spacing (or arrays)."""
    items = []
    for spacing in spacings:
        label = np.zeros((1, 16, 16), dtype=np.float32)
        label[0, 8, 5] = 1
        image = np.concatenate([label, np.zeros((2, 16, 16), dtype=np.float32)])
        if spacing is not None:
            affine = torch.diag(torch.tensor([spacing, spacing, 1.0, 1.0], dtype=torch.float64))
            image, label = MetaTensor(image, affine=affine), MetaTensor(label, affine=affine)
        items.append({"image": image, "label": label})
    return items


# sigma = 5: 5 voxels (3.7 mm at 0.74 mm) from the seed, exp(-3.7² / 50) = 0.7605 in mm, exp(-0.5) = 0.6065 in voxels
@pytest.mark.parametrize(
    "spacings, kwargs, expected",
    [
        ((0.74, 1.0), {}, (0.7605, 0.6065)),  # each sample's own spacing from the collated MetaTensor
        ((None, None), {"spacing": 0.74}, (0.7605, 0.7605)),  # the spacing argument
        ((0.5, 0.5), {"spacing": (0.74, 0.74)}, (0.7605, 0.7605)),  # the argument wins over the affine
        ((None, None), {}, (0.6065, 0.6065)),  # plain tensors, no spacing: voxel units
    ],
)
def test_seed_maps_are_in_mm(spacings, kwargs, expected):
    """Issue 8.2: training seed maps use the image spacing, so they equal the maps built at inference."""
    network = _Background()
    data = _dot_data(spacings)
    _trainer(network, SeedInteraction(probability=1.0, seeder=DiscrepancySeeds(), **kwargs), data).run()
    trained_on = network.inputs[-1]
    for b, value in enumerate(expected):
        assert float(trained_on[b, 1, 8, 5]) == 1.0
        assert float(trained_on[b, 1, 8, 10]) == pytest.approx(value, abs=1e-4)
        assert float(trained_on[b, 1, 3, 5]) == pytest.approx(value, abs=1e-4)
        # the inference path: NetworkSegmenter given the same seeds and the same in-plane spacing
        seeds = np.zeros((2, 16, 16), dtype=bool)
        seeds[0, 8, 5] = True
        spacing = np.broadcast_to(kwargs.get("spacing", spacings[b] if spacings[b] is not None else 1.0), 2)
        recorder = _Background()
        segmenter = NetworkSegmenter(recorder, channels=("image", "seed_map"), sigma=5.0)
        segmenter(np.zeros((1, 16, 16), np.float32), np.zeros((1, 16, 16), bool), seeds, tuple(spacing))
        np.testing.assert_allclose(trained_on[b, 1:].numpy(), recorder.inputs[0][0, 1:].numpy(), rtol=1e-6)


def test_sigma_is_checked():
    with pytest.raises(ValueError, match="sigma"):
        SeedInteraction(sigma=0.0)


@pytest.mark.parametrize(
    "kwargs, match", [({"probability": 1.5}, "probability"), ({"max_interactions": 0}, "max_interactions")]
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeedInteraction(**kwargs)


def test_numpy_integer_rounds_are_accepted():
    """A count read from a NumPy array or a config computed with NumPy is an integer too; a float is not."""
    assert SeedInteraction(max_interactions=np.int64(3)).max_interactions == 3
    with pytest.raises(ValueError, match="max_interactions must be an integer >= 1, got 2.0"):
        SeedInteraction(max_interactions=2.0)


@pytest.mark.parametrize("channels", [1, 2])  # 2: room for the seed maps only, none for the image
def test_image_without_seed_channels_is_refused(channels):
    network = _Background()
    trainer = _trainer(network, SeedInteraction(probability=1.0))
    with pytest.raises(ValueError, match="two seed-map channels"):
        SeedInteraction()(trainer, {"image": torch.zeros(2, channels, 16, 16), "label": torch.zeros(2, 1, 16, 16)})


class _Perfect(_Background):
    """Predicts the label exactly (the image's first channel is the label in ``_data``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return 20 * (x[:, :1] - 0.5) + 0 * self.bias


def test_no_error_no_more_rounds():
    """Issue 16.6: a batch without errors needs no seeds; further rounds (network passes) are skipped."""
    network = _Perfect()
    trainer = _trainer(network, SeedInteraction(probability=1.0, max_interactions=3))
    trainer.run()
    assert len(network.inputs) == 2  # one prediction round, then the training forward
    assert network.inputs[-1][:, 1:].abs().max() == 0
    assert all(item["seeds"].sum() == 0 for item in trainer.state.batch)


def test_a_positive_logit_below_one_half_is_foreground():
    """Predictions threshold logits at 0: a logit of 0.3 everywhere is foreground, so the only errors are
    over-segmentation and every seed is a background seed."""
    network = _Background()
    network.bias.data.fill_(0.3)
    _trainer(network, SeedInteraction(probability=1.0, max_interactions=1).set_random_state(0)).run()
    trained_on = network.inputs[-1]
    assert trained_on[:, 1].abs().max() == 0 and trained_on[:, 2].max() == 1.0


def test_seeds_of_earlier_rounds_are_kept():
    """Each round adds up to 5 random seeds per error component; the maps of the last round still hold the first's."""
    label = np.zeros((1, 16, 16), dtype=np.float32)
    label[0, 6:9, 1:15] = 1  # a bar: its skeleton is a line of about a dozen voxels, more than 5
    data = [{"image": np.concatenate([label, np.zeros((2, 16, 16), dtype=np.float32)]), "label": label}] * 2
    network = _Background()
    _trainer(network, SeedInteraction(probability=1.0, max_interactions=2).set_random_state(0), data).run()
    first, last = network.inputs[1][:, 1], network.inputs[2][:, 1]  # maps after round 1, maps trained on
    seeded = first == 1.0
    assert seeded.sum() > 0
    assert (last[seeded] == 1.0).all()
    assert (last == 1.0).sum() > seeded.sum()  # the second round added seeds
