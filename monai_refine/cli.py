"""``monai-refine`` command line: slice-by-slice propagation, the offline demo, evaluation and datalist building.

Examples::

    monai-refine demo                                   # the shipped IRCAD slab, graph cut, Dice at the end
    monai-refine demo --data ../shared/data/ircad/patient17 --method random-walker
    monai-refine propagate --ircad PATIENT_DIR --slice 57 -o outputs/p17_liver.nii.gz
    monai-refine propagate --image ct.nii.gz --annotation slice_mask.nii.gz -o outputs/liver.nii.gz
    monai-refine propagate --ircad PATIENT_DIR --slice 57 --clicks corrections.json   # user corrections
    monai-refine propagate --ircad PATIENT_DIR --resume outputs/p17_liver.nii.gz --clicks fix.json -o outputs/v2.nii.gz
    monai-refine propagate --ircad PATIENT_DIR --slice 57 --dicom-seg outputs/liver_seg.dcm   # for a DICOM viewer
    monai-refine evaluate outputs/liver.nii.gz reference.nii.gz -o scores.csv --plot dice.png
    monai-refine datalist images/ masks/ --mask-suffix _segmentation -o datalist.json

Every command checks its arguments and paths first (inputs exist, no output replaces an input or, without
--overwrite, an existing file, output folders are writable, --slice lies inside the volume, DICOM series have no
missing or duplicated slice) and stops with a one-line message and exit code 2 before loading anything. Outputs are
written to temporary files and renamed together at the end: a refused or interrupted run leaves none behind.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Only the standard library at module level: `monai-refine --help` and the argument checks must not pay for torch,
# monai, ITK or matplotlib. The heavy imports happen inside the commands, after the checks.

logger = logging.getLogger("monai_refine")

#: The verbatim 24-slice slab of IRCAD patient 17, package data (CC BY-NC-ND 3.0: see the LICENSE file beside it).
DEMO_SLAB = Path(__file__).resolve().parent / "data" / "sample" / "ircad_patient17_slab"

#: ``--method`` choices: name -> help. Each name but "network" (a bundle) is a preset of ``propagation_preset``; add a
#: method there and here (``tests/test_cli.py`` checks the two lists agree).
METHODS = {
    "graph-cut": "graph cut on intensity + shape prior (PyMaxflow)",
    "random-walker": "random walker (scikit-image)",
    "copy-previous": "copy the neighbour's mask (baseline)",
    "network": "a slice-propagation bundle's network (--bundle; default the liver RefineNet bundle)",
}
#: the bundle ``--method network`` loads by default (a source checkout's ``bundles/``)
DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "liver_ct_slice_propagation"

NIFTI_SUFFIXES = (".nii.gz", ".nii")


class CommandError(ValueError):
    """A refused command line: printed as one line, exit code 2."""


@dataclass
class Plan:
    """What a propagation run reads and writes, decided and checked before anything is loaded."""

    name: str
    image: Path
    annotation: Path | None = None  # a mask file/folder holding the annotated slice(s)
    reference: Path | None = None
    from_reference: bool = False  # IRCAD: the annotation is the reference mask on --slice
    series_uid: str | None = None
    slices: list[int] | None = None
    clicks: dict | None = None
    inputs: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    dicom_series: list[str] | None = None  # the source files, for --dicom-seg
    previous: Path | None = None  # --resume: the earlier result to correct
    previous_history: Path | None = None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (*NIFTI_SUFFIXES, ".dcm", ".json", ".csv", ".png"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _require(path: str | os.PathLike, what: str, *, folder: bool | None = None) -> Path:
    """``path`` as a Path, checked to exist (a folder or a file when ``folder`` says so) and to be readable."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist; check the path.")
    if folder is True and not path.is_dir():
        raise CommandError(f"{what} {path} is not a folder.")
    if folder is False and path.is_dir():
        raise CommandError(f"{what} {path} is a folder; give a file.")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise PermissionError(f"{what} {path} is not readable.")
    return path


def _read_clicks(path: Path) -> dict:
    """Parse and check the clicks file: ``{"foreground": [[x, y, z], ...], "background": [...]}`` (voxel indices)."""
    try:
        clicks = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CommandError(f"cannot read clicks file {path}: {err}") from None
    unknown = set(clicks) - {"foreground", "background"} if isinstance(clicks, dict) else {"<not an object>"}
    if unknown:
        raise CommandError(f"clicks file {path} may hold only 'foreground' and 'background' lists: {sorted(unknown)}.")
    for key, points in clicks.items():
        ok = isinstance(points, list) and all(
            isinstance(p, list) and len(p) == 3 and all(isinstance(c, int) and not isinstance(c, bool) for c in p)
            for p in points
        )
        if not ok:
            raise CommandError(f"clicks file {path}: '{key}' must be a list of [x, y, z] integer voxel indices.")
    return clicks


def _slice_axis(direction) -> int:
    """The array axis closest to superior-inferior, as ``monai_refine.utils.slice_axis_from_affine`` (no torch)."""
    share = [round(abs(float(direction[2][j])), 9) for j in range(3)]
    return share.index(max(share))


