"""``dicomcore dump FILE``: a dataset in the familiar dump format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "dump_text"]


def dump_text(
    path: Path,
    *,
    stop_before_pixels: bool = False,
    private: bool = False,
    max_value_length: int = 16,
    force: bool = False,
) -> str:
    """The dump of the file at ``path``, as ``print(dataset)`` shows it.

    Parameters
    ----------
    path : Path
    stop_before_pixels : bool
        Do not read (7FE0,0010) Pixel Data and what follows it.
    private : bool
        Keep private elements (odd groups, PS3.5 Section 7.8); left out by default.
    max_value_length : int
        Values with more items or bytes than this are summarised.
    force : bool
        Read a file without the DICM prefix (PS3.10 Section 7.1).
    """
    from dicomcore import config
    from dicomcore.dataelem import DataElement
    from dicomcore.filereader import dcmread

    ds = dcmread(path, stop_before_pixels=stop_before_pixels, force=force)
    if not private:
        ds.remove_private_tags()
    previous = (DataElement.maxBytesToDisplay, config.show_file_meta)
    DataElement.maxBytesToDisplay = max_value_length
    config.show_file_meta = True
    try:
        return str(ds)
    finally:
        DataElement.maxBytesToDisplay, config.show_file_meta = previous


def _run(args: argparse.Namespace) -> int:
    from dicomcore.errors import InvalidDicomError

    try:
        text = dump_text(
            args.file,
            stop_before_pixels=args.stop_before_pixels,
            private=args.private,
            max_value_length=args.max_value_length,
            force=args.force,
        )
    except (OSError, InvalidDicomError, ValueError) as exc:
        print(f"dicomcore dump: error: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(text)
    return 0


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_parser(commands: Any) -> None:
    """Add the ``dump`` subcommand to ``commands``."""
    dump = commands.add_parser(
        "dump", help="print a file's dataset",
        description="Print the file meta information and dataset of FILE, one element a "
                    "line, sequences indented.",
    )
    dump.add_argument("file", type=Path, metavar="FILE")
    dump.add_argument("--stop-before-pixels", action="store_true",
                      help="do not read the pixel data")
    dump.add_argument("--private", action="store_true", help="show private elements")
    dump.add_argument("--max-value-length", type=_non_negative, default=16, metavar="N",
                      help="summarise values longer than N items or bytes (default 16)")
    dump.add_argument("--force", action="store_true",
                      help="read files without the DICM prefix")
    dump.set_defaults(run=_run)
