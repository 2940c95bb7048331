"""``dicomcore info``: one line per file, checked against pydicom 3."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pydicom
import pytest
from cli_support import copy_real_files, not_dicom
from pydicom.errors import InvalidDicomError

import datafiles
from dicomcore.cli.info import _run, file_info, format_info, iter_files

DICOM_TEST_FILES = [p for p in datafiles.test_files() if p.suffix == ".dcm"]


def pydicom_read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path)
        except InvalidDicomError:
            return None


@pytest.mark.parametrize("path", DICOM_TEST_FILES, ids=datafiles.file_id)
@pytest.mark.filterwarnings("ignore")
def test_info_matches_pydicom(path: Path) -> None:
    expected = pydicom_read(path)
    info = file_info(path)
    assert info.size == path.stat().st_size
    if expected is None:
        assert info.error.startswith("not a DICOM file")
        return
    if info.error:
        pytest.fail(f"{path.name}: {info.error}")
    syntax = expected.file_meta.get("TransferSyntaxUID")
    if syntax:
        assert info.transfer_syntax == (syntax.keyword or str(syntax))
    if "PixelData" in expected:
        assert info.frames == str(expected.get("NumberOfFrames") or 1).strip()
    else:
        assert info.frames == "-"
    if "Rows" in expected and "Columns" in expected:
        assert info.dimensions == f"{expected.Rows}x{expected.Columns}"
    if "BitsAllocated" in expected:
        assert info.bits == f"{expected.get('BitsStored')}/{expected.BitsAllocated}"
    assert info.photometric == (str(expected.get("PhotometricInterpretation") or "").strip()
                                or "-")


def test_a_line_per_file_and_an_error_line(tmp_path: Path, capsys) -> None:
    copy_real_files(tmp_path, {"a/CT_small.dcm": "CT_small.dcm",
                               "b/emri_small.dcm": "emri_small.dcm"})
    not_dicom(tmp_path / "b" / "readme.txt")
    status = _run(argparse.Namespace(paths=[tmp_path, tmp_path / "missing"], force=False,
                                     no_header=False))
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert status == 1
    assert "missing: no such file or folder" in captured.err
    assert lines[0].split() == ["file", "transfer", "syntax", "bytes", "frames", "rows", "x",
                                "cols", "bits", "photometric"]
    assert lines[1].split() == [str(tmp_path / "a" / "CT_small.dcm"), "ExplicitVRLittleEndian",
                                "39206", "1", "128x128", "16/16", "MONOCHROME2"]
    assert lines[2].split() == [str(tmp_path / "b" / "emri_small.dcm"),
                                "ExplicitVRLittleEndian", "84256", "10", "64x64", "12/16",
                                "MONOCHROME2"]
    assert lines[3].split()[:5] == [str(tmp_path / "b" / "readme.txt"), "ERROR", "not", "a",
                                    "DICOM"]
    assert "--force" in lines[3]
    assert len(lines) == 4


def test_folders_are_searched_and_temporaries_left_out(tmp_path: Path) -> None:
    copy_real_files(tmp_path, {"x/y/MR_small.dcm": "MR_small.dcm"})
    (tmp_path / "x" / ".MR_small.dcm.1234.dicomcore-tmp").write_bytes(b"")
    single = tmp_path / "x" / "y" / "MR_small.dcm"
    assert list(iter_files([tmp_path, single])) == [single, single]


def test_format_info_columns() -> None:
    info = file_info(datafiles.get("JPEG2000.dcm"))
    line = format_info(info, 10)
    assert line.split()[1:] == ["JPEG2000", "3308", "1", "1024x256", "16/16", "MONOCHROME2"]