def _volume_header(path: Path, what: str, series_uid: str | None, allow_gaps: bool) -> tuple[tuple[int, ...], int]:
    """``(spatial size, slice axis)`` from headers only (DICOM: pydicom; files: SimpleITK), checking DICOM gaps."""
    from monai_refine.data.dicom import image_size, scan_dicom_series

    try:
        if path.is_dir():
            series = scan_dicom_series(path, series_uid, allow_gaps=allow_gaps)
            return (series.columns, series.rows, series.depth), _slice_axis(series.direction)
        import SimpleITK as sitk

        size = tuple(int(s) for s in image_size(path))
        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        reader.ReadImageInformation()
        rank = len(size)
        direction = [reader.GetDirection()[rank * r : rank * (r + 1)] for r in range(rank)]
        return size, _slice_axis(direction) if rank == 3 else rank - 1
    except ValueError as err:
        raise CommandError(f"{what}: {err}") from None


def _check_clicks_inside(clicks: dict, size: Sequence[int], path: Path) -> None:
    for key, points in clicks.items():
        outside = [p for p in points if len(p) != len(size) or any(not 0 <= c < s for c, s in zip(p, size))]
        if outside:
            raise CommandError(f"clicks file {path}: {key} points {outside} lie outside the image (size {list(size)}).")


def _plan_outputs(args: argparse.Namespace, plan: Plan, method: str) -> None:
    """Fill ``plan.outputs`` (mask, history, overlay, DICOM SEG) and check them against inputs and existing files."""
    from monai_refine.data.paths import check_outputs

    if args.output:
        mask = Path(args.output)
        if not mask.name.endswith(NIFTI_SUFFIXES):
            raise CommandError(f"-o/--output {mask} must end with .nii.gz or .nii (a NIfTI mask).")
    else:
        mask = Path(args.output_dir) / f"{plan.name}_{method}.nii.gz"
    stem = _stem(mask)
    plan.outputs = {"mask": mask, "history": mask.with_name(f"{stem}_history.json")}
    if not args.no_overlay:
        plan.outputs["overlay"] = mask.with_name(f"{stem}_overlay.png")
    if args.dicom_seg:
        seg = Path(args.dicom_seg)
        if not seg.name.endswith(".dcm"):
            raise CommandError(f"--dicom-seg {seg} must end with .dcm.")
        if plan.dicom_series is None:
            raise CommandError("--dicom-seg needs a DICOM source series (--ircad, or --image with a DICOM folder).")
        plan.outputs["DICOM SEG"] = seg
    check_outputs(plan.outputs, plan.inputs, overwrite=args.overwrite)


def plan_propagation(args: argparse.Namespace, demo_data: Path | None = None) -> Plan:
    """Check every argument and path of ``demo``/``propagate`` without loading pixels; raise a one-line error."""
    from monai_refine.data.ircad import ircad_folders

    if args.margin_mm is not None and not args.margin_mm > 0:
        raise CommandError(f"--margin-mm must be a positive distance in mm, got {args.margin_mm}.")
    if args.workers < 1:
        raise CommandError(f"--workers must be at least 1, got {args.workers}.")
    if not args.window[0] < args.window[1]:
        raise CommandError(f"--window LOW HIGH needs LOW < HIGH, got {args.window}.")
    if args.slice and any(s < 0 for s in args.slice):
        raise CommandError(f"--slice must be a slice index >= 0, got {args.slice}.")
    ircad = demo_data if demo_data is not None else (Path(args.ircad) if getattr(args, "ircad", None) else None)
    if ircad is not None:
        if demo_data is None and (args.image or args.annotation or args.reference):
            raise CommandError("give either --ircad PATIENT_DIR, or --image and --annotation, not both.")
        if demo_data is None and not args.slice and not args.resume:
            raise CommandError("--slice is required with --ircad: the index of the slice whose mask starts it.")
        image_dir, mask_dir = ircad_folders(_require(ircad, "IRCAD patient folder", folder=True), args.organ)
        plan = Plan(f"{ircad.resolve().name}_{args.organ}", image_dir, reference=mask_dir, from_reference=True)
        plan.inputs = {"CT series": image_dir, "reference mask": mask_dir}
    else:
        if not (args.image and (args.annotation or args.resume)):
            raise CommandError("give either --ircad PATIENT_DIR, or both --image and --annotation.")
        image = _require(args.image, "--image path")
        annotation = _require(args.annotation, "annotation path") if args.annotation else None
        reference = _require(args.reference, "--reference path") if args.reference else None
        plan = Plan(_stem(image), image, annotation=annotation, reference=reference, series_uid=args.series_uid)
        plan.inputs = {"image": image}
        if annotation is not None:
            plan.inputs["annotation"] = annotation
        if reference is not None:
            plan.inputs["reference"] = reference
    plan.slices = args.slice
    if args.resume:
        if not args.clicks:
            raise CommandError("--resume needs --clicks: the corrections to apply to the previous result.")
        if args.allow_gaps:
            raise CommandError("--resume does not combine with --allow-gaps.")
        plan.previous = _require(args.resume, "--resume path", folder=False)
        plan.inputs["previous mask"] = plan.previous
        history = plan.previous.with_name(f"{_stem(plan.previous)}_history.json")
        if not history.is_file():
            raise CommandError(f"--resume needs the history {history} written beside the previous mask.")
        plan.previous_history = plan.inputs["previous history"] = history
    if args.clicks:
        clicks_path = _require(args.clicks, "clicks file", folder=False)
        plan.inputs["clicks file"] = clicks_path
        plan.clicks = _read_clicks(clicks_path)
    if plan.image.is_dir() and args.dicom_seg:
        plan.dicom_series = []  # filled by the header scan below
    _plan_outputs(args, plan, args.method)

    # headers only: sizes, slice axis, DICOM gaps; then --slice and the clicks against the volume
    size, axis = _volume_header(
        plan.image, "image series" if plan.image.is_dir() else "--image", plan.series_uid, args.allow_gaps
    )
    for what, path in (
        ("annotation", plan.annotation),
        ("reference mask", plan.reference),
        ("--resume", plan.previous),
    ):
        if path is not None:
            other, _ = _volume_header(path, f"{what} {path}", None, args.allow_gaps)
            if tuple(other) != tuple(size):
                raise CommandError(f"{what} {path} has size {list(other)} but the image {plan.image} has {list(size)}.")
    for index in plan.slices or ():
        if index >= size[axis]:
            raise CommandError(
                f"--slice {index} lies outside the volume: it has {size[axis]} slices (0..{size[axis] - 1})."
            )
    if plan.clicks:
        _check_clicks_inside(plan.clicks, size, Path(args.clicks))
    if plan.dicom_series is not None:
        from monai_refine.data.dicom import scan_dicom_series

        plan.dicom_series = scan_dicom_series(plan.image, plan.series_uid, allow_gaps=args.allow_gaps).files
    return plan


