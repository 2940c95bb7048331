"""DICOM JSON (PS3.18 Annex F): dicomcore against pydicom 3 on every real file, plus
hand-written Annex F style examples, bulk data handlers and malformed input."""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import struct
import warnings
from pathlib import Path
from typing import Any

import pydicom
import pydicom.datadict
import pydicom.dataelem
import pytest

import datafiles
import dicomcore
from dicomcore.dataelem import DataElement
from dicomcore.dataset import Dataset, FileDataset, FileMetaDataset
from dicomcore.multival import MultiValue
from dicomcore.sequence import Sequence
from dicomcore.uid import UID
from dicomcore.valuerep import IS, DSfloat, PersonName
from oracle import pydicom_read

ALL_FILES = datafiles.all_files()
THRESHOLD = 1024


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def read_both(path: Path) -> tuple[dicomcore.Dataset, pydicom.Dataset]:
    """dicomcore's and pydicom's datasets for ``path``; skip what pydicom cannot read.

    A file without a preamble is read with ``force`` when pydicom's forced
    read finds more than one element (a single element is what forcing makes
    of a file that is not DICOM at all, e.g. an ICC profile or a text dump).
    """
    force = False
    theirs = pydicom_read(path)
    if theirs is not None and pydicom_lost_everything(path):
        # A file cut inside undefined-length Pixel Data: pydicom keeps no element
        # at all, dicomcore keeps every complete one (the reader's documented
        # difference). Compare everything before the pixels.
        ours = quietly(dicomcore.dcmread, path)
        assert 0x7FE00010 in ours
        del ours.PixelData
        return ours, quietly(pydicom.dcmread, path, stop_before_pixels=True)
    if theirs is None:
        theirs = pydicom_read(path, force=True)
        if theirs is None or len(theirs) <= 1:
            pytest.skip("pydicom cannot read this file as DICOM")
        force = True
    ours = quietly(dicomcore.dcmread, path, force=force)
    return ours, theirs


def pydicom_lost_everything(path: Path) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = pydicom.dcmread(path)
    return len(theirs) == 0 and any("End of file reached" in str(w.message) for w in caught)


