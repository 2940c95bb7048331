"""dcmread against pydicom 3 on every real test file, plus bad and unusual input."""

from __future__ import annotations

import io
import mmap
import struct
import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datafiles
import dicomcore
from dicomcore.errors import BytesLengthException, DicomParseError, InvalidDicomError
from oracle import differences, pydicom_read

ALL_FILES = datafiles.all_files()


def read_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dicomcore.dcmread(path, **kwargs)


def _pydicom_lost_everything(path: Path) -> bool:
    """pydicom returns an empty dataset for a file cut inside undefined-length pixel data."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = pydicom.dcmread(path)
    return len(theirs) == 0 and any("End of file reached" in str(w.message) for w in caught)


@pytest.mark.parametrize("path", ALL_FILES, ids=datafiles.file_id)
def test_same_elements_as_pydicom(path: Path) -> None:
    if pydicom_read(path) is not None and _pydicom_lost_everything(path):
        # dicomcore keeps every complete element and the partial pixel data
        # (nothing that is there is lost) and warns; pydicom keeps nothing.
        with pytest.warns(UserWarning, match=r"ends inside element \(7FE0,0010\)"):
            ours = dicomcore.dcmread(path)
        before_pixels = pydicom.dcmread(path, stop_before_pixels=True)
        del ours.PixelData
        assert len(ours) > 0
        assert differences(ours, before_pixels) == []
        return
    theirs = pydicom_read(path)
    force = False
    if theirs is None:
        theirs = pydicom_read(path, force=True)
        if theirs is None:
            pytest.skip("pydicom cannot read this file either (not DICOM)")
        force = True
        # Without force, both libraries must refuse the file.
        with pytest.raises(InvalidDicomError):
            read_quietly(path)
    ours = read_quietly(path, force=force)
    assert differences(ours, theirs) == []
    their_meta = getattr(theirs, "file_meta", None)
    if their_meta is not None:
        assert differences(ours.file_meta, their_meta, "file_meta ") == []
    assert ours.preamble == theirs.preamble
    assert ours.original_encoding == theirs.original_encoding


@pytest.mark.parametrize("path", ALL_FILES[:40], ids=datafiles.file_id)
def test_stop_before_pixels_matches_pydicom(path: Path) -> None:
    theirs = pydicom_read(path, stop_before_pixels=True)
    if theirs is None:
        pytest.skip("pydicom cannot read this file without force")
    ours = read_quietly(path, stop_before_pixels=True)
    assert differences(ours, theirs) == []
    assert "PixelData" not in ours


def test_not_dicom_raises() -> None:
    with pytest.raises(InvalidDicomError, match="DICM"):
        dicomcore.dcmread(io.BytesIO(b"this is not a DICOM file" * 20))


def test_sources_path_bytes_fileobj_and_mmap(tmp_path: Path) -> None:
    path = datafiles.get("CT_small.dcm")
    data = path.read_bytes()
    by_path = dicomcore.dcmread(path)
    by_str = dicomcore.dcmread(str(path))
    by_bytes = dicomcore.dcmread(data)
    with open(path, "rb") as f:
        by_file = dicomcore.dcmread(f)
    by_bytesio = dicomcore.dcmread(io.BytesIO(data))
    for ds in (by_str, by_bytes, by_file, by_bytesio):
        assert ds.PatientName == by_path.PatientName
        assert ds.PixelData == by_path.PixelData
    assert by_path.filename == str(path)


def test_large_file_is_memory_mapped_and_not_copied(tmp_path: Path) -> None:
    # A 40 MB multi-frame file: opening must not read the pixel data.
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 512, 512, 80
    ds.BitsAllocated = 16
    ds.PixelData = bytes(512 * 512 * 2 * 80)
    ds.file_meta = dicomcore.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    path = tmp_path / "big.dcm"
    ds.save_as(path, enforce_file_format=True)
    read = dicomcore.dcmread(path)
    assert isinstance(read.buffer, mmap.mmap)
    assert read.Rows == 512
    raw = read.get_item("PixelData")
    assert raw.length == 512 * 512 * 2 * 80


def test_truncated_file_keeps_complete_elements_and_warns() -> None:
    data = datafiles.get("CT_small.dcm").read_bytes()
    full = dicomcore.dcmread(data)
    pixel_end = full.get_item("PixelData").value_tell + len(full.PixelData)
    cut = data[:pixel_end - 100]  # inside Pixel Data
    with pytest.warns(UserWarning, match=r"\(7FE0,0010\)"):
        ds = dicomcore.dcmread(cut)
    assert ds.PatientName == full.PatientName
    assert len(ds.PixelData) == len(full.PixelData) - 100  # what is there is kept
    theirs = pydicom.dcmread(io.BytesIO(cut))
    assert differences(ds, theirs) == []


def test_truncated_inside_header_warns_with_offset() -> None:
    data = datafiles.get("CT_small.dcm").read_bytes()
    full = dicomcore.dcmread(data)
    # Cut 3 bytes into the header of the element after Patient's Name.
    offset = full.get_item(0x00100010).value_tell + len(full.get_item(0x00100010).value)
    with pytest.warns(UserWarning, match=f"offset {offset}"):
        ds = dicomcore.dcmread(data[:offset + 3])
    assert ds.PatientName == full.PatientName
    assert 0x00100020 not in ds


def _explicit(tag: int, vr: bytes, value: bytes, long: bool = False) -> bytes:
    if long:
        return struct.pack("<HH2s2xL", tag >> 16, tag & 0xFFFF, vr, len(value)) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, len(value)) + value


def _file(body: bytes) -> bytes:
    ts = b"1.2.840.10008.1.2.1\0"
    meta = _explicit(0x00020010, b"UI", ts)
    meta = _explicit(0x00020000, b"UL", struct.pack("<L", len(meta))) + meta
    return b"\0" * 128 + b"DICM" + meta + body


def test_item_length_past_sequence_end_names_tag_and_offset() -> None:
    item = struct.pack("<HHL", 0xFFFE, 0xE000, 100) + _explicit(0x00100010, b"PN", b"AB")
    body = _explicit(0x00081111, b"SQ", item, long=True) + _explicit(0x00100020, b"LO", b"ID")
    ds = dicomcore.dcmread(_file(body))
    with pytest.raises(DicomParseError, match=r"item length runs past.*offset \d+"):
        ds.ReferencedPerformedProcedureStepSequence  # noqa: B018


def test_element_past_item_end_names_tag() -> None:
    inner = _explicit(0x00100010, b"PN", b"ABCD")
    inner = inner[:6] + struct.pack("<H", 200) + inner[8:]  # length runs past the item
    item = struct.pack("<HHL", 0xFFFE, 0xE000, len(inner)) + inner
    body = _explicit(0x00081111, b"SQ", item, long=True) + _explicit(0x00100020, b"LO", b"ID")
    ds = dicomcore.dcmread(_file(body))
    with pytest.raises(DicomParseError, match=r"\(0010,0010\)"):
        ds.ReferencedPerformedProcedureStepSequence  # noqa: B018


def test_huge_length_field_does_not_allocate_or_crash() -> None:
    body = _explicit(0x00100010, b"PN", b"AB") + struct.pack(
        "<HH2s2xL", 0x7FE0, 0x0010, b"OB", 0xFFFFFFF0
    ) + b"\0" * 16
    with pytest.warns(UserWarning, match=r"\(7FE0,0010\)"):
        ds = dicomcore.dcmread(_file(body))
    assert len(ds.PixelData) == 16


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    payload = b""
    for _ in range(2000):
        item = struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF) + payload + struct.pack(
            "<HHL", 0xFFFE, 0xE00D, 0
        )
        payload = struct.pack("<HH2s2xL", 0x0008, 0x1111, b"SQ", 0xFFFFFFFF) + item + struct.pack(
            "<HHL", 0xFFFE, 0xE0DD, 0
        )
    with pytest.raises(DicomParseError, match="nested"):
        dicomcore.dcmread(_file(payload))


def test_missing_sequence_delimiter_at_end_of_file_warns() -> None:
    item = struct.pack("<HHL", 0xFFFE, 0xE000, 10) + _explicit(0x00100010, b"PN", b"AB")
    body = _explicit(0x00080060, b"CS", b"CT") + struct.pack(
        "<HH2s2xL", 0x0008, 0x1111, b"SQ", 0xFFFFFFFF
    ) + item
    with pytest.warns(UserWarning, match=r"\(0008,1111\)"):
        ds = dicomcore.dcmread(_file(body))
    assert ds.Modality == "CT"


def test_force_reads_dataset_without_meta() -> None:
    body = _explicit(0x00080060, b"CS", b"MR") + _explicit(0x00100010, b"PN", b"Doe^J ")
    ds = dicomcore.dcmread(body, force=True)
    assert ds.Modality == "MR"
    assert ds.PatientName == "Doe^J"
    assert ds.original_encoding == (False, True)
    implicit = struct.pack("<HHL", 0x0008, 0x0060, 2) + b"MR"
    ds = dicomcore.dcmread(implicit, force=True)
    assert ds.Modality == "MR"
    assert ds.original_encoding == (True, True)


def test_specific_tags() -> None:
    path = datafiles.get("CT_small.dcm")
    ds = dicomcore.dcmread(path, specific_tags=["PatientName", 0x00280010])
    assert sorted(ds.keys()) == [0x00080005, 0x00100010, 0x00280010]


def test_read_file_meta_info() -> None:
    meta = dicomcore.filereader.read_file_meta_info(datafiles.get("CT_small.dcm"))
    assert meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"


# -- fuzzing: damaged real files never crash, hang or raise anything unexpected ----

FUZZ_SOURCES = ["CT_small.dcm", "rtplan.dcm", "MR_small_implicit.dcm", "chrSQEncoding.dcm",
                "MR_small_bigendian.dcm", "nested_priv_SQ.dcm"]
EXPECTED_ERRORS = (InvalidDicomError, ValueError, KeyError, TypeError, UnicodeError,
                   OverflowError, LookupError, NotImplementedError, BytesLengthException)


def _read_everything(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dicomcore.dcmread(data, force=True)
        for elem in ds.iterall():
            elem.value  # noqa: B018
        str(ds)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FUZZ_SOURCES),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_damaged_files_raise_only_clear_errors(name, edits, cut) -> None:
    data = bytearray(datafiles.get(name).read_bytes())
    for where, byte in edits:
        data[int(where * (len(data) - 1))] = byte
    if cut is not None:
        del data[int(cut * len(data)):]
    try:
        _read_everything(bytes(data))
    except EXPECTED_ERRORS:
        pass


def test_conversion_errors_name_the_element() -> None:
    body = _explicit(0x00280010, b"US", b"\x01\x02\x03")  # 3 bytes cannot be a US
    ds = dicomcore.dcmread(_file(body))
    with pytest.raises(BytesLengthException) as caught:
        ds.Rows  # noqa: B018
    assert "(0028,0010) US at offset" in "".join(getattr(caught.value, "__notes__", []))


# -- read_partial (pydicom 3) ----------------------------------------------------------


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm", "rtplan.dcm",
                                  "SC_rgb_rle_2frame.dcm"])
@pytest.mark.parametrize("stop_at", [0x00100000, 0x00280000, 0x7FE00010, 0xFFFFFFFF])
def test_read_partial_stops_where_pydicom_3_stops(name, stop_at):
    from dicomcore.filereader import read_partial

    path = datafiles.get(name)
    calls: dict[str, list] = {"ours": [], "theirs": []}

    def stop(who):
        return lambda tag, vr, length: calls[who].append((int(tag), vr, length)) or tag >= stop_at

    with open(path, "rb") as f:
        ours = read_partial(f, stop_when=stop("ours"))
        assert not f.closed
    with open(path, "rb") as f:
        theirs = pydicom.filereader.read_partial(f, stop_when=stop("theirs"))
    assert sorted(ours.keys()) == sorted(theirs.keys())
    assert calls["ours"] == calls["theirs"]
    assert all(tag < stop_at for tag in ours.keys())
