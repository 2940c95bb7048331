"""The ``dicomcore`` command (``python -m dicomcore``).

Subcommands:

``dump FILE``
    Print a file's dataset in the familiar dump format.
``demo``
    Generate a small realistic CT study, then read, dump, write back and verify
    each file, printing a table of sizes and speeds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def _dump(args: argparse.Namespace) -> int:
    from dicomcore import config
    from dicomcore.dataelem import DataElement
    from dicomcore.filereader import dcmread

    DataElement.maxBytesToDisplay = args.max_value_length
    ds = dcmread(args.file, stop_before_pixels=args.stop_before_pixels, force=args.force)
    if not args.private:
        ds.remove_private_tags()
    config.show_file_meta = True
    print(ds)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from dicomcore.filereader import dcmread
    from dicomcore.filewriter import dcmwrite
    from dicomcore.synthetic import ct_study

    with tempfile.TemporaryDirectory(prefix="dicomcore-demo-") as folder:
        root = Path(folder)
        paths = ct_study(root / "study", slices=args.slices, size=args.size)
        print(f"Generated a CT study of {len(paths)} slices ({args.size}x{args.size}, 16-bit) in {root}\n")
        first = dcmread(paths[0], stop_before_pixels=True)
        print(f"Header of {paths[0].name}:")
        print(first)
        print()
        rows = []
        failures = 0
        for path in paths:
            original = path.read_bytes()
            start = time.perf_counter()
            ds = dcmread(path)
            for elem in ds.iterall():
                elem.value  # noqa: B018  (decode every value)
            read_s = time.perf_counter() - start
            target = root / "written" / path.name
            target.parent.mkdir(exist_ok=True)
            start = time.perf_counter()
            dcmwrite(target, ds)
            write_s = time.perf_counter() - start
            identical = target.read_bytes() == original
            again = dcmread(target)
            same_values = all(again[e.tag].value == e.value for e in ds if e.tag != 0x7FE00010)
            same_values = same_values and again.PixelData == ds.PixelData
            ok = identical and same_values
            failures += not ok
            rows.append((path.name, len(original), read_s, write_s, ok))
        print(f"{'file':<16}{'bytes':>10}{'read+decode ms':>16}{'write ms':>10}  verified")
        for name, size, read_s, write_s, ok in rows:
            print(f"{name:<16}{size:>10}{read_s * 1e3:>16.2f}{write_s * 1e3:>10.2f}  "
                  f"{'byte-identical' if ok else 'MISMATCH'}")
        print(f"\n{len(rows) - failures} of {len(rows)} files written back byte-identical "
              "with the same values.")
        return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicomcore", description="Fast DICOM tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    dump = commands.add_parser("dump", help="print a file's dataset")
    dump.add_argument("file", type=Path)
    dump.add_argument("--stop-before-pixels", action="store_true", help="do not read pixel data")
    dump.add_argument("--private", action="store_true", help="show private elements")
    dump.add_argument("--max-value-length", type=int, default=16, metavar="N",
                      help="summarise values longer than N items (default 16)")
    dump.add_argument("--force", action="store_true", help="read files without the DICM prefix")
    dump.set_defaults(run=_dump)

    demo = commands.add_parser("demo", help="generate a study, read, dump, write back, verify")
    demo.add_argument("--slices", type=int, default=8)
    demo.add_argument("--size", type=int, default=256)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
