"""Seed transforms: where a user (or a simulated user) clicks, as seed masks, and the Gaussian maps networks read.

Every seed tensor here has shape ``(2, *spatial)``: channel 0 holds foreground seeds, channel 1 background seeds
(:class:`monai_refine.utils.SeedChannel`), so seeds from any source (discrepancy skeletons, a propagated mask,
extreme points, user clicks) flow through the same :class:`GaussianSeedMap` and the same segmenters.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import edt
import numpy as np
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor
from monai.transforms import Randomizable, Transform
from monai.transforms.utils import get_extreme_points
from monai.utils import TransformBackends, convert_to_dst_type
from scipy import ndimage
from skimage.morphology import skeletonize

from monai_refine.utils import (
    SeedChannel,
    as_binary_mask,
    bounding_box,
    check_array,
    check_same_geometry,
    check_spacing,
    resolve_spacing,
)

__all__ = ["DiscrepancySeeds", "ExtremePointSeeds", "GaussianSeedMap", "MaskSeeds", "seeds_from_points"]

#: relative tolerance on distances compared with a margin in mm (spacing and distances pass through float32)
_RTOL = 1e-6


def _skeleton(mask: np.ndarray, labels: np.ndarray, per_slice: bool, slice_axis: int) -> np.ndarray:
    """Skeleton of a spatial boolean mask; 3D masks either as one 3D skeleton or slice by slice along ``slice_axis``.

    Every connected component (``labels``, from :func:`_components`) keeps at least its deepest voxel: skimage's 3D
    (Lee) thinning can erase a whole blob (an 8×8×8 cube has an empty skeleton), which would silently lose seeds.
    """
    if mask.ndim == 3 and per_slice:
        skeleton = np.moveaxis(np.stack([skeletonize(s) for s in np.moveaxis(mask, slice_axis, 0)]), 0, slice_axis)
    else:
        skeleton = skeletonize(mask)
    count = int(labels.max())
    missing = np.flatnonzero(np.bincount(labels[skeleton], minlength=count + 1)[1:] == 0) + 1
    missing = missing[np.bincount(labels[mask], minlength=count + 1)[missing] > 0]
    if missing.size:
        depth = edt.edt(mask, black_border=False)
        deepest = np.asarray(ndimage.maximum_position(depth, labels, missing)).reshape(missing.size, mask.ndim)
        skeleton[tuple(deepest.T)] = True
    return skeleton


def _components(mask: np.ndarray, per_slice: bool, slice_axis: int) -> np.ndarray:
    """Label connected components (face connectivity); with ``per_slice`` nothing connects across ``slice_axis``."""
    structure = ndimage.generate_binary_structure(mask.ndim, 1)
    if per_slice and mask.ndim == 3:
        centre = [1] * mask.ndim
        for offset in (0, 2):
            centre[slice_axis] = offset
            structure[tuple(centre)] = False
    return ndimage.label(mask, structure=structure)[0]


def _stack_seeds(foreground: np.ndarray, background: np.ndarray, like: NdarrayOrTensor) -> NdarrayOrTensor:
    """Stack two spatial seed masks into the ``(2, *spatial)`` layout with the type, device and metadata of ``like``."""
    seeds = np.empty((2, *foreground.shape), dtype=np.float32)
    seeds[SeedChannel.FOREGROUND] = foreground
    seeds[SeedChannel.BACKGROUND] = background
    return convert_to_dst_type(seeds, like, dtype=np.float32)[0]


class DiscrepancySeeds(Randomizable, Transform):
    """Training seeds from the disagreement between a prediction and its label (paper 001, Fig. 3).

    The skeleton of the over-segmentation (``pred ∧ ¬label``) becomes background seeds and the skeleton of the
    under-segmentation (``label ∧ ¬pred``) foreground seeds: a simulated user who draws a stroke along the middle of
    every error region.

    Args:
        min_component_size: error components with fewer voxels are ignored (no seeds), like a user who does not
            bother with tiny slivers. 0 keeps every component.
        max_seeds_per_component: keep at most this many skeleton voxels per error component, drawn at random
            (reproducible with ``set_random_state``; ``randomize=False`` reuses the previous draw, as in MONAI).
            ``None`` keeps the whole skeleton.
        per_slice: for 3D inputs, skeletonise and label components slice by slice along ``slice_axis`` (how a user
            annotates a volume) instead of with one 3D skeleton.
        slice_axis: spatial axis of the slices when ``per_slice`` is set (default: the last, axial in MONAI's
            ``(X, Y, Z)`` layout).

    Shapes:
        ``pred`` and ``label``: ``(1, *spatial)`` binary, the same geometry when both are MetaTensors; returns seeds
        ``(2, *spatial)`` float32 in {0, 1}, the type, device and metadata of ``pred``. The work is done inside the
        bounding box of each error, so its cost follows the errors, not the image.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 9, 9)); label[0, 2:7, 2:7] = 1
        >>> pred = np.zeros((1, 9, 9)); pred[0, 2:7, 2:4] = 1
        >>> seeds = DiscrepancySeeds()(pred, label)
        >>> bool(seeds[0].any()), bool(seeds[1].any())  # under-segmentation -> foreground seeds only
        (True, False)
    """

    backend = [TransformBackends.NUMPY]

    def __init__(
        self,
        min_component_size: int = 0,
        max_seeds_per_component: int | None = None,
        per_slice: bool = False,
        slice_axis: int = -1,
    ) -> None:
        for name, value in (
            ("min_component_size", min_component_size),
            ("max_seeds_per_component", max_seeds_per_component),
            ("slice_axis", slice_axis),
        ):  # a bool is no count or axis (True == 1), and NaN fails every comparison below
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
                raise ValueError(f"{name} must be an integer, got {value!r}.")
        if min_component_size < 0:
            raise ValueError(f"min_component_size must be >= 0, got {min_component_size}.")
        if max_seeds_per_component is not None and max_seeds_per_component < 1:
            raise ValueError(f"max_seeds_per_component must be >= 1 or None, got {max_seeds_per_component}.")
        if slice_axis not in (-3, -2, -1, 0, 1, 2):
            raise ValueError(f"slice_axis must be a spatial axis in [-3, 2], got {slice_axis}.")
        self.min_component_size = min_component_size
        self.max_seeds_per_component = max_seeds_per_component
        self.per_slice = per_slice
        self.slice_axis = slice_axis
        self._draw: int | None = None

    def randomize(self, data: None = None) -> None:
        """Draw this call's random choice of seeds (one integer from ``self.R``, seeding one stream per channel)."""
        self._draw = int(self.R.randint(2**31))

    def _error_seeds(self, error: np.ndarray, channel: int) -> np.ndarray:
        out = np.zeros(error.shape, dtype=bool)
        if not error.any():
            return out
        box = bounding_box(error, np.ones(error.ndim, dtype=np.int64))  # one background voxel around the errors
        labels = _components(error[box], self.per_slice, self.slice_axis)
        sizes = np.bincount(labels.ravel())
        kept = sizes >= self.min_component_size
        kept[0] = False
        labels[~kept[labels]] = 0
        skeleton = _skeleton(labels > 0, labels, self.per_slice, self.slice_axis)
        if self.max_seeds_per_component is not None:
            flat = np.flatnonzero(skeleton)
            keys = np.random.default_rng((self._draw, channel)).random(flat.size)
            component = labels.ravel()[flat]
            order = np.lexsort((keys, component))
            component = component[order]
            rank = np.arange(component.size) - np.searchsorted(component, component)
            skeleton = np.zeros(skeleton.shape, dtype=bool)
            skeleton.ravel()[flat[order[rank < self.max_seeds_per_component]]] = True
        out[box] = skeleton
        return out

    def __call__(self, pred: NdarrayOrTensor, label: NdarrayOrTensor, randomize: bool = True) -> NdarrayOrTensor:
        """Seeds ``(2, *spatial)`` from a binary ``pred`` and ``label``, both ``(1, *spatial)``.

        Args:
            pred: the prediction, ``(1, *spatial)`` binary.
            label: the label, ``(1, *spatial)`` binary.
            randomize: draw a new random choice of seeds; ``False`` reuses the previous draw (the first call draws).

        Raises:
            ValueError: inputs that are not arrays/tensors, not binary single-channel 2D/3D masks, of different
                shapes, or MetaTensors of different geometry (spacing, origin, direction).
        """
        check_array("pred", pred)
        check_array("label", label)
        if isinstance(pred, MetaTensor) and isinstance(label, MetaTensor):
            check_same_geometry(pred, label, names=("pred", "label"))
        pred_np = as_binary_mask("pred", pred)[0]
        label_np = as_binary_mask("label", label)[0]
        if pred_np.shape != label_np.shape:
            raise ValueError(f"pred and label must have the same shape, got {pred_np.shape} and {label_np.shape}.")
        if randomize or self._draw is None:
            self.randomize()
        foreground = self._error_seeds(label_np & ~pred_np, SeedChannel.FOREGROUND)
        background = self._error_seeds(pred_np & ~label_np, SeedChannel.BACKGROUND)
        return _stack_seeds(foreground, background, pred)


