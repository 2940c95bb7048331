"""Dataset, FileMetaDataset, FileDataset and PrivateBlock: pydicom 3's API, side by side."""

from __future__ import annotations

import copy
import pickle

import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore import DataElement, Dataset, FileMetaDataset, Sequence
from dicomcore.tag import BaseTag
from oracle import differences

CT = datafiles.get("CT_small.dcm")
RTPLAN = datafiles.get("rtplan.dcm")


@pytest.fixture
def pair():
    """The same file read by dicomcore and by pydicom."""
    return dicomcore.dcmread(CT), pydicom.dcmread(CT)


def test_keyword_tag_and_tuple_access(pair) -> None:
    ours, theirs = pair
    assert ours.PatientName == theirs.PatientName
    assert ours[0x00100010].value == theirs[0x00100010].value
    assert ours[0x0010, 0x0010].value == theirs[0x0010, 0x0010].value
    assert ours["PatientName"].value == theirs["PatientName"].value
    assert ours[BaseTag(0x00100010)].VR == "PN"
    assert "PatientName" in ours and 0x00100010 in ours and (0x10, 0x10) in ours
    assert "NotAKeyword" not in ours and 0x00100011 not in ours
    with pytest.raises(AttributeError, match="no attribute 'PatientSize'"):
        ours.PatientSize  # noqa: B018
    with pytest.raises(KeyError):
        ours[0x00101020]


def test_iteration_len_keys_values_items_in_tag_order(pair) -> None:
    ours, theirs = pair
    assert len(ours) == len(theirs)
    assert ours.keys() == list(theirs.keys())
    assert [e.tag for e in ours] == [e.tag for e in theirs]
    assert [tag for tag, _ in ours.items()] == list(theirs.keys())
    assert all(isinstance(t, BaseTag) for t in ours.keys())
    assert len(ours.values()) == len(theirs.values())
    assert [e.tag for e in ours.elements()] == [e.tag for e in theirs.elements()]


def test_slicing_and_group_dataset(pair) -> None:
    ours, theirs = pair
    assert ours[0x00100000:0x00200000].keys() == list(theirs[0x00100000:0x00200000].keys())
    assert ours.group_dataset(0x0028).keys() == list(theirs.group_dataset(0x0028).keys())
    assert ours[:0x00080020].keys() == list(theirs[:0x00080020].keys())


def test_setting_values_by_keyword_and_new_elements() -> None:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.Rows = 512
    ds.ImageType = "ORIGINAL\\PRIMARY"
    ds.PixelSpacing = ["0.5", "0.5"]
    assert ds[0x00100010].VR == "PN"
    assert ds.Rows == 512 and ds[0x00280010].VR == "US"
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY"]
    assert ds.PixelSpacing == [0.5, 0.5]
    ds.Rows = 256
    assert ds.Rows == 256
    del ds.Rows
    assert "Rows" not in ds
    with pytest.raises(AttributeError):
        del ds.Rows


def test_non_keyword_attributes_and_misspelled_keywords() -> None:
    ds = Dataset()
    ds.my_attribute = 3
    assert ds.my_attribute == 3
    assert "my_attribute" not in ds.dir()
    with pytest.warns(UserWarning, match="PatientNme"):
        ds.PatientNme = "x"
    with pytest.raises(ValueError, match="repeating group"):
        ds.OverlayData = b"\0"


def test_add_add_new_setdefault_pop_popitem_update_clear() -> None:
    ds = Dataset()
    ds.add(DataElement(0x00100010, "PN", "A^B"))
    ds.add_new(0x00100020, "LO", "ID1")
    ds.add_new("PatientSex", "CS", "F")
    assert ds.PatientID == "ID1" and ds.PatientSex == "F"
    elem = ds.setdefault("PatientAge", "042Y")
    assert elem.VR == "AS" and ds.PatientAge == "042Y"
    assert ds.setdefault("PatientAge", "999Y").value == "042Y"
    assert ds.pop("PatientAge").value == "042Y"
    assert ds.pop(0x00101010, None) is None
    tag, last = ds.popitem()
    assert tag == 0x00100040 and last.value == "F"
    ds.update({"PatientWeight": "70", 0x00100030: DataElement(0x00100030, "DA", "20000101")})
    assert ds.PatientWeight == 70 and ds.PatientBirthDate == "20000101"
    other = Dataset()
    other.Modality = "CT"
    ds.update(other)
    assert ds.Modality == "CT"
    ds.clear()
    assert len(ds) == 0 and not ds


