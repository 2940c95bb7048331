"""DataElement and RawDataElement: pydicom 3's behaviour, side by side."""

from __future__ import annotations

import copy
import pickle

import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore.dataelem import DataElement, RawDataElement
from dicomcore.tag import BaseTag

CASES = [
    (0x00100010, "PN", "Doe^John"),
    (0x00080008, "CS", ["ORIGINAL", "PRIMARY"]),
    (0x00280030, "DS", ["0.5", "0.25"]),
    (0x00200013, "IS", "7"),
    (0x00280010, "US", 512),
    (0x00080018, "UI", "1.2.840.10008.5.1.4.1.1.2"),
    (0x00081030, "LO", ""),
    (0x7FE00010, "OB", b"\x00\x01\x02\x03"),
    (0x00091001, "LO", "private value"),
    (0x00100021, "LO", "x" * 40),
    (0x00181310, "US", [0, 256, 256, 0]),
]


@pytest.mark.parametrize(("tag", "vr", "value"), CASES)
def test_properties_match_pydicom(tag, vr, value) -> None:
    ours = DataElement(tag, vr, value)
    theirs = pydicom.DataElement(tag, vr, value)
    assert ours.tag == theirs.tag and isinstance(ours.tag, BaseTag)
    assert ours.VR == theirs.VR
    assert ours.VM == theirs.VM
    assert ours.keyword == theirs.keyword
    assert ours.is_private == theirs.is_private
    assert ours.is_retired == theirs.is_retired
    assert ours.is_empty == theirs.is_empty
    assert ours.repval == theirs.repval
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    if not ours.is_private:
        assert ours.name == theirs.name


@pytest.mark.parametrize("vr", ["PN", "LO", "DS", "IS", "US", "FL", "OB", "SQ", "UI", "DA", "AT"])
def test_empty_values_and_clear_match_pydicom(vr) -> None:
    ours = DataElement(0x00100010, vr, None)
    theirs = pydicom.DataElement(0x00100010, vr, None)
    assert ours.empty_value == theirs.empty_value
    assert ours.is_empty and theirs.is_empty
    ours.clear()
    assert ours.is_empty


def test_backslash_strings_become_multiple_values() -> None:
    elem = DataElement(0x00080008, "CS", "ORIGINAL\\PRIMARY")
    assert list(elem.value) == ["ORIGINAL", "PRIMARY"] and elem.VM == 2
    text = DataElement(0x00081030, "LT", "a\\b")  # LT allows backslashes
    assert text.value == "a\\b" and text.VM == 1


def test_equality_and_unhashable() -> None:
    assert DataElement(0x00100010, "PN", "A^B") == DataElement(0x00100010, "PN", "A^B")
    assert DataElement(0x00100010, "PN", "A^B") != DataElement(0x00100010, "PN", "A^C")
    assert DataElement(0x00100010, "PN", "A^B") != DataElement(0x00100020, "PN", "A^B")
    with pytest.raises(TypeError):
        hash(DataElement(0x00100010, "PN", "A^B"))


def test_elements_read_from_a_file_decode_lazily_and_copy() -> None:
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    elem = ds[0x00100010]
    assert not elem.is_decoded
    assert elem.value == "CompressedSamples^CT1"
    assert elem.is_decoded
    clone = copy.deepcopy(elem)
    clone.value = "Other^Name"
    assert elem.value == "CompressedSamples^CT1"
    restored = pickle.loads(pickle.dumps(ds[0x00280030]))
    assert restored == ds[0x00280030]
    assert ds[0x00091001].private_creator == "GEMS_IDEN_01"


def test_getitem_on_multi_values_and_sequences() -> None:
    elem = DataElement(0x00280030, "DS", ["0.5", "0.25"])
    assert elem[1] == 0.25
    with pytest.raises(TypeError, match="unscriptable"):
        DataElement(0x00280010, "US", 5)[0]


def test_raw_data_element_fields_match_pydicom() -> None:
    path = datafiles.get("CT_small.dcm")
    ours = dicomcore.dcmread(path).get_item(0x00100010)
    theirs = pydicom.dcmread(path).get_item(0x00100010)
    assert isinstance(ours, RawDataElement)
    assert ours._fields == theirs._fields
    assert tuple(ours) == tuple(theirs)


def test_unknown_public_un_takes_the_dictionary_vr() -> None:
    assert DataElement(0x00280010, "UN", b"\x00\x02").VR == "US"
    assert DataElement(0x00091001, "UN", b"\x00\x02").VR == "UN"


# -- values checked on assignment, as pydicom 3 checks them ----------------------------