class MaskSeeds(Transform):
    """Propagation seeds from a mask (paper 001, slice by slice): skeleton → foreground, dilated boundary → background.

    The background seeds lie on the boundary of the mask dilated by ``margin_mm`` (spacing-aware): a ring just
    outside the object that is safely background on the neighbouring slice. An empty mask gives empty seeds. The work
    is done inside the mask's bounding box grown by the margin, so its cost follows the object, not the image.

    Args:
        margin_mm: dilation radius in mm (voxel units when no spacing is known), at least the largest voxel spacing
            (checked when called), so the ring leaves the object by at least one voxel along every axis.
        erosion_mm: if set, the foreground seeds are the skeleton plus the mask eroded by this many mm: a solid core
            instead of a thin line (a departure from paper 001 that region-growing segmenters such as the random
            walker need: a thin skeleton against a closed ring biases them towards background).
        spacing: voxel spacing in mm, one value per spatial dim; default: the MetaTensor's ``pixdim``, else 1.

    Shapes:
        ``mask``: ``(1, *spatial)`` binary; returns seeds ``(2, *spatial)`` float32, type/device/metadata of ``mask``.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 32, 32)); mask[0, 10:20, 10:20] = 1
        >>> seeds = MaskSeeds(margin_mm=3.0, spacing=(1.0, 1.0))(mask)
        >>> bool((seeds[0] * mask[0]).sum() == seeds[0].sum()), bool((seeds[1] * mask[0]).sum() == 0)
        (True, True)
    """

    backend = [TransformBackends.NUMPY]

    def __init__(
        self,
        margin_mm: float = 5.0,
        erosion_mm: float | None = None,
        spacing: Sequence[float] | float | None = None,
    ) -> None:
        if not np.isfinite(margin_mm) or margin_mm <= 0:
            raise ValueError(f"margin_mm must be finite and > 0, got {margin_mm}.")
        if erosion_mm is not None and (not np.isfinite(erosion_mm) or erosion_mm <= 0):
            raise ValueError(f"erosion_mm must be finite and > 0 (or None), got {erosion_mm}.")
        check_spacing("spacing", spacing)
        if spacing is not None:
            _check_margin(margin_mm, np.ravel(np.asarray(spacing, dtype=np.float64)))
        self.margin_mm = float(margin_mm)
        self.erosion_mm = erosion_mm
        self.spacing = spacing

    def __call__(self, mask: NdarrayOrTensor) -> NdarrayOrTensor:
        """Seeds ``(2, *spatial)`` from a binary ``mask`` ``(1, *spatial)``.

        Raises:
            ValueError: ``mask`` not binary / single-channel / 2D or 3D, or ``margin_mm`` smaller than the spacing
                along some axis (the ring would then lie on the object's own faces along that axis).
        """
        check_array("mask", mask)
        mask_np = as_binary_mask("mask", mask)[0]
        spacing = resolve_spacing(mask, self.spacing, mask_np.ndim)
        _check_margin(self.margin_mm, spacing)
        if not mask_np.any():
            return _stack_seeds(mask_np, mask_np, mask)
        # everything happens inside the mask's bounding box grown by the ring's reach plus one voxel: the result is
        # the same as on the whole image (the ring stays >= 1 voxel inside the box) at the cost of the object's size
        margin = self.margin_mm * (1 + _RTOL)
        box = bounding_box(mask_np, np.floor(margin / spacing).astype(np.int64) + 1)
        crop = mask_np[box]
        anisotropy = tuple(spacing)
        dilated = edt.edtsq(~crop, anisotropy=anisotropy, black_border=False) <= margin**2
        # border_value=1: the image edge is not an object boundary, so no background seeds are put along it
        ring = dilated & ~ndimage.binary_erosion(dilated, border_value=1)
        foreground = _skeleton(crop, _components(crop, per_slice=False, slice_axis=-1), False, -1)
        if self.erosion_mm is not None:
            foreground |= edt.edtsq(crop, anisotropy=anisotropy, black_border=True) > self.erosion_mm**2
        seeds = np.zeros((2, *mask_np.shape), dtype=bool)
        seeds[(SeedChannel.FOREGROUND, *box)] = foreground
        seeds[(SeedChannel.BACKGROUND, *box)] = ring
        return _stack_seeds(seeds[SeedChannel.FOREGROUND], seeds[SeedChannel.BACKGROUND], mask)


