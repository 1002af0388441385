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


def test_samples_past_the_end_lie_past_the_end():
    """The organ covers slices 2..7: with end_prob=1 every sample is 1..3 slices beyond one end (clipped to the
    volume), its prior the organ's last slice on that side (or the one before)."""
    data = PropagationSliceDataset([_volume()], num_samples=1, end_prob=1.0, skip_prob=0.5).set_random_state(0)
    draws = [data.randomize() for _ in range(40)]
    assert {z for _, z, _ in draws} <= {0, 1, 8, 9} and {n for _, _, n in draws} <= {2, 3, 6, 7}


def test_skip_prob_takes_the_prior_two_slices_away():
    """With skip_prob=1 the prior of slices 4 and 5 (both ±2 labelled) is always two slices away."""
    data = PropagationSliceDataset([_volume()], num_samples=1, skip_prob=1.0, end_prob=0.0).set_random_state(0)
    draws = [data.randomize() for _ in range(60)]
    middle = [abs(z - n) for _, z, n in draws if z in (4, 5)]
    assert middle and set(middle) == {2} and {abs(z - n) for _, z, n in draws} <= {1, 2}


def test_volumes_are_drawn_by_their_labelled_slices():
    image, label = _volume()
    short = label.clone()
    short[..., [2, 3, 6, 7]] = 0  # 2 labelled slices against the first volume's 6
    data = PropagationSliceDataset([(image, label), (image, short)], num_samples=1)
    np.testing.assert_allclose(data.volume_weights, [0.75, 0.25])


def test_prior_seeds_on_the_crop_equal_the_whole_slice():
    """At 0.5 × 2 mm pixels the 5 mm ring lies 10 rows out: the crop around the prior holds all of it, so the seeds
    equal MaskSeeds on the whole slice."""
    from monai_refine.transforms import MaskSeeds

    data = PropagationSliceDataset([_volume()], num_samples=1, perturb_prob=0.0, margin_mm=5.0).set_random_state(0)
    label = np.zeros((80, 40), bool)
    label[30:50, 15:25] = True
    prior = data._prior(label, (0.5, 2.0))
    seeds = data._seeds(prior, (0.5, 2.0))
    np.testing.assert_array_equal(prior[0], label)
    expected = np.asarray(MaskSeeds(margin_mm=5.0, spacing=(0.5, 2.0))(label[None])) > 0
    assert expected[1, 20].any()  # ring pixels 10 rows above the prior
    np.testing.assert_array_equal(seeds, expected)


def test_prior_degraded_on_a_crop_that_holds_the_perturbation():
    """At 0.5 × 2 mm pixels a 5 mm dilation grows the prior 10 rows and 2 columns: the crop the perturbation works
    on must reach that far along the fine axis (not only the coarse axis' pixels), so the degraded prior equals the
    label dilated by 5 mm on the whole slice."""
    from scipy import ndimage

    from monai_refine.transforms import RandMaskPerturb

    dilate = RandMaskPerturb(
        morph_prob=1.0,
        radius_range=(5.0, 5.0),
        noise_prob=0.0,
        elastic_prob=0.0,
        rotate_prob=0.0,
        shift_prob=0.0,
        flip_prob=0.0,
    )
    data = PropagationSliceDataset([_volume()], num_samples=1, perturb=dilate, perturb_prob=1.0, margin_mm=0.5)
    label = np.zeros((80, 40), bool)
    label[30:50, 15:25] = True
    prior = data.set_random_state(0)._prior(label, (0.5, 2.0))
    distance = ndimage.distance_transform_edt(~label, sampling=(0.5, 2.0))
    np.testing.assert_array_equal(prior[0], distance <= 5.0)
    assert prior[0, 20, 20] and not prior[0, 19, 20]  # 10 rows above the label