#: SlicePropagator arguments the command line sets (``--window``, ``-q``, the slice axis, ``--workers``), whatever the
#: method: every other one comes from the preset or the bundle
_CLI_PROPAGATOR_SETTINGS = ("window", "progress", "slice_axis", "workers")


def _propagation_method(method: str, bundle: str | None = None, device: str = "cpu"):
    """The preset segmenter (or a bundle's network segmenter) and its SlicePropagator arguments."""
    if method == "network":
        from monai_refine.data import load_propagation_bundle
        from monai_refine.inferers import SlicePropagator

        segmenter, propagator = load_propagation_bundle(bundle or DEFAULT_BUNDLE, overrides={"device": device})
        # every setting of the bundle's propagator, but those the command line sets itself (_CLI_PROPAGATOR_SETTINGS)
        names = [n for n in inspect.signature(SlicePropagator).parameters if n not in _CLI_PROPAGATOR_SETTINGS]
        return segmenter, {name: getattr(propagator, name) for name in names}
    from monai_refine.inferers import propagation_preset

    return propagation_preset(method)


def _save_overlay(image, mask, reference, path: Path, slices, axis: int) -> None:
    """PNG of a few slices (across spatial ``axis``) with the result's outline in green (and the reference's in red).

    Drawn with PIL on the pixel grid (one panel per slice, 1 CT pixel = 1 PNG pixel, outlines one pixel wide),
    not matplotlib: its contouring and figure layout cost ~0.4 s of every CLI run (issue 12.5).
    """
    import numpy as np
    from PIL import Image, ImageDraw
    from scipy import ndimage

    def cut(volume, z):  # a view (np.take would copy a non-contiguous volume whole, for every slice)
        return np.asarray(volume[0])[(slice(None),) * axis + (z,)].T

    def outline(volume, z):
        inside = cut(volume, z) != 0
        return inside & ~ndimage.binary_erosion(inside, border_value=1)

    title, panels = 16, []
    for z in slices:
        grey = ((np.clip(cut(image, z).astype(np.float32), -150, 250) + 150) * (255 / 400)).astype(np.uint8)
        rgb = np.repeat(grey[..., None], 3, axis=-1)
        if reference is not None:
            rgb[outline(reference, z)] = (255, 0, 0)
        rgb[outline(mask, z)] = (0, 255, 0)
        panel = Image.new("RGB", (rgb.shape[1], rgb.shape[0] + title))
        panel.paste(Image.fromarray(rgb), (0, title))
        ImageDraw.Draw(panel).text((4, 2), f"slice {z}", fill=(255, 255, 255))
        panels.append(panel)
    sheet = Image.new("RGB", (sum(p.width for p in panels), max(p.height for p in panels) + title))
    for k, panel in enumerate(panels):
        sheet.paste(panel, (sum(p.width for p in panels[:k]), title))
    caption = "green: propagated" + (", red: reference" if reference is not None else "")
    ImageDraw.Draw(sheet).text((4, 2), caption, fill=(255, 255, 255))
    sheet.save(path, format="png", compress_level=1)  # half the default level's time on CT panels, and no larger


def _union_box(a, b):
    """``a`` and ``b`` as bool arrays cropped to the bounding box of their union (Dice, SEN, PPV are unchanged)."""
    import numpy as np

    a, b = np.asarray(a) != 0, np.asarray(b) != 0
    union = a[0] | b[0]
    if not union.any():
        return a, b
    box = tuple(
        slice(int(idx[0]), int(idx[-1]) + 1)
        for idx in (
            np.flatnonzero(union.any(axis=tuple(k for k in range(union.ndim) if k != d))) for d in range(union.ndim)
        )
    )
    return a[(slice(None), *box)], b[(slice(None), *box)]


