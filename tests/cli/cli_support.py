"""Shared helpers for the command's tests: trees of real files, running the command."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import datafiles

REPOSITORY = Path(__file__).resolve().parents[2]

# Real files covering the layouts a converter meets: signed and unsigned
# grey, 8- and 16-bit RGB, YBR_FULL, multi-frame, implicit VR, big endian, and
# inputs already compressed (RLE, JPEG-LS, JPEG 2000, lossless JPEG).
NATIVE_FILES = {
    "ct/CT_small.dcm": "CT_small.dcm",
    "mr/MR_small.dcm": "MR_small.dcm",
    "mr/MR_small_implicit.dcm": "MR_small_implicit.dcm",
    "mr/MR_small_bigendian.dcm": "MR_small_bigendian.dcm",
    "color/SC_rgb.dcm": "SC_rgb.dcm",
    "color/SC_rgb_2frame.dcm": "SC_rgb_2frame.dcm",
    "color/SC_rgb_16bit.dcm": "SC_rgb_16bit.dcm",
    "color/SC_ybr_full_uncompressed.dcm": "SC_ybr_full_uncompressed.dcm",
    "multiframe/emri_small.dcm": "emri_small.dcm",
}
COMPRESSED_FILES = {
    "compressed/MR_small_RLE.dcm": "MR_small_RLE.dcm",
    "compressed/MR_small_jpeg_ls_lossless.dcm": "MR_small_jpeg_ls_lossless.dcm",
    "compressed/JPEG2000.dcm": "JPEG2000.dcm",
    "compressed/JPEG-LL.dcm": "JPEG-LL.dcm",
}
NO_PIXEL_FILES = {"rt/rtplan.dcm": "rtplan.dcm"}


def copy_real_files(root: Path, files: dict[str, str]) -> dict[str, Path]:
    """Copy real test files into ``root`` at the given relative paths."""
    placed = {}
    for relative, name in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(datafiles.get(name), target)
        placed[relative] = target
    return placed


def corrupt_copy(name: str, target: Path) -> Path:
    """A real file whose Pixel Data length runs past the end of the file."""
    data = bytearray(datafiles.get(name).read_bytes())
    position = data.rindex(b"\xe0\x7f\x10\x00")
    data[position + 8:position + 12] = struct.pack("<I", 0x7FFFFFF0)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(data))
    return target


def not_dicom(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("Scanner export notes: not a DICOM file.\n" * 20)
    return target


def run_command(*args: str | os.PathLike[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m dicomcore ARGS`` from the repository root (the checkout's package)."""
    return subprocess.run(
        [sys.executable, "-m", "dicomcore", *map(str, args)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=timeout,
    )


def temporary_leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".dicomcore-tmp")]
