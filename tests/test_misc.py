"""dicomcore.misc: is_dicom and size_in_bytes, against pydicom 3's."""

from __future__ import annotations

import math
from pathlib import Path

import pydicom.misc
import pytest

import datafiles
from dicomcore.misc import is_dicom, size_in_bytes


@pytest.mark.parametrize("path", datafiles.all_files(), ids=datafiles.file_id)
def test_is_dicom_agrees_with_pydicom(path: Path) -> None:
    assert is_dicom(path) == pydicom.misc.is_dicom(path)


def test_is_dicom_on_short_and_prefixless_files(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_bytes(b"DICM")
    assert not is_dicom(short)
    shifted = tmp_path / "shifted"
    shifted.write_bytes(b"\0" * 127 + b"DICM" + b"\0" * 10)
    assert not is_dicom(shifted)
    good = tmp_path / "good"
    good.write_bytes(b"\0" * 128 + b"DICM")
    assert is_dicom(str(good))


@pytest.mark.parametrize("expr", [
    None, 0, 10, 2.5, math.inf, "10", "1 kb", "1 KB", "2 MB", "3 gb", "1.5 kb", "1kb",
    ".5 kb", "-1 kb",
])
def test_size_in_bytes_agrees_with_pydicom(expr) -> None:
    ours, theirs = size_in_bytes(expr), pydicom.misc.size_in_bytes(expr)
    assert ours == theirs
    assert type(ours) is type(theirs)


@pytest.mark.parametrize(("expr", "expected"), [
    # pydicom refuses these; a bytes unit, padding and exponents are plain enough.
    ("10 B", 10.0), (" 2 mb ", 2e6), ("1e3 kb", 1e6),
])
def test_size_in_bytes_reads_what_pydicom_refuses(expr: str, expected: float) -> None:
    assert size_in_bytes(expr) == expected


@pytest.mark.parametrize("expr", ["", "x", "1 tb", "kb", "1 k b", "1..5 kb"])
def test_size_in_bytes_rejects_what_is_not_a_size(expr: str) -> None:
    with pytest.raises(ValueError, match="Unable to parse the size"):
        size_in_bytes(expr)
    with pytest.raises(ValueError, match="Unable to parse defer_size"):
        import dicomcore

        dicomcore.dcmread(datafiles.get("CT_small.dcm"), defer_size=expr)
