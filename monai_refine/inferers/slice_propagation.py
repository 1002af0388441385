"""Slice-by-slice semi-automatic segmentation from one (or several) annotated slices (paper 001, section 2.3)."""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from monai.config import DtypeLike, NdarrayOrTensor
from monai.data import MetaTensor
from monai.inferers import Inferer
from monai.utils import convert_to_dst_type, convert_to_numpy
from scipy import ndimage
from tqdm import tqdm

from monai_refine.inferers.segmenters import check_in_plane_spacing
from monai_refine.transforms.seeds.array import MaskSeeds
from monai_refine.utils import (
    SeedChannel,
    StopReason,
    as_binary_mask,
    as_numpy,
    bounding_box,
    check_finite,
    check_positive_int,
    check_probability,
    check_same_geometry,
    resolve_spacing,
    slice_axis_from_affine,
)

__all__ = [
    "SliceRecord",
    "SlicePropagator",
    "Segmenter",
    "annotate_slices",
    "canonical_slices",
    "merge_user_seeds",
    "edit_prior",
    "middle_slice",
    "occupied_slices",
    "rejected_by_clicks",
    "resolve_slice_axis",
    "slice_result",
    "window_intensity",
]

#: ``segmenter(image (1, H, W) in [0, 1], prior (1, H, W) bool, seeds (2, H, W) bool, spacing (2,) mm)
#: -> (1, H, W) mask/probability``, or ``-> (mask/probability, quality)`` for a segmenter that also predicts the Dice
#: of the mask it returns (see :class:`SliceRecord`)
Segmenter = Callable[
    [np.ndarray, np.ndarray, np.ndarray, tuple[float, float]], NdarrayOrTensor | tuple[NdarrayOrTensor, float]
]

#: metadata key of the propagation history on a MetaTensor output (a list of :meth:`SliceRecord.to_dict`)
HISTORY_KEY = "propagation_history"