def pydicom_json(ds: pydicom.Dataset, **kwargs: Any) -> dict[str, Any]:
    try:
        return quietly(ds.to_json_dict, **kwargs)
    except Exception as exc:
        pytest.skip(f"pydicom cannot convert this file to JSON: {type(exc).__name__}: {exc}")


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (DS "nan" is a valid JSON number in both libraries)."""
    if isinstance(a, float) != isinstance(b, float) or isinstance(a, bool) != isinstance(b, bool):
        return False  # 1 and 1.0 are different JSON
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def private_creator(json_dataset: dict[str, Any], key: str) -> str | None:
    """The private creator of private attribute ``key`` in the same JSON object (PS3.5 7.8.1)."""
    creator_key = f"{key[:4]}00{key[4:6]}"
    value = json_dataset.get(creator_key, {}).get("Value")
    return value[0] if value else None


def private_dictionary_difference(
    key: str, ours: dict[str, Any], theirs: dict[str, Any], their_parent: dict[str, Any]
) -> str | None:
    """Why a private attribute differs, if the only reason is pydicom's private dictionary.

    dicomcore has no private dictionary, so a private element read in implicit
    VR (or as UN) is UN with its raw bytes; pydicom gives it the VR from its
    private dictionary. The reason holds when: the tag is private and not a
    private creator, dicomcore says UN, pydicom's private dictionary has that
    element under the block's creator with exactly pydicom's VR, and
    dicomcore's bytes, decoded by pydicom with that VR as implicit VR little
    endian, give exactly pydicom's JSON.
    """
    tag = int(key, 16)
    if not (tag >> 16) & 1 or (tag & 0xFFFF) < 0x1000:
        return None
    if ours.get("vr") != "UN" or theirs.get("vr") in (None, "UN"):
        return None
    creator = private_creator(their_parent, key)
    if creator is None:
        return None
    try:
        dictionary_vr = pydicom.datadict.private_dictionary_VR(tag, creator)
    except KeyError:
        return None
    if dictionary_vr != theirs["vr"]:
        return None
    raw = base64.b64decode(ours.get("InlineBinary", ""))
    converted = quietly(
        pydicom.dataelem.convert_raw_data_element,
        pydicom.dataelem.RawDataElement(
            pydicom.tag.Tag(tag), dictionary_vr, len(raw), raw, 0, True, True
        ),
    )
    if not same(quietly(converted.to_json_dict, None, THRESHOLD), theirs):
        return None
    return f"private {key} of {creator!r}: pydicom's private dictionary says {dictionary_vr}"


def json_differences(
    ours: dict[str, Any], theirs: dict[str, Any], where: str = "", explained: list | None = None
) -> list[str]:
    """Every difference between two DICOM JSON objects, except the private-dictionary one."""
    problems = []
    for key in sorted(set(ours) | set(theirs)):
        path = f"{where}{key}"
        if key not in ours or key not in theirs:
            problems.append(f"{path}: only in {'pydicom' if key in theirs else 'dicomcore'}")
            continue
        mine, their = ours[key], theirs[key]
        if same(mine, their):
            continue
        if mine.get("vr") == their.get("vr") == "SQ":
            items_a, items_b = mine.get("Value", []), their.get("Value", [])
            if len(items_a) != len(items_b):
                problems.append(f"{path}: {len(items_a)} items vs {len(items_b)}")
                continue
            for number, (a, b) in enumerate(zip(items_a, items_b), 1):
                problems += json_differences(a, b, f"{path}[{number}].", explained)
            continue
        reason = private_dictionary_difference(key, mine, their, theirs)
        if reason is not None:
            if explained is not None:
                explained.append(reason)
            continue
        problems.append(f"{path}: dicomcore {str(mine)[:200]} != pydicom {str(their)[:200]}")
    return problems


def bulk_data_uris(json_dataset: dict[str, Any]):
    """Every BulkDataURI in a DICOM JSON object, depth first in key order."""
    for attribute in json_dataset.values():
        if "BulkDataURI" in attribute:
            yield attribute["BulkDataURI"]
        if attribute["vr"] == "SQ":
            for item in attribute.get("Value", []):
                yield from bulk_data_uris(item)


def walk_elements(ds: Dataset):
    for elem in ds:
        yield elem
        if elem.VR == "SQ":
            for item in elem.value:
                yield from walk_elements(item)


# ---------------------------------------------------------------------------
# Real files against pydicom
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=datafiles.file_id)
def test_to_json_dict_matches_pydicom(path: Path) -> None:
    ours, theirs = read_both(path)
    expected = pydicom_json(theirs, bulk_data_threshold=THRESHOLD)
    got = ours.to_json_dict(bulk_data_threshold=THRESHOLD)
    assert json_differences(got, expected) == []
    assert list(got) == sorted(got), "attribute keys must be in ascending order (PS3.18 F.2.2)"


@pytest.mark.parametrize("path", ALL_FILES, ids=datafiles.file_id)
def test_suppress_invalid_tags_matches_pydicom(path: Path, caplog) -> None:
    # Both read values with validation set to raise and leave out what fails.
    ours, theirs = read_both(path)
    with caplog.at_level(logging.CRITICAL):
        expected = pydicom_json(theirs, suppress_invalid_tags=True)
        got = quietly(ours.to_json_dict, suppress_invalid_tags=True)
    assert json_differences(got, expected) == []


def test_private_dictionary_is_the_only_documented_difference() -> None:
    ours, theirs = read_both(datafiles.get("chrJapMulti.dcm"))
    got, expected = ours.to_json_dict(), pydicom_json(theirs)
    explained: list[str] = []
    assert json_differences(got, expected, explained=explained) == []
    assert len(explained) >= 2
    # Each explained attribute: private, UN here, pydicom's private dictionary VR there.
    for reason in explained:
        key = reason.split()[1]
        assert got[key]["vr"] == "UN"
        creator = private_creator(expected, key)
        assert expected[key]["vr"] == pydicom.datadict.private_dictionary_VR(int(key, 16), creator)
    # Everything else is identical.
    keys = {reason.split()[1] for reason in explained}
    assert {k: v for k, v in got.items() if k not in keys} == {
        k: v for k, v in expected.items() if k not in keys
    }


@pytest.mark.parametrize("path", ALL_FILES, ids=datafiles.file_id)
def test_from_pydicom_json_round_trips(path: Path) -> None:
    _, theirs = read_both(path)
    expected = pydicom_json(theirs, bulk_data_threshold=THRESHOLD)
    text = json.dumps(expected, sort_keys=True)
    for source in (expected, text, text.encode(), bytearray(text.encode())):
        rebuilt = quietly(Dataset.from_json, source)
        assert json_differences(rebuilt.to_json_dict(), expected) == []


@pytest.mark.parametrize("path", ALL_FILES, ids=datafiles.file_id)
def test_from_json_gives_the_readers_value_types(path: Path) -> None:
    ours, theirs = read_both(path)
    pydicom_json(theirs)  # skip what pydicom cannot encode
    try:
        encoded = quietly(ours.to_json_dict)
    except Exception as exc:  # the to_json_dict test above reports this
        pytest.skip(f"dicomcore cannot encode this file: {exc}")
    rebuilt = quietly(Dataset.from_json, encoded)
    read_elements = list(walk_elements(ours))
    json_elements = list(walk_elements(rebuilt))
    assert [e.tag for e in json_elements] == [e.tag for e in read_elements]
    for read, built in zip(read_elements, json_elements):
        assert built.VR == read.VR, read.tag
        value = quietly(lambda elem=read: elem.value)
        assert type(built.value) is type(value), (read.tag, read.VR, value)
        if isinstance(value, MultiValue):
            assert [type(v) for v in built.value] == [type(v) for v in value], read.tag


@pytest.mark.parametrize(
    "name",
    ["CT_small.dcm", "MR_small.dcm", "emri_small.dcm", "SC_rgb.dcm", "waveform_ecg.dcm",
     "examples_overlay.dcm"],
)
def test_bulk_data_handler_matches_pydicom(name: str) -> None:
    ours, theirs = read_both(datafiles.get(name))
    calls: list[Any] = []

    def our_handler(elem: DataElement) -> str:
        calls.append(elem)
        return f"https://wado.example/bulk/{elem.tag:08X}"

    def their_handler(elem: Any) -> str:
        return f"https://wado.example/bulk/{elem.tag:08X}"

    threshold = 64
    expected = pydicom_json(
        theirs, bulk_data_threshold=threshold, bulk_data_element_handler=their_handler
    )
    got = ours.to_json_dict(bulk_data_threshold=threshold, bulk_data_element_handler=our_handler)
    assert json_differences(got, expected) == []
    uris = list(bulk_data_uris(got))
    assert uris, "the file should have binary values above the threshold"
    # One call per BulkDataURI, in encoding order (depth first), with the element itself.
    assert [f"https://wado.example/bulk/{e.tag:08X}" for e in calls] == uris
    for elem in calls:
        assert isinstance(elem, DataElement)
        assert elem.VR in {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
        assert len(elem.value) > (threshold // 4) * 3


# ---------------------------------------------------------------------------
# Encoding rules, one VR at a time, against pydicom
# ---------------------------------------------------------------------------

ELEMENT_CASES = [
    (0x00100010, "PN", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    (0x00100010, "PN", "Doe^John"),
    (0x00100010, "PN", ["Doe^John", "Roe^Jane=R"]),
    (0x00100010, "PN", "=山田^太郎"),
    (0x00100010, "PN", ""),
    (0x00081160, "IS", ["1", "2", "30"]),
    (0x00201041, "DS", "1.50"),
    (0x00280030, "DS", ["0.5", "0.25"]),
    (0x00280030, "DS", ""),
    (0x00200013, "IS", "7"),
    (0x00280010, "US", 512),
    (0x00280010, "US", None),
    (0x00189219, "SS", [-3, 4]),
    (0x00081160, "SL", 0),
    (0x00186020, "SL", [-1, 5]),
    (0x00400064, "FL", 1.5),
    (0x0018602C, "FD", [0.1, 1e300]),
    (0x00209165, "AT", [0x00100010, 0x7FE00010]),
    (0x00209165, "AT", 0x00280010),
    (0x00080060, "CS", "MR"),
    (0x00080008, "CS", ["ORIGINAL", "PRIMARY", ""]),
    (0x00080008, "CS", ""),
    (0x00080018, "UI", "1.2.3.4"),
    (0x00080020, "DA", "20240229"),
    (0x00081030, "LO", "Brain \\ MRI"),
    (0x00204000, "LT", "line1\\line2"),
    (0x00080016, "UI", None),
    (0x7FE00010, "OB", b"\x00\x01\x02\x03\xff"),
    (0x7FE00010, "OW", b"\x00\x01\x02\x03"),
    (0x00420011, "OB", b""),
    (0x00660016, "OF", struct.pack("<3f", 1.0, 2.5, -3.0)),
    (0x00660040, "OL", struct.pack("<2L", 1, 2)),
    (0x00701A07, "OD", struct.pack("<d", 2.5)),
    (0x00660050, "OV", struct.pack("<Q", 2**60)),
    (0x00191001, "UN", b"\x01\x02\x03"),
    (0x00280106, "US or SS", 5),
    (0x00283006, "US or OW", b"\x01\x00\x02\x00"),
    (0x00081199, "SQ", []),
]


@pytest.mark.parametrize("tag, vr, value", ELEMENT_CASES)
def test_element_to_json_matches_pydicom(tag: int, vr: str, value: Any) -> None:
    theirs = pydicom.DataElement(tag, vr, value)
    ours = DataElement(tag, vr, value)
    expected = theirs.to_json_dict(None, THRESHOLD)
    assert ours.to_json_dict(None, THRESHOLD) == expected
    assert json.loads(ours.to_json()) == json.loads(theirs.to_json())
    # And back: pydicom's reading of the JSON and ours agree on the value.
    value_key = next((k for k in ("Value", "InlineBinary", "BulkDataURI") if k in expected), None)
    back = DataElement.from_json(
        Dataset, f"{tag:08X}", expected["vr"], expected.get(value_key), value_key
    )
    assert back.to_json_dict(None, THRESHOLD) == expected


def test_empty_person_name_among_several_is_an_empty_alphabetic_group() -> None:
    # pydicom 3.0 raises IndexError here (an empty PersonName has no components).
    elem = DataElement(0x00100010, "PN", ["Doe^John", ""])
    assert elem.to_json_dict(None, THRESHOLD) == {
        "vr": "PN",
        "Value": [{"Alphabetic": "Doe^John"}, {"Alphabetic": ""}],
    }
    back = DataElement.from_json(Dataset, "00100010", "PN", elem.to_json_dict(None, 0)["Value"], "Value")
    assert [str(v) for v in back.value] == ["Doe^John", ""]


def test_sequence_encodes_items_recursively() -> None:
    inner = Dataset()
    inner.CodeValue = "121206"
    inner.CodingSchemeDesignator = "DCM"
    outer = Dataset()
    outer.ConceptNameCodeSequence = [inner]
    outer.ValueType = "CODE"
    ds = Dataset()
    ds.ContentSequence = [outer, Dataset()]

    got = ds.to_json_dict()
    assert got == {
        "0040A730": {
            "vr": "SQ",
            "Value": [
                {
                    "0040A040": {"vr": "CS", "Value": ["CODE"]},
                    "0040A043": {
                        "vr": "SQ",
                        "Value": [
                            {
                                "00080100": {"vr": "SH", "Value": ["121206"]},
                                "00080102": {"vr": "SH", "Value": ["DCM"]},
                            }
                        ],
                    },
                },
                {},
            ],
        }
    }
    pyds = pydicom.Dataset.from_json(got)
    assert pyds.to_json_dict() == got


def test_ds_that_is_not_a_number_raises_naming_the_tag() -> None:
    ds = Dataset()
    elem = DataElement._from_file(
        dicomcore.tag.Tag(0x00280030), "DS", b"1.5\\\\2", True, None, None, False
    )
    ds[0x00280030] = elem
    ds.PatientID = "12"
    with pytest.raises(ValueError, match=re.escape("(0028,0030)")):
        quietly(ds.to_json_dict)

    # pydicom raises for the same value too, so suppress_invalid_tags drops it.
    theirs = pydicom.Dataset()
    theirs[0x00280030] = pydicom.dataelem.RawDataElement(
        pydicom.tag.Tag(0x00280030), "DS", 6, b"1.5\\\\2", 0, False, True
    )
    theirs.PatientID = "12"
    expected = quietly(theirs.to_json_dict, suppress_invalid_tags=True)
    fresh = Dataset()
    fresh[0x00280030] = DataElement._from_file(
        dicomcore.tag.Tag(0x00280030), "DS", b"1.5\\\\2", True, None, None, False
    )
    fresh.PatientID = "12"
    assert quietly(fresh.to_json_dict, suppress_invalid_tags=True) == expected
    assert expected == {"00100020": {"vr": "LO", "Value": ["12"]}}


def test_suppress_invalid_tags_matches_pydicom_on_bad_vr_file(caplog) -> None:
    path = datafiles.get("badVR.dcm")
    ours, theirs = read_both(path)
    with pytest.raises(ValueError):
        quietly(theirs.to_json_dict)
    with pytest.raises(ValueError, match=r"\([0-9A-F]{4},[0-9A-F]{4}\)"):
        quietly(quietly(dicomcore.dcmread, path).to_json_dict)
    expected = quietly(pydicom.dcmread(path).to_json_dict, suppress_invalid_tags=True)
    with caplog.at_level(logging.WARNING, logger="dicomcore"):
        got = quietly(ours.to_json_dict, suppress_invalid_tags=True)
    assert json_differences(got, expected) == []
    assert any("Error while processing tag" in r.getMessage() for r in caplog.records)
    # The validation mode is restored afterwards.
    assert dicomcore.config.settings._reading_validation_mode is None


def test_group_length_and_file_meta_handling_as_pydicom() -> None:
    path = datafiles.get("ExplVR_BigEnd.dcm")
    ours, theirs = read_both(path)
    got = ours.to_json_dict()
    assert "00080000" in got and got["00080000"]["vr"] == "UL"
    assert not any(key.startswith("0002") for key in got), "file meta stays out, as pydicom"
    assert json_differences(got, pydicom_json(theirs)) == []

    # Group 2 elements stored in the dataset itself are encoded, as pydicom does.
    ds = Dataset()
    ds.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.PatientID = "X"
    theirs = pydicom.Dataset()
    theirs.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    theirs.PatientID = "X"
    assert ds.to_json_dict() == theirs.to_json_dict()
    assert "00020010" in ds.to_json_dict()


def test_to_json_is_sorted_text_of_to_json_dict() -> None:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.Rows = 4
    ds.PixelSpacing = ["0.5", "0.5"]
    text = ds.to_json()
    assert json.loads(text) == ds.to_json_dict()
    assert text == json.dumps(ds.to_json_dict(), sort_keys=True)
    assert ds.to_json(dump_handler=lambda d: "custom" + str(len(d))) == "custom3"


# ---------------------------------------------------------------------------
# Bulk data handlers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 5, 6, 7, 11, 12, 13, 100])
@pytest.mark.parametrize("threshold", [0, 8, 10, 16, 17])
def test_inline_or_bulk_follows_the_threshold_as_pydicom(length: int, threshold: int) -> None:
    data = bytes(range(length))
    ours, theirs = DataElement(0x7FE00010, "OB", data), pydicom.DataElement(0x7FE00010, "OB", data)
    seen: list[Any] = []

    def handler(elem: Any) -> str:
        seen.append(elem)
        return "http://bulk/" + elem.VR

    expected = theirs.to_json_dict(lambda e: "http://bulk/" + e.VR, threshold)
    assert ours.to_json_dict(handler, threshold) == expected
    if "BulkDataURI" in expected:
        assert seen == [ours] and seen[0] is ours
    else:
        assert seen == []
    # Without a handler the value is always inline.
    got = ours.to_json_dict(None, threshold)
    if length:
        assert base64.b64decode(got["InlineBinary"]) == data
    else:
        assert got == {"vr": "OB"}


def test_bulk_data_uri_handler_with_three_arguments() -> None:
    calls = []

    def handler(tag: str, vr: str, uri: str) -> bytes:
        calls.append((tag, vr, uri))
        return b"\x01\x02\x03\x04"

    source = {
        "7FE00010": {"vr": "OW", "BulkDataURI": "http://host/pixels"},
        "00420011": {"vr": "OB", "BulkDataURI": ["http://host/pdf"]},
    }
    ds = Dataset.from_json(source, handler)
    assert calls == [("7FE00010", "OW", "http://host/pixels"), ("00420011", "OB", "http://host/pdf")]
    assert ds.PixelData == b"\x01\x02\x03\x04" and type(ds.PixelData) is bytes
    assert ds[0x00420011].value == b"\x01\x02\x03\x04"
    # pydicom calls its handler the same way.
    their_calls = []
    pydicom.Dataset.from_json(source, lambda tag, vr, uri: their_calls.append((tag, vr, uri)) or b"")
    assert their_calls == calls


def test_bulk_data_uri_handler_with_one_argument_and_in_sequences() -> None:
    calls = []

    def handler(uri: str) -> Any:
        calls.append(uri)
        return {"http://host/a": 12.5, "http://host/b": b"\x00\x00\x20\x41"}[uri]

    source = {
        "00081115": {
            "vr": "SQ",
            "Value": [
                {
                    "00186020": {"vr": "FL", "BulkDataURI": "http://host/b"},
                    "00400064": {"vr": "FD", "BulkDataURI": "http://host/a"},
                }
            ],
        }
    }
    ds = Dataset.from_json(json.dumps(source), handler)
    assert calls == ["http://host/b", "http://host/a"]
    item = ds[0x00081115].value[0]
    assert item[0x00400064].value == 12.5
    # Bytes for a number VR are its little endian Value Field (PS3.18 F.2.6), read
    # like the file reader reads them.
    assert item[0x00186020].value == struct.unpack("<f", b"\x00\x00\x20\x41")[0]
    assert type(item[0x00186020].value) is float


def test_bulk_data_uri_without_handler_warns_and_leaves_the_element_empty() -> None:
    with pytest.warns(UserWarning, match=r"\(7FE0,0010\).*http://host/pixels"):
        ds = Dataset.from_json({"7FE00010": {"vr": "OB", "BulkDataURI": "http://host/pixels"}})
    # The value an empty OB read from a file has (None, as in pydicom).
    assert ds[0x7FE00010].value is None
    assert ds[0x7FE00010].is_empty


# ---------------------------------------------------------------------------
# PS3.18 Annex F examples (written from the standard's F.4 example)
# ---------------------------------------------------------------------------

ANNEX_F_STUDY = """
[
  {
    "0020000D": {"vr": "UI", "Value": ["1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
    "00080005": {"vr": "CS", "Value": ["ISO_IR 192"]},
    "00080020": {"vr": "DA", "Value": ["20130409"]},
    "00080061": {"vr": "CS", "Value": ["CT", "PET"]},
    "00080090": {
      "vr": "PN",
      "Value": [{"Alphabetic": "^Bob^^Dr."}]
    },
    "00100010": {
      "vr": "PN",
      "Value": [
        {
          "Alphabetic": "Yamada^Tarou",
          "Ideographic": "山田^太郎",
          "Phonetic": "やまだ^たろう"
        }
      ]
    },
    "00101002": {
      "vr": "SQ",
      "Value": [
        {
          "00100020": {"vr": "LO", "Value": ["54321"]},
          "00100021": {"vr": "LO", "Value": ["Hospital B"]}
        },
        {
          "00100020": {"vr": "LO", "Value": ["24680"]},
          "00100021": {"vr": "LO", "Value": ["Hospital C"]},
          "00081150": {"vr": "UI"}
        }
      ]
    },
    "00201206": {"vr": "IS", "Value": [4]},
    "00201208": {"vr": "IS", "Value": [942]},
    "00280030": {"vr": "DS", "Value": [0.5, "0.25"]},
    "00091002": {"vr": "UN", "InlineBinary": ["z0x9c8v7"]},
    "7FE00010": {"vr": "OW", "BulkDataURI": "http://wado.example.com/studies/1/bulk/pixels"},
    "00200020": {"vr": "CS"},
    "0040A160": {"vr": "UT", "Value": [null]}
  }
]
"""


def test_annex_f_example_parses() -> None:
    (study,) = json.loads(ANNEX_F_STUDY)
    uris = []
    ds = Dataset.from_json(study, lambda tag, vr, uri: uris.append(uri) or b"\x00\x01" * 4)

    name = ds.PatientName
    assert isinstance(name, PersonName)
    assert str(name) == "Yamada^Tarou=山田^太郎=やまだ^たろう"
    assert name.components == ("Yamada^Tarou", "山田^太郎", "やまだ^たろう")
    assert name.family_name == "Yamada" and name.given_name == "Tarou"
    assert ds.ReferringPhysicianName.given_name == "Bob"
    assert ds.ReferringPhysicianName.name_prefix == "Dr."

    others = ds.OtherPatientIDsSequence
    assert isinstance(others, Sequence) and len(others) == 2
    assert all(type(item) is Dataset for item in others)
    assert [item.PatientID for item in others] == ["54321", "24680"]
    assert others[1].IssuerOfPatientID == "Hospital C"
    assert others[1][0x00081150].is_empty and others[1].ReferencedSOPClassUID == ""

    assert isinstance(ds.StudyInstanceUID, UID)
    assert isinstance(ds.ModalitiesInStudy, MultiValue) and list(ds.ModalitiesInStudy) == ["CT", "PET"]
    assert ds.NumberOfStudyRelatedSeries == 4 and type(ds.NumberOfStudyRelatedSeries) is IS
    assert [type(v) for v in ds.PixelSpacing] == [DSfloat, DSfloat]
    assert list(ds.PixelSpacing) == [0.5, 0.25]

    private = ds[0x00091002]
    assert private.VR == "UN" and private.value == base64.b64decode("z0x9c8v7")
    assert uris == ["http://wado.example.com/studies/1/bulk/pixels"]
    assert ds.PixelData == b"\x00\x01" * 4
    assert ds[0x00200020].is_empty and ds[0x0040A160].value == ""

    # pydicom reads the same JSON to the same values.
    theirs = pydicom.Dataset.from_json(study, lambda tag, vr, uri: b"\x00\x01" * 4)
    assert ds.to_json_dict() == theirs.to_json_dict()


def test_un_of_a_public_tag_gets_its_dictionary_vr() -> None:
    # (0028,0010) Rows, US, sent as UN: 512 little endian. And (0008,0020) Study Date.
    source = {
        "00280010": {"vr": "UN", "InlineBinary": base64.b64encode(b"\x00\x02").decode()},
        "00080020": {"vr": "UN", "InlineBinary": base64.b64encode(b"20240102").decode()},
        "00280106": {"vr": "UN", "InlineBinary": base64.b64encode(b"\x01\x00").decode()},
    }
    ds = Dataset.from_json(source)
    assert ds[0x00280010].VR == "US" and ds.Rows == 512 and type(ds.Rows) is int
    assert ds[0x00080020].VR == "DA" and ds.StudyDate == "20240102"
    # pydicom 3.0 does the same for text VRs (it fails on binary numbers: its
    # DataElement takes len() of the converted int).
    theirs = pydicom.Dataset.from_json({"00080020": source["00080020"]})
    assert theirs[0x00080020].VR == "DA" and theirs.StudyDate == "20240102"
    # Empty, as an empty UN read from a file: the dictionary VR and its empty value.
    empty = Dataset.from_json({"00100010": {"vr": "UN"}})[0x00100010]
    assert empty.VR == "PN" and isinstance(empty.value, PersonName) and empty.is_empty
    # An ambiguous dictionary VR needs the whole dataset to resolve: kept as UN.
    assert ds[0x00280106].VR == "UN" and ds[0x00280106].value == b"\x01\x00"


def test_un_sequence_of_a_public_tag_is_read_as_implicit_little_endian() -> None:
    item = struct.pack("<HHL", 0x0008, 0x0100, 6) + b"121206"
    encoded = (
        struct.pack("<HHL", 0xFFFE, 0xE000, len(item))
        + item
    )
    source = {"0040A043": {"vr": "UN", "InlineBinary": base64.b64encode(encoded).decode()}}
    ds = Dataset.from_json(source)
    assert ds[0x0040A043].VR == "SQ"
    assert ds.ConceptNameCodeSequence[0].CodeValue == "121206"
    assert ds.to_json_dict() == pydicom.Dataset.from_json(source).to_json_dict()


@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "chrH32.dcm", "reportsi.dcm"])
def test_from_json_dataset_writes_and_reads_back(name: str, tmp_path: Path) -> None:
    # A dataset made from JSON is a normal dataset: dcmwrite accepts it and
    # reading the file back gives the same JSON.
    source = quietly(dicomcore.dcmread, datafiles.get(name))
    encoded = quietly(source.to_json_dict)
    ds = Dataset.from_json(encoded)
    ds.file_meta = source.file_meta
    out = tmp_path / "from_json.dcm"
    quietly(ds.save_as, out, enforce_file_format=True)
    again = quietly(dicomcore.dcmread, out)
    assert json_differences(quietly(again.to_json_dict), encoded) == []


def test_from_json_subclass_is_used_for_items() -> None:
    class MyDataset(Dataset):
        pass

    ds = MyDataset.from_json({"00081115": {"vr": "SQ", "Value": [{}, None]}})
    assert type(ds) is MyDataset
    assert [type(item) for item in ds[0x00081115].value] == [MyDataset, MyDataset]
    assert len(ds[0x00081115].value[1]) == 0


def test_unordered_json_gives_sorted_output() -> None:
    source = {
        "00280011": {"vr": "US", "Value": [4]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "B"}]},
        "00080060": {"vr": "CS", "Value": ["OT"]},
    }
    ds = Dataset.from_json(source)
    assert list(ds.to_json_dict()) == ["00080060", "00100010", "00280011"]
    assert ds.to_json_dict() == pydicom.Dataset.from_json(source).to_json_dict()


def test_file_meta_dataset_from_json_keeps_its_group_check() -> None:
    meta = FileMetaDataset.from_json({"00020010": {"vr": "UI", "Value": ["1.2.840.10008.1.2"]}})
    assert type(meta) is FileMetaDataset and meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    with pytest.raises(ValueError, match="group 2"):
        FileMetaDataset.from_json({"00100010": {"vr": "PN", "Value": [{"Alphabetic": "A"}]}})


def test_private_creator_is_attached() -> None:
    ds = Dataset.from_json(
        {
            "00090010": {"vr": "LO", "Value": ["ACME 1.1"]},
            "00091001": {"vr": "LO", "Value": ["x"]},
        }
    )
    assert ds[0x00091001].private_creator == "ACME 1.1"


def test_file_dataset_to_json_dict() -> None:
    ds = quietly(dicomcore.dcmread, datafiles.get("CT_small.dcm"))
    assert isinstance(ds, FileDataset)
    got = quietly(ds.to_json_dict)
    assert got["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}


# ---------------------------------------------------------------------------
# Malformed JSON
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["0010001G", "PatientName", "001000100", "0010010", "", "(0010,0010)"]
)
def test_bad_tag_key_raises(key: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(key)) + ".*eight hexadecimal digits"):
        Dataset.from_json({key: {"vr": "PN", "Value": [{"Alphabetic": "A"}]}})


def test_bad_tag_key_in_element_from_json_raises() -> None:
    with pytest.raises(ValueError, match="'XYZ'.*eight hexadecimal digits"):
        DataElement.from_json(Dataset, "XYZ", "LO", ["a"], "Value")
    elem = DataElement.from_json(Dataset, "0010002a", "LO", ["a"], "Value")
    assert elem.tag == 0x0010002A


def test_bad_tag_key_inside_a_sequence_names_the_sequence() -> None:
    source = {"00081115": {"vr": "SQ", "Value": [{"XYZ": {"vr": "LO"}}]}}
    with pytest.raises(ValueError, match=r"'XYZ' in item 1 of sequence \(0008,1115\)"):
        Dataset.from_json(source)


@pytest.mark.parametrize("vr", ["XX", "pn", "", None, 5, "US or XX"])
def test_unknown_vr_raises_naming_the_tag(vr: Any) -> None:
    with pytest.raises(ValueError, match=r"\(0010,0010\) has an unknown VR"):
        Dataset.from_json({"00100010": {"vr": vr, "Value": ["A"]}})


@pytest.mark.parametrize("value", ["Doe^John", {"Alphabetic": "A"}, 5, None])
def test_value_not_a_list_raises_naming_the_tag(value: Any) -> None:
    with pytest.raises(TypeError, match=r"'Value' of data element \(0010,0010\) must be a list"):
        Dataset.from_json({"00100010": {"vr": "PN", "Value": value}})


def test_missing_vr_raises_naming_the_tag() -> None:
    with pytest.raises(KeyError, match=r"\(0010,0020\) .*has no 'vr'"):
        Dataset.from_json({"00100020": {"Value": ["1"]}})


def test_error_deep_in_a_sequence_names_the_element_and_where_it_is() -> None:
    source = {
        "0040A730": {
            "vr": "SQ",
            "Value": [{}, {"0040A730": {"vr": "SQ", "Value": [{"00280010": {"vr": "US", "Value": 7}}]}}],
        }
    }
    with pytest.raises(TypeError) as info:
        Dataset.from_json(source)
    assert "(0028,0010)" in str(info.value)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "item 1 of sequence (0040,A730)" in notes and "item 2 of sequence (0040,A730)" in notes


@pytest.mark.parametrize(
    "attribute, error, pattern",
    [
        ({"vr": "OB", "InlineBinary": 5}, TypeError, "'InlineBinary' must be str"),
        ({"vr": "OB", "InlineBinary": "@@@@"}, ValueError, "not valid base64"),
        ({"vr": "OB", "InlineBinary": "AAE"}, ValueError, "not valid base64"),
        ({"vr": "OB", "BulkDataURI": ["a", "b"]}, TypeError, "'BulkDataURI' must be str"),
        ({"vr": "US", "Value": ["x"]}, ValueError, "not an integer"),
        ({"vr": "US", "Value": [1.5]}, ValueError, "not an integer"),
        ({"vr": "IS", "Value": [True]}, ValueError, "not an integer"),
        ({"vr": "DS", "Value": ["abc"]}, ValueError, "not a number"),
        ({"vr": "FD", "Value": [[1.0]]}, ValueError, "not a number"),
        ({"vr": "LO", "Value": [5]}, TypeError, "JSON String is required"),
        ({"vr": "PN", "Value": [5]}, TypeError, "JSON object"),
        ({"vr": "PN", "Value": [{"Alphabetic": 5}]}, TypeError, "'Alphabetic'"),
        ({"vr": "SQ", "Value": ["item"]}, TypeError, r"item 1 of sequence \(0010,0010\)"),
        ({"vr": "LO", "Value": ["a"], "InlineBinary": "AA=="}, ValueError, "at most one"),
        ("LO", TypeError, "must be a JSON object"),
        ({"vr": "LO", "Value": ["x"]}, None, None),
    ],
)
def test_malformed_attribute_raises_naming_the_tag(attribute: Any, error: Any, pattern: Any) -> None:
    source = {"00100010": attribute}
    if error is None:  # the control case is accepted
        assert Dataset.from_json(source)[0x00100010].value == "x"
        return
    with pytest.raises(error, match=pattern) as info:
        Dataset.from_json(source)
    assert "(0010,0010)" in str(info.value)


def test_not_a_json_object_raises() -> None:
    with pytest.raises(TypeError, match="must be a JSON object"):
        Dataset.from_json("[1, 2]")
    with pytest.raises(json.JSONDecodeError):
        Dataset.from_json("{not json")


def test_invalid_at_value_warns_and_is_ignored_as_pydicom() -> None:
    source = {"00209165": {"vr": "AT", "Value": ["not a tag"]}}
    with pytest.warns(UserWarning, match=r"\(0020,9165\)"):
        ds = Dataset.from_json(source)
    assert ds[0x00209165].is_empty
    with pytest.warns(UserWarning):
        assert pydicom.Dataset.from_json(source)[0x00209165].is_empty
    with pytest.raises(ValueError, match=r"\(0020,9165\)"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Dataset.from_json({"00209165": {"vr": "AT", "Value": ["00100010", "bad"]}})


def test_pn_given_as_a_plain_string_is_accepted_with_a_warning() -> None:
    with pytest.warns(UserWarning, match=r"\(0010,0010\)"):
        ds = Dataset.from_json({"00100010": {"vr": "PN", "Value": ["Doe^John"]}})
    assert ds.PatientName == "Doe^John" and isinstance(ds.PatientName, PersonName)
