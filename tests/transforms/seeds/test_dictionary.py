from __future__ import annotations

import numpy as np
import pytest
from monai.transforms import Compose
from monai.utils import set_determinism

from monai_refine.transforms import (
    DiscrepancySeeds,
    DiscrepancySeedsd,
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
    pipeline = Compose([DiscrepancySeedsd("pred"), GaussianSeedMapd("seeds", sigma=2.0), MaskSeedsd("label", "ring")])
    out = pipeline(data)
    seeds = DiscrepancySeeds()(data["pred"], data["label"])
    np.testing.assert_array_equal(np.asarray(out["seeds"]), np.asarray(seeds))
    np.testing.assert_array_equal(np.asarray(out["seed_map"]), np.asarray(GaussianSeedMap(sigma=2.0)(seeds)))
    np.testing.assert_array_equal(np.asarray(out["ring"]), np.asarray(MaskSeeds()(data["label"])))
    assert type(out["seed_map"]) is type(data["pred"])


def test_random_dictionary_transforms_are_deterministic():
    def run(seed: int) -> np.ndarray:
        set_determinism(seed)
        seeders = [DiscrepancySeedsd("pred", max_seeds_per_component=2), ExtremePointSeedsd("label", "x", pert=2)]
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
