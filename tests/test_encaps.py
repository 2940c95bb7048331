"""dicomcore.encaps against pydicom 3's encaps module, real encapsulated files, damaged
data, and a sparse file whose compressed frames exceed 4 GiB.
"""

from __future__ import annotations

import io
import os
import struct
import time
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.encaps as theirs
import pytest

import datafiles
import dicomcore
from dicomcore import encaps
from dicomcore.codecs import rle
from dicomcore.pixels import pixel_array

ITEM = b"\xfe\xff\x00\xe0"


def _value(path: Path) -> tuple[bytes, int]:
    ds = pydicom.dcmread(path)
    return ds.PixelData, int(ds.get("NumberOfFrames", 1) or 1)


def _encapsulated_files() -> list[Path]:
    found = []
    for path in datafiles.all_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path)
            except Exception:
                continue
        meta = getattr(ds, "file_meta", None)
        uid = meta.get("TransferSyntaxUID") if meta is not None else None
        if uid is not None and uid.is_encapsulated and "PixelData" in ds:
            found.append(path)
    return found


ENCAPSULATED = _encapsulated_files()


def test_real_encapsulated_files_found():
    assert len(ENCAPSULATED) > 40


@pytest.mark.parametrize("path", ENCAPSULATED, ids=datafiles.file_id)
def test_frames_match_pydicom(path):
    value, frames = _value(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = list(theirs.generate_frames(value, number_of_frames=frames))
        except Exception as exc:  # pydicom cannot split it: we must fail clearly too
            with pytest.raises((ValueError, IndexError)):
                list(encaps.generate_frames(value, number_of_frames=frames))
            assert str(exc)
            return
    assert list(encaps.generate_frames(value, number_of_frames=frames)) == expected
    assert encaps.parse_basic_offsets(value) == theirs.parse_basic_offsets(value)
    assert encaps.get_frame(value, len(expected) - 1, number_of_frames=frames) == expected[-1]
    # A file object gives the same frames, read piece by piece.
    assert encaps.get_frame(io.BytesIO(value), 0, number_of_frames=frames) == expected[0]


def test_fragments_and_offsets_match_pydicom():
    value, _ = _value(datafiles.get("SC_rgb_jpeg_gdcm.dcm"))
    bot_length = struct.unpack("<L", value[4:8])[0]
    after = value[8 + bot_length :]
    assert encaps.parse_fragments(after) == theirs.parse_fragments(after)
    assert list(encaps.generate_fragments(after)) == list(theirs.generate_fragments(after))


FRAMES = [b"\x01\x02\x03", b"\x04" * 10, b"\x05" * 7, b"\xff\xd8abc\xff\xd9"]


@pytest.mark.parametrize("has_bot", [True, False])
@pytest.mark.parametrize("fragments", [1, 2])
def test_encapsulate_is_byte_identical_to_pydicom(has_bot, fragments):
    ours = encaps.encapsulate(FRAMES, fragments_per_frame=fragments, has_bot=has_bot)
    assert ours == theirs.encapsulate(FRAMES, fragments_per_frame=fragments, has_bot=has_bot)


def test_encapsulate_extended_is_byte_identical_to_pydicom():
    assert encaps.encapsulate_extended(FRAMES) == theirs.encapsulate_extended(FRAMES)


def test_itemize_and_fragment_frame():
    assert list(encaps.fragment_frame(b"\x01" * 9, 3)) == list(theirs.fragment_frame(b"\x01" * 9, 3))
    assert list(encaps.itemize_frame(b"\x01" * 9, 2)) == list(theirs.itemize_frame(b"\x01" * 9, 2))
    with pytest.raises(ValueError, match="even length"):
        encaps.itemize_fragment(b"\x01")


def _jpeg_frames() -> list[bytes]:
    value, frames = _value(datafiles.get("color3d_jpeg_baseline.dcm"))
    return list(theirs.generate_frames(value, number_of_frames=frames))[:5]


def test_frames_found_by_bot_eot_and_jpeg_end_markers():
    frames = _jpeg_frames()
    with_bot = encaps.encapsulate(frames, fragments_per_frame=3, has_bot=True)
    no_bot = encaps.encapsulate(frames, fragments_per_frame=3, has_bot=False)
    value, table, lengths = encaps.encapsulate_extended(frames)
    for index, frame in enumerate(frames):
        padded = frame + b"\x00" * (len(frame) % 2)
        assert encaps.get_frame(with_bot, index) == padded
        # Three fragments a frame, no offset table: the EOI marker ends each frame.
        assert encaps.get_frame(no_bot, index, number_of_frames=len(frames)) == padded
        assert encaps.get_frame(value, index, extended_offsets=(table, lengths)) == padded
        assert theirs.get_frame(no_bot, index, number_of_frames=len(frames)) == padded
    assert list(encaps.generate_frames(no_bot, number_of_frames=5)) == list(
        theirs.generate_frames(no_bot, number_of_frames=5)
    )


def test_frame_data_is_a_view_for_single_fragment_frames():
    value = bytearray(encaps.encapsulate(FRAMES))
    views = encaps.frame_data(value, number_of_frames=len(FRAMES))
    assert isinstance(views[1], memoryview)
    value[8 + 16 + 8 + 4 + 8] = 0x44  # first byte of frame 1's data
    assert bytes(views[1][:1]) == b"\x44"


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda v: v[:12], r"runs past the end|more than the encapsulated"),
        (lambda v: b"\x00\x00\x00\x00" + v[4:], r"Unexpected tag '\(0000,0000\)' at offset 0"),
        (lambda v: v[:24] + b"\xfe\xff\x0d\xe0" + v[28:], r"Unexpected tag '\(FFFE,E00D\)' at offset 24"),
        (lambda v: v[:28] + b"\xff\xff\xff\xff" + v[32:], "Undefined item length at offset 24"),
        (lambda v: v[:4] + b"\x06\x00\x00\x00" + v[8:], "not a multiple of 4"),
        (lambda v: v[:8] + b"\x05\x00\x00\x00" + v[12:], "first offset is 5"),
        (lambda v: v + b"\x00\x07", r"2 stray bytes at offset \d+ at the end"),
        (lambda v: v[:-1], r"has a length of \d+ bytes, 1 more than"),
    ],
)
@pytest.mark.parametrize("source", ["in memory", "file"])
def test_damaged_values_raise_clear_errors(damage, match, source):
    # In memory the Cython scanner walks the items, in a file Python does: same errors.
    value = damage(encaps.encapsulate(FRAMES))
    with pytest.raises(ValueError, match=match):
        list(encaps.generate_frames(value if source == "in memory" else io.BytesIO(value),
                                    number_of_frames=len(FRAMES)))


