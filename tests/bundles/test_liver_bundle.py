"""The liver slice-propagation bundle: metadata, network I/O, a short seeded training run, shipped-weight inference."""

from __future__ import annotations

import inspect
import json
import logging

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser, run, verify_metadata, verify_net_in_out
from monai.data import MetaTensor
from monai.utils import set_determinism

from monai_refine.data import load_datalist_volumes, load_ircad_patient, load_propagation_bundle
from monai_refine.inferers import SlicePropagator, annotate_slices, middle_slice
from monai_refine.metrics import overlap_scores
from tests.data.test_slice_samples import _nifti_pair
from tests.utils import REPO_ROOT, SHARED_DATA, SLAB_DIR, organ_ends_volume

pytestmark = pytest.mark.filterwarnings("ignore:parsing config_file")

BUNDLE = REPO_ROOT / "bundles" / "liver_ct_slice_propagation"
CONFIGS = BUNDLE / "configs"
SCHEMA = SHARED_DATA.parent / "monai" / "meta_schema_20240725.json"


@pytest.fixture(autouse=True)
def _quiet():
    logging.getLogger("ignite").setLevel(logging.WARNING)


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"the offline MONAI schema {SCHEMA} is absent")
def test_metadata_verifies():
    verify_metadata(meta_file=str(CONFIGS / "metadata.json"), filepath=str(SCHEMA))
    image = json.loads((CONFIGS / "metadata.json").read_text())["network_data_format"]["inputs"]["image"]
    assert sorted(image["channel_def"], key=int) == [str(c) for c in range(image["num_channels"])]


def test_net_in_out():
    verify_net_in_out(
        net_id="network_refined_output",
        meta_file=str(CONFIGS / "metadata.json"),
        config_file=str(CONFIGS / "inference.json"),
        device="cpu",
    )


def test_weights_are_small():
    assert (BUNDLE / "models" / "model.pt").stat().st_size <= 10 * 2**20


def _slab_training(ckpt_dir, **overrides) -> ConfigParser:
    """train.json on the shipped slab, checkpoints in ``ckpt_dir``, with ``overrides`` (config ids)."""
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    parser.update({"dataset_dir": str(SLAB_DIR.parent), "train_patients": [SLAB_DIR.name], "ckpt_dir": str(ckpt_dir)})
    parser.update(overrides)
    return parser


def test_seeded_training_on_the_slab_lowers_the_loss(tmp_path):
    """A few iterations of train.json's own trainer on the shipped slab lower the loss on a fixed batch."""
    parser = _slab_training(
        tmp_path,
        max_epochs=1,
        iterations_per_epoch=12,
        batch_size=4,
        learning_rate=0.005,
        **{"train#dataloader#num_workers": 0, "train#handlers": []},
    )
    set_determinism(seed=0)
    dataset = parser.get_parsed_content("train#dataset")
    dataset.set_random_state(1)
    fixed = [dataset[i] for i in range(4)]
    x = torch.stack([s["image"] for s in fixed])
    y = torch.stack([s["label"] for s in fixed])
    network, loss = parser.get_parsed_content("network"), parser.get_parsed_content("loss")

    def fixed_loss() -> float:
        network.eval()
        with torch.no_grad():
            return float(loss(network(x), y))

    before = fixed_loss()
    dataset.set_random_state(0)
    parser.get_parsed_content("train#trainer").run()
    assert fixed_loss() < before


def test_self_fed_priors_from_a_cpu_copy_in_loader_workers(tmp_path):
    """``--self_network_device cpu``: the self-fed priors come from a copy of the network refreshed at each epoch's
    start (``CopyWeights``), so data-loader workers can run it while the network trains on a GPU; here two forked
    workers on the CPU."""
    parser = _slab_training(
        tmp_path,
        max_epochs=2,
        iterations_per_epoch=2,
        batch_size=2,
        self_network_device="cpu",
        **{"train#dataloader#num_workers": 2},
    )
    network, copy = parser.get_parsed_content("network_def"), parser.get_parsed_content("self_network")
    assert copy is not network and parser.get_parsed_content("train#self_segmenter").network is copy
    initial = {k: v.clone() for k, v in copy.state_dict().items()}
    parser.get_parsed_content("train#trainer").run()
    after, trained = copy.state_dict(), network.state_dict()
    changed = [k for k in initial if not torch.equal(initial[k], after[k])]
    assert changed  # refreshed at the start of epoch 2 ...
    assert any(not torch.equal(after[k], trained[k]) for k in changed)  # ... and the network trained on after that


