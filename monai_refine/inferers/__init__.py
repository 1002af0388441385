from __future__ import annotations

from .iterative import IterationRecord, IterativeRefinementInferer
from .presets import PRESETS, propagation_preset
from .segmenters import (
    CopyPrevious,
    GraphCutSegmenter,
    NetworkSegmenter,
    RandomWalkerSegmenter,
    check_slice_inputs,
    seed_bounding_box,
)
from .slice_propagation import (
    Segmenter,
    SlicePropagator,
    SliceRecord,
    annotate_slices,
    middle_slice,
    resolve_slice_axis,
)
