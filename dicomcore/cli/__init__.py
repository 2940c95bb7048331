"""The ``dicomcore`` command: ``dump``, ``info``, ``compress``, ``decompress``, ``demo``.

Installed as the ``dicomcore`` console script and run by ``python -m dicomcore``.
Each subcommand lives in its own module and adds its parser here; ``--help``
works for every one.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from dicomcore.cli import compress, demo, dump, info

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dicomcore`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="dicomcore",
        description="Fast DICOM tools: inspect files, and compress or decompress whole "
                    "archives in parallel, safely.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dump.add_parser(commands)
    info.add_parser(commands)
    compress.add_parsers(commands)
    demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dicomcore`` command with ``argv`` (default: the process's arguments).

    Returns
    -------
    int
        The exit status: 0 on success, 1 when a file failed, 2 for a wrong command
        line, 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    return int(args.run(args))
