"""Tuned settings of the classical slice-propagation segmenters, by name (used by the CLI and the benchmarks).

Tuned on IRCAD patient 17 (``benchmarks/eval_propagation.py``), choosing the parameters by the Dice of the upward
half only (slices above the annotated middle liver slice); the downward half is reported as held out in
``docs/results.md``. One patient is little: treat these as starting points for other scanners and organs.
"""

from __future__ import annotations

from monai_refine.inferers.segmenters import CopyPrevious, GraphCutSegmenter, RandomWalkerSegmenter
from monai_refine.inferers.slice_propagation import Segmenter

__all__ = ["PRESETS", "propagation_preset"]

PRESETS = ("graph-cut", "random-walker", "copy-previous")


def propagation_preset(method: str) -> tuple[Segmenter, dict]:
    """The segmenter named ``method`` and the :class:`SlicePropagator` keyword arguments tuned for it.

    The segmenters take the in-plane spacing from :class:`SlicePropagator` on every call (from the volume's affine
    and its slice axis), so a preset does not depend on the volume.

    Args:
        method: one of :data:`PRESETS`.

    Example:
        >>> segmenter, kwargs = propagation_preset("graph-cut")
        >>> type(segmenter).__name__, segmenter.lambda_, segmenter.sigma, segmenter.shape_weight, kwargs
        ('GraphCutSegmenter', 0.25, 0.5, 0.02, {'margin_mm': 3.0})
    """
    if method == "graph-cut":
        return GraphCutSegmenter(lambda_=0.25, sigma=0.5, shape_weight=0.02), {"margin_mm": 3.0}
    if method == "random-walker":
        return RandomWalkerSegmenter(beta=130.0), {"margin_mm": 3.0, "erosion_mm": 2.0}
    if method == "copy-previous":
        return CopyPrevious(), {"margin_mm": 3.0}
    raise ValueError(f"method must be one of {PRESETS}, got {method!r}.")
