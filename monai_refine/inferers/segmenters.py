"""Per-slice segmenters for :class:`~monai_refine.inferers.SlicePropagator`: one protocol for every method.

A segmenter is any callable ``segmenter(image, prior, seeds, spacing) -> mask`` on one 2D slice:

- ``image``: ``(1, H, W)`` float32, intensities already windowed to [0, 1];
- ``prior``: ``(1, H, W)`` bool, the previous slice's result;
- ``seeds``: ``(2, H, W)`` bool, foreground seeds in channel 0 and background seeds in channel 1;
- ``spacing``: the in-plane spacing in mm of the slice's two array axes, in that order (the propagator derives it
  from the volume's affine and its slice axis and always passes it);
- returns a ``(1, H, W)`` mask or foreground probability (thresholded at 0.5 by the propagator), or
  ``(mask, quality)`` where ``quality`` is the segmenter's predicted Dice of the mask it returns.

The classical segmenters here work inside the bounding box of the seeds (the background ring of
:class:`~monai_refine.transforms.MaskSeeds` encloses the object), so their cost follows the object, not the image.
They say so with the class attribute ``local = True``: their result is zero outside that box and depends only on
the pixels inside it, so :class:`~monai_refine.inferers.SlicePropagator` hands them a crop around the prior and its
background ring instead of the whole slice (the same result, faster). They refuse NaN or Inf pixels with a
``ValueError`` (a NaN capacity makes the max-flow loop forever).
"""

from __future__ import annotations

from collections.abc import Sequence

import edt
import numpy as np
from monai.utils import convert_to_numpy, optional_import
from skimage.segmentation import random_walker

from monai_refine.utils import as_binary_mask, bounding_box, check_finite

maxflow, has_maxflow = optional_import("maxflow")  # PyMaxflow: pip install 'monai-refine[graphcut]'

__all__ = [
    "CopyPrevious",
    "GraphCutSegmenter",
    "RandomWalkerSegmenter",
    "check_slice_inputs",
    "seed_bounding_box",
]


def seed_bounding_box(seeds: np.ndarray, pad: int = 1) -> tuple[slice, ...]:
    """Spatial bounding box of all seeds of a ``(2, *spatial)`` seed mask, grown by ``pad`` voxels and clipped."""
    return bounding_box(seeds.any(0), [pad] * (seeds.ndim - 1))


