"""dicomcore.values against pydicom 3 over every real test file, plus unit
and property tests of the raw-bytes <-> value conversion per VR."""

from __future__ import annotations

import datetime
import math
import struct
import warnings
from decimal import Decimal
from typing import Any

import datafiles
import numpy as np
import pydicom
import pydicom.config
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import writers as pydicom_writers
from pydicom.multival import MultiValue as PydicomMultiValue

from dicomcore import config, values
from dicomcore.charset import convert_encodings
from dicomcore.errors import BytesLengthException
from dicomcore.multival import MultiValue
from dicomcore.valuerep import DA, DT, IS, TM, DSdecimal, DSfloat, ISfloat, PersonName

IMPLEMENTATIONS = {"python": (values.convert_value_py, values.encode_value_py)}
if values._accelerated is not None:
    IMPLEMENTATIONS["cython"] = (values._accelerated.convert_value, values._accelerated.encode_value)

LUT_DESCRIPTOR_TAGS = {0x00281101, 0x00281102, 0x00281103, 0x00283002}
CUSTOMIZABLE = {"SH", "LO", "ST", "LT", "UC", "UT", "PN"}
BIG_BYTES = 1 << 16


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def impl(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    return IMPLEMENTATIONS[request.param]


def test_accelerator_is_built() -> None:
    # The Cython module is what users get; make a missing build visible.
    assert values._accelerated is not None, "build with DICOMCORE_ONLY=_values"
    assert values.convert_value is values._accelerated.convert_value


# --------------------------------------------------------------------------
# pydicom as oracle
# --------------------------------------------------------------------------


def pydicom_elements(ds: pydicom.Dataset, little: bool, implicit: bool) -> list[tuple]:
    """(raw element, converted element or exception, encodings) for every
    non-sequence element, recursing into sequence items."""
    found = []
    raws = dict(ds._dict)
    encodings = ds._character_set
    for tag, raw in raws.items():
        try:
            elem = ds[tag]
        except Exception as exc:  # noqa: BLE001 - compared with ours below
            if isinstance(raw, RawDataElement) and raw.VR not in (None, "SQ") and raw.value:
                found.append((raw, exc, encodings))
            continue
        if elem.VR == "SQ":
            for item in elem.value:
                found.extend(pydicom_elements(item, little, implicit))
            continue
        if isinstance(raw, RawDataElement):
            if raw.value is None and raw.length == 0:
                raw = raw._replace(value=b"")  # pydicom keeps some empty values as None
            if raw.value is not None:
                found.append((raw, elem, encodings))
    return found


def read_with_pydicom(path) -> tuple[pydicom.Dataset, list[tuple]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, force=True)
        except Exception as exc:  # noqa: BLE001
            pytest.skip(f"pydicom cannot read this file: {exc!r}")
        little = ds.original_encoding[1] if ds.original_encoding[1] is not None else True
        implicit = bool(ds.original_encoding[0])
        elements = pydicom_elements(ds, little, implicit)
        if getattr(ds, "file_meta", None) is not None:
            elements += pydicom_elements(ds.file_meta, True, False)
    return ds, elements


def expected_class_name(theirs: Any) -> str:
    name = type(theirs).__name__
    if name == "UID" and values.uid_class() is str:
        return "str"
    if name == "BaseTag" and values.tag_class() is int:
        return "int"
    return name


def assert_same_value(mine: Any, theirs: Any, where: str) -> None:
    if isinstance(theirs, PydicomMultiValue | list | np.ndarray):
        expected = "MultiValue" if isinstance(theirs, PydicomMultiValue) else type(theirs).__name__
        assert type(mine).__name__ == expected, where
        assert len(mine) == len(theirs), where
        for index, (a, b) in enumerate(zip(mine, theirs)):
            assert_same_value(a, b, f"{where}[{index}]")
        return
    assert type(mine).__name__ == expected_class_name(theirs), f"{where}: {mine!r} vs {theirs!r}"
    if isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(mine), where
    elif isinstance(theirs, pydicom.valuerep.PersonName):
        assert str(mine) == str(theirs), where
        assert mine.components == theirs.components, where
        assert mine == theirs, where
    elif isinstance(theirs, pydicom.valuerep.DSfloat | pydicom.valuerep.IS | pydicom.valuerep.ISfloat):
        assert str(mine) == str(theirs), where
        assert float(mine) == float(theirs) or math.isnan(float(theirs)), where
    else:
        assert mine == theirs, f"{where}: {mine!r} != {theirs!r}"


def pydicom_encoded(elem: pydicom.DataElement, little: bool, encodings: list[str]) -> bytes | None:
    """What pydicom's writer produces for the element's value, or None if it fails."""
    fp = DicomBytesIO()
    fp.is_little_endian = little
    fp.is_implicit_VR = False
    writer, struct_format = pydicom_writers[elem.VR]
    try:
        if elem.is_empty:
            return b""
        if elem.VR in CUSTOMIZABLE:
            writer(fp, elem, encodings=encodings)
        elif struct_format is not None:
            writer(fp, elem, struct_format)
        else:
            writer(fp, elem)
    except Exception:  # noqa: BLE001
        return None
    data = fp.getvalue()
    return data + b"\x00" if len(data) % 2 else data


def check_file(path, convert, encode) -> int:
    _, elements = read_with_pydicom(path)
    checked = 0
    for raw, elem, encodings in elements:
        where = f"{datafiles.file_id(path)} {raw.tag} {getattr(elem, 'VR', raw.VR)}"
        little = raw.is_little_endian
        if isinstance(encodings, str):
            encodings = [encodings]
        my_encodings = list(encodings) if encodings else None
        if isinstance(elem, Exception):
            # pydicom could not convert it; we must fail too, with a clear exception.
            vr = raw.VR
            if vr is None or vr not in values._CONVERTERS:
                continue
            with pytest.raises(type(elem) if isinstance(elem, BytesLengthException) else Exception):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    convert(vr, raw.value, little, my_encodings)
            checked += 1
            continue
        vr = elem.VR
        if len(raw.value) > BIG_BYTES:
            # Pixel data and other large values: only the bytes are compared.
            if vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN", "OB or OW"):
                assert convert(vr, raw.value, little, my_encodings) == elem.value, where
                checked += 1
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine = convert(vr, memoryview(raw.value), little, my_encodings)
        theirs = elem.value
        if raw.tag in LUT_DESCRIPTOR_TAGS and isinstance(mine, list):
            # pydicom re-assigns these after resolving 'US or SS' (its caller's
            # job, as here): the first value is always unsigned.
            mine = list(mine)
            theirs = list(theirs)
            if mine and mine[0] < 0:
                mine[0] += 65536
        assert_same_value(mine, theirs, where)
        checked += 1

        theirs_bytes = pydicom_encoded(elem, little, encodings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            my_bytes = encode(vr, mine, little, my_encodings)
        assert len(my_bytes) % 2 == 0, where
        padded_raw = raw.value + (b"\x00" if len(raw.value) % 2 else b"")
        if theirs_bytes == padded_raw:
            assert my_bytes == padded_raw, f"{where}: {my_bytes!r} != raw {padded_raw!r}"
        else:
            assert my_bytes in (theirs_bytes, padded_raw), (
                f"{where}: {my_bytes!r} is neither pydicom's {theirs_bytes!r} nor raw {padded_raw!r}"
            )
    return checked


@pytest.mark.parametrize("path", datafiles.all_files(), ids=datafiles.file_id)
def test_matches_pydicom_on_real_file(path, impl) -> None:
    convert, encode = impl
    checked = check_file(path, convert, encode)
    assert checked > 0 or path.stat().st_size < 1024


def test_real_files_cover_every_common_vr() -> None:
    # Guard against the oracle test passing vacuously.
    seen = set()
    for path in datafiles.test_files()[:60]:
        try:
            _, elements = read_with_pydicom(path)
        except pytest.skip.Exception:
            continue
        seen.update(e.VR for _, e, _ in elements if not isinstance(e, Exception))
    assert {"US", "UL", "SS", "FL", "FD", "CS", "LO", "SH", "UI", "DS", "IS", "DA", "TM", "PN"} <= seen