def test_train_json_reads_any_ct_and_label_map_from_a_datalist(tmp_path, monkeypatch):
    """``--data_list_file_path`` (MONAI's decathlon format) instead of IRCAD folders: NIfTI CTs with label maps, the
    organ's values chosen by ``--organ_labels``; paths relative to ``--dataset_dir`` as in the model zoo."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a", "b"):
        _nifti_pair(data, name)
    items = [{"image": f"{n}_ct.nii.gz", "label": f"{n}_seg.nii.gz"} for n in "ab"]
    (data / "dataset.json").write_text(json.dumps({"training": items}))
    work = tmp_path / "clean"
    work.mkdir()
    monkeypatch.chdir(work)
    common = {"bundle_root": str(tmp_path / "bundle"), "dataset_dir": str(data), "train#dataloader#num_workers": 0}
    overrides = {
        "data_list_file_path": str(data / "dataset.json"),
        "max_epochs": 1,
        "iterations_per_epoch": 2,
        "batch_size": 2,
    }
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    parser.update({**common, **overrides, "organ_labels": [1, 2]})
    volumes = parser.get_parsed_content("train#volumes")
    assert [int(mask.sum()) for _, mask in volumes] == [40 * 40 * 6] * 2  # liver + tumour, not organ 3
    run(config_file=str(CONFIGS / "train.json"), **common, **overrides, organ_labels=[1, 2])
    assert (tmp_path / "bundle" / "models" / "model.pt").is_file()
    assert sorted(p.name for p in work.iterdir()) == []
    with pytest.raises(Exception, match="organ_labels"):  # a label map needs the organ's values
        run(config_file=str(CONFIGS / "train.json"), **common, **overrides)


def _evaluate(output_dir, **overrides) -> dict:
    configs = [str(CONFIGS / "inference.json"), str(CONFIGS / "evaluate.json")]
    run(config_file=configs, bundle_root=str(BUNDLE), output_dir=str(output_dir), device="cpu", **overrides)
    return json.loads((output_dir / "metrics.json").read_text())


def _propagated_scores(image, reference) -> dict:
    """What evaluate.json must report for one case: the shipped bundle's propagation from the middle slice."""
    segmenter, propagator = load_propagation_bundle(BUNDLE, overrides={"device": "cpu"})
    start = middle_slice(reference)
    mask = propagator(image, segmenter, annotation=annotate_slices(reference, [start]))
    return {"start_slice": start, **{k: float(v) for k, v in overlap_scores(mask, reference).items()}}


def test_evaluate_json_scores_an_ircad_patient(tmp_path):
    metrics = _evaluate(tmp_path, dataset_dir=str(SLAB_DIR.parent), patient=SLAB_DIR.name)
    (case,) = metrics["cases"]
    expected = _propagated_scores(*load_ircad_patient(SLAB_DIR))
    assert case["case"] == SLAB_DIR.name and case["start_slice"] == expected["start_slice"] == 12
    assert case["dice"] == pytest.approx(expected["dice"]) and case["dice"] > 0.90
    assert case["first_last"] == case["reference_first_last"] == [0, 23]
    assert metrics["mean"]["dice"] == case["dice"] and metrics["mean"]["cases"] == 1
    assert json.loads((tmp_path / f"metrics_{SLAB_DIR.name}.json").read_text()) == case


def test_evaluate_json_scores_every_case_of_a_datalist(tmp_path):
    """``--data_list_file_path``: every case of ``--data_list_key`` (NIfTI label maps, ``--organ_labels``), one file
    per case and their mean."""
    data = tmp_path / "data"
    data.mkdir()
    pairs = [_nifti_pair(data, name, spacing=spacing) for name, spacing in (("a", 1.0), ("b", 0.8))]
    items = [{"image": ct.name, "label": seg.name} for ct, seg in pairs]
    (data / "dataset.json").write_text(json.dumps({"validation": items}))
    out = tmp_path / "eval"
    metrics = _evaluate(out, dataset_dir=str(data), data_list_file_path=str(data / "dataset.json"), organ_labels=[1, 2])
    assert [case["case"] for case in metrics["cases"]] == ["a_ct", "b_ct"]
    for case, (ct, seg) in zip(metrics["cases"], pairs):
        expected = _propagated_scores(*load_datalist_volumes([{"image": ct, "label": seg}], organ_labels=(1, 2))[0])
        assert case["start_slice"] == expected["start_slice"] == 5  # the upper middle of slices 2-7
        for key in ("dice", "sensitivity", "ppv"):
            assert case[key] == pytest.approx(expected[key])
        assert case["reference_first_last"] == [2, 7]
        assert json.loads((out / f"metrics_{case['case']}.json").read_text()) == case
    assert metrics["mean"]["dice"] == pytest.approx(sum(c["dice"] for c in metrics["cases"]) / 2)