def _check_margin(margin_mm: float, spacing: np.ndarray) -> None:
    """Refuse a ring margin below the spacing along some axis: the dilation would not leave the object along it."""
    too_coarse = np.flatnonzero(spacing > margin_mm * (1 + _RTOL))
    if too_coarse.size:
        raise ValueError(
            f"margin_mm={margin_mm:g} is smaller than the voxel spacing along axis {too_coarse.tolist()} "
            f"(spacing {np.round(spacing, 6).tolist()} mm): the background ring would lie on the object there; "
            f"use margin_mm >= {float(spacing.max()):g} (the largest spacing)."
        )


@functools.lru_cache(maxsize=16)
def _truncated_kernel(sigma: float, spacing: tuple[float, ...], cutoff: float, radius: tuple[int, ...]) -> np.ndarray:
    """Dense Gaussian kernel ``exp(-d² / 2σ²)`` over ``2 · radius + 1`` voxels per axis, 0 beyond ``cutoff`` mm.

    Cached (read-only): a training loop asks for the same kernel for every sample of every batch.
    """
    grids = np.meshgrid(*(np.arange(-r, r + 1) * h for r, h in zip(radius, spacing)), indexing="ij", sparse=True)
    squared = sum(g**2 for g in grids)
    kernel = np.where(squared <= cutoff**2, np.exp(squared * (-0.5 / sigma**2)), 0.0).astype(np.float32)
    kernel.flags.writeable = False
    return kernel


