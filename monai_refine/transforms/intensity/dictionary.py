"""Dictionary wrappers of :mod:`monai_refine.transforms.intensity.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

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
        spaces: colour spaces in output order, names from :data:`~monai_refine.transforms.COLOR_SPACES`; a single
            name (a ``str``) is one space.
        max_value: the value of full intensity in the input: 255 for 8-bit images, 1 for images in ``[0, 1]``.
        allow_missing_keys: don't raise an exception if a key is missing.

    Example:
        >>> import numpy as np
        >>> ColorSpaceChannelsd("image")({"image": np.zeros((3, 4, 4), dtype=np.uint8)})["image"].shape
        (7, 4, 4)
    """

    backend = ColorSpaceChannels.backend

    def __init__(
        self,
        keys: KeysCollection,
        spaces: Sequence[str] = ("rgb", "hsv", "lab_l"),
        max_value: float = 255.0,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.converter = ColorSpaceChannels(spaces=spaces, max_value=max_value)

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
        prob: probability of the stretch; otherwise the images are returned unchanged.
        lower_range: ``(lo, hi)`` range of the lower percentile, within ``[0, 100]``.
        upper_range: ``(lo, hi)`` range of the upper percentile, within ``[0, 100]``, above ``lower_range``.
        b_min: output value of the lower percentile.
        b_max: output value of the upper percentile, above ``b_min``.
        clip: clip the output to ``[b_min, b_max]``.
        channel_wise: draw and apply percentiles per channel (paper 003) instead of over the whole image.
        allow_missing_keys: don't raise an exception if a key is missing.

    Example:
        >>> import numpy as np
        >>> img = np.random.default_rng(0).uniform(0, 255, (7, 8, 8)).astype(np.float32)
        >>> out = RandPercentileContrastd("image").set_random_state(0)({"image": img})["image"]
        >>> float(out.min()), float(out.max())
        (0.0, 1.0)
    """

    backend = RandPercentileContrast.backend

    def __init__(
        self,
        keys: KeysCollection,
        prob: float = 1.0,
        lower_range: Sequence[float] = (0.0, 10.0),
        upper_range: Sequence[float] = (90.0, 100.0),
        b_min: float = 0.0,
        b_max: float = 1.0,
        clip: bool = True,
        channel_wise: bool = True,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.stretch = RandPercentileContrast(prob, lower_range, upper_range, b_min, b_max, clip, channel_wise)

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
