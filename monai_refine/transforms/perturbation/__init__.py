"""Mask perturbation transforms: imperfect masks for refinement training (paper 002)."""

from __future__ import annotations

from .array import RandMaskPerturb
from .dictionary import RandMaskPerturbD, RandMaskPerturbd, RandMaskPerturbDict

__all__ = ["RandMaskPerturb", "RandMaskPerturbD", "RandMaskPerturbDict", "RandMaskPerturbd"]
