"""Post-processing of probability maps into one binary object (paper 003's dual threshold)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from monai.config import NdarrayOrTensor
from monai.transforms import FillHoles, KeepLargestConnectedComponent, Transform
from monai.utils import TransformBackends, convert_to_dst_type, convert_to_numpy
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold

from monai_refine.utils import check_finite, resolve_spacing

__all__ = ["DualThreshold"]


class DualThreshold(Transform):
    """Paper 003's dual-threshold post-processing of a foreground probability map.

    1. hysteresis: keep the components of ``prob > low`` that contain a seed ``prob > high``
       (``skimage.filters.apply_hysteresis_threshold``);
    2. fill enclosed holes (MONAI :class:`~monai.transforms.FillHoles`), when ``fill_holes``;
    3. keep one object: with ``select="center"`` the component that contains the image centre, or, when none does,
       the component nearest to it (Euclidean distance in mm with the voxel spacing); with ``select="largest"`` the
       largest component (MONAI :class:`~monai.transforms.KeepLargestConnectedComponent`).

    Paper 003 locates the lesion centre as the centroid of the largest high-threshold region and keeps the region
    that contains it; ``select="center"`` follows the usual dermoscopy framing (lesion in the middle of the image).

    Args:
        high: the seed threshold (paper 003: 0.8).
        low: the region threshold (paper 003: 0.5), ``0 <= low <= high <= 1``.
        select: ``"center"`` or ``"largest"``.
        fill_holes: fill enclosed background holes before selecting.
        connectivity: neighbourhood of the components (1 = faces only, up to the number of spatial dims = full).
        spacing: voxel spacing in mm for the distance to the centre; default the MetaTensor's ``pixdim``, else 1.

    Shapes:
        ``img``: ``(1, H, W)`` or ``(1, H, W, D)`` probabilities in ``[0, 1]``; returns a {0, 1} mask of the same
        shape, type, dtype and device (MetaTensor metadata kept). An all-background result is returned as is.

    Example:
        >>> import numpy as np
        >>> prob = np.zeros((1, 7, 7), dtype=np.float32)
        >>> prob[0, 2:5, 2:5] = 0.6
        >>> prob[0, 3, 3] = 0.9
        >>> prob[0, 0, 6] = 0.95  # a confident but isolated corner blob
        >>> int(DualThreshold()(prob).sum())
        9
    """

    backend = [TransformBackends.NUMPY]

    def __init__(
        self,
        high: float = 0.8,
        low: float = 0.5,
        select: str = "center",
        fill_holes: bool = True,
        connectivity: int | None = None,
        spacing: Sequence[float] | float | None = None,
    ) -> None:
        if not (np.isfinite([low, high]).all() and 0.0 <= low <= high <= 1.0):
            raise ValueError(f"thresholds must satisfy 0 <= low <= high <= 1, got low={low}, high={high}.")
        if select not in ("center", "largest"):
            raise ValueError(f"select must be 'center' or 'largest', got {select!r}.")
        if connectivity is not None and (isinstance(connectivity, bool) or connectivity not in (1, 2, 3)):
            raise ValueError(
                f"connectivity must be None or 1..3 (at most the number of spatial dims), got {connectivity}."
            )
        self.high, self.low, self.select, self.connectivity, self.spacing = high, low, select, connectivity, spacing
        self.fill_holes = FillHoles(connectivity=connectivity) if fill_holes else None

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """Threshold ``img`` (``(1, *spatial)`` probabilities).

        Raises:
            ValueError: not one channel with 2 or 3 spatial dims, NaN/Inf, values outside ``[0, 1]``, or a
                ``connectivity`` larger than the number of spatial dims.
        """
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
        mask = apply_hysteresis_threshold(prob[0], self.low, self.high)[None]
        if self.fill_holes is not None:
            mask = self.fill_holes(mask.astype(np.uint8)).astype(bool)
        if self.select == "largest":
            mask = KeepLargestConnectedComponent(connectivity=self.connectivity)(mask.astype(np.uint8)).astype(bool)
        elif mask.any():
            mask = self._nearest_to_centre(mask[0], resolve_spacing(img, self.spacing, dims))[None]
        result, *_ = convert_to_dst_type(mask, img)
        return result

    def _nearest_to_centre(self, mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
        """The component of ``mask`` that contains the centre voxel, or the one nearest to it."""
        structure = ndimage.generate_binary_structure(mask.ndim, self.connectivity or mask.ndim)
        labels, count = ndimage.label(mask, structure=structure)
        away = np.ones(mask.shape, dtype=bool)
        away[tuple(s // 2 for s in mask.shape)] = False
        distance = ndimage.distance_transform_edt(away, sampling=spacing)
        nearest = np.argmin(ndimage.minimum(distance, labels, np.arange(1, count + 1))) + 1
        return labels == nearest
