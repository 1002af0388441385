from __future__ import annotations

from .segmenters import CopyPrevious, GraphCutSegmenter, RandomWalkerSegmenter, seed_bounding_box
from .slice_propagation import Segmenter, SlicePropagator, SliceRecord
