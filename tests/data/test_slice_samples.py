from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from scipy import ndimage

from monai_refine.data import (
    LabelMapError,
    PropagationSliceDataset,
    load_datalist_volumes,
    load_ircad_volumes,
    write_nifti,
)
from monai_refine.inferers import SliceGrid, window_intensity
from monai_refine.transforms import RandMaskPerturb
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


def test_shared_transforms_are_not_modified_by_sampling():
    """Two volumes of different spacing: each sample hands its slice's spacing to the shared perturbation and seeder
    (as a MetaTensor), never by setting their attributes, so thread-based loaders cannot mix spacings up."""
    data = PropagationSliceDataset(
        [_volume(spacing=0.5), _volume()], num_samples=1, grid=SliceGrid(32, 2.0), perturb_prob=1.0
    ).set_random_state(0)
    areas = {int(data[0]["image"][1].sum()) > 250 for _ in range(10)}
    assert areas == {True, False}  # both volumes drawn: 20 mm and 40 mm squares
    assert data.perturb.spacing is None and data.seeder.spacing is None
    with pytest.raises(ValueError, match="perturb.spacing must be None"):
        PropagationSliceDataset([_volume()], perturb=RandMaskPerturb(spacing=(1.0, 1.0)))


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


def _nifti_pair(folder, name, spacing=1.0, label_spacing=None):
    """``_volume`` written as ``<name>_ct.nii.gz`` and a label map ``<name>_seg.nii.gz``: liver 1, a tumour 2 inside
    it (slice 4, 10x10 px), another organ 3 beside it (slice 4)."""
    image, label = _volume(spacing)
    label = label.clone()
    label[0, 20:30, 20:30, 4] = 2
    label[0, 54:60, 54:60, 4] = 3
    if label_spacing is not None:
        label = MetaTensor(label.as_tensor(), affine=torch.diag(torch.tensor([label_spacing] * 2 + [2.0, 1.0])))
    ct = write_nifti(image, folder / f"{name}_ct.nii.gz")
    seg = write_nifti(label.to(torch.uint8), folder / f"{name}_seg.nii.gz")
    return ct, seg


def test_datalist_volumes_select_the_organ_labels(tmp_path):
    _nifti_pair(tmp_path, "a", spacing=0.8)
    _nifti_pair(tmp_path, "b", spacing=0.6)
    datalist = tmp_path / "dataset.json"
    items = [{"image": f"{n}_ct.nii.gz", "label": f"{n}_seg.nii.gz"} for n in "ab"]
    datalist.write_text(json.dumps({"training": items, "validation": items[:1]}))
    volumes = load_datalist_volumes(datalist, organ_labels=(1, 2))  # relative to the datalist's folder
    assert len(volumes) == 2
    for (image, mask), spacing in zip(volumes, (0.8, 0.6)):
        assert mask.dtype == torch.uint8 and image.dtype == torch.float32 and image.shape == mask.shape
        assert int(mask.sum()) == 40 * 40 * 6  # liver and tumour, not organ 3
        assert int(mask[0, 25, 25, 4]) == 1 and int(mask[0, 56, 56, 4]) == 0
        torch.testing.assert_close(mask.affine, image.affine)
        assert [round(float(v), 3) for v in image.pixdim[:2]] == [spacing, spacing]
    ((image, mask),) = load_datalist_volumes(datalist, data_list_key="validation", organ_labels=(3,))
    assert int(mask.sum()) == 36
    ((_, liver),) = load_datalist_volumes(items[:1], tmp_path, organ_labels=(1,))  # a list, with base_dir
    assert int(liver.sum()) == 40 * 40 * 6 - 100


def test_datalist_volumes_bad_input(tmp_path):
    ct, seg = _nifti_pair(tmp_path, "a")
    with pytest.raises(LabelMapError, match="organ_labels"):  # a label map without organ_labels
        load_datalist_volumes([{"image": ct, "label": seg}])
    with pytest.raises(ValueError, match="no voxel of organ_labels \\[5\\]"):
        load_datalist_volumes([{"image": ct, "label": seg}], organ_labels=(5,))
    with pytest.raises(ValueError, match="'label'"):
        load_datalist_volumes([{"image": ct}])
    with pytest.raises(ValueError, match="no item"):
        load_datalist_volumes([])
    _, other = _nifti_pair(tmp_path, "b", label_spacing=0.5)
    with pytest.raises(ValueError, match="do not share geometry"):
        load_datalist_volumes([{"image": ct, "label": other}], organ_labels=(1,))


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