def resume_propagation(image, previous, origin: dict, seeds, axis: int, propagator, segmenter) -> tuple:
    """Correct ``previous`` with the user's ``seeds``: re-segment the clicked slices, then propagate away from the
    annotated slice only while the result keeps changing.

    A clicked slice is re-segmented from the neighbour it was first propagated from (``origin``, read from the
    previous run's history), now with the user's seeds; then the next slices in the same direction, each from its
    new neighbour, until one comes out equal to its previous result: everything beyond it was computed from the same
    prior and stays bit-identical. A clicked annotated slice is re-segmented from its own mask, and both directions
    follow. Each step is ``propagator`` on a two-slice volume (prior slice, slice to segment), so seeding, user
    seeds, the segmenter and the stop rules are exactly those of a full run.

    Args:
        image: ``(1, X, Y, Z)`` MetaTensor.
        previous: ``(1, X, Y, Z)`` earlier result, same geometry.
        origin: ``{slice: direction}`` of the earlier run (``+1``: reached from ``slice - 1``; ``0``: annotated).
        seeds: ``(2, X, Y, Z)`` bool user seeds (foreground, background).
        axis: the slice axis (0..2).

    Returns:
        ``(mask, history)``: the corrected ``(1, X, Y, Z)`` uint8 mask and one record per re-segmented slice, with
        ``changed`` (whether it differs from ``previous``).
    """
    import numpy as np
    import torch
    from monai.data import MetaTensor

    volume = np.moveaxis(np.asarray(image[0]), axis, -1)
    before = np.moveaxis(np.asarray(previous[0]) != 0, axis, -1)
    user = np.moveaxis(np.asarray(seeds), axis + 1, -1)
    result, depth = before.copy(), before.shape[-1]
    empty = np.zeros(before.shape[:2], dtype=bool)

    def pair(*planes):  # two slices stacked back on the slice axis, as a (1, X, Y, Z)-like MetaTensor
        return MetaTensor(torch.from_numpy(np.moveaxis(np.stack(planes, axis=-1), -1, axis)[None]), affine=image.affine)

    def segment(source: int, z: int, direction: int) -> dict:
        prior = result[..., source]
        if not prior.any():
            result[..., z] = False
            record = {"index": z, "direction": direction, "area": 0, "ms": 0.0, "stop_reason": "vanished"}
        else:
            seed_pair = np.stack([np.stack([empty, empty]), user[..., z]], axis=-1)  # (2, X, Y, 2)
            out, records = propagator(
                pair(volume[..., source], volume[..., z]),
                segmenter,
                annotation=pair(prior, empty),
                slices=[0],
                seeds=torch.from_numpy(np.moveaxis(seed_pair, -1, axis + 1)),
                return_history=True,
            )
            result[..., z] = np.moveaxis(np.asarray(out[0]) != 0, axis, -1)[..., 1]
            record = {**records[-1].to_dict(), "index": z, "direction": direction}
            if record["stop_reason"] == "volume_end" and 0 < z < depth - 1:
                record["stop_reason"] = None  # the end of the two-slice volume, not of this one
        record["changed"] = bool((result[..., z] != before[..., z]).any())
        return record

    history = []
    clicked = np.flatnonzero(user.any(axis=(0, 1, 2))).tolist()
    for z in clicked:
        came_from = origin.get(z)
        if came_from is None:  # not reached by the earlier run: continue from a neighbour it did reach
            reached = [n for n in (z - 1, z + 1) if n in origin and result[..., n].any()]
            if not reached:
                raise CommandError(f"clicked slice {z} has no segmented neighbour in the --resume mask to start from.")
            came_from = z - max(reached, key=lambda n: result[..., n].sum())
        source = z - came_from  # an annotated slice (0) is re-segmented from its own mask
        history.append(segment(source, z, came_from))
        for direction in (came_from,) if came_from else (1, -1):
            k, changed = z + direction, any(r["changed"] for r in history if r["index"] == z)
            while 0 <= k < depth and k not in clicked and changed:
                history.append(segment(k - direction, k, direction))
                changed = history[-1]["changed"]
                k += direction
    mask = torch.from_numpy(np.ascontiguousarray(np.moveaxis(result, -1, axis))[None].astype(np.uint8))
    return mask, history


def _read_inputs(plan: Plan, allow_gaps: bool) -> dict:
    """The command's input volumes as numpy (``{name: ImageFile}``), read with SimpleITK: no torch or MONAI.

    contiguous=False: the voxels stay in the files' order (each slice contiguous), no transposing copy; dtype=None
    for the CT: its stored integers (int16), no float32 copy either: the propagator's canonical float32 copy is then
    the only copy of the volume (issue 12.5).
    """
    from monai_refine.data.image_files import read_image_file, read_mask_file

    reads = {
        "image": read_image_file(
            plan.image, series_uid=plan.series_uid, allow_gaps=allow_gaps, contiguous=False, dtype=None
        )
    }
    if plan.reference is not None:
        reads["reference"] = read_mask_file(plan.reference, allow_gaps=allow_gaps, contiguous=False)
    if plan.previous is not None:
        reads["previous"] = read_image_file(plan.previous, dtype=None)
    elif not plan.from_reference:
        reads["annotation"] = read_mask_file(plan.annotation, allow_gaps=allow_gaps, contiguous=False)
    return reads


