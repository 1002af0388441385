"""Dictionary wrappers of :mod:`monai_refine.transforms.perturbation.array`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

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

    As MONAI's random dictionary transforms do, one draw is applied to every key: the first key present draws the
    perturbation (redrawn until ``dice_range`` is met on that key's mask) and the other keys get exactly the same
    operations (same spatial size required). The achieved Dice of each key against its input is stored under the
    matching ``quality_key`` as a float32 array of shape ``(1,)`` (a tensor on the mask's device when the mask is a
    tensor), ready for a quality head; a MetaTensor output also carries it in ``meta["quality"]``. Nothing about a
    call is kept on the instance but the draw itself.

    Args:
        keys: keys of the binary masks to perturb, each ``(1, H, W)`` or ``(1, H, W, D)``.
        quality_key: where to store the Dice of each key: one name per key (a single name is shared, so with several
            keys the last one wins); ``None`` stores nothing; default ``"quality"``.
        prob, morph_prob, radius_range, noise_prob, noise_band_range, noise_fraction_range, elastic_prob,
        elastic_magnitude_range, elastic_spacing, elastic_sigma_range, rotate_prob, rotate_range, shift_prob,
        shift_range, flip_prob, dice_range, max_tries, spacing: the perturbation, see
            :class:`~monai_refine.transforms.RandMaskPerturb`.
        allow_missing_keys: don't raise an exception if a key is missing.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 64, 64), dtype=np.uint8)
        >>> mask[:, 16:48, 16:48] = 1
        >>> perturb = RandMaskPerturbd("prior", dice_range=(0.6, 0.9)).set_random_state(0)
        >>> data = perturb({"prior": mask})
        >>> out = data["prior"].astype(bool)
        >>> dice = 2 * (out & (mask > 0)).sum() / (out.sum() + 32 * 32)  # Dice against the 32 x 32 square
        >>> bool(abs(data["quality"][0] - dice) < 1e-6), bool(0.6 <= data["quality"][0] <= 0.9)
        (True, True)
    """

    backend = RandMaskPerturb.backend

    def __init__(
        self,
        keys: KeysCollection,
        quality_key: str | Sequence[str] | None = RefineKeys.QUALITY,
        prob: float = 1.0,
        morph_prob: float = 0.5,
        radius_range: Sequence[float] = (-3.0, 3.0),
        noise_prob: float = 0.5,
        noise_band_range: Sequence[float] = (1.0, 3.0),
        noise_fraction_range: Sequence[float] = (0.1, 0.5),
        elastic_prob: float = 0.5,
        elastic_magnitude_range: Sequence[float] | None = None,
        elastic_spacing: float = 32.0,
        elastic_sigma_range: Sequence[float] = (5.0, 8.0),
        rotate_prob: float = 0.3,
        rotate_range: float = 0.2,
        shift_prob: float = 0.3,
        shift_range: float = 4.0,
        flip_prob: float = 0.1,
        dice_range: Sequence[float] | None = None,
        max_tries: int = 100,
        spacing: Sequence[float] | float | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.quality_key = ensure_tuple_rep(quality_key, len(self.keys))
        self.perturb = RandMaskPerturb(
            prob=prob,
            morph_prob=morph_prob,
            radius_range=radius_range,
            noise_prob=noise_prob,
            noise_band_range=noise_band_range,
            noise_fraction_range=noise_fraction_range,
            elastic_prob=elastic_prob,
            elastic_magnitude_range=elastic_magnitude_range,
            elastic_spacing=elastic_spacing,
            elastic_sigma_range=elastic_sigma_range,
            rotate_prob=rotate_prob,
            rotate_range=rotate_range,
            shift_prob=shift_prob,
            shift_range=shift_range,
            flip_prob=flip_prob,
            dice_range=dice_range,
            max_tries=max_tries,
            spacing=spacing,
        )

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> RandMaskPerturbd:
        """Seed this transform and the wrapped array transform with one shared random state."""
        super().set_random_state(seed, state)
        self.perturb.set_random_state(state=self.R)
        return self

    def randomize(self, data: Sequence[int]) -> None:
        """Draw one perturbation for spatial size ``data``; ``__call__(d, randomize=False)`` applies it to every key."""
        self.perturb.randomize(data)

    def __call__(
        self, data: Mapping[Hashable, NdarrayOrTensor], randomize: bool = True
    ) -> dict[Hashable, NdarrayOrTensor]:
        """Perturb every key with one draw (a new one unless ``randomize=False``); store each key's Dice."""
        d = dict(data)
        for index, (key, quality_key) in enumerate(self.key_iterator(d, self.quality_key)):
            d[key], info = self.perturb.perturb(d[key], randomize=randomize and index == 0)
            if quality_key is not None:
                output_type = torch.Tensor if isinstance(d[key], torch.Tensor) else np.ndarray
                d[quality_key], *_ = convert_data_type(
                    np.array([info["dice"]], dtype=np.float32),
                    output_type=output_type,
                    device=getattr(d[key], "device", None),
                )
        return d


RandMaskPerturbD = RandMaskPerturbDict = RandMaskPerturbd
