from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from PIL import Image

from monai_refine.data.folders2d import SaveMask2D, SaveMask2Dd, image_folder_datalist, image_size, ph2_datalist


def _save(path, size=(6, 8), mode="RGB"):
    Image.new(mode, (size[1], size[0])).save(path)
    return path


def test_image_folder_datalist_pairs_masks_and_skips_other_files(tmp_path):
    for name in ("b.BMP", "a.jpg", "c.tif", ".hidden.png"):
        _save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("x")
    masks = tmp_path / "masks"
    masks.mkdir()
    _save(masks / "a.png", mode="L")
    _save(masks / "b_seg.png", mode="L")
    _save(masks / "c.png", mode="L")
    items = image_folder_datalist(tmp_path, masks)
    assert [(i["image"].split("/")[-1], i["prior"].split("/")[-1]) for i in items] == [
        ("a.jpg", "a.png"),
        ("b.BMP", "b_seg.png"),
        ("c.tif", "c.png"),
    ]
    assert image_folder_datalist(tmp_path, "") == [{"image": i["image"]} for i in items]


def test_image_folder_datalist_errors(tmp_path):
    with pytest.raises(ValueError, match="holds no image"):
        image_folder_datalist(tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        image_folder_datalist(tmp_path / "missing")
    _save(tmp_path / "a.png")
    masks = tmp_path / "masks"
    masks.mkdir()
    with pytest.raises(ValueError, match="has no a.png or a_seg.png"):
        image_folder_datalist(tmp_path, masks)
    _save(masks / "a.png", size=(6, 9))
    with pytest.raises(ValueError, match=r"is 6x9 \(HxW\) but image .* is 6x8"):
        image_folder_datalist(tmp_path, masks)
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(ValueError, match="b.jpg is not a readable image"):
        image_folder_datalist(tmp_path)


def test_image_size(tmp_path):
    assert image_size(_save(tmp_path / "a.bmp", size=(5, 7))) == (5, 7)


def test_ph2_datalist(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for name in ("IMD001", "IMD002"):
        _save(tmp_path / "images" / f"{name}.bmp")
        _save(tmp_path / "masks" / f"{name}.png", mode="L")
    (tmp_path / "split.csv").write_text("name,clinical_diagnosis,split\nIMD001,0,train\nIMD002,2,validation\n")
    items = ph2_datalist(tmp_path, "validation")
    assert [(i["image"].split("/")[-1], i["label"].split("/")[-1]) for i in items] == [("IMD002.bmp", "IMD002.png")]
    with pytest.raises(ValueError, match="split 'test' has no item"):
        ph2_datalist(tmp_path, "test")
    (tmp_path / "masks" / "IMD001.png").unlink()
    with pytest.raises(ValueError, match="IMD001"):
        ph2_datalist(tmp_path, "train")


def test_save_mask_resizes_to_the_image_and_writes_0_255(tmp_path):
    image = _save(tmp_path / "lesion.jpg", size=(4, 6))
    prob = torch.zeros(1, 2, 3)
    prob[0, :, :2] = 0.9  # the left two thirds of a 2x3 map: the left 4 of 6 columns at 4x6
    out = SaveMask2D(tmp_path / "out")(prob, image)
    assert out.name == "lesion_seg.png"
    seg = np.asarray(Image.open(out))
    assert seg.dtype == np.uint8 and seg.shape == (4, 6)
    np.testing.assert_array_equal(seg, np.repeat([[255, 255, 255, 255, 0, 0]], 4, axis=0).astype(np.uint8))
    with pytest.raises(ValueError, match="one \\(1, H, W\\) map"):
        SaveMask2D(tmp_path)(torch.zeros(2, 2, 3), image)


def test_save_mask_dict_reads_the_source_file(tmp_path):
    image = _save(tmp_path / "x.png", size=(3, 3))
    data = {
        "image": MetaTensor(torch.zeros(3, 3, 3), meta={"filename_or_obj": str(image)}),
        "pred": torch.ones(1, 3, 3),
    }
    SaveMask2Dd("pred", output_dir=tmp_path / "o")(data)
    assert np.asarray(Image.open(tmp_path / "o" / "x_seg.png")).min() == 255
    with pytest.raises(ValueError, match="filename_or_obj"):
        SaveMask2Dd("pred", output_dir=tmp_path / "o")({"image": torch.zeros(3, 3, 3), "pred": torch.ones(1, 3, 3)})
