"""``monai-refine`` command line: slice-by-slice propagation, the offline demo, and datalist building.

Examples::

    monai-refine demo                                   # the shipped IRCAD slab, graph cut, Dice at the end
    monai-refine demo --data ../shared/data/ircad/patient17 --method random-walker
    monai-refine propagate --ircad PATIENT_DIR --slice 57 -o outputs/p17_liver.nii.gz
    monai-refine propagate --image ct.nii.gz --annotation slice_mask.nii.gz -o outputs/liver.nii.gz
    monai-refine propagate --ircad PATIENT_DIR --slice 57 --clicks corrections.json   # user corrections
    monai-refine datalist images/ masks/ --mask-suffix _segmentation -o datalist.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from monai.data import MetaTensor

from monai_refine.data import (
    atomic_write,
    build_datalist,
    check_same_geometry,
    load_image,
    load_ircad_patient,
    load_mask,
    write_datalist,
    write_json,
    write_nifti,
)
from monai_refine.inferers import PRESETS, SlicePropagator, annotate_slices, middle_slice, propagation_preset
from monai_refine.metrics import overlap_scores
from monai_refine.transforms import seeds_from_points

logger = logging.getLogger("monai_refine")

#: The verbatim 24-slice slab of IRCAD patient 17 shipped with the repository (see its README for the licence).
DEMO_SLAB = Path(__file__).resolve().parents[1] / "tests" / "testing_data" / "ircad_patient17_slab"


def _save_overlay(image: MetaTensor, mask: MetaTensor, reference: MetaTensor | None, path: Path, slices) -> None:
    """PNG of a few axial slices with the result (and the reference) outlined; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(slices), figsize=(4 * len(slices), 4.3), squeeze=False)
    for ax, z in zip(axes[0], slices):
        ax.imshow(np.clip(image[0, :, :, z].numpy().T, -150, 250), cmap="gray", origin="upper")
        ax.contour(mask[0, :, :, z].numpy().T, levels=[0.5], colors="lime", linewidths=1.0)
        if reference is not None:
            ax.contour(reference[0, :, :, z].numpy().T, levels=[0.5], colors="red", linewidths=0.8)
        ax.set_title(f"slice {z}")
        ax.axis("off")
    fig.suptitle("green: propagated" + (", red: reference" if reference is not None else ""))
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)