class GaussianSeedMap(Transform):
    """Gaussian seed maps: value ``exp(-d² / 2σ²)`` of the distance ``d`` (mm) to the nearest seed of each channel.

    The map is 1 on a seed, ``exp(-0.5)`` exactly σ mm away, exactly 0 beyond ``truncate · σ`` (default 5σ, where
    the value would be below 4e-6), and 0 everywhere for a channel without seeds. Each channel takes the cheaper of
    two exact paths, neither with a Python loop over voxels:

    - few seeds for the image: the truncated kernel is placed around every seed with one vectorised maximum per
      seed (the value of the nearest seed), in time proportional to ``seeds × kernel voxels``;
    - otherwise one anisotropic squared Euclidean distance transform (the ``edt`` package, O(N) whatever the number
      of seeds or σ), so the cost never exceeds one EDT, unlike blurring a point image, whose cost grows with σ.

    Args:
        sigma: Gaussian width in mm (voxel units when no spacing is known), > 0.
        spacing: voxel spacing in mm, one value per spatial dim; default: the MetaTensor's ``pixdim``, else 1.
        truncate: the map is set to 0 beyond ``truncate · σ``, > 0.

    Shapes:
        ``seeds``: ``(C, *spatial)`` binary (usually ``C = 2``: foreground, background); returns ``(C, *spatial)``
        float32 in [0, 1], with the type, device and metadata of ``seeds``.

    Example:
        >>> import numpy as np
        >>> seeds = np.zeros((1, 1, 11)); seeds[0, 0, 5] = 1
        >>> maps = GaussianSeedMap(sigma=2.0, spacing=(1.0, 1.0))(seeds)
        >>> round(float(maps[0, 0, 7]), 4)  # exp(-0.5), 2 mm from the seed
        0.6065
    """

    backend = [TransformBackends.NUMPY]

    def __init__(self, sigma: float = 5.0, spacing: Sequence[float] | float | None = None, truncate: float = 5.0):
        if not np.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"sigma must be finite and > 0 (mm), got {sigma}.")
        if not np.isfinite(truncate) or truncate <= 0:
            raise ValueError(f"truncate must be finite and > 0 (multiples of sigma), got {truncate}.")
        check_spacing("spacing", spacing)
        self.sigma = float(sigma)
        self.spacing = spacing
        self.truncate = float(truncate)

    @staticmethod
    def _scatter(seed: np.ndarray, kernel: np.ndarray, radius: np.ndarray, out: np.ndarray) -> None:
        """Write into ``out`` the maximum over seeds of the dense ``kernel`` centred on every seed.

        The kernels go into a copy of the image padded by ``radius`` voxels, so no box needs clipping; one vectorised
        maximum per seed (few seeds take this path) is far cheaper than an unbuffered ``np.maximum.at`` scatter.
        """
        canvas = np.zeros(np.asarray(seed.shape) + 2 * radius, dtype=np.float32)
        for start in np.argwhere(seed):
            box = canvas[tuple(slice(p, p + n) for p, n in zip(start, kernel.shape))]
            np.maximum(box, kernel, out=box)
        out[...] = canvas[tuple(slice(r, r + n) for r, n in zip(radius, seed.shape))]

    def __call__(self, seeds: NdarrayOrTensor) -> NdarrayOrTensor:
        """Maps ``(C, *spatial)`` from binary seeds ``(C, *spatial)``."""
        check_array("seeds", seeds)
        seeds_np = as_binary_mask("seeds", seeds, channels=None)
        spacing = resolve_spacing(seeds, self.spacing, seeds_np.ndim - 1)
        cutoff = self.truncate * self.sigma
        # no offset reaches further than the image: this bounds the kernel whatever sigma (1e9 mm included)
        radius = np.minimum(np.floor(np.minimum(cutoff / spacing, 2**62)), np.asarray(seeds_np.shape[1:]) - 1)
        radius = radius.astype(np.int64)
        kernel_box = int(np.prod(2 * radius + 1))  # bounds the kernel's voxel count
        padded_size = int(np.prod(np.asarray(seeds_np.shape[1:]) + 2 * radius))
        kernel = None
        maps = np.zeros(seeds_np.shape, dtype=np.float32)
        for channel, seed in enumerate(seeds_np):  # one class channel at a time, never one seed at a time
            count = np.count_nonzero(seed)
            # measured cost model: placing one kernel voxel (or clearing one canvas voxel) costs under a tenth of what
            # the EDT and exp spend per image voxel (96³, 50 seeds, sigma 5 mm at 1.5 mm: 39 ms vs 308 ms)
            if count and count * kernel_box + padded_size <= 8 * seed.size:
                if kernel is None:
                    kernel = _truncated_kernel(self.sigma, tuple(spacing), cutoff, tuple(radius.tolist()))
                self._scatter(seed, kernel, radius, maps[channel])
            elif count:
                squared = edt.edtsq(~seed, anisotropy=tuple(spacing), black_border=False)
                squared *= np.float32(-0.5 / self.sigma**2)
                np.exp(squared, out=maps[channel], where=squared >= np.float32(-0.5 * self.truncate**2))
        return convert_to_dst_type(maps, seeds, dtype=np.float32)[0]


