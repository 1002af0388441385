"""The one crop a slice-propagation network sees: a fixed field of view in mm around the prior, on a fixed grid.

Patients differ in pixel spacing (IRCAD: 0.57 and 0.74 mm), so a network that reads raw slices sees livers of
different sizes in pixels. :class:`SliceGrid` resamples every slice to the same grid (e.g. 128 × 128 pixels of
2 mm, a 256 mm square field of view) centred on the bounding box of the prior (the neighbouring slice's mask), so
all patients look alike to the network and the network's cost no longer depends on the image size. The same object
crops training samples (:class:`~monai_refine.data.PropagationSliceDataset`) and inference inputs
(:class:`~monai_refine.inferers.NetworkSegmenter`), so both see exactly the same preprocessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from monai_refine.transforms.seeds.array import GaussianSeedMap
from monai_refine.utils import RefineKeys, SeedChannel, as_binary_mask, as_numpy

__all__ = ["SliceFrame", "SliceGrid", "network_input"]


@dataclass(frozen=True)
class SliceFrame:
    """Where a :class:`SliceGrid` lies on one slice: grid pixel ``(i, j)`` sits at slice pixel
    ``centre + ((i, j) - (size - 1) / 2) * step``, where ``step = grid spacing / slice spacing`` per axis.
    """

    shape: tuple[int, int]
    centre: tuple[float, float]
    step: tuple[float, float]
    size: int

    def grid_points(self) -> np.ndarray:
        """Slice pixel coordinates ``(2, size, size)`` of every grid pixel."""
        offsets = np.arange(self.size, dtype=np.float64) - (self.size - 1) / 2
        rows = self.centre[0] + offsets * self.step[0]
        cols = self.centre[1] + offsets * self.step[1]
        return np.stack(np.meshgrid(rows, cols, indexing="ij"))


class SliceGrid:
    """Resample slices to a fixed square grid of ``size`` pixels of ``spacing`` mm centred on a prior's bounding box.

    Images are resampled bilinearly with zero padding outside the slice (the windowed image is 0 for air, so the
    padding looks like air), masks by nearest neighbour, seeds by moving each seed pixel to the grid pixel that
    contains it (a one-pixel skeleton survives any down-sampling, unlike nearest-neighbour resampling), and the
    network's output is resampled back to the slice bilinearly (zero probability outside the field of view).
    ``torch.nn.functional.grid_sample`` with a precomputed sampling grid does the resampling: one call per slice and
    a few milliseconds at 512², where building MONAI's ``Spacing``/``SpatialCrop`` chain per slice would cost more
    than the network itself.

    Args:
        size: grid pixels per side, >= 8.
        spacing: grid pixel size in mm, > 0; the field of view is ``size · spacing`` mm square.

    Example:
        >>> import numpy as np
        >>> grid = SliceGrid(size=16, spacing=2.0)
        >>> prior = np.zeros((1, 40, 40), bool); prior[0, 10:21, 10:21] = True
        >>> frame = grid.frame(prior, spacing=(1.0, 1.0))
        >>> frame.centre, frame.step
        ((15.0, 15.0), (2.0, 2.0))
        >>> crop = grid.sample(prior.astype(np.float32), frame, mode="nearest")
        >>> crop.shape, int(crop.sum())  # grid pixels at slice pixels 0, 2, ..., 30: six of them per side in 10..20
        ((1, 16, 16), 36)
    """

    def __init__(self, size: int = 128, spacing: float = 2.0) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
            raise ValueError(f"size must be an integer >= 8 (grid pixels per side), got {size!r}.")
        if not np.isfinite(spacing) or spacing <= 0:
            raise ValueError(f"spacing must be finite and > 0 (mm), got {spacing}.")
        self.size = int(size)
        self.spacing = float(spacing)

    def frame(self, prior: np.ndarray, spacing: Sequence[float]) -> SliceFrame:
        """The grid's frame on a slice: centred on the bounding box of ``prior`` ``(1, H, W)`` (the slice centre when
        the prior is empty); ``spacing`` is the slice's in-plane spacing in mm, one value per array axis.

        Raises:
            ValueError: when ``prior`` is not a binary ``(1, H, W)`` slice or ``spacing`` not two finite values > 0.
        """
        prior = as_numpy(prior)
        if prior.ndim != 3 or prior.shape[0] != 1:
            raise ValueError(f"prior must be one channel-first slice (1, H, W), got shape {prior.shape}.")
        prior = as_binary_mask("prior", prior)
        spacing_arr = np.asarray(spacing, dtype=np.float64).reshape(-1)
        if spacing_arr.size != 2 or not np.all(np.isfinite(spacing_arr)) or np.any(spacing_arr <= 0):
            raise ValueError(f"spacing must be two finite in-plane spacings > 0 (mm), got {spacing}.")
        rows, cols = np.flatnonzero(prior[0].any(1)), np.flatnonzero(prior[0].any(0))
        shape = prior.shape[1:]
        if rows.size:
            centre = ((rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2)
        else:
            centre = ((shape[0] - 1) / 2, (shape[1] - 1) / 2)
        step = self.spacing / spacing_arr
        return SliceFrame(
            (int(shape[0]), int(shape[1])), (float(centre[0]), float(centre[1])), tuple(step.tolist()), self.size
        )

    @staticmethod
    def _normalised(points: np.ndarray, shape: Sequence[int]) -> torch.Tensor:
        """Pixel coordinates ``(2, *out)`` as ``grid_sample``'s ``(1, *out, 2)`` grid (x = column, y = row)."""
        scale = np.asarray([2.0 / max(shape[0] - 1, 1), 2.0 / max(shape[1] - 1, 1)])
        scale = scale.reshape(2, *([1] * (points.ndim - 1)))
        normalised = points * scale - 1.0
        return torch.as_tensor(np.stack([normalised[1], normalised[0]], axis=-1)[None], dtype=torch.float32)

    def sample(self, array: np.ndarray | torch.Tensor, frame: SliceFrame, mode: str = "bilinear") -> np.ndarray:
        """Resample a channel-first slice ``(C, H, W)`` onto the grid: ``(C, size, size)`` float32, 0 outside.

        ``mode`` is ``"bilinear"`` for images and ``"nearest"`` for masks.

        Raises:
            ValueError: when ``array`` is not ``(C, H, W)`` of the frame's slice or holds NaN or Inf.
        """
        data = torch.as_tensor(np.asarray(array, dtype=np.float32) if not isinstance(array, torch.Tensor) else array)
        if data.ndim != 3 or tuple(data.shape[1:]) != frame.shape:
            raise ValueError(f"array must be (C, *{frame.shape}) like the frame's slice, got {tuple(data.shape)}.")
        if data.is_floating_point() and not bool(torch.isfinite(data).all()):
            raise ValueError("array contains NaN or Inf values: bilinear resampling would spread them.")
        grid = self._normalised(frame.grid_points(), frame.shape)
        out = F.grid_sample(data[None].float(), grid, mode=mode, padding_mode="zeros", align_corners=True)
        return out[0].numpy()

    def seeds(self, seeds: np.ndarray, frame: SliceFrame) -> np.ndarray:
        """Seeds ``(2, H, W)`` of a slice as seeds ``(2, size, size)`` (bool) on the grid; seeds outside are dropped.

        Every seed pixel moves to the nearest grid pixel; when a foreground and a background seed land on the same
        grid pixel, foreground wins (as a user's foreground seed overrides a propagated background one).

        Raises:
            ValueError: when ``seeds`` is not a binary ``(2, H, W)`` of the frame's slice ({0, 1} or bool).
        """
        seeds = as_numpy(seeds)
        if seeds.ndim != 3 or seeds.shape[0] != 2 or tuple(seeds.shape[1:]) != frame.shape:
            raise ValueError(f"seeds must be (2, *{frame.shape}) like the frame's slice, got {seeds.shape}.")
        seeds = as_binary_mask("seeds", seeds, channels=2)
        out = np.zeros((2, self.size, self.size), dtype=bool)
        centre, step = np.asarray(frame.centre), np.asarray(frame.step)
        for channel in (SeedChannel.FOREGROUND, SeedChannel.BACKGROUND):
            points = np.argwhere(seeds[channel] > 0)
            index = np.rint((points - centre) / step + (self.size - 1) / 2).astype(np.int64)
            index = index[((index >= 0) & (index < self.size)).all(1)]
            out[(channel, *index.T)] = True
        out[SeedChannel.BACKGROUND] &= ~out[SeedChannel.FOREGROUND]
        return out

    def to_slice(self, values: torch.Tensor, frame: SliceFrame, fill: float = 0.0) -> torch.Tensor:
        """Resample grid values ``(C, size, size)`` (e.g. logits) back onto the slice: ``(C, H, W)``, bilinear,
        ``fill`` outside the field of view, a tensor of the dtype and device of ``values``. Only the slice's pixels
        inside the field of view are sampled.
        """
        if values.ndim != 3 or tuple(values.shape[1:]) != (self.size, self.size):
            raise ValueError(f"values must be (C, {self.size}, {self.size}), got {tuple(values.shape)}.")
        half = (self.size - 1) / 2
        low = [max(int(np.ceil(c - half * s)), 0) for c, s in zip(frame.centre, frame.step)]
        high = [min(int(np.floor(c + half * s)) + 1, n) for c, s, n in zip(frame.centre, frame.step, frame.shape)]
        out = torch.full((values.shape[0], *frame.shape), fill, dtype=values.dtype, device=values.device)
        if high[0] <= low[0] or high[1] <= low[1]:
            return out
        rows = (np.arange(low[0], high[0]) - frame.centre[0]) / frame.step[0] + half
        cols = (np.arange(low[1], high[1]) - frame.centre[1]) / frame.step[1] + half
        points = np.stack(np.meshgrid(rows, cols, indexing="ij"))
        grid = self._normalised(points, (self.size, self.size)).to(values.device)
        sampled = F.grid_sample(
            values[None], grid.to(values.dtype), mode="bilinear", padding_mode="border", align_corners=True
        )
        out[:, low[0] : high[0], low[1] : high[1]] = sampled[0]
        return out


