"""The three PH2 lesion bundles: metadata, network I/O, the 2D inference contract, one-iteration training."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser, run, verify_metadata, verify_net_in_out
from PIL import Image

from tests.utils import REPO_ROOT, SHARED_DATA

pytestmark = pytest.mark.filterwarnings("ignore:parsing config_file")

BUNDLES = REPO_ROOT / "bundles"
NAMES = ["ph2_lesion_iterative", "ph2_lesion_quality_refinement", "ph2_lesion_cdnn"]
SCHEMA = SHARED_DATA.parent / "monai" / "meta_schema_20240725.json"
#: the network the bundle's metadata describes (QualityUNet returns a dict: its mask output is checked)
NET_ID = {"ph2_lesion_quality_refinement": "network_mask_output"}


def _lesion(seed: int, size: tuple[int, int] = (45, 60)) -> tuple[np.ndarray, np.ndarray]:
    """A brown ellipse on skin-coloured noise, RGB uint8 (H, W, 3), and its mask (H, W) {0, 255}."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: size[0], : size[1]]
    mask = ((yy - size[0] / 2) / (size[0] / 4)) ** 2 + ((xx - size[1] / 2 - seed) / (size[1] / 4)) ** 2 < 1
    image = np.full((*size, 3), (210, 170, 150), dtype=np.float64)
    image[mask] = (100, 60, 40)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    return image, (mask * 255).astype(np.uint8)