def _sample_pixels(segmenter=None, **kwargs):
    """The (prior, foreground seeds, background seeds) pixels of one sample on a grid equal to the slice's pixels
    (1 mm, the organ centred), with seed maps too narrow (0.3 mm) to spread past their pixel."""
    settings = {"perturb_prob": 0.0, "end_prob": 0.0, "margin_mm": 2.0, "sigma": 0.3, **kwargs}
    data = PropagationSliceDataset([_volume()], num_samples=1, grid=SliceGrid(64, 1.0), segmenter=segmenter, **settings)
    image = data.set_random_state(0)[0]["image"]
    return tuple((image[c] > 0.5).numpy() for c in (1, 2, 3))


def _seed_pixels(segmenter=None, **kwargs):
    """The (foreground, background) seed pixels of one sample (:func:`_sample_pixels`)."""
    return _sample_pixels(segmenter, **kwargs)[1:]


def _leak(image, prior, seeds, spacing):  # the organ and a 12 x 32 mm lobe grown out of its lower edge
    out = prior.astype(np.float32)
    out[0, 52:64, 16:48] = 1
    return out


def _miss(image, prior, seeds, spacing):  # the organ without its upper 18 mm
    out = prior.astype(np.float32)
    out[0, 12:30, 12:52] = 0
    return out


@pytest.mark.parametrize("segmenter, channel, region", [(_leak, 1, (52, 64, 16, 48)), (_miss, 0, (12, 30, 12, 52))])
def test_corrections_stroke_the_error_of_the_segmenters_result(segmenter, channel, region):
    """The simulated user strokes the error of the result the slice would get: background along a leak, foreground
    along a miss, on top of the propagated seeds (the same draws without corrections)."""
    plain = _seed_pixels(segmenter)
    corrected = _seed_pixels(segmenter, correction_prob=1.0)
    added = corrected[channel] & ~plain[channel]
    top, bottom, left, right = region
    inside = np.zeros_like(added)
    inside[top:bottom, left:right] = True
    assert added.sum() >= 20 and not (added & ~inside).any()  # a stroke along the error region, nowhere else
    np.testing.assert_array_equal(corrected[1 - channel], plain[1 - channel])
    assert (corrected[channel] | plain[channel] == corrected[channel]).all()  # propagated seeds kept


def test_corrections_go_to_the_largest_regions_above_the_minimum():
    def two_leaks(image, prior, seeds, spacing):  # the lobe (384 mm²) and a 60 mm² lobe on the organ's upper edge
        out = _leak(image, prior, seeds, spacing)
        out[0, 6:12, 20:30] = 1  # attached, so the result keeps it (a detached blob holds no seed and is dropped)
        return out

    plain = _seed_pixels(two_leaks)[1]
    one = _seed_pixels(two_leaks, correction_prob=1.0, max_corrections=1)[1] & ~plain
    assert one[52:64].sum() >= 20 and not one[:12].any()  # only the largest error is corrected
    none = _seed_pixels(two_leaks, correction_prob=1.0, min_correction_mm2=400.0)[1]
    np.testing.assert_array_equal(none, plain)  # both regions below the minimum: no stroke


def test_corrections_without_a_segmenter_correct_the_prior_past_the_end():
    """Without a segmenter the prior is the result the user corrects; past the organ's end all of it is a leak:
    a background stroke along it, which also cancels the prior's propagated foreground seeds."""
    plain = _seed_pixels(end_prob=1.0)
    fg, bg = _seed_pixels(end_prob=1.0, correction_prob=1.0)
    assert plain[0].any() and not fg.any()
    np.testing.assert_array_equal(bg & ~plain[1], plain[0])  # the stroke lies on the prior's skeleton


