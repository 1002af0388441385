"""String names that cross module boundaries: dictionary keys, network output names, stop reasons.

Transforms, networks, inferers, bundle configs and the CLI all use these, so a key is spelled once.
"""

from __future__ import annotations

from monai.utils import StrEnum

__all__ = ["RefineKeys", "RefineOutputs", "SeedChannel", "StopReason"]


class RefineKeys(StrEnum):
    """Default dictionary keys of the refinement pipelines."""

    IMAGE = "image"
    LABEL = "label"
    PRED = "pred"
    PRIOR = "prior"
    SEEDS = "seeds"
    SEED_MAP = "seed_map"
    QUALITY = "quality"
    FOV = "fov"


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
    GREW = "grew"
    INTENSITY = "intensity"
    VOLUME_END = "volume_end"
    MAX_STEPS = "max_steps"


class RefineOutputs(StrEnum):
    """Names of the outputs of the multi-output refinement networks (the keys of the dict their ``forward`` returns).

    - ``REFINED``: :py:class:`monai_refine.networks.nets.RefineNet`'s refined segmentation, full resolution.
    - ``SIDE_1``, ``SIDE_2``, ``SIDE_4``: RefineNet's initial (side) segmentations at 1x, 1/2x and 1/4x of the
      input size; the number is the downsampling factor.
    - ``MASK``: :py:class:`monai_refine.networks.nets.QualityUNet`'s refined segmentation.
    - ``QUALITY``: QualityUNet's predicted Dice of its input mask, shape ``(B, 1)``, in [0, 1].

    Segmentations are logits, like the outputs of MONAI's networks.
    """

    REFINED = "refined"
    SIDE_1 = "side_1"
    SIDE_2 = "side_2"
    SIDE_4 = "side_4"
    MASK = "mask"
    QUALITY = "quality"
