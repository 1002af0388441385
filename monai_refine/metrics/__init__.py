from __future__ import annotations

from .overlap import overlap_scores
