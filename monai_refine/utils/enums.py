"""String names that cross module boundaries: dictionary keys, network output names, stop reasons.

Transforms, networks, inferers, bundle configs and the CLI all use these, so a key is spelled once.
"""

from __future__ import annotations

from monai.utils import StrEnum

__all__ = ["RefineKeys", "SeedChannel", "StopReason"]


class RefineKeys(StrEnum):
    """Default dictionary keys of the refinement pipelines."""

    IMAGE = "image"
    LABEL = "label"
    PRED = "pred"
    PRIOR = "prior"
    SEEDS = "seeds"
    SEED_MAP = "seed_map"
    QUALITY = "quality"


class SeedChannel:
    """Channel layout of a seed tensor: shape ``(2, *spatial)``, channel 0 foreground seeds, channel 1 background."""

    FOREGROUND = 0
    BACKGROUND = 1


class StopReason(StrEnum):
    """Why an iterative or slice-by-slice loop stopped."""

    CONVERGED = "converged"
    QUALITY_DROP = "quality_drop"
    VANISHED = "vanished"
    SHRUNK = "shrunk"
    VOLUME_END = "volume_end"
    MAX_STEPS = "max_steps"
