"""Slice-by-slice semi-automatic segmentation from one (or several) annotated slices (paper 001, section 2.3)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor
from monai.inferers import Inferer
from monai.utils import convert_to_dst_type, convert_to_numpy
from scipy import ndimage
from tqdm import tqdm

from monai_refine.transforms.seeds.array import MaskSeeds
from monai_refine.utils import (
    SeedChannel,
    StopReason,
    as_binary_mask,
    check_finite,
    check_probability,
    check_same_geometry,
    resolve_spacing,
)

__all__ = ["SliceRecord", "SlicePropagator", "Segmenter", "annotate_slices", "middle_slice"]

#: ``segmenter(image (1, H, W) in [0, 1], prior (1, H, W) bool, seeds (2, H, W) bool) -> (1, H, W) mask/probability``,
#: or ``-> (mask/probability, quality)`` for a segmenter that also predicts its own Dice (e.g. ``QualityUNet``)
Segmenter = Callable[[np.ndarray, np.ndarray, np.ndarray], NdarrayOrTensor | tuple[NdarrayOrTensor, float]]


@dataclass
class SliceRecord:
    """What happened on one slice: its index, the direction it was reached from, and its outcome.

    ``quality`` is the segmenter's own predicted Dice when it returns one, else ``None``.
    """

    index: int
    direction: int
    area: int
    n_fg_seeds: int
    n_bg_seeds: int
    ms: float
    stop_reason: str | None = None
    quality: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class SlicePropagator(Inferer):
    """Propagate annotated slices through a volume, slice by slice, in both directions (paper 001).

    For each slice ``z`` next to an already segmented slice, the seeds come from the neighbour's result through
    :class:`~monai_refine.transforms.MaskSeeds` (skeleton → foreground, boundary of the ``margin_mm`` dilation →
    background), merged with any user seeds for ``z``; the ``segmenter`` (graph cut, random walker, copy-previous, a
    network: any :data:`Segmenter`) segments the slice, and only the components that contain a foreground seed are
    kept. A direction stops when the mask vanishes (``StopReason.VANISHED``), shrinks below ``min_area_fraction`` of
    its neighbour (``StopReason.SHRUNK``; that slice is left empty), its predicted quality falls below ``min_quality``
    (``StopReason.QUALITY_DROP``, for segmenters that return ``(mask, quality)``; that slice is left empty), meets the
    region of another annotated slice, or reaches the end of the volume. With several annotated slices, every slice
    is propagated from its nearest one.

    Args:
        margin_mm: dilation radius of the background ring (:class:`MaskSeeds`), in mm.
        erosion_mm: optional erosion (mm) of the neighbour's mask added to the foreground seeds (:class:`MaskSeeds`).
        window: intensity window ``(low, high)`` mapped to [0, 1] before segmenting (HU for CT; the default is an
            abdominal soft-tissue window).
        min_area_fraction: stop a direction when a slice's area falls below this fraction of the previous slice's.
        min_quality: stop a direction when the segmenter's predicted quality (Dice) of a slice falls below this; it
            needs a segmenter that returns ``(mask, quality)``. ``None`` ignores any predicted quality.
        fill_holes: fill holes of each slice result (vessels inside the liver belong to the liver).
        slice_axis: spatial axis of the slices; default the last, axial in MONAI's ``(X, Y, Z)`` layout.
        progress: show a tqdm progress bar.

    After a call, :attr:`history` holds one :class:`SliceRecord` per visited slice (annotated slices included).

    Example:
        >>> import numpy as np, torch
        >>> from monai.data import MetaTensor
        >>> from monai_refine.inferers import GraphCutSegmenter
        >>> volume = np.zeros((1, 40, 40, 9), np.float32); volume[0, 10:30, 10:30, 1:8] = 100.0
        >>> annotation = np.zeros_like(volume); annotation[0, 10:30, 10:30, 4] = 1
        >>> propagator = SlicePropagator(margin_mm=4.0, window=(-100, 200))
        >>> mask = propagator(MetaTensor(torch.as_tensor(volume)), GraphCutSegmenter(), annotation=annotation)
        >>> int(mask.sum()), [r.index for r in propagator.history if r.stop_reason]
        (2800, [8, 0])
    """

    def __init__(
        self,
        margin_mm: float = 5.0,
        erosion_mm: float | None = None,
        window: tuple[float, float] = (-100.0, 200.0),
        min_area_fraction: float = 0.1,
        min_quality: float | None = None,
        fill_holes: bool = True,
        slice_axis: int = -1,
        progress: bool = False,
    ) -> None:
        super().__init__()
        if len(window) != 2 or not np.all(np.isfinite(window)) or window[1] <= window[0]:
            raise ValueError(f"window must be (low, high) with low < high, got {window}.")
        if not 0 <= min_area_fraction < 1:
            raise ValueError(f"min_area_fraction must be in [0, 1), got {min_area_fraction}.")
        if slice_axis not in (-3, -2, -1, 0, 1, 2):
            raise ValueError(f"slice_axis must be a spatial axis in [-3, 2], got {slice_axis}.")
        self.seeder = MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm)
        self.window = (float(window[0]), float(window[1]))
        self.min_area_fraction = float(min_area_fraction)
        self.min_quality = None if min_quality is None else check_probability("min_quality", min_quality)
        self.fill_holes = fill_holes
        self.slice_axis = slice_axis % 3
        self.progress = progress
        self.history: list[SliceRecord] = []

    def __call__(  # type: ignore[override]
        self,
        inputs: NdarrayOrTensor,
        network: Segmenter,
        annotation: NdarrayOrTensor,
        slices: Sequence[int] | None = None,
        seeds: NdarrayOrTensor | None = None,
    ) -> NdarrayOrTensor:
        """Segment the whole volume.

        Args:
            inputs: the volume, ``(1, X, Y, Z)``; a MetaTensor's affine and spacing are used and kept.
            network: the per-slice segmenter (:data:`Segmenter`).
            annotation: binary ``(1, X, Y, Z)`` mask holding the annotated slice(s); other slices are ignored. When
                both it and ``inputs`` are MetaTensors, their geometry (spacing, origin, direction) must match.
            slices: indices (along ``slice_axis``) of the annotated slices; default every slice where ``annotation``
                is non-empty.
            seeds: optional user corrections, ``(2, X, Y, Z)`` foreground/background seeds; they are added to the
                propagated seeds of their slice (a user foreground seed overrides a propagated background one).

        Returns:
            the mask, ``(1, X, Y, Z)`` uint8, with the type, device, affine and metadata of ``inputs``.
        """
        volume = convert_to_numpy(inputs)
        if volume.ndim != 4 or volume.shape[0] != 1:
            raise ValueError(f"inputs must be a channel-first 3D volume (1, X, Y, Z), got shape {volume.shape}.")
        check_finite("inputs", volume)
        labels = as_binary_mask("annotation", annotation)
        if labels.shape != volume.shape:
            raise ValueError(f"annotation shape {labels.shape} must match inputs shape {volume.shape}.")
        user = None if seeds is None else as_binary_mask("seeds", seeds, channels=2)
        if user is not None and user.shape[1:] != volume.shape[1:]:
            raise ValueError(f"seeds shape {user.shape} must be (2, *{volume.shape[1:]}) like inputs.")
        for name, other in (("annotation", annotation), ("seeds", seeds)):
            if isinstance(inputs, MetaTensor) and isinstance(other, MetaTensor):
                check_same_geometry(inputs, other, names=("inputs", name))
        axis = self.slice_axis + 1
        depth = volume.shape[axis]
        present = np.flatnonzero(labels.any(axis=tuple(a for a in range(4) if a != axis)))
        slices = present.tolist() if slices is None else sorted({int(s) for s in slices})
        if not slices:
            raise ValueError("annotation is empty: annotate at least one slice (or pass its index in `slices`).")
        for index in slices:
            if not 0 <= index < depth:
                raise ValueError(f"annotated slice {index} lies outside the volume (0..{depth - 1}).")
            if index not in present:
                raise ValueError(f"annotated slice {index} is empty in `annotation`.")
        spacing = resolve_spacing(inputs, None, 3)
        self.seeder.spacing = tuple(np.delete(spacing, self.slice_axis))

        image = np.clip((volume[0].astype(np.float32) - self.window[0]) / (self.window[1] - self.window[0]), 0, 1)
        image = np.moveaxis(image, self.slice_axis, 0)
        result = np.zeros(image.shape, dtype=bool)
        user_slices = None if user is None else np.moveaxis(user, axis, 1)
        annotated = np.moveaxis(labels[0], self.slice_axis, 0)
        self.history = []
        bar = tqdm(total=depth, desc="slices", unit="slice", disable=not self.progress)
        for position, start in enumerate(slices):
            result[start] = annotated[start]
            self.history.append(SliceRecord(start, 0, int(result[start].sum()), 0, 0, 0.0))
            bar.update(1)
            low = 0 if position == 0 else (slices[position - 1] + start) // 2 + 1
            high = depth - 1 if position == len(slices) - 1 else (start + slices[position + 1]) // 2
            for direction, stop in ((1, high), (-1, low)):
                self._propagate(image, result, user_slices, network, start, direction, stop, bar)
        bar.close()
        mask = np.moveaxis(result, 0, self.slice_axis)[None].astype(np.uint8)
        out = convert_to_dst_type(mask, inputs, dtype=torch.uint8 if isinstance(inputs, torch.Tensor) else np.uint8)[0]
        if isinstance(out, MetaTensor):
            out.meta["propagated_from"] = list(slices)
        return out

    def _propagate(self, image, result, user, segmenter, start, direction, stop, bar) -> None:
        """Segment slices ``start + direction, …`` up to ``stop`` (inclusive) from their neighbour's result."""
        for index in range(start + direction, stop + direction, direction):
            tic = time.perf_counter()
            prior = result[index - direction]
            seeds = convert_to_numpy(self.seeder(prior[None])).astype(bool)
            if user is not None:
                seeds[SeedChannel.FOREGROUND] |= user[SeedChannel.FOREGROUND, index]
                seeds[SeedChannel.BACKGROUND] &= ~user[SeedChannel.FOREGROUND, index]
                seeds[SeedChannel.BACKGROUND] |= user[SeedChannel.BACKGROUND, index]
            output, quality = segmenter(image[index][None], prior[None], seeds), None
            if isinstance(output, tuple):
                output, quality = output[0], float(output[1])
            elif self.min_quality is not None:
                raise ValueError("min_quality needs a segmenter that returns (mask, quality); this one returns a mask.")
            mask = convert_to_numpy(output)[0] >= 0.5
            mask = self._keep_seeded_components(mask, seeds[SeedChannel.FOREGROUND])
            area, previous = int(mask.sum()), int(prior.sum())
            reason = None
            if area == 0:
                reason = StopReason.VANISHED
            elif area < self.min_area_fraction * previous:
                reason, mask, area = StopReason.SHRUNK, np.zeros_like(mask), 0
            elif self.min_quality is not None and quality < self.min_quality:
                reason, mask, area = StopReason.QUALITY_DROP, np.zeros_like(mask), 0
            elif index in (0, len(result) - 1):
                reason = StopReason.VOLUME_END
            result[index] = mask
            ms = (time.perf_counter() - tic) * 1e3
            n_fg, n_bg = (int(s.sum()) for s in seeds)
            stop_reason = None if reason is None else str(reason)
            record = SliceRecord(index, direction, area, n_fg, n_bg, ms, stop_reason, quality)
            self.history.append(record)
            bar.update(1)
            if reason is not None and reason != StopReason.VOLUME_END:
                return

    def _keep_seeded_components(self, mask: np.ndarray, foreground: np.ndarray) -> np.ndarray:
        if self.fill_holes:
            mask = ndimage.binary_fill_holes(mask)
        components = ndimage.label(mask)[0]
        keep = np.zeros(components.max() + 1, dtype=bool)
        keep[components[foreground & mask]] = True
        keep[0] = False
        return keep[components]


def middle_slice(mask: NdarrayOrTensor, slice_axis: int = -1) -> int:
    """Index (along ``slice_axis``) of the middle one of the slices where the ``(1, X, Y, Z)`` ``mask`` is non-empty.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 4, 4, 9)); mask[0, 1:3, 1:3, 2:7] = 1
        >>> middle_slice(mask)
        4
    """
    array = convert_to_numpy(mask)[0]
    axis = slice_axis % array.ndim
    present = np.flatnonzero(array.any(axis=tuple(a for a in range(array.ndim) if a != axis)))
    if present.size == 0:
        raise ValueError("the reference mask is empty: no slice to start from.")
    return int(present[present.size // 2])


def annotate_slices(mask: NdarrayOrTensor, slices: Sequence[int]) -> NdarrayOrTensor:
    """An annotation for :class:`SlicePropagator`: ``mask`` on the given last-axis ``slices``, zero elsewhere.

    Example:
        >>> import numpy as np
        >>> annotate_slices(np.ones((1, 2, 2, 3)), [1]).sum(axis=(0, 1, 2)).tolist()
        [0.0, 4.0, 0.0]
    """
    annotation = mask * 0
    annotation[..., list(slices)] = mask[..., list(slices)]
    return annotation
