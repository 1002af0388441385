"""Array transforms for colour inputs: colour-space channels and random percentile contrast (paper 003).

Paper 003 (CDNN, dermoscopy) feeds its network 7 channels, RGB + HSV + CIELAB L, and augments the contrast of every
channel by stretching a percentile window (the 5th to the 95th percentile).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.transforms import RandomizableTransform, Transform
from monai.utils import TransformBackends, convert_to_dst_type, convert_to_numpy, convert_to_tensor
from skimage import color

from monai_refine.utils import check_array, check_finite, check_probability, check_range

__all__ = ["COLOR_SPACES", "ColorSpaceChannels", "RandPercentileContrast"]


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB scaled to [0, 1]: L / 100, (a* + 128) / 255, (b* + 128) / 255."""
    lab = color.rgb2lab(rgb)
    return (lab + np.array([0.0, 128.0, 128.0])) / np.array([100.0, 255.0, 255.0])


#: Colour spaces of :class:`ColorSpaceChannels`: name -> (channel-last RGB in [0, 1] -> channel-last output in [0, 1]).
COLOR_SPACES = {
    "rgb": lambda rgb: rgb,
    "hsv": color.rgb2hsv,
    "lab": _lab,
    "lab_l": lambda rgb: color.rgb2lab(rgb)[..., :1] / 100.0,
    "gray": lambda rgb: color.rgb2gray(rgb)[..., None],
    "green": lambda rgb: rgb[..., 1:2],
}


class ColorSpaceChannels(Transform):
    """Turn a channel-first RGB image into a concatenation of colour spaces, every channel scaled to ``[0, 1]``.

    The default is the 7-channel input of paper 003: R, G, B, H, S, V and CIELAB L. Conversions use
    ``skimage.color`` (D65 illuminant). Ranges of the output channels:

    - ``"rgb"``: R, G, B divided by ``max_value``;
    - ``"hsv"``: H, S, V from ``skimage.color.rgb2hsv``, already in ``[0, 1]`` (H = 1 is 360°);
    - ``"lab"``: L / 100, (a* + 128) / 255, (b* + 128) / 255;
    - ``"lab_l"``: L / 100 only;
    - ``"gray"``: luminance from ``skimage.color.rgb2gray``;
    - ``"green"``: G divided by ``max_value`` (the vessel channel of fundus photographs).

    The conversions are ``skimage``'s, in numpy: a torch input is copied to the host and the result back to its
    device (``backend`` says numpy). An RGB image already scaled to ``[0, 1]`` (fractional values, maximum <= 1) given
    with ``max_value`` > 1 is refused, as it would give channels <= 1/255: pass ``max_value=1``.

    Args:
        spaces: colour spaces in output order, names from :data:`COLOR_SPACES`; a single name (a ``str``, e.g.
            ``"green"``) is one space, not a sequence of letters.
        max_value: the value of full intensity in the input: 255 for 8-bit images, 1 for images in ``[0, 1]``.

    Shapes:
        ``img``: ``(3, *spatial)`` RGB with values in ``[0, max_value]``; returns ``(C, *spatial)`` float32
        (``C`` = 7 by default) of the same type and device (MetaTensor metadata kept).

    Example:
        >>> import numpy as np
        >>> rgb = np.zeros((3, 2, 2), dtype=np.uint8)
        >>> rgb[0] = 255  # pure red
        >>> ColorSpaceChannels()(rgb)[:, 0, 0].astype(float).round(3).tolist()
        [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.532]
    """

    backend = [TransformBackends.NUMPY]

    def __init__(self, spaces: Sequence[str] = ("rgb", "hsv", "lab_l"), max_value: float = 255.0) -> None:
        spaces = (spaces,) if isinstance(spaces, str) else tuple(spaces)
        unknown = [s for s in spaces if s not in COLOR_SPACES]
        if not spaces or unknown:
            raise ValueError(f"spaces must be a non-empty sequence of {sorted(COLOR_SPACES)}, got {spaces}.")
        if not (np.isfinite(max_value) and max_value > 0):
            raise ValueError(f"max_value must be finite and positive (255 for 8-bit, 1 for [0, 1]), got {max_value}.")
        self.spaces = spaces
        self.max_value = float(max_value)

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """Convert ``img`` (``(3, *spatial)`` RGB).

        Raises:
            ValueError: not an array, not 3 channels, fewer than 2 spatial dims, NaN/Inf, values outside
                ``[0, max_value]``, or fractional values within ``[0, 1]`` with ``max_value`` > 1.
        """
        check_array("img", img)
        if img.ndim < 3 or img.shape[0] != 3:
            raise ValueError(f"img must be channel-first RGB of shape (3, *spatial), got shape {tuple(img.shape)}.")
        rgb = convert_to_numpy(img).astype(np.float64)
        check_finite("img", rgb)
        if rgb.min() < 0 or rgb.max() > self.max_value:
            raise ValueError(
                f"img values must lie in [0, max_value={self.max_value:g}] (RGB), got [{rgb.min():g}, {rgb.max():g}]."
            )
        if self.max_value > 1 and 0 < rgb.max() <= 1 and (rgb != np.round(rgb)).any():
            raise ValueError(
                f"img looks scaled to [0, 1] already (fractional values, maximum {rgb.max():g}) but max_value="
                f"{self.max_value:g} would map it to [0, {1 / self.max_value:.3g}]: pass max_value=1.0."
            )
        rgb = np.moveaxis(rgb / self.max_value, 0, -1)
        out = np.concatenate([COLOR_SPACES[space](rgb) for space in self.spaces], axis=-1)
        result, *_ = convert_to_dst_type(np.moveaxis(out, -1, 0), img, dtype=torch.float32)
        return result


