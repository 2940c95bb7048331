"""dicomcore.values against pydicom 3 over every real test file, plus unit
and property tests of the raw-bytes <-> value conversion per VR."""

from __future__ import annotations

import datetime
import math
import struct
import warnings
from decimal import Decimal
from typing import Any

import numpy as np
import pydicom
import pydicom.config
import pydicom.dataelem
import pydicom.tag
import pydicom.values
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import writers as pydicom_writers
from pydicom.multival import MultiValue as PydicomMultiValue

import datafiles
from child_process import run_python
from dicomcore import config, values
from dicomcore.errors import BytesLengthException
from dicomcore.multival import MultiValue
from dicomcore.valuerep import IS, DSfloat, ISfloat, PersonName

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


# --------------------------------------------------------------------------
# Unit tests per VR (both implementations)
# --------------------------------------------------------------------------

ALL_VRS = sorted(values._CONVERTERS)


@pytest.fixture
def config_switch():
    """Set attributes of both configs for one test, then restore them."""
    saved: list[tuple[object, str, object]] = []

    def switch(name: str, value: object) -> None:
        for module in (config, pydicom.config):
            saved.append((module, name, getattr(module, name, values._missing)))
            setattr(module, name, value)
        if name == "use_DS_decimal":
            pydicom.config.DS_decimal(bool(value))  # pydicom picks its DS class here

    yield switch
    for module, name, value in reversed(saved):
        if value is values._missing:
            delattr(module, name)
        else:
            setattr(module, name, value)
    pydicom.config.DS_decimal(pydicom.config.use_DS_decimal)


@pytest.fixture
def reading_mode():
    saved = (config.settings._reading_validation_mode, pydicom.config.settings.reading_validation_mode)

    def set_mode(mode: int) -> None:
        config.settings.reading_validation_mode = mode
        pydicom.config.settings.reading_validation_mode = mode

    yield set_mode
    config.settings._reading_validation_mode = saved[0]
    pydicom.config.settings.reading_validation_mode = saved[1]


def pydicom_value(vr: str, raw: bytes, little: bool = True, encodings=None) -> Any:
    element = RawDataElement(pydicom.tag.Tag(0x00091001), vr, len(raw), raw, 0, False, little)
    return pydicom.values.convert_value(vr, element, encodings)


@pytest.mark.parametrize("vr", ALL_VRS)
def test_empty_value_matches_pydicom(vr, impl) -> None:
    convert, _ = impl
    theirs = pydicom.dataelem.empty_value_for_VR(vr)
    ours = convert(vr, b"")
    assert type(ours).__name__ == type(theirs).__name__
    assert ours == theirs
    assert convert(vr, memoryview(b"")) == theirs
    assert values.empty_value_for_VR(vr) == theirs


def test_empty_value_with_none_for_text(impl, config_switch) -> None:
    convert, _ = impl
    config_switch("use_none_as_empty_text_VR_value", True)
    for vr in ("CS", "PN", "LO", "US"):
        assert convert(vr, b"") is None
    assert values.empty_value_for_VR("SQ") == []


@pytest.mark.parametrize(
    ("vr", "code"), [("US", "H"), ("SS", "h"), ("UL", "L"), ("SL", "l"), ("UV", "Q"),
                     ("SV", "q"), ("FL", "f"), ("FD", "d")],
)  # fmt: skip
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_binary_numbers(vr, code, data, impl) -> None:
    convert, encode = impl
    size = struct.calcsize("<" + code)
    raw = data.draw(st.binary(min_size=size, max_size=size * 5).filter(lambda b: len(b) % size == 0))
    little = data.draw(st.booleans())
    count = len(raw) // size
    expected = list(struct.unpack(("<" if little else ">") + code * count, raw))
    value = convert(vr, raw, little)
    if count == 1:
        assert type(value) in (int, float)
        value = [value]
    else:
        assert type(value) is list
    assert struct.pack("<" + code * count, *value) == struct.pack("<" + code * count, *expected)
    if vr == "FL" and any(math.isnan(v) for v in value):
        return  # a float32 signalling NaN comes back quiet through a Python float
    assert encode(vr, convert(vr, raw, little), little) == raw


