"""Check a command's output paths against its inputs before any work, and write several outputs all-or-nothing.

Standard library only (no torch, no monai), so that the CLI can refuse a bad command line in well under a second.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_outputs", "check_outputs"]


def _real(path: os.PathLike | str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_writable_folder(path: Path, label: str) -> None:
    """Raise ``PermissionError``/``ValueError`` unless ``path``'s folder exists and is writable, or can be created."""
    ancestor = path.parent
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"cannot write the {label} {path}: {ancestor} is a file, not a folder.")
    try:  # os.access says yes to root on a read-only folder; a real probe does not lie
        fd, probe = tempfile.mkstemp(prefix=".monai-refine-probe-", dir=ancestor)
    except OSError as err:
        raise PermissionError(
            f"cannot write the {label} {path}: folder {ancestor} is not writable ({err.strerror}); choose another "
            "output folder."
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_outputs(
    outputs: Mapping[str, os.PathLike | str],
    inputs: Mapping[str, os.PathLike | str],
    *,
    overwrite: bool = False,
    overwrite_flag: str = "--overwrite",
) -> None:
    """Refuse, before any work, outputs that would replace an input, each other, or (without overwrite) a file.

    Every path is resolved (symlinks followed, hard links compared by inode). An output inside an input folder (a
    DICOM series folder) is refused too: it would become part of the series. Nothing is created.

    Args:
        outputs: ``{label: path}`` of every file the command will write (label: "mask", "history", ...).
        inputs: ``{label: path}`` of every file or folder the command reads.
        overwrite: allow replacing existing files that are not inputs.
        overwrite_flag: how the message names the overwrite option.

    Raises:
        ValueError: an output equals or is inside an input, two outputs coincide, an output is a folder, or exists
            and ``overwrite`` is False.
        PermissionError: an output folder is not writable (and cannot be created).

    Example:
        >>> check_outputs({"mask": "out/ct_mask.nii.gz"}, {"image": "ct.nii.gz"})
        >>> check_outputs({"mask": "ct.nii.gz"}, {"image": "ct.nii.gz"})
        Traceback (most recent call last):
        ...
        ValueError: refusing to write the mask to ct.nii.gz: it is the image ct.nii.gz; choose another output path.
    """
    real_inputs = {label: (str(path), _real(path)) for label, path in inputs.items() if path is not None}
    seen: dict[str, str] = {}
    for label, path in outputs.items():
        path = Path(path)
        real = _real(path)
        for in_label, (in_path, in_real) in real_inputs.items():
            same = real == in_real or (path.exists() and os.path.exists(in_path) and os.path.samefile(path, in_path))
            if same:
                raise ValueError(
                    f"refusing to write the {label} to {path}: it is the {in_label} {in_path}; choose another output "
                    "path."
                )
            if os.path.isdir(in_real) and _inside(real, in_real):
                raise ValueError(
                    f"refusing to write the {label} to {path}: it is inside the {in_label} folder {in_path}; choose "
                    "an output folder outside the inputs."
                )
        if real in seen:
            raise ValueError(f"the {label} and the {seen[real]} would both be written to {path}; give distinct paths.")
        seen[real] = label
        if path.is_dir():
            raise ValueError(f"cannot write the {label} to {path}: it is an existing folder; give a file path.")
        if path.exists() and not overwrite:
            raise ValueError(
                f"{label} {path} already exists; pass {overwrite_flag} to replace it, or choose another path."
            )
        _check_writable_folder(path, label)


@contextmanager
def atomic_outputs(*paths: os.PathLike | str) -> Iterator[list[Path]]:
    """Yield temp paths for several outputs; all are renamed onto their targets together, only when the body succeeds.

    Each temp file is beside its target (so the rename is atomic) and ends with the target's name (writers that choose
    the format from the extension see the same one). On an exception (``KeyboardInterrupt`` included) every temp file
    is deleted, the folders this call created are removed again, and no target is touched. A temp file the body did
    not create is skipped (an optional output).

    Example:
        >>> out = Path(tempfile.mkdtemp())
        >>> with atomic_outputs(out / "a.txt", out / "new" / "b.txt") as (a, b):
        ...     _ = a.write_text("A"); _ = b.write_text("B")
        >>> sorted(str(p.relative_to(out)) for p in out.rglob("*"))
        ['a.txt', 'new', 'new/b.txt']
    """
    targets = [Path(p) for p in paths]
    created: list[Path] = []
    for target in targets:
        missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
    token = secrets.token_hex(4)
    temps = [t.with_name(f".tmp-{token}-{t.name}") for t in targets]
    done = False
    try:
        yield temps
        for temp, target in zip(temps, targets):
            if temp.exists():
                os.replace(temp, target)
        done = True
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
        if not done:
            for folder in reversed(created):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