ASSIGNMENTS = [
    ("PatientID", "x" * 100),
    ("PatientID", "x" * 64),
    ("StudyDate", "2020-01-01"),
    ("StudyDate", "20200101"),
    ("StudyTime", "25"),
    ("StudyTime", "235959.123"),
    ("PatientAge", "40"),
    ("PatientAge", "040Y"),
    ("ImageType", ["ORIGINAL", "primary"]),
    ("ImageType", "ORIGINAL\\PRIMARY"),
    ("Modality", "C T!"),
    ("Rows", 70000),
    ("Rows", 512),
    ("PixelPaddingValue", -1),
    ("RetrieveAETitle", "A\\B" * 10),
    ("SOPInstanceUID", "1.2.abc"),
    ("PatientName", "A" * 65),
    ("SliceThickness", "1.5"),
]


def _warnings_of(library, keyword, value):
    import warnings

    ds = library.Dataset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setattr(ds, keyword, value)
    return [str(w.message).split(" Please see")[0].split(" See PS3.5")[0] for w in caught]


@pytest.mark.parametrize(("keyword", "value"), ASSIGNMENTS)
def test_assigned_values_are_checked_as_pydicom_3_checks_them(keyword, value):
    assert _warnings_of(dicomcore, keyword, value) == _warnings_of(pydicom, keyword, value)


@pytest.mark.parametrize(("keyword", "value"), [("StudyDate", "2020-01-01"), ("Rows", -3)])
def test_validation_modes_on_assignment(keyword, value, recwarn, monkeypatch):
    from dicomcore import config

    # The private attribute: None (the default) means "derived", which setting the
    # property back would not restore.
    monkeypatch.setattr(config.settings, "_reading_validation_mode", config.RAISE)
    ds = dicomcore.Dataset()
    with pytest.raises(ValueError, match="Invalid value"):
        setattr(ds, keyword, value)
    assert keyword not in ds  # nothing half-assigned
    monkeypatch.setattr(config.settings, "_reading_validation_mode", config.IGNORE)
    setattr(ds, keyword, value)
    assert not recwarn.list


def test_invalid_values_are_not_also_printed_by_the_logger():
    import subprocess
    import sys

    code = ("import warnings, dicomcore\nwarnings.simplefilter('ignore')\n"
            "dicomcore.Dataset().PatientID = 'x' * 100\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stderr == ""


# -- convert_raw_data_element (pydicom 3) ----------------------------------------------


@pytest.mark.parametrize("name", ["CT_small.dcm", "chrH31.dcm", "rtplan.dcm"])
def test_convert_raw_data_element_as_pydicom_3(name):
    from pydicom.dataelem import convert_raw_data_element as theirs_convert

    from dicomcore.dataelem import convert_raw_data_element

    path = datafiles.get(name)
    ours_ds, theirs_ds = dicomcore.dcmread(path), pydicom.dcmread(path)
    tags = [t for t in theirs_ds.keys() if t.group != 0x7FE0 and theirs_ds.get_item(t).__class__
            is pydicom.dataelem.RawDataElement][:40]
    assert len(tags) >= 10
    for tag in tags:
        charset = theirs_ds._character_set  # Python codecs, as pydicom takes them
        theirs = theirs_convert(theirs_ds.get_item(tag), encoding=charset, ds=theirs_ds)
        ours = convert_raw_data_element(ours_ds.get_item(tag), encoding=charset, ds=ours_ds)
        assert (ours.tag, ours.VR) == (theirs.tag, theirs.VR)
        if ours.VR != "SQ":
            assert ours.value == theirs.value


def test_convert_raw_data_element_with_an_encoding():
    from dicomcore.dataelem import RawDataElement, convert_raw_data_element

    raw = RawDataElement(BaseTag(0x00100010), "PN", 8, "Müller".encode("latin_1") + b"  ", 0,
                         False, True)
    assert convert_raw_data_element(raw, encoding="latin_1").value == "Müller"


def test_pydicom_names_kept_for_old_code():
    from dicomcore import misc, uid

    assert uid.PYDICOM_IMPLEMENTATION_UID == uid.DICOMCORE_IMPLEMENTATION_UID
    with pytest.warns(UserWarning, match="hello"):
        misc.warn_and_log("hello")


def test_a_multivalue_from_another_dataset_is_checked_value_by_value(recwarn):
    source = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    copy = dicomcore.Dataset()
    copy.ImageType = source.ImageType  # a MultiValue, not a list
    assert not recwarn.list
    with pytest.warns(UserWarning, match="Invalid value for VR CS: 'primary'"):
        copy.ImageType = dicomcore.multival.MultiValue(str, ["ORIGINAL", "primary"])