def run_propagation(args: argparse.Namespace, plan: Plan) -> int:
    """Load, propagate, report, and write all outputs together (after :func:`plan_propagation`)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import monai_refine.data.image_files  # noqa: F401 (imported here, so that the reading thread imports nothing)

    # The inputs are read on a second thread while torch and MONAI import on this one: the import keeps one core
    # busy for seconds, and reading (SimpleITK's C++, numpy copies) mostly runs outside the GIL on the other core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(_read_inputs, plan, args.allow_gaps)
        import numpy as np
        import torch
        from monai.data import MetaTensor

        from monai_refine.data import write_json, write_nifti
        from monai_refine.data.paths import atomic_outputs
        from monai_refine.data.readers import as_meta_tensor
        from monai_refine.inferers import (
            SlicePropagator,
            annotate_slices,
            middle_slice,
            occupied_slices,
            resolve_slice_axis,
        )
        from monai_refine.metrics import overlap_scores
        from monai_refine.transforms import seeds_from_points
        from monai_refine.utils import check_same_geometry

        reads = reading.result()  # re-raises a reading error (an unreadable or broken series) here
    image = as_meta_tensor(reads["image"])
    missing = list(image.meta.get("missing_slices", []))
    axis = 2 if missing else resolve_slice_axis(image)  # across gaps: the series' stacking axis (the last)
    reference = as_meta_tensor(reads["reference"]) if "reference" in reads else None
    if reference is not None:
        check_same_geometry(image, reference, names=(f"image {plan.image}", f"reference mask {plan.reference}"))
    if plan.previous is not None:  # --resume: no annotation; the previous result is the starting point
        annotation = MetaTensor(torch.zeros((1, *image.shape[1:]), dtype=torch.bool), affine=image.affine)
    elif plan.from_reference:
        plan.slices = plan.slices or [middle_slice(reference, slice_axis=axis)]
        annotation = annotate_slices(reference, plan.slices, slice_axis=axis)
    else:
        annotation = as_meta_tensor(reads["annotation"])
        check_same_geometry(image, annotation, names=(f"image {plan.image}", f"annotation {plan.annotation}"))
    depth = image.shape[-1]
    keep = [z for z in range(depth) if z not in set(missing)]
    if missing:  # --allow-gaps: propagate over the present slices only, then put the result back on the full grid
        bad = sorted(set(plan.slices or []) & set(missing))
        if bad:
            raise CommandError(f"--slice {bad} is a missing slice of the series; annotate a present slice.")
        print(f"slices {missing} are missing from the series (--allow-gaps): they stay empty")
        compact = {z: k for k, z in enumerate(keep)}
        image_in = MetaTensor(image.as_tensor()[..., keep], affine=image.affine)
        annotation_in = MetaTensor(annotation.as_tensor()[..., keep], affine=image.affine)
        slices = [compact[z] for z in plan.slices] if plan.slices else None
    else:
        image_in, annotation_in, slices = image, annotation, plan.slices
    annotation_in = annotation_in.bool()  # a bool mask skips the {0, 1} value check (np.isin: ~10x its size in RAM)
    del annotation
    print(f"{plan.image}: {tuple(image.shape[1:])} voxels, spacing {[round(s, 3) for s in image.pixdim.tolist()]} mm")
    seeds = None
    if plan.clicks:
        points = {k: [p for p in v if p[-1] not in set(missing)] for k, v in plan.clicks.items()}
        seeds = seeds_from_points(image.shape[1:], points.get("foreground", ()), points.get("background", ()))
        seeds = seeds[..., keep]
    segmenter, kwargs = _propagation_method(args.method, args.bundle, args.device)
    if args.margin_mm is not None:
        kwargs["margin_mm"] = args.margin_mm
    if args.intensity_fence is not None:
        kwargs["intensity_fence"] = None if args.intensity_fence == "off" else args.intensity_fence
    propagator = SlicePropagator(
        **kwargs, window=tuple(args.window), progress=not args.quiet, slice_axis=axis, workers=args.workers
    )
    if plan.previous is not None:
        previous = as_meta_tensor(reads["previous"])
        check_same_geometry(image, previous, names=(f"image {plan.image}", f"--resume mask {plan.previous}"))
        tic = time.perf_counter()
        propagator.progress = False
        records = json.loads(plan.previous_history.read_text())
        origin = {int(r["index"]): int(r["direction"]) for r in records if r.get("stop_reason") != "missing-slice"}
        mask, history = resume_propagation(image, previous, origin, seeds, axis, propagator, segmenter)
        changed = [r["index"] for r in history if r["changed"]]
        print(
            f"resumed from {plan.previous}: re-segmented {len(history)} slice(s) "
            f"{sorted(r['index'] for r in history)} in {time.perf_counter() - tic:.1f} s; changed: {changed}"
        )
    else:
        mask, records = propagator(
            image_in, segmenter, annotation=annotation_in, slices=slices, seeds=seeds, return_history=True
        )
        history = [r.to_dict() for r in records]
    if missing:
        full = torch.zeros((1, *image.shape[1:]), dtype=torch.uint8)
        full[..., keep] = torch.as_tensor(np.asarray(mask))
        for record in history:
            record["index"] = keep[record["index"]]
        history += [{"index": z, "direction": 0, "area": 0, "stop_reason": "missing-slice"} for z in missing]
        mask = full
    mask = MetaTensor(torch.as_tensor(np.asarray(mask), dtype=torch.uint8), affine=image.affine)

    starts = [r["index"] for r in history if r["direction"] == 0 and r.get("stop_reason") != "missing-slice"]
    ms = [r["ms"] for r in history if r["direction"] and "ms" in r]
    print(
        f"segmented {len(history) - len(missing)} slices from slice(s) {starts} with {args.method}: "
        f"{np.mean(ms) if ms else 0:.0f} ms/slice"
    )
    for record in history:
        if record.get("stop_reason") and record["stop_reason"] != "missing-slice":
            print(f"  direction {record['direction']:+d} stopped at slice {record['index']}: {record['stop_reason']}")
    if reference is not None:
        scores = overlap_scores(*_union_box(mask, reference))
        print("3D overlap with the reference mask: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))

    outputs = plan.outputs
    with atomic_outputs(*outputs.values()) as temps:
        tmp = dict(zip(outputs, temps))
        write_nifti(mask, tmp["mask"], overwrite=True)
        write_json(history, tmp["history"], overwrite=True)
        if "overlay" in outputs:
            present = occupied_slices(np.asarray(mask[0]), axis)
            if present.size:
                picks = sorted({int(present[0]), *starts, int(present[-1])})
                _save_overlay(image, mask, reference, tmp["overlay"], picks, axis)
        if "DICOM SEG" in outputs:
            from monai_refine.data.dicom_seg import write_dicom_seg

            write_dicom_seg(mask[..., keep], plan.dicom_series, tmp["DICOM SEG"], label=args.organ)
    for label, path in outputs.items():
        if path.exists():
            print(f"{label} written to {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    data = Path(args.data) if args.data else DEMO_SLAB
    if not data.is_dir():
        raise FileNotFoundError(f"demo data {data} not found: pass --data PATIENT_DIR (an IRCAD patient folder).")
    args.image = args.annotation = args.reference = args.series_uid = None
    plan = plan_propagation(args, demo_data=data)
    print(f"propagating the {args.organ} of IRCAD {data} with {args.method}")
    return run_propagation(args, plan)


def cmd_propagate(args: argparse.Namespace) -> int:
    return run_propagation(args, plan_propagation(args))


SCORE_NAMES = ("dice", "sensitivity", "ppv", "hd95_mm", "asd_mm")


def segmentation_scores(pred, ref, spacing: Sequence[float]) -> dict[str, float]:
    """Dice, sensitivity, PPV, 95 % Hausdorff and average (symmetric) surface distance in mm of binary masks.

    Computed with MONAI's ``DiceMetric``, ``ConfusionMatrixMetric``, ``HausdorffDistanceMetric`` and
    ``SurfaceDistanceMetric`` on ``(1, *spatial)`` masks (2D slices or 3D volumes). A score that is undefined is NaN:
    Dice, sensitivity and the distances when ``ref`` is empty, PPV when ``pred`` is empty, distances when either is.

    Example:
        >>> import torch
        >>> ref = torch.zeros(1, 8, 8); ref[0, 2:6, 2:6] = 1
        >>> pred = torch.zeros(1, 8, 8); pred[0, 2:6, 2:5] = 1
        >>> {k: round(v, 3) for k, v in segmentation_scores(pred, ref, (0.5, 0.5)).items()}
        {'dice': 0.857, 'sensitivity': 0.75, 'ppv': 1.0, 'hd95_mm': 0.5, 'asd_mm': 0.136}

        Hand check: Dice 2*12/(12+16); the 4 border pixels of the missing column and the 2 of the shifted edge
        are 1 pixel (0.5 mm) from the other surface, the other 16 of the 22 surface pixels 0: ASD = 6*0.5/22.
    """
    import torch
    from monai.metrics import ConfusionMatrixMetric, DiceMetric, HausdorffDistanceMetric, SurfaceDistanceMetric

    p, r = (torch.as_tensor(x != 0, dtype=torch.float32)[None] for x in (pred, ref))  # (B=1, C=1, *spatial)
    nan = float("nan")
    has_p, has_r = bool(p.any()), bool(r.any())
    scores = {"dice": float(DiceMetric(include_background=True, ignore_empty=True)(p, r)[0, 0]) if has_r else nan}
    confusion = ConfusionMatrixMetric(include_background=True, metric_name=["sensitivity", "precision"])
    confusion(p, r)
    sen, ppv = confusion.aggregate()
    scores["sensitivity"] = float(sen.flatten()[0]) if has_r else nan
    scores["ppv"] = float(ppv.flatten()[0]) if has_p else nan
    if has_p and has_r:
        spacing = [float(s) for s in spacing]
        hd = HausdorffDistanceMetric(include_background=True, percentile=95)(p, r, spacing=spacing)
        asd = SurfaceDistanceMetric(include_background=True, symmetric=True)(p, r, spacing=spacing)
        scores["hd95_mm"], scores["asd_mm"] = float(hd[0, 0]), float(asd[0, 0])
    else:
        scores["hd95_mm"] = scores["asd_mm"] = nan
    return scores


def _load_binary(path: Path, what: str):
    from monai_refine.data import load_image

    image = load_image(path, dtype=None)
    if image.shape[0] != 1:
        raise CommandError(f"{what} {path} has {image.shape[0]} channels; expected a single-channel mask.")
    return image


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score a predicted mask against a reference: whole volume and per slice; print, and write CSV/JSON/PNG."""
    from monai_refine.data.paths import atomic_outputs, check_outputs

    pred_path, ref_path = _require(args.pred, "prediction path"), _require(args.ref, "reference path")
    outputs = {}
    if args.output:
        out = Path(args.output)
        if out.suffix not in (".csv", ".json"):
            raise CommandError(f"-o/--output {out} must end with .csv or .json.")
        outputs["scores"] = out
    if args.plot:
        if not args.plot.endswith(".png"):
            raise CommandError(f"--plot {args.plot} must end with .png.")
        outputs["plot"] = Path(args.plot)
    check_outputs(outputs, {"prediction": pred_path, "reference": ref_path}, overwrite=args.overwrite)
    for what, path in (("prediction", pred_path), ("reference", ref_path)):
        if not path.is_dir() and not path.name.endswith((*NIFTI_SUFFIXES, ".nrrd", ".mha", ".mhd", ".dcm")):
            raise CommandError(f"{what} path {path}: expected a NIfTI/NRRD/MetaImage file or a DICOM series folder.")

    import numpy as np

    from monai_refine.inferers import resolve_slice_axis
    from monai_refine.utils import check_same_geometry

    pred, ref = _load_binary(pred_path, "prediction"), _load_binary(ref_path, "reference")
    check_same_geometry(pred, ref, names=(f"prediction {pred_path}", f"reference {ref_path}"))
    spacing = pred.pixdim.tolist()
    volume = segmentation_scores(pred, ref, spacing)
    slices = []
    if pred.ndim == 4:
        axis = resolve_slice_axis(pred, args.slice_axis)
        p, r = np.moveaxis(np.asarray(pred[0]) != 0, axis, 0), np.moveaxis(np.asarray(ref[0]) != 0, axis, 0)
        in_plane = [s for k, s in enumerate(spacing) if k != axis]
        for z in np.flatnonzero(p.any(axis=(1, 2)) | r.any(axis=(1, 2))):
            row = {"slice": int(z), **segmentation_scores(p[z][None], r[z][None], in_plane)}
            slices.append(row)
    print(f"{pred_path} vs {ref_path}: " + ", ".join(f"{k} {v:.3f}" for k, v in volume.items()))
    if slices:
        dice = [s["dice"] for s in slices]
        print(
            f"{len(slices)} slices hold either mask; per-slice Dice: mean {np.nanmean(dice):.3f}, min "
            f"{np.nanmin(dice):.3f} (slice {slices[int(np.nanargmin(dice))]['slice']})"
        )

    def clean(value):
        return None if isinstance(value, float) and not np.isfinite(value) else value

    with atomic_outputs(*outputs.values()) as temps:
        tmp = dict(zip(outputs, temps))
        if "scores" in outputs and outputs["scores"].suffix == ".json":
            report = {
                "prediction": str(pred_path),
                "reference": str(ref_path),
                "spacing_mm": spacing,
                "volume": {k: clean(v) for k, v in volume.items()},
                "slices": [{k: clean(v) for k, v in s.items()} for s in slices],
            }
            tmp["scores"].write_text(json.dumps(report, indent=2) + "\n")
        elif "scores" in outputs:
            import csv

            with open(tmp["scores"], "w", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["slice", *SCORE_NAMES])
                writer.writerow(["volume", *(_fmt(volume[k]) for k in SCORE_NAMES)])
                for s in slices:
                    writer.writerow([s["slice"], *(_fmt(s[k]) for k in SCORE_NAMES)])
        if "plot" in outputs:
            _plot_dice(slices, volume["dice"], tmp["plot"])
    for label, path in outputs.items():
        print(f"{label} written to {path}")
    return 0