#: channels of each input part of :func:`network_input`
INPUT_PARTS = {RefineKeys.IMAGE: 1, RefineKeys.PRIOR: 1, RefineKeys.SEED_MAP: 2}


def network_input(
    grid: SliceGrid,
    image: np.ndarray,
    prior: np.ndarray,
    seeds: np.ndarray | None,
    spacing: Sequence[float],
    channels: Sequence[str] = (RefineKeys.IMAGE, RefineKeys.PRIOR, RefineKeys.SEED_MAP),
    sigma: float = 5.0,
) -> tuple[np.ndarray, SliceFrame]:
    """A propagation network's input for one slice, and the frame to map its output back with.

    Training (:class:`~monai_refine.data.PropagationSliceDataset`) and inference
    (:class:`~monai_refine.inferers.NetworkSegmenter`) both call this, so the network sees the same crop, grid,
    intensities and seed maps in both.

    Args:
        grid: the crop and grid.
        image: ``(1, H, W)`` windowed to [0, 1].
        prior: ``(1, H, W)`` binary, the neighbouring slice's mask; the grid is centred on its bounding box.
        seeds: ``(2, H, W)`` binary foreground/background seeds (needed when ``channels`` has ``"seed_map"``).
        spacing: the slice's in-plane spacing (mm), one value per array axis.
        channels: the parts to concatenate, in order: ``"image"`` (1 channel), ``"prior"`` (1 channel),
            ``"seed_map"`` (2 channels: :class:`~monai_refine.transforms.GaussianSeedMap` of the grid's seeds, σ in
            mm on the grid's spacing).
        sigma: the seed maps' Gaussian width in mm.

    Returns:
        ``(x, frame)``: ``x`` of shape ``(C, size, size)`` float32, and the :class:`SliceFrame`.

    Raises:
        ValueError: naming the input, for an ``image`` that is not one finite ``(1, H, W)`` slice, a ``prior`` or
            ``seeds`` that is not binary or of another size, or unknown ``channels``.

    Example:
        >>> import numpy as np
        >>> prior = np.zeros((1, 64, 64), bool); prior[0, 20:40, 20:40] = True
        >>> seeds = np.zeros((2, 64, 64), bool); seeds[0, 30, 30] = True
        >>> x, frame = network_input(SliceGrid(16, 4.0), np.ones((1, 64, 64), np.float32), prior, seeds, (1.0, 1.0))
        >>> x.shape, float(x[2].max()), float(x[3].max())  # image, prior, fg map (a seed), bg map (no seed)
        ((4, 16, 16), 1.0, 0.0)
    """
    unknown = [c for c in channels if c not in INPUT_PARTS]
    if not channels or unknown:
        raise ValueError(f"channels must name some of {list(map(str, INPUT_PARTS))}, got {list(channels)}.")
    if np.shape(image)[:1] != (1,) or len(np.shape(image)) != 3:
        raise ValueError(f"image must be one channel-first slice (1, H, W), got shape {tuple(np.shape(image))}.")
    frame = grid.frame(prior, spacing)
    parts = []
    for channel in channels:
        if channel == RefineKeys.IMAGE:
            parts.append(grid.sample(image, frame, mode="bilinear"))
        elif channel == RefineKeys.PRIOR:
            parts.append(grid.sample(np.asarray(prior, dtype=np.float32), frame, mode="nearest"))
        else:
            if seeds is None:
                raise ValueError("seeds are needed for the 'seed_map' channels.")
            seed_map = GaussianSeedMap(sigma=sigma, spacing=(grid.spacing, grid.spacing))
            parts.append(np.asarray(seed_map(grid.seeds(seeds, frame)), dtype=np.float32))
    return np.concatenate(parts), frame
