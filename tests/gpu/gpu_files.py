"""Real DICOM files from datafiles, grouped by transfer syntax (read once, with pydicom)."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pydicom

import datafiles

NATIVE = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
)
RLE = ("1.2.840.10008.1.2.5",)


@functools.cache
def _images() -> list[tuple[Path, str]]:
    """Every real file with pixel data that pydicom reads, with its transfer syntax."""
    found = []
    for path in datafiles.all_files():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, defer_size="1 KB")
        except Exception:
            continue
        meta = getattr(ds, "file_meta", None)
        uid = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
        if "PixelData" in ds and "Rows" in ds and uid:
            found.append((path, uid))
    return found


def with_syntax(*uids: str) -> list[Path]:
    return [path for path, uid in _images() if uid in uids]


def params(paths: list[Path]) -> list:
    import pytest

    return [pytest.param(p, id=datafiles.file_id(p)) for p in paths]