class ExtremePointSeeds(Randomizable, Transform):
    """Foreground seeds at the extreme points of a label (the DEXTR-style clicks compared in paper 001).

    MONAI's ``get_extreme_points`` picks the points (a random one among ties, drawn from ``self.R``); this adds what
    MONAI's ``ExtremePointsToImage`` lacks: the project's ``(2, *spatial)`` seed layout (no background seeds), so the
    points go through the spacing-aware :class:`GaussianSeedMap` like every other seed source. The jitter is drawn
    here, not by MONAI: ``get_extreme_points(pert=...)`` adds ``2 * pert * rand()`` (in ``[0, 2 pert)``, always
    towards higher indices, then truncated), whereas a simulated click should scatter around the true point.

    Args:
        pert: each coordinate of each point moves by ``uniform(-pert, pert)`` voxels, rounded to the nearest voxel
            and kept inside the image (symmetric around the extreme point), >= 0.

    Shapes:
        ``label``: ``(1, *spatial)`` binary, non-empty; returns seeds ``(2, *spatial)`` float32 with
        ``2 * spatial_dims`` foreground points at most (coinciding points merge).

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 8, 8)); label[0, 2:6, 3:5] = 1
        >>> int(ExtremePointSeeds()(label)[0].sum()) <= 4
        True
    """

    backend = [TransformBackends.NUMPY]

    def __init__(self, pert: float = 0.0) -> None:
        if not np.isfinite(pert) or pert < 0:
            raise ValueError(f"pert must be finite and >= 0 voxels, got {pert}.")
        self.pert = pert

    def randomize(self, data: None = None) -> None:
        """Nothing to draw ahead: the points and their jitter are drawn from ``self.R`` when called."""

    def __call__(self, label: NdarrayOrTensor) -> NdarrayOrTensor:
        """Seeds ``(2, *spatial)`` at the extreme points of ``label`` ``(1, *spatial)``."""
        check_array("label", label)
        label_np = as_binary_mask("label", label)[0]
        if not label_np.any():
            raise ValueError("label has no foreground voxel: extreme points need a non-empty label.")
        points = np.asarray(get_extreme_points(label_np, rand_state=self.R, pert=0.0))
        if self.pert > 0:
            jitter = self.R.uniform(-self.pert, self.pert, points.shape)
            points = np.clip(np.rint(points + jitter), 0, np.asarray(label_np.shape) - 1).astype(np.int64)
        foreground = seeds_from_points(label_np.shape, foreground=points)[SeedChannel.FOREGROUND]
        return _stack_seeds(foreground, np.zeros_like(foreground), label)


