"""Tuned settings of the classical slice-propagation segmenters, by name (used by the CLI and the benchmarks).

Tuned on IRCAD patient 17 (``benchmarks/eval_propagation.py``), choosing the parameters by the Dice of the upward
half only (slices above the annotated middle liver slice); the downward half is reported as held out in
``docs/results.md``. One patient is little: treat these as starting points for other scanners and organs.
"""

from __future__ import annotations

from collections.abc import Sequence

from monai_refine.inferers.segmenters import CopyPrevious, GraphCutSegmenter, RandomWalkerSegmenter
from monai_refine.inferers.slice_propagation import Segmenter

__all__ = ["PRESETS", "propagation_preset"]

PRESETS = ("graph-cut", "random-walker", "copy-previous")


def propagation_preset(method: str, spacing: Sequence[float]) -> tuple[Segmenter, dict]:
    """The segmenter named ``method`` and the :class:`SlicePropagator` keyword arguments tuned for it.

    Args:
        method: one of :data:`PRESETS`.
        spacing: voxel spacing in mm of the volume, ``(x, y, z)``; the slice axis is the last.

    Example:
        >>> segmenter, kwargs = propagation_preset("graph-cut", (0.743, 0.743, 1.6))
        >>> type(segmenter).__name__, kwargs["margin_mm"]
        ('GraphCutSegmenter', 3.0)
    """
    in_plane = tuple(float(s) for s in spacing[:2])
    if method == "graph-cut":
        return GraphCutSegmenter(lambda_=0.25, sigma=0.5, shape_weight=0.02, spacing=in_plane), {"margin_mm": 3.0}
    if method == "random-walker":
        return RandomWalkerSegmenter(beta=130.0, spacing=in_plane), {"margin_mm": 3.0, "erosion_mm": 2.0}
    if method == "copy-previous":
        return CopyPrevious(), {"margin_mm": 3.0}
    raise ValueError(f"method must be one of {PRESETS}, got {method!r}.")
