"""Tests for ``monai_refine.data.datalist``: pairing image/mask folders and writing MONAI datalist JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monai.data import load_decathlon_datalist

from monai_refine.data import build_datalist, split_datalist, write_datalist
from tests.utils import SHARED_DATA, requires_shared_data


def touch(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_ham10000_layout(tmp_path):
    images = touch(tmp_path / "images", "ISIC_0024306.jpg", "ISIC_0024307.jpg", "README.txt", ".DS_Store")
    masks = touch(tmp_path / "masks", "ISIC_0024306_segmentation.png", "ISIC_0024307_segmentation.png")
    datalist = build_datalist(images, masks, mask_suffix="_segmentation")
    assert datalist == [
        {"image": str(images / "ISIC_0024306.jpg"), "label": str(masks / "ISIC_0024306_segmentation.png")},
        {"image": str(images / "ISIC_0024307.jpg"), "label": str(masks / "ISIC_0024307_segmentation.png")},
    ]


def test_hrf_layout_with_fov(tmp_path):
    images = touch(tmp_path / "images", "01_dr.jpg", "01_g.jpg", "02_h.JPG")
    manual = touch(tmp_path / "manual1", "01_dr.png", "01_g.png", "02_h.png")
    fov = touch(tmp_path / "mask", "01_dr_mask.png", "01_g_mask.png", "02_h_mask.png")
    datalist = build_datalist(images, manual, fov_dir=fov)
    assert [Path(item["image"]).name for item in datalist] == ["01_dr.jpg", "01_g.jpg", "02_h.JPG"]
    assert datalist[0] == {
        "image": str(images / "01_dr.jpg"),
        "label": str(manual / "01_dr.png"),
        "fov": str(fov / "01_dr_mask.png"),
    }


def test_drive_layout(tmp_path):
    images = touch(tmp_path / "images", "21_training.tif", "22_training.tif")
    manual = touch(tmp_path / "1st_manual", "21_manual1.gif", "22_manual1.gif")
    fov = touch(tmp_path / "mask", "21_training_mask.gif", "22_training_mask.gif")
    datalist = build_datalist(
        images, manual, "_manual1", fov, "_training_mask", image_suffix="_training", fov_key="roi"
    )
    assert datalist[1] == {
        "image": str(images / "22_training.tif"),
        "label": str(manual / "22_manual1.gif"),
        "roi": str(fov / "22_training_mask.gif"),
    }


def test_nifti_extension(tmp_path):
    images = touch(tmp_path / "images", "case_1.nii.gz")
    masks = touch(tmp_path / "labels", "case_1_seg.nii.gz")
    assert build_datalist(images, masks, "_seg")[0]["label"] == str(masks / "case_1_seg.nii.gz")


def test_unmatched_files_are_listed(tmp_path):
    images = touch(tmp_path / "images", "01_dr.jpg", "02_dr.jpg", "03_dr.jpg")
    manual = touch(tmp_path / "manual1", "01_dr.png", "03_dr.png", "04_dr.png")
    fov = touch(tmp_path / "mask", "01_dr_mask.png", "02_dr_mask.png", "03_dr.png")
    with pytest.raises(ValueError, match="cannot pair the files") as err:
        build_datalist(images, manual, fov_dir=fov)
    message = str(err.value)
    assert f"1 images without a file '<key>.<ext>' in {manual}: ['02_dr.jpg']" in message
    assert f"1 masks in {manual} without an image (suffix ''): ['04_dr.png']" in message
    assert f"1 images without a file '<key>_mask.<ext>' in {fov}: ['03_dr.jpg']" in message
    assert f"1 FOV masks in {fov} without an image (suffix '_mask'): ['03_dr.png']" in message


def test_images_without_image_suffix_are_listed(tmp_path):
    images = touch(tmp_path / "images", "21_training.tif", "21_test.tif")
    masks = touch(tmp_path / "manual", "21_manual1.gif")
    with pytest.raises(ValueError, match=r"images without suffix '_training': \['21_test.tif'\]"):
        build_datalist(images, masks, "_manual1", image_suffix="_training")


def test_duplicate_keys(tmp_path):
    images = touch(tmp_path / "images", "a.png", "a.jpg")
    masks = touch(tmp_path / "masks", "a.png")
    with pytest.raises(ValueError, match=r"images folder .* several files with the same key: a: \['a.jpg', 'a.png'\]"):
        build_datalist(images, masks)


def test_missing_and_empty_folders(tmp_path):
    masks = touch(tmp_path / "masks", "a.png")
    with pytest.raises(FileNotFoundError, match="images folder .*nowhere does not exist"):
        build_datalist(tmp_path / "nowhere", masks)
    with pytest.raises(FileNotFoundError, match="masks folder .*nowhere does not exist"):
        build_datalist(masks, tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no image file"):
        build_datalist(touch(tmp_path / "empty", "notes.txt"), masks)
    with pytest.raises(ValueError, match="fov_key must differ"):
        build_datalist(masks, masks, fov_dir=masks, fov_key="label")


def test_round_trip_through_monai(tmp_path):
    images = touch(tmp_path / "data" / "images", *(f"{i:02d}_h.jpg" for i in range(1, 6)))
    manual = touch(tmp_path / "data" / "manual1", *(f"{i:02d}_h.png" for i in range(1, 6)))
    fov = touch(tmp_path / "data" / "mask", *(f"{i:02d}_h_mask.png" for i in range(1, 6)))
    datalist = build_datalist(images, manual, fov_dir=fov)
    train, val = split_datalist(datalist, 0.4, seed=3)
    path = write_datalist(train, tmp_path / "data" / "datalist.json", validation=val)

    stored = json.loads(path.read_text())
    assert set(stored) == {"training", "validation"}
    assert stored["validation"][0]["image"].startswith("images/")  # relative to the JSON file's folder
    assert load_decathlon_datalist(path, data_list_key="training") == train
    assert load_decathlon_datalist(path, data_list_key="validation") == val
    assert [p.name for p in path.parent.iterdir() if p.is_file()] == ["datalist.json"]  # no temp file left


def test_paths_outside_the_json_folder_stay_absolute(tmp_path):
    datalist = build_datalist(touch(tmp_path / "images", "a.png"), touch(tmp_path / "masks", "a.png"))
    path = write_datalist(datalist, tmp_path / "out" / "datalist.json")
    assert json.loads(path.read_text()) == {"training": datalist}
    assert load_decathlon_datalist(path) == datalist
    inside = write_datalist(datalist, tmp_path / "all.json", absolute_paths=True)
    assert json.loads(inside.read_text()) == {"training": datalist}


def test_write_datalist_errors(tmp_path):
    item = {"image": "/data/a.png", "label": "/data/a_mask.png"}
    path = write_datalist([item], tmp_path / "datalist.json")
    with pytest.raises(ValueError, match="already exists"):
        write_datalist([item], path)
    with pytest.raises(ValueError, match="datalist is empty"):
        write_datalist([], tmp_path / "empty.json")
    with pytest.raises(ValueError, match=r"1 images are in both training and validation: \['/data/a.png'\]"):
        write_datalist([item], path, validation=[item], overwrite=True)


def test_split_datalist():
    datalist = [{"image": f"{i}.png", "label": f"{i}_mask.png"} for i in range(10)]
    train, val = split_datalist(datalist, 0.3, seed=1)
    assert (len(train), len(val)) == (7, 3)
    assert sorted(d["image"] for d in train + val) == sorted(d["image"] for d in datalist)
    assert split_datalist(datalist, 0.3, seed=1) == (train, val)
    assert len(split_datalist(datalist[:2], 0.01)[1]) == 1  # at least one item on each side
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="val_fraction must be in"):
            split_datalist(datalist, bad)
    with pytest.raises(ValueError, match="at least 2 items"):
        split_datalist(datalist[:1], 0.5)


@pytest.mark.shared_data
@requires_shared_data
def test_real_hrf_and_ham10000(tmp_path):
    hrf = SHARED_DATA / "retina" / "hrf"
    datalist = build_datalist(hrf / "images", hrf / "manual1", fov_dir=hrf / "mask")
    assert len(datalist) == 42
    assert all(Path(d["fov"]).name == Path(d["image"]).stem + "_mask.png" for d in datalist)
    path = write_datalist(datalist, tmp_path / "hrf.json")
    assert load_decathlon_datalist(path) == datalist

    ham = SHARED_DATA / "dermoscopy" / "ham10000"
    datalist = build_datalist(ham / "images", ham / "masks")
    assert len(datalist) == 5
    assert all(Path(d["label"]).stem == Path(d["image"]).stem for d in datalist)
