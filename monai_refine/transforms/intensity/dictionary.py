"""Dictionary wrappers of :mod:`monai_refine.transforms.intensity.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform, Randomizable

from monai_refine.transforms.intensity.array import ColorSpaceChannels, RandPercentileContrast

__all__ = [
    "ColorSpaceChannelsD",
    "ColorSpaceChannelsDict",
    "ColorSpaceChannelsd",
    "RandPercentileContrastD",
    "RandPercentileContrastDict",
    "RandPercentileContrastd",
]


class ColorSpaceChannelsd(MapTransform):
    """Dictionary-based wrapper of :class:`~monai_refine.transforms.ColorSpaceChannels`.

    Args:
        keys: keys of the channel-first RGB images.
        allow_missing_keys: don't raise an exception if a key is missing.
        kwargs: passed to :class:`~monai_refine.transforms.ColorSpaceChannels` (``spaces``, ``max_value``).

    Example:
        >>> import numpy as np
        >>> ColorSpaceChannelsd("image")({"image": np.zeros((3, 4, 4), dtype=np.uint8)})["image"].shape
        (7, 4, 4)
    """

    backend = ColorSpaceChannels.backend

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False, **kwargs: Any) -> None:
        super().__init__(keys, allow_missing_keys)
        self.converter = ColorSpaceChannels(**kwargs)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.converter(d[key])
        return d


class RandPercentileContrastd(Randomizable, MapTransform):
    """Dictionary-based wrapper of :class:`~monai_refine.transforms.RandPercentileContrast`.

    One draw (whether to stretch, and the percentiles) is shared by all keys, so the keys must have the same number
    of channels when ``channel_wise``.

    Args:
        keys: keys of the channel-first images.
        allow_missing_keys: don't raise an exception if a key is missing.
        kwargs: passed to :class:`~monai_refine.transforms.RandPercentileContrast` (``prob``, ranges, ...).

    Example:
        >>> import numpy as np
        >>> img = np.random.default_rng(0).uniform(0, 255, (7, 8, 8)).astype(np.float32)
        >>> out = RandPercentileContrastd("image").set_random_state(0)({"image": img})["image"]
        >>> float(out.min()), float(out.max())
        (0.0, 1.0)
    """

    backend = RandPercentileContrast.backend

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False, **kwargs: Any) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.stretch = RandPercentileContrast(**kwargs)

    def set_random_state(
        self, seed: int | None = None, state: np.random.RandomState | None = None
    ) -> RandPercentileContrastd:
        """Seed this transform and the wrapped array transform with one shared random state."""
        super().set_random_state(seed, state)
        self.stretch.set_random_state(state=self.R)
        return self

    def randomize(self, data: int) -> None:
        """Draw whether to stretch and the percentiles for images with ``data`` channels."""
        self.stretch.randomize(data)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        first_key = self.first_key(d)
        if first_key == ():
            return d
        self.randomize(d[first_key].shape[0])
        for key in self.key_iterator(d):
            d[key] = self.stretch(d[key], randomize=False)
        return d


ColorSpaceChannelsD = ColorSpaceChannelsDict = ColorSpaceChannelsd
RandPercentileContrastD = RandPercentileContrastDict = RandPercentileContrastd
