"""Array transforms that degrade a binary mask into a plausible imperfect segmentation (paper 002).

Refinement networks learn from ``(image, imperfect mask) -> mask`` pairs; a quality head additionally learns the
Dice of the imperfect mask. :class:`RandMaskPerturb` makes such masks from a ground truth by a random combination of
elastic deformation, erosion/dilation, boundary noise, rotation, shift and flip, optionally redrawn until the Dice
against the input lies in a target range.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor
from monai.transforms import Affine, Rand2DElastic, Rand3DElastic, RandomizableTransform
from monai.utils import TransformBackends, convert_to_dst_type
from scipy import ndimage

from monai_refine.metrics import dice_coefficient
from monai_refine.utils import (
    RefineKeys,
    as_binary_mask,
    check_array,
    check_positive_int,
    check_probability,
    check_range,
    check_spacing,
    resolve_spacing,
)

__all__ = ["RandMaskPerturb"]

logger = logging.getLogger(__name__)


class RandMaskPerturb(RandomizableTransform):
    """Degrade a binary mask by a random combination of perturbations; report the achieved Dice (paper 002).

    Each try applies, in this order and each with its own probability:

    1. erosion / dilation by a signed radius drawn from ``radius_range`` in mm (negative erodes, positive dilates),
       exact Euclidean ball morphology from ``scipy.ndimage.distance_transform_edt`` with the voxel spacing;
    2. boundary noise: in a band of half-width drawn from ``noise_band_range`` (mm) around the contour, every voxel
       flips with a probability drawn from ``noise_fraction_range``;
    3. elastic deformation with MONAI's :class:`~monai.transforms.Rand2DElastic` (control points ``elastic_spacing``
       voxels apart, offsets from ``elastic_magnitude_range`` voxels) or :class:`~monai.transforms.Rand3DElastic`
       (offsets smoothed with σ from ``elastic_sigma_range`` voxels, scaled by ``elastic_magnitude_range``);
    4. rotation (angles from ``[-rotate_range, rotate_range]`` radians about every rotation axis of the voxel grid)
       and shift (from ``[-shift_range, shift_range]`` mm per axis), one MONAI :class:`~monai.transforms.Affine`;
    5. flip along one randomly chosen spatial axis.

    Spacing is the ``spacing`` argument, else the MetaTensor's ``pixdim``, else 1 (then every "mm" is a voxel).
    The image border counts as background for erosion; resampling pads with background (nearest neighbour).

    With ``dice_range=(lo, hi)`` the perturbation is redrawn until ``lo <= Dice(output, input) <= hi``, at most
    ``max_tries`` times; if no try lands in the range a ``ValueError`` reports the Dice values reached.
    :meth:`perturb` returns the output with the achieved Dice, the number of tries and the names of the operations
    applied (``"morph"``, ``"noise"``, ``"elastic"``, ``"rotate"``, ``"shift"``, ``"flip"``); a MetaTensor output
    carries the Dice in ``meta["quality"]``, and the dictionary form :class:`~monai_refine.transforms.RandMaskPerturbd`
    writes it under its ``quality_key``. As in MONAI, :meth:`randomize` draws and ``randomize=False`` replays the
    last draw (without the ``dice_range`` search), e.g. on a second mask.

    Args:
        prob: probability of perturbing at all; otherwise the mask is returned unchanged (Dice 1).
        morph_prob: probability of erosion / dilation.
        radius_range: ``(lo, hi)`` signed radius in mm, negative erodes, positive dilates.
        noise_prob: probability of boundary noise.
        noise_band_range: ``(lo, hi)`` half-width in mm of the band around the contour, ``lo >= 0``.
        noise_fraction_range: ``(lo, hi)`` fraction of band voxels that flip, within ``[0, 1]``.
        elastic_prob: probability of the elastic deformation.
        elastic_magnitude_range: ``(lo, hi)`` MONAI ``magnitude_range``; default ``(1, 4)`` voxels in 2D and
            ``(100, 300)`` in 3D (MONAI's ``Rand3DElastic`` multiplies a smoothed uniform[-1, 1] field).
        elastic_spacing: 2D only, distance in voxels between the elastic control points.
        elastic_sigma_range: 3D only, ``(lo, hi)`` σ in voxels that smooths the random 3D offsets.
        rotate_prob: probability of a rotation.
        rotate_range: the largest absolute rotation angle in radians.
        shift_prob: probability of a shift.
        shift_range: the largest absolute shift in mm per spatial axis.
        flip_prob: probability of flipping along one random spatial axis.
        dice_range: ``(lo, hi)`` within ``[0, 1]`` for the Dice against the input, or ``None`` to accept any draw.
        max_tries: number of draws before giving up on ``dice_range``.
        spacing: voxel spacing in mm (one value per spatial dim or a scalar); overrides the MetaTensor's.

    Shapes:
        ``img``: ``(1, H, W)`` or ``(1, H, W, D)`` binary ({0, 1} or bool); returned with the same shape, type,
        dtype and device (MetaTensor metadata kept).

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 64, 64), dtype=np.uint8)
        >>> mask[:, 16:48, 16:48] = 1
        >>> perturb = RandMaskPerturb(dice_range=(0.6, 0.9)).set_random_state(0)
        >>> out, info = perturb.perturb(mask)
        >>> kept = int((out & mask).sum())  # Dice = 2 |out ∩ mask| / (|out| + |mask|), |mask| = 32²
        >>> out.shape, abs(info["dice"] - 2 * kept / (int(out.sum()) + 32 * 32)) < 1e-6, 0.6 <= info["dice"] <= 0.9
        ((1, 64, 64), True, True)
    """

    backend = [TransformBackends.NUMPY]  # computed on a numpy array whatever the input type

    def __init__(
        self,
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
    ) -> None:
        RandomizableTransform.__init__(self, check_probability("prob", prob))
        self.morph_prob = check_probability("morph_prob", morph_prob)
        self.radius_range = check_range("radius_range", radius_range)
        self.noise_prob = check_probability("noise_prob", noise_prob)
        self.noise_band_range = check_range("noise_band_range", noise_band_range, low=0.0)
        self.noise_fraction_range = check_range("noise_fraction_range", noise_fraction_range, 0.0, 1.0)
        self.elastic_prob = check_probability("elastic_prob", elastic_prob)
        magnitudes = {2: (1.0, 4.0), 3: (100.0, 300.0)}
        if elastic_magnitude_range is not None:
            magnitudes = dict.fromkeys(magnitudes, check_range("elastic_magnitude_range", elastic_magnitude_range, 0.0))
        if not (np.isfinite(elastic_spacing) and elastic_spacing >= 1):
            raise ValueError(f"elastic_spacing must be a finite number of voxels >= 1, got {elastic_spacing}.")
        sigma_range = check_range("elastic_sigma_range", elastic_sigma_range, low=0.0)
        if sigma_range[0] <= 0:
            raise ValueError(f"elastic_sigma_range must be positive, got {elastic_sigma_range}.")
        self.rotate_prob = check_probability("rotate_prob", rotate_prob)
        if not (np.isfinite(rotate_range) and rotate_range >= 0):
            raise ValueError(f"rotate_range must be a finite angle >= 0 in radians, got {rotate_range}.")
        self.rotate_range = float(rotate_range)
        self.shift_prob = check_probability("shift_prob", shift_prob)
        if not (np.isfinite(shift_range) and shift_range >= 0):
            raise ValueError(f"shift_range must be a finite distance >= 0 in mm, got {shift_range}.")
        self.shift_range = float(shift_range)
        self.flip_prob = check_probability("flip_prob", flip_prob)
        self.dice_range = None if dice_range is None else check_range("dice_range", dice_range, 0.0, 1.0)
        self.max_tries = check_positive_int("max_tries", max_tries)
        check_spacing("spacing", spacing)
        self.spacing = spacing
        common = {"prob": 1.0, "mode": "nearest", "padding_mode": "zeros"}
        self.elastic = {
            2: Rand2DElastic(spacing=(float(elastic_spacing),) * 2, magnitude_range=magnitudes[2], **common),
            3: Rand3DElastic(sigma_range=sigma_range, magnitude_range=magnitudes[3], **common),
        }
        self._params: dict | None = None  # the last draw: None before any, {} when ``prob`` said "unchanged"
        self._shape: tuple[int, ...] = ()

    def randomize(self, data: Sequence[int]) -> None:
        """Draw whether to perturb (``prob``) and one try's operations for a mask of spatial size ``data``.

        ``__call__(img, randomize=False)`` then applies exactly this draw.
        """
        super().randomize(None)
        self._params = {}
        if self._do_transform:
            self._draw(data)

    def _draw(self, spatial_shape: Sequence[int]) -> None:
        """Draw the operations and parameters of one try for spatial size ``spatial_shape`` into ``self._params``."""
        dims = len(spatial_shape)
        params: dict = {}
        if self.R.rand() < self.morph_prob:
            params["morph"] = self.R.uniform(*self.radius_range)
        if self.R.rand() < self.noise_prob:
            band, fraction = self.R.uniform(*self.noise_band_range), self.R.uniform(*self.noise_fraction_range)
            params["noise"] = (band, fraction, self.R.random_sample(tuple(spatial_shape)))
        if self.R.rand() < self.elastic_prob:
            params["elastic"] = int(self.R.randint(2**31))  # seeds MONAI's elastic transform, so a draw replays
        if self.R.rand() < self.rotate_prob:
            params["rotate"] = self.R.uniform(-self.rotate_range, self.rotate_range, 1 if dims == 2 else 3)
        if self.R.rand() < self.shift_prob:
            params["shift"] = self.R.uniform(-self.shift_range, self.shift_range, dims)
        if self.R.rand() < self.flip_prob:
            params["flip"] = int(self.R.randint(dims))
        self._params, self._shape = params, tuple(int(n) for n in spatial_shape)

    def __call__(self, img: NdarrayOrTensor, randomize: bool = True) -> NdarrayOrTensor:
        """Perturb ``img`` of shape ``(1, *spatial)``; see the class docstring and :meth:`perturb`."""
        return self.perturb(img, randomize)[0]

    def perturb(self, img: NdarrayOrTensor, randomize: bool = True) -> tuple[NdarrayOrTensor, dict]:
        """Perturb ``img`` ``(1, *spatial)`` and say how: ``(output, {"dice", "num_tries", "operations"})``.

        The information is returned, not kept on the instance, so concurrent calls (``ThreadDataLoader``) cannot
        mix them up; a MetaTensor output also carries the Dice in ``meta["quality"]``.

        Args:
            img: binary mask ``(1, *spatial)``.
            randomize: draw a new perturbation (redrawn until ``dice_range`` is met); ``False`` applies the previous
                draw (of :meth:`randomize` or of the last call) once, as it is, to a mask of the same spatial size.

        Raises:
            ValueError: ``img`` not an array/tensor, not binary, not single-channel, not 2D/3D; an empty mask with
                ``dice_range``;
                ``dice_range`` not reached in ``max_tries`` tries; ``randomize=False`` before any draw or on a
                mask of another spatial size.
        """
        check_array("img", img)
        mask = as_binary_mask("img", img)[0]
        spacing = resolve_spacing(img, self.spacing, mask.ndim)
        if randomize:
            self.randomize(mask.shape)
        elif self._params is None:
            raise ValueError("randomize=False applies the previous draw: call randomize(spatial_shape) first.")
        if not self._do_transform:
            return img, {"dice": 1.0, "num_tries": 0, "operations": ()}
        if self.dice_range is not None and not mask.any():
            raise ValueError(f"img is an empty mask: its Dice is undefined, dice_range={self.dice_range} needs a mask.")
        if not randomize and self._shape != mask.shape:
            raise ValueError(
                f"randomize=False applies a draw made for spatial size {self._shape}, got img of size {mask.shape}."
            )
        signed_distance = self._signed_distance(mask, spacing)
        reached: list[float] = []
        for num_tries in range(1, self.max_tries + 1):
            if randomize and num_tries > 1:
                self._draw(mask.shape)
            out = self._apply(mask, signed_distance, spacing)
            dice = dice_coefficient(out, mask)
            if not randomize or self.dice_range is None or self.dice_range[0] <= dice <= self.dice_range[1]:
                break
            reached.append(dice)
        else:
            raise ValueError(
                f"dice_range={self.dice_range} was not reached in max_tries={self.max_tries} tries (Dice reached "
                f"{min(reached):.3f}..{max(reached):.3f}); widen dice_range, raise max_tries or change the "
                "perturbation ranges."
            )
        operations = tuple(self._params)
        logger.debug("RandMaskPerturb: Dice %.4f after %d tries, operations %s", dice, num_tries, operations)
        result, *_ = convert_to_dst_type(out[None], img)
        if isinstance(result, MetaTensor):
            result.meta = {**result.meta, RefineKeys.QUALITY: dice}
        return result, {"dice": dice, "num_tries": num_tries, "operations": operations}

    def _signed_distance(self, mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
        """Signed Euclidean distance in mm (negative inside), exact within reach of the largest radius/band, else inf.

        The two distance transforms run only on the mask's bounding box grown by that reach (plus a background rim
        so the image border counts as background), which keeps them cheap for small objects in large images.
        """
        distance = np.full(mask.shape, np.inf, dtype=np.float32)
        if not mask.any():
            return distance
        reach = max(abs(self.radius_range[0]), abs(self.radius_range[1])) + self.noise_band_range[1]
        margin = np.ceil(reach / spacing).astype(int) + 1
        nonzero = np.nonzero(mask)
        box = tuple(
            slice(max(int(idx.min()) - m, 0), min(int(idx.max()) + m + 1, size))
            for idx, m, size in zip(nonzero, margin, mask.shape)
        )
        crop = np.pad(mask[box], 1)
        signed = ndimage.distance_transform_edt(~crop, sampling=spacing) - ndimage.distance_transform_edt(
            crop, sampling=spacing
        )
        distance[box] = signed[(slice(1, -1),) * mask.ndim]
        return distance

    def _apply(self, mask: np.ndarray, signed_distance: np.ndarray, spacing: np.ndarray) -> np.ndarray:
        """Apply the operations drawn by :meth:`randomize` to ``mask`` (spatial, bool); return a bool array."""
        params = self._params
        radius = params.get("morph", 0.0)
        out = (signed_distance <= radius) if radius >= 0 else (signed_distance < radius)
        if "noise" in params:
            width, fraction, field = params["noise"]
            band = np.abs(signed_distance - radius) <= width
            out[band] ^= field[band] < fraction
        if {"elastic", "rotate", "shift"} & params.keys():
            moving = torch.from_numpy(out[None].astype(np.float32))
            if "elastic" in params:
                elastic = self.elastic[mask.ndim].set_random_state(seed=params["elastic"])
                moving = elastic(moving)
            if {"rotate", "shift"} & params.keys():
                shift = (params["shift"] / spacing).tolist() if "shift" in params else None
                affine = Affine(
                    rotate_params=params["rotate"].tolist() if "rotate" in params else None,
                    translate_params=shift,
                    mode="nearest",
                    padding_mode="zeros",
                    image_only=True,
                )
                moving = affine(moving)
            out = torch.as_tensor(moving).numpy()[0] > 0.5
        if "flip" in params:
            out = np.flip(out, axis=params["flip"])
        return np.ascontiguousarray(out)
