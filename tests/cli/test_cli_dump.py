"""``dicomcore dump``: the dump format of pydicom 3, with its options."""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path

import pydicom
import pytest
from cli_support import not_dicom
from pydicom.dataelem import DataElement as PydicomElement

import datafiles
from dicomcore.cli.dump import _run, dump_text
from dicomcore.dataelem import DataElement

NAMES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "emri_small.dcm", "JPEG2000.dcm",
         "SC_rgb.dcm", "nested_priv_SQ.dcm", "DICOMDIR", "chrH31.dcm", "US1_UNCR.dcm"]


def pydicom_dump(path: Path, *, private: bool, stop: bool, length: int) -> str:
    saved = PydicomElement.maxBytesToDisplay
    PydicomElement.maxBytesToDisplay = length
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=stop)
            if not private:
                ds.remove_private_tags()
            return str(ds)
    finally:
        PydicomElement.maxBytesToDisplay = saved


_TAG = re.compile(r"(\s*\(([0-9A-F]{4}),[0-9A-F]{4}\))")


def _private_neutral(line: str) -> str:
    match = _TAG.match(line)
    if match and int(match.group(2), 16) % 2:
        return match.group(1)
    return line


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("private", "stop", "length"),
                         [(False, False, 16), (True, False, 16), (False, True, 4)])
def test_dump_is_pydicoms(name: str, private: bool, stop: bool, length: int) -> None:
    path = datafiles.get(name)
    ours = dump_text(path, private=private, stop_before_pixels=stop, max_value_length=length)
    theirs = pydicom_dump(path, private=private, stop=stop, length=length)
    assert DataElement.maxBytesToDisplay == 16  # the option does not leak
    if not private:
        assert ours == theirs
        return
    # dicomcore ships no private dictionary (a deliberate difference): private
    # elements are the same tags in the same places, named "Private tag data".
    assert [_private_neutral(line) for line in ours.splitlines()] == [
        _private_neutral(line) for line in theirs.splitlines()
    ]


def test_private_elements_only_on_request() -> None:
    path = datafiles.get("CT_small.dcm")
    assert "(0043,104E)" not in dump_text(path)
    assert "(0043,104E) Private tag data                    FL: 10.60060977935791" in (
        dump_text(path, private=True).splitlines()
    )


def test_a_file_that_is_not_dicom_is_an_error(tmp_path: Path, capsys) -> None:
    args = argparse.Namespace(file=not_dicom(tmp_path / "notes.txt"), stop_before_pixels=False,
                              private=False, max_value_length=16, force=False)
    assert _run(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"dicomcore dump: error: {tmp_path / 'notes.txt'}: ")
    assert "DICM" in captured.err
