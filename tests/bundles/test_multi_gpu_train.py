"""Every bundle's ``multi_gpu_train.json`` run as its docs say, under ``torchrun``: two processes on the CPU.

The files pick NCCL and ``cuda:LOCAL_RANK`` where there is a GPU and Gloo and the CPU where there is none, so the
same file runs here unchanged: the DDP wrapping, the distributed samplers, the rank-0-only handlers and the
checkpoint that inference loads are checked on every CI run, not only on a multi-GPU machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser

from tests.bundles.test_drive_bundle import _drive_like
from tests.bundles.test_ph2_bundles import _ph2_like
from tests.utils import REPO_ROOT, SLAB_DIR

BUNDLES = REPO_ROOT / "bundles"

#: a one-epoch run of each bundle on its tiny data (the overrides of the bundles' single-process training tests)
CASES = {
    "ph2_lesion_iterative": {"batch_size": 1, "epochs": 1},
    "ph2_lesion_quality_refinement": {"batch_size": 1, "epochs": 1},
    "ph2_lesion_cdnn": {"batch_size": 1, "epochs": 1},
    "drive_vessel_iterative": {
        "batch_size": 1,
        "epochs": 1,
        "num_samples": 1,
        "max_steps": 2,
        "patch_size": "[32,32]",
    },
    "liver_ct_slice_propagation": {
        "train_patients": f"['{SLAB_DIR.name}']",
        "max_epochs": 1,
        "iterations_per_epoch": 4,
        "batch_size": 2,
    },
}


def _data(name: str, root: Path) -> Path:
    if name.startswith("ph2"):
        return _ph2_like(root, n=6, validation=2)  # a validation image for each rank
    if name.startswith("drive"):
        return _drive_like(root)
    return SLAB_DIR.parent


@pytest.mark.parametrize("name", list(CASES))
def test_initialize_keeps_train_json_statements(name):
    """``multi_gpu_train.json`` replaces ``initialize``: every statement of ``train.json``'s must still be there (the
    seed may add the rank, so that each rank draws its own samples)."""
    configs = BUNDLES / name / "configs"
    single = json.loads((configs / "train.json").read_text())["initialize"]
    multi = [
        s.replace("@seed + dist.get_rank()", "@seed")
        for s in json.loads((configs / "multi_gpu_train.json").read_text())["initialize"]
    ]
    assert set(single) <= set(multi), set(single) - set(multi)


@pytest.mark.parametrize("name", list(CASES))
def test_multi_gpu_train_runs_under_torchrun(name, tmp_path):
    configs = BUNDLES / name / "configs"
    work = tmp_path / "clean"  # the run's working directory holds nothing it did not write
    work.mkdir()
    bundle_root = tmp_path / "bundle"
    overrides = {
        "bundle_root": str(bundle_root),
        "dataset_dir": str(_data(name, tmp_path / "data")),
        "num_threads": 1,
        "train#dataloader#num_workers": 0,
        **CASES[name],
    }
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    config_files = f"['{configs / 'train.json'}','{configs / 'multi_gpu_train.json'}']"
    command += ["-m", "monai.bundle", "run", "--config_file", config_files]
    command += ["--meta_file", str(configs / "metadata.json"), "--logging_file", str(configs / "logging.conf")]
    for key, value in overrides.items():
        command += [f"--{key}", str(value)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]

    # the trained weights load into the plain network that inference builds (the checkpoint holds no DDP prefix)
    checkpoint = torch.load(bundle_root / "models" / "model.pt", map_location="cpu", weights_only=True)
    parser = ConfigParser()
    parser.read_config(str(configs / "inference.json"))
    network = parser.get_parsed_content("network_def")
    network.load_state_dict(checkpoint)
    assert not any(key.startswith("module.") for key in checkpoint)
    assert sorted(os.listdir(work)) == []  # nothing written beside the bundle root

    # the StatsHandlers run on rank 0 alone: each iteration's loss and each validation's metrics are logged once
    logged = re.findall(r"- INFO - (Epoch(?::|\[)[^-]*?) --", log)
    assert logged, log[-4000:]
    assert len(logged) == len(set(logged)), logged