def seeds_from_points(
    spatial_shape: Sequence[int],
    foreground: Sequence[Sequence[int]] = (),
    background: Sequence[Sequence[int]] = (),
) -> np.ndarray:
    """Seed mask ``(2, *spatial_shape)`` (bool) from integer voxel coordinates, e.g. a user's clicks.

    Raises:
        ValueError: a point with the wrong number of coordinates, non-integer coordinates, or a point outside the image.

    Example:
        >>> seeds = seeds_from_points((4, 4), foreground=[(1, 2)], background=[(3, 3), (0, 0)])
        >>> seeds.shape, seeds.sum(axis=(1, 2)).tolist()
        ((2, 4, 4), [1, 2])
    """
    shape = tuple(int(s) for s in spatial_shape)
    seeds = np.zeros((2, *shape), dtype=bool)
    for channel, name, points in (
        (SeedChannel.FOREGROUND, "foreground", foreground),
        (SeedChannel.BACKGROUND, "background", background),
    ):
        coords = np.asarray(points, dtype=np.float64)
        if coords.size == 0:
            continue
        if coords.ndim != 2 or coords.shape[1] != len(shape):
            raise ValueError(f"{name} points must be {len(shape)}-coordinate points, got shape {coords.shape}.")
        if not np.array_equal(coords, np.round(coords)):
            raise ValueError(f"{name} points must have integer voxel coordinates, got {coords.tolist()}.")
        outside = (coords < 0).any(1) | (coords >= np.asarray(shape)).any(1)
        if outside.any():
            bad = coords[outside].astype(int).tolist()
            raise ValueError(f"{name} seeds {bad} lie outside the image of shape {shape}.")
        seeds[(channel, *coords.astype(np.int64).T)] = True
    return seeds