@pytest.mark.parametrize("vr", ["US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"])
def test_binary_length_errors_say_what(vr, impl) -> None:
    convert, _ = impl
    with pytest.raises(BytesLengthException, match=f"VR {vr}") as info:
        convert(vr, b"\x01\x02\x03")
    assert "length 3" in str(info.value)


def test_at_values(impl, caplog) -> None:
    convert, encode = impl
    single = convert("AT", b"\x10\x00\x20\x00")
    assert single == 0x00100020 and type(single).__name__ == values.tag_class().__name__
    multiple = convert("AT", b"\x10\x00\x20\x00\x28\x00\x10\x00")
    assert type(multiple) is MultiValue and multiple == [0x00100020, 0x00280010]
    assert convert("AT", b"\x00\x10\x00\x20", False) == 0x00100020
    assert convert("AT", b"\x10\x00\x20\x00\x00\x00") == [0x00100020]  # truncated, logged
    assert "multiple of 4" in caplog.text
    assert encode("AT", multiple) == b"\x10\x00\x20\x00\x28\x00\x10\x00"
    assert encode("AT", (0x10, 0x20)) == b"\x10\x00\x20\x00"
    assert encode("AT", [0x00100020], False) == b"\x00\x10\x00\x20"


TEXT_CASES = [
    ("CS", b"ORIGINAL\\PRIMARY "),
    ("CS", b" A \\B \x00"),
    ("AS", b"012Y"),
    ("AE", b" STORE \\ SCP "),
    ("DA", b"20200101\\20201231 "),
    ("TM", b"101010.5 "),
    ("DT", b"20200101101010 "),
    ("UI", b"1.2.840.10008.1.2\x00"),
    ("UI", b"1.2\\1.3\x00"),
    ("UR", b"http://a/b  "),
    ("LO", b" lead \\trail  \x00"),
    ("SH", b"A\\B"),
    ("UC", b"long \\text "),
    ("LT", b"  keeps \\ backslash \x00 "),
    ("ST", b"text\r\nmore "),
    ("UT", b"x\\y "),
    ("DS", b" 1.50\\-2e3 \\ 3 "),
    ("DS", b"1\\\\2 "),
    ("IS", b" 5\\-7 "),
    ("PN", b"Doe^John\\Roe^Jane=\xe9 "),
    ("PN", b"=^ "),
]


@pytest.mark.parametrize(("vr", "raw"), TEXT_CASES, ids=lambda x: repr(x)[:20])
def test_text_padding_rules_match_pydicom(vr, raw, impl) -> None:
    convert, _ = impl
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_value(convert(vr, raw), pydicom_value(vr, raw), f"{vr} {raw!r}")


def test_values_that_do_not_parse_stay_text(impl, reading_mode) -> None:
    convert, _ = impl
    with pytest.warns(UserWarning):
        assert convert("IS", b"abc ") == "abc"
    with pytest.warns(UserWarning):
        value = convert("IS", b"1.5\\x ")
    assert type(value) is MultiValue and value == ["1.5", "x"]
    assert convert("DS", b"1,5 ") == "1,5"
    reading_mode(config.RAISE)
    with pytest.raises(ValueError):
        convert("IS", b"abc ")
    with pytest.raises(ValueError):
        convert("DS", b"1,5 ")


