from __future__ import annotations

from .overlap import dice_coefficient, overlap_scores
