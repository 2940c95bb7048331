"""Sequence: a list of Dataset items, as pydicom's."""

from __future__ import annotations

import copy

import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore import Dataset, Sequence


def _item(value: str) -> Dataset:
    item = Dataset()
    item.CodeMeaning = value
    return item


def test_list_behaviour_and_type_checks() -> None:
    seq = Sequence([_item("a"), _item("b")])
    seq.append(_item("c"))
    seq.insert(0, _item("z"))
    seq.extend([_item("d")])
    seq += [_item("e")]
    assert [i.CodeMeaning for i in seq] == ["z", "a", "b", "c", "d", "e"]
    seq[0] = _item("y")
    del seq[-1]
    assert len(seq) == 5 and seq[0].CodeMeaning == "y"
    assert isinstance(seq[1:3], Sequence) and len(seq[1:3]) == 2
    for bad in (lambda: seq.append("x"), lambda: Sequence([1]), lambda: seq.extend(3),
                lambda: Sequence("abc")):
        with pytest.raises(TypeError):
            bad()


def test_repr_str_and_equality_like_pydicom() -> None:
    ours = Sequence([_item("a")])
    theirs = pydicom.Sequence([pydicom.Dataset()])
    theirs[0].CodeMeaning = "a"
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert ours == Sequence([_item("a")]) and ours != Sequence([_item("b")])


def test_read_sequences_keep_undefined_lengths_and_deepcopy() -> None:
    path = datafiles.get("rtplan.dcm")
    ours = dicomcore.dcmread(path)
    theirs = pydicom.dcmread(path)
    for elem in theirs.iterall():
        if elem.VR == "SQ":
            mine = ours[elem.tag] if elem.tag in ours else None
            if mine is not None:
                assert mine.is_undefined_length == elem.is_undefined_length
                assert [i.is_undefined_length_sequence_item for i in mine.value] == [
                    i.is_undefined_length_sequence_item for i in elem.value
                ]
    seq = ours.BeamSequence
    clone = copy.deepcopy(seq)
    clone[0].BeamName = "changed"
    assert ours.BeamSequence[0].BeamName != "changed"