def test_strokes_edit_the_prior_channel_when_asked():
    """``prior_stroke_mm=2`` on lost and leaked lobes (as in the test above, where strokes lie outside and
    inside the prior): the foreground stroke along a lost lobe now lies in the prior channel (drawn 2 mm wide, so
    that it survives the grid's nearest resampling), and the background stroke along a leaked lobe outside it."""
    settings = {"perturb_prob": 0.0, "end_prob": 0.0, "margin_mm": 2.0, "sigma": 0.3, "correction_prob": 1.0}
    datasets = [
        PropagationSliceDataset(
            [_volume()], num_samples=1, grid=SliceGrid(64, 1.0), lobe_prob=1.0, prior_stroke_mm=width, **settings
        ).set_random_state(0)
        for width in (None, 2.0)
    ]
    kinds = set()
    for _ in range(8):
        (plain, organ), (edited, _) = ((d[0]["image"].numpy() > 0.5, d[0]["label"][0].numpy() > 0.5) for d in datasets)
        lost = plain[1].sum() < organ.sum()
        # (a few pixels off where the grid's centre falls half-way between pixels: nearest and seed rounding differ)
        if lost:  # the foreground stroke: outside the prior, then in it
            outside = (plain[2] & ~plain[1]).sum()
            assert outside >= 20 and (edited[2] & ~edited[1]).sum() <= 0.1 * outside
        else:  # the background stroke: inside the prior, then out of it
            inside = (plain[3] & plain[1]).sum()
            assert inside >= 20 and (edited[3] & edited[1]).sum() <= 0.1 * inside
        kinds.add(lost)
    assert kinds == {True, False}


@pytest.mark.parametrize("segmenter", [_leak, _miss])
def test_strokes_edit_the_prior_not_the_segmenters_result(segmenter):
    """The strokes correct the segmenter's result, but edit the prior the network gets: a background stroke along a
    leak lies outside the prior, a foreground one along a miss inside it, so either way the prior channel stays the
    neighbour's label (where editing the result would show the leak, or the miss with only a stroke across it)."""
    plain = _sample_pixels(segmenter)
    edited = _sample_pixels(segmenter, correction_prob=1.0, prior_stroke_mm=2.0)
    assert (edited[1] & ~plain[1]).sum() + (edited[2] & ~plain[2]).sum() >= 20  # a stroke was drawn
    np.testing.assert_array_equal(edited[0], plain[0])


@pytest.mark.parametrize("width", [0.0, 2.0])
def test_strokes_past_the_end_reject_the_whole_prior(width):
    """Past the organ's end (no segmenter) the whole prior is a leak: the background stroke along its skeleton
    rejects all of it (discs of radius twice the depth: 40 mm at the centre, which covers the square), so with
    ``prior_stroke_mm`` (0: the seed pixels alone, not off) the prior channel is empty, and, the seeds being merged
    with the unedited prior, its propagated foreground seeds are cancelled as without it."""
    plain = _sample_pixels(end_prob=1.0, correction_prob=1.0)
    edited = _sample_pixels(end_prob=1.0, correction_prob=1.0, prior_stroke_mm=width)
    assert plain[0].sum() == 1600 and not plain[1].any()  # the neighbour's 40 x 40 label, no foreground seed
    assert not edited[0].any() and not edited[1].any()
    np.testing.assert_array_equal(edited[2], plain[2])


def _upper(image, prior, seeds, spacing):  # the prior's upper 22 mm (rows 12..33), which holds its centre
    out = np.zeros(prior.shape, np.float32)
    out[0, 12:34] = prior[0, 12:34]
    return out


@pytest.mark.parametrize("width", [None, 0.0, 2.0])
def test_strokes_cancel_the_seeds_of_what_they_reject_from_the_unedited_prior(width):
    """Past the end, a result that is the prior's upper 22 mm is a leak that holds the prior's centre, where its
    propagated foreground seeds lie: the background stroke along the leak's skeleton (row ~22, 11 mm deep in the
    prior) rejects discs of ~22 mm radius that take in the centre, so those seeds are cancelled. With
    ``prior_stroke_mm`` too: the seeds are merged with the unedited prior, not with the edited one (from which the
    stroke's pixels are gone, so that it would reject nothing and the centre seeds would stay)."""
    plain = _sample_pixels(_upper, end_prob=1.0)
    fg = plain[1]
    assert fg.any() and fg[30:34, 29:34].sum() == fg.sum()  # the propagated foreground seeds: the square's centre
    prior, fg, _ = _sample_pixels(_upper, end_prob=1.0, correction_prob=1.0, prior_stroke_mm=width)
    assert not fg.any()
    assert (prior.sum() == 1600) == (width is None)  # edited (the rejected discs out) only when asked