def test_setitem_checks_key_and_type() -> None:
    ds = Dataset()
    with pytest.raises(ValueError, match="doesn't match"):
        ds[0x00100020] = DataElement(0x00100010, "PN", "x")
    with pytest.raises(TypeError, match="DataElement"):
        ds[0x00100010] = "x"
    with pytest.raises(NotImplementedError):
        ds[0x00100000:0x00100020] = DataElement(0x00100010, "PN", "x")


def test_get_and_data_element(pair) -> None:
    ours, theirs = pair
    assert ours.get("PatientID") == theirs.get("PatientID")
    assert ours.get("PatientSize", "n/a") == "n/a"
    assert ours.get(0x00100020).value == theirs.get(0x00100020).value
    assert ours.data_element("PatientID").value == theirs.data_element("PatientID").value
    assert ours.data_element("PatientSize") is None


def test_get_item_keeps_values_raw(pair) -> None:
    ours, theirs = pair
    raw = ours.get_item(0x00280030)
    their_raw = theirs.get_item(0x00280030)
    assert raw.value == their_raw.value
    assert raw.VR == their_raw.VR and raw.length == their_raw.length
    assert raw.value_tell == their_raw.value_tell
    assert ours.get_item(0x00101020) is None


def test_dir_and_trait_names(pair) -> None:
    ours, theirs = pair
    assert ours.dir() == theirs.dir()
    assert ours.dir("patient") == theirs.dir("patient")
    assert "PatientName" in dir(ours)
    assert "PatientName" in ours.trait_names()


def test_walk_iterall_and_remove_private_tags() -> None:
    ours = dicomcore.dcmread(RTPLAN)
    theirs = pydicom.dcmread(RTPLAN)
    assert [e.tag for e in ours.iterall()] == [e.tag for e in theirs.iterall()]
    seen = []
    ours.walk(lambda ds, elem: seen.append(elem.tag))
    assert seen == [e.tag for e in theirs.iterall()]
    ct = dicomcore.dcmread(CT)
    pct = pydicom.dcmread(CT)
    ct.remove_private_tags()
    pct.remove_private_tags()
    assert ct.keys() == list(pct.keys())


def test_private_blocks(pair) -> None:
    ours, theirs = pair
    assert ours.private_creators(0x0009) == theirs.private_creators(0x0009)
    block = ours.private_block(0x0009, "GEMS_IDEN_01")
    assert block[0x01].value == theirs.private_block(0x0009, "GEMS_IDEN_01")[0x01].value
    assert ours.get_private_item(0x0009, 0x01, "GEMS_IDEN_01").value == "GE_GENESIS_FF"
    assert ours[0x00091001].private_creator == "GEMS_IDEN_01"
    with pytest.raises(KeyError):
        ours.private_block(0x0011, "Nobody")
    ds = Dataset()
    ds.add_new_private("dicomcore test", 0x0041, 0x01, "value", "LO")
    created = ds.private_block(0x0041, "dicomcore test", create=True)
    assert created.get_tag(0x01) == 0x00411001
    assert ds[0x00410010].value == "dicomcore test"
    assert ds[0x00411001].value == "value"
    assert 0x01 in created
    with pytest.raises(ValueError):
        ds.private_block(0x0040, "x")
    with pytest.raises(KeyError, match="give the VR"):
        ds.add_new_private("dicomcore test", 0x0041, 0x02, "value")


def test_equality_copy_deepcopy_and_pickle(pair) -> None:
    ours, _ = pair
    same = dicomcore.dcmread(CT)
    assert ours == same
    same.PatientID = "other"
    assert ours != same
    shallow = copy.copy(ours)
    assert shallow == ours
    shallow.PatientID = "changed"
    assert ours.PatientID != "changed" or ours[0x00100020] is shallow[0x00100020]
    deep = copy.deepcopy(ours)
    deep.PatientName = "Changed^Name"
    assert ours.PatientName != "Changed^Name"
    restored = pickle.loads(pickle.dumps(dicomcore.dcmread(RTPLAN)))
    assert restored == dicomcore.dcmread(RTPLAN)


