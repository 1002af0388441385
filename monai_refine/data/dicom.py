"""Scan a DICOM series folder from its headers only (pydicom, no pixel data, no ITK, no torch).

The scan groups the files of a folder into series, sorts each series by slice position along the slice normal (never
by file name), and checks that the positions are uniform: a missing slice, a duplicated slice or a file that cannot
be read is an error that names the positions and files, before any pixel is loaded. It is what the CLI runs first
(fast: ~0.2 s for 119 headers), and what :func:`monai_refine.data.load_image` reads the pixels from.
"""

from __future__ import annotations

import copy
import hashlib
import os
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

try:  # not monai.utils.optional_import: importing monai loads torch (~8 s), and this module is the CLI's fast check
    import pydicom

    has_pydicom = True
except ImportError:  # pragma: no cover - exercised only without the [dicom] extra
    pydicom, has_pydicom = None, False

__all__ = ["DicomSeries", "list_dicom_series", "require_pydicom", "scan_dicom_series"]

#: relative tolerance on the slice distance: a distance off the median by more than this is a gap or a jump
POSITION_RTOL = 0.05
#: the header elements the scan needs (parsing only these is ~2x faster than the whole header)
_TAGS = [
    "SeriesInstanceUID",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "BitsAllocated",
    "NumberOfFrames",
    "SOPInstanceUID",
]
#: scans already done in this process, keyed by the folder and the (name, size, mtime) of its files
_CACHE: dict[tuple, list] = {}
#: uncompressed transfer syntaxes, whose pixel data length can be checked against the file size
_UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}


def require_pydicom() -> None:
    """Raise ``ImportError`` with the install command when pydicom is missing."""
    if not has_pydicom:
        raise ImportError("reading DICOM needs pydicom: pip install 'monai-refine[dicom]'.")


@dataclass
class DicomSeries:
    """One DICOM series of a folder, its files sorted by position along the slice normal.

    Attributes:
        key: the SeriesInstanceUID, or ``UID.geometry-hash`` when one UID holds several geometries.
        files: the files, sorted by slice position.
        positions: position (mm) of each file along the slice normal, increasing.
        rows, columns: the in-plane size of every slice.
        slice_spacing: the median distance (mm) between neighbouring slices (0 for a single slice).
        direction: 3x3 LPS direction matrix, columns = the array axes (row direction, column direction, normal).
        gaps: ``[(k, n_missing), ...]``: between ``files[k]`` and ``files[k + 1]`` ``n_missing`` slices are absent.
    """

    key: str
    files: list[str]
    positions: list[float]
    rows: int
    columns: int
    slice_spacing: float
    direction: list[list[float]] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def depth(self) -> int:
        """Number of slices of the uniform grid, missing slices included."""
        return len(self.files) + sum(n for _, n in self.gaps)

    @property
    def missing_slices(self) -> list[int]:
        """Indices (in the uniform grid) of the missing slices."""
        missing, offset = [], 0
        for k, n in self.gaps:
            missing.extend(range(k + offset + 1, k + offset + 1 + n))
            offset += n
        return missing

    @property
    def grid_index(self) -> list[int]:
        """Index in the uniform grid of each file."""
        index, offset, gaps = [], 0, dict(self.gaps)
        for k in range(len(self.files)):
            index.append(k + offset)
            offset += gaps.get(k, 0)
        return index

    def describe_gaps(self) -> str:
        """One line naming each gap: positions, file names and missing slice count."""
        parts = []
        for k, n in self.gaps:
            parts.append(
                f"{n} slice(s) missing between z={self.positions[k]:.2f} mm ({Path(self.files[k]).name}) and "
                f"z={self.positions[k + 1]:.2f} mm ({Path(self.files[k + 1]).name})"
            )
        return "; ".join(parts)


def _read_header(path: str):
    """The header of ``path`` (no pixel data), or ``None`` for a file that is clearly not DICOM.

    Raises:
        ValueError: a DICOM file with a damaged preamble or a truncated/corrupt header or pixel data.
    """
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_TAGS)
    except InvalidDicomError:
        pass  # no 'DICM' marker: either not DICOM, or DICOM with a damaged preamble
    except Exception as err:  # noqa: BLE001 - pydicom raises many types on corrupt headers
        raise ValueError(f"DICOM file {path} is corrupt ({type(err).__name__}: {err})") from err
    with open(path, "rb") as file:
        head = file.read(134)
    if head[132:134] == b"\x02\x00":  # a file meta group follows where the marker should be: a damaged marker
        raise ValueError(f"DICOM file {path} has a damaged preamble (bytes 128-131 are {head[128:132]!r}, not b'DICM')")
    try:
        with warnings.catch_warnings():  # a forced read of a text file warns about its "VR"
            warnings.simplefilter("ignore")
            header = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        if "ImagePositionPatient" in header or "SOPInstanceUID" in header:
            raise ValueError(
                f"DICOM file {path} has a damaged or missing preamble (no 'DICM' marker at byte 128) but holds a "
                "DICOM image"
            )
    except ValueError:
        raise
    except Exception:  # noqa: BLE001 - any parse failure on a forced read means: not a DICOM file
        pass
    return None