def test_text_validation_on_read_warns_like_pydicom(impl) -> None:
    convert, _ = impl
    with pytest.warns(UserWarning, match="maximum length of 16"):
        assert convert("SH", b"x" * 17 + b" ") == "x" * 17
    with pytest.warns(UserWarning, match="Invalid value for VR IS"):
        assert convert("IS", b"1.0 ") == 1
    with pytest.warns(UserWarning, match="PN components"):
        convert("PN", b"a=b=c=d ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        convert("SH", b"x" * 16)  # within the limit: no warning
        convert("IS", b"12 ")


def test_fractional_is_gives_isfloat(impl) -> None:
    convert, _ = impl
    with pytest.warns(UserWarning):
        value = convert("IS", b"1.5 ")
    assert type(value) is ISfloat and value == 1.5 and str(value) == "1.5"


def test_unknown_vr_and_sequence(impl) -> None:
    convert, encode = impl
    with pytest.raises(NotImplementedError, match="XX"):
        convert("XX", b"ab")
    with pytest.raises(NotImplementedError, match="0x01"):
        convert("\x01\x02", b"ab")
    with pytest.raises(TypeError, match="SQ"):
        convert("SQ", b"")
    with pytest.raises(NotImplementedError, match="XX"):
        encode("XX", "ab")


def test_buffers_and_byte_vrs(impl) -> None:
    convert, _ = impl
    raw = b"\x01\x02\x03\x04"
    for buffer in (raw, bytearray(raw), memoryview(raw), memoryview(b"\x00" + raw)[1:]):
        for vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN", "OB or OW", "US or OW"):
            value = convert(vr, buffer)
            assert type(value) is bytes and value == raw
        assert convert("UL", buffer) == 0x04030201
    strided = memoryview(b"\x01\x00\x02\x00")[::2]  # not contiguous
    assert convert("OB", strided) == b"\x01\x02"
    assert convert("US or SS", b"\xff\xff") == 65535  # read as US


def test_iso_2022_values(impl) -> None:
    convert, encode = impl
    encodings = ["iso8859", "iso2022_jp"]
    # 0x5C occurs inside the JIS X 0208 code of a kanji: it must not split values.
    kanji = b"\x1b$B\x5c\x21\x1b(B"
    text = kanji.decode("iso2022_jp")
    value = convert("LO", kanji + b"\\abc", True, encodings)
    assert value == [text, "abc"]
    name = convert("PN", b"Yamada^Tarou=" + kanji + b"\\Doe ", True, encodings)
    assert [str(n) for n in name] == [f"Yamada^Tarou={text}", "Doe"]
    assert encode("PN", name, True, encodings) == b"Yamada^Tarou=" + kanji + b"\\Doe "


def test_person_name_keeps_the_bytes_it_was_read_from(impl) -> None:
    convert, encode = impl
    raw = b"Doe^John\\\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7\x1b(B "
    names = convert("PN", raw, True, ["iso8859", "euc_kr"])
    assert [n.original_string for n in names] == [b"Doe^John", raw[9:-1]]
    assert encode("PN", names, True, ["iso8859", "euc_kr"]) == raw
    single = convert("PN", b"Doe^John ")
    assert single.encodings == ("iso8859",) and single.family_name == "Doe"


@pytest.mark.parametrize(
    ("flag", "vr", "raw"),
    [
        ("use_DS_decimal", "DS", b"1.50\\2"),
        ("use_DS_decimal", "DS", b"3.25"),
        ("use_DS_numpy", "DS", b"1.5\\2.5 "),
        ("use_DS_numpy", "DS", b"1.5 "),
        ("use_IS_numpy", "IS", b"1\\-2 "),
        ("use_IS_numpy", "IS", b"7 "),
        ("datetime_conversion", "DA", b"20200101\\20201231 "),
        ("datetime_conversion", "TM", b"1010"),
        ("datetime_conversion", "DT", b"20200101101010.50+0100"),
    ],
)
def test_config_switches_match_pydicom(flag, vr, raw, impl, config_switch) -> None:
    convert, encode = impl
    config_switch(flag, True)
    ours, theirs = convert(vr, raw), pydicom_value(vr, raw)
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert type(ours).__name__ == type(theirs).__name__
        if isinstance(theirs, PydicomMultiValue):
            assert [str(v) for v in ours] == [str(v) for v in theirs]
        assert ours == theirs
        assert encode(vr, ours) == raw


def test_numpy_switches_refuse_bad_characters(impl, config_switch, reading_mode) -> None:
    convert, _ = impl
    config_switch("use_DS_numpy", True)
    config_switch("use_IS_numpy", True)
    # As in pydicom, a value numpy cannot take is kept as text...
    assert convert("DS", b"1.5x") == pydicom_value("DS", b"1.5x") == "1.5x"
    assert convert("IS", b"1e3 ") == pydicom_value("IS", b"1e3 ") == "1e3"
    # ...unless the reading validation mode is RAISE.
    reading_mode(config.RAISE)
    with pytest.raises(ValueError, match="repertoire"):
        convert("DS", b"1.5x")
    with pytest.raises(ValueError, match="repertoire"):
        convert("IS", b"1e3 ")


# --------------------------------------------------------------------------
# encode_value: what users assign
# --------------------------------------------------------------------------


def pydicom_written(vr: str, value: Any, little: bool = True, encodings=None) -> bytes:
    elem = pydicom.DataElement(0x00091001, vr, value)
    written = pydicom_encoded(elem, little, encodings or ["iso8859"])
    assert written is not None
    return written


ASSIGNED = [
    ("CS", "ORIGINAL"),
    ("CS", ["ORIGINAL", "PRIMARY", "AXIAL"]),
    ("CS", ("A", "B")),
    ("CS", "A\\B"),
    ("UI", "1.2.840.10008.1.2.1"),
    ("UI", ["1.2.3", "1.2.34"]),
    ("DS", 1.5),
    ("DS", [0.5, 1, "2.50"]),
    ("DS", "1.50"),
    ("DS", Decimal("3.25")),
    ("IS", 5),
    ("IS", [1, "02", 3]),
    ("IS", "7"),
    ("US", 5),
    ("US", [1, 2, 65535]),
    ("SS", -1),
    ("UL", [0, 2**32 - 1]),
    ("SL", -(2**31)),
    ("FL", 1.5),
    ("FD", [1.5, -2.25]),
    ("UV", 2**64 - 1),
    ("SV", [-1, 1]),
    ("PN", "Doe^John"),
    ("PN", ["Doe^John", "Roe^Jane"]),
    ("LO", "Jérôme"),
    ("LO", ["a", "b"]),
    ("SH", "abc"),
    ("LT", "a\\b"),
    ("UT", "text"),
    ("UC", ["x", "yz"]),
    ("DA", "20200101"),
    ("DA", datetime.date(2020, 1, 2)),
    ("TM", datetime.time(10, 11, 12, 500)),
    ("DT", datetime.datetime(2020, 1, 2, 3, 4, 5)),
    ("AT", 0x00100010),
    ("AT", [0x00100010, 0x00100020]),
    ("OB", b"\x01\x02\x03"),
    ("OW", b"\x01\x02"),
    ("UR", "http://x/y"),
    ("AE", "STORESCP"),
]


@pytest.mark.parametrize(("vr", "value"), ASSIGNED, ids=lambda x: repr(x)[:24])
@pytest.mark.parametrize("little", [True, False])
def test_encode_assigned_values_like_pydicom(vr, value, little, impl) -> None:
    _, encode = impl
    expected = pydicom_written(vr, value, little, ["latin_1"])
    assert encode(vr, value, little, ["latin_1"]) == expected


def test_encode_numpy_values(impl) -> None:
    _, encode = impl
    array = np.array([1, 2, 513], dtype=np.uint16)
    assert encode("US", array) == array.astype("<u2").tobytes()
    assert encode("US", array, False) == array.astype(">u2").tobytes()
    assert encode("US", np.array([1, 2], dtype=np.int64)) == b"\x01\x00\x02\x00"
    assert encode("FL", np.array([1.5, 2.5])) == np.array([1.5, 2.5], dtype="<f4").tobytes()
    assert encode("FD", np.float32(1.5)) == struct.pack("<d", 1.5)
    assert encode("US", np.uint16(7)) == b"\x07\x00"
    assert encode("OW", np.array([1, 2], dtype=np.uint16), False) == b"\x00\x01\x00\x02"
    assert encode("OB", np.arange(3, dtype=np.uint8)) == b"\x00\x01\x02\x00"
    assert encode("DS", np.float64(0.5)) == b"0.5 "
    assert encode("IS", np.int32(12)) == b"12"
    with pytest.raises(ValueError, match="range of VR US"):
        encode("US", np.array([1, 70000]))


def test_encode_keeps_original_text(impl) -> None:
    convert, encode = impl
    for vr, raw in (("DS", b"1.50\\-0.0 "), ("IS", b"007 "), ("TM", b"1010.5"), ("PN", b"Doe ")):
        assert len(raw) % 2 == 0
        assert encode(vr, convert(vr, raw)) == raw


def test_encode_padding(impl) -> None:
    _, encode = impl
    assert encode("CS", "ABC") == b"ABC "
    assert encode("UI", "1.2.3") == b"1.2.3\x00"
    assert encode("OB", b"\x01") == b"\x01\x00"
    assert encode("UN", b"\x01") == b"\x01\x00"
    assert encode("LO", "é", True, ["UTF8"]) == b"\xc3\xa9"
    assert encode("LO", "éa", True, ["UTF8"]) == b"\xc3\xa9a "
    for vr in ("CS", "US", "OB", "PN", "DS", "AT", "UI"):
        assert encode(vr, None) == b""
    assert encode("US", "") == b""
    assert encode("PN", PersonName("")) == b""


@pytest.mark.parametrize(
    ("vr", "value", "error", "match"),
    [
        ("US", 70000, ValueError, "range of VR US"),
        ("US", [1, -1], ValueError, "value 1"),
        ("SS", 40000, ValueError, "range of VR SS"),
        ("US", 1.5, TypeError, "integer"),
        ("UL", "12", TypeError, "integer"),
        ("FL", "x", ValueError, "VR FL"),
        ("CS", "山", ValueError, "position 0"),
        ("OB", [1, 2], TypeError, "bytes"),
        ("AT", 2**32, ValueError, "32-bit"),
        ("US", b"\x01\x02\x03", BytesLengthException, "VR US"),
    ],
)
def test_encode_errors_say_what_and_where(vr, value, error, match, impl) -> None:
    _, encode = impl
    with pytest.raises(error, match=match):
        encode(vr, value)


def test_encode_text_with_character_sets(impl) -> None:
    _, encode = impl
    encodings = ["iso8859", "iso2022_jp"]
    assert encode("LO", "山田", True, encodings) == b"\x1b$B;3ED\x1b(B"
    assert encode("PN", "Yamada^Tarou=山田^太郎", True, encodings) == (
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"
    )
    assert encode("SH", "Jérôme", True, ["UTF8"]) == "Jérôme".encode()
    assert encode("SH", "Jérôme", True, None) == b"J\xe9r\xf4me"


# --------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------

CS_TEXT = st.text(alphabet="ABCXYZ0123456789_ ", min_size=1, max_size=16).map(str.strip).filter(bool)
DS_TEXT = st.floats(allow_nan=False, allow_infinity=False, width=32).map(
    lambda x: pydicom.valuerep.format_number_as_ds(float(x))
)
IS_TEXT = st.integers(-(2**31), 2**31 - 1).map(str)
UI_TEXT = st.lists(st.integers(0, 10**6), min_size=2, max_size=8).map(
    lambda parts: ".".join(map(str, parts))
)
NAME_PART = st.text(alphabet="ABCDEFGHIJabcdefghij ", max_size=8)
PN_TEXT = st.lists(NAME_PART, min_size=1, max_size=5).map("^".join)
DATE_TEXT = st.dates(min_value=datetime.date(1000, 1, 1)).map(lambda d: d.strftime("%Y%m%d"))

VALUE_STRATEGIES = {
    "CS": CS_TEXT,
    "SH": st.text(alphabet="abc XYZ.-_é", max_size=16).map(lambda s: s.rstrip()),
    "LO": st.text(alphabet="abc XYZ.-_éü", max_size=64).map(lambda s: s.rstrip()),
    "DS": DS_TEXT,
    "IS": IS_TEXT,
    "UI": UI_TEXT,
    "PN": PN_TEXT,
    "DA": DATE_TEXT,
}


@pytest.mark.parametrize("vr", sorted(VALUE_STRATEGIES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_text_round_trip(vr, data, impl) -> None:
    convert, encode = impl
    items = data.draw(st.lists(VALUE_STRATEGIES[vr], min_size=1, max_size=4))
    if vr == "PN":
        items = [item.rstrip("^ ") for item in items]  # trailing spaces are padding
    raw = "\\".join(items).encode("latin_1")
    if len(raw) % 2:
        raw += b"\x00" if vr == "UI" else b" "
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = convert(vr, raw, True, ["latin_1"])
        assert encode(vr, value, True, ["latin_1"]) == raw
        theirs = pydicom_value(vr, raw, True, ["latin_1"])
    assert_same_value(value, theirs, f"{vr} {raw!r}")


@settings(max_examples=500, deadline=None)
@given(
    vr=st.sampled_from(ALL_VRS),
    raw=st.binary(max_size=40) | st.text("0123456789.+-eE \\^=\x00\x1b$()BC\xe9", max_size=30).map(
        lambda s: s.encode("latin_1")
    ),
    little=st.booleans(),
    encodings=st.sampled_from(
        [None, ["latin_1"], ["UTF8"], ["iso8859", "iso2022_jp"], ["iso8859", "euc_kr"], ["GB18030"]]
    ),
)
def test_extension_and_python_agree_on_any_bytes(vr, raw, little, encodings) -> None:
    """Whatever the bytes, both implementations give the same value or the
    same exception type, and nothing crashes."""
    if values._accelerated is None:
        pytest.skip("the extension is not built (see test_accelerator_is_built)")

    def outcome(function, data):
        try:
            value = function(vr, data, little, encodings)
        except Exception as exc:  # noqa: BLE001
            return ("raised", type(exc).__name__)
        if isinstance(value, MultiValue | list):
            return ("values", type(value).__name__, [describe(v) for v in value])
        return ("value", describe(value))

    def describe(value):
        if isinstance(value, float) and math.isnan(value):
            return ("nan",)
        if isinstance(value, PersonName):
            return ("PN", value.components, value.original_string, value.encodings)
        return (type(value).__name__, value, getattr(value, "original_string", None))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = outcome(values._accelerated.convert_value, memoryview(raw))
        slow = outcome(values.convert_value_py, raw)
    assert fast == slow


USER_VALUES = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**1100, 1e39, -1e39, math.inf, math.nan, 3.4e38]),
    st.floats(width=64),
    st.text(alphabet="AZaz09 .^=\\-é山", max_size=12),
    st.lists(st.integers(-(2**17), 2**17), max_size=4),
    st.lists(st.floats(allow_nan=False), min_size=1, max_size=3),
    st.binary(max_size=6),
    st.sampled_from(
        [
            DSfloat("1.50"),
            IS("007"),
            PersonName("Doe^John"),
            PersonName("Yamada^Tarou=山田^太郎", ["iso8859", "iso2022_jp"]),
            MultiValue(str, ["A", "B"]),
            MultiValue(DSfloat, ["1.5", "2"]),
            datetime.date(2020, 1, 2),
            (0x10, 0x20),
            np.arange(3, dtype=np.uint16),
            np.array([1.5, -2.5]),
        ]
    ),
)


