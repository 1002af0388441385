from __future__ import annotations

from .copy_weights import CopyWeights