def _check_pixel_length(path: str, header) -> None:
    """Raise ``ValueError`` when an uncompressed file is too short to hold its pixel data (truncated copy)."""
    syntax = str(getattr(getattr(header, "file_meta", None), "TransferSyntaxUID", ""))
    if syntax not in _UNCOMPRESSED or "Rows" not in header:
        return
    frames = int(header.get("NumberOfFrames", 1) or 1)
    expected = header.Rows * header.Columns * header.get("SamplesPerPixel", 1) * header.BitsAllocated // 8 * frames
    if os.path.getsize(path) < expected:
        raise ValueError(
            f"DICOM file {path} is truncated: {os.path.getsize(path)} bytes cannot hold its {expected} bytes of pixels"
        )


def _scan(folder: Path) -> list[DicomSeries]:
    """All series of ``folder`` with their files sorted, without the uniformity check."""
    require_pydicom()
    if not folder.exists():
        raise FileNotFoundError(f"DICOM folder {folder} does not exist; check the path.")
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; pass the folder that holds the DICOM files of one series.")
    entries = [e for e in sorted(os.scandir(folder), key=lambda e: e.name) if e.is_file() and e.name[0] != "."]
    key = (os.path.realpath(folder), tuple((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries))
    if key in _CACHE:  # the CLI's checks scan first, the reader again: the files have not changed since
        return copy.deepcopy(_CACHE[key])
    groups: dict[tuple, list[tuple[float, str]]] = defaultdict(list)
    broken = []
    for entry in entries:
        try:
            header = _read_header(entry.path)
            if header is None or "ImagePositionPatient" not in header or "ImageOrientationPatient" not in header:
                continue  # not an image slice (DICOMDIR, report, text file)
            _check_pixel_length(entry.path, header)
        except ValueError as err:
            broken.append(str(err))
            continue
        orientation = np.asarray(header.ImageOrientationPatient, dtype=np.float64)
        normal = np.cross(orientation[:3], orientation[3:])
        position = float(np.dot(normal, np.asarray(header.ImagePositionPatient, dtype=np.float64)))
        geometry = (
            tuple(np.round(orientation, 4)),
            int(header.Rows),
            int(header.Columns),
            tuple(np.round(np.asarray(header.get("PixelSpacing", (1, 1)), dtype=float), 4)),
        )
        groups[(str(header.get("SeriesInstanceUID", "unknown")), geometry)].append((position, entry.path))
    if broken:
        raise ValueError(
            f"{len(broken)} file(s) in {folder} cannot be read: {'; '.join(broken)}. Replace them with intact copies, "
            "or move them out of the folder."
        )
    if not groups:
        raise ValueError(
            f"no DICOM series found in {folder}; pass the folder that holds the DICOM files of one series."
        )
    per_uid = defaultdict(int)
    for uid, _ in groups:
        per_uid[uid] += 1
    series = []
    for (uid, geometry), items in groups.items():
        items.sort()
        positions = [p for p, _ in items]
        steps = np.diff(positions)
        spacing = float(np.median(steps)) if len(steps) else 0.0
        uid_key = uid if per_uid[uid] == 1 else f"{uid}.{hashlib.sha1(repr(geometry).encode()).hexdigest()[:8]}"
        row, col = np.asarray(geometry[0][:3]), np.asarray(geometry[0][3:])
        direction = np.stack([row, col, np.cross(row, col)], axis=1).tolist()
        series.append(
            DicomSeries(uid_key, [f for _, f in items], positions, geometry[1], geometry[2], spacing, direction)
        )
    while len(_CACHE) >= 4:  # a few folders are enough for scan-then-read (image, masks); no growth
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = copy.deepcopy(series)
    return series


def _check_uniform(series: DicomSeries, folder: Path, allow_gaps: bool) -> None:
    """Fill ``series.gaps`` or raise ``ValueError`` naming duplicated, missing or misplaced slices."""
    positions, files = np.asarray(series.positions), series.files
    steps = np.diff(positions)
    if not len(steps):
        return
    tol = POSITION_RTOL * max(abs(series.slice_spacing), 1e-6)
    duplicates = [k for k, s in enumerate(steps) if abs(s) <= tol]
    if duplicates:
        pairs = "; ".join(
            f"{Path(files[k]).name} and {Path(files[k + 1]).name} both at z={positions[k]:.2f} mm" for k in duplicates
        )
        raise ValueError(f"DICOM series in {folder} has duplicated slices: {pairs}. Remove the duplicates.")
    spacing = float(np.median(steps))
    ratio = steps / spacing
    whole = np.round(ratio)
    off_grid = [k for k in range(len(steps)) if abs(ratio[k] - whole[k]) > POSITION_RTOL]
    if off_grid:
        jumps = "; ".join(
            f"{Path(files[k]).name} z={positions[k]:.2f} mm -> {Path(files[k + 1]).name} z={positions[k + 1]:.2f} mm"
            for k in off_grid[:5]
        )
        raise ValueError(
            f"DICOM series in {folder} has non-uniform slice positions (usual distance {spacing:.3f} mm): {jumps}."
        )
    series.slice_spacing = spacing
    series.gaps = [(k, int(whole[k]) - 1) for k in range(len(steps)) if whole[k] > 1]
    if series.gaps and not allow_gaps:
        raise ValueError(
            f"DICOM series in {folder} is not contiguous: {series.describe_gaps()}. Add the missing files, or pass "
            "--allow-gaps (allow_gaps=True) to propagate across the gap, leaving the missing slices empty."
        )


def scan_dicom_series(
    folder: os.PathLike | str, series_uid: str | None = None, *, allow_gaps: bool = False
) -> DicomSeries:
    """Scan the headers of the DICOM series in ``folder`` and check that its slices are uniformly spaced.

    Args:
        folder: a folder of DICOM files (not searched recursively); non-DICOM files are ignored.
        series_uid: which series when the folder holds several (a key of :func:`list_dicom_series`).
        allow_gaps: accept missing slices (distances that are whole multiples of the usual one); they are listed in
            ``gaps``. Duplicated and off-grid slices are always refused.

    Returns:
        The :class:`DicomSeries`.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: no series, several and no ``series_uid``, an unknown ``series_uid``, a file that cannot be read
            (corrupt, truncated, damaged preamble; named), or a duplicated, missing or misplaced slice (named).
        ImportError: pydicom is not installed.

    Example:
        >>> series = scan_dicom_series("monai_refine/data/sample/ircad_patient17_slab/PATIENT_DICOM")
        >>> series.depth, round(series.slice_spacing, 3), Path(series.files[0]).name, series.gaps
        (24, 1.6, 'image_60', [])
    """
    folder = Path(folder)
    found = {s.key: s for s in _scan(folder)}
    if series_uid is None:
        if len(found) > 1:
            listing = "; ".join(
                f"{k} ({len(s.files)} files: {Path(s.files[0]).name} ... {Path(s.files[-1]).name})"
                for k, s in found.items()
            )
            raise ValueError(
                f"{folder} holds {len(found)} DICOM series; pass series_uid= (CLI: --series-uid) one of: {listing}."
            )
        series = next(iter(found.values()))
    elif series_uid not in found:
        raise ValueError(f"series_uid={series_uid!r} is not in {folder}; it holds: {sorted(found)}.")
    else:
        series = found[series_uid]
    _check_uniform(series, folder, allow_gaps)
    return series


def list_dicom_series(folder: os.PathLike | str) -> dict[str, list[str]]:
    """List the DICOM series in ``folder``, each with its files sorted by slice position (not by file name).

    Args:
        folder: a folder of DICOM files (not searched recursively); non-DICOM files are ignored.

    Returns:
        ``{series_uid: [file, ...]}``. ``series_uid`` is the SeriesInstanceUID (0020,000E); where one UID holds several
        sub-series of different geometry (orientation, size, pixel spacing), each gets ``UID.<hash>`` instead. Pass a
        key as ``series_uid=`` to :func:`monai_refine.data.load_image`.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: ``folder`` holds no DICOM series, or a truncated/corrupt DICOM file.

    Example:
        >>> series = list_dicom_series("monai_refine/data/sample/ircad_patient17_slab/PATIENT_DICOM")
        >>> [[Path(f).name for f in files][:3] for files in series.values()]
        [['image_60', 'image_61', 'image_62']]
    """
    return {s.key: list(s.files) for s in _scan(Path(folder))}


def image_size(path: os.PathLike | str) -> Sequence[int]:
    """Spatial size ``(X, Y[, Z])`` of an image file from its header (SimpleITK, no pixel data)."""
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as err:
        raise ValueError(f"could not read {path} (corrupt or unsupported file?): {str(err).strip()[-200:]}") from err
    return reader.GetSize()
