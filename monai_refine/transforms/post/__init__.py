"""Post-processing of network outputs into masks (paper 003)."""

from __future__ import annotations

from .array import DualThreshold
from .dictionary import DualThresholdD, DualThresholdd, DualThresholdDict

__all__ = ["DualThreshold", "DualThresholdD", "DualThresholdDict", "DualThresholdd"]
