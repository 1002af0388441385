"""Post-processing of network outputs into masks (paper 003)."""

from __future__ import annotations

from .array import DUAL_THRESHOLD_SELECT, DualThreshold
from .dictionary import DualThresholdD, DualThresholdd, DualThresholdDict

__all__ = ["DUAL_THRESHOLD_SELECT", "DualThreshold", "DualThresholdD", "DualThresholdDict", "DualThresholdd"]
