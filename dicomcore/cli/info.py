"""``dicomcore info PATH...``: one line per file saying what its pixel data is."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicomcore.cli.convert import describe_failure
from dicomcore.cli.files import TEMPORARY_SUFFIX

__all__ = ["FileInfo", "add_parser", "file_info", "format_info", "iter_files"]

_PIXEL_DATA = 0x7FE00010


@dataclass(frozen=True)
class FileInfo:
    """What ``info`` prints about one file; ``error`` is set when it is not readable."""

    path: str
    size: int
    transfer_syntax: str = ""
    frames: str = ""
    dimensions: str = ""
    bits: str = ""
    photometric: str = ""
    error: str = ""


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Each path that is a file, and every file below each folder (sorted)."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if not file.name.endswith(TEMPORARY_SUFFIX):
                    yield file
        else:
            yield path


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def file_info(path: Path, force: bool = False) -> FileInfo:
    """Read the header of ``path`` (pixel data is not decoded).

    Frames are (0028,0008) Number of Frames, 1 for a single-frame image and
    "-" without Pixel Data; bits are "(0028,0101) Bits Stored/(0028,0100) Bits
    Allocated" (PS3.3 C.7.6.3).
    """
    from dicomcore.filereader import dcmread
    from dicomcore.uid import UID

    try:
        size = path.stat().st_size
    except OSError as exc:
        return FileInfo(str(path), 0, error=f"cannot read: {exc.strerror or exc}")
    try:
        ds = dcmread(path, force=force)
        meta = ds.__dict__.get("file_meta")
        syntax = _text(meta.get("TransferSyntaxUID") if meta is not None else None)
        name = (UID(syntax).keyword or syntax) if syntax else "(no transfer syntax)"
        has_pixels = _PIXEL_DATA in ds
        rows, columns = ds.get("Rows"), ds.get("Columns")
        frames = _text(ds.get("NumberOfFrames")) or ("1" if has_pixels else "-")
        stored, allocated = ds.get("BitsStored"), ds.get("BitsAllocated")
        return FileInfo(
            str(path), size, name,
            frames=frames if has_pixels else "-",
            dimensions=f"{rows}x{columns}" if rows is not None and columns is not None else "-",
            bits=f"{stored}/{allocated}" if allocated is not None else "-",
            photometric=_text(ds.get("PhotometricInterpretation")) or "-",
        )
    except Exception as exc:  # noqa: BLE001  (one bad file must not stop the listing)
        return FileInfo(str(path), size, error=describe_failure(exc))


def format_info(info: FileInfo, path_width: int) -> str:
    """One line: path, transfer syntax, size, frames, rows x columns, bits, photometric."""
    if info.error:
        return f"{info.path:<{path_width}}  ERROR {info.error}"
    return (
        f"{info.path:<{path_width}}  {info.transfer_syntax:<26}  {info.size:>11}  "
        f"{info.frames:>6}  {info.dimensions:>11}  {info.bits:>5}  {info.photometric}"
    )


def _run(args: argparse.Namespace) -> int:
    missing = [path for path in args.paths if not path.exists()]
    for path in missing:
        print(f"dicomcore info: error: {path}: no such file or folder", file=sys.stderr)
    files = list(iter_files([path for path in args.paths if path.exists()]))
    width = max((len(str(p)) for p in files), default=4)
    if not args.no_header:
        print(f"{'file':<{width}}  {'transfer syntax':<26}  {'bytes':>11}  {'frames':>6}  "
              f"{'rows x cols':>11}  {'bits':>5}  photometric")
    failures = len(missing)
    for path in files:
        info = file_info(path, force=args.force)
        failures += bool(info.error)
        print(format_info(info, width), flush=False)
    sys.stdout.flush()
    return 1 if failures else 0


def add_parser(commands: Any) -> None:
    """Add the ``info`` subcommand to ``commands``."""
    info = commands.add_parser(
        "info", help="one line per file: transfer syntax, size, frames, dimensions, bits",
        description="For each file (folders are searched recursively) print its transfer "
                    "syntax, size in bytes, number of frames, rows x columns, bits stored/"
                    "allocated and photometric interpretation. A file that cannot be read "
                    "gets a line saying why, and the exit status is then 1.",
    )
    info.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    info.add_argument("--force", action="store_true", help="read files without the DICM prefix")
    info.add_argument("--no-header", action="store_true", help="leave out the column titles")
    info.set_defaults(run=_run)
