from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
import torch
from PIL import Image

from monai_refine.cli import main
from tests.utils import REPO_ROOT, SLAB_DIR

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


def _nifti_pair(tmp_path, blob=False):
    """A 40x40x6 disc volume and its slice-3 annotation, written with nibabel (not the writer under test).

    ``blob``: a separate bright 5x5 square on slice 5, away from the disc and its background ring.
    """
    xx, yy = np.mgrid[:40, :40]
    disc = ((xx - 20) ** 2 + (yy - 20) ** 2 <= 100)[..., None].repeat(6, axis=-1)
    volume = disc * 100.0
    if blob:
        volume[3:8, 3:8, 5] = 100.0
    annotation = np.zeros(disc.shape, np.uint8)
    annotation[..., 3] = disc[..., 3]
    image_path, annotation_path = tmp_path / "ct.nii.gz", tmp_path / "slice3.nii.gz"
    nib.save(nib.Nifti1Image(volume.astype(np.float32), AFFINE.numpy()), image_path)
    nib.save(nib.Nifti1Image(annotation, AFFINE.numpy()), annotation_path)
    return image_path, annotation_path, disc


def test_intensity_fence_flag(tmp_path, capsys):
    """The presets stop where the result's median intensity leaves the annotated organ's range (slices 0-1 of the
    disc are 180 instead of 100 HU); ``--intensity-fence off`` carries the propagation on to slice 0, and a value
    that is not a number >= 0 or 'off' is refused by the parser."""
    image_path, annotation_path, disc = _nifti_pair(tmp_path)
    volume = nib.load(image_path).get_fdata()
    volume[..., :2] *= 1.8
    nib.save(nib.Nifti1Image(volume.astype(np.float32), AFFINE.numpy()), image_path)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q", "--no-overlay"]
    assert main([*argv, "-o", str(tmp_path / "fenced.nii.gz")]) == 0
    assert main([*argv, "-o", str(tmp_path / "open.nii.gz"), "--intensity-fence", "off"]) == 0
    fenced, opened = (nib.load(tmp_path / f"{name}.nii.gz").get_fdata() > 0 for name in ("fenced", "open"))
    assert [int(fenced[..., z].sum()) for z in range(6)] == [0, 0] + [int(disc[..., z].sum()) for z in range(2, 6)]
    np.testing.assert_array_equal(opened, disc)
    history = json.loads((tmp_path / "fenced_history.json").read_text())
    assert {"index": 1, "stop_reason": "intensity"}.items() <= next(r for r in history if r["index"] == 1).items()
    for bad in ("-1", "nan", "loose"):
        with pytest.raises(SystemExit):
            main([*argv, "--intensity-fence", bad])
        assert "--intensity-fence: expected a number >= 0 or 'off'" in capsys.readouterr().err


def test_propagate_nifti_keeps_the_affine(tmp_path, capsys):
    image_path, annotation_path, disc = _nifti_pair(tmp_path)
    out = tmp_path / "out" / "mask.nii.gz"
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-o", str(out), "-q"]
    assert main([*argv, "--no-overlay"]) == 0
    result = nib.load(out)
    np.testing.assert_allclose(result.affine, AFFINE.numpy(), atol=1e-6)
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
    image_path, annotation_path, disc = _nifti_pair(tmp_path, blob=True)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q"]
    plain, clicked = tmp_path / "plain.nii.gz", tmp_path / "clicked.nii.gz"
    assert main([*argv, "-o", str(plain), "--no-overlay"]) == 0
    np.testing.assert_array_equal(nib.load(plain).get_fdata() > 0, disc)  # the unseeded blob is left out
    clicks = tmp_path / "clicks.json"
    clicks.write_text(json.dumps({"foreground": [[5, 5, 5]], "background": [[1, 1, 0]]}))
    assert main([*argv, "-o", str(clicked), "--clicks", str(clicks)]) == 0
    assert "from slice(s) [3]" in capsys.readouterr().out
    result = nib.load(clicked).get_fdata() > 0
    blob = np.zeros_like(disc)
    blob[3:8, 3:8, 5] = True
    np.testing.assert_array_equal(result[~blob], disc[~blob])  # nothing else changes
    assert result[4:8, 4:8, 5].all() and result[blob].sum() >= 16  # the click adds the blob (graph cut trims its rim)
    assert (tmp_path / "clicked_overlay.png").is_file()
    clicks.write_text(json.dumps({"foreground": [[20, 20, 9]]}))  # slice 9 of a 6-slice volume
    assert main([*argv, "-o", str(clicked), "--clicks", str(clicks), "--overwrite"]) == 2
    assert "lie outside the image" in capsys.readouterr().err
    clicks.write_text(json.dumps({"fg": [[1, 1, 1]]}))
    assert main([*argv, "-o", str(clicked), "--clicks", str(clicks), "--overwrite"]) == 2
    assert "'foreground' and 'background'" in capsys.readouterr().err


