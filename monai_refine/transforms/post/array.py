"""Post-processing of probability maps into one binary object (paper 003's dual threshold)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from monai.config import NdarrayOrTensor
from monai.transforms import FillHoles, KeepLargestConnectedComponent, Transform
from monai.utils import TransformBackends, convert_to_dst_type, convert_to_numpy
from scipy import ndimage

from monai_refine.utils import check_array, check_finite, check_spacing, resolve_spacing

__all__ = ["DUAL_THRESHOLD_SELECT", "DualThreshold", "largest_filled_region"]


def largest_filled_region(mask: np.ndarray, like: NdarrayOrTensor) -> NdarrayOrTensor:
    """The largest 8-connected component of a binary ``(1, H, W)`` ``mask`` with its holes filled, as a float32
    mask of the type and device of ``like`` (an empty mask stays empty): the one-object mask of the classical
    lesion (:class:`~monai_refine.transforms.OtsuLesionMask`) and field-of-view
    (:class:`~monai_refine.transforms.FieldOfViewMask`) transforms.

    Example:
        >>> mask = np.zeros((1, 7, 7), np.uint8); mask[0, 1:5, 1:5] = 1; mask[0, 2, 2] = 0; mask[0, 6, 6] = 1
        >>> int(largest_filled_region(mask, mask).sum())
        16
    """
    mask = np.asarray(mask, dtype=np.uint8)
    if mask.any():
        mask = FillHoles(connectivity=1)(KeepLargestConnectedComponent(connectivity=2)(mask))
    out, *_ = convert_to_dst_type(convert_to_numpy(mask).astype(np.float32), like, dtype=np.float32)
    return out


#: The ``select`` modes of :class:`DualThreshold`; the first is the default (paper 003's rule).
DUAL_THRESHOLD_SELECT = ("centroid", "center", "largest", "all")


class DualThreshold(Transform):
    """Paper 003's dual-threshold post-processing of a foreground probability map.

    Paper 003 (Yuan and Lo, section II-C): a high threshold (0.8) locates the tumour centre, "the centroid of the
    region that has the largest mass among the candidates"; a low threshold (0.5) is applied, small holes are filled,
    and the final mask "is the region that embraces the tumour centre". Here:

    1. hysteresis: keep the components of ``prob > low`` that contain a seed ``prob > high`` (components with the
       neighbourhood ``connectivity``);
    2. fill enclosed holes (MONAI :class:`~monai.transforms.FillHoles`), when ``fill_holes``; the background's
       components use the same ``connectivity``, so with ``connectivity=1`` a background pocket that meets the outside
       only through a corner counts as enclosed and is filled (with the full neighbourhood it stays open);
    3. keep one object, by ``select``:

       - ``"centroid"`` (default, paper 003): among the components of ``prob > high``, take the one of largest mass
         (sum of its probabilities, the paper does not say whether mass is area or probability mass), and its
         centroid (geometric, rounded to the nearest voxel) as the lesion centre; keep the component of step 2 that
         contains the centre, or, when the centroid falls outside (a C-shaped region), the component that holds that
         high-threshold region;
       - ``"center"``: the component that contains the image centre, or, when none does, the one nearest to it
         (Euclidean distance in mm with the voxel spacing): a framing prior (lesion in the middle of the image), not
         the paper's rule; a small blob at the centre wins over a large confident lesion beside it;
       - ``"largest"``: the component with the most voxels (MONAI
         :class:`~monai.transforms.KeepLargestConnectedComponent`): not the paper's rule; a large weak region with a
         single seed wins over a smaller confident one;
       - ``"all"``: every component of step 2 (hysteresis and hole filling only).

    Args:
        high: the seed threshold (paper 003: 0.8).
        low: the region threshold (paper 003: 0.5), ``0 <= low <= high <= 1``.
        select: one of :data:`DUAL_THRESHOLD_SELECT`, see above.
        fill_holes: fill enclosed background holes before selecting.
        connectivity: neighbourhood of the components in every step (1 = faces only, up to the number of spatial
            dims = faces, edges and corners; ``None`` = the full neighbourhood).
        spacing: voxel spacing in mm for ``select="center"``'s distance; default the MetaTensor's ``pixdim``, else 1.

    Shapes:
        ``img``: ``(1, H, W)`` or ``(1, H, W, D)`` probabilities in ``[0, 1]``; returns a {0, 1} mask of the same
        shape, type, dtype and device (MetaTensor metadata kept). An all-background result is returned as is.

    Example:
        >>> import numpy as np
        >>> prob = np.zeros((1, 9, 9), dtype=np.float32)
        >>> prob[0, 0:3, 0:3] = 0.9  # a confident 9-px lesion in a corner
        >>> prob[0, 4, 4] = 0.95  # a confident 1-px blob at the image centre
        >>> int(DualThreshold()(prob).sum()), int(DualThreshold(select="center")(prob).sum())
        (9, 1)
    """

    backend = [TransformBackends.NUMPY]

    def __init__(
        self,
        high: float = 0.8,
        low: float = 0.5,
        select: str = "centroid",
        fill_holes: bool = True,
        connectivity: int | None = None,
        spacing: Sequence[float] | float | None = None,
    ) -> None:
        if not (np.isfinite([low, high]).all() and 0.0 <= low <= high <= 1.0):
            raise ValueError(f"thresholds must satisfy 0 <= low <= high <= 1, got low={low}, high={high}.")
        if select not in DUAL_THRESHOLD_SELECT:
            raise ValueError(f"select must be one of {DUAL_THRESHOLD_SELECT}, got {select!r}.")
        if connectivity is not None and (isinstance(connectivity, bool) or connectivity not in (1, 2, 3)):
            raise ValueError(
                f"connectivity must be None or 1..3 (at most the number of spatial dims), got {connectivity}."
            )
        check_spacing("spacing", spacing)
        self.high, self.low, self.select, self.connectivity, self.spacing = high, low, select, connectivity, spacing
        self.fill_holes = FillHoles(connectivity=connectivity) if fill_holes else None

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """Threshold ``img`` (``(1, *spatial)`` probabilities).

        Raises:
            ValueError: not an array, not one channel with 2 or 3 spatial dims, NaN/Inf, values outside ``[0, 1]``,
                or a ``connectivity`` larger than the number of spatial dims.
        """
        check_array("img", img)
        prob = convert_to_numpy(img)
        if prob.ndim not in (3, 4) or prob.shape[0] != 1:
            raise ValueError(f"img must be (1, H, W) or (1, H, W, D) probabilities, got shape {tuple(prob.shape)}.")
        prob = prob.astype(np.float32)
        check_finite("img", prob)
        if prob.min() < 0 or prob.max() > 1:
            raise ValueError(f"img must hold probabilities in [0, 1], got [{prob.min():g}, {prob.max():g}].")
        dims = prob.ndim - 1
        if self.connectivity is not None and self.connectivity > dims:
            raise ValueError(f"connectivity={self.connectivity} exceeds the {dims} spatial dims of img.")
        structure = ndimage.generate_binary_structure(dims, self.connectivity or dims)
        high = prob[0] > self.high
        labels, _ = ndimage.label(prob[0] > self.low, structure=structure)
        seeded = np.unique(labels[high & (labels > 0)])
        mask = np.isin(labels, seeded)[None]
        if self.fill_holes is not None:
            mask = self.fill_holes(mask.astype(np.uint8)).astype(bool)
        if not mask.any() or self.select == "all":
            pass
        elif self.select == "largest":
            mask = KeepLargestConnectedComponent(connectivity=self.connectivity)(mask.astype(np.uint8)).astype(bool)
        elif self.select == "center":
            mask = self._nearest_to_centre(mask[0], structure, resolve_spacing(img, self.spacing, dims))[None]
        else:
            mask = self._at_centroid(mask[0], prob[0], high, structure)[None]
        result, *_ = convert_to_dst_type(mask, img)
        return result

    @staticmethod
    def _at_centroid(mask: np.ndarray, prob: np.ndarray, high: np.ndarray, structure: np.ndarray) -> np.ndarray:
        """Paper 003: the component of ``mask`` at the centroid of the largest-mass component of ``high``."""
        seeds, count = ndimage.label(high, structure=structure)
        masses = ndimage.sum_labels(prob, seeds, np.arange(1, count + 1))
        region = seeds == np.argmax(masses) + 1
        centre = tuple(np.round(ndimage.center_of_mass(region)).astype(int))
        labels, _ = ndimage.label(mask, structure=structure)
        keep = labels[centre] or labels[region][0]  # the centroid may lie outside a C-shaped region
        return labels == keep

    @staticmethod
    def _nearest_to_centre(mask: np.ndarray, structure: np.ndarray, spacing: np.ndarray) -> np.ndarray:
        """The component of ``mask`` that contains the centre voxel, or the one nearest to it."""
        labels, count = ndimage.label(mask, structure=structure)
        away = np.ones(mask.shape, dtype=bool)
        away[tuple(s // 2 for s in mask.shape)] = False
        distance = ndimage.distance_transform_edt(away, sampling=spacing)
        nearest = np.argmin(ndimage.minimum(distance, labels, np.arange(1, count + 1))) + 1
        return labels == nearest
