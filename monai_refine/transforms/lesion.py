"""A classical skin-lesion mask (Otsu threshold, largest component, hole filling): the weak base for paper 002."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform, Transform
from monai.utils import TransformBackends, convert_to_numpy
from skimage.filters import threshold_otsu

from monai_refine.transforms.post.array import largest_filled_region
from monai_refine.utils import check_array, check_finite

__all__ = ["OtsuLesionMask", "OtsuLesionMaskD", "OtsuLesionMaskDict", "OtsuLesionMaskd"]


class OtsuLesionMask(Transform):
    """Dark-lesion mask of an RGB dermoscopy image: Otsu on the grey level, largest component, holes filled.

    The grey level is the mean of the channels; pixels darker than Otsu's threshold are the lesion (lesions are
    darker than skin); the largest 8-connected component is kept and its holes are filled (MONAI's
    :class:`~monai.transforms.KeepLargestConnectedComponent` and :class:`~monai.transforms.FillHoles`).

    Shapes:
        ``img``: ``(C, H, W)``; returns a float32 ``(1, H, W)`` {0, 1} mask of the input's type and device.

    Example:
        >>> img = np.full((3, 8, 8), 200.0)
        >>> img[:, 2:6, 2:6] = 50.0
        >>> img[:, 0, 0] = 40.0  # a dark speck in the corner: not the largest component
        >>> int(OtsuLesionMask()(img).sum())
        16
    """

    backend = [TransformBackends.NUMPY]

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """The lesion mask of ``img`` (``(C, H, W)``).

        Raises:
            ValueError: not an array, not ``(C, H, W)``, or NaN/Inf values.
        """
        check_array("img", img)
        arr = convert_to_numpy(img).astype(np.float32)
        if arr.ndim != 3:
            raise ValueError(f"img must be a channel-first 2D image (C, H, W), got shape {tuple(arr.shape)}.")
        check_finite("img", arr)
        grey = arr.mean(axis=0)
        mask = np.zeros((1, *grey.shape), dtype=np.uint8)
        if grey.max() > grey.min():
            mask[0] = grey < threshold_otsu(grey)
        return largest_filled_region(mask, img)


class OtsuLesionMaskd(MapTransform):
    """Dictionary wrapper of :class:`OtsuLesionMask`: the mask of ``data[key]`` is written to ``data[mask_key]``.

    Args:
        keys: the image key (one).
        mask_key: where the mask goes; default ``"prior"``, the mask a refinement network refines (paper 002).
        allow_missing_keys: don't raise an exception if a key is missing.
    """

    backend = OtsuLesionMask.backend

    def __init__(self, keys: KeysCollection, mask_key: str = "prior", allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.mask_key = mask_key
        self.transform = OtsuLesionMask()

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[self.mask_key] = self.transform(d[key])
        return d


OtsuLesionMaskD = OtsuLesionMaskDict = OtsuLesionMaskd
