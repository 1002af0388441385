"""Refinement objectives. The Jaccard distance of CDNN is MONAI's ``DiceLoss(jaccard=True, squared_pred=True)``."""

from __future__ import annotations

from .deep_supervision import DeepSupervisionDictLoss
from .dice_improvement import DiceImprovementLoss
from .output_quality import OutputQualityLoss
from .quality import QualityRegularizedLoss
