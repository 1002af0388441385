"""Load a slice-propagation bundle's network and propagator the way ``python -m monai.bundle run`` does."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from monai.bundle import ConfigParser
from monai.config import PathLike

__all__ = ["load_propagation_bundle", "load_weights", "parse_config_override"]


def parse_config_override(text: str) -> tuple[str, Any]:
    """``"ID=JSON"`` as ``(id, value)``: a bundle config id and its value, as command-line tools take overrides.

    Raises:
        ValueError: no ``=``, an empty id, or a value that is not JSON.

    Example:
        >>> parse_config_override('channels=["rgb"]'), parse_config_override("prior_stroke_mm=5.0")
        (('channels', ['rgb']), ('prior_stroke_mm', 5.0))
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"expected ID=JSON, got {text!r}.")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"{text!r}: the value is not JSON ({error}).") from error


def load_weights(network: torch.nn.Module, checkpoint: PathLike, device: str | torch.device = "cpu") -> torch.nn.Module:
    """``network`` on ``device`` with the state dict saved at ``checkpoint`` (a bundle's ``models/model.pt``).

    Raises:
        FileNotFoundError: no file at ``checkpoint``.
    """
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"no weights at {path}: train the bundle first (configs/train.json) or pass another.")
    network.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return network.to(device)


def load_propagation_bundle(
    bundle_dir: PathLike,
    config_files: Sequence[str] = ("inference.json",),
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    """The ``segmenter`` and the ``inferer`` (a :class:`~monai_refine.inferers.SlicePropagator`) of a bundle.

    Reads ``bundle_dir/configs/<config_files>`` (merged in order, later files override keys of earlier ones), sets
    ``bundle_root`` to ``bundle_dir``, applies ``overrides`` (config ids such as ``"device"``, ``"checkpoint"`` or
    ``"min_quality"``) and instantiates the two, so the CLI, the benchmarks and ``monai.bundle run`` share one path
    from weights to a mask.

    Example (``tests/bundles/test_liver_bundle.py`` runs it on the shipped slab)::

        segmenter, propagator = load_propagation_bundle(
            "bundles/liver_ct_slice_propagation", overrides={"device": "cuda"})
    """
    root = Path(bundle_dir)
    parser = ConfigParser()
    parser.read_config([str(root / "configs" / name) for name in config_files])
    parser["bundle_root"] = str(root)
    for key, value in (overrides or {}).items():
        parser[key] = value
    return parser.get_parsed_content("segmenter"), parser.get_parsed_content("inferer")
