from __future__ import annotations

import json
import re

import nibabel as nib
import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from PIL import Image

from monai_refine.cli import main
from monai_refine.data import write_nifti

AFFINE = torch.tensor([[-0.8, 0, 0, 10.0], [0, -0.8, 0, 20.0], [0, 0, 2.0, -30.0], [0, 0, 0, 1]], dtype=torch.float64)


@pytest.mark.slow
def test_demo_on_the_shipped_slab(tmp_path, capsys):
    assert main(["demo", "--output-dir", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    dice = float(re.search(r"dice (\d\.\d+)", out).group(1))
    assert dice > 0.95  # measured 0.962
    mask_file = tmp_path / "ircad_patient17_slab_liver_graph-cut.nii.gz"
    mask = nib.load(mask_file)
    assert mask.shape == (512, 512, 24) and set(np.unique(mask.get_fdata())) == {0.0, 1.0}
    np.testing.assert_allclose(np.abs(np.diag(mask.affine))[:3], [0.743, 0.743, 1.6], atol=1e-3)
    history = json.loads((tmp_path / "ircad_patient17_slab_liver_graph-cut_history.json").read_text())
    assert len(history) == 24 and history[0]["index"] == 12
    assert (tmp_path / "ircad_patient17_slab_liver_graph-cut_overlay.png").stat().st_size > 10_000
    # a second run refuses to replace the results unless asked
    assert main(["demo", "--output-dir", str(tmp_path), "-q", "--no-overlay"]) == 2
    assert "already exists" in capsys.readouterr().err


def _nifti_pair(tmp_path):
    xx, yy = np.mgrid[:40, :40]
    disc = ((xx - 20) ** 2 + (yy - 20) ** 2 <= 100)[..., None].repeat(6, axis=-1)
    volume = MetaTensor(torch.as_tensor(disc[None] * 100.0, dtype=torch.float32), affine=AFFINE)
    annotation = np.zeros_like(disc)
    annotation[..., 3] = disc[..., 3]
    image_path, annotation_path = tmp_path / "ct.nii.gz", tmp_path / "slice3.nii.gz"
    write_nifti(volume, image_path)
    write_nifti(MetaTensor(torch.as_tensor(annotation[None], dtype=torch.uint8), affine=AFFINE), annotation_path)
    return image_path, annotation_path, disc


def test_propagate_nifti_keeps_the_affine(tmp_path, capsys):
    image_path, annotation_path, disc = _nifti_pair(tmp_path)
    out = tmp_path / "out" / "mask.nii.gz"
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-o", str(out), "-q"]
    assert main([*argv, "--no-overlay"]) == 0
    result = nib.load(out)
    np.testing.assert_allclose(result.affine, nib.load(image_path).affine)
    np.testing.assert_array_equal(result.get_fdata() > 0, disc)
    assert "mask written to" in capsys.readouterr().out


def test_propagate_refuses_to_overwrite_its_input(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-o", str(image_path)]
    assert main([*argv, "--overwrite", "-q", "--no-overlay"]) == 2
    assert "refusing to write" in capsys.readouterr().err


def test_demo_with_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--data", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_datalist_command(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for name in ("ISIC_1", "ISIC_2"):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "images" / f"{name}.jpg")
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "masks" / f"{name}_segmentation.png")
    out = tmp_path / "datalist.json"
    argv = ["datalist", str(tmp_path / "images"), str(tmp_path / "masks"), "--mask-suffix", "_segmentation"]
    assert main([*argv, "-o", str(out)]) == 0
    assert len(json.loads(out.read_text())["training"]) == 2
    (tmp_path / "images" / "ISIC_3.jpg").write_bytes((tmp_path / "images" / "ISIC_1.jpg").read_bytes())
    assert main([*argv, "-o", str(tmp_path / "other.json")]) == 2
    assert "ISIC_3" in capsys.readouterr().err


def test_propagate_with_user_clicks_and_overlay(tmp_path, capsys):
    image_path, annotation_path, disc = _nifti_pair(tmp_path)
    clicks = tmp_path / "clicks.json"
    clicks.write_text(json.dumps({"foreground": [[20, 20, 5]], "background": [[1, 1, 0]]}))
    out = tmp_path / "mask.nii.gz"
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-o", str(out), "-q"]
    assert main([*argv, "--clicks", str(clicks)]) == 0
    np.testing.assert_array_equal(nib.load(out).get_fdata() > 0, disc)
    assert "from slice(s) [3]" in capsys.readouterr().out
    assert (tmp_path / "mask_overlay.png").is_file()
    clicks.write_text(json.dumps({"foreground": [[20, 20, 9]]}))  # slice 9 of a 6-slice volume
    assert main([*argv, "--clicks", str(clicks), "--overwrite"]) == 2
    assert "lie outside the image" in capsys.readouterr().err
    clicks.write_text(json.dumps({"fg": [[1, 1, 1]]}))
    assert main([*argv, "--clicks", str(clicks), "--overwrite"]) == 2
    assert "'foreground' and 'background'" in capsys.readouterr().err