# ---- issue 12.1: no input is ever overwritten, whatever the flags ---------------------------------------------------

OUTPUT_NAMES = {"mask": "out.nii.gz", "history": "out_history.json", "overlay": "out_overlay.png"}


@pytest.mark.parametrize("output", sorted(OUTPUT_NAMES))
@pytest.mark.parametrize("role", ["image", "annotation", "reference", "clicks"])
def test_no_output_replaces_an_input(tmp_path, capsys, role, output):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    inputs = {"image": image_path, "annotation": annotation_path, "reference": annotation_path}
    clash = tmp_path / OUTPUT_NAMES[output]  # the input of `role` sits where the `output` will be written
    if role == "clicks":
        clash.write_text(json.dumps({"foreground": [[20, 20, 3]]}))
    else:
        clash.write_bytes(inputs[role].read_bytes())
        inputs[role] = clash
    before = clash.read_bytes()
    argv = ["propagate", "--image", str(inputs["image"]), "--annotation", str(inputs["annotation"])]
    argv += ["--reference", str(inputs["reference"]), "-o", str(tmp_path / "out.nii.gz"), "--overwrite", "-q"]
    argv += ["--clicks", str(clash)] if role == "clicks" else []
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"refusing to write the {output} to {clash}: it is the" in err and err.count("\n") == 1
    assert clash.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"ct.nii.gz", "slice3.nii.gz", clash.name})


def test_links_to_an_input_are_refused(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "--overwrite", "-q"]
    (tmp_path / "sym.nii.gz").symlink_to(annotation_path)
    (tmp_path / "hard.nii.gz").hardlink_to(annotation_path)
    (tmp_path / "dir").symlink_to(tmp_path, target_is_directory=True)
    for out in ("sym.nii.gz", "hard.nii.gz", "dir/slice3.nii.gz"):
        assert main([*argv, "-o", str(tmp_path / out)]) == 2
        assert "refusing to write the mask" in capsys.readouterr().err
    assert nib.load(annotation_path).get_fdata()[..., 3].sum() > 0