def test_samples_past_the_end_stay_stroke_free_when_asked():
    """``correct_past_end=False``: past the organ's end the same draws give the propagated seeds only, while a slice
    inside the organ is still corrected."""
    plain = _seed_pixels(end_prob=1.0)
    kept = _seed_pixels(end_prob=1.0, correction_prob=1.0, correct_past_end=False)
    np.testing.assert_array_equal(np.stack(kept), np.stack(plain))
    inside = _seed_pixels(_leak, correction_prob=1.0, correct_past_end=False)[1] & ~_seed_pixels(_leak)[1]
    assert inside[52:64, 16:48].sum() >= 20


def test_lobe_errors_are_large_and_stroked():
    """lobe_prob: the corrected prior loses 10-40 % beyond a line (a foreground stroke then lies in the lost part,
    outside the prior) or gains a 5-15 mm band beyond one (a background stroke lies in the gain, inside the prior)."""
    data = PropagationSliceDataset(
        [_volume()],
        num_samples=1,
        grid=SliceGrid(64, 1.0),
        perturb_prob=0.0,
        end_prob=0.0,
        margin_mm=2.0,
        sigma=0.3,
        correction_prob=1.0,
        lobe_prob=1.0,
    ).set_random_state(0)
    lost = gained = 0
    for _ in range(12):
        item = data[0]
        image, organ = item["image"].numpy(), item["label"][0].numpy() > 0.5  # the crop follows the prior
        prior, fg, bg = image[1] > 0.5, image[2] > 0.5, image[3] > 0.5
        if prior.sum() < organ.sum():
            assert 0.5 * organ.sum() < prior.sum() < organ.sum() - 40 and not (prior & ~organ).any()
            assert (fg & organ & ~prior).sum() >= 5  # the stroke along the lost lobe
            lost += 1
        else:
            assert prior.sum() > organ.sum() + 40 and (prior & organ).sum() == organ.sum()
            assert (bg & prior & ~organ).sum() >= 5  # the stroke along the leaked lobe
            gained += 1
    assert lost >= 2 and gained >= 2


@pytest.mark.parametrize("channels", [("image", "prior", "seed_map"), ("image", "prior")])
def test_unstroked_lobes_change_the_prior_without_strokes(channels):
    """unstroked_lobe_prob: an uncorrected sample's prior loses or gains a lobe, its seeds (if any) follow the new prior
    and no stroke is added (the foreground seeds lie inside the prior, the background ones outside)."""
    settings = {"num_samples": 1, "grid": SliceGrid(64, 1.0), "perturb_prob": 0.0, "end_prob": 0.0, "margin_mm": 2.0}
    data = PropagationSliceDataset([_volume()], channels=channels, unstroked_lobe_prob=1.0, sigma=0.3, **settings)
    data.set_random_state(0)
    lost = gained = 0
    for _ in range(12):
        item = data[0]
        image, organ = item["image"].numpy(), item["label"][0].numpy() > 0.5
        prior = image[1] > 0.5
        if len(channels) == 3:
            fg, bg = image[2] > 0.5, image[3] > 0.5
            # no stroke (one would put >= 5 seed pixels on the wrong side); the seeds' rounding and the prior's nearest
            # resampling onto the grid may disagree by one pixel
            assert fg.sum() >= 20 and bg.sum() >= 20 and (fg & ~prior).sum() <= 1 and (bg & prior).sum() <= 1
        lost += bool(prior.sum() < organ.sum() - 40 and not (prior & ~organ).any())
        gained += bool(prior.sum() > organ.sum() + 40 and (prior & organ).sum() == organ.sum())
    assert lost >= 2 and gained >= 2 and lost + gained == 12