@pytest.mark.parametrize("source", ["in memory", "file"])
def test_zero_padding_after_the_last_fragment_is_no_error(source):
    value = encaps.encapsulate(FRAMES)
    padded = value + b"\x00\x00"
    frames = encaps.generate_frames(padded if source == "in memory" else io.BytesIO(padded),
                                    number_of_frames=len(FRAMES))
    assert list(frames) == list(encaps.generate_frames(value, number_of_frames=len(FRAMES)))


def test_bad_index_and_too_few_fragments():
    value = encaps.encapsulate(FRAMES, has_bot=False)
    with pytest.raises(IndexError, match="no frame 7"):
        encaps.get_frame(value, 7, number_of_frames=4)
    with pytest.raises(ValueError, match="too few"):
        list(encaps.generate_frames(value, number_of_frames=9))
    with pytest.raises(ValueError, match="Extended Offset Table points"):
        encaps.get_frame(value, 0, extended_offsets=([3], [4]))


def test_needs_extended_offsets_arithmetic():
    # The last frame's item must start below 2**32: headers and padding count.
    two_gib = 1 << 31
    assert not encaps.needs_extended_offsets([two_gib - 10, two_gib - 10, 10])
    assert encaps.needs_extended_offsets([two_gib - 8, two_gib - 8, 10])
    assert encaps.needs_extended_offsets([two_gib, two_gib, 10])
    assert not encaps.needs_extended_offsets([5 << 30])  # one frame: offset 0
    offsets, lengths = encaps.extended_offsets([3, two_gib, two_gib, 7])
    assert offsets == [0, 12, 12 + 8 + two_gib, 12 + 2 * (8 + two_gib)]
    assert offsets[-1] > 0xFFFFFFFF and lengths == [4, two_gib, two_gib, 8]


def test_compress_switches_to_extended_offsets_past_the_limit(monkeypatch):
    ds = dicomcore.dcmread(datafiles.get("emri_small.dcm"))
    monkeypatch.setattr(encaps, "BASIC_OFFSET_LIMIT", 4000)
    ds.compress("1.2.840.10008.1.2.5")
    assert "ExtendedOffsetTable" in ds and encaps.parse_basic_offsets(ds.PixelData) == []
    assert len(ds.ExtendedOffsetTableLengths) == 80
    expected = pydicom.dcmread(datafiles.get("emri_small.dcm")).pixel_array
    np.testing.assert_array_equal(ds.pixel_array, expected)