def _fmt(value: float) -> str:
    return "" if value != value or value in (float("inf"), float("-inf")) else f"{value:.6g}"


def _plot_dice(slices: list[dict], volume_dice: float, path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'monai-refine[plot]'.") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot([s["slice"] for s in slices], [s["dice"] for s in slices], marker=".", lw=1)
    ax.axhline(volume_dice, color="gray", ls="--", lw=0.8, label=f"volume Dice {volume_dice:.3f}")
    ax.set(xlabel="slice", ylabel="Dice", ylim=(0, 1.02), title="per-slice Dice")
    ax.legend(loc="lower center")
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)


def cmd_datalist(args: argparse.Namespace) -> int:
    from monai_refine.data import build_datalist, write_datalist

    datalist = build_datalist(
        args.images, args.masks, mask_suffix=args.mask_suffix, fov_dir=args.fov, fov_suffix=args.fov_suffix
    )
    write_datalist(datalist, args.output, overwrite=args.overwrite)
    print(f"{len(datalist)} image/mask pairs written to {args.output}")
    return 0


def _fence(text: str) -> float | str:
    """``--intensity-fence``: a non-negative number, or ``off``."""
    if text == "off":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'off', got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'off', got {text!r}")
    return value


def _add_propagation_options(parser: argparse.ArgumentParser) -> None:
    methods = ", ".join(f"{k}: {v}" for k, v in METHODS.items())
    parser.add_argument("--method", choices=list(METHODS), default="graph-cut", help=f"per-slice segmenter ({methods})")
    parser.add_argument("--bundle", help="bundle folder for --method network (default: the liver bundle)")
    parser.add_argument("--device", default="cpu", help="torch device for --method network (e.g. cuda)")
    parser.add_argument("--organ", default="liver", help="IRCAD mask folder under MASKS_DICOM (default: liver)")
    parser.add_argument("--slice", type=int, action="append", help="annotated slice index (repeatable)")
    parser.add_argument("--margin-mm", type=float, help="background ring distance in mm (default: the preset's)")
    parser.add_argument(
        "--intensity-fence",
        type=_fence,
        metavar="K|off",
        help="stop where the median intensity of a slice's result leaves Q1 - K IQR .. Q3 + K IQR of the annotated "
        "organ (Tukey's fences; default: the method's, 1.5 for the presets); 'off' turns the rule off",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes propagating the directions at once, classical methods on Linux (default: 2, up and down)",
    )
    parser.add_argument("--clicks", help='user corrections: JSON {"foreground": [[x, y, z], ...], "background": [...]}')
    parser.add_argument(
        "--resume",
        metavar="PREVIOUS_MASK",
        help="correct an earlier result: re-segment the --clicks slices, propagate while the result changes",
    )
    parser.add_argument("--window", type=float, nargs=2, default=(-100.0, 200.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--allow-gaps", action="store_true", help="propagate across missing DICOM slices (left empty)")
    parser.add_argument("--output-dir", default="outputs", help="folder for the results (default: outputs/)")
    parser.add_argument("-o", "--output", help="mask path (.nii.gz); default under --output-dir")
    parser.add_argument("--dicom-seg", help="also write a DICOM Segmentation object (.dcm) referencing the series")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    parser.add_argument("--no-overlay", action="store_true", help="skip the PNG overlay")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monai-refine", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="propagate the liver through the shipped IRCAD slab (or --data)")
    demo.add_argument("--data", help="an IRCAD patient folder instead of the shipped slab")
    _add_propagation_options(demo)
    demo.set_defaults(func=cmd_demo)

    propagate = sub.add_parser("propagate", help="segment a volume slice by slice from annotated slice(s)")
    propagate.add_argument("--ircad", help="IRCAD patient folder (its organ mask gives the annotated slice)")
    propagate.add_argument("--image", help="volume: DICOM series folder, NIfTI or NRRD")
    propagate.add_argument("--series-uid", help="which DICOM series of --image when its folder holds several")
    propagate.add_argument("--annotation", help="mask holding the annotated slice(s), same geometry as --image")
    propagate.add_argument("--reference", help="optional reference mask to score the result against")
    _add_propagation_options(propagate)
    propagate.set_defaults(func=cmd_propagate)

    evaluate = sub.add_parser("evaluate", help="Dice, SEN, PPV, HD95, ASD (mm) of a mask vs a reference, per slice")
    evaluate.add_argument("pred", help="predicted mask (NIfTI/NRRD file or DICOM folder)")
    evaluate.add_argument("ref", help="reference mask, same geometry")
    evaluate.add_argument("-o", "--output", help="scores file: .csv (one row per slice + 'volume') or .json")
    evaluate.add_argument("--plot", help="PNG of the per-slice Dice")
    evaluate.add_argument("--slice-axis", type=int, choices=(0, 1, 2), help="default: from the affine (axial)")
    evaluate.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    evaluate.set_defaults(func=cmd_evaluate)

    datalist = sub.add_parser("datalist", help="pair 2D image and mask folders into a MONAI datalist JSON")
    datalist.add_argument("images", help="image folder")
    datalist.add_argument("masks", help="mask folder")
    datalist.add_argument("--mask-suffix", default="", help="mask stem = image stem + suffix (e.g. _segmentation)")
    datalist.add_argument("--fov", help="optional field-of-view mask folder (HRF/DRIVE)")
    datalist.add_argument("--fov-suffix", default="_mask", help="field-of-view stem suffix (default: _mask)")
    datalist.add_argument("-o", "--output", required=True, help="datalist JSON path")
    datalist.add_argument("--overwrite", action="store_true", help="replace an existing datalist")
    datalist.set_defaults(func=cmd_datalist)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, PermissionError, ImportError) as err:
        print(f"monai-refine {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, I/O error while writing: nothing was left behind (atomic outputs)
        print(f"monai-refine {args.command}: error: {err}; no output was written.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"monai-refine {args.command}: interrupted; no output was written.", file=sys.stderr)
        return 130


def entry_point() -> None:
    """The ``monai-refine`` command: :func:`main`, then exit without the interpreter's teardown.

    Tearing down the modules of torch and monai (clearing thousands of module dicts and objects) takes 1-2 s after the
    work is done (measured after ``python -c "import monai"``: 1.7-2 s on the loaded 2-core machine); the command has
    nothing left to release by then: its outputs are written and renamed (:func:`monai_refine.data.atomic_outputs`),
    its worker processes joined, and the standard streams and log handlers are flushed here first. An exception that
    escapes :func:`main` takes the normal exit (traceback, teardown), and so does a run under a profiler or tracer
    (``python -m cProfile``, coverage), which write their results at exit. In-process callers use :func:`main`.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing more can be written anyway
            pass
    os._exit(code)


if __name__ == "__main__":
    entry_point()
