"""The DRIVE vessel bundle: metadata, network I/O, the 2D inference contract on the shipped synthetic fundus
(with a given FOV, a derived FOV and given soft vessel maps), one-iteration training and evaluation."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser, run, verify_metadata, verify_net_in_out
from monai.losses import SoftDiceclDiceLoss
from PIL import Image
from scipy import ndimage

from tests.bundles.fundus import SAMPLE, synthetic_fundus, write_sample
from tests.utils import REPO_ROOT, SHARED_DATA

pytestmark = pytest.mark.filterwarnings("ignore:parsing config_file")

BUNDLE = REPO_ROOT / "bundles" / "drive_vessel_iterative"
SCHEMA = SHARED_DATA.parent / "monai" / "meta_schema_20240725.json"


def _config(kind: str) -> str:
    return str(BUNDLE / "configs" / f"{kind}.{'conf' if kind == 'logging' else 'json'}")


@pytest.fixture(autouse=True)
def _quiet():
    logging.getLogger("ignite").setLevel(logging.WARNING)


@pytest.fixture
def random_weights(tmp_path) -> Path:
    parser = ConfigParser()
    parser.read_config(_config("inference"))
    torch.manual_seed(0)
    path = tmp_path / "random.pt"
    torch.save(parser.get_parsed_content("network_def").state_dict(), path)
    return path


def _infer(output_dir: Path, checkpoint: Path, dataset_dir: Path = SAMPLE / "images", **override) -> None:
    run(
        config_file=_config("inference"),
        meta_file=_config("metadata"),
        logging_file=_config("logging"),
        bundle_root=str(BUNDLE),
        dataset_dir=str(dataset_dir),
        output_dir=str(output_dir),
        checkpoint=str(checkpoint),
        num_threads=1,
        **override,
    )


def _read(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def test_layout_and_shared_preprocessing():
    for part in ("train", "evaluate", "inference", "multi_gpu_train", "metadata", "logging"):
        assert Path(_config(part)).is_file(), part
    assert (BUNDLE / "docs" / "README.md").is_file() and (BUNDLE / "LICENSE").is_file()
    train, infer = (json.loads(Path(_config(k)).read_text()) for k in ("train", "inference"))
    assert "$import monai_refine" in train["imports"] and "$import monai_refine" in infer["imports"]
    # training and inference see the same reading, FOV and intensity chain, the same network and window
    for key in ("load_image", "load_fov", "normalize_image", "network_def", "sliding_window", "channels", "features"):
        assert train[key] == infer[key], key
    overrides = json.loads(Path(_config("multi_gpu_train")).read_text())
    for key in overrides:
        assert key.split("#")[0] in train or key in ("initialize", "run", "finalize"), key


def test_metadata():
    if not SCHEMA.is_file():
        pytest.skip(f"the MONAI metadata schema {SCHEMA} is absent (offline machine)")
    pytest.importorskip("jsonschema")
    verify_metadata(meta_file=_config("metadata"), filepath=str(SCHEMA))
    image = json.loads(Path(_config("metadata")).read_text())["network_data_format"]["inputs"]["image"]
    parser = ConfigParser()
    parser.read_config(_config("inference"))
    assert image["num_channels"] == parser.get_parsed_content("in_channels") == len(image["channel_def"])


def test_net_in_out():
    verify_net_in_out(
        net_id="network_def", meta_file=_config("metadata"), config_file=_config("inference"), device="cpu"
    )


def test_shipped_weights():
    model = BUNDLE / "models" / "model.pt"
    if not model.is_file():
        pytest.skip(f"{model} not trained yet")
    assert model.stat().st_size <= 10 * 2**20
    parser = ConfigParser()
    parser.read_config(_config("inference"))
    parser.get_parsed_content("network_def").load_state_dict(torch.load(model, map_location="cpu"), strict=True)


def test_shipped_sample_is_the_generator_output(tmp_path):
    """The sample under ``bundles/drive_vessel_iterative/sample`` is ``python -m tests.bundles.fundus``'s output."""
    fresh = write_sample(tmp_path)
    for key, path in fresh.items():
        shipped = SAMPLE / path.relative_to(tmp_path)
        np.testing.assert_array_equal(
            _read(shipped) if key != "image" else np.asarray(Image.open(shipped)),
            _read(path) if key != "image" else np.asarray(Image.open(path)),
        )
    rgb, vessels, fov = synthetic_fundus()
    assert rgb.shape == (72, 80, 3) and 0.03 < (vessels > 0).mean() < 0.15 and not (vessels[fov == 0]).any()


