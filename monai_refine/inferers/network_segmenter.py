"""Any MONAI network as a per-slice segmenter of :class:`~monai_refine.inferers.SlicePropagator`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.inferers import Inferer

from monai_refine.inferers.segmenters import check_slice_inputs
from monai_refine.inferers.slice_grid import INPUT_PARTS, SliceGrid, network_input
from monai_refine.transforms.seeds.array import GaussianSeedMap
from monai_refine.utils import RefineKeys, split_network_output

__all__ = ["NetworkSegmenter"]


class NetworkSegmenter:
    """Any MONAI network as a per-slice segmenter: the slice, the prior and the seed maps in, a probability out.

    Called as ``segmenter(image, prior, seeds, spacing)`` (the :data:`~monai_refine.inferers.Segmenter` protocol).
    The network gets ONE channel-concatenated input, ``(1, C, H, W)``, of the parts named in ``channels`` in that
    order: ``"image"`` (1 channel, windowed to [0, 1]), ``"prior"`` (1 channel, the previous slice's mask) and
    ``"seed_map"`` (2 channels, :class:`~monai_refine.transforms.GaussianSeedMap` of the foreground and background
    seeds, σ in mm). With a ``grid`` (:class:`~monai_refine.inferers.SliceGrid`), the input is the grid's crop
    around the prior (:func:`~monai_refine.inferers.network_input`, the same function that makes the training
    samples), the seed maps are computed on the grid with the grid's spacing, and the logits are resampled back to
    the slice; without one, the network reads the slice as it is. Its output (logits, or a dict of them read at
    ``output_key``) goes through a sigmoid.

    The network runs in eval mode under ``torch.inference_mode()``; its previous mode is restored after each call,
    so wrapping a network that is being trained does not change it.

    Args:
        network: a 2D network (``spatial_dims=2``) with as many input channels as ``channels`` make.
        channels: which inputs to concatenate, in order; e.g. ``("image", "prior", "seed_map")`` for ``RefineNet``
            with ``in_channels=4`` or ``("image", "prior")`` for a plain U-Net.
        sigma: Gaussian seed-map width in mm.
        grid: the crop and grid the network was trained on; ``None`` feeds the slice unchanged.
        output_key: the key of the segmentation when the network returns a dict (e.g. ``RefineOutputs.REFINED``).
        quality_key: the key of a predicted quality in that dict (e.g. ``RefineOutputs.QUALITY``): the network's
            predicted Dice of the mask it returns, as a probability, or as a logit when ``quality_logits``. The
            segmenter then returns ``(probability, quality)``, which :class:`~monai_refine.inferers.SlicePropagator`
            records and can stop on (``min_quality``).
        quality_logits: whether the quality output is a logit (a sigmoid makes it a Dice in [0, 1]), as
            ``RefineNet(quality_head=True)``'s is.
        inferer: optional MONAI inferer (e.g. ``SlidingWindowInferer``) to run the network with.
        device: where to run the network (e.g. ``"cuda"``); default the device of its parameters.

    Example:
        >>> import numpy as np, torch
        >>> class Prior(torch.nn.Module):  # a "network" that returns the prior's logits
        ...     def forward(self, x):
        ...         return 20 * (x[:, 1:2] - 0.5)
        >>> prior = np.zeros((1, 40, 40), bool); prior[0, 10:30, 12:28] = True
        >>> segmenter = NetworkSegmenter(Prior(), grid=SliceGrid(size=32, spacing=1.0))
        >>> out = segmenter(np.zeros((1, 40, 40), np.float32), prior, np.zeros((2, 40, 40), bool), (1.0, 1.0))
        >>> out.shape, round(float(((out > 0.5) == prior).mean()), 3)  # the prior, through a 1 mm grid and back
        ((1, 40, 40), 1.0)
    """

    def __init__(
        self,
        network: torch.nn.Module,
        channels: Sequence[str] = (RefineKeys.IMAGE, RefineKeys.PRIOR, RefineKeys.SEED_MAP),
        sigma: float = 5.0,
        grid: SliceGrid | None = None,
        output_key: str | None = None,
        quality_key: str | None = None,
        quality_logits: bool = False,
        inferer: Inferer | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        unknown = [c for c in channels if c not in INPUT_PARTS]
        if not channels or unknown:
            raise ValueError(f"channels must name some of {list(map(str, INPUT_PARTS))}, got {list(channels)}.")
        if not np.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"sigma must be finite and > 0 (mm), got {sigma}.")
        if device is None:
            parameter = next(network.parameters(), None)
            device = "cpu" if parameter is None else parameter.device
        self.device = torch.device(device)
        self.network = network.to(self.device)
        self.channels = tuple(channels)
        self.sigma = float(sigma)
        self.grid = grid
        self.output_key = output_key
        self.quality_key = quality_key
        self.quality_logits = quality_logits
        self.inferer = inferer

    def _inputs(self, image, prior, seeds, spacing):
        if self.grid is not None:
            return network_input(self.grid, image, prior, seeds, spacing, self.channels, self.sigma)
        parts = {RefineKeys.IMAGE: image, RefineKeys.PRIOR: prior}
        if RefineKeys.SEED_MAP in self.channels:
            parts[RefineKeys.SEED_MAP] = GaussianSeedMap(sigma=self.sigma, spacing=spacing)(seeds)
        return np.concatenate([np.asarray(parts[c], dtype=np.float32) for c in self.channels]), None

    def __call__(
        self, image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: Sequence[float] | None = None
    ) -> np.ndarray | tuple[np.ndarray, float]:
        """Foreground probability ``(1, H, W)`` (float32) of one slice, and the predicted Dice with a ``quality_key``.

        Args:
            image: ``(1, H, W)`` windowed to [0, 1].
            prior: ``(1, H, W)`` binary, the neighbouring slice's result.
            seeds: ``(2, H, W)`` binary foreground/background seeds.
            spacing: in-plane spacing (mm) of the slice's two array axes; isotropic 1 mm when ``None``.
        """
        image, prior, seeds, pair = check_slice_inputs(image, prior, seeds, spacing)
        x, frame = self._inputs(image, prior, seeds, tuple(pair.tolist()))
        x = torch.as_tensor(x, device=self.device)[None]
        training = self.network.training
        self.network.eval()
        try:
            with torch.inference_mode():
                output = self.inferer(x, self.network) if self.inferer is not None else self.network(x)
                logits, quality = split_network_output(output, self.output_key, self.quality_key)
                logits = logits[0].float()
                if frame is not None:
                    logits = self.grid.to_slice(logits, frame, fill=-1e4)
                probability = torch.sigmoid(logits).cpu().numpy()
        finally:
            self.network.train(training)
        if quality is None:
            return probability
        quality = float(quality.reshape(-1)[0])
        return probability, float(1 / (1 + np.exp(-quality))) if self.quality_logits else quality