class RandPercentileContrast(RandomizableTransform):
    """Random contrast stretch between random lower and upper percentiles, with MONAI's percentile scaling.

    Paper 003 stretches every channel between its 5th and 95th percentiles; this draws the lower percentile from
    ``lower_range`` and the upper from ``upper_range`` (per channel when ``channel_wise``) and maps them to
    ``[b_min, b_max]`` as :class:`~monai.transforms.ScaleIntensityRangePercentiles` does (linear-interpolated
    percentiles, as ``numpy.percentile``; a channel whose two percentiles are equal becomes ``b_min``). It computes
    in torch on the input's device; numpy and integer (e.g. uint8 from ``LoadImaged(dtype=None)``) inputs are
    converted to float32.

    Args:
        prob: probability of the stretch; otherwise the image is returned unchanged.
        lower_range: ``(lo, hi)`` range of the lower percentile, within ``[0, 100]``.
        upper_range: ``(lo, hi)`` range of the upper percentile, within ``[0, 100]``, above ``lower_range``.
        b_min: output value of the lower percentile.
        b_max: output value of the upper percentile, above ``b_min``.
        clip: clip the output to ``[b_min, b_max]``.
        channel_wise: draw and apply percentiles per channel (paper 003) instead of over the whole image.

    Shapes:
        ``img``: ``(C, *spatial)``, any real dtype; returned as float32 with the same shape, type and device
        (MetaTensor metadata kept).

    Example:
        >>> import numpy as np
        >>> img = np.random.default_rng(0).uniform(0, 255, (7, 32, 32)).astype(np.float32)
        >>> out = RandPercentileContrast(lower_range=(5, 5), upper_range=(95, 95))(img)
        >>> float(out.min()), float(out.max())
        (0.0, 1.0)
    """

    backend = [TransformBackends.TORCH]

    def __init__(
        self,
        prob: float = 1.0,
        lower_range: Sequence[float] = (0.0, 10.0),
        upper_range: Sequence[float] = (90.0, 100.0),
        b_min: float = 0.0,
        b_max: float = 1.0,
        clip: bool = True,
        channel_wise: bool = True,
    ) -> None:
        super().__init__(check_probability("prob", prob))
        self.lower_range = check_range("lower_range", lower_range, 0.0, 100.0)
        self.upper_range = check_range("upper_range", upper_range, 0.0, 100.0)
        if self.lower_range[1] >= self.upper_range[0]:
            raise ValueError(
                f"lower_range={lower_range} must lie below upper_range={upper_range} (lower hi < upper lo)."
            )
        if not (np.isfinite([b_min, b_max]).all() and b_min < b_max):
            raise ValueError(f"b_min < b_max must be finite, got b_min={b_min}, b_max={b_max}.")
        self.b_min, self.b_max, self.clip, self.channel_wise = float(b_min), float(b_max), clip, channel_wise
        self.percentiles = np.zeros((0, 2))

    def randomize(self, num_channels: int) -> None:
        """Draw the ``(lower, upper)`` percentiles, one row per channel (or a single row when not channel-wise)."""
        super().randomize(None)
        if not self._do_transform:
            return
        rows = num_channels if self.channel_wise else 1
        self.percentiles = np.stack(
            [self.R.uniform(*self.lower_range, rows), self.R.uniform(*self.upper_range, rows)], axis=1
        )

    def __call__(self, img: NdarrayOrTensor, randomize: bool = True) -> NdarrayOrTensor:
        """Stretch ``img`` (``(C, *spatial)``); ``randomize=False`` reuses the last draw.

        Raises:
            ValueError: not an array, fewer than 2 dims, NaN/Inf values, or a channel count that does not match the
                last draw.
        """
        check_array("img", img)
        if img.ndim < 2:
            raise ValueError(f"img must be channel-first (C, *spatial), got shape {tuple(img.shape)}.")
        image = convert_to_tensor(img, track_meta=False).float()
        if not torch.isfinite(image).all():
            raise ValueError("img contains NaN or Inf values; clean the input before this transform.")
        if randomize:
            self.randomize(img.shape[0])
        if not self._do_transform:
            return img
        if len(self.percentiles) != (img.shape[0] if self.channel_wise else 1):
            raise ValueError(f"img has {img.shape[0]} channels but the last draw was for {len(self.percentiles)}.")
        groups = image.reshape(image.shape[0], -1) if self.channel_wise else image.reshape(1, -1)
        q = torch.as_tensor(self.percentiles, dtype=torch.float64, device=image.device) / 100.0
        ends = _quantiles(groups, q)  # (groups, 2): the lower and upper percentile values
        lo, hi = ends[:, 0:1], ends[:, 1:2]
        width = hi - lo
        scale = torch.where(width > 0, (self.b_max - self.b_min) / torch.where(width > 0, width, 1.0), 0.0)
        stretched = ((groups.double() - lo) * scale + self.b_min).float()
        if self.clip:
            stretched = stretched.clamp(self.b_min, self.b_max)
        result, *_ = convert_to_dst_type(stretched.reshape(image.shape), img, dtype=torch.float32)
        return result


def _quantiles(values: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Row-wise linear-interpolated quantiles (``numpy.percentile``'s default method).

    Args:
        values: ``(R, N)`` float tensor.
        q: ``(R, K)`` quantiles in ``[0, 1]``, one row per row of ``values``.

    Returns:
        ``(R, K)`` float64 tensor.
    """
    ordered = values.double().sort(dim=1).values
    position = q * (ordered.shape[1] - 1)
    below = position.floor().long().clamp(0, ordered.shape[1] - 1)
    above = (below + 1).clamp(max=ordered.shape[1] - 1)
    fraction = position - below
    low, high = ordered.gather(1, below), ordered.gather(1, above)
    return low + (high - low) * fraction
