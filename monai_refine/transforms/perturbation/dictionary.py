"""Dictionary wrappers of :mod:`monai_refine.transforms.perturbation.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform, Randomizable
from monai.utils import convert_data_type, ensure_tuple_rep

from monai_refine.transforms.perturbation.array import RandMaskPerturb
from monai_refine.utils import RefineKeys

__all__ = ["RandMaskPerturbD", "RandMaskPerturbDict", "RandMaskPerturbd"]


class RandMaskPerturbd(Randomizable, MapTransform):
    """Dictionary-based wrapper of :class:`~monai_refine.transforms.RandMaskPerturb`.

    Every key's mask is perturbed with its own draws (from this transform's ``R``), and the achieved Dice against
    the input is stored under the matching ``quality_key`` as a float32 array of shape ``(1,)`` (a tensor on the
    mask's device when the mask is a tensor), ready for a quality head.

    Args:
        keys: keys of the binary masks to perturb, each ``(1, H, W)`` or ``(1, H, W, D)``.
        quality_key: where to store the Dice of each key: one name per key (a single name is shared, so with several
            keys the last one wins); ``None`` stores nothing.
        allow_missing_keys: don't raise an exception if a key is missing.
        kwargs: the perturbation, passed to :class:`~monai_refine.transforms.RandMaskPerturb`.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 64, 64), dtype=np.uint8)
        >>> mask[:, 16:48, 16:48] = 1
        >>> perturb = RandMaskPerturbd("prior", dice_range=(0.6, 0.9)).set_random_state(0)
        >>> data = perturb({"prior": mask})
        >>> bool(0.6 <= data["quality"][0] <= 0.9)
        True
    """

    backend = RandMaskPerturb.backend

    def __init__(
        self,
        keys: KeysCollection,
        quality_key: str | Sequence[str] | None = RefineKeys.QUALITY,
        allow_missing_keys: bool = False,
        **kwargs: Any,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.quality_key = ensure_tuple_rep(quality_key, len(self.keys))
        self.perturb = RandMaskPerturb(**kwargs)

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> RandMaskPerturbd:
        """Seed this transform and the wrapped array transform with one shared random state."""
        super().set_random_state(seed, state)
        self.perturb.set_random_state(state=self.R)
        return self

    def randomize(self, data: Sequence[int]) -> None:
        """Draw one try's perturbation for spatial size ``data`` (each key also draws its own when called)."""
        self.perturb.randomize(data)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key, quality_key in self.key_iterator(d, self.quality_key):
            d[key] = self.perturb(d[key])
            if quality_key is not None:
                output_type = torch.Tensor if isinstance(d[key], torch.Tensor) else np.ndarray
                d[quality_key], *_ = convert_data_type(
                    np.array([self.perturb.dice], dtype=np.float32),
                    output_type=output_type,
                    device=getattr(d[key], "device", None),
                )
        return d


RandMaskPerturbD = RandMaskPerturbDict = RandMaskPerturbd