def test_extended_offset_table_over_4_gib_fetches_last_frame(tmp_path):
    """A multi-frame RLE file whose compressed frames exceed 4 GiB, built cheaply.

    Five filler frames of 1 GiB each are holes in a sparse file (nothing is
    written or held in memory for them); the last frame is a real RLE frame. The
    Extended Offset Table comes from dicomcore.encaps; pydicom 3 and dicomcore
    both fetch and decode the last frame through it without reading the others.
    """
    rows, columns = 64, 48
    rng = np.random.default_rng(7)
    last = rng.integers(0, 1 << 16, size=(rows, columns), dtype=np.uint16)
    last_frame = rle.encode_frame(last)
    filler = 1 << 30
    lengths_in = [filler] * 5 + [len(last_frame)]
    assert encaps.needs_extended_offsets(lengths_in)
    offsets, lengths = encaps.extended_offsets(lengths_in)
    assert offsets[-1] > 0xFFFFFFFF

    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.NumberOfFrames = len(lengths_in)
    ds.ExtendedOffsetTable = struct.pack(f"<{len(offsets)}Q", *offsets)
    ds.ExtendedOffsetTableLengths = struct.pack(f"<{len(lengths)}Q", *lengths)
    ds.ensure_file_meta()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    header = io.BytesIO()
    ds.save_as(header, enforce_file_format=True)

    path = tmp_path / "over_4_gib.dcm"
    started = time.perf_counter()
    with open(path, "wb") as f:
        f.write(header.getvalue())
        f.write(struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
        f.write(ITEM + struct.pack("<L", 0))  # empty Basic Offset Table
        for length in lengths[:-1]:
            f.write(ITEM + struct.pack("<L", length))
            f.seek(length, os.SEEK_CUR)  # a hole: no disk space, no memory
        f.write(ITEM + struct.pack("<L", lengths[-1]))
        f.write(last_frame + b"\x00" * (len(last_frame) % 2))
        f.write(b"\xfe\xff\xdd\xe0" + struct.pack("<L", 0))
    assert path.stat().st_size > 5 << 30

    index = len(lengths_in) - 1
    from_pydicom = pydicom.pixels.pixel_array(path, index=index)
    np.testing.assert_array_equal(from_pydicom, last)

    ours = dicomcore.dcmread(path)
    np.testing.assert_array_equal(pixel_array(ours, index=index), last)
    table = (ours.ExtendedOffsetTable, ours.ExtendedOffsetTableLengths)
    frame = encaps.get_frame(ours["PixelData"]._raw, index,
                             extended_offsets=table)
    assert frame[: len(last_frame)] == last_frame
    assert time.perf_counter() - started < 30


# -- EncapsulatedBuffer (pydicom 3) ----------------------------------------------------


def _buffers(frames=FRAMES) -> list[io.BytesIO]:
    return [io.BytesIO(frame) for frame in frames]


@pytest.mark.parametrize("has_bot", [True, False])
def test_encapsulated_buffer_holds_what_encapsulate_and_pydicom_give(has_bot):
    ours = encaps.encapsulate_buffer(_buffers(), has_bot=has_bot)
    reference = theirs.encapsulate_buffer(_buffers(), has_bot=has_bot)
    value = ours.read()
    assert value == encaps.encapsulate(FRAMES, has_bot=has_bot) == reference.read()
    assert ours.encapsulated_length == len(value) == reference.encapsulated_length
    assert ours.lengths == reference.lengths and ours.offsets == reference.offsets
    assert ours.basic_offset_table == reference.basic_offset_table
    assert ours.extended_offsets == reference.extended_offsets
    assert ours.extended_lengths == reference.extended_lengths


def test_extended_buffer_matches_encapsulate_extended():
    value, offsets, lengths = encaps.encapsulate_extended_buffer(_buffers())
    assert (value.read(), offsets, lengths) == encaps.encapsulate_extended(FRAMES)


def test_encapsulated_buffer_reads_in_any_pieces_from_anywhere():
    whole = encaps.encapsulate(FRAMES, has_bot=True)
    buffer = encaps.encapsulate_buffer(_buffers())
    rng = np.random.default_rng(3)
    for _ in range(200):
        start = int(rng.integers(0, len(whole) + 3))
        size = int(rng.integers(0, 20))
        assert buffer.seek(start) == start
        assert buffer.read(size) == whole[start : start + size]
    buffer.seek(-5, io.SEEK_END)
    assert buffer.read() == whole[-5:] and buffer.tell() == len(whole)
    into = bytearray(7)
    buffer.seek(3)
    assert buffer.readinto(into) == 7 and bytes(into) == whole[3:10]


def test_frames_start_where_their_buffers_stand():
    sources = _buffers([b"skip" + frame for frame in FRAMES])
    for source in sources:
        source.seek(4)
    assert encaps.encapsulate_buffer(sources).read() == encaps.encapsulate(FRAMES)


def test_buffers_must_be_seekable_and_a_bot_must_fit():
    class OneWay(io.RawIOBase):
        def readable(self):
            return True

    with pytest.raises(TypeError, match="frame 1 must be readable and seekable"):
        encaps.EncapsulatedBuffer([io.BytesIO(b"ab"), OneWay()])


def test_a_buffered_pixel_data_value_is_written_and_decoded(tmp_path):
    source = dicomcore.dcmread(datafiles.get("SC_rgb_rle_2frame.dcm"))
    frames = encaps.frame_data(source.PixelData, number_of_frames=2)
    ds = dicomcore.dcmread(datafiles.get("SC_rgb_rle_2frame.dcm"))
    ds.PixelData = encaps.encapsulate_buffer([io.BytesIO(bytes(f)) for f in frames])
    assert ds["PixelData"].is_buffered
    np.testing.assert_array_equal(ds.pixel_array, source.pixel_array)
    ds.save_as(tmp_path / "buffered.dcm")
    assert ds.PixelData.tell() == 0  # the writer reads it all, then puts it back
    written = pydicom.dcmread(tmp_path / "buffered.dcm")
    assert written["PixelData"].is_undefined_length
    np.testing.assert_array_equal(written.pixel_array, source.pixel_array)