def test_labels_are_oriented_like_the_images():
    """Stored with both in-plane axes pointing backwards (an LPS-like affine), an off-centre organ: image and label are
    flipped alike, so the label covers the organ's 100 HU on the grid."""
    image = np.zeros((1, 64, 64, 10), np.float32)
    label = np.zeros_like(image)
    image[0, 5:20, 8:30, 2:8] = 100.0
    label[0, 5:20, 8:30, 2:8] = 1
    affine = torch.diag(torch.tensor([-1.0, -1.0, 2.0, 1.0], dtype=torch.float64))
    volume = (MetaTensor(torch.as_tensor(image), affine=affine), MetaTensor(torch.as_tensor(label), affine=affine))
    data = PropagationSliceDataset([volume], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=0.0, end_prob=0.0)
    data.set_random_state(0)
    for _ in range(5):
        item = data[0]
        organ = item["label"][0] > 0.5
        assert organ.sum() > 0 and (item["image"][0][organ] > 0.5).float().mean() > 0.9


def _graded_volume():
    """:func:`_volume` with a background of 10·z HU on slice z, so a windowed slice tells its index."""
    image, label = _volume()
    image = image + 10.0 * torch.arange(10, dtype=torch.float32)
    return image, label


def test_steps_reach_max_step():
    data = PropagationSliceDataset([_volume()], num_samples=1, skip_prob=1.0, max_step=3, end_prob=0.0)
    data.set_random_state(0)
    steps = [abs(z - n) for _, z, n in (data.randomize() for _ in range(200))]
    # organ on slices 2..7: a step of 2 or 3 unless no labelled slice lies that far (then the neighbour, 1)
    assert set(steps) == {1, 2, 3} and steps.count(1) < steps.count(2)


def test_self_fed_prior_is_the_segmenters_result_on_the_slice_before():
    calls = []

    def shrink(image, prior, seeds, spacing):  # a "network" whose result is the prior minus a 4-pixel rim
        calls.append(round(float(image[0, 0, 0]) * 300 - 100))  # the background HU: 10 x the slice index
        out = np.zeros(prior.shape, np.float32)
        out[0, 16:48, 16:48] = prior[0, 16:48, 16:48]
        return out

    data = PropagationSliceDataset(
        [_graded_volume()],
        num_samples=1,
        grid=SliceGrid(32, 2.0),
        perturb_prob=0.0,
        segmenter=shrink,
        self_prob=1.0,
        end_prob=0.3,
        window_shift=0.0,
    ).set_random_state(0)
    self_fed = 0
    for _ in range(30):
        n_calls = len(calls)
        item = data[0]
        z = round(float(item["image"][0, 0, 0]) * 300 - 100) // 10
        prior_area = int(item["image"][1].sum())
        if len(calls) > n_calls:  # segmented the slice next to z, and its result (16 x 16 grid pixels) is the prior
            assert abs(calls[-1] // 10 - z) == 1 and prior_area == 256
            self_fed += 1
        else:  # no labelled slice beyond the neighbour: the neighbour's label (20 x 20 grid pixels)
            assert prior_area == 400
    assert self_fed > 20


def test_window_and_zoom_augmentation():
    def organ_values(**kwargs):
        data = PropagationSliceDataset(
            [_volume()], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=0.0, end_prob=0.0, **kwargs
        ).set_random_state(0)
        items = [data[0] for _ in range(20)]
        return {round(float(i["image"][0].max()), 4) for i in items}, {int(i["image"][1].sum()) for i in items}

    assert organ_values() == ({round(2 / 3, 4)}, {400})
    values, areas = organ_values(window_shift=30.0, window_scale=0.2)
    assert len(values) == 20 and areas == {400}
    assert all(0.5 < v < 0.9 for v in values)  # 100 HU in windows of centre 50 ± 30 HU, half-width 150 ± 20 %
    values, areas = organ_values(zoom=0.2)
    assert values == {round(2 / 3, 4)} and min(areas) < 400 < max(areas)  # the organ shown larger and smaller
    assert all(256 <= a <= 625 for a in areas)  # 40 mm on grid pixels of 2 mm ± 20 %: 16.7 to 25 pixels a side


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"self_prob": 0.5}, "needs a segmenter"),
        ({"max_step": 0}, "max_step"),
        ({"zoom": 1.0}, "zoom"),
        ({"window_scale": -0.1}, "window_scale"),
        ({"window_shift": float("nan")}, "window_shift"),
        ({"window": (200, -100)}, "window"),
    ],
)
def test_bad_augmentation_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PropagationSliceDataset([_volume()], **kwargs)