@pytest.mark.parametrize("fov_dir", [SAMPLE / "mask", None])
def test_inference_contract(tmp_path, random_weights, fov_dir):
    """``OUT/<stem>_seg.png``, {0, 255} at the input size, nothing outside the FOV (given, or derived from red)."""
    images = tmp_path / "images"
    shutil.copytree(SAMPLE / "images", images)
    Image.fromarray(synthetic_fundus(50, 61, seed=1)[0]).save(images / "b.png")  # another size and format
    (images / "notes.txt").write_text("not an image")
    weights = BUNDLE / "models" / "model.pt"
    weights = weights if weights.is_file() else random_weights
    if fov_dir is None:
        _infer(tmp_path / "out", weights, images)
    else:
        fov = tmp_path / "fov"
        fov.mkdir()
        shutil.copy(SAMPLE / "mask" / "00_training_mask.gif", fov)  # DRIVE's name
        Image.fromarray(synthetic_fundus(50, 61, seed=1)[2]).save(fov / "b_mask.png")  # HRF's name
        _infer(tmp_path / "out", weights, images, fov_dir=str(fov))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00_training_seg.png", "b_seg.png"]
    seg = np.asarray(Image.open(tmp_path / "out" / "00_training_seg.png"))
    assert seg.shape == (72, 80) and seg.dtype == np.uint8 and set(np.unique(seg)) <= {0, 255}
    assert not seg[_read(SAMPLE / "mask" / "00_training_mask.gif") == 0].any()
    assert np.asarray(Image.open(tmp_path / "out" / "b_seg.png")).shape == (50, 61)


def test_given_soft_maps_are_the_first_prior(tmp_path):
    """``--mask_dir``: a grey PNG is the prior as value / 255 (soft maps allowed), not thresholded."""
    masks = tmp_path / "masks"
    masks.mkdir()
    soft = np.zeros((72, 80), dtype=np.uint8)
    soft[:, 20:40], soft[:, 40:] = 51, 255
    Image.fromarray(soft).save(masks / "00_training.png")
    parser = ConfigParser()
    parser.read_config(_config("inference"))
    parser.update({"dataset_dir": str(SAMPLE / "images"), "mask_dir": str(masks), "fov_dir": str(SAMPLE / "mask")})
    item = parser.get_parsed_content("datalist")[0]
    data = parser.get_parsed_content("preprocessing")(item)
    np.testing.assert_allclose(np.asarray(data["prior"])[0, 0, [0, 20, 40]], [0.0, 0.2, 1.0], atol=1e-6)
    fov = _read(SAMPLE / "mask" / "00_training_mask.gif") > 0
    np.testing.assert_array_equal(np.asarray(data["fov"])[0] > 0, fov)
    image = np.asarray(data["image"])
    assert image.shape == (1, 72, 80) and not image[0][~fov].any()  # green channel, zero outside the FOV
    assert abs(image[0][fov].mean()) < 1e-4 and abs(image[0][fov].std() - 1) < 1e-2  # z-scored inside
    batch = parser.get_parsed_content("prepare_batch")({k: v[None] for k, v in data.items() if k != "image_meta_dict"})
    assert torch.equal(batch[3]["prior"], torch.as_tensor(data["prior"])[None])


