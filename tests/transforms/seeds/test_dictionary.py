from __future__ import annotations

import numpy as np
import pytest
from monai.transforms import Compose
from monai.utils import set_determinism

from monai_refine.transforms import (
    DiscrepancySeeds,
    DiscrepancySeedsd,
    ExtremePointSeeds,
    ExtremePointSeedsd,
    GaussianSeedMap,
    GaussianSeedMapd,
    MaskSeeds,
    MaskSeedsd,
)
from tests.utils import TEST_NDARRAYS


def _pair() -> dict:
    label = np.zeros((1, 20, 20), dtype=np.float32)
    label[0, 4:16, 4:16] = 1
    return {"pred": np.roll(label, 3, axis=1), "label": label}


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_pipeline_matches_array_transforms(convert):
    data = {k: convert(v) for k, v in _pair().items()}
    pipeline = Compose(
        [DiscrepancySeedsd("pred", "label"), GaussianSeedMapd("seeds", sigma=2.0), MaskSeedsd("label", "ring")]
    )
    out = pipeline(data)
    seeds = DiscrepancySeeds()(data["pred"], data["label"])
    np.testing.assert_array_equal(np.asarray(out["seeds"]), np.asarray(seeds))
    np.testing.assert_array_equal(np.asarray(out["seed_map"]), np.asarray(GaussianSeedMap(sigma=2.0)(seeds)))
    np.testing.assert_array_equal(np.asarray(out["ring"]), np.asarray(MaskSeeds()(data["label"])))
    assert type(out["seed_map"]) is type(data["pred"])


def test_random_dictionary_transforms_are_deterministic():
    def run(seed: int) -> np.ndarray:
        set_determinism(seed)
        seeders = [
            DiscrepancySeedsd("pred", "label", max_seeds_per_component=2),
            ExtremePointSeedsd("label", "x", pert=2),
        ]
        pipeline = Compose(seeders)
        out = pipeline(_pair())
        return np.concatenate([out["seeds"], out["x"]])

    try:
        np.testing.assert_array_equal(run(5), run(5))
        assert not np.array_equal(run(5), run(6))
    finally:
        set_determinism(None)


def test_missing_keys():
    with pytest.raises(KeyError):
        MaskSeedsd("prior")({"image": np.zeros((1, 4, 4))})
    assert "seeds" not in MaskSeedsd("prior", allow_missing_keys=True)({"image": np.zeros((1, 4, 4))})


def test_discrepancy_one_draw_for_all_keys():
    """Issue 8.4: the same prediction under two keys gets the same random choice of seeds in one call."""
    data = _pair()
    data["pred2"] = data["pred"].copy()
    transform = DiscrepancySeedsd(("pred", "pred2"), "label", ("s1", "s2"), max_seeds_per_component=2)
    for seed in range(3):
        out = transform.set_random_state(seed)(data)
        np.testing.assert_array_equal(out["s1"], out["s2"])
    assert out["s1"][0].sum() == 2 and out["s1"][1].sum() == 2  # one component each way, 2 seeds each


@pytest.mark.parametrize(
    "make",
    [
        lambda: DiscrepancySeedsd("pred"),
        lambda: MaskSeedsd(),
        lambda: GaussianSeedMapd(),
        lambda: ExtremePointSeedsd(),
        lambda: MaskSeedsd("prior", margin=3.0),  # a misspelt argument is not swallowed by **kwargs
    ],
)
def test_dictionary_transforms_need_their_keys_and_list_their_arguments(make):
    """Issue 8.5: no default keys, no **kwargs pass-through (as MONAI's dictionary transforms)."""
    with pytest.raises(TypeError):
        make()


def test_dictionary_signatures_list_the_array_arguments():
    import inspect

    for wrapper, array in [
        (DiscrepancySeedsd, DiscrepancySeeds),
        (MaskSeedsd, MaskSeeds),
        (GaussianSeedMapd, GaussianSeedMap),
        (ExtremePointSeedsd, ExtremePointSeeds),
    ]:
        wrapped = inspect.signature(wrapper).parameters
        assert not any(p.kind is p.VAR_KEYWORD for p in wrapped.values())
        for name, parameter in inspect.signature(array).parameters.items():
            assert wrapped[name].default == parameter.default, (wrapper.__name__, name)


