from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.transforms import Compose

from monai_refine.metrics import dice_coefficient
from monai_refine.transforms import RandMaskPerturbD, RandMaskPerturbd, RandMaskPerturbDict
from monai_refine.utils import RefineKeys
from tests.utils import TEST_NDARRAYS


def _block(ndim: int) -> np.ndarray:
    mask = np.zeros((1,) + (20,) * ndim, dtype=np.uint8)
    mask[(0,) + (slice(5, 15),) * ndim] = 1
    return mask


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_quality_holds_the_achieved_dice(ndim, convert):
    mask = convert(_block(ndim))
    data = RandMaskPerturbd(RefineKeys.PRIOR, dice_range=(0.6, 0.9)).set_random_state(0)(
        {RefineKeys.PRIOR: mask, RefineKeys.IMAGE: "kept"}
    )
    quality = data[RefineKeys.QUALITY]
    assert data[RefineKeys.IMAGE] == "kept" and type(data[RefineKeys.PRIOR]) is type(mask)
    assert type(quality) is (torch.Tensor if isinstance(mask, torch.Tensor) else np.ndarray)
    assert tuple(quality.shape) == (1,) and quality.dtype in (np.float32, torch.float32)
    expected = dice_coefficient(np.asarray(data[RefineKeys.PRIOR]).astype(bool), _block(ndim).astype(bool))
    assert 0.6 <= float(quality[0]) <= 0.9 and float(quality[0]) == pytest.approx(expected, abs=1e-6)


def test_one_quality_key_per_key_and_missing_keys():
    data = {"a": _block(2), "b": _block(2)}
    out = RandMaskPerturbd(("a", "b", "c"), quality_key=("qa", "qb", "qc"), allow_missing_keys=True)(data)
    assert {"qa", "qb"} <= out.keys() and "qc" not in out
    assert "quality" not in RandMaskPerturbd("a", quality_key=None)(data)


def test_seeded_compose_is_reproducible_and_aliases():
    assert RandMaskPerturbD is RandMaskPerturbDict is RandMaskPerturbd
    runs = [
        Compose([RandMaskPerturbd("label", elastic_prob=1.0)]).set_random_state(9)({"label": _block(2)})
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0]["label"], runs[1]["label"])
    assert runs[0]["quality"][0] == runs[1]["quality"][0]


def test_bad_arguments_reach_the_array_transform():
    with pytest.raises(ValueError, match="dice_range"):
        RandMaskPerturbd("label", dice_range=(0.9, 0.1))
    with pytest.raises(ValueError, match="binary"):
        RandMaskPerturbd("label")({"label": np.full((1, 4, 4), 0.5)})
