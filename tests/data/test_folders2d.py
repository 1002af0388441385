from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor, PILReader
from monai.transforms import LoadImage
from PIL import Image

from monai_refine.data.folders2d import (
    SaveMask2D,
    SaveMask2Dd,
    drive_datalist,
    grey_converter,
    hrf_datalist,
    image_folder_datalist,
    image_size,
    ph2_datalist,
    rgb_converter,
)


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


def test_save_mask_threshold_and_postfix(tmp_path):
    image = _save(tmp_path / "a.png", size=(2, 2))
    prob = torch.tensor([[[0.2, 0.4], [0.6, 0.8]]])  # at the image's size: no resizing
    out = SaveMask2D(tmp_path / "o", postfix="_p", threshold=0.3)(prob, image)
    assert out.name == "a_p.png"
    np.testing.assert_array_equal(np.asarray(Image.open(out)), [[0, 255], [255, 255]])  # 0.4 >= 0.3: foreground


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


def test_image_folder_datalist_fov_masks(tmp_path):
    """``fov_dir`` pairs DRIVE's ``<stem>_mask.gif`` and HRF's ``<stem>_mask.png`` (and ``<stem>.gif``) by stem."""
    for name in ("21_training.tif", "01_dr.jpg", "x.png"):
        _save(tmp_path / name)
    fov = tmp_path / "fov"
    fov.mkdir()
    _save(fov / "21_training_mask.gif", mode="L")
    _save(fov / "01_dr_mask.png", mode="L")
    _save(fov / "x.gif", mode="L")
    items = image_folder_datalist(tmp_path, fov_dir=fov)
    assert [(i["image"].split("/")[-1], i["fov"].split("/")[-1]) for i in items] == [
        ("01_dr.jpg", "01_dr_mask.png"),
        ("21_training.tif", "21_training_mask.gif"),
        ("x.png", "x.gif"),
    ]
    assert "prior" not in items[0] and image_folder_datalist(tmp_path, fov_dir="") == [
        {"image": i["image"]} for i in items
    ]
    (fov / "x.gif").unlink()
    with pytest.raises(ValueError, match="fov_dir .* has no x_mask.gif or .* for image x.png"):
        image_folder_datalist(tmp_path, fov_dir=fov)
    _save(fov / "x_mask.png", size=(5, 8), mode="L")
    with pytest.raises(ValueError, match="a mask must have its image's size"):
        image_folder_datalist(tmp_path, fov_dir=fov)
    with pytest.raises(ValueError, match="fov_dir .* is not a folder"):
        image_folder_datalist(tmp_path, fov_dir=tmp_path / "missing")


def _drive_like(root, ids=range(21, 41)):
    for sub in ("images", "1st_manual", "mask"):
        (root / sub).mkdir(parents=True)
    for n in ids:
        _save(root / "images" / f"{n}_training.tif")
        _save(root / "1st_manual" / f"{n}_manual1.gif", mode="L")
        _save(root / "mask" / f"{n}_training_mask.gif", mode="L")
    return root


def test_drive_datalist(tmp_path):
    root = _drive_like(tmp_path)
    train, val = drive_datalist(root, "train"), drive_datalist(root, "validation")
    assert [i["image"].split("/")[-1] for i in val] == [f"{n}_training.tif" for n in range(35, 41)]
    assert len(train) == 14 and train[0] == {
        "image": str(root / "images" / "21_training.tif"),
        "label": str(root / "1st_manual" / "21_manual1.gif"),
        "fov": str(root / "mask" / "21_training_mask.gif"),
    }
    with pytest.raises(ValueError, match="split must be one of"):
        drive_datalist(root, "test")
    (root / "mask" / "37_training_mask.gif").unlink()
    with pytest.raises(ValueError, match="37_training_mask.gif"):
        drive_datalist(root, "validation")


def test_hrf_datalist(tmp_path):
    for sub in ("images", "manual1", "mask"):
        (tmp_path / sub).mkdir()
    for stem in ("10_h", "11_dr", "11_g", "15_h", "16_x"):
        _save(tmp_path / "images" / f"{stem}.jpg")
        _save(tmp_path / "manual1" / f"{stem}.png", mode="L")
        _save(tmp_path / "mask" / f"{stem}_mask.png", mode="L")
    items = hrf_datalist(tmp_path)
    assert [i["image"].split("/")[-1] for i in items] == ["11_dr.jpg", "11_g.jpg", "15_h.jpg"]
    assert items[0]["label"].endswith("manual1/11_dr.png") and items[0]["fov"].endswith("mask/11_dr_mask.png")
    assert [i["image"].split("/")[-1] for i in hrf_datalist(tmp_path, [10])] == ["10_h.jpg"]
    with pytest.raises(ValueError, match="no images/NN_"):
        hrf_datalist(tmp_path, [1, 2])
    (tmp_path / "manual1" / "15_h.png").unlink()
    with pytest.raises(ValueError, match="lacks manual1/15_h.png"):
        hrf_datalist(tmp_path)
    _save(tmp_path / "manual1" / "15_h.png", mode="L")
    (tmp_path / "mask" / "11_g_mask.png").unlink()  # a label but no FOV mask
    with pytest.raises(ValueError, match="mask/11_g_mask.png"):
        hrf_datalist(tmp_path)


def test_bundle_readers_on_gif_and_tif(tmp_path):
    """The readers of the 2D bundles: a palette GIF label reads as {0, 255} grey, an RGB TIF as (3, H, W)."""
    vessels = np.zeros((5, 7), dtype=np.uint8)
    vessels[2, 1:6] = 255
    palette = Image.fromarray(vessels).convert("P")  # GIFs store palette indices, not grey values
    palette.save(tmp_path / "01_manual1.gif")
    assert Image.open(tmp_path / "01_manual1.gif").mode == "P"
    rgb = np.zeros((5, 7, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[1, 3] = 200, 90, (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "01_training.tif")
    grey = PILReader(converter=grey_converter, reverse_indexing=False)
    colour = PILReader(converter=rgb_converter, reverse_indexing=False)
    label = LoadImage(reader=grey, image_only=True, ensure_channel_first=True)(tmp_path / "01_manual1.gif")
    image = LoadImage(reader=colour, image_only=True, ensure_channel_first=True)(tmp_path / "01_training.tif")
    np.testing.assert_array_equal(np.asarray(label), vessels[None])
    assert image.shape == (3, 5, 7)
    np.testing.assert_array_equal(np.asarray(image)[:, 1, 3], [10, 20, 30])
    np.testing.assert_array_equal(np.asarray(image)[:, 0, 0], [200, 90, 0])