def _ph2_like(root: Path, n: int = 4, validation: int = 1) -> Path:
    """``n`` synthetic image/mask pairs in PH2's layout: the last ``validation`` ones are the validation split."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rows = ["name,clinical_diagnosis,split"]
    for i in range(n):
        image, mask = _lesion(i)
        Image.fromarray(image).save(root / "images" / f"IMD{i:03d}.jpg")
        Image.fromarray(mask).save(root / "masks" / f"IMD{i:03d}.png")
        rows.append(f"IMD{i:03d},0,{'validation' if i >= n - validation else 'train'}")
    (root / "split.csv").write_text("\n".join(rows) + "\n")
    return root


def _config(name: str, kind: str) -> str:
    return str(BUNDLES / name / "configs" / f"{kind}.json")


def _random_weights(name: str, path: Path) -> Path:
    parser = ConfigParser()
    parser.read_config(_config(name, "inference"))
    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(parser.get_parsed_content("network_def").state_dict(), path)
    return path


def _infer(name: str, dataset_dir: Path, output_dir: Path, checkpoint: Path, **override) -> None:
    run(
        config_file=_config(name, "inference"),
        meta_file=_config(name, "metadata"),
        logging_file=_config(name, "logging").replace(".json", ".conf"),
        bundle_root=str(BUNDLES / name),
        dataset_dir=str(dataset_dir),
        output_dir=str(output_dir),
        checkpoint=str(checkpoint),
        num_threads=1,
        **override,
    )


@pytest.fixture(autouse=True)
def _quiet():
    logging.getLogger("ignite").setLevel(logging.WARNING)


@pytest.mark.parametrize("name", NAMES)
def test_layout(name):
    for part in (
        "configs/metadata.json",
        "configs/train.json",
        "configs/evaluate.json",
        "configs/inference.json",
        "configs/multi_gpu_train.json",
        "configs/logging.conf",
        "docs/README.md",
        "LICENSE",
    ):
        assert (BUNDLES / name / part).is_file(), part
    for kind in ("train", "inference"):
        config = json.loads(Path(_config(name, kind)).read_text())
        assert "$import monai_refine" in config["imports"]
        targets = [v for v in _values(config) if isinstance(v, str) and v.startswith("monai_refine")]
        assert targets, "the bundle uses the package's classes by their full names"
    train = json.loads(Path(_config(name, "train")).read_text())
    overrides = json.loads(Path(_config(name, "multi_gpu_train")).read_text())
    for key in overrides:  # multi_gpu_train.json only overrides (or adds beside) train.json's ids
        assert key.split("#")[0] in train or key in ("initialize", "run", "finalize"), key


def _values(config):
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "_target_":
                yield value
            yield from _values(value)
    elif isinstance(config, list):
        for value in config:
            yield from _values(value)


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    if not SCHEMA.is_file():
        pytest.skip(f"the MONAI metadata schema {SCHEMA} is absent (offline machine)")
    pytest.importorskip("jsonschema")
    verify_metadata(meta_file=_config(name, "metadata"), filepath=str(SCHEMA))
    meta = json.loads(Path(_config(name, "metadata")).read_text())
    image = meta["network_data_format"]["inputs"]["image"]
    assert sorted(image["channel_def"], key=int) == [str(c) for c in range(image["num_channels"])]


@pytest.mark.parametrize("name", NAMES)
def test_net_in_out(name):
    verify_net_in_out(
        net_id=NET_ID.get(name, "network_def"),
        meta_file=_config(name, "metadata"),
        config_file=_config(name, "inference"),
        device="cpu",
    )


@pytest.mark.parametrize("name", NAMES)
def test_shipped_weights(name):
    model = BUNDLES / name / "models" / "model.pt"
    if not model.is_file():
        pytest.skip(f"{model} not trained yet")
    assert model.stat().st_size <= 10 * 2**20
    parser = ConfigParser()
    parser.read_config(_config(name, "inference"))
    parser.get_parsed_content("network_def").load_state_dict(torch.load(model, map_location="cpu"), strict=True)


@pytest.mark.parametrize("name", NAMES)
def test_inference_contract(name, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    sizes = {"a.bmp": (45, 60), "b.jpg": (50, 70)}
    for i, (file, size) in enumerate(sizes.items()):
        Image.fromarray(_lesion(i, size)[0]).save(images / file)
    (images / "notes.txt").write_text("not an image")
    weights = _random_weights(name, tmp_path / "model.pt")
    _infer(name, images, tmp_path / "out", weights)
    for file, size in sizes.items():
        seg = np.asarray(Image.open(tmp_path / "out" / f"{Path(file).stem}_seg.png"))
        assert seg.shape == size and seg.dtype == np.uint8 and set(np.unique(seg)) <= {0, 255}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_seg.png", "b_seg.png"]


def _cause(excinfo) -> str:
    messages, error = [], excinfo.value
    while error is not None:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    return " | ".join(messages)


def test_inference_errors(tmp_path):
    name = "ph2_lesion_quality_refinement"
    weights = _random_weights(name, tmp_path / "model.pt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception) as excinfo:
        _infer(name, empty, tmp_path / "out", weights)
    assert "holds no image" in _cause(excinfo)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "c.png").write_bytes(b"not a png")
    with pytest.raises(Exception) as excinfo:
        _infer(name, broken, tmp_path / "out", weights)
    assert "c.png is not a readable image" in _cause(excinfo)
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    image, mask = _lesion(0)
    Image.fromarray(image).save(images / "a.jpg")
    Image.fromarray(mask[:-1]).save(masks / "a.png")
    with pytest.raises(Exception) as excinfo:
        _infer(name, images, tmp_path / "out", weights, mask_dir=str(masks))
    assert "a mask must have its image's size" in _cause(excinfo)


def test_refinement_takes_the_given_masks(tmp_path):
    """With --mask_dir the quality bundle refines those masks (``<stem>.png`` or ``<stem>_seg.png``)."""
    name = "ph2_lesion_quality_refinement"
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for i, file in enumerate(("a.tif", "b.png")):
        image, mask = _lesion(i)
        Image.fromarray(image).save(images / file)
        Image.fromarray(mask).save(masks / (f"{Path(file).stem}.png" if i == 0 else f"{Path(file).stem}_seg.png"))
    _infer(name, images, tmp_path / "out", _random_weights(name, tmp_path / "model.pt"), mask_dir=str(masks))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_seg.png", "b_seg.png"]


def test_missing_component_fails():
    parser = ConfigParser()
    parser.read_config(_config("ph2_lesion_iterative", "inference"))
    parser["network_def"]["_target_"] = "monai_refine.networks.nets.NoSuchNet"
    with pytest.raises(Exception, match="NoSuchNet"):
        parser.get_parsed_content("network_def")


@pytest.mark.parametrize("name", NAMES)
def test_train_one_iteration_then_evaluate(name, tmp_path, monkeypatch):
    data = _ph2_like(tmp_path / "data")
    work = tmp_path / "clean"
    work.mkdir()
    monkeypatch.chdir(work)
    common = {
        "bundle_root": str(tmp_path / "bundle"),
        "dataset_dir": str(data),
        "num_threads": 1,
        "batch_size": 2,
        "train#dataloader#num_workers": 0,
    }
    run(config_file=[_config(name, "train")], meta_file=_config(name, "metadata"), epochs=1, **common)
    assert (tmp_path / "bundle" / "models" / "model.pt").is_file()
    run(config_file=[_config(name, "train"), _config(name, "evaluate")], meta_file=_config(name, "metadata"), **common)
