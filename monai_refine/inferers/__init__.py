from __future__ import annotations

from .iterative import IterationRecord, IterativeRefinementInferer
from .network_segmenter import NetworkSegmenter
from .presets import PRESETS, propagation_preset
from .segmenters import (
    CopyPrevious,
    GraphCutSegmenter,
    RandomWalkerSegmenter,
    check_slice_inputs,
    seed_bounding_box,
)
from .slice_grid import SliceFrame, SliceGrid, network_input
from .slice_propagation import (
    Segmenter,
    SlicePropagator,
    SliceRecord,
    annotate_slices,
    canonical_slices,
    edit_prior,
    merge_user_seeds,
    middle_slice,
    occupied_slices,
    rejected_by_clicks,
    resolve_slice_axis,
    slice_result,
    window_intensity,
)