def check_slice_inputs(
    image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the arguments of a per-slice segmenter call and return them as numpy arrays and a spacing pair.

    Returns:
        ``image`` ``(1, H, W)`` (finite), ``prior`` ``(1, H, W)`` bool, ``seeds`` ``(2, H, W)`` bool and the in-plane
        ``spacing`` (mm, 1 when ``None``) as a float64 array of 2 values.

    Raises:
        ValueError: naming the argument, for a wrong shape, NaN or Inf pixels, a ``prior`` or ``seeds`` that is not
            binary ({0, 1} or bool), or a spacing that is not two finite positive values.
    """
    image, prior, seeds = (convert_to_numpy(x) for x in (image, prior, seeds))
    if image.ndim != 3 or image.shape[0] != 1:
        raise ValueError(f"image must be one channel-first 2D slice (1, H, W), got shape {image.shape}.")
    check_finite("image", image)
    if prior.shape != image.shape:
        raise ValueError(f"prior must have the shape of image {image.shape}, got {prior.shape}.")
    if seeds.shape != (2, *image.shape[1:]):
        raise ValueError(f"seeds must have shape (2, H, W) = {(2, *image.shape[1:])}, got {seeds.shape}.")
    prior, seeds = as_binary_mask("prior", prior), as_binary_mask("seeds", seeds, channels=2)
    return image, prior, seeds, np.ones(2) if spacing is None else check_in_plane_spacing(spacing)


def check_in_plane_spacing(spacing: Sequence[float]) -> np.ndarray:
    """``spacing`` (mm) of a slice as a float64 array of two finite positive values, else a ``ValueError``."""
    pair = np.asarray(spacing, dtype=np.float64).ravel()
    if pair.shape != (2,) or not np.isfinite(pair).all() or not (pair > 0).all():
        raise ValueError(f"spacing must be two finite positive in-plane spacings (mm), got {spacing}.")
    return pair


class CopyPrevious:
    """The baseline: each slice gets the previous slice's mask unchanged (a numpy copy of ``prior``, its dtype kept).

    Example:
        >>> import numpy as np
        >>> prior = np.zeros((1, 4, 4), bool); prior[0, 1:3, 1:3] = True
        >>> bool((CopyPrevious()(np.zeros((1, 4, 4)), prior, np.zeros((2, 4, 4), bool)) == prior).all())
        True
    """

    #: the result is the prior: nothing outside the seeds' bounding box matters
    local = True

    def __call__(
        self, image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: Sequence[float] | None = None
    ) -> np.ndarray:
        check_slice_inputs(image, prior, seeds, spacing)
        return np.array(convert_to_numpy(prior), copy=True)


class GraphCutSegmenter:
    """Interactive graph cut of Boykov and Jolly (ICCV 2001) on one slice, with PyMaxflow.

    Energy ``E(L) = λ · Σ_p R_p(L_p) + Σ_{p,q neighbours, L_p ≠ L_q} B_pq`` with

    - regional term ``R_p(obj) = −ln Pr(I_p | foreground seeds)`` and ``R_p(bkg) = −ln Pr(I_p | background seeds)``,
      intensity histograms (``bins`` bins on [0, 1]) of the seed voxels;
    - contrast-sensitive boundary term ``B_pq = exp(−(I_p − I_q)² / 2σ²) / dist(p, q)`` (8-neighbourhood, ``dist``
      in mm from the call's ``spacing``);
    - seeds as hard constraints (infinite terminal capacities);
    - optionally a shape prior from the previous slice (as in graph cut with shape constraints): labelling a pixel
      ``d`` mm outside the prior as foreground costs ``shape_weight · d``, and one ``d`` mm inside it as background
      costs ``shape_weight · d``. Without it, seed histograms alone let the cut leak into neighbouring organs of
      similar intensity, and the leak compounds from slice to slice.

    Args:
        lambda_: weight of the regional term against the boundary term (≥ 0; 0 is a pure minimal-contrast cut).
        sigma: boundary noise level in windowed intensity units ([0, 1]); intensity steps well above σ are cheap to
            cut. A 400 HU window maps σ = 0.05 to 20 HU.
        bins: histogram bins of the regional term.
        shape_weight: weight (per mm) of the shape prior term; 0 disables it.

    Call with ``(image, prior, seeds, spacing)`` (module docstring); ``spacing`` ``None`` means 1 mm pixels. A NaN or
    Inf pixel is a ``ValueError`` raised before the max-flow (which would never return on a NaN capacity). Without
    seeds of both kinds one intensity model is missing: the prior is returned unchanged.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((1, 20, 20), np.float32); image[0, 5:15, 5:15] = 0.8
        >>> seeds = np.zeros((2, 20, 20), bool); seeds[0, 10, 10] = True; seeds[1, 1, :] = seeds[1, -2, :] = True
        >>> seeds[1, :, 1] = seeds[1, :, -2] = True
        >>> int(GraphCutSegmenter(shape_weight=0.0)(image, image > 0, seeds, (0.8, 0.8)).sum())
        100
    """

    #: share of uniform probability mixed into each seed histogram (no bin ever has probability 0)
    probability_floor = 1e-2
    #: zero outside the seeds' bounding box, and computed from the pixels inside it only
    local = True

    def __init__(self, lambda_: float = 1.0, sigma: float = 0.05, bins: int = 32, shape_weight: float = 0.0) -> None:
        if not has_maxflow:
            raise ImportError("GraphCutSegmenter needs PyMaxflow: pip install 'monai-refine[graphcut]'.")
        if not np.isfinite(lambda_) or lambda_ < 0:
            raise ValueError(f"lambda_ must be finite and >= 0, got {lambda_}.")
        if not np.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"sigma must be finite and > 0 (windowed intensity units), got {sigma}.")
        if bins < 2:
            raise ValueError(f"bins must be >= 2, got {bins}.")
        if not np.isfinite(shape_weight) or shape_weight < 0:
            raise ValueError(f"shape_weight must be finite and >= 0, got {shape_weight}.")
        self.shape_weight = float(shape_weight)
        self.lambda_ = float(lambda_)
        self.sigma = float(sigma)
        self.bins = int(bins)

    def _neg_log_likelihood(self, values: np.ndarray, samples: np.ndarray) -> np.ndarray:
        # a uniform floor (not +1 counts) so a class with few seeds, e.g. a thin skeleton, is not biased against
        histogram = np.histogram(samples, bins=self.bins, range=(0.0, 1.0))[0] / samples.size
        probability = (1 - self.probability_floor) * histogram + self.probability_floor / self.bins
        index = np.clip((values * self.bins).astype(np.int64), 0, self.bins - 1)
        return -np.log(probability[index])

    def __call__(
        self, image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: Sequence[float] | None = None
    ) -> np.ndarray:
        image, prior, seeds, spacing = check_slice_inputs(image, prior, seeds, spacing)
        fg, bg = seeds[0], seeds[1]
        if not fg.any() or not bg.any():
            return prior.copy()
        box = seed_bounding_box(seeds)
        img, fg, bg, inside = image[0][box].astype(np.float64), fg[box], bg[box], prior[0][box].astype(bool)
        graph = maxflow.Graph[float](img.size, 4 * img.size)  # sized up front: no reallocation while edges are added
        nodes = graph.add_grid_nodes(img.shape)
        for offset in ((0, 1), (1, 0), (1, 1), (1, -1)):  # each undirected 8-neighbour pair once
            shifted = np.roll(img, (-offset[0], -offset[1]), axis=(0, 1))
            distance = float(np.hypot(*(np.asarray(offset) * spacing)))
            weights = np.exp(-((img - shifted) ** 2) / (2 * self.sigma**2)) / distance
            structure = np.zeros((3, 3))
            structure[1 + offset[0], 1 + offset[1]] = 1
            graph.add_grid_edges(nodes, weights=weights, structure=structure, symmetric=True)
        infinity = 1e9
        source = self.lambda_ * self._neg_log_likelihood(img, img[bg])  # cost of labelling background
        sink = self.lambda_ * self._neg_log_likelihood(img, img[fg])  # cost of labelling foreground
        if self.shape_weight > 0 and inside.any():
            anisotropy = tuple(spacing)
            sink += self.shape_weight * edt.edt(~inside, anisotropy=anisotropy, black_border=False)
            source += self.shape_weight * edt.edt(inside, anisotropy=anisotropy, black_border=False)
        source[fg], sink[fg] = infinity, 0.0
        source[bg], sink[bg] = 0.0, infinity
        graph.add_grid_tedges(nodes, source, sink)
        graph.maxflow()
        out = np.zeros_like(prior, dtype=bool)
        out[(0, *box)] = ~graph.get_grid_segments(nodes)
        return out


class RandomWalkerSegmenter:
    """Random walker segmentation (Grady 2006, ``skimage.segmentation.random_walker``) on one slice.

    Unlabelled pixels take the label whose seeds a random walk reaches first; edge weights ``exp(−β (ΔI)²)`` on the
    windowed image.

    Args:
        beta: edge-weight penalty of ``random_walker`` (larger: stronger edges).

    Call with ``(image, prior, seeds, spacing)`` (module docstring); ``spacing`` ``None`` means 1 mm pixels. Without
    seeds of both kinds every walk would end at the one kind there is: the prior is returned unchanged.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((1, 20, 20), np.float32); image[0, 5:15, 5:15] = 0.8
        >>> seeds = np.zeros((2, 20, 20), bool); seeds[0, 10, 10] = True; seeds[1, 1, :] = seeds[1, -2, :] = True
        >>> seeds[1, :, 1] = seeds[1, :, -2] = True
        >>> int(RandomWalkerSegmenter()(image, image > 0, seeds, (0.8, 0.8)).sum())
        100
    """

    #: zero outside the seeds' bounding box, and computed from the pixels inside it only
    local = True

    def __init__(self, beta: float = 130.0) -> None:
        if not np.isfinite(beta) or beta <= 0:
            raise ValueError(f"beta must be finite and > 0, got {beta}.")
        self.beta = float(beta)

    def __call__(
        self, image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: Sequence[float] | None = None
    ) -> np.ndarray:
        image, prior, seeds, spacing = check_slice_inputs(image, prior, seeds, spacing)
        if not seeds[0].any() or not seeds[1].any():
            return prior.copy()
        box = seed_bounding_box(seeds)
        labels = np.zeros(seeds.shape[1:], dtype=np.int32)[box]
        labels[seeds[1][box]] = 2
        labels[seeds[0][box]] = 1
        result = random_walker(image[0][box], labels, beta=self.beta, mode="cg_j", spacing=tuple(spacing), tol=1e-3)
        out = np.zeros_like(prior, dtype=bool)
        out[(0, *box)] = result == 1
        return out