def test_shipped_weights_propagate_on_the_slab():
    """Regression floor from the shipped weights on the slab (patient 17 trained the model: not a held-out figure)."""
    image, reference = load_ircad_patient(SLAB_DIR)
    segmenter, propagator = load_propagation_bundle(BUNDLE, overrides={"device": "cpu"})
    annotation = annotate_slices(reference, [middle_slice(reference)])
    mask = propagator(image, segmenter, annotation=annotation)
    scores = overlap_scores(mask, reference)
    assert scores["dice"] > 0.90, scores
    torch.testing.assert_close(mask.affine, image.affine)


def test_propagation_stops_at_both_organ_ends():
    """On :func:`~tests.utils.organ_ends_volume`, with the shipped weights and the bundle's default stops, the
    propagation from slice 6 stops at both ends of the organ (slices 2-9): not into the touching blob below, not on
    the featureless slices past the abrupt upper end (``benchmarks/eval_organ_ends.py`` prints it for any weights)."""
    image, truth = organ_ends_volume()
    segmenter, propagator = load_propagation_bundle(BUNDLE, overrides={"device": "cpu"})
    mask, history = propagator(image, segmenter, annotation=annotate_slices(truth, [6]), return_history=True)
    areas = [int(mask[0, ..., z].sum()) for z in range(16)]
    assert areas[:2] == [0, 0] and areas[10:] == [0] * 6, areas
    assert all(areas[z] > 0 for z in range(2, 10)), areas
    assert {r.stop_reason for r in history if r.stop_reason} <= {"quality_drop", "grew", "vanished", "shrunk"}


def test_storage_orientation_does_not_change_the_mask():
    """The same CT stored with the in-plane axes reversed and the slices first gives the same mask."""
    image, truth = organ_ends_volume()
    segmenter, propagator = load_propagation_bundle(BUNDLE, overrides={"device": "cpu", "min_quality": None})
    annotation = annotate_slices(truth, [6])
    mask = propagator(image, segmenter, annotation=annotation)
    flipped = torch.flip(image.as_tensor(), (1, 2)).permute(0, 3, 1, 2)
    affine = torch.tensor([[0, -1.0, 0, 95.0], [0, 0, -1.0, 95.0], [1.6, 0, 0, 0], [0, 0, 0, 1]], dtype=torch.float64)
    stored = MetaTensor(flipped.contiguous(), affine=affine)
    stored_annotation = MetaTensor(
        torch.flip(annotation.as_tensor(), (1, 2)).permute(0, 3, 1, 2).contiguous(), affine=affine
    )
    other = propagator(stored, segmenter, annotation=stored_annotation)
    back = torch.flip(other.as_tensor().permute(0, 2, 3, 1), (1, 2))
    np.testing.assert_array_equal(back.numpy(), mask.numpy())
    assert isinstance(propagator, SlicePropagator) and mask.sum() > 0


def test_cli_takes_every_stop_and_seed_setting_from_the_bundle(tmp_path):
    """``--method network`` builds its SlicePropagator with the bundle's settings, a prior edited by strokes too."""
    import shutil

    from monai_refine.cli import _propagation_method

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    inference = json.loads((bundle / "configs" / "inference.json").read_text())
    inference.update({"min_quality": 0.65, "prior_stroke_mm": 4.0, "max_growth": 2.5, "intensity_fence": 1.0})
    (bundle / "configs" / "inference.json").write_text(json.dumps(inference))
    _, kwargs = _propagation_method("network", str(bundle))
    assert (kwargs["min_quality"], kwargs["prior_stroke_mm"], kwargs["max_growth"]) == (0.65, 4.0, 2.5)
    assert kwargs["intensity_fence"] == 1.0
    # every SlicePropagator argument but those the command line sets itself
    assert set(kwargs) | {"window", "progress", "slice_axis", "workers"} == set(
        inspect.signature(SlicePropagator).parameters
    )


def test_cli_demo_with_the_network(tmp_path, capsys):
    from monai_refine.cli import main

    assert main(["demo", "--method", "network", "--output-dir", str(tmp_path), "-q", "--no-overlay"]) == 0
    assert any(p.name.endswith("_network.nii.gz") for p in tmp_path.iterdir())
    assert "network" in capsys.readouterr().out