def test_str_repr_and_top_match_pydicom_for_public_elements() -> None:
    ours = dicomcore.dcmread(RTPLAN)
    theirs = pydicom.dcmread(RTPLAN)
    assert str(ours) == str(theirs)
    assert ours.top() == theirs.top()


def test_formatted_lines() -> None:
    ours = dicomcore.dcmread(RTPLAN)
    theirs = pydicom.dcmread(RTPLAN)
    fmt = "%(tag)s %(VR)s %(keyword)s"
    assert list(ours.formatted_lines(fmt, fmt)) == list(theirs.formatted_lines(fmt, fmt))


def test_sequences_and_nested_character_set() -> None:
    path = datafiles.get("chrSQEncoding.dcm")
    ours = dicomcore.dcmread(path)
    theirs = pydicom.dcmread(path)
    assert differences(ours, theirs) == []
    item = ours.ReferencedStudySequence[0] if "ReferencedStudySequence" in ours else None
    if item is not None:
        assert isinstance(item, Dataset)
    ds = Dataset()
    ds.ReferencedImageSequence = [Dataset(), Dataset()]
    assert isinstance(ds.ReferencedImageSequence, Sequence)
    with pytest.raises(TypeError):
        ds.ReferencedImageSequence.append("not a dataset")


def test_encoding_properties(pair) -> None:
    ours, theirs = pair
    assert ours.original_encoding == theirs.original_encoding
    assert ours.is_original_encoding == theirs.is_original_encoding
    assert ours.original_character_set == theirs.original_character_set
    ds = Dataset()
    assert ds.original_encoding == (None, None)
    ds.set_original_encoding(True, True, "ISO_IR 100")
    assert ds.original_encoding == (True, True)
    assert ds.read_implicit_vr is True and ds.read_little_endian is True


def test_file_meta_dataset_only_group_2() -> None:
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = "1.2.840.10008.1.2"
    with pytest.raises(ValueError, match="group 2"):
        meta.PatientName = "x"
    with pytest.raises(ValueError, match="group 2"):
        FileMetaDataset({0x00100010: DataElement(0x00100010, "PN", "x")})
    ds = Dataset()
    ds.file_meta = Dataset()  # converted, as pydicom does
    assert isinstance(ds.file_meta, FileMetaDataset)
    ds = Dataset()
    ds.ensure_file_meta()
    assert isinstance(ds.file_meta, FileMetaDataset)


def test_changing_specific_character_set_changes_decoding() -> None:
    path = datafiles.get("chrRuss.dcm")
    ours = dicomcore.dcmread(path)
    theirs = pydicom.dcmread(path)
    assert ours.PatientName == theirs.PatientName


# -- update_raw_element (pydicom 3) --------------------------------------------------


def test_update_raw_element_changes_what_an_unread_element_is_read_as():
    path = datafiles.get("CT_small.dcm")
    ours, theirs = dicomcore.dcmread(path), pydicom.dcmread(path)
    for ds in (ours, theirs):
        ds.update_raw_element(0x00100020, value=b"NEWID ")
        ds.update_raw_element(0x00280010, vr="SS")
        ds.update_raw_element("PatientSex", vr="LO", value=b"O ")
    for keyword in ("PatientID", "Rows", "PatientSex"):
        assert ours[keyword].VR == theirs[keyword].VR
        assert ours[keyword].value == theirs[keyword].value
    assert ours.PatientID == "NEWID"


@pytest.mark.parametrize(
    ("tag", "arguments", "error"),
    [
        (0x00100010, {}, ValueError),
        (0x00100010, {"vr": "XX"}, ValueError),
        (0x00100010, {"value": "abc"}, TypeError),
        (0x00100011, {"vr": "LO"}, KeyError),
    ],
)
def test_update_raw_element_refuses_as_pydicom_3(tag, arguments, error):
    path = datafiles.get("CT_small.dcm")
    ours, theirs = dicomcore.dcmread(path), pydicom.dcmread(path)
    with pytest.raises(error) as their_error:
        theirs.update_raw_element(tag, **arguments)
    with pytest.raises(error, match=str(their_error.value.args[0]).replace("(", r"\(").replace(")", r"\)")):
        ours.update_raw_element(tag, **arguments)


def test_update_raw_element_refuses_an_element_already_read():
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    assert ds.PatientName
    with pytest.raises(TypeError, match="already been converted"):
        ds.update_raw_element("PatientName", vr="LO")
