from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import DataLoader, Dataset
from monai.transforms import Compose
from monai.utils import set_determinism
from scipy import ndimage

from monai_refine.metrics import dice_coefficient
from monai_refine.transforms import RandMaskPerturb, RandMaskPerturbD, RandMaskPerturbd, RandMaskPerturbDict
from monai_refine.utils import RefineKeys
from tests.utils import TEST_NDARRAYS


def _block(ndim: int) -> np.ndarray:
    mask = np.zeros((1,) + (20,) * ndim, dtype=np.uint8)
    mask[(0,) + (slice(5, 15),) * ndim] = 1
    return mask


@pytest.mark.parametrize(
    "ndim, kept, perturbed", [(2, 100, 140), (3, 1000, 1600)], ids=["2d", "3d"]
)  # a 10^n block dilated by 1 mm gains one voxel layer on each of its 2n faces, not its edges or corners
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_quality_holds_the_achieved_dice(ndim, kept, perturbed, convert):
    mask = convert(_block(ndim))
    only_morph = {f"{op}_prob": 0.0 for op in ("noise", "elastic", "rotate", "shift", "flip")}
    transform = RandMaskPerturbd(RefineKeys.PRIOR, morph_prob=1.0, radius_range=(1.0, 1.0), spacing=1.0, **only_morph)
    data = transform.set_random_state(0)({RefineKeys.PRIOR: mask, RefineKeys.IMAGE: "kept"})
    quality = data[RefineKeys.QUALITY]
    assert data[RefineKeys.IMAGE] == "kept" and type(data[RefineKeys.PRIOR]) is type(mask)
    assert type(quality) is (torch.Tensor if isinstance(mask, torch.Tensor) else np.ndarray)
    assert tuple(quality.shape) == (1,) and quality.dtype in (np.float32, torch.float32)
    assert int(np.asarray(data[RefineKeys.PRIOR]).sum()) == perturbed
    assert float(quality[0]) == pytest.approx(2 * kept / (kept + perturbed), abs=1e-6)


@pytest.mark.parametrize("ndim", [2, 3])
def test_spacing_reaches_the_array_transform(ndim):
    """A 10^n block dilated by 2 mm at 1 mm along axis 0 and 2 mm along the others gains 2 voxel layers on the two
    faces across axis 0 and 1 on the others (a voxel one out along both is sqrt(5) mm away): the same as the array
    transform with that spacing, where 1 mm voxels would gain 2 layers on every face."""
    mask = _block(ndim)
    only_morph = {f"{op}_prob": 0.0 for op in ("noise", "elastic", "rotate", "shift", "flip")}
    spacing = (1.0,) + (2.0,) * (ndim - 1)
    kwargs = {"morph_prob": 1.0, "radius_range": (2.0, 2.0), **only_morph}
    out = RandMaskPerturbd("prior", spacing=spacing, **kwargs).set_random_state(0)({"prior": mask})["prior"]
    expected = RandMaskPerturb(spacing=spacing, **kwargs).set_random_state(0)(mask)
    np.testing.assert_array_equal(out, expected)
    box = ndimage.find_objects(np.asarray(out)[0].astype(int))[0]
    assert [(s.start, s.stop) for s in box] == [(3, 17)] + [(4, 16)] * (ndim - 1)


def test_one_draw_for_all_keys():
    """Issue 8.4: like MONAI's random dictionary transforms, every key gets the same perturbation."""
    mask = _block(2)
    transform = RandMaskPerturbd(("a", "b"), quality_key=("qa", "qb"), elastic_prob=1.0, noise_prob=1.0)
    for seed in range(3):
        out = transform.set_random_state(seed)({"a": mask, "b": mask.copy()})
        np.testing.assert_array_equal(out["a"], out["b"])
        assert out["qa"][0] == out["qb"][0] < 1.0


def test_randomize_has_an_effect():
    mask = _block(2)
    transform = RandMaskPerturbd("a", elastic_prob=1.0, noise_prob=1.0).set_random_state(0)
    transform.randomize(mask.shape[1:])
    first = transform({"a": mask}, randomize=False)["a"]
    np.testing.assert_array_equal(transform({"a": mask}, randomize=False)["a"], first)
    transform.randomize(mask.shape[1:])
    assert not np.array_equal(transform({"a": mask}, randomize=False)["a"], first)


def test_worker_processes_give_the_same_batch():
    """Under set_determinism, a batch made in 2 worker processes equals the one made in the main process: every draw
    comes from the transform's own state, and each Dice travels with its mask (no shared attribute)."""
    items = [{"label": np.roll(_block(2), i, axis=1), "prior": np.roll(_block(2), i, axis=1)} for i in range(4)]
    transform = RandMaskPerturbd("prior", elastic_prob=1.0, noise_prob=1.0, dice_range=(0.5, 0.95))

    def batch(num_workers: int) -> dict:
        set_determinism(seed=0)
        loader = DataLoader(Dataset(items, transform), batch_size=4, num_workers=num_workers)
        return next(iter(loader))

    try:
        main, workers = batch(0), batch(2)
    finally:
        set_determinism(seed=None)
    torch.testing.assert_close(workers["prior"], main["prior"], rtol=0, atol=0)
    torch.testing.assert_close(workers["quality"], main["quality"], rtol=0, atol=0)
    for prior, label, quality in zip(main["prior"], main["label"], main["quality"]):
        assert float(quality) == pytest.approx(dice_coefficient(prior.numpy() > 0, label.numpy() > 0), abs=1e-6)


def test_one_quality_key_per_key_and_missing_keys():
    data = {"a": _block(2), "b": _block(2)}
    out = RandMaskPerturbd(("a", "b", "c"), quality_key=("qa", "qb", "qc"), allow_missing_keys=True)(data)
    assert {"qa", "qb"} <= out.keys() and "qc" not in out
    assert set(RandMaskPerturbd("a", quality_key=None)(data)) == {"a", "b"}  # no quality under any key


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
