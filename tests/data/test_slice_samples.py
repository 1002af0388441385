from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_refine.data import PropagationSliceDataset, load_ircad_volumes
from monai_refine.inferers import SliceGrid, window_intensity
from tests.utils import SLAB_DIR


def _volume(spacing=1.0):
    """A 40 mm square organ on slices 2..7 of a (1, 64, 64, 10) volume, 100 HU in 0 HU."""
    image = np.zeros((1, 64, 64, 10), np.float32)
    label = np.zeros_like(image)
    image[0, 12:52, 12:52, 2:8] = 100.0
    label[0, 12:52, 12:52, 2:8] = 1
    affine = torch.diag(torch.tensor([spacing, spacing, 2.0, 1.0], dtype=torch.float64))
    return MetaTensor(torch.as_tensor(image), affine=affine), MetaTensor(torch.as_tensor(label), affine=affine)


def test_samples_are_reproducible_and_shaped():
    data = PropagationSliceDataset([_volume()], num_samples=5, grid=SliceGrid(32, 2.0), perturb_prob=0.0)
    first = [data.set_random_state(3)[i] for i in range(1)] + [data[i] for i in range(4)]
    again = [data.set_random_state(3)[i] for i in range(1)] + [data[i] for i in range(4)]
    assert len(data) == 5
    for a, b in zip(first, again):
        torch.testing.assert_close(a["image"], b["image"])
        assert a["image"].shape == (4, 32, 32) and a["label"].shape == (1, 32, 32)


def test_unperturbed_prior_is_the_neighbours_label_and_ends_are_sampled():
    data = PropagationSliceDataset(
        [_volume()], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=0.0, skip_prob=0.0, end_prob=0.5
    ).set_random_state(0)
    empty_labels = 0
    for _ in range(40):
        item = data[0]
        prior, label = item["image"][1], item["label"][0]
        assert int(prior.sum()) == 400  # the 40 mm square on 2 mm pixels: every prior is a full organ slice
        empty = int(label.sum()) == 0
        # 100 HU (organ) or 0 HU (past its ends) in the (-100, 200) window
        assert float(item["image"][0].max()) == pytest.approx(1 / 3 if empty else 2 / 3)
        empty_labels += empty
    assert 5 < empty_labels < 35  # slices past the organ's ends (label empty, prior not) are drawn


def test_perturbed_prior_differs_and_spacing_is_honoured():
    fine = PropagationSliceDataset([_volume(spacing=0.5)], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=0.0)
    item = fine.set_random_state(0)[0]
    assert int(item["image"][1].sum()) == 100  # 20 mm square at 0.5 mm pixels -> 10 × 10 grid pixels of 2 mm
    perturbed = PropagationSliceDataset([_volume()], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=1.0)
    perturbed.set_random_state(1)
    assert any(int(perturbed[0]["image"][1].sum()) != 400 for _ in range(5))


def test_control_channels_and_bad_input():
    data = PropagationSliceDataset([_volume()], num_samples=1, grid=SliceGrid(32, 2.0), channels=("image", "prior"))
    assert data.set_random_state(0)[0]["image"].shape == (2, 32, 32)
    with pytest.raises(ValueError, match="num_samples"):
        PropagationSliceDataset([_volume()], num_samples=0)
    with pytest.raises(ValueError, match="volumes must hold"):
        PropagationSliceDataset([])
    image, label = _volume()
    with pytest.raises(ValueError, match="at least two slices"):
        PropagationSliceDataset([(image, label * 0)])
    with pytest.raises(ValueError, match="window"):
        window_intensity(np.zeros(2), (1, 1))


def test_window_intensity_in_place_matches_a_copy():
    volume = np.array([-200.0, -100.0, 50.0, 500.0], np.float32)
    copy = window_intensity(volume, (-100, 200))
    assert copy is not volume and volume.tolist() == [-200.0, -100.0, 50.0, 500.0]
    assert window_intensity(volume, (-100, 200), out=volume) is volume
    assert volume.tolist() == copy.tolist() == [0.0, 0.0, 0.5, 1.0]


def test_slab_volumes_load():
    ((image, label),) = load_ircad_volumes(SLAB_DIR.parent, [SLAB_DIR.name])
    assert image.shape == label.shape == (1, 512, 512, 24)