class _CountingState(np.random.RandomState):
    """A random state that counts its ``rand`` draws."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.draws = 0

    def rand(self, *args):
        self.draws += 1
        return super().rand(*args)


def test_unstroked_lobes_take_no_draw_when_off():
    """unstroked_lobe_prob=0 draws nothing, so the samples stay those of a dataset without the option: an uncorrected
    sample takes exactly one ``rand`` draw fewer than with a probability that is on but (1e-12) never fires."""
    draws = {}
    for prob in (0.0, 1e-12):
        data = PropagationSliceDataset([_volume()], num_samples=1, grid=SliceGrid(64, 1.0), unstroked_lobe_prob=prob)
        state = _CountingState(0)
        data.set_random_state(state=state)[0]
        draws[prob] = state.draws
    assert draws[1e-12] == draws[0.0] + 1


def test_corrected_samples_get_no_unstroked_lobe():
    """A corrected sample (correction_prob=1) is the same whatever unstroked_lobe_prob: the unstroked lobe is drawn
    for uncorrected samples only, so the strokes always describe the prior the network sees."""
    settings = {"num_samples": 3, "grid": SliceGrid(64, 1.0), "correction_prob": 1.0, "lobe_prob": 0.5}
    on = PropagationSliceDataset([_volume()], unstroked_lobe_prob=1.0, **settings).set_random_state(0)
    off = PropagationSliceDataset([_volume()], unstroked_lobe_prob=0.0, **settings).set_random_state(0)
    for i in range(3):
        torch.testing.assert_close(on[i]["image"], off[i]["image"])


def test_unstroked_leaks_grow_in_mm():
    """The leaked lobe is the prior grown by 5-15 mm beyond a line: at 2 mm pixels every leaked pixel of the prior
    channel lies within 15 mm (+ one 2 mm grid pixel) of the organ, and some leak reaches 5 mm (- one pixel)."""
    settings = {"num_samples": 1, "grid": SliceGrid(64, 2.0), "perturb_prob": 0.0, "end_prob": 0.0}
    data = PropagationSliceDataset(
        [_volume(spacing=2.0)], channels=("image", "prior"), unstroked_lobe_prob=1.0, **settings
    )
    data.set_random_state(0)
    reaches = []
    for _ in range(12):
        item = data[0]
        prior, organ = item["image"][1].numpy() > 0.5, item["label"][0].numpy() > 0.5
        if (prior & ~organ).any():
            distance = ndimage.distance_transform_edt(~organ, sampling=2.0)
            reaches.append(float(distance[prior & ~organ].max()))
    assert len(reaches) >= 2 and max(reaches) <= 17.0 and min(reaches) >= 3.0, reaches


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lobe_prob": 1.5}, "lobe_prob"),
        ({"unstroked_lobe_prob": -0.1}, "unstroked_lobe_prob"),
        ({"correction_prob": 0.5, "channels": ("image", "prior")}, "seed maps"),
        ({"correction_prob": 1.5}, "correction_prob"),
        ({"max_corrections": 0}, "max_corrections"),
        ({"min_correction_mm2": float("nan")}, "min_correction_mm2"),
        ({"prior_stroke_mm": -1.0}, "prior_stroke_mm"),
        ({"prior_stroke_mm": float("inf")}, "prior_stroke_mm"),
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


def test_correction_minimum_is_in_mm2():
    """Error regions are measured in mm²: at 0.5 mm pixels a 4 x 8 pixel leak is 8 mm² and a 4 x 2 pixel one 2 mm²;
    with ``min_correction_mm2=5`` the first gets a background stroke and the second none (as pixels, 32 and 8, both
    would pass)."""
    data = PropagationSliceDataset([_volume()], min_correction_mm2=5.0).set_random_state(0)
    label = np.zeros((20, 20), bool)
    label[4:16, 4:16] = True
    large, small = label.copy(), label.copy()
    large[16:20, 6:14] = True
    small[0:4, 8:10] = True
    strokes = data._corrections(large, label, (0.5, 0.5))
    assert not strokes[0].any() and strokes[1].any() and not (strokes[1] & ~(large & ~label)).any()  # on the leak
    assert not data._corrections(small, label, (0.5, 0.5)).any()


def test_label_is_resampled_by_nearest_neighbour():
    """On a 1.5 mm grid over 1 mm pixels no grid point falls on a pixel centre: the label stays {0, 1}, and the organ
    (pixels 12..51) holds the grid points 12.75, 14.25, ..., 50.25 of each axis (the grid is centred on 31.5): 26²."""
    data = PropagationSliceDataset(
        [_volume()], num_samples=1, grid=SliceGrid(32, 1.5), perturb_prob=0.0, end_prob=0.0
    ).set_random_state(0)
    label = data[0]["label"]
    assert set(label.unique().tolist()) == {0.0, 1.0} and int(label.sum()) == 26 * 26
