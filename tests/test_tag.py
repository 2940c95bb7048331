"""dicomcore.tag against pydicom.tag: construction, errors, properties, comparisons."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.tag as ptag
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datafiles
from dicomcore.tag import (
    TAG_CHARSET,
    TAG_PIXREP,
    BaseTag,
    ItemDelimiterTag,
    ItemTag,
    SequenceDelimiterTag,
    Tag,
    TupleTag,
    tag_in_exception,
)

VALID_SPELLINGS = [
    (0,),
    (0x00100010,),
    (0xFFFFFFFF,),
    (0x0010, 0x0010),
    (0xFFFF, 0xFFFF),
    ((0x0010, 0x0010),),
    ([0x7FE0, 0x0010],),
    (("7FE0", "0010"),),
    (("0x7fe0", "0x10"),),
    ("PatientName",),
    ("PixelData",),
    ("CommandGroupLength",),
    ("0x00100010",),
    ("00100010",),
    ("7fe00010",),
    ("  00100010 ",),
    ("FFFFFFFF",),
    ("10",),
    ("+10",),
    ("1_0",),
    ("0X10",),
    ("\t10\n",),
    ("Add",),  # a keyword-looking string that is hexadecimal: hex wins, as in pydicom
    (True,),
]

INVALID_SPELLINGS = [
    (-1,),
    (0x100000000,),
    (2**70,),
    ((0x10000, 0),),
    ((0, 0x10000),),
    ((-1, 0),),
    ((0x10, -1),),
    ((1, 2, 3),),
    ((1,),),
    ((),),
    (("10", 20),),
    ((10, "20"),),
    ((1.0, 2.0),),
    (("zz", "10"),),
    ("NotAKeyword",),
    ("0x1FFFFFFFF",),
    ("-10",),
    ("0010,0010",),
    (None,),
    (object(),),
    (0x10, "0x10"),
    (0x10000, 0x0010),
]


def pydicom_outcome(args):
    try:
        return ptag.Tag(*args)
    except Exception as exc:
        return type(exc)


@pytest.mark.parametrize("args", VALID_SPELLINGS, ids=repr)
def test_tag_from_valid_spellings(args) -> None:
    expected = ptag.Tag(*args)
    tag = Tag(*args)
    assert type(tag) is BaseTag
    assert int(tag) == int(expected)
    assert str(tag) == str(expected) and repr(tag) == repr(expected)


@pytest.mark.parametrize("args", INVALID_SPELLINGS, ids=repr)
def test_tag_errors_match_pydicom(args) -> None:
    expected = pydicom_outcome(args)
    assert isinstance(expected, type) and issubclass(expected, Exception), expected
    with pytest.raises(expected):
        Tag(*args)


def test_tag_error_messages_say_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="'NotAKeyword'.*unknown DICOM element keyword"):
        Tag("NotAKeyword")
    with pytest.raises(OverflowError, match="maximum of 2-bytes each"):
        Tag(0x10000, 0)
    with pytest.raises(OverflowError, match="maximum of 4-bytes"):
        Tag(0x100000000)
    with pytest.raises(ValueError, match="tags must be positive"):
        Tag(-5)
    with pytest.raises(TypeError, match="same type"):
        Tag(("10", 20))
    with pytest.raises(ValueError, match="2-tuple"):
        Tag((1, 2, 3))


def test_empty_string_is_no_keyword() -> None:
    # pydicom's keyword map holds "" for its blank placeholders, so its Tag("")
    # returns one of them; an empty string names no element.
    assert ptag.Tag("") == 0x300A0782
    with pytest.raises(ValueError, match="unknown DICOM element keyword"):
        Tag("")


def test_floats_are_refused_where_pydicom_truncates() -> None:
    # pydicom silently turns Tag(16.7) into (0000,0010); a float is no tag.
    assert ptag.Tag(16.7) == 16
    with pytest.raises(TypeError, match="float"):
        Tag(16.7)


@pytest.mark.parametrize("value", [np.uint32(0x00100010), np.int64(0x00100010),
                                   np.uint16(0x10)], ids=repr)
def test_numpy_integers(value) -> None:
    assert Tag(value) == int(value) and type(Tag(value)) is BaseTag
    assert Tag(np.uint16(0x10), value & 0xFFFF) == (0x10 << 16 | int(value) & 0xFFFF)
    assert Tag((value & 0xFFFF, np.int32(0x20))) == ((int(value) & 0xFFFF) << 16 | 0x20)
    with pytest.raises(OverflowError):
        Tag(value, 0x10) if value > 0xFFFF else Tag(value, 0x10000)


def test_tag_passes_base_tags_through_and_is_cheap_for_ints() -> None:
    tag = BaseTag(0x00100010)
    assert Tag(tag) is tag
    assert type(Tag(0x00100010)) is BaseTag
    assert TupleTag((0x0010, 0x0020)) == 0x00100020 and type(TupleTag((1, 2))) is BaseTag


@settings(max_examples=1000, deadline=None)
@given(st.integers(-(2**33), 2**33), st.booleans())
def test_random_ints_and_hex_strings_match_pydicom(value: int, as_text: bool) -> None:
    args = (f"{value:x}",) if as_text else (value,)
    expected = pydicom_outcome(args)
    if isinstance(expected, type):
        with pytest.raises(expected):
            Tag(*args)
    else:
        tag = Tag(*args)
        assert tag == expected and str(tag) == str(expected)
        assert tag.private_creator == expected.private_creator
        assert (tag.is_private, tag.is_private_creator) == (expected.is_private,
                                                            expected.is_private_creator)


@settings(max_examples=500, deadline=None)
@given(st.integers(-5, 0x10005), st.integers(-5, 0x10005))
def test_random_pairs_match_pydicom(group: int, element: int) -> None:
    expected = pydicom_outcome((group, element))
    if isinstance(expected, type):
        with pytest.raises(expected):
            Tag(group, element)
        with pytest.raises(expected):
            Tag((group, element))
    else:
        assert Tag(group, element) == Tag((group, element)) == int(expected)


PROPERTY_TAGS = [0x00000000, 0x00100010, 0x00090010, 0x000900FF, 0x00090100, 0x0009000F,
                 0x00191001, 0x0019FF10, 0x7FE00010, 0xFFFEE000, 0xFFFFFFFF, 0x60003000,
                 0x00110000]


@pytest.mark.parametrize("value", PROPERTY_TAGS, ids=lambda v: f"{v:08X}")
def test_properties_match_pydicom(value: int) -> None:
    ours, theirs = BaseTag(value), ptag.BaseTag(value)
    for name in ("group", "element", "elem", "is_private", "is_private_creator", "json_key"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert int(ours.private_creator) == int(theirs.private_creator)
    assert type(ours.private_creator) is BaseTag
    assert str(ours) == str(theirs) == f"({value >> 16:04X},{value & 0xFFFF:04X})"
    assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(value)


def test_private_creator_of_a_private_element() -> None:
    assert BaseTag(0x00191001).private_creator == 0x00190010
    assert BaseTag(0x0029FF42).private_creator == 0x002900FF
    assert BaseTag(0x00090010).is_private_creator
    assert not BaseTag(0x00091010).is_private_creator
    assert not BaseTag(0x00100010).is_private_creator


OTHERS = [0x00100010, 0x00100011, 0x0010000F, (0x0010, 0x0010), (0x0010, 0x0020), [0x10, 0x10],
          "PatientName", "PatientID", "00100010", "0x00100010", ("0010", "0010")]


@pytest.mark.parametrize("other", OTHERS, ids=repr)
def test_comparisons_match_pydicom(other) -> None:
    ours, theirs = BaseTag(0x00100010), ptag.BaseTag(0x00100010)
    assert (ours == other) is (theirs == other)
    assert (ours != other) is (theirs != other)
    assert (ours < other) is (theirs < other)
    assert (ours <= other) is (theirs <= other)
    assert (ours > other) is (theirs > other)
    assert (ours >= other) is (theirs >= other)


@pytest.mark.parametrize("garbage", [None, "NotAKeyword", (1, 2, 3), object(), b"\x10\x00"],
                         ids=repr)
def test_comparisons_with_non_tags(garbage) -> None:
    tag = BaseTag(0x00100010)
    assert (tag == garbage) is False and (tag != garbage) is True
    assert (ptag.BaseTag(0x00100010) == garbage) is False
    for compare in (tag.__lt__, tag.__le__, tag.__gt__, tag.__ge__):
        with pytest.raises(TypeError):
            result = compare(garbage)
            if result is NotImplemented:
                raise TypeError("not orderable")


def test_tags_behave_as_ints() -> None:
    tag = BaseTag(0x00100010)
    assert tag == float(0x00100010)  # numeric comparison like an int
    assert tag < 0x00100010 + 0.5
    assert {0x00100010: "int key"}[tag] == "int key"
    assert {tag: "tag key"}[0x00100010] == "tag key"
    assert sorted([BaseTag(3), 1, BaseTag(2)]) == [1, 2, 3]
    assert tag + 1 == 0x00100011 and f"{tag:08X}" == "00100010"
    assert pickle.loads(pickle.dumps(tag)) == tag and type(pickle.loads(pickle.dumps(tag))) is BaseTag
    assert np.uint32(0x00100010) == tag


def test_special_tags() -> None:
    assert (ItemTag, ItemDelimiterTag, SequenceDelimiterTag) == (0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD)
    assert all(type(t) is BaseTag for t in (ItemTag, ItemDelimiterTag, SequenceDelimiterTag))
    assert ItemTag == ptag.ItemTag and SequenceDelimiterTag == ptag.SequenceDelimiterTag
    assert TAG_PIXREP == "PixelRepresentation" and TAG_CHARSET == "SpecificCharacterSet"


def test_tag_in_exception_names_the_tag() -> None:
    with pytest.raises(ValueError, match=r"^With tag \(0028,3002\) got exception: bad value") as info:
        with tag_in_exception(BaseTag(0x00283002)):
            raise ValueError("bad value")
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) == "bad value"
    with pytest.raises(KeyError, match=r"With tag \(0010,0010\)"):
        with tag_in_exception(0x00100010):
            raise KeyError("missing")


def test_tag_in_exception_keeps_exceptions_it_cannot_rebuild() -> None:
    with pytest.raises(UnicodeDecodeError) as info:
        with tag_in_exception(BaseTag(0x00100010)):
            b"\xff".decode("utf-8")
    assert info.value.reason == "invalid start byte"
    with tag_in_exception(BaseTag(0x00100010)):
        pass  # no exception: nothing happens


@pytest.mark.parametrize("path", datafiles.test_files(), ids=datafiles.file_id)
def test_tags_of_real_files(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True)
            tags = list(dataset.keys())
        except Exception:
            pytest.skip("pydicom cannot read this file without force (not DICOM)")
    tags += list(dataset.file_meta.keys()) if "file_meta" in dataset.__dict__ else []
    assert tags
    for theirs in tags:
        ours = Tag(int(theirs))
        assert Tag(theirs.json_key) == ours == Tag(f"0x{theirs.json_key}")
        assert Tag(theirs.group, theirs.element) == ours == Tag((theirs.group, theirs.element))
        assert str(ours) == str(theirs) and ours.json_key == theirs.json_key
        assert ours.is_private == theirs.is_private
        assert ours.is_private_creator == theirs.is_private_creator
        assert ours.private_creator == theirs.private_creator
        assert ours == theirs and hash(ours) == hash(theirs)
