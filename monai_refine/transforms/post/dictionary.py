"""Dictionary wrappers of :mod:`monai_refine.transforms.post.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform

from monai_refine.transforms.post.array import DualThreshold

__all__ = ["DualThresholdD", "DualThresholdDict", "DualThresholdd"]


class DualThresholdd(MapTransform):
    """Dictionary-based wrapper of :class:`~monai_refine.transforms.DualThreshold`.

    Args:
        keys: keys of the ``(1, *spatial)`` probability maps.
        high: the seed threshold (paper 003: 0.8).
        low: the region threshold (paper 003: 0.5), ``0 <= low <= high <= 1``.
        select: ``"centroid"`` (paper 003, default), ``"center"``, ``"largest"`` or ``"all"``, see
            :class:`~monai_refine.transforms.DualThreshold`.
        fill_holes: fill enclosed background holes before selecting.
        connectivity: neighbourhood of the components (1 = faces only, ``None`` = full).
        spacing: voxel spacing in mm for ``select="center"``; default the MetaTensor's ``pixdim``, else 1.
        allow_missing_keys: don't raise an exception if a key is missing.

    Example:
        >>> import numpy as np
        >>> prob = np.zeros((1, 5, 5), dtype=np.float32)
        >>> prob[0, 1:4, 1:4] = 0.9
        >>> int(DualThresholdd("pred")({"pred": prob})["pred"].sum())
        9
    """

    backend = DualThreshold.backend

    def __init__(
        self,
        keys: KeysCollection,
        high: float = 0.8,
        low: float = 0.5,
        select: str = "centroid",
        fill_holes: bool = True,
        connectivity: int | None = None,
        spacing: Sequence[float] | float | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.converter = DualThreshold(high, low, select, fill_holes, connectivity, spacing)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.converter(d[key])
        return d


DualThresholdD = DualThresholdDict = DualThresholdd