def test_output_inside_an_input_series_folder_is_refused(tmp_path, capsys):
    out = SLAB_DIR / "PATIENT_DICOM" / "mask.nii.gz"
    assert main(["propagate", "--ircad", str(SLAB_DIR), "--slice", "12", "-o", str(out), "-q"]) == 2
    assert "inside the CT series folder" in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_needs_overwrite_and_names_the_flag(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    (tmp_path / "out_history.json").write_text("{}")
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q"]
    assert main([*argv, "-o", str(tmp_path / "out.nii.gz")]) == 2
    expected = f"history {tmp_path / 'out_history.json'} already exists; pass --overwrite"
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out.nii.gz").exists()  # nothing computed, nothing written
    assert (tmp_path / "out_history.json").read_text() == "{}"


# ---- issue 12.2: fail fast, before heavy work and heavy imports -----------------------------------------------------


def _run_cli_in_subprocess(argv, cwd=None):
    """Run ``main(argv)`` in a fresh interpreter; return (rc, stderr, heavy modules that were imported)."""
    code = (
        "import sys; from monai_refine.cli import main; rc = main(sys.argv[1:]); "
        "print(sorted(m for m in ('torch', 'monai', 'itk', 'matplotlib', 'maxflow') if m in sys.modules)); "
        "sys.exit(rc)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=cwd, env=env)
    return proc.returncode, proc.stderr, proc.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--slice", "500"], "--slice 500 lies outside the volume: it has 24 slices (0..23)"),
        (["--slice", "12", "-o", "/proc/monai-refine-test/mask.nii.gz"], "is not writable"),
        (["--slice", "12", "-o", "mask.nrrd"], "must end with .nii.gz or .nii"),
        (["--slice", "12", "--organ", "spleen"], "organs with a mask in"),
        (["--slice", "12", "--margin-mm", "0"], "--margin-mm must be a positive distance"),
        (["--slice", "12", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_arguments_fail_before_heavy_imports(tmp_path, argv, message):
    rc, err, heavy = _run_cli_in_subprocess(["propagate", "--ircad", str(SLAB_DIR), *argv, "-q"], cwd=tmp_path)
    assert rc == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert heavy == "[]"  # refused before torch, monai, ITK, matplotlib or PyMaxflow were even imported
    assert list(tmp_path.iterdir()) == []  # no stray ./outputs folder


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    (tmp_path / "ro").mkdir(mode=0o555)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path)]
    assert main([*argv, "-o", str(tmp_path / "ro" / "mask.nii.gz")]) == 2
    assert "is not writable" in capsys.readouterr().err


def test_help_loads_no_heavy_module():
    code = (
        "import sys, contextlib, io; from monai_refine.cli import build_parser\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    build_parser().parse_args(['propagate', '--help'])\n"
        "print(sorted(m for m in ('torch', 'monai', 'itk', 'matplotlib', 'maxflow', 'pydicom') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"


def test_missing_annotation_is_named_in_cli_words(tmp_path, capsys):
    image_path, _, _ = _nifti_pair(tmp_path)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(tmp_path / "nope.nii.gz")]
    assert main(argv) == 2
    assert f"annotation path {tmp_path / 'nope.nii.gz'} does not exist" in capsys.readouterr().err


def test_network_method_hands_the_bundle_and_the_device_to_the_loader(monkeypatch):
    """``--method network``: the bundle and ``--device`` reach ``load_propagation_bundle``, its settings come back."""
    import types

    import monai_refine.data
    from monai_refine.cli import _propagation_method

    settings = {"margin_mm": 1.5, "erosion_mm": 2.5, "min_area_fraction": 0.2, "min_quality": 0.6, "max_growth": 3.0}
    settings.update(prior_stroke_mm=4.0, fill_holes=False, intensity_fence=2.0)
    calls = []

    def load(bundle, overrides=None):
        calls.append((bundle, overrides))
        return "segmenter", types.SimpleNamespace(**settings, window=(-100.0, 200.0))

    monkeypatch.setattr(monai_refine.data, "load_propagation_bundle", load)
    segmenter, kwargs = _propagation_method("network", "my/bundle", device="cuda:1")
    assert calls == [("my/bundle", {"device": "cuda:1"})]
    assert segmenter == "segmenter" and kwargs == settings


def test_no_stray_outputs_folder_when_o_names_the_output(tmp_path, monkeypatch):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q", "--no-overlay"]
    assert main([*argv, "-o", str(tmp_path / "res" / "m.nii.gz")]) == 0
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == ["m.nii.gz", "m_history.json"]


# ---- issue 12.3: broken series are refused by name -----------------------------------------------------------------


def _series(folder, numbers, source="PATIENT_DICOM"):
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        shutil.copy(SLAB_DIR / source / f"image_{n}", folder / f"image_{n}")
    return folder


def _ircad_patient(root, numbers):
    _series(root / "PATIENT_DICOM", numbers)
    _series(root / "MASKS_DICOM" / "liver", numbers, source="MASKS_DICOM/liver")
    return root


def test_missing_slice_is_named_and_allow_gaps_propagates_across(tmp_path, capsys):
    patient = _ircad_patient(tmp_path / "p", [66, 67, 68, 70, 71])  # image_69 (z=110.4 mm) is missing
    argv = ["propagate", "--ircad", str(patient), "--slice", "1", "-q", "--no-overlay", "--method", "copy-previous"]
    assert main([*argv, "-o", str(tmp_path / "m.nii.gz")]) == 2
    err = capsys.readouterr().err
    assert "1 slice(s) missing between z=108.80 mm (image_68) and z=112.00 mm (image_70)" in err
    assert "--allow-gaps" in err and not (tmp_path / "m.nii.gz").exists()
    assert main([*argv, "-o", str(tmp_path / "m.nii.gz"), "--allow-gaps"]) == 0
    mask = nib.load(tmp_path / "m.nii.gz")
    assert mask.shape == (512, 512, 6)
    np.testing.assert_allclose(mask.header.get_zooms(), [0.743, 0.743, 1.6], atol=1e-3)
    areas = mask.get_fdata().sum(axis=(0, 1))
    assert areas[3] == 0 and (np.delete(areas, 3) > 0).all()  # the missing slice stays empty, propagation crosses it
    history = json.loads((tmp_path / "m_history.json").read_text())
    assert {"index": 3, "direction": 0, "area": 0, "stop_reason": "missing-slice"} in history
    assert sorted(r["index"] for r in history) == list(range(6))


def test_duplicated_slice_is_named(tmp_path, capsys):
    folder = _series(tmp_path / "ct", [60, 61, 62])
    shutil.copy(folder / "image_61", folder / "copy_of_61")
    argv = ["propagate", "--image", str(folder), "--annotation", str(folder), "-o", str(tmp_path / "m.nii.gz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "duplicated slices" in err and "copy_of_61 and image_61 both at z=97.60 mm" in err


def test_damaged_preamble_is_named(tmp_path, capsys):
    folder = _series(tmp_path / "ct", [60, 61, 62])
    data = bytearray((folder / "image_61").read_bytes())
    data[128:132] = b"XXXX"  # the 'DICM' marker
    (folder / "image_61").write_bytes(bytes(data))
    (folder / "notes.txt").write_text("not DICOM, ignored")
    argv = ["propagate", "--image", str(folder), "--annotation", str(folder), "-o", str(tmp_path / "m.nii.gz")]
    assert main(argv) == 2
    expected = f"DICOM file {folder / 'image_61'} has a damaged preamble (bytes 128-131 are b'XXXX', not b'DICM')"
    assert expected in capsys.readouterr().err


# ---- issue 12.4: a refused or interrupted run leaves no partial outputs ---------------------------------------------


@pytest.mark.parametrize("failure, rc", [(KeyboardInterrupt, 130), (OSError(28, "No space left on device"), 1)])
def test_failure_while_writing_leaves_no_partial_outputs(tmp_path, capsys, monkeypatch, failure, rc):
    import monai_refine.cli as cli

    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    out_dir = tmp_path / "new" / "folder"

    def broken_overlay(*args, **kwargs):  # the mask and history are already written to temporaries by now
        raise failure

    monkeypatch.setattr(cli, "_save_overlay", broken_overlay)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q"]
    assert main([*argv, "-o", str(out_dir / "m.nii.gz")]) == rc
    assert "no output was written" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # neither files, temporaries, nor the folders made for them


# ---- issue 8.6/8.7: optional heavy dependencies, the demo slab as package data --------------------------------------


def test_sample_slab_is_package_data_with_its_licence():
    import configparser

    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    patterns = config["options.package_data"]["monai_refine"].split()
    packaged = {p for pattern in patterns for p in (REPO_ROOT / "monai_refine").glob(pattern) if p.is_file()}
    slab = {p for p in SLAB_DIR.rglob("*") if p.is_file()}
    assert len(slab) == 50 and slab <= packaged  # 24 CT + 24 mask slices, README.md, LICENSE
    assert "CC BY-NC-ND 3.0" in (SLAB_DIR / "LICENSE").read_text()
    assert main.__module__ == "monai_refine.cli"
    from monai_refine.cli import DEMO_SLAB

    assert DEMO_SLAB.resolve() == SLAB_DIR.resolve() and "tests" not in DEMO_SLAB.parts  # a wheel carries it
    extras = config["options.extras_require"]
    for extra, package in (
        ("dicom", "pydicom"),
        ("dicom", "highdicom"),
        ("graphcut", "PyMaxflow"),
        ("plot", "matplotlib"),
    ):
        assert package in extras[extra] and package not in config["options"]["install_requires"]


def test_graph_cut_without_pymaxflow_names_the_extra(monkeypatch):
    import monai_refine.inferers.segmenters as segmenters

    monkeypatch.setattr(segmenters, "has_maxflow", False)
    with pytest.raises(ImportError, match=r"pip install 'monai-refine\[graphcut\]'"):
        segmenters.GraphCutSegmenter()


# ---- issue 12.6: DICOM SEG output ----------------------------------------------------------------------------------


def test_dicom_seg_output_references_the_series(tmp_path, capsys):
    import highdicom as hd
    import pydicom

    out, seg_path = tmp_path / "m.nii.gz", tmp_path / "liver_seg.dcm"
    argv = ["propagate", "--ircad", str(SLAB_DIR), "--slice", "12", "--method", "copy-previous", "-q", "--no-overlay"]
    assert main([*argv, "-o", str(out), "--dicom-seg", str(seg_path)]) == 0
    assert f"DICOM SEG written to {seg_path}" in capsys.readouterr().out
    ct_files = [SLAB_DIR / "PATIENT_DICOM" / f"image_{n}" for n in range(60, 84)]
    ct = [pydicom.dcmread(f, stop_before_pixels=True) for f in ct_files]
    seg = pydicom.dcmread(seg_path)
    assert seg.Modality == "SEG" and seg.SegmentSequence[0].SegmentLabel == "liver"
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == ct[0].SeriesInstanceUID
    frames = hd.seg.segread(seg_path).get_pixels_by_source_instance(
        source_sop_instance_uids=[c.SOPInstanceUID for c in ct], segment_numbers=[1]
    )
    mask = nib.load(out).get_fdata() > 0  # (X, Y, Z) = (columns, rows, files)
    assert mask.sum() > 0
    np.testing.assert_array_equal(frames[..., 0], mask.transpose(2, 1, 0))


def test_dicom_seg_needs_a_dicom_source(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    argv = ["propagate", "--image", str(image_path), "--annotation", str(annotation_path), "-q"]
    assert main([*argv, "--dicom-seg", str(tmp_path / "s.dcm")]) == 2
    assert "--dicom-seg needs a DICOM source series" in capsys.readouterr().err
    assert main([*argv, "--dicom-seg", str(tmp_path / "s.nii")]) == 2
    assert "--dicom-seg" in capsys.readouterr().err and not list(tmp_path.glob("s.*"))


# ---- issue 12.8: evaluate ------------------------------------------------------------------------------------------


def test_evaluate_per_slice_and_volume(tmp_path, capsys):
    ref = np.zeros((10, 10, 4), np.uint8)
    ref[2:6, 2:6, 1:3] = 1  # a 4x4 square on slices 1 and 2
    pred = ref.copy()
    pred[2:6, 5, 2] = 0  # slice 2 misses one column
    pred[7, 7, 3] = 1  # a false positive on slice 3
    affine = np.diag([0.5, 0.5, 2.0, 1.0])
    for name, data in (("pred.nii.gz", pred), ("ref.nii.gz", ref)):
        nib.save(nib.Nifti1Image(data, affine), tmp_path / name)
    argv = ["evaluate", str(tmp_path / "pred.nii.gz"), str(tmp_path / "ref.nii.gz")]
    assert main([*argv, "-o", str(tmp_path / "s.json"), "--plot", str(tmp_path / "dice.png")]) == 0
    report = json.loads((tmp_path / "s.json").read_text())
    volume = report["volume"]
    assert volume["dice"] == pytest.approx(2 * 28 / (29 + 32)) and volume["sensitivity"] == pytest.approx(28 / 32)
    assert volume["ppv"] == pytest.approx(28 / 29)
    rows = {s["slice"]: s for s in report["slices"]}
    assert sorted(rows) == [1, 2, 3]
    assert rows[1]["dice"] == 1.0 and rows[1]["hd95_mm"] == 0.0 and rows[1]["asd_mm"] == 0.0
    assert rows[2]["dice"] == pytest.approx(24 / 28) and rows[2]["asd_mm"] == pytest.approx(3 / 22)
    assert rows[3]["dice"] is None and rows[3]["ppv"] == 0.0 and rows[3]["hd95_mm"] is None  # no reference there
    assert (tmp_path / "dice.png").stat().st_size > 5_000
    assert "dice 0.918" in capsys.readouterr().out
    assert main([*argv, "-o", str(tmp_path / "s.csv")]) == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == "slice,dice,sensitivity,ppv,hd95_mm,asd_mm" and lines[1].startswith("volume,0.918")
    assert lines[4].startswith("3,,")  # undefined Dice left empty
    assert main([*argv, "-o", str(tmp_path / "ref.nii.gz")]) == 2  # never over an input
    assert "must end with .csv or .json" in capsys.readouterr().err
    assert main([*argv, "-o", str(tmp_path / "s.csv")]) == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_scores_on_the_union_box_equal_the_whole_volume():
    from monai_refine.cli import _union_box
    from monai_refine.metrics import overlap_scores

    a, b = np.zeros((1, 30, 30, 10)), np.zeros((1, 30, 30, 10))
    a[0, 3:9, 4:12, 2:5], b[0, 5:14, 6:10, 3:8] = 1, 1
    cropped = _union_box(a, b)
    assert cropped[0].shape == (1, 11, 8, 6)
    assert overlap_scores(*cropped) == overlap_scores(a, b)
    assert overlap_scores(*cropped)["dice"] == pytest.approx(2 * 32 / (144 + 180))


# ---- issue 12.7: --resume re-runs only what changed ----------------------------------------------------------------


@pytest.mark.slow
def test_resume_changes_a_bounded_run_and_nothing_else(tmp_path, capsys):
    first, second = tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"
    base = ["propagate", "--ircad", str(SLAB_DIR), "-q", "--no-overlay"]
    assert main([*base, "--slice", "12", "-o", str(first)]) == 0
    before = nib.load(first).get_fdata() > 0
    clicks = tmp_path / "clicks.json"
    resume = [*base, "--resume", str(first), "--clicks", str(clicks), "-o", str(second), "--overwrite"]

    clicks.write_text(json.dumps({"background": [[5, 5, 18]]}))  # far outside the liver: changes nothing
    assert main(resume) == 0
    history = json.loads((tmp_path / "b_history.json").read_text())
    assert [(r["index"], r["direction"], r["changed"]) for r in history] == [(18, 1, False)]  # slice 18 only
    np.testing.assert_array_equal(nib.load(second).get_fdata() > 0, before)

    x, y = np.nonzero(before[..., 18])
    click = [int(x.max()) + 8, int(y[np.argmax(x)]), 18]  # 8 voxels outside the liver's edge, on slice 18
    assert not before[tuple(click)]
    clicks.write_text(json.dumps({"foreground": [click]}))
    capsys.readouterr()
    assert main(resume) == 0
    after = nib.load(second).get_fdata() > 0
    assert after[tuple(click)]  # the correction is applied
    changed = np.flatnonzero((after != before).any(axis=(0, 1))).tolist()
    history = json.loads((tmp_path / "b_history.json").read_text())
    assert [r["index"] for r in history if r["changed"]] == changed  # the history lists exactly what changed
    assert changed[0] == 18 and changed == list(range(18, changed[-1] + 1))  # one run, upward from the click
    np.testing.assert_array_equal(after[..., :18], before[..., :18])  # the rest is bit-identical
    assert f"re-segmented {len(history)} slice(s)" in capsys.readouterr().out


def test_resume_arguments(tmp_path, capsys):
    image_path, annotation_path, _ = _nifti_pair(tmp_path)
    previous = tmp_path / "prev.nii.gz"
    previous.write_bytes(annotation_path.read_bytes())
    argv = ["propagate", "--image", str(image_path), "--resume", str(previous)]
    assert main(argv) == 2
    assert "--resume needs --clicks" in capsys.readouterr().err
    clicks = tmp_path / "c.json"
    clicks.write_text(json.dumps({"foreground": [[20, 20, 4]]}))
    assert main([*argv, "--clicks", str(clicks)]) == 2
    assert f"--resume needs the history {tmp_path / 'prev_history.json'}" in capsys.readouterr().err
    (tmp_path / "prev_history.json").write_text("[]")
    assert main([*argv, "--clicks", str(clicks), "-o", str(previous), "--overwrite"]) == 2
    assert "it is the previous mask" in capsys.readouterr().err


def test_method_choices_are_the_presets():
    from monai_refine.cli import METHODS
    from monai_refine.inferers import PRESETS

    # adding a method: one entry in each (and its preset); "network" loads a bundle instead of a preset
    assert [m for m in METHODS if m != "network"] == list(PRESETS)


def test_a_slice_one_past_the_last_lies_outside(tmp_path):
    from monai_refine.cli import CommandError, build_parser, plan_propagation

    argv = ["propagate", "--ircad", str(SLAB_DIR), "-o", str(tmp_path / "m.nii.gz"), "--slice"]
    assert plan_propagation(build_parser().parse_args([*argv, "23"])).slices == [23]  # the last of 24 slices
    with pytest.raises(CommandError, match=r"--slice 24 lies outside the volume: it has 24 slices \(0\.\.23\)"):
        plan_propagation(build_parser().parse_args([*argv, "24"]))
    assert list(tmp_path.iterdir()) == []  # planning writes nothing


def test_a_click_on_the_far_edge_lies_outside():
    from pathlib import Path

    from monai_refine.cli import CommandError, _check_clicks_inside

    _check_clicks_inside({"foreground": [[9, 9, 5]]}, (10, 10, 6), Path("clicks.json"))  # the last voxel: inside
    with pytest.raises(CommandError, match="lie outside the image"):
        _check_clicks_inside({"background": [[9, 10, 5]]}, (10, 10, 6), Path("clicks.json"))  # one past the edge


def test_header_slice_axis_reads_the_rows_of_the_direction():
    """``direction[row][column]`` (columns = array axes): array axis j's world z component is ``direction[2][j]``. With
    the array axes along world y, z and x the slices lie across axis 1, as slice_axis_from_affine says."""
    from monai_refine.cli import _slice_axis
    from monai_refine.utils import slice_axis_from_affine

    direction = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    affine = np.eye(4)
    affine[:3, :3] = direction
    assert _slice_axis(direction) == slice_axis_from_affine(affine) == 1


def _run_python(*args: str) -> subprocess.CompletedProcess:
    """``python -c CODE`` (one argument) or ``python ARGS...`` with this checkout importable; output captured."""
    argv = ["-c", *args] if len(args) == 1 else list(args)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env)


def test_entry_point_flushes_and_exits_with_the_code_without_teardown(tmp_path):
    """``monai-refine`` (``entry_point``) ends with ``os._exit`` after flushing: the exit code and every line written
    to a pipe arrive, the interpreter's teardown (atexit, module clean-up: 1-2 s after torch/monai) is skipped, and a
    refused command still prints its one line with exit code 2 (issue 12.5)."""
    code = (
        "import atexit, sys; import monai_refine.cli as cli\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "def fake_main(argv=None):\n"
        "    print('\\n'.join(f'line {k}' for k in range(20000))); print('to stderr', file=sys.stderr); return 3\n"
        "cli.main = fake_main\n"
        "cli.entry_point()\n"
    )
    proc = _run_python(code)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 3 and len(lines) == 20000 and lines[-1] == "line 19999" and "teardown ran" not in lines
    assert proc.stderr == "to stderr\n"
    proc = _run_python("-m", "monai_refine.cli", "propagate", "--ircad", str(SLAB_DIR), "--slice", "500", "-q")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--slice 500 lies outside" in proc.stderr


def test_entry_point_under_a_profiler_exits_normally():
    """Under cProfile (or a tracer such as coverage) the normal exit runs, so the profile is written."""
    code = (
        "import atexit, cProfile, sys; import monai_refine.cli as cli\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "cli.main = lambda argv=None: 4\n"
        "cProfile.Profile().enable()\n"
        "cli.entry_point()\n"
    )
    proc = _run_python(code)
    assert proc.returncode == 4 and proc.stdout.splitlines() == ["teardown ran"]


def test_overlay_draws_both_outlines_on_the_windowed_slice(tmp_path):
    """One panel per slice, the CT pixel grid kept (width X, height Y + two 16-px title rows): the result's outline
    (a 10 x 20 square: 56 border pixels) in pure green over the reference's in pure red, on -150..250 HU in grey."""
    from PIL import Image

    from monai_refine.cli import _save_overlay

    image = np.full((1, 40, 30, 4), 50, dtype=np.int16)  # (1, X, Y, Z): (50 + 150) * 255 / 400 -> grey 127
    mask, reference = np.zeros((2, 1, 40, 30, 4), dtype=np.uint8)
    mask[0, 10:30, 5:15, 2] = 1  # X 10..29, Y 5..14
    reference[0, 10:30, 5:15, 2] = 1
    reference[0, 5:8, 20:23, 2] = 1  # a 3 x 3 block of reference only: 8 border pixels
    _save_overlay(image, mask, reference, tmp_path / "o.png", [1, 2], axis=2)
    rgb = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert rgb.shape == (30 + 32, 2 * 40, 3)
    panel = rgb[32:, 40:]  # slice 2, rows = Y, columns = X
    green = (panel == (0, 255, 0)).all(-1)
    red = (panel == (255, 0, 0)).all(-1)
    assert green.sum() == 56 and green[5, 10:30].all() and green[14, 10:30].all() and not green[6:14, 11:29].any()
    assert red.sum() == 8 and red[20:23, 5:8].sum() == 8
    assert (rgb[32:, :40] == 127).all()  # slice 1: nothing drawn, the windowed grey
