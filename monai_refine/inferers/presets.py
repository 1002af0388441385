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

#: the stop rules every preset adds: Tukey's fence (1.5, the textbook constant, not tuned) on the median intensity of
#: each slice's result (``SlicePropagator(intensity_fence=...)``); on IRCAD patient 17 any value in 1-3 gives the
#: same result (docs/results.md)
_STOPS = {"intensity_fence": 1.5}


def propagation_preset(method: str) -> tuple[Segmenter, dict]:
    """The segmenter named ``method`` and the :class:`SlicePropagator` keyword arguments tuned for it.

    The segmenters take the in-plane spacing from :class:`SlicePropagator` on every call (from the volume's affine
    and its slice axis), so a preset does not depend on the volume.

    Args:
        method: one of :data:`PRESETS`.

    Example:
        >>> segmenter, kwargs = propagation_preset("graph-cut")
        >>> type(segmenter).__name__, segmenter.lambda_, segmenter.sigma, segmenter.shape_weight, kwargs
        ('GraphCutSegmenter', 0.25, 0.5, 0.02, {'margin_mm': 3.0, 'intensity_fence': 1.5})
    """
    if method == "graph-cut":
        return GraphCutSegmenter(lambda_=0.25, sigma=0.5, shape_weight=0.02), {"margin_mm": 3.0, **_STOPS}
    if method == "random-walker":
        return RandomWalkerSegmenter(beta=130.0), {"margin_mm": 3.0, "erosion_mm": 2.0, **_STOPS}
    if method == "copy-previous":
        return CopyPrevious(), {"margin_mm": 3.0, **_STOPS}
    raise ValueError(f"method must be one of {PRESETS}, got {method!r}.")
