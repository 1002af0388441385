"""Dictionary wrappers of :mod:`monai_refine.transforms.post.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform

from monai_refine.transforms.post.array import DualThreshold

__all__ = ["DualThresholdD", "DualThresholdDict", "DualThresholdd"]


class DualThresholdd(MapTransform):
    """Dictionary-based wrapper of :class:`~monai_refine.transforms.DualThreshold`.

    Args:
        keys: keys of the ``(1, *spatial)`` probability maps.
        allow_missing_keys: don't raise an exception if a key is missing.
        kwargs: passed to :class:`~monai_refine.transforms.DualThreshold` (``high``, ``low``, ``select``, ...).

    Example:
        >>> import numpy as np
        >>> prob = np.zeros((1, 5, 5), dtype=np.float32)
        >>> prob[0, 1:4, 1:4] = 0.9
        >>> int(DualThresholdd("pred")({"pred": prob})["pred"].sum())
        9
    """

    backend = DualThreshold.backend

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False, **kwargs: Any) -> None:
        super().__init__(keys, allow_missing_keys)
        self.converter = DualThreshold(**kwargs)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.converter(d[key])
        return d


DualThresholdD = DualThresholdDict = DualThresholdd
