"""The C look-up paths of Dataset (``_scan.DatasetCore``) and the reader's memory behaviour.

Keyword attributes are answered in C before the normal attribute look-up;
these tests pin down that this changes nothing a user of pydicom's API can
see, and that a dataset read from a file is freed when it is dropped.
"""

from __future__ import annotations

import gc
import pickle
import weakref

import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore import DataElement, Dataset
from dicomcore.dataelem import RawDataElement
from dicomcore.tag import BaseTag

TAGS = ["Rows", "Columns", "BitsAllocated", "PixelSpacing", "RescaleSlope", "RescaleIntercept",
        "SOPInstanceUID", "SeriesInstanceUID", "PatientID", "Modality", "PatientName"]


@pytest.mark.parametrize("path", datafiles.test_files()[:80], ids=datafiles.file_id)
def test_keyword_attributes_match_pydicom(path) -> None:
    try:
        theirs = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:
        pytest.skip("pydicom cannot read this file")
    ours = dicomcore.dcmread(path, stop_before_pixels=True)
    for keyword in TAGS:
        expected = getattr(theirs, keyword, "absent")
        found = getattr(ours, keyword, "absent")
        assert (found == "absent") == (expected == "absent"), keyword
        if expected != "absent":
            assert str(found) == str(expected), keyword
            assert hasattr(ours, keyword)


def test_missing_keyword_raises_attribute_error_naming_it() -> None:
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    with pytest.raises(AttributeError, match="'FileDataset' object has no attribute 'PatientSize'"):
        ds.PatientSize  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_thing'"):
        ds.not_a_thing  # noqa: B018


def test_methods_properties_and_instance_attributes_still_resolve() -> None:
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert callable(ds.keys)
    ds.my_note = "kept"
    assert ds.my_note == "kept" and ds.__dict__["my_note"] == "kept"
    # A property raising AttributeError keeps its own message.
    class Custom(Dataset):
        @property
        def broken(self):
            raise AttributeError("inner message")

    with pytest.raises(AttributeError, match="inner message"):
        Custom().broken  # noqa: B018


def test_keyword_after_set_delete_and_raw_element() -> None:
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    ds.PatientID = "changed"
    assert ds.PatientID == "changed"
    del ds.PatientID
    assert not hasattr(ds, "PatientID")
    del ds[0x00280010]
    with pytest.raises(AttributeError):
        ds.Rows  # noqa: B018
    ds[0x00100020] = RawDataElement(BaseTag(0x00100020), "LO", 4, b"AB12", 0, False, True)
    assert ds.PatientID == "AB12"
    assert isinstance(ds[0x00100020], DataElement)


def test_pickle_and_copy_of_a_read_dataset() -> None:
    ds = dicomcore.dcmread(datafiles.get("rtplan.dcm"))
    ds.PatientName  # noqa: B018
    again = pickle.loads(pickle.dumps(ds))
    assert again.PatientName == ds.PatientName
    assert again.BeamSequence[0].BeamName == ds.BeamSequence[0].BeamName
    import copy

    assert copy.deepcopy(ds).BeamSequence[0].BeamName == ds.BeamSequence[0].BeamName


@pytest.mark.parametrize("name", ["waveform_ecg.dcm", "rtplan.dcm", "test-SR.dcm"])
def test_read_dataset_with_sequences_is_freed(name) -> None:
    data = datafiles.get(name).read_bytes()
    gc.collect()
    ds = dicomcore.dcmread(data)
    refs = [weakref.ref(ds)]
    stack = [ds]
    while stack:
        current = stack.pop()
        for elem in current:
            if elem.VR == "SQ":
                for item in elem.value:
                    refs.append(weakref.ref(item))
                    stack.append(item)
    assert len(refs) > 1
    del ds, stack, current, elem, item
    gc.collect()
    assert [r for r in refs if r() is not None] == []