@settings(max_examples=500, deadline=None)
@given(
    vr=st.sampled_from(sorted(values._ENCODERS)),
    value=USER_VALUES,
    little=st.booleans(),
    encodings=st.sampled_from(
        [None, ["latin_1"], ["UTF8"], ["iso8859", "iso2022_jp"], ["iso8859", "latin_1"]]
    ),
)
def test_extension_and_python_encode_alike(vr, value, little, encodings) -> None:
    if values._accelerated is None:
        pytest.skip("the extension is not built (see test_accelerator_is_built)")

    def outcome(function):
        try:
            return ("bytes", function(vr, value, little, encodings))
        except Exception as exc:  # noqa: BLE001
            return ("raised", type(exc).__name__)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert outcome(values._accelerated.encode_value) == outcome(values.encode_value_py)


DS_SYNTAX = r"[+-]?([0-9]{1,9}(\.[0-9]{0,9})?|\.[0-9]{1,9})([eE][+-]?[0-9]{1,3})?"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.from_regex(DS_SYNTAX, fullmatch=True).filter(lambda t: len(t) <= 16),
                      min_size=1, max_size=3))  # fmt: skip
def test_ds_value_is_exactly_float_of_its_text(texts, impl) -> None:
    convert, _ = impl
    value = convert("DS", "\\".join(texts).encode())
    items = [value] if len(texts) == 1 else list(value)
    for text, item in zip(texts, items):
        assert type(item) is DSfloat
        assert struct.pack("<d", item) == struct.pack("<d", float(text))
        assert str(item) == text


def test_pure_python_serves_without_the_extension() -> None:

    script = (
        "import sys; sys.modules['dicomcore._values'] = None\n"
        "from dicomcore import values\n"
        "assert values._accelerated is None\n"
        "assert type(values.convert_value).__name__ == 'function'\n"
        "assert values.convert_value('DS', b'1.50\\\\2 ') == ['1.50', '2']\n"
        "assert values.encode_value('US', [1, 2]) == b'\\x01\\x00\\x02\\x00'\n"
        "assert str(values.convert_value('PN', b'Doe^John ')) == 'Doe^John'\n"
    )
    result = run_python(script)
    assert result.returncode == 0, result.stderr