def test_dictionary_transforms_pass_their_options_on():
    """erosion_mm and truncate reach the array transforms (values checked against them and by hand)."""
    mask = np.zeros((1, 12, 12), dtype=np.float32)
    mask[0, 2:10, 2:10] = 1
    core = MaskSeedsd("mask", "seeds", margin_mm=2.0, erosion_mm=2.0, spacing=1.0)({"mask": mask})["seeds"]
    expected = MaskSeeds(margin_mm=2.0, erosion_mm=2.0, spacing=1.0)(mask)
    np.testing.assert_array_equal(np.asarray(core), np.asarray(expected))
    assert core[0, 4:8, 4:8].all()  # the solid core, not only the skeleton
    seeds = np.zeros((1, 1, 11), dtype=np.float32)
    seeds[0, 0, 5] = 1
    maps = GaussianSeedMapd("s", "m", sigma=1.0, spacing=1.0, truncate=2.0)({"s": seeds})["m"]
    np.testing.assert_allclose(maps[0, 0, [3, 4, 5]], np.exp(-0.5 * np.array([4.0, 1.0, 0.0])), rtol=1e-6)
    assert maps[0, 0, [2, 8]].tolist() == [0.0, 0.0]  # 3 mm away: beyond truncate * sigma = 2 mm


def test_discrepancy_dict_draws_anew_on_every_call():
    """Two of the missed square's skeleton voxels per call: the second call draws again (reproducibly)."""
    data = {"pred": np.zeros((1, 20, 20), dtype=np.float32), "label": _pair()["label"]}
    seeder = DiscrepancySeedsd("pred", "label", max_seeds_per_component=2).set_random_state(0)
    first, second = (np.asarray(seeder(data)["seeds"]) for _ in range(2))
    assert first[0].sum() == second[0].sum() == 2 and not np.array_equal(first, second)
    np.testing.assert_array_equal(np.asarray(seeder.set_random_state(0)(data)["seeds"]), first)


def test_extreme_point_dict_jitters_with_pert():
    """A plus sign has one voxel at each extreme (no ties to draw among): without pert every call gives its four tips,
    with pert=3 the points move."""
    label = np.zeros((1, 21, 21), dtype=np.float32)
    label[0, 6:15, 10] = label[0, 10, 6:15] = 1
    tips = np.zeros((21, 21), bool)
    tips[6, 10] = tips[14, 10] = tips[10, 6] = tips[10, 14] = True
    still = ExtremePointSeedsd("label").set_random_state(0)
    jitter = ExtremePointSeedsd("label", pert=3.0).set_random_state(0)
    assert all(np.array_equal(np.asarray(still({"label": label})["seeds"])[0] > 0, tips) for _ in range(5))
    assert not all(np.array_equal(np.asarray(jitter({"label": label})["seeds"])[0] > 0, tips) for _ in range(5))


@pytest.mark.parametrize("slice_axis", [0, -1])
def test_discrepancy_dict_passes_per_slice_on(slice_axis):
    """A missed 8^3 cube: one 3D skeleton erases it (its deepest voxel is kept: 1 seed), one skeleton per slice keeps
    seeds on each of its 8 slices along ``slice_axis``; the dict form gives what the array transform gives."""
    label = np.zeros((1, 12, 12, 12), dtype=np.float32)
    label[0, 2:10, 2:10, 2:10] = 1
    data = {"pred": np.zeros_like(label), "label": label}
    out = DiscrepancySeedsd("pred", "label", per_slice=True, slice_axis=slice_axis)(data)["seeds"]
    np.testing.assert_array_equal(out, DiscrepancySeeds(per_slice=True, slice_axis=slice_axis)(data["pred"], label))
    axis = slice_axis % 3
    on_slices = np.asarray(out)[0].any(axis=tuple(a for a in range(3) if a != axis))
    assert np.flatnonzero(on_slices).tolist() == list(range(2, 10))
    assert int(np.asarray(DiscrepancySeedsd("pred", "label")(data)["seeds"])[0].sum()) == 1
