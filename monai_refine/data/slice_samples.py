"""Per-slice training samples for slice propagation, drawn on the fly from CT volumes and their masks (paper 001).

Propagation segments slice ``z`` from the result on its neighbour ``z ∓ 1``: the network's input is the slice, that
neighbour's mask (the *prior*) and the seed maps made from the prior by :class:`~monai_refine.transforms.MaskSeeds`.
:class:`PropagationSliceDataset` makes exactly such inputs from a labelled volume, with the errors propagation
brings: the prior is the label of a neighbour one (sometimes more) slices away, degraded by
:class:`~monai_refine.transforms.RandMaskPerturb`, or the network's own result on that neighbour (errors compound
in propagation, so the network must learn to undo its own); some samples lie past the organ's ends (the label is
empty while the prior is not), so the network learns where an organ stops; some carry a simulated user's corrective
strokes, so the network learns to follow them. Samples go through
:func:`~monai_refine.inferers.network_input`, the crop that :class:`~monai_refine.inferers.NetworkSegmenter` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.data import MetaTensor
from monai.transforms import Randomizable
from monai.utils import convert_to_numpy
from scipy import ndimage
from torch.utils.data import Dataset

from monai_refine.data.ircad import load_ircad_patient
from monai_refine.inferers.slice_grid import SliceGrid, network_input
from monai_refine.inferers.slice_propagation import (
    Segmenter,
    canonical_slices,
    edit_prior,
    merge_user_seeds,
    occupied_slices,
    slice_result,
    window_intensity,
)
from monai_refine.transforms.perturbation.array import RandMaskPerturb
from monai_refine.transforms.seeds.array import DiscrepancySeeds, MaskSeeds
from monai_refine.utils import (
    RefineKeys,
    SeedChannel,
    as_binary_mask,
    bounding_box,
    check_positive_int,
    check_probability,
)

__all__ = ["PropagationSliceDataset", "load_datalist_volumes", "load_ircad_volumes"]


def load_ircad_volumes(
    dataset_dir: str | Path, patients: Sequence[str], organ: str = "liver"
) -> list[tuple[MetaTensor, MetaTensor]]:
    """``(image, mask)`` of each IRCAD patient folder ``dataset_dir/<patient>`` (:func:`load_ircad_patient`), e.g.
    the ``volumes`` of :class:`PropagationSliceDataset` in a bundle config.

    Example:
        >>> [tuple(v.shape) for v in load_ircad_volumes("tests/testing_data", ["ircad_patient17_slab"])[0]]
        [(1, 512, 512, 24), (1, 512, 512, 24)]
    """
    return [load_ircad_patient(Path(dataset_dir) / patient, organ=organ) for patient in patients]


def load_datalist_volumes(
    datalist: str | Path | Sequence[dict],
    base_dir: str | Path | None = None,
    *,
    data_list_key: str = "training",
    image_key: str = "image",
    label_key: str = "label",
    organ_labels: Sequence[int] | None = None,
) -> list[tuple[MetaTensor, MetaTensor]]:
    """``(image, mask)`` of every item of a MONAI datalist: any CT + mask, e.g. the ``volumes`` of
    :class:`PropagationSliceDataset` for data that is not in IRCAD's folders (NIfTI, NRRD, DICOM series folders).

    Args:
        datalist: a JSON datalist file in MONAI's decathlon format (read with
            :func:`monai.data.load_decathlon_datalist`), or its list of ``{image_key: path, label_key: path}`` items.
        base_dir: the folder relative paths are resolved against (default: the datalist file's folder; for a list,
            paths are used as they are).
        data_list_key: the datalist's key of the list to load (e.g. ``"training"``).
        image_key: each item's key of the CT (:func:`~monai_refine.data.load_image`).
        label_key: each item's key of the mask or label map.
        organ_labels: the label values that make the organ in a label map (e.g. ``(1, 2)`` for liver + tumour in
            the Medical Segmentation Decathlon's liver task); ``None``: the label file is a binary mask
            (:func:`~monai_refine.data.load_mask`: any single non-zero value is the organ).

    Returns:
        one ``(image, mask)`` per item: the CT as float32 ``(1, X, Y, Z)`` with its RAS affine, the mask as uint8
        {0, 1} of the same shape and affine.

    Raises:
        ValueError: an empty datalist, an item without ``image_key`` / ``label_key``, a label map given without
            ``organ_labels`` (several non-zero values), no voxel of ``organ_labels`` in a label file, or an image and
            label that do not share geometry (each naming the files); plus anything the readers raise.

    Example:
        >>> slab = "monai_refine/data/sample/ircad_patient17_slab"
        >>> items = [{"image": f"{slab}/PATIENT_DICOM", "label": f"{slab}/MASKS_DICOM/liver"}]
        >>> [(tuple(v.shape), v.dtype) for v in load_datalist_volumes(items)[0]]
        [((1, 512, 512, 24), torch.float32), ((1, 512, 512, 24), torch.uint8)]
    """
    from monai.data import load_decathlon_datalist

    from monai_refine.data.image_files import LabelMapError
    from monai_refine.data.readers import load_image, load_mask
    from monai_refine.utils import check_same_geometry

    if isinstance(datalist, (str, Path)):
        items = load_decathlon_datalist(str(datalist), True, data_list_key, None if base_dir is None else str(base_dir))
    else:
        root = Path(base_dir) if base_dir is not None else Path()
        items = [{k: str(root / v) if k in (image_key, label_key) else v for k, v in item.items()} for item in datalist]
    if not items:
        raise ValueError(f"the datalist {datalist if isinstance(datalist, (str, Path)) else ''} holds no item.")
    volumes = []
    for item in items:
        missing = [key for key in (image_key, label_key) if key not in item]
        if missing:
            raise ValueError(f"datalist item {item} has no {' or '.join(map(repr, missing))}.")
        image = load_image(item[image_key])
        if organ_labels is None:
            try:
                mask = load_mask(item[label_key])
            except LabelMapError as error:
                raise LabelMapError(f"{error} For a label map, give organ_labels (the organ's values).") from error
        else:
            labels = load_image(item[label_key], dtype=None)
            organ = np.isin(convert_to_numpy(labels), np.asarray(organ_labels))
            if not organ.any():
                raise ValueError(f"{item[label_key]} holds no voxel of organ_labels {list(organ_labels)}.")
            mask = MetaTensor(torch.from_numpy(organ.astype(np.uint8)), meta=labels.meta)  # the affine in meta
        check_same_geometry(image, mask, names=("image", "label"))
        volumes.append((image, mask))
    return volumes


def _at_spacing(array: np.ndarray, spacing: Sequence[float]) -> MetaTensor:
    """``array`` ``(C, H, W)`` as a MetaTensor of in-plane ``spacing``: how each sample hands its slice's spacing to the
    shared ``perturb`` and seeder without setting their attributes (safe with thread-based loaders)."""
    affine = torch.diag(torch.tensor([*spacing, 1.0, 1.0], dtype=torch.float64))
    return MetaTensor(torch.as_tensor(array), affine=affine)


class PropagationSliceDataset(Randomizable, Dataset):
    """Random ``(image slice, prior, seed maps) → label`` samples from labelled volumes, as propagation sees them.

    Each sample picks a volume (in proportion to its labelled slices), then either (probability ``end_prob``) a
    slice 1 to ``beyond`` slices past one end of the organ, with the organ's last slice on that side (or one
    before it, for a longer step) as prior, or a labelled slice ``z`` and a neighbour ``z ∓ step`` whose non-empty
    label is the prior; ``step`` is 1, or with probability ``skip_prob`` drawn from 2..``max_step``. With
    probability ``perturb_prob`` the prior is degraded by ``perturb`` (on the prior's bounding box, so the cost
    follows the organ). With probability ``self_prob`` and a ``segmenter`` (the network being trained, wrapped in
    :class:`~monai_refine.inferers.NetworkSegmenter`), the prior is instead the segmenter's result on the slice
    one step back towards the prior's side, itself given that (maybe degraded) label as prior and kept as
    :class:`~monai_refine.inferers.SlicePropagator` keeps it (:func:`~monai_refine.inferers.slice_result`): the
    error of one propagation step, fed to the next one, as at inference. Seeds come from
    :class:`~monai_refine.transforms.MaskSeeds` on the prior at the slice's own resolution, as in
    :class:`~monai_refine.inferers.SlicePropagator`. With probability ``correction_prob`` a simulated user then
    corrects the slice: on the result the slice would get without help (the ``segmenter``'s, or the prior itself
    without one), 1 to ``max_corrections`` of the largest error regions of at least ``min_correction_mm2`` each get
    a stroke along their skeleton (:class:`~monai_refine.transforms.DiscrepancySeeds`: foreground on a miss,
    background on a leak), merged with the propagated seeds exactly as the propagator merges user seeds
    (:func:`~monai_refine.inferers.merge_user_seeds`). (Engine-level simulation such as
    :class:`~monai_refine.engines.SeedInteraction` rewrites whole seed channels of the cropped batch; here the
    corrections must be merged with the prior's own seeds at the slice's resolution, before the crop.) Then
    :func:`~monai_refine.inferers.network_input` crops and resamples image, prior and seed maps to ``grid``, and the
    label is resampled to the same grid (nearest).

    Augmentation for scanners and patients that differ from the training ones: the HU window is shifted by up to
    ``±window_shift`` HU and its width scaled by ``1 ± window_scale``, and the grid spacing by ``1 ± zoom`` (the
    organ appears larger or smaller), each drawn uniformly per sample; all are 0 (off) by default.

    Volumes are kept in memory as float32 HU, slice axis first (an IRCAD patient of 512² × 129 is 135 MB), and
    windowed per sample.

    Args:
        volumes: ``(image, label)`` pairs, each ``(1, X, Y, Z)``; a MetaTensor's spacing is used (else 1 mm).
        num_samples: samples per epoch (the dataset's length); every item is a fresh random draw.
        grid: the crop and grid (default 96² pixels of 2.5 mm).
        channels: the network input parts, in order (see :func:`~monai_refine.inferers.network_input`).
        window: intensity window (HU) mapped to [0, 1].
        margin_mm: MaskSeeds' background ring radius in mm.
        sigma: seed-map Gaussian width in mm.
        perturb: the prior's degradation, without a ``spacing`` of its own (each sample gives it the slice's);
            default a mild :class:`RandMaskPerturb` (±2 mm erosion/dilation, boundary noise, small elastic, rotation
            and shift, no flip).
        perturb_prob: probability of degrading the prior.
        skip_prob: probability that the prior is more than one slice away.
        max_step: the largest distance (slices) between the slice and its prior's slice, >= 1.
        end_prob: probability of a sample past an end of the organ (empty label).
        beyond: how many slices past each end such samples reach.
        slice_axis: the spatial axis of the slices (0..2, or negative).
        segmenter: a :data:`~monai_refine.inferers.Segmenter` for self-fed priors (usually the network in
            training inside :class:`~monai_refine.inferers.NetworkSegmenter`, which runs it in eval mode without
            gradients); ``None``: priors only from labels.
        self_prob: probability that the prior is the ``segmenter``'s result (needs a ``segmenter``).
        window_shift: HU, the window's random shift is uniform in ``±window_shift``.
        window_scale: the window's width is scaled by a factor uniform in ``1 ± window_scale``, in [0, 1).
        zoom: the grid's spacing is scaled by a factor uniform in ``1 ± zoom``, in [0, 1).
        correction_prob: probability of a sample with simulated user corrections (needs the seed maps among the
            ``channels``).
        max_corrections: the most error regions corrected in one sample (the count is uniform in 1..this).
        min_correction_mm2: error regions smaller than this (mm²) get no stroke, like slivers a user leaves alone.
        lobe_prob: probability that a corrected sample's prior first loses a lobe (the part beyond a random line,
            10-40 % of it) or gains one (the prior grown by 5-15 mm beyond such a line), seeds made anew from it:
            large errors, as a user corrects them, where the network's own residual errors are mostly thin bands.
        correct_past_end: whether samples past an organ's end (empty label) may be corrected too; ``False`` keeps
            them stroke-free, so that where an organ stops is learned from the image alone, as the propagation's
            stops must find it (a user does not stroke the slices after the propagation stopped).
        unstroked_lobe_prob: probability that a sample without corrections gets such a lost or leaked lobe in its
            prior too, with seeds made anew from it and no stroke: the image alone must undo it (with
            ``prior_stroke_mm`` the strokes clean the corrected priors, so only these samples still show a leaked
            lobe in the prior channel).
        prior_stroke_mm: ``None`` (default), or a corrected sample's prior channel is the prior edited by the
            strokes (:func:`~monai_refine.inferers.edit_prior`, foreground strokes this wide, mm), as
            :class:`~monai_refine.inferers.SlicePropagator` with the same ``prior_stroke_mm`` hands it; train and
            infer with the same value.

    Items are dicts: ``"image"`` ``(C, size, size)`` float32 network input and ``"label"`` ``(1, size, size)``.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((1, 64, 64, 8), np.float32); label = np.zeros_like(image)
        >>> image[0, 16:48, 16:48, 1:7] = 100.0; label[0, 16:48, 16:48, 1:7] = 1
        >>> data = PropagationSliceDataset([(image, label)], num_samples=4, grid=SliceGrid(32, 2.0)).set_random_state(0)
        >>> item = data[0]
        >>> tuple(item["image"].shape), tuple(item["label"].shape)
        ((4, 32, 32), (1, 32, 32))
    """

    def __init__(
        self,
        volumes: Sequence[tuple[NdarrayOrTensor, NdarrayOrTensor]],
        num_samples: int = 1000,
        grid: SliceGrid | None = None,
        channels: Sequence[str] = (RefineKeys.IMAGE, RefineKeys.PRIOR, RefineKeys.SEED_MAP),
        window: Sequence[float] = (-100.0, 200.0),
        margin_mm: float = 5.0,
        sigma: float = 5.0,
        perturb: RandMaskPerturb | None = None,
        perturb_prob: float = 0.5,
        skip_prob: float = 0.25,
        max_step: int = 2,
        end_prob: float = 0.1,
        beyond: int = 3,
        slice_axis: int = -1,
        segmenter: Segmenter | None = None,
        self_prob: float = 0.0,
        window_shift: float = 0.0,
        window_scale: float = 0.0,
        zoom: float = 0.0,
        correction_prob: float = 0.0,
        max_corrections: int = 3,
        min_correction_mm2: float = 20.0,
        lobe_prob: float = 0.0,
        correct_past_end: bool = True,
        prior_stroke_mm: float | None = None,
        unstroked_lobe_prob: float = 0.0,
    ) -> None:
        num_samples = check_positive_int("num_samples", num_samples)
        if not volumes:
            raise ValueError("volumes must hold at least one (image, label) pair.")
        if slice_axis not in (-3, -2, -1, 0, 1, 2):
            raise ValueError(f"slice_axis must be a spatial axis in [-3, 2], got {slice_axis}.")
        beyond, max_step = check_positive_int("beyond", beyond), check_positive_int("max_step", max_step)
        max_corrections = check_positive_int("max_corrections", max_corrections)
        if self_prob > 0 and segmenter is None:
            raise ValueError(f"self_prob={self_prob} needs a segmenter to make the self-fed priors.")
        if correction_prob > 0 and RefineKeys.SEED_MAP not in channels:
            raise ValueError(f"correction_prob={correction_prob} needs the seed maps in channels, got {channels}.")
        if perturb is not None and perturb.spacing is not None:
            raise ValueError(
                f"perturb.spacing must be None (each sample uses its own slice's spacing), got {perturb.spacing}."
            )
        if not np.isfinite(min_correction_mm2) or min_correction_mm2 < 0:
            raise ValueError(f"min_correction_mm2 must be finite and >= 0 (mm²), got {min_correction_mm2}.")
        if not np.isfinite(window_shift) or window_shift < 0:
            raise ValueError(f"window_shift must be finite and >= 0 (HU), got {window_shift}.")
        for name, value in (("window_scale", window_scale), ("zoom", zoom)):
            if not np.isfinite(value) or not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1), got {value}.")
        self.num_samples = num_samples
        self.grid = SliceGrid(96, 2.5) if grid is None else grid
        self.channels = tuple(channels)
        self.margin_mm = float(margin_mm)
        self.sigma = float(sigma)
        self.perturb = (
            RandMaskPerturb(
                radius_range=(-2.0, 2.0),
                noise_band_range=(0.5, 2.0),
                noise_fraction_range=(0.1, 0.3),
                elastic_magnitude_range=(0.5, 2.0),
                rotate_range=0.05,
                shift_range=3.0,
                flip_prob=0.0,
            )
            if perturb is None
            else perturb
        )
        self.perturb_prob = check_probability("perturb_prob", perturb_prob)
        self.skip_prob = check_probability("skip_prob", skip_prob)
        self.end_prob = check_probability("end_prob", end_prob)
        self.beyond, self.max_step = beyond, max_step
        self.segmenter = segmenter
        self.self_prob = check_probability("self_prob", self_prob)
        self.window = tuple(float(w) for w in window)
        window_intensity(np.zeros(1), self.window)  # checks the window now rather than at the first sample
        self.window_shift, self.window_scale, self.zoom = float(window_shift), float(window_scale), float(zoom)
        self.correction_prob = check_probability("correction_prob", correction_prob)
        self.max_corrections, self.min_correction_mm2 = max_corrections, float(min_correction_mm2)
        self.lobe_prob = check_probability("lobe_prob", lobe_prob)
        self.correct_past_end = bool(correct_past_end)
        self.unstroked_lobe_prob = check_probability("unstroked_lobe_prob", unstroked_lobe_prob)
        if prior_stroke_mm is not None and not (np.isfinite(prior_stroke_mm) and prior_stroke_mm >= 0):
            raise ValueError(f"prior_stroke_mm must be a finite width >= 0 (mm) or None, got {prior_stroke_mm}.")
        self.prior_stroke_mm = None if prior_stroke_mm is None else float(prior_stroke_mm)
        self.corrector = DiscrepancySeeds()
        axis = slice_axis % 3
        self.images, self.labels, self.spacings, self.present = [], [], [], []
        for index, (image, label) in enumerate(volumes):
            array = convert_to_numpy(image)
            mask = as_binary_mask(f"volumes[{index}] label", label)
            if array.ndim != 4 or array.shape[0] != 1 or mask.shape != array.shape:
                raise ValueError(
                    f"volumes[{index}] must be an image and a label of one shape (1, X, Y, Z), got {array.shape} "
                    f"and {mask.shape}."
                )
            present = occupied_slices(mask[0], axis)
            if present.size < 2:
                raise ValueError(f"volumes[{index}] label must cover at least two slices, got {present.size}.")
            # slices as SlicePropagator hands them to its segmenter: canonical in-plane orientation from the affine
            slices, _, spacing = canonical_slices(image, axis)
            if isinstance(image, MetaTensor):
                mask = MetaTensor(torch.as_tensor(mask), affine=image.affine)
            self.images.append(np.asarray(slices[0], dtype=np.float32))
            self.labels.append(canonical_slices(mask, axis)[0][0])
            self.spacings.append(spacing)
            self.present.append(present)
        weights = np.asarray([p.size for p in self.present], dtype=np.float64)
        self.volume_weights = weights / weights.sum()
        self.seeder = MaskSeeds(margin_mm=self.margin_mm)

    def set_random_state(
        self, seed: int | None = None, state: np.random.RandomState | None = None
    ) -> PropagationSliceDataset:
        super().set_random_state(seed, state)
        self.perturb.set_random_state(state=self.R)
        return self

    def __len__(self) -> int:
        return self.num_samples

    def randomize(self, data: None = None) -> tuple[int, int, int]:
        """Draw ``(volume, slice, neighbour)`` indices: the slice to segment and the slice whose label is the prior."""
        volume = int(self.R.choice(len(self.images), p=self.volume_weights))
        present, depth = self.present[volume], len(self.labels[volume])
        step = int(self.R.randint(2, self.max_step + 1)) if self.max_step > 1 and self.R.rand() < self.skip_prob else 1
        if self.R.rand() < self.end_prob:
            direction = 1 if self.R.rand() < 0.5 else -1
            end = present[-1] if direction == 1 else present[0]
            index = int(np.clip(end + direction * self.R.randint(1, self.beyond + 1), 0, depth - 1))
            neighbour = end - direction * (step - 1)
            return volume, index, int(neighbour if self.labels[volume][neighbour].any() else end)
        index = int(self.R.choice(present))
        for direction in (1, -1) if self.R.rand() < 0.5 else (-1, 1):
            for offset in (step, 1):
                neighbour = index - direction * offset
                if 0 <= neighbour < depth and self.labels[volume][neighbour].any():
                    return volume, index, neighbour
        raise ValueError(f"slice {index} of volume {volume} has no labelled neighbour.")

    def _prior(self, label: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
        """The prior ``(1, H, W)``: ``label`` ``(H, W)``, degraded by ``perturb`` with probability ``perturb_prob``
        on its bounding box grown by the ring and perturbation margins (so the cost follows the organ)."""
        pad = int(np.ceil((self.margin_mm + 6.0) / min(spacing))) + 2
        box = bounding_box(label, (pad, pad))
        crop = label[box][None]
        if self.R.rand() < self.perturb_prob:
            degraded = np.asarray(self.perturb(_at_spacing(crop.astype(np.uint8), spacing))) > 0
            crop = degraded if degraded.any() else crop
        prior = np.zeros((1, *label.shape), dtype=bool)
        prior[(0, *box)] = crop[0]
        return prior

    def _seeds(self, prior: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
        """MaskSeeds ``(2, H, W)`` of ``prior`` at the slice's spacing, as SlicePropagator makes them (MaskSeeds works
        on the prior's bounding box itself)."""
        return np.asarray(self.seeder(_at_spacing(prior, spacing))) > 0

    def _self_fed_prior(
        self, volume: int, z: int, direction: int, window: tuple[float, float], spacing: tuple[float, ...]
    ) -> np.ndarray | None:
        """The segmenter's result ``(1, H, W)`` on slice ``z - direction``, given as prior the (maybe degraded)
        label of the first labelled slice from ``z - 2 direction`` on, away from ``z`` (past an organ's end, that is
        the organ's last slice: the leak that propagation compounds); ``None`` when there is no such slice or the
        result is empty."""
        present, middle = self.present[volume], z - direction
        if not 0 <= middle < len(self.labels[volume]):
            return None
        source = present[present < middle][-1:] if direction > 0 else present[present > middle][:1]
        if not source.size:
            return None
        prior = self._prior(self.labels[volume][int(source[0])], spacing)
        seeds = self._seeds(prior, spacing)
        mask = self._segment(window_intensity(self.images[volume][middle][None], window), prior, seeds, spacing)
        return mask[None] if mask.any() else None

    def _segment(
        self, image: np.ndarray, prior: np.ndarray, seeds: np.ndarray, spacing: tuple[float, ...]
    ) -> np.ndarray:
        """The ``segmenter``'s result ``(H, W)`` on ``image`` ``(1, H, W)``, kept as SlicePropagator keeps it."""
        output = self.segmenter(image, prior, seeds, spacing)
        probability = output[0] if isinstance(output, tuple) else output
        return slice_result(np.asarray(probability)[0], seeds[SeedChannel.FOREGROUND])

    def _corrections(self, result: np.ndarray, label: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
        """A simulated user's strokes ``(2, H, W)`` bool on ``result`` ``(H, W)`` against ``label`` ``(H, W)``: the
        skeletons of 1..``max_corrections`` of the largest error regions of at least ``min_correction_mm2``."""
        labelled = [ndimage.label(error)[0] for error in (result & ~label, label & ~result)]  # leaks, misses
        regions = [
            (int(size), kind, index + 1)
            for kind, components in enumerate(labelled)
            for index, size in enumerate(np.bincount(components.ravel())[1:])
            if size * np.prod(spacing) >= self.min_correction_mm2
        ]
        chosen = sorted(regions, reverse=True)[: self.R.randint(1, self.max_corrections + 1)]
        # the prediction that errs exactly on the chosen regions: DiscrepancySeeds strokes those and nothing else
        shown = label.copy()
        for _, kind, index in chosen:
            region = labelled[kind] == index
            shown = shown | region if kind == 0 else shown & ~region
        return np.asarray(self.corrector(shown[None], label[None])) > 0

    def _lobe_error(self, prior: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
        """``prior`` ``(1, H, W)`` without the part beyond a random line (10-40 % of it), or, half of the time, with
        the prior grown by 5-15 mm beyond such a line: a lost or a leaked lobe."""
        angle, fraction = self.R.uniform(0, 2 * np.pi), self.R.uniform(0.1, 0.4)
        rows, cols = np.ogrid[: prior.shape[1], : prior.shape[2]]
        along = rows * spacing[0] * np.cos(angle) + cols * spacing[1] * np.sin(angle)  # mm along a random direction
        beyond = along > np.quantile(np.broadcast_to(along, prior.shape[1:])[prior[0]], 1 - fraction)
        if self.R.rand() < 0.5:
            return prior & ~beyond[None]
        grown = ndimage.distance_transform_edt(~prior[0], sampling=spacing) <= self.R.uniform(5.0, 15.0)
        return prior | (grown & beyond)[None]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        volume, z, neighbour = self.randomize()
        spacing = self.spacings[volume]
        centre = (self.window[0] + self.window[1]) / 2 + self.R.uniform(-self.window_shift, self.window_shift)
        half = (self.window[1] - self.window[0]) / 2 * self.R.uniform(1 - self.window_scale, 1 + self.window_scale)
        window = (centre - half, centre + half)
        grid = self.grid
        if self.zoom:
            grid = SliceGrid(self.grid.size, self.grid.spacing * self.R.uniform(1 - self.zoom, 1 + self.zoom))
        prior = None
        if self.segmenter is not None and self.R.rand() < self.self_prob:
            prior = self._self_fed_prior(volume, z, 1 if z > neighbour else -1, window, spacing)
        if prior is None:
            prior = self._prior(self.labels[volume][neighbour], spacing)
        seeds = self._seeds(prior, spacing) if RefineKeys.SEED_MAP in self.channels else None
        image = window_intensity(self.images[volume][z][None], window)
        correctable = seeds is not None and (self.correct_past_end or self.labels[volume][z].any())
        if correctable and self.R.rand() < self.correction_prob:
            if self.R.rand() < self.lobe_prob:
                prior = self._lobe_error(prior, spacing)
                seeds = self._seeds(prior, spacing)
            result = prior[0] if self.segmenter is None else self._segment(image, prior, seeds, spacing)
            user = self._corrections(result, self.labels[volume][z], spacing)
            seeds = merge_user_seeds(seeds, prior[0], user, spacing)
            if self.prior_stroke_mm is not None:
                prior = edit_prior(prior[0], user, spacing, self.prior_stroke_mm)[None]
        elif self.unstroked_lobe_prob and self.R.rand() < self.unstroked_lobe_prob:  # no draw when off (same samples)
            prior = self._lobe_error(prior, spacing)
            seeds = None if seeds is None else self._seeds(prior, spacing)
        x, frame = network_input(grid, image, prior, seeds, spacing, self.channels, self.sigma)
        label = grid.sample(self.labels[volume][z][None].astype(np.float32), frame, mode="nearest")
        return {RefineKeys.IMAGE.value: torch.as_tensor(x), RefineKeys.LABEL.value: torch.as_tensor(label)}
