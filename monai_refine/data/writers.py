"""Write results safely: atomically (temp file in the same folder, then ``os.replace``), never over an input file.

A reader of the output path sees either the old file or the complete new one, never a partial write, and an
interrupted write leaves no temp file behind.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.config import DtypeLike, PathLike
from monai.data import MetaTensor, NibabelWriter

__all__ = ["atomic_write", "check_output_path", "write_json", "write_nifti"]

logger = logging.getLogger(__name__)

NIFTI_EXTENSIONS = (".nii", ".nii.gz")


def check_output_path(path: PathLike, *, inputs: Sequence[PathLike] = (), overwrite: bool = False) -> Path:
    """Check that ``path`` may be written: not one of ``inputs``, not a folder, and not an existing file.

    Args:
        path: the output file.
        inputs: the files (or folders) the output was computed from; writing over one is always refused.
        overwrite: allow replacing an existing file that is not an input.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``path`` is one of ``inputs``, an existing folder, or an existing file and ``overwrite`` is False.

    Example:
        >>> check_output_path("out/liver_mask.nii.gz", inputs=["ct.nii.gz"])
        PosixPath('out/liver_mask.nii.gz')
    """
    path = Path(path)
    for source in inputs:
        same = path.exists() and Path(source).exists() and os.path.samefile(source, path)
        if same or Path(source).resolve() == path.resolve():
            raise ValueError(f"refusing to write {path}: it is the input {source}; choose another output path.")
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is an existing folder; give a file path.")
    if path.exists() and not overwrite:
        raise ValueError(f"{path} already exists; pass overwrite=True to replace it, or choose another output path.")
    return path


@contextmanager
def atomic_write(path: PathLike) -> Iterator[Path]:
    """Context manager yielding a temp path to write to, moved onto ``path`` (``os.replace``) only on success.

    The temp file is in the same folder (so the move is atomic) and ends with ``path``'s name (so writers that pick
    the format from the extension, like nibabel, see the same one). On an exception it is deleted and the exception
    propagates; ``path`` is then unchanged. Missing parent folders are created.

    Args:
        path: the final file.

    Yields:
        The temp file path; the body must create it.

    Example:
        >>> import tempfile
        >>> out = tempfile.mkdtemp()
        >>> with atomic_write(f"{out}/report.txt") as tmp:
        ...     _ = tmp.write_text("done")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{secrets.token_hex(4)}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    logger.debug("wrote %s", path)


