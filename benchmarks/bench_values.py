"""Benchmark raw-bytes -> value conversion: dicomcore.values against pydicom 3.

Two measurements, both with ``timeit`` in one process:

* per VR: one typical encoded value of each common VR, converted by
  ``dicomcore.values.convert_value`` and by ``pydicom.values.convert_value``
  (pydicom's conversion only, without its DataElement creation);
* real files: every non-sequence value of a few of pydicom's test files
  (pixel data left out), converted one after the other.

Figures are ns per value, best of several runs; ratios matter more than
absolute figures on a shared machine. Writes ``benchmarks/results/values.json``.

    python3 benchmarks/bench_values.py          # about ten seconds
    python3 benchmarks/bench_values.py --quick  # a few seconds
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import timeit
import warnings

import bench_setup  # first: sets up sys.path and the OpenBLAS threads

ROOT = bench_setup.ROOT

import pydicom  # noqa: E402
import pydicom.values  # noqa: E402
from pydicom.dataelem import RawDataElement  # noqa: E402

import datafiles  # noqa: E402
from dicomcore import values  # noqa: E402

TYPICAL = [
    ("US", b"\x00\x02"),
    ("UL", b"\x10\x00\x00\x00"),
    ("SS", b"\xff\xff"),
    ("FL", b"\x00\x00\xc0\x3f"),
    ("FD", b"\x00\x00\x00\x00\x00\x00\xf8\x3f"),
    ("US", b"\x01\x00\x02\x00\x03\x00"),
    ("CS", b"MR"),
    ("CS", b"ORIGINAL\\PRIMARY\\AXIAL "),
    ("LO", b"SIEMENS "),
    ("SH", b"STATION1"),
    ("UI", b"1.2.840.10008.5.1.4.1.1.4\x00"),
    ("DS", b"0.48828125"),
    ("DS", b"1.0\\0.0\\0.0\\0.0\\1.0\\0.0 "),
    ("IS", b"512 "),
    ("DA", b"20200101"),
    ("TM", b"101010.123456 "),
    ("PN", b"Doe^John^^Dr "),
]
FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "emri_small.dcm",
         "JPEG2000.dcm", "SC_rgb.dcm", "US1_J2KR.dcm"]  # fmt: skip


def best_ns(function, number: int, repeat: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number * 1e9


def raw_element(vr: str, raw: bytes, little: bool = True) -> RawDataElement:
    return RawDataElement(pydicom.tag.Tag(0x00091001), vr, len(raw), raw, 0, False, little)


def file_values() -> list[tuple[str, bytes, bool, list[str], RawDataElement]]:
    """(VR, raw bytes, byte order, encodings, raw element) of every value."""
    found = []

    def walk(ds: pydicom.Dataset) -> None:
        encodings = ds._character_set
        encodings = [encodings] if isinstance(encodings, str) else list(encodings)
        for tag, raw in list(ds._dict.items()):
            elem = ds[tag]
            if elem.VR == "SQ":
                for item in elem.value:
                    walk(item)
            elif isinstance(raw, RawDataElement) and raw.value is not None and tag != 0x7FE00010:
                found.append((elem.VR, raw.value, raw.is_little_endian, encodings, raw))

    for name in FILES:
        walk(pydicom.dcmread(datafiles.get(name), force=True))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    number, repeat = (20_000, 3) if args.quick else (100_000, 7)
    warnings.simplefilter("ignore")
    ours = values.convert_value
    theirs = pydicom.values.convert_value

    rows = []
    print(f"{'VR':4} {'value':34} {'dicomcore ns':>12} {'pydicom ns':>11} {'ratio':>6}")
    for vr, raw in TYPICAL:
        element = raw_element(vr, raw)
        fast = best_ns(lambda vr=vr, raw=raw: ours(vr, raw, True, None), number, repeat)
        slow = best_ns(lambda vr=vr, e=element: theirs(vr, e, None), number // 10, repeat)
        rows.append({"vr": vr, "raw": raw.decode("latin_1"), "dicomcore_ns": fast,
                     "pydicom_ns": slow})  # fmt: skip
        print(f"{vr:4} {raw!r:34.34} {fast:12.0f} {slow:11.0f} {slow / fast:6.1f}")

    items = file_values()

    def convert_all_ours() -> None:
        for vr, raw, little, encodings, _ in items:
            ours(vr, raw, little, encodings)

    def convert_all_theirs() -> None:
        for vr, _, _, encodings, element in items:
            theirs(vr, element, encodings)

    loops = max(number // 2000, 5)
    fast = best_ns(convert_all_ours, loops, repeat) / len(items)
    slow = best_ns(convert_all_theirs, max(loops // 10, 2), repeat) / len(items)
    print(f"\n{len(items)} values of {len(FILES)} real files: dicomcore {fast:.0f} ns/value, "
          f"pydicom {slow:.0f} ns/value, ratio {slow / fast:.1f}")  # fmt: skip

    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "values.json").write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": sys.version.split()[0],
                "accelerated": values._accelerated is not None,
                "typical": rows,
                "real_files": {"values": len(items), "dicomcore_ns": fast, "pydicom_ns": slow},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