def test_trained_model_segments_the_synthetic_fundus(tmp_path):
    """The shipped weights find the synthetic vessels (recall 0.97 when written). The sample's FOV edge is a sharp
    step, which the model marks as a vessel rim, and its vessels are thinner than DRIVE's, so Dice is scored inside
    the FOV eroded by 4 px (0.65 when written; 0.42 over the whole FOV)."""
    model = BUNDLE / "models" / "model.pt"
    if not model.is_file():
        pytest.skip(f"{model} not trained yet")
    _infer(tmp_path / "out", model, fov_dir=str(SAMPLE / "mask"))
    seg = _read(tmp_path / "out" / "00_training_seg.png") > 0
    label = _read(SAMPLE / "1st_manual" / "00_manual1.gif") > 0
    inner = ndimage.binary_erosion(_read(SAMPLE / "mask" / "00_training_mask.gif") > 0, iterations=4)
    seg, label = seg & inner, label & inner
    assert (seg & label).sum() / label.sum() > 0.9
    assert 2 * (seg & label).sum() / (seg.sum() + label.sum()) > 0.55


def _drive_like(root: Path) -> Path:
    for n in range(21, 41):
        write_sample(root, str(n), seed=n)
    return root


def test_train_one_iteration_then_evaluate(tmp_path, monkeypatch):
    data = _drive_like(tmp_path / "drive")
    work = tmp_path / "clean"
    work.mkdir()
    monkeypatch.chdir(work)
    common = {
        "bundle_root": str(tmp_path / "bundle"),
        "dataset_dir": str(data),
        "num_threads": 1,
        "batch_size": 1,
        "num_samples": 2,
        "max_steps": 2,
        "patch_size": [32, 32],  # the synthetic images are 72x80, smaller than the shipped 128x128 patches
        "train#dataloader#num_workers": 0,
    }
    run(config_file=_config("train"), meta_file=_config("metadata"), epochs=1, **common)
    assert (tmp_path / "bundle" / "models" / "model.pt").is_file()
    run(config_file=[_config("train"), _config("evaluate")], meta_file=_config("metadata"), **common)


def test_cldice_comparison_override():
    """``benchmarks/train_drive_cldice.json`` swaps the loss for MONAI's SoftDiceclDiceLoss on the same batches."""
    parser = ConfigParser()
    parser.read_config([_config("train"), str(REPO_ROOT / "benchmarks" / "train_drive_cldice.json")])
    loss = parser.get_parsed_content("loss")
    label = torch.zeros(2, 1, 16, 16)
    label[:, :, 8, 2:14] = 1  # a one-pixel-wide vessel
    targets = {"label": label, "prior": torch.full_like(label, 0.5)}
    assert float(loss(torch.where(label > 0, 20.0, -20.0), targets)) < 1e-3
    missed = torch.full_like(label, -20.0)
    expected = SoftDiceclDiceLoss(iter_=3, alpha=0.5, sigmoid=True)(missed, label)  # the prior plays no part
    assert float(loss(missed, targets)) == pytest.approx(float(expected)) and float(expected) > 0.85


def test_hrf_fine_tuning_override(tmp_path, random_weights):
    """``benchmarks/finetune_drive_hrf.json`` trains on HRF 01-10 (here two synthetic ones in HRF's layout), starting
    from the given weights, with DRIVE validation left as it is."""
    rgb, vessels, fov = synthetic_fundus(seed=3)
    for stem in ("01_dr", "10_h", "11_g"):  # 11 is a test image: not trained on
        for folder, name, array in (("images", f"{stem}.jpg", rgb), ("manual1", f"{stem}.png", vessels)):
            (tmp_path / folder).mkdir(exist_ok=True)
            Image.fromarray(array).save(tmp_path / folder / name)
        (tmp_path / "mask").mkdir(exist_ok=True)
        Image.fromarray(fov).save(tmp_path / "mask" / f"{stem}_mask.png")
    parser = ConfigParser()
    parser.read_config([_config("train"), str(REPO_ROOT / "benchmarks" / "finetune_drive_hrf.json")])
    parser.update({"hrf_dir": str(tmp_path), "pretrained": str(random_weights), "device": "cpu"})
    assert [Path(item["image"]).name for item in parser.get_parsed_content("train#dataset#data")] == [
        "01_dr.jpg",
        "10_h.jpg",
    ]
    assert parser["validate#dataset#data"] == "$monai_refine.data.folders2d.drive_datalist(@dataset_dir, 'validation')"
    network = parser.get_parsed_content("network")
    parser.get_parsed_content("initialize")
    expected = torch.load(random_weights, weights_only=True)
    assert all(torch.equal(value, expected[key]) for key, value in network.state_dict().items())