def _json_default(obj: Any) -> Any:
    """Make numpy/torch scalars and arrays (``tolist``) and paths JSON-serialisable; raise ``TypeError`` otherwise."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable: {obj!r}")


def write_json(data: Any, path: PathLike, *, inputs: Sequence[PathLike] = (), overwrite: bool = False) -> Path:
    """Write ``data`` as indented JSON, atomically, refusing to replace an input or (unless asked) an existing file.

    Args:
        data: a JSON-serialisable object; numpy/torch scalars and arrays become numbers and lists, paths strings.
        path: the output ``.json`` file.
        inputs: files the output was computed from, never overwritten.
        overwrite: allow replacing an existing file.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: see :func:`check_output_path`.
        TypeError: ``data`` is not JSON-serialisable (nothing is written).

    Example:
        >>> import tempfile
        >>> write_json({"training": []}, f"{tempfile.mkdtemp()}/datalist.json").name
        'datalist.json'
    """
    path = check_output_path(path, inputs=inputs, overwrite=overwrite)
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=4, default=_json_default) + "\n", encoding="utf-8")
    return path


def _write_single_channel(data: torch.Tensor, affine: torch.Tensor, output_dtype: DtypeLike | None, path: Path) -> bool:
    """Write a one-channel ``(1, X, Y)`` or ``(1, X, Y, Z)`` ``data`` with nibabel itself; ``False`` for other shapes.

    Written by hand rather than with ``NibabelWriter``, which (MONAI 1.x) fails on one-channel 2D data, passes
    every voxel through float32 (int32 labels above 2**24 and float64 lose precision) and makes a Fortran-order
    array C-contiguous before nibabel writes it back in Fortran order (over a second for a 512² x 119 mask). The
    file holds the same header fields: the affine (a 2D ``3 x 3`` one is lifted to ``4 x 4``) as sform and qform.
    ``int64`` data (torch's default integer type, which NIfTI readers handle badly) is stored as ``int32`` when
    every value fits, else refused.
    """
    if data.shape[0] != 1 or data.ndim not in (3, 4):
        return False
    import nibabel as nib
    from monai.data.utils import to_affine_nd

    array = data.numpy()[0]
    if output_dtype is not None:
        array = array.astype(output_dtype)
    elif array.dtype == np.int64:
        info = np.iinfo(np.int32)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise ValueError(
                f"int64 values in [{array.min()}, {array.max()}] do not fit int32, the largest integer type NIfTI "
                "readers handle; pass output_dtype (e.g. np.float64) to choose the stored type."
            )
        array = array.astype(np.int32)
    matrix = to_affine_nd(r=3, affine=affine.detach().cpu().numpy().astype(np.float64))
    nifti = nib.Nifti1Image(array, matrix)
    nifti.set_sform(matrix, code=1)
    nifti.set_qform(matrix, code=1)
    with atomic_write(path) as tmp:
        nib.save(nifti, tmp)
    logger.info("wrote %s: shape %s", path, tuple(data.shape))
    return True


def write_nifti(
    image: MetaTensor,
    path: PathLike,
    *,
    inputs: Sequence[PathLike] = (),
    overwrite: bool = False,
    output_dtype: DtypeLike | None = None,
) -> Path:
    """Write a channel-first ``MetaTensor`` to NIfTI with its affine, atomically, never over an input file.

    Without resampling: the voxels are written as they are, with ``image.affine`` (RAS) as sform and qform; one
    channel by nibabel itself, several by MONAI's ``NibabelWriter``. The image's own source
    (``image.meta["filename_or_obj"]``) counts as an input.

    Args:
        image: shape ``(1, X, Y, Z)`` or ``(1, X, Y)``; several channels become the last NIfTI dimension. The affine
            may be ``4 x 4`` or, for 2D, ``3 x 3``.
        path: output file ending with ``.nii`` or ``.nii.gz``.
        inputs: the files the image was computed from; writing over one is always refused.
        overwrite: allow replacing an existing file that is not an input.
        output_dtype: data type stored in the file; ``None`` keeps the tensor's (bool is stored as uint8, int64 as
            int32 when the values fit).

    Returns:
        ``path`` as a ``Path``.

    Raises:
        TypeError: ``image`` is not a ``MetaTensor``.
        ValueError: a path that is not ``.nii``/``.nii.gz``, is an input, or exists and ``overwrite`` is False;
            int64 values outside int32's range without an ``output_dtype``.

    Example:
        >>> from monai_refine.data import load_mask
        >>> mask = load_mask("monai_refine/data/sample/ircad_patient17_slab/MASKS_DICOM/liver")
        >>> import tempfile
        >>> slab = "monai_refine/data/sample/ircad_patient17_slab"
        >>> write_nifti(mask, f"{tempfile.mkdtemp()}/liver.nii.gz", inputs=[slab]).name
        'liver.nii.gz'
    """
    if not isinstance(image, MetaTensor):
        raise TypeError(f"image must be a MetaTensor (it carries the affine), got {type(image).__name__}.")
    if not str(path).endswith(NIFTI_EXTENSIONS):
        raise ValueError(f"NIfTI output path {path} must end with one of {NIFTI_EXTENSIONS}.")
    source = image.meta.get("filename_or_obj")
    path = check_output_path(path, inputs=(*inputs, *([source] if source else [])), overwrite=overwrite)
    data = image.detach().cpu().as_tensor()
    if data.dtype == torch.bool:
        data = data.to(torch.uint8)
    if _write_single_channel(data, image.affine, output_dtype, path):
        return path
    writer = NibabelWriter(output_dtype=output_dtype)
    writer.set_data_array(data.numpy(), channel_dim=0)
    writer.set_metadata({"affine": image.affine.detach().cpu().numpy()}, resample=False)
    with atomic_write(path) as tmp:
        writer.write(tmp)
    logger.info("wrote %s: shape %s", path, tuple(image.shape))
    return path