@pytest.mark.parametrize("name", ["waveform_ecg.dcm", "rtplan.dcm", "test-SR.dcm"])
def test_read_dataset_has_no_reference_cycle(name) -> None:
    """Items hold their parent weakly: dropping a read dataset frees it at once."""
    data = datafiles.get(name).read_bytes()
    gc.disable()
    try:
        ds = dicomcore.dcmread(data)
        refs = [weakref.ref(ds)]
        stack = [ds]
        while stack:
            current = stack.pop()
            for elem in current:
                if elem.VR == "SQ":
                    for item in elem.value:
                        assert item._parent is current
                        refs.append(weakref.ref(item))
                        stack.append(item)
        assert len(refs) > 1
        del ds, stack, current, elem, item
        assert [r for r in refs if r() is not None] == []
    finally:
        gc.enable()


@pytest.mark.parametrize("name", ["chrSQEncoding.dcm", "chrSQEncoding1.dcm"])
def test_item_kept_alone_still_decodes_with_the_inherited_charset(name) -> None:
    path = next(p for p in datafiles.charset_files() if p.name == name)
    theirs = pydicom.dcmread(path)
    ds = dicomcore.dcmread(path)
    sequences = [e for e in ds if e.VR == "SQ" and len(e.value)]
    tag = sequences[0].tag
    item = sequences[0].value[0]
    del ds, sequences
    gc.collect()
    assert item._parent is None
    expected = theirs[tag].value[0]
    texts = [elem for elem in expected if elem.VR in ("PN", "LO", "SH", "LT", "ST", "UT")]
    assert texts
    for elem in texts:
        assert str(item[elem.tag].value) == str(elem.value)


def test_user_subclasses_keep_keyword_attributes() -> None:
    class Plain(Dataset):
        pass

    class WithFallback(Dataset):
        def __getattr__(self, name):
            return f"fallback {name}"

    for cls in (Plain, WithFallback):
        ds = cls()
        ds.PatientName = "Doe^J"
        assert ds.PatientName == "Doe^J"
    assert WithFallback().PatientName == "fallback PatientName"
    with pytest.raises(AttributeError, match="'Plain' object has no attribute 'PatientName'"):
        Plain().PatientName  # noqa: B018
    # The explicit generic look-up still sees only real attributes, as in pydicom.
    ds = Plain()
    ds.Rows = 3
    with pytest.raises(AttributeError):
        object.__getattribute__(ds, "Rows")
    assert Dataset.__getattribute__(ds, "Rows") == 3


def test_empty_numeric_value_is_none_not_missing() -> None:
    ds = Dataset()
    ds.add_new(0x00280010, "US", None)
    assert ds.Rows is None and hasattr(ds, "Rows")


@pytest.mark.parametrize("path", datafiles.test_files(), ids=datafiles.file_id)
def test_scan_file_start_matches_the_step_by_step_reader(path) -> None:
    from dicomcore._scan import scan_file_start
    from dicomcore.errors import InvalidDicomError
    from dicomcore.filereader import _read_file_meta, read_preamble

    data = path.read_bytes()
    preamble, position, meta_index, transfer_syntax = scan_file_start(data, False)
    try:
        expected_preamble, start = read_preamble(data, False)
    except InvalidDicomError:
        assert position == -1
        preamble, position, meta_index, transfer_syntax = scan_file_start(data, True)
        expected_preamble, start = read_preamble(data, True)
    meta, expected_position = _read_file_meta(data, start)
    assert preamble == expected_preamble
    assert position == expected_position
    assert (meta_index is None) == (meta._index is None and not meta._dict)
    if meta_index is not None:
        assert meta_index.tags() == meta._index.tags()
        expected = meta.get("TransferSyntaxUID")
        assert transfer_syntax == (str(expected).strip(" \0") or None if expected else None)


def test_scan_file_start_on_short_and_empty_data() -> None:
    from dicomcore._scan import scan_file_start

    assert scan_file_start(b"", False) == (None, -1, None, None)
    assert scan_file_start(b"", True) == (None, 0, None, None)
    assert scan_file_start(b"DICM", False) == (None, 4, None, None)
    assert scan_file_start(b"DICM\x02\x00\x10\x00UI", False) == (None, 4, None, None)
    # A Transfer Syntax UID cut inside its value: kept as far as it goes.
    data = b"DICM\x02\x00\x10\x00UI\x14\x001.2.840"
    preamble, position, meta_index, syntax = scan_file_start(data, False)
    assert preamble is None and position == len(data)
    assert meta_index.truncated() == [0x00020010] and syntax == "1.2.840"