@dataclass
class SliceRecord:
    """What happened on one slice: its index, the direction it was reached from, and its outcome.

    Attributes:
        index: the slice index along the propagator's slice axis.
        direction: ``+1`` or ``-1`` for a propagated slice, ``0`` for an annotated one.
        area: foreground pixels kept on the slice (0 for a slice blanked by a stop rule).
        n_fg_seeds: foreground seeds the segmenter was given (propagated and user seeds).
        n_bg_seeds: background seeds the segmenter was given.
        ms: wall time spent on the slice (seeds, segmenter, component selection).
        stop_reason: why the direction stopped on this slice (:class:`~monai_refine.utils.StopReason`), else
            ``None``.
        quality: the segmenter's predicted Dice of the mask IT RETURNED for this slice (not of the prior it was
            given), for segmenters that return ``(mask, quality)``, else ``None``. ``SlicePropagator(min_quality=q)``
            blanks the slice and stops the direction when ``quality < q``.
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


def resolve_slice_axis(image: NdarrayOrTensor, slice_axis: int | None = None) -> int:
    """The spatial slice axis (0, 1 or 2) of a channel-first volume ``(C, X, Y, Z)``.

    ``slice_axis`` when given (negative values count from the end); else, for a ``MetaTensor``, the axis closest to
    the patient's superior-inferior direction (:func:`~monai_refine.utils.slice_axis_from_affine`: axial slices);
    else the last axis (axial in MONAI's ``(X, Y, Z)`` layout).

    Example:
        >>> import torch
        >>> from monai.data import MetaTensor
        >>> affine = torch.tensor([[0, 0, 0.7, 0], [0, 0.7, 0, 0], [2.5, 0, 0, 0], [0, 0, 0, 1]])
        >>> volume = torch.zeros(1, 9, 8, 8); permuted = MetaTensor(volume, affine=affine)
        >>> resolve_slice_axis(permuted), resolve_slice_axis(volume), resolve_slice_axis(permuted, slice_axis=1)
        (0, 2, 1)
    """
    if slice_axis is not None:
        if isinstance(slice_axis, bool) or slice_axis not in (-3, -2, -1, 0, 1, 2):
            raise ValueError(f"slice_axis must be a spatial axis in [-3, 2] or None, got {slice_axis!r}.")
        return int(slice_axis) % 3
    if isinstance(image, MetaTensor):
        return slice_axis_from_affine(image.affine)
    return 2


def _in_plane_frame(image: NdarrayOrTensor, slice_axis: int) -> tuple[bool, tuple[int, ...]]:
    """How to turn slices of ``image`` into the canonical in-plane orientation, from a MetaTensor's affine.

    The canonical slice has its first axis along the lower of the two world axes other than the slice axis's, its
    second along the higher one, both increasing (for RAS world coordinates and axial slices: as MONAI's
    ``Orientation(axcodes="RAS")`` lays them out). Returns whether to swap the two in-plane axes and which of the
    (swapped) axes, ``-2`` and/or ``-1``, to flip. Plain arrays are taken as they are.
    """
    if not isinstance(image, MetaTensor):
        return False, ()
    linear = convert_to_numpy(image.affine)[:3, :3].astype(np.float64)
    linear = linear / np.linalg.norm(linear, axis=0)
    first, second = (a for a in range(3) if a != slice_axis)
    low, high = (w for w in range(3) if w != int(np.argmax(np.abs(linear[:, slice_axis]))))
    swap = abs(linear[low, second]) + abs(linear[high, first]) > abs(linear[low, first]) + abs(linear[high, second])
    axes = (second, first) if swap else (first, second)
    flips = tuple(position for position, axis, world in zip((-2, -1), axes, (low, high)) if linear[world, axis] < 0)
    return bool(swap), flips


def canonical_slices(
    volume: NdarrayOrTensor, slice_axis: int | None = None
) -> tuple[np.ndarray, int, tuple[float, float]]:
    """The slices of a channel-first volume as :class:`SlicePropagator` hands them to its segmenter.

    Slice axis first, each slice in the canonical in-plane orientation (axes along the world's x then y, increasing,
    from a MetaTensor's affine; plain arrays as they are), with the in-plane spacing in that order. Training code
    for a network segmenter uses it so that training slices look like inference slices.

    Args:
        volume: ``(C, X, Y, Z)``; a MetaTensor's affine gives the slice axis (unless given), orientation and spacing.
        slice_axis: spatial slice axis; ``None``: :func:`resolve_slice_axis`.

    Returns:
        ``(slices, slice_axis, spacing)``: ``slices`` ``(C, depth, H, W)`` numpy (contiguous, of the volume's
        dtype), the spatial slice axis used (0..2), and the in-plane spacing in mm of ``H`` and ``W``.

    Raises:
        ValueError: when ``volume`` is not a channel-first 3D volume ``(C, X, Y, Z)``.

    Example:
        >>> import torch
        >>> from monai.data import MetaTensor
        >>> volume = torch.arange(8.0).reshape(1, 2, 2, 2)  # value 4x + 2y + z
        >>> lps = torch.diag(torch.tensor([-0.5, -0.25, 2.0, 1.0]))  # x and y point backwards in RAS world
        >>> slices, axis, spacing = canonical_slices(MetaTensor(volume, affine=lps))
        >>> slices[0, 0].tolist(), axis, spacing  # slice z = 0 flipped in both in-plane axes
        ([[6.0, 4.0], [2.0, 0.0]], 2, (0.5, 0.25))
    """
    _check_volume_rank("volume", volume)
    axis = resolve_slice_axis(volume, slice_axis)
    swap, flips = _in_plane_frame(volume, axis)
    array = np.moveaxis(convert_to_numpy(volume), axis + 1, 1)
    slices = np.ascontiguousarray(np.flip(array.swapaxes(-1, -2) if swap else array, flips))
    spacing = tuple(float(s) for s in np.delete(resolve_spacing(volume, None, 3), axis))
    return slices, axis, spacing[::-1] if swap else spacing


class SlicePropagator(Inferer):
    """Propagate annotated slices through a volume, slice by slice, in both directions (paper 001).

    For each slice ``z`` next to an already segmented slice, the seeds come from the neighbour's result through
    :class:`~monai_refine.transforms.MaskSeeds` (skeleton → foreground, boundary of the ``margin_mm`` dilation →
    background), merged with any user seeds for ``z``; the ``segmenter`` (graph cut, random walker, copy-previous, a
    network: any :data:`Segmenter`) segments the slice, and only the components that contain a foreground seed are
    kept. A direction stops when the mask vanishes (``StopReason.VANISHED``), shrinks below ``min_area_fraction`` of
    its neighbour (``StopReason.SHRUNK``; that slice is left empty), its predicted quality falls below ``min_quality``
    (``StopReason.QUALITY_DROP``, for segmenters that return ``(mask, quality)``; that slice is left empty), with
    ``intensity_fence``, when the median intensity inside its result leaves the range of the organ on the slice the
    direction started from (``StopReason.INTENSITY``; that slice is left empty), meets the region of another
    annotated slice, or reaches the end of the volume. With several annotated slices, every slice
    is propagated from its nearest one.

    User seeds (corrections) override the propagated ones on their slice: a user foreground seed is a foreground
    seed (so a component that holds only a user foreground seed is kept), and a user background seed is a background
    seed that also cancels the propagated foreground seeds of the part of the neighbour's mask it lies in
    (:func:`rejected_by_clicks`: a whole island, or the lobe around the click when it lies in the main component,
    e.g. a leak), so that part is dropped unless another foreground seed holds it. A slice whose result holds a user
    foreground seed is never stopped by the shrink, quality, growth or intensity rules: the user vouches for it, so a
    correction on the slice where a direction stopped too early carries the propagation on. With
    ``prior_stroke_mm`` the user seeds also edit the prior the segmenter gets (:func:`edit_prior`), for networks
    trained that way (a network that sees seed maps only in a head without the image, such as
    :class:`~monai_refine.networks.nets.RefineNet`, cannot otherwise grow a stroke into the image's edges).

    Slices and spacing come from the geometry: the slice axis is, by default, the array axis closest to the
    patient's superior-inferior direction in the affine of a ``MetaTensor`` input (the last axis for plain arrays),
    and each slice is handed to the segmenter in one canonical in-plane orientation (its axes along the world's
    x then y, increasing, as after MONAI's ``Orientation(axcodes="RAS")``), with the spacing of those two axes in
    that order, so the same CT stored RAS, LPS or with permuted axes gives the same mask. Segmenters
    with ``local = True`` (the classical ones) get a crop around the neighbour's mask, its background ring and the
    slice's user seeds instead of the whole slice.

    Args:
        margin_mm: dilation radius of the background ring (:class:`MaskSeeds`), in mm.
        erosion_mm: optional erosion (mm) of the neighbour's mask added to the foreground seeds (:class:`MaskSeeds`).
        window: intensity window ``(low, high)`` mapped to [0, 1] before segmenting (HU for CT; the default is an
            abdominal soft-tissue window).
        min_area_fraction: stop a direction when a slice's area falls below this fraction of the previous slice's.
        min_quality: stop a direction when the segmenter's predicted Dice of the mask it returned for a slice falls
            below this (:attr:`SliceRecord.quality`); it needs a segmenter that returns ``(mask, quality)``. ``None``
            ignores any predicted quality.
        fill_holes: fill holes of each slice result (vessels inside the liver belong to the liver).
        slice_axis: spatial axis (0, 1, 2 or negative) of the slices; ``None`` (default) takes it from the input's
            affine (:func:`resolve_slice_axis`).
        progress: show a tqdm progress bar.
        max_growth: stop a direction when a slice's area exceeds this multiple of the previous slice's
            (``StopReason.GREW``; that slice is left empty): a leak into a neighbouring organ of similar intensity
            shows as a jump in area. ``None`` sets no bound.
        workers: processes that propagate independent directions (each annotated slice's upward and downward run)
            at once. Used only for ``local`` (classical, CPU) segmenters and where the ``fork`` start method exists
            (Linux); a network segmenter always runs in the calling process (forking a process whose torch has
            started threads can deadlock). The result and history are the same as with 1 (the default).
        prior_stroke_mm: ``None`` (default): the segmenter's prior is the neighbour's mask; a width (mm): the mask
            edited by the slice's user seeds (:func:`edit_prior`, foreground strokes drawn that wide); the seeds are
            merged as without it. Use the value the network was trained with.
        intensity_fence: ``None`` (default): no intensity rule; ``k`` (Tukey's fences use 1.5): stop a direction when
            the median (windowed) intensity inside a slice's result lies outside ``[Q1 - k IQR, Q3 + k IQR]`` of the
            intensities inside the mask the direction started from (the annotated slice): the result has moved
            onto tissue of another density (a contrast-filled organ, fat, air) past the organ's end. A leak into
            tissue of the organ's own density, or one smaller than the organ, does not move the median.

    The instance holds only its settings: each call returns its own history (:class:`SliceRecord` per visited
    slice, annotated slices included) in the output's ``meta["propagation_history"]`` (MetaTensor ``(1, X, Y, Z)``
    outputs, as dicts) or, with ``return_history=True``, beside the mask.

    In a MONAI engine or a bundle, the segmenter is the engine's ``network`` and the annotation comes from the
    batch through MONAI's ``PrepareBatchExtraInput`` (batch-first ``(1, 1, X, Y, Z)`` tensors are accepted)::

        evaluator = SupervisedEvaluator(
            device="cpu", val_data_loader=loader, network=GraphCutSegmenter(...), inferer=SlicePropagator(...),
            prepare_batch=PrepareBatchExtraInput({"annotation": "annotation"}),
        )

    In a bundle's ``inference.json``: ``"inferer": {"_target_": "monai_refine.inferers.SlicePropagator", ...}`` and
    ``"prepare_batch": {"_target_": "PrepareBatchExtraInput", "extra_keys": {"annotation": "annotation"}}``.

    Example:
        >>> import numpy as np, torch
        >>> from monai.data import MetaTensor
        >>> from monai_refine.inferers import GraphCutSegmenter
        >>> volume = np.zeros((1, 40, 40, 9), np.float32); volume[0, 10:30, 10:30, 1:8] = 100.0
        >>> annotation = np.zeros_like(volume); annotation[0, 10:30, 10:30, 4] = 1
        >>> propagator = SlicePropagator(margin_mm=4.0, window=(-100, 200))
        >>> mask = propagator(MetaTensor(torch.as_tensor(volume)), GraphCutSegmenter(), annotation=annotation)
        >>> history = mask.meta["propagation_history"]  # slices 0 and 8 hold no object: both directions stop there
        >>> int(mask.sum()), [(r["index"], r["stop_reason"]) for r in history if r["stop_reason"]]
        (2800, [(8, 'shrunk'), (0, 'shrunk')])
    """

    def __init__(
        self,
        margin_mm: float = 5.0,
        erosion_mm: float | None = None,
        window: tuple[float, float] = (-100.0, 200.0),
        min_area_fraction: float = 0.1,
        min_quality: float | None = None,
        fill_holes: bool = True,
        slice_axis: int | None = None,
        progress: bool = False,
        max_growth: float | None = None,
        workers: int = 1,
        prior_stroke_mm: float | None = None,
        intensity_fence: float | None = None,
    ) -> None:
        super().__init__()
        self.window = _check_window(window)
        if not 0 <= min_area_fraction < 1:
            raise ValueError(f"min_area_fraction must be in [0, 1), got {min_area_fraction}.")
        if slice_axis is not None:
            resolve_slice_axis(np.zeros((1, 1, 1, 1)), slice_axis)  # validates
        MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm)  # validates; the seeder is built per call
        self.margin_mm = float(margin_mm)
        self.erosion_mm = erosion_mm
        self.min_area_fraction = float(min_area_fraction)
        self.min_quality = None if min_quality is None else check_probability("min_quality", min_quality)
        if max_growth is not None and not (np.isfinite(max_growth) and max_growth > 1):
            raise ValueError(f"max_growth must be a finite area ratio > 1 or None, got {max_growth}.")
        self.max_growth = None if max_growth is None else float(max_growth)
        self.fill_holes = fill_holes
        self.slice_axis = slice_axis
        self.progress = progress
        self.workers = check_positive_int("workers", workers)
        if prior_stroke_mm is not None and not (np.isfinite(prior_stroke_mm) and prior_stroke_mm >= 0):
            raise ValueError(f"prior_stroke_mm must be a finite width >= 0 (mm) or None, got {prior_stroke_mm}.")
        self.prior_stroke_mm = None if prior_stroke_mm is None else float(prior_stroke_mm)
        if intensity_fence is not None and not (np.isfinite(intensity_fence) and intensity_fence >= 0):
            raise ValueError(f"intensity_fence must be a finite IQR multiple >= 0 or None, got {intensity_fence}.")
        self.intensity_fence = None if intensity_fence is None else float(intensity_fence)

    def __call__(  # type: ignore[override]
        self,
        inputs: NdarrayOrTensor,
        network: Segmenter,
        annotation: NdarrayOrTensor,
        slices: Sequence[int] | None = None,
        seeds: NdarrayOrTensor | None = None,
        return_history: bool = False,
    ) -> NdarrayOrTensor | tuple[NdarrayOrTensor, list[SliceRecord]]:
        """Segment the whole volume.

        Args:
            inputs: the volume, ``(1, X, Y, Z)``, or a batch of one, ``(1, 1, X, Y, Z)``; a MetaTensor's affine gives
                the slice axis and the spacing, and is kept.
            network: the per-slice segmenter (:data:`Segmenter`).
            annotation: binary mask holding the annotated slice(s), the shape of ``inputs`` (``(1, X, Y, Z)`` is
                accepted for a batch too); other slices are ignored. When both it and ``inputs`` are MetaTensors,
                their geometry (spacing, origin, direction) must match.
            slices: indices (along the slice axis) of the annotated slices; default every slice where ``annotation``
                is non-empty.
            seeds: optional user corrections, ``(2, X, Y, Z)`` (or ``(1, 2, X, Y, Z)``) foreground/background seeds,
                applied to their slice by the rule in the class docstring.
            return_history: also return the list of :class:`SliceRecord`.

        Returns:
            the mask, uint8 of the rank of ``inputs``, with its type, device, affine and metadata; with
            ``return_history``, the tuple ``(mask, history)``.
        """
        batched = len(inputs.shape) == 5
        if batched and inputs.shape[0] != 1:
            raise ValueError(f"inputs must be a batch of one volume (1, 1, X, Y, Z), got shape {tuple(inputs.shape)}.")
        volume_in = inputs[0] if batched else inputs
        annotation = _unbatch(annotation, 5)
        seeds = None if seeds is None else _unbatch(seeds, 5)
        volume = as_numpy(volume_in)  # read only: a Fortran-order volume is not transposed into a copy here
        if volume.ndim != 4 or volume.shape[0] != 1:
            raise ValueError(
                f"inputs must be a channel-first 3D volume (1, X, Y, Z) or (1, 1, X, Y, Z), got shape {inputs.shape}."
            )
        check_finite("inputs", volume)
        labels = as_binary_mask("annotation", annotation)
        if labels.shape != volume.shape:
            raise ValueError(f"annotation shape {labels.shape} must match inputs shape {volume.shape}.")
        user = None if seeds is None else as_binary_mask("seeds", seeds, channels=2)
        if user is not None and user.shape[1:] != volume.shape[1:]:
            raise ValueError(f"seeds shape {user.shape} must be (2, *{volume.shape[1:]}) like inputs.")
        if user is not None and (user[0] & user[1]).any():
            where = np.argwhere(user[0] & user[1])[0].tolist()
            raise ValueError(f"seeds mark voxel(s) both foreground and background, e.g. at {where}.")
        for name, other in (("annotation", annotation), ("seeds", seeds)):
            if isinstance(volume_in, MetaTensor) and isinstance(other, MetaTensor):
                check_same_geometry(volume_in, other, names=("inputs", name))
        slice_axis = resolve_slice_axis(volume_in, self.slice_axis)
        axis = slice_axis + 1
        depth = volume.shape[axis]
        present = occupied_slices(labels[0], slice_axis)
        slices = present.tolist() if slices is None else sorted({int(s) for s in slices})
        if not slices:
            raise ValueError("annotation is empty: annotate at least one slice (or pass its index in `slices`).")
        for index in slices:
            if not 0 <= index < depth:
                raise ValueError(f"annotated slice {index} lies outside the volume (0..{depth - 1}).")
            if index not in present:
                raise ValueError(f"annotated slice {index} is empty in `annotation`.")
        spacing = tuple(float(s) for s in np.delete(resolve_spacing(volume_in, None, 3), slice_axis))
        swap, flips = _in_plane_frame(volume_in, slice_axis)
        spacing = spacing[::-1] if swap else spacing

        def canonical(array: np.ndarray, dtype: DtypeLike = None) -> np.ndarray:
            # (..., depth, H, W) slices into the canonical orientation: a new C-contiguous array, converted to
            # `dtype` in the same pass (one copy of the volume, never a view of the caller's array)
            view = np.flip(array.swapaxes(-1, -2) if swap else array, flips)
            out = np.empty(view.shape, dtype=view.dtype if dtype is None else dtype)
            np.copyto(out, view, casting="unsafe")
            return out

        image = canonical(np.moveaxis(volume[0], slice_axis, 0), np.float32)
        window_intensity(image, self.window, out=image)  # one float32 copy of the volume (issue 12.5: peak RSS)
        result = np.zeros(image.shape, dtype=bool)
        user_slices = None if user is None else canonical(np.moveaxis(user, axis, 1))
        annotated = canonical(np.moveaxis(labels[0], slice_axis, 0)[slices])  # only the annotated slices are used
        run = _Run(self, network, image, result, user_slices, spacing)
        tasks = []  # (start, direction, stop): independent runs, each on its own range of slices
        for position, start in enumerate(slices):
            result[start] = annotated[position]
            low = 0 if position == 0 else (slices[position - 1] + start) // 2 + 1
            high = depth - 1 if position == len(slices) - 1 else (start + slices[position + 1]) // 2
            tasks += [(start, 1, high), (start, -1, low)]
        for (start, direction, _), records in zip(tasks, run.propagate_all(tasks)):
            if direction == 1:
                run.history.append(SliceRecord(start, 0, int(result[start].sum()), 0, 0, 0.0))
                run.bar.update(1)
            run.history += records
        run.bar.close()
        result = np.flip(result, flips)
        mask = np.moveaxis(result.swapaxes(-1, -2) if swap else result, 0, slice_axis)[None].astype(np.uint8)
        if batched:
            mask = mask[None]
        fortran = volume.flags.f_contiguous and not volume.flags.c_contiguous
        if fortran and not batched and isinstance(inputs, MetaTensor) and inputs.device.type == "cpu":
            # a Fortran-order input (load_image(contiguous=False)) gets its mask in the same order, without the
            # transposing copy into C order that convert_to_dst_type makes; metadata as convert_to_dst_type copies it
            out = MetaTensor(torch.from_numpy(np.asfortranarray(mask)))
            out.copy_meta_from(inputs)
        else:
            out = convert_to_dst_type(
                mask, inputs, dtype=torch.uint8 if isinstance(inputs, torch.Tensor) else np.uint8
            )[0]
        if isinstance(out, MetaTensor) and not batched:
            # a batch's metadata must decollate per sample, which a list of records does not: use return_history
            out.meta["propagated_from"] = list(slices)
            out.meta[HISTORY_KEY] = [record.to_dict() for record in run.history]
        return (out, run.history) if return_history else out


def _unbatch(array: NdarrayOrTensor, batched_rank: int) -> NdarrayOrTensor:
    """``array[0]`` for a batch of one (rank ``batched_rank``), else ``array`` unchanged."""
    if len(array.shape) == batched_rank and array.shape[0] == 1:
        return array[0]
    return array


class _Run:
    """The state of one :meth:`SlicePropagator.__call__` (kept off the propagator, which holds only settings)."""

    def __init__(self, settings: SlicePropagator, segmenter, image, result, user, spacing) -> None:
        self.settings = settings
        self.segmenter = segmenter
        self.image, self.result, self.user, self.spacing = image, result, user, spacing
        self.seeder = MaskSeeds(margin_mm=settings.margin_mm, erosion_mm=settings.erosion_mm, spacing=spacing)
        self.local = bool(getattr(segmenter, "local", False))
        # the background ring lies within margin_mm of the prior, a user stroke's disc within half prior_stroke_mm of
        # its seeds: this many pixels per axis, plus the seed box's pad
        reach_mm = max(settings.margin_mm, (settings.prior_stroke_mm or 0.0) / 2)
        self.reach = np.array([math.ceil(reach_mm / s) + 2 for s in spacing])
        self.history: list[SliceRecord] = []
        self.bar = tqdm(total=result.shape[0], desc="slices", unit="slice", disable=not settings.progress)

    def _box(self, prior: np.ndarray, index: int) -> tuple[slice, slice]:
        """The part of slice ``index`` a local segmenter needs: the prior, its ring and the user seeds, padded."""
        anchor = prior if self.user is None else prior | self.user[:, index].any(0)
        if not self.local or not anchor.any():
            return slice(None), slice(None)
        return bounding_box(anchor, self.reach)

    def _seeds(self, prior: np.ndarray, user: np.ndarray | None) -> np.ndarray:
        seeds = convert_to_numpy(self.seeder(prior[None])).astype(bool)
        return seeds if user is None else merge_user_seeds(seeds, prior, user, self.spacing)

    def propagate_all(self, tasks: list[tuple[int, int, int]]) -> list[list[SliceRecord]]:
        """Run :meth:`propagate` on each ``(start, direction, stop)`` of ``tasks`` (independent: disjoint slices) and
        return each one's records; in ``settings.workers`` forked processes when the segmenter allows it."""
        workers = min(self.settings.workers, len(tasks))
        if workers < 2 or not self.local or "fork" not in multiprocessing.get_all_start_methods():
            return [self.propagate(*task) for task in tasks]
        global _FORKED_RUN
        _FORKED_RUN = self  # inherited by the forked workers: nothing (volume, segmenter) is pickled to them
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                outcomes = []
                for records, masks in pool.imap(_propagate_in_worker, tasks):
                    for record, mask in zip(records, masks):
                        self.result[record.index] = mask
                    self.bar.update(len(records))
                    outcomes.append(records)
        finally:
            _FORKED_RUN = None
        return outcomes

    def propagate(self, start: int, direction: int, stop: int) -> list[SliceRecord]:
        """Segment slices ``start + direction, …`` up to ``stop`` (inclusive) from their neighbour's result; returns
        the records of the visited slices."""
        settings, result = self.settings, self.result
        records: list[SliceRecord] = []
        fence = None
        if settings.intensity_fence is not None and result[start].any():
            q1, q3 = np.percentile(self.image[start][result[start]], [25, 75])
            k = settings.intensity_fence * (q3 - q1)
            fence = (q1 - k, q3 + k)
        for index in range(start + direction, stop + direction, direction):
            tic = time.perf_counter()
            full_prior = result[index - direction]
            box = self._box(full_prior, index)
            prior = full_prior[box]
            user = None if self.user is None else self.user[(slice(None), index, *box)]
            seeds = self._seeds(prior, user)
            if settings.prior_stroke_mm is not None and user is not None:
                prior = edit_prior(prior, user, self.spacing, settings.prior_stroke_mm)
            output, quality = self.segmenter(self.image[index][box][None], prior[None], seeds, self.spacing), None
            if isinstance(output, tuple):
                output, quality = output[0], float(output[1])
            elif settings.min_quality is not None:
                raise ValueError("min_quality needs a segmenter that returns (mask, quality); this one returns a mask.")
            mask = np.zeros_like(full_prior)
            mask[box] = slice_result(convert_to_numpy(output)[0], seeds[SeedChannel.FOREGROUND], settings.fill_holes)
            area, previous = int(mask.sum()), int(full_prior.sum())
            # a user foreground seed inside the result vouches for the slice: no shrink, quality, growth, intensity stop
            vouched = self.user is not None and bool((self.user[SeedChannel.FOREGROUND, index][box] & mask[box]).any())
            reason = None
            if area == 0:
                reason = StopReason.VANISHED
            elif not vouched and area < settings.min_area_fraction * previous:
                reason, mask, area = StopReason.SHRUNK, np.zeros_like(mask), 0
            elif not vouched and settings.min_quality is not None and quality < settings.min_quality:
                reason, mask, area = StopReason.QUALITY_DROP, np.zeros_like(mask), 0
            elif not vouched and settings.max_growth is not None and area > settings.max_growth * previous:
                reason, mask, area = StopReason.GREW, np.zeros_like(mask), 0
            elif (
                not vouched
                and fence is not None
                and not fence[0] <= np.median(self.image[index][box][mask[box]]) <= fence[1]
            ):
                reason, mask, area = StopReason.INTENSITY, np.zeros_like(mask), 0
            elif index in (0, len(result) - 1):
                reason = StopReason.VOLUME_END
            result[index] = mask
            ms = (time.perf_counter() - tic) * 1e3
            n_fg, n_bg = (int(s.sum()) for s in seeds)
            stop_reason = None if reason is None else str(reason)
            records.append(SliceRecord(index, direction, area, n_fg, n_bg, ms, stop_reason, quality))
            self.bar.update(1)
            if reason is not None and reason != StopReason.VOLUME_END:
                break
        return records


#: the run that :meth:`_Run.propagate_all` hands to its forked workers
_FORKED_RUN: _Run | None = None


def _propagate_in_worker(task: tuple[int, int, int]) -> tuple[list[SliceRecord], np.ndarray]:
    """In a forked worker: propagate one ``task`` of the inherited run; its records and the masks of their slices."""
    run = _FORKED_RUN
    run.bar = tqdm(disable=True)  # the parent's bar counts the slices when the result comes back
    records = run.propagate(*task)
    return records, run.result[[record.index for record in records]]


def merge_user_seeds(seeds: np.ndarray, prior: np.ndarray, user: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Seeds ``(2, H, W)`` bool for one slice: the propagated ``seeds`` overridden by the ``user``'s, as
    :class:`SlicePropagator` merges them (and :class:`~monai_refine.data.PropagationSliceDataset` for its simulated
    corrections): a user seed replaces a propagated seed of the other class on its pixel, and a user background seed
    also cancels the propagated foreground seeds of the part of ``prior`` it rejects (:func:`rejected_by_clicks`).

    Args:
        seeds: ``(2, H, W)`` binary foreground/background seeds propagated from ``prior`` (:class:`MaskSeeds`).
        prior: ``(H, W)`` binary, the neighbouring slice's mask.
        user: ``(2, H, W)`` binary, the user's foreground/background seeds on this slice.
        spacing: the slice's in-plane spacing (mm), one value per axis.

    Raises:
        ValueError: naming the argument, when ``prior`` is not ``(H, W)``, ``seeds`` or ``user`` not ``(2, H, W)``
            of its size, or one of them not binary ({0, 1} or bool; NaN included), or ``spacing`` not two finite
            positive values.

    Example:
        >>> prior = np.zeros((9, 9), bool); prior[2:7, 2:7] = True
        >>> seeds = np.zeros((2, 9, 9), bool); seeds[0, 4, 2:7] = True; seeds[1, 0, :] = True
        >>> user = np.zeros((2, 9, 9), bool); user[0, 0, 4] = True; user[1, 4, 6] = True  # a click on each class
        >>> merged = merge_user_seeds(seeds, prior, user, (1.0, 1.0))  # the edge click rejects its disc of radius 2
        >>> bool(merged[0, 0, 4]), bool(merged[1, 0, 4]), int(merged[0, 4].sum()), bool(merged[1, 4, 6])
        (True, False, 2, True)
    """
    check_in_plane_spacing(spacing)  # refused even when no background click needs it
    prior, user = _slice_prior_and_user(prior, user)
    seeds = np.array(_slice_binary("seeds", seeds, (2, *prior.shape)))
    fg, bg = SeedChannel.FOREGROUND, SeedChannel.BACKGROUND
    if user[bg].any():
        seeds[fg] &= ~rejected_by_clicks(prior, user[bg], spacing)
    seeds[fg] = (seeds[fg] & ~user[bg]) | user[fg]
    seeds[bg] = (seeds[bg] & ~user[fg]) | user[bg]
    return seeds


def edit_prior(prior: np.ndarray, user: np.ndarray, spacing: Sequence[float], width_mm: float = 0.0) -> np.ndarray:
    """The neighbour's mask ``(H, W)`` bool as the user's seeds on this slice correct it: without the part their
    background seeds reject (:func:`rejected_by_clicks`) and those seeds' pixels, with their foreground seeds added as
    strokes ``width_mm`` wide (0: the seed pixels alone).

    What :class:`SlicePropagator` (``prior_stroke_mm``) hands the segmenter as prior, and
    :class:`~monai_refine.data.PropagationSliceDataset` (``prior_stroke_mm``) the network in training: a foreground
    stroke across a missed lobe becomes part of the prior, which the network has learned to fit to the image's
    edges. (A network's prior is resampled by nearest neighbour onto its grid: a stroke narrower than the grid's
    spacing can fall between its points, hence the width.)

    Args:
        prior: ``(H, W)`` binary, the neighbouring slice's mask.
        user: ``(2, H, W)`` binary, the user's foreground/background seeds on this slice.
        spacing: the slice's in-plane spacing (mm), one value per axis.
        width_mm: width of the strokes drawn for the foreground seeds (a disc of half this radius around each), >= 0.

    Raises:
        ValueError: naming the argument, when ``prior`` is not ``(H, W)``, ``user`` not ``(2, H, W)`` of its size,
            either not binary ({0, 1} or bool; NaN included), or ``width_mm`` is negative or not finite.

    Example:
        >>> prior = np.zeros((9, 9), bool); prior[2:7, 2:7] = True
        >>> user = np.zeros((2, 9, 9), bool); user[0, 4, 7:9] = True; user[1, 2, 2] = True  # a stroke out, a click in
        >>> edited = edit_prior(prior, user, (1.0, 1.0))  # the corner click rejects its disc of radius 2: 6 pixels
        >>> int(prior.sum()), int(edited.sum()), bool(edited[4, 8]), bool(edited[2, 2])
        (25, 21, True, False)
        >>> int(edit_prior(prior, user, (1.0, 1.0), width_mm=2.0).sum())  # the stroke 3 pixels wide
        25
    """
    if not np.isfinite(width_mm) or width_mm < 0:
        raise ValueError(f"width_mm must be finite and >= 0, got {width_mm}.")
    prior, user = _slice_prior_and_user(prior, user)
    fg, bg = SeedChannel.FOREGROUND, SeedChannel.BACKGROUND
    strokes = user[fg]
    if width_mm > 0 and strokes.any():
        strokes = ndimage.distance_transform_edt(~strokes, sampling=spacing) <= width_mm / 2
    return (prior & ~rejected_by_clicks(prior, user[bg], spacing) & ~user[bg]) | strokes


def rejected_by_clicks(prior: np.ndarray, clicks: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """The part of a neighbour's mask that user background clicks reject: ``(H, W)`` bool.

    A click on a component of ``prior`` other than its largest rejects that whole component (an island the user
    says is not the object). A click on the largest component (often the organ with a leak grown out of it) rejects
    only the disc around the click of radius twice the click's distance to the mask's edge: the lobe the click
    sits in, not the organ it grew from. Clicks outside ``prior`` reject nothing. Components are face-connected (4
    neighbours, as in :func:`slice_result`): an island touching the mask only at a corner is an island.

    Args:
        prior: ``(H, W)`` binary, the neighbouring slice's mask.
        clicks: ``(H, W)`` binary, the user's background seeds on this slice.
        spacing: the slice's in-plane spacing (mm), one value per axis.

    Raises:
        ValueError: naming the argument, when ``prior`` is not ``(H, W)``, ``clicks`` not of its shape, either not
            binary ({0, 1} or bool; NaN included), or ``spacing`` not two finite positive values.

    Example:
        >>> prior = np.zeros((20, 30), bool); prior[2:18, 2:18] = True; prior[8:12, 18:28] = True  # organ + leak
        >>> prior[0:2, 26:30] = True  # and an island
        >>> clicks = np.zeros_like(prior); clicks[10, 25] = True; clicks[0, 28] = True
        >>> rejected = rejected_by_clicks(prior, clicks, (1.0, 1.0))
        >>> bool(rejected[0:2, 26:30].all()), bool(rejected[10, 21:28].all()), bool(rejected[2:18, 2:18].any())
        (True, True, False)
    """
    prior = _slice_binary("prior", prior)
    clicks = _slice_binary("clicks", clicks, prior.shape) & prior
    spacing = check_in_plane_spacing(spacing)
    rejected = np.zeros(prior.shape, dtype=bool)
    if not clicks.any():
        return rejected
    components = ndimage.label(prior)[0]
    largest = int(np.bincount(components.ravel())[1:].argmax()) + 1
    islands = np.setdiff1d(np.unique(components[clicks]), [largest])
    rejected |= np.isin(components, islands) & (components > 0)
    inside = np.argwhere(clicks & (components == largest))
    if inside.size:  # one disc per click on the main component (a loop over clicks, each on its disc's box only)
        depth = ndimage.distance_transform_edt(prior, sampling=spacing)
        for point in inside:
            radius = 2 * depth[tuple(point)]
            reach = np.floor(radius / spacing).astype(int)
            low, high = np.maximum(point - reach, 0), np.minimum(point + reach + 1, prior.shape)
            offsets = np.ogrid[tuple(slice(a - p, b - p) for a, b, p in zip(low, high, point))]
            distance = sum((o * s) ** 2 for o, s in zip(offsets, spacing))
            rejected[tuple(slice(a, b) for a, b in zip(low, high))] |= distance <= radius**2
    return rejected & prior


def slice_result(probability: np.ndarray, foreground: np.ndarray, fill_holes: bool = True) -> np.ndarray:
    """A segmenter's output on one slice as :class:`SlicePropagator` keeps it: thresholded at 0.5, holes filled
    (optional), and only the connected components that hold a foreground seed. Components are face-connected (4
    neighbours, ``scipy.ndimage.label``'s default): a region that touches a seeded one only at a corner is dropped.

    Args:
        probability: ``(H, W)`` foreground probability (or a binary mask).
        foreground: ``(H, W)`` binary foreground seeds.
        fill_holes: fill the holes of the thresholded mask first.

    Returns:
        the kept mask, ``(H, W)`` bool.

    Raises:
        ValueError: when ``probability`` is not ``(H, W)``, holds NaN or Inf or values outside [0, 1] (logits), or
            ``foreground`` differs from it in shape.

    Example:
        >>> p = np.zeros((6, 6)); p[0:2, 0:2] = 0.9; p[3:6, 3:6] = 0.8; p[4, 4] = 0.1
        >>> fg = np.zeros((6, 6), bool); fg[3, 3] = True
        >>> int(slice_result(p, fg).sum()), int(slice_result(p, fg, fill_holes=False).sum())
        (9, 8)
    """
    probability = as_numpy(probability)
    if probability.ndim != 2:
        raise ValueError(f"probability must be one slice (H, W), got shape {probability.shape}.")
    if np.shape(foreground) != probability.shape:
        shape = np.shape(foreground)
        raise ValueError(f"foreground must have the shape of probability {probability.shape}, got {shape}.")
    check_finite("probability", probability)
    if probability.size and (probability.min() < 0 or probability.max() > 1):
        raise ValueError(
            f"probability must hold values in [0, 1] (not logits), got [{probability.min():g}, {probability.max():g}]."
        )
    mask = probability >= 0.5
    if fill_holes:
        mask = ndimage.binary_fill_holes(mask)
    components = ndimage.label(mask)[0]
    keep = np.zeros(components.max() + 1, dtype=bool)
    keep[components[np.asarray(foreground, dtype=bool) & mask]] = True
    keep[0] = False
    return keep[components]


def _check_window(window: Sequence[float]) -> tuple[float, float]:
    """``window`` as a float ``(low, high)`` pair, raising ``ValueError`` unless both are finite and low < high."""
    if len(window) != 2 or not np.all(np.isfinite(window)) or window[1] <= window[0]:
        raise ValueError(f"window must be (low, high) with low < high, got {window}.")
    return float(window[0]), float(window[1])


def _check_volume_rank(name: str, volume: NdarrayOrTensor) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``volume`` is a channel-first 3D volume ``(C, X, Y, Z)``."""
    if len(volume.shape) != 4:
        raise ValueError(f"{name} must be a channel-first 3D volume (C, X, Y, Z), got shape {tuple(volume.shape)}.")


def _slice_binary(name: str, array: NdarrayOrTensor, shape: Sequence[int] | None = None) -> np.ndarray:
    """A binary spatial slice ``(H, W)`` (or ``(C, H, W)`` of ``shape``) as a bool array, refusing another shape, NaN
    or a value other than 0 and 1 with a ``ValueError`` naming ``name``."""
    array = as_numpy(array)
    expected = "(H, W)" if shape is None else str(tuple(shape))
    if (shape is None and array.ndim != 2) or (shape is not None and array.shape != tuple(shape)):
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}.")
    return as_binary_mask(name, array if array.ndim == 3 else array[None], channels=None).reshape(array.shape)


def _slice_prior_and_user(prior: NdarrayOrTensor, user: NdarrayOrTensor) -> tuple[np.ndarray, np.ndarray]:
    """``prior`` ``(H, W)`` and ``user`` seeds ``(2, H, W)`` as bool arrays, checked by :func:`_slice_binary`."""
    prior = _slice_binary("prior", prior)
    return prior, _slice_binary("user", user, (2, *prior.shape))


def window_intensity(volume: np.ndarray, window: Sequence[float], out: np.ndarray | None = None) -> np.ndarray:
    """Map intensities linearly from ``window = (low, high)`` to [0, 1], clipping outside (as SlicePropagator does).

    Args:
        volume: intensities of any shape.
        window: ``(low, high)``, finite, low < high.
        out: a float32 array of ``volume``'s shape to write into (may be ``volume`` itself, windowed in place, with no
            full-size temporaries); default a new float32 array.

    Raises:
        ValueError: when ``window`` is not finite with low < high, or ``volume`` holds NaN (+-Inf clip to 1 and 0).

    Example:
        >>> window_intensity(np.array([-200.0, -100.0, 50.0, 500.0]), (-100, 200)).tolist()
        [0.0, 0.0, 0.5, 1.0]
    """
    low, high = _check_window(window)
    if out is None:
        out = np.array(volume, dtype=np.float32)
    elif out is not volume:
        out[...] = volume
    out -= low
    out /= high - low
    np.clip(out, 0, 1, out=out)
    # clipped to [0, 1], the sum is NaN only for a NaN voxel: one pass and no full-size temporary (+-Inf clip to 1/0)
    if np.isnan(out.sum(dtype=np.float64)):
        raise ValueError("volume contains NaN values; clean the input before windowing.")
    return out


def occupied_slices(mask: np.ndarray, axis: int) -> np.ndarray:
    """Sorted indices along spatial ``axis`` of the slices where a spatial (no channel) ``mask`` is non-zero.

    Args:
        mask: spatial (no channel) mask.
        axis: one of its axes, in ``[-mask.ndim, mask.ndim - 1]`` (negative counts from the last).

    Raises:
        ValueError: when ``axis`` is not an axis of ``mask`` (or is a bool).

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((4, 4, 9), bool); mask[1:3, 1:3, 2:5] = True
        >>> occupied_slices(mask, 2).tolist(), occupied_slices(mask, 0).tolist()
        ([2, 3, 4], [1, 2])
    """
    ndim = np.ndim(mask)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an axis of the {ndim}D mask, in [{-ndim}, {ndim - 1}], got {axis!r}.")
    axis = int(axis) % ndim
    return np.flatnonzero(mask.any(axis=tuple(a for a in range(ndim) if a != axis)))


def middle_slice(mask: NdarrayOrTensor, slice_axis: int | None = None) -> int:
    """Index (along the slice axis) of the middle one of the slices where the ``(1, X, Y, Z)`` ``mask`` is non-empty.

    Args:
        mask: binary ``(1, X, Y, Z)``.
        slice_axis: spatial axis of the slices; ``None``: from a MetaTensor's affine, else the last
            (:func:`resolve_slice_axis`).

    Raises:
        ValueError: when ``mask`` is not a binary ``(1, X, Y, Z)`` volume or is empty.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 4, 4, 9)); mask[0, 1:3, 1:3, 2:7] = 1
        >>> middle_slice(mask), middle_slice(mask, slice_axis=0)
        (4, 2)
    """
    _check_volume_rank("mask", mask)
    axis = resolve_slice_axis(mask, slice_axis)
    present = occupied_slices(as_binary_mask("mask", mask)[0], axis)
    if present.size == 0:
        raise ValueError("the reference mask is empty: no slice to start from.")
    return int(present[present.size // 2])


def annotate_slices(mask: NdarrayOrTensor, slices: Sequence[int], slice_axis: int | None = None) -> NdarrayOrTensor:
    """An annotation for :class:`SlicePropagator`: ``mask`` on the given ``slices``, zero elsewhere.

    Args:
        mask: ``(1, X, Y, Z)``; a MetaTensor keeps its metadata.
        slices: slice indices along the slice axis.
        slice_axis: spatial axis of the slices; ``None``: from a MetaTensor's affine, else the last
            (:func:`resolve_slice_axis`).

    Returns:
        the annotation, of the type, dtype and shape of ``mask`` (a MetaTensor keeps its metadata).

    Raises:
        ValueError: when ``mask`` is not a channel-first 3D volume or a slice index lies outside ``0..depth - 1``.

    Example:
        >>> import numpy as np
        >>> annotate_slices(np.ones((1, 2, 2, 3)), [1]).sum(axis=(0, 1, 2)).tolist()
        [0.0, 4.0, 0.0]
        >>> annotate_slices(np.ones((1, 2, 2, 3)), [1], slice_axis=0).sum(axis=(0, 2, 3)).tolist()
        [0.0, 6.0]
    """
    _check_volume_rank("mask", mask)
    axis = resolve_slice_axis(mask, slice_axis) + 1
    depth = mask.shape[axis]
    outside = [s for s in slices if isinstance(s, bool) or not 0 <= s < depth]
    if outside:
        raise ValueError(f"slices {outside} lie outside the volume: indices along the slice axis are 0..{depth - 1}.")
    index = (slice(None),) * axis + (list(slices),)
    # zeros of the mask's own type and dtype (``mask * 0`` turns a bool mask into int64, and fails for a bool tensor)
    annotation = torch.zeros_like(mask) if isinstance(mask, torch.Tensor) else np.zeros_like(mask)
    annotation[index] = mask[index]
    return annotation