def run_propagation(args: argparse.Namespace, image: MetaTensor, annotation: MetaTensor, reference, inputs, name):
    """Propagate, report, and write the mask, history and overlay under ``args.output_dir``."""
    segmenter, kwargs = propagation_preset(args.method)
    if args.margin_mm is not None:
        kwargs["margin_mm"] = args.margin_mm
    propagator = SlicePropagator(**kwargs, window=tuple(args.window), progress=not args.quiet)
    seeds = read_clicks(args.clicks, image.shape[1:]) if args.clicks else None
    mask, history = propagator(
        image, segmenter, annotation=annotation, slices=args.slice, seeds=seeds, return_history=True
    )
    starts = [record.index for record in history if record.direction == 0]
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    out_path = Path(args.output) if args.output else output_dir / f"{name}_{args.method}.nii.gz"
    write_nifti(mask, out_path, inputs=inputs, overwrite=args.overwrite)
    history_path = out_path.with_name(out_path.name.split(".")[0] + "_history.json")
    write_json([r.to_dict() for r in history], history_path, overwrite=args.overwrite)
    ms = [r.ms for r in history if r.direction]
    print(f"segmented {len(history)} slices from slice(s) {starts}: {np.mean(ms):.0f} ms/slice")
    for record in history:
        if record.stop_reason:
            print(f"  direction {record.direction:+d} stopped at slice {record.index}: {record.stop_reason}")
    if reference is not None:
        scores = overlap_scores(mask, reference)
        print("3D overlap with the reference mask: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    print(f"mask written to {out_path}\nhistory written to {history_path}")
    if not args.no_overlay:
        present = np.flatnonzero(mask[0].numpy().any(axis=(0, 1)))
        if present.size:
            picks = sorted({int(present[0]), *starts, int(present[-1])})
            overlay = out_path.with_name(out_path.name.split(".")[0] + "_overlay.png")
            _save_overlay(image, mask, reference, overlay, picks)
            print(f"overlay written to {overlay}")
    return mask


def read_clicks(path: str, spatial_shape: Sequence[int]) -> np.ndarray:
    """User corrections from a JSON file ``{"foreground": [[x, y, z], ...], "background": [...]}`` (voxel indices).

    Returns the ``(2, X, Y, Z)`` seed mask; a click outside the volume is a ``ValueError`` naming it.
    """
    try:
        clicks = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read clicks file {path}: {err}") from err
    unknown = set(clicks) - {"foreground", "background"} if isinstance(clicks, dict) else {"<not an object>"}
    if unknown:
        raise ValueError(f"clicks file {path} may hold only 'foreground' and 'background' lists: {sorted(unknown)}.")
    return seeds_from_points(spatial_shape, clicks.get("foreground", ()), clicks.get("background", ()))


def cmd_demo(args: argparse.Namespace) -> int:
    data = Path(args.data) if args.data else DEMO_SLAB
    if not data.is_dir():
        raise FileNotFoundError(f"demo data {data} not found: pass --data PATIENT_DIR (an IRCAD patient folder).")
    image, reference = load_ircad_patient(data, organ=args.organ)
    args.slice = args.slice or [middle_slice(reference)]
    print(f"IRCAD {data}: {tuple(image.shape[1:])} voxels, spacing {[round(s, 3) for s in image.pixdim.tolist()]} mm")
    print(f"propagating the {args.organ} from annotated slice(s) {args.slice} with {args.method}")
    inputs = [data / "PATIENT_DICOM", data / "MASKS_DICOM" / args.organ]
    annotation = annotate_slices(reference, args.slice)
    run_propagation(args, image, annotation, reference, inputs, f"{data.name}_{args.organ}")
    return 0


def cmd_propagate(args: argparse.Namespace) -> int:
    if args.ircad:
        data = Path(args.ircad)
        image, reference = load_ircad_patient(data, organ=args.organ)
        if not args.slice:
            raise ValueError("--slice is required with --ircad: the index of the slice whose mask starts propagation.")
        annotation, inputs, name = annotate_slices(reference, args.slice), [data], f"{data.name}_{args.organ}"
    else:
        if not (args.image and args.annotation):
            raise ValueError("give either --ircad PATIENT_DIR, or both --image and --annotation.")
        image, annotation = load_image(args.image, series_uid=args.series_uid), load_mask(args.annotation)
        check_same_geometry(image, annotation, names=(f"image {args.image}", f"annotation {args.annotation}"))
        reference = load_mask(args.reference) if args.reference else None
        inputs, name = [Path(args.image), Path(args.annotation)], Path(args.image).name.split(".")[0]
    run_propagation(args, image, annotation, reference, inputs, name)
    return 0


def cmd_datalist(args: argparse.Namespace) -> int:
    datalist = build_datalist(
        args.images, args.masks, mask_suffix=args.mask_suffix, fov_dir=args.fov, fov_suffix=args.fov_suffix
    )
    write_datalist(datalist, args.output, overwrite=args.overwrite)
    print(f"{len(datalist)} image/mask pairs written to {args.output}")
    return 0


def _add_propagation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", choices=PRESETS, default="graph-cut", help="per-slice segmenter")
    parser.add_argument("--organ", default="liver", help="IRCAD mask folder under MASKS_DICOM (default: liver)")
    parser.add_argument("--slice", type=int, action="append", help="annotated slice index (repeatable)")
    parser.add_argument("--margin-mm", type=float, help="background ring distance in mm (default: the preset's)")
    parser.add_argument("--clicks", help='user corrections: JSON {"foreground": [[x, y, z], ...], "background": [...]}')
    parser.add_argument("--window", type=float, nargs=2, default=(-100.0, 200.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--output-dir", default="outputs", help="folder for the results (default: outputs/)")
    parser.add_argument("-o", "--output", help="mask path (.nii.gz); default under --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
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
    except (ValueError, FileNotFoundError) as err:
        print(f"monai-refine {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
