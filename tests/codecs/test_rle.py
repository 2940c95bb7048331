"""Tests for dicomcore.codecs.rle, the RLE Lossless codec (PS3.5 Annex G).

Oracles: pydicom 3's own NumPy decoder and encoder, pylibjpeg-rle, and the DCMTK and
GDCM command-line tools; a brute-force dynamic programme gives the shortest possible
PackBits coding of a row, against which the encoder is checked exactly.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct
import subprocess
import threading
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import (
    ExplicitVRLittleEndian,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

import datafiles
from child_process import run_python
from dicomcore.codecs import rle

pytestmark = pytest.mark.skipif(
    not rle.is_available(), reason="the RLE extension was not built"
)

NATIVE_SYNTAXES = {
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
    RLELossless,
}


# -- Real files ---------------------------------------------------------------------------


@functools.cache
def _header(path: Path) -> Dataset | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:
        return None


def _syntax(path: Path) -> str | None:
    ds = _header(path)
    if ds is None or "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        return None
    return str(ds.file_meta.TransferSyntaxUID)


def _rle_files() -> list[Path]:
    return [p for p in datafiles.all_files() if _syntax(p) == RLELossless]


def _number_of_frames(ds: Dataset) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except ValueError:
        return 1


@functools.cache
def _real_first_frame(path: Path) -> np.ndarray | None:
    """The first frame of a real file as pydicom decodes it, or None if pydicom can't."""
    ds = _header(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            index = 0 if _number_of_frames(ds) > 1 else None
            arr = pydicom.pixels.pixel_array(path, index=index)
    except Exception:
        return None
    return np.ascontiguousarray(arr)


def _native_image_files() -> list[Path]:
    """Files whose pixels are stored uncompressed or as RLE, with 8/16/32 bits.

    Files whose pixel data pydicom itself cannot read (deliberately truncated ones)
    are left out.
    """
    found = []
    for path in datafiles.all_files():
        ds = _header(path)
        if ds is None or _syntax(path) not in NATIVE_SYNTAXES or "Rows" not in ds:
            continue
        if ds.get("BitsAllocated") in (8, 16, 32) and _real_first_frame(path) is not None:
            found.append(path)
    return found


RLE_FILES = _rle_files()
NATIVE_FILES = _native_image_files()


def _frames_and_dataset(path: Path) -> tuple[Dataset, list[bytes]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
    frames = list(generate_frames(ds.PixelData, number_of_frames=_number_of_frames(ds)))
    return ds, frames


def _geometry(ds: Dataset) -> dict:
    return {
        "rows": ds.Rows,
        "columns": ds.Columns,
        "samples_per_pixel": ds.SamplesPerPixel,
        "bits_allocated": ds.BitsAllocated,
        "pixel_representation": ds.PixelRepresentation,
        "bits_stored": ds.BitsStored,
    }


def test_real_rle_files_found():
    # pydicom's test files alone hold nine RLE files; pydicom-data adds three.
    assert len(RLE_FILES) >= 9


@pytest.mark.parametrize("path", RLE_FILES, ids=datafiles.file_id)
@pytest.mark.parametrize("plugin", ["pydicom", "pylibjpeg"])
def test_real_files_decode_like_pydicom(path, plugin):
    ds, frames = _frames_and_dataset(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pydicom.pixels.pixel_array(path, decoding_plugin=plugin)
    ours = rle.decode_frames(frames, threads=2, **_geometry(ds))
    if len(frames) == 1:
        ours = ours[0]
    assert ours.dtype == expected.dtype
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("path", RLE_FILES, ids=datafiles.file_id)
def test_real_files_decode_frame_by_frame_into_one_array(path):
    ds, frames = _frames_and_dataset(path)
    geometry = _geometry(ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pydicom.pixels.pixel_array(path, decoding_plugin="pydicom")
    expected = expected.reshape(len(frames), *expected.shape[-3 + (ds.SamplesPerPixel == 1) :])
    out = np.full(expected.shape, 0x5A, dtype=expected.dtype)
    for i, frame in enumerate(frames):
        target = out[i]
        assert rle.decode_frame(frame, out=target, **geometry) is target
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("path", RLE_FILES, ids=datafiles.file_id)
def test_real_files_geometry_read_from_header(path):
    # Samples per pixel and bits allocated can be left to the segment count.
    ds, frames = _frames_and_dataset(path)
    full = rle.decode_frame(frames[0], **_geometry(ds))
    guessed = rle.decode_frame(
        frames[0],
        rows=ds.Rows,
        columns=ds.Columns,
        pixel_representation=ds.PixelRepresentation,
        bits_stored=ds.BitsStored,
    )
    np.testing.assert_array_equal(guessed, full)
    assert guessed.dtype == full.dtype


@pytest.mark.parametrize("path", RLE_FILES, ids=datafiles.file_id)
def test_real_files_reencode_no_larger_than_original(path):
    # Our coding of each frame decodes back exactly and is never longer than the
    # coding the file was written with.
    ds, frames = _frames_and_dataset(path)
    geometry = _geometry(ds)
    for frame in frames:
        arr = rle.decode_frame(frame, **{**geometry, "bits_stored": None})
        encoded = rle.encode_frame(arr)
        np.testing.assert_array_equal(rle.decode_frame(encoded, **geometry), _masked(arr, ds))
        assert len(encoded) <= _padded_length(frame)


def _masked(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """``arr`` with the bits above Bits Stored treated as pydicom does."""
    shift = ds.BitsAllocated - ds.BitsStored
    if not shift:
        return arr
    return (arr << shift) >> shift


def _padded_length(frame: bytes) -> int:
    """A frame's length with every segment padded to even length (PS3.5 G.3)."""
    offsets = list(rle.segment_offsets(frame)) + [len(frame)]
    return 64 + sum((b - a + 1) // 2 * 2 for a, b in zip(offsets, offsets[1:]))


# -- Round trips ----------------------------------------------------------------------------


def _with_runs(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Random samples with runs of equal values of every length, noise in between."""
    count = int(np.prod(shape))
    info = np.iinfo(dtype)
    values = []
    total = 0
    while total < count:
        length = int(rng.choice([1, 1, 1, 2, 3, 5, 127, 128, 129, 130, 256, 257, 300]))
        if rng.random() < 0.5:
            value = rng.integers(info.min, info.max, endpoint=True, dtype=dtype)
            values.append(np.full(length, value, dtype=dtype))
        else:
            values.append(rng.integers(info.min, info.max, size=length, endpoint=True, dtype=dtype))
        total += length
    return np.concatenate(values)[:count].reshape(shape)


DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]
SHAPES = [(1, 1), (1, 7), (5, 3), (64, 64), (17, 300), (3, 129)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("samples", [1, 3])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_round_trip_random(dtype, samples, shape):
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(hash((dtype.str, samples, shape)) & 0xFFFFFFFF)
    full_shape = shape if samples == 1 else (*shape, samples)
    arr = _with_runs(rng, full_shape, dtype)
    if samples * dtype.itemsize > 15:
        # 64-bit colour needs 24 segments: not representable (PS3.5 G.2).
        with pytest.raises(ValueError, match="15"):
            rle.encode_frame(arr)
        return
    encoded = rle.encode_frame(arr)
    decoded = rle.decode_frame(
        encoded,
        rows=shape[0],
        columns=shape[1],
        samples_per_pixel=samples,
        bits_allocated=dtype.itemsize * 8,
        pixel_representation=int(dtype.kind == "i"),
    )
    assert decoded.dtype == dtype
    np.testing.assert_array_equal(decoded, arr)
    # Both peers decode it too (PS3.5 G.2 segment order, G.5 header).
    _check_with_peer_decoders(encoded, arr)
    # Never longer than pydicom's or pylibjpeg-rle's encoders.
    assert len(encoded) <= len(_pydicom_encode(arr))
    if dtype.itemsize <= 4 and samples in (1, 3):
        assert len(encoded) <= len(_pylibjpeg_encode(arr))


def _check_with_peer_decoders(encoded: bytes, arr: np.ndarray) -> None:
    from pydicom.pixels.decoders.rle import _rle_decode_frame
    from rle.utils import decode_frame as pylibjpeg_decode_frame

    rows, columns = arr.shape[:2]
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    bits = arr.dtype.itemsize * 8
    # Both return planar (one sample plane after another) little-endian bytes.
    planar = np.ascontiguousarray(np.moveaxis(arr.reshape(rows, columns, samples), 2, 0))
    expected = planar.astype(arr.dtype.newbyteorder("<")).tobytes()
    assert bytes(_rle_decode_frame(encoded, rows, columns, samples, bits)) == expected
    if bits <= 32 or samples == 1:
        assert bytes(pylibjpeg_decode_frame(encoded, rows * columns, bits, "<")) == expected


class _PydicomRunner:
    """Just what pydicom's native RLE encoder reads from its EncodeRunner."""

    def __init__(self, arr: np.ndarray) -> None:
        self.rows, self.columns = arr.shape[:2]
        self.samples_per_pixel = 1 if arr.ndim == 2 else arr.shape[2]
        self.bits_allocated = arr.dtype.itemsize * 8

    def get_option(self, name: str, default=None):
        return default


def _pydicom_encode(arr: np.ndarray) -> bytes:
    # pydicom's public RLELosslessEncoder refuses 32 and 64 bits allocated (it checks
    # PS3.5 8.2 profiles), so its NumPy frame encoder is called directly.
    from pydicom.pixels.encoders.native import _encode_frame

    data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
    return _encode_frame(data, _PydicomRunner(arr))


def _pylibjpeg_encode(arr: np.ndarray) -> bytes:
    from rle.utils import encode_pixel_data

    samples = 1 if arr.ndim == 2 else arr.shape[2]
    return encode_pixel_data(
        np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes(),
        rows=arr.shape[0],
        columns=arr.shape[1],
        samples_per_pixel=samples,
        bits_allocated=arr.dtype.itemsize * 8,
        byteorder="<",
    )


@pytest.mark.parametrize("path", NATIVE_FILES, ids=datafiles.file_id)
def test_round_trip_real_data(path):
    arr = _real_first_frame(path)
    assert arr is not None, "pydicom reads every uncompressed or RLE test file"
    encoded = rle.encode_frame(arr)
    ds = _header(path)
    decoded = rle.decode_frame(
        encoded,
        rows=ds.Rows,
        columns=ds.Columns,
        samples_per_pixel=ds.SamplesPerPixel,
        bits_allocated=ds.BitsAllocated,
        pixel_representation=int(arr.dtype.kind == "i"),
    )
    np.testing.assert_array_equal(decoded, arr)
    _check_with_peer_decoders(encoded, arr)
    # No larger than the other encoders on the same real pixels.
    assert len(encoded) <= len(_pydicom_encode(arr))
    assert len(encoded) <= len(_pylibjpeg_encode(arr))


def _real_by_bits(bits: int, samples: int) -> list[np.ndarray]:
    """Real frames with the given geometry; 64-bit ones are real 16/32-bit data widened."""
    found = []
    for path in NATIVE_FILES:
        ds = _header(path)
        if ds.SamplesPerPixel != samples:
            continue
        arr = _real_first_frame(path)
        if arr is None:
            continue
        if bits == 64 and arr.dtype.itemsize >= 2:
            arr = arr.astype(np.int64 if arr.dtype.kind == "i" else np.uint64)
        if arr.dtype.itemsize * 8 == bits:
            found.append(arr)
    return found


@pytest.mark.parametrize(
    "bits,samples", [(8, 1), (16, 1), (32, 1), (64, 1), (8, 3), (16, 3), (32, 3)]
)
def test_round_trip_real_data_every_geometry(bits, samples):
    arrays = _real_by_bits(bits, samples)
    assert arrays, f"real {bits}-bit data with {samples} samples exists"
    for arr in arrays[:6]:
        encoded = rle.encode_frame(arr)
        assert len(rle.segment_offsets(encoded)) == samples * bits // 8
        decoded = rle.decode_frame(
            encoded,
            rows=arr.shape[0],
            columns=arr.shape[1],
            samples_per_pixel=samples,
            bits_allocated=bits,
            pixel_representation=int(arr.dtype.kind == "i"),
        )
        np.testing.assert_array_equal(decoded, arr)
        _check_with_peer_decoders(encoded, arr)


def test_encode_any_memory_layout():
    rng = np.random.default_rng(3)
    base = _with_runs(rng, (40, 60, 3), np.dtype("u2"))
    reference = rle.encode_frame(base)
    # Big-endian samples, strided views and colour-by-plane bytes all give the
    # same frame as the plain C-contiguous little-endian array.
    assert rle.encode_frame(base.astype(">u2")) == reference
    planar = np.ascontiguousarray(np.moveaxis(base, 2, 0))
    assert rle.encode_frame(np.moveaxis(planar, 0, 2)) == reference
    padded = np.zeros((80, 120, 3), dtype="u2")
    padded[::2, ::2] = base
    assert rle.encode_frame(padded[::2, ::2]) == reference
    flipped = np.ascontiguousarray(base[::-1, ::-1])
    assert rle.encode_frame(flipped[::-1, ::-1]) == reference
    raw = base.astype("<u2").tobytes()
    assert (
        rle.encode_frame(raw, rows=40, columns=60, samples_per_pixel=3, bits_allocated=16)
        == reference
    )
    assert (
        rle.encode_frame(
            planar.astype("<u2").tobytes(),
            rows=40,
            columns=60,
            samples_per_pixel=3,
            bits_allocated=16,
            planar_configuration=1,
        )
        == reference
    )


def test_batch_calls_match_single_frames():
    rng = np.random.default_rng(5)
    stack = _with_runs(rng, (9, 33, 47, 3), np.dtype("u1"))
    encoded = rle.encode_frames(stack, threads=3)
    assert encoded == [rle.encode_frame(f) for f in stack]
    decoded = rle.decode_frames(encoded, rows=33, columns=47, samples_per_pixel=3, threads=4)
    np.testing.assert_array_equal(decoded, stack)
    out = np.empty_like(stack)
    assert rle.decode_frames(encoded, rows=33, columns=47, out=out, threads=2) is out
    np.testing.assert_array_equal(out, stack)
    empty = rle.decode_frames([], rows=3, columns=4, samples_per_pixel=1, bits_allocated=8)
    assert empty.shape == (0, 3, 4)


# -- Encoder: shortest coding and conformance ------------------------------------------------


def _shortest_coding_length(row: bytes) -> int:
    """Fewest bytes any PackBits coding of ``row`` takes (PS3.5 G.3.1), by brute force."""
    best = [0] + [1 << 30] * len(row)
    for end in range(1, len(row) + 1):
        for start in range(max(0, end - 128), end):
            best[end] = min(best[end], best[start] + 1 + (end - start))
        start = end - 1
        while start > 0 and end - start < 128 and row[start - 1] == row[end - 1]:
            start -= 1
            best[end] = min(best[end], best[start] + 2)
    return best[len(row)]


def _unpack(coded: bytes) -> tuple[bytes, list[tuple[str, int]]]:
    """Decode PackBits, also returning the runs as ("literal"|"replicate", length)."""
    out = bytearray()
    runs = []
    i = 0
    while i < len(coded):
        header = coded[i]
        if i + 1 == len(coded):
            break  # a trailing byte that pads the segment to even length
        if header < 128:
            out += coded[i + 1 : i + 2 + header]
            runs.append(("literal", header + 1))
            i += 2 + header
        elif header > 128:
            out += coded[i + 1 : i + 2] * (257 - header)
            runs.append(("replicate", 257 - header))
            i += 2
        else:
            i += 1
    return bytes(out), runs


_runny_rows = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from([1, 1, 2, 2, 3, 4, 126, 127, 128, 129, 130])),
    max_size=40,
).map(lambda parts: b"".join(bytes([v]) * n for v, n in parts))


@settings(max_examples=300, deadline=None)
@given(row=st.one_of(st.binary(max_size=600), _runny_rows))
def test_row_coding_is_shortest_possible(row):
    coded = rle._native().encode_row(row)
    decoded, runs = _unpack(coded)
    assert decoded == row
    assert len(coded) == _shortest_coding_length(row)
    # Three or more equal bytes always form a replicate run (PS3.5 G.3.1).
    position = 0
    for kind, length in runs:
        if kind == "literal":
            chunk = row[position : position + length]
            assert not any(chunk[k] == chunk[k + 1] == chunk[k + 2] for k in range(length - 2))
        position += length


def test_rows_are_coded_separately_and_segments_are_even():
    rng = np.random.default_rng(11)
    arr = _with_runs(rng, (31, 77), np.dtype("u2"))
    arr[:, :] = arr[0, 0]  # one long run that must still stop at every row end
    arr[5] = rng.integers(0, 65535, 77)
    encoded = rle.encode_frame(arr)
    offsets = list(rle.segment_offsets(encoded)) + [len(encoded)]
    assert offsets[0] == 64
    assert struct.unpack("<16I", encoded[:64])[len(offsets) :] == (0,) * (16 - len(offsets))
    for start, end in zip(offsets, offsets[1:]):
        segment = encoded[start:end]
        assert len(segment) % 2 == 0
        decoded, runs = _unpack(segment)
        assert len(decoded) == 31 * 77
        # Every row boundary is a run boundary.
        boundaries = set(np.cumsum([n for _, n in runs]).tolist())
        assert {77 * r for r in range(1, 32)} <= boundaries


def test_gil_released_while_coding():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 4, size=(2048, 4096), dtype=np.uint16)
    encoded = rle.encode_frame(arr)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        deltas = []
        for call in (
            lambda: rle.encode_frame(arr),
            lambda: rle.decode_frame(encoded, rows=2048, columns=4096),
        ):
            before = counter[0]
            call()
            deltas.append(counter[0] - before)
    finally:
        stop.set()
        thread.join()
    # A call that held the GIL would leave the spinning thread (almost) no turn.
    assert min(deltas) > 1000, deltas


# -- Thread safety ------------------------------------------------------------------------


def test_many_threads_at_once():
    rng = np.random.default_rng(21)
    images = [
        _with_runs(rng, (64 + i, 48 + 3 * i), np.dtype(dtype))
        for i, dtype in enumerate(["u1", "u2", "i2", "u4", "i8", "u1", "u2", "i4"])
    ]
    expected = [rle.encode_frame(a) for a in images]
    failures = []
    barrier = threading.Barrier(8)

    def worker(k):
        barrier.wait()
        for n in range(40):
            i = (k + n) % len(images)
            arr = images[i]
            try:
                encoded = rle.encode_frame(arr)
                decoded = rle.decode_frame(
                    encoded,
                    rows=arr.shape[0],
                    columns=arr.shape[1],
                    bits_allocated=arr.dtype.itemsize * 8,
                    pixel_representation=int(arr.dtype.kind == "i"),
                )
                if encoded != expected[i] or not np.array_equal(decoded, arr):
                    failures.append((k, n))
            except Exception as exc:  # collected and reported below
                failures.append((k, n, repr(exc)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_concurrent_batch_calls_share_helper_threads():
    rng = np.random.default_rng(22)
    stacks = [_with_runs(rng, (6, 40, 50), np.dtype("u2")) for _ in range(4)]
    coded = [rle.encode_frames(stack, threads=1) for stack in stacks]
    failures = []

    def worker(k):
        for _ in range(10):
            again = rle.encode_frames(stacks[k], threads=3)
            decoded = rle.decode_frames(coded[k], rows=40, columns=50, threads=3)
            if again != coded[k] or not np.array_equal(decoded, stacks[k]):
                failures.append(k)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "batch calls deadlocked"
    assert failures == []


def test_batch_calls_work_after_fork():
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    stack = np.arange(2 * 8 * 9, dtype=np.uint16).reshape(2, 8, 9)
    rle.encode_frames(stack, threads=2)  # start the helper threads in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the parent's helper threads do not exist here
        try:
            coded = rle.encode_frames(stack, threads=2)
            ok = np.array_equal(rle.decode_frames(coded, rows=8, columns=9, threads=2), stack)
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"


# -- Malformed input ----------------------------------------------------------------------


def _frame(segments: list[bytes], count: int | None = None, offsets: list[int] | None = None):
    if offsets is None:
        offsets = []
        position = 64
        for segment in segments:
            offsets.append(position)
            position += len(segment)
    count = len(segments) if count is None else count
    words = [count, *offsets] + [0] * (15 - len(offsets))
    return struct.pack("<16I", *words[:16]) + b"".join(segments)


# A 2 x 4 8-bit image and a valid segment for it: 4 bytes literal, 4 bytes replicate.
GOOD_SEGMENT = bytes([3, 1, 2, 3, 4, 0xFD, 9])
GOOD_PIXELS = np.array([[1, 2, 3, 4], [9, 9, 9, 9]], dtype=np.uint8)
SMALL = {"rows": 2, "columns": 4, "samples_per_pixel": 1, "bits_allocated": 8}
SMALL16 = {"rows": 2, "columns": 4, "samples_per_pixel": 1, "bits_allocated": 16}


def test_handmade_frame_decodes():
    np.testing.assert_array_equal(rle.decode_frame(_frame([GOOD_SEGMENT]), **SMALL), GOOD_PIXELS)
    # Padding byte and no-op (-128) bytes after a complete plane are fine.
    padded = _frame([GOOD_SEGMENT + b"\x00"])
    np.testing.assert_array_equal(rle.decode_frame(padded, **SMALL), GOOD_PIXELS)
    noop = _frame([bytes([0x80]) + GOOD_SEGMENT + bytes([0x80, 0x80, 0x00])])
    np.testing.assert_array_equal(rle.decode_frame(noop, **SMALL), GOOD_PIXELS)


MALFORMED = {
    # name: (frame, geometry, reason, segment, zeros expected from lenient decoding)
    "header_truncated": (_frame([GOOD_SEGMENT])[:40], SMALL, "header_truncated", None),
    "no_segments": (_frame([GOOD_SEGMENT], count=0), SMALL, "segment_count", None),
    "sixteen_segments": (_frame([GOOD_SEGMENT], count=16), SMALL, "segment_count", None),
    "too_many_segments": (
        _frame([GOOD_SEGMENT, GOOD_SEGMENT]),
        SMALL,
        "segment_count",
        None,
    ),
    "too_few_segments": (_frame([GOOD_SEGMENT]), SMALL16, "segment_count", None),
    "offset_in_header": (_frame([GOOD_SEGMENT], offsets=[12]), SMALL, "offset_in_header", 1),
    "offset_past_end": (
        _frame([GOOD_SEGMENT, GOOD_SEGMENT], offsets=[64, 5000]),
        SMALL16,
        "offset_past_end",
        2,
    ),
    "offsets_out_of_order": (
        _frame([GOOD_SEGMENT, GOOD_SEGMENT], offsets=[71, 64]),
        SMALL16,
        "offset_order",
        2,
    ),
    "segment_truncated": (_frame([GOOD_SEGMENT[:5]]), SMALL, "segment_truncated", 1),
    "literal_truncated": (_frame([bytes([7, 1, 2, 3])]), SMALL, "literal_truncated", 1),
    "replicate_without_value": (_frame([bytes([3, 1, 2, 3, 4, 0xFD])]), SMALL, None, 1),
    "run_overflows_plane": (_frame([bytes([3, 1, 2, 3, 4, 0x81, 9])]), SMALL, "run_overflow", 1),
    "runs_after_plane": (
        _frame([GOOD_SEGMENT + bytes([0xFD, 7, 0, 5])]),
        SMALL,
        "run_overflow",
        1,
    ),
    "second_segment_truncated": (
        _frame([GOOD_SEGMENT + b"\x00", GOOD_SEGMENT[:5]]),
        SMALL16,
        "segment_truncated",
        2,
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_frame_raises_clear_error(name):
    frame, geometry, reason, segment = MALFORMED[name]
    with pytest.raises(rle.RLEError) as info:
        rle.decode_frame(frame, **geometry)
    error = info.value
    assert isinstance(error, ValueError)
    if reason is not None:
        assert error.reason == reason
    assert error.segment == segment
    message = str(error)
    if segment is not None:
        assert f"segment {segment}" in message
        assert error.offset is not None and str(error.offset) in message
    else:
        assert "header" in message or "segment" in message


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_frame_lenient_decodes_what_it_can(name):
    frame, geometry, reason, segment = MALFORMED[name]
    out = np.full((2, 4), 0x77, dtype=np.dtype(f"u{geometry['bits_allocated'] // 8}"))
    with pytest.warns(rle.RLEWarning) as record:
        result = rle.decode_frame(frame, out=out, lenient=True, **geometry)
    assert result is out
    assert not (out == 0x77).any(), "every byte is decoded or zeroed"
    assert len(record) == 1
    message = str(record[0].message)
    assert message.endswith("the bytes that could not be decoded are zero")
    if segment is not None:
        assert f"segment {segment}" in message
    if geometry is SMALL and name in ("run_overflows_plane", "runs_after_plane"):
        np.testing.assert_array_equal(out[0], GOOD_PIXELS[0])
    if name == "segment_truncated":
        # Literal run of four decoded, the rest zero.
        np.testing.assert_array_equal(out, [[1, 2, 3, 4], [0, 0, 0, 0]])
    if name == "literal_truncated":
        np.testing.assert_array_equal(out, [[1, 2, 3, 0], [0, 0, 0, 0]])
    if name == "second_segment_truncated":
        # Most significant bytes decoded in full, least significant partly.
        assert (out >> 8).tolist() == GOOD_PIXELS.tolist()
        assert (out & 0xFF).tolist() == [[1, 2, 3, 4], [0, 0, 0, 0]]


def test_lenient_batch_warns_with_frame_number():
    good = _frame([GOOD_SEGMENT])
    bad = MALFORMED["segment_truncated"][0]
    with pytest.warns(rle.RLEWarning, match="frame 2: segment 1"):
        result = rle.decode_frames([good, good, bad], lenient=True, threads=2, **SMALL)
    np.testing.assert_array_equal(result[0], GOOD_PIXELS)
    np.testing.assert_array_equal(result[2], [[1, 2, 3, 4], [0, 0, 0, 0]])


def test_batch_error_names_frame():
    good = _frame([GOOD_SEGMENT + b"\x00", GOOD_SEGMENT])
    bad = MALFORMED["offsets_out_of_order"][0]
    with pytest.raises(rle.RLEError, match=r"^frame 3: segment offsets out of order") as info:
        rle.decode_frames([good] * 3 + [bad, good], threads=2, **SMALL16)
    assert info.value.frame == 3
    assert info.value.reason == "offset_order"
    assert info.value.segment == 2
    good = _frame([GOOD_SEGMENT])
    with pytest.raises(rle.RLEError) as info:
        rle.decode_frames([good, good, MALFORMED["literal_truncated"][0], good], **SMALL)
    assert info.value.frame == 2 and info.value.segment == 1
    assert str(info.value).startswith("frame 2: segment 1 of 1 is truncated")


def _valid_frames() -> list[tuple[bytes, dict]]:
    rng = np.random.default_rng(8)
    cases = []
    # Small frames, and ones whose planes span several of the decoder's blocks.
    for dtype, samples, rows, columns in [
        ("u1", 1, 6, 10),
        ("u2", 1, 6, 10),
        ("u1", 3, 6, 10),
        ("u4", 1, 6, 10),
        ("u2", 1, 70, 80),
        ("u1", 3, 70, 80),
    ]:
        shape = (rows, columns) if samples == 1 else (rows, columns, samples)
        arr = _with_runs(rng, shape, np.dtype(dtype))
        geometry = {
            "rows": rows,
            "columns": columns,
            "samples_per_pixel": samples,
            "bits_allocated": np.dtype(dtype).itemsize * 8,
        }
        cases.append((rle.encode_frame(arr), geometry))
    return cases


VALID_FRAMES = _valid_frames()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    case=st.integers(0, len(VALID_FRAMES) - 1),
    edits=st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 100_000),
    tail=st.binary(max_size=40),
    lenient=st.booleans(),
)
def test_damaged_frames_never_write_outside_output(case, edits, cut, tail, lenient):
    frame, geometry = VALID_FRAMES[case]
    data = bytearray(frame)
    for position, value in edits:
        data[position % len(data)] = value
    data = bytes(data[: max(cut, 0) % (len(data) + 1)]) + tail
    itemsize = geometry["bits_allocated"] // 8
    shape = (geometry["rows"], geometry["columns"])
    if geometry["samples_per_pixel"] > 1:
        shape += (geometry["samples_per_pixel"],)
    guard = np.full(2 * 64 + int(np.prod(shape)) * itemsize, 0xC3, dtype=np.uint8)
    body = guard[64:-64].view(f"u{itemsize}").reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rle.RLEWarning)
        try:
            rle.decode_frame(data, out=body, lenient=lenient, **geometry)
        except rle.RLEError:
            assert not lenient, "lenient decoding warns instead of raising"
    assert (guard[:64] == 0xC3).all() and (guard[-64:] == 0xC3).all()


def test_kernel_memory_safety_under_sanitizers(tmp_path):
    """Build the C fuzz harness with ASan/UBSan: exact-size buffers, damaged frames."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler on PATH")
    root = Path(__file__).resolve().parents[2]
    program = tmp_path / "rle_fuzz"
    build = subprocess.run(
        [
            compiler,
            "-O1",
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            f"-I{root / 'codecs' / 'rle'}",
            str(Path(__file__).with_name("rle_sanitizer_fuzz.c")),
            str(root / "codecs" / "rle" / "rle.c"),
            "-o",
            str(program),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "sanitize" in build.stderr:
        pytest.skip(f"{compiler} cannot build with sanitizers: {build.stderr[-300:]}")
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "ok"


# -- Arguments and options ----------------------------------------------------------------


def test_out_must_match():
    frame = _frame([GOOD_SEGMENT])
    for bad in (
        np.empty((4, 2), np.uint8),
        np.empty((2, 4), np.uint16),
        np.empty((2, 8), np.uint8)[:, ::2],
        [[0] * 4] * 2,
    ):
        with pytest.raises(ValueError):
            rle.decode_frame(frame, out=bad, **SMALL)
    readonly = np.empty((2, 4), np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError):
        rle.decode_frame(frame, out=readonly, **SMALL)
    # Geometry can come from out alone.
    out = np.empty((2, 4), np.uint8)
    assert rle.decode_frame(frame, out=out) is out
    np.testing.assert_array_equal(out, GOOD_PIXELS)


def test_argument_errors():
    frame = _frame([GOOD_SEGMENT])
    with pytest.raises(ValueError, match="rows and columns"):
        rle.decode_frame(frame, bits_allocated=8)
    with pytest.raises(ValueError, match="bits allocated"):
        rle.decode_frame(frame, rows=2, columns=4, bits_allocated=12)
    with pytest.raises(TypeError, match="unknown RLE decoding option"):
        rle.decode_frame(frame, rows=2, columns=4, colour="red")
    with pytest.raises(ValueError, match="segment_order"):
        rle.decode_frame(frame, rows=2, columns=4, segment_order="?")
    with pytest.raises(ValueError, match="integer"):
        rle.encode_frame(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="empty"):
        rle.encode_frame(np.zeros((0, 4), np.uint8))
    with pytest.raises(ValueError, match="sample"):
        rle.encode_frame(np.zeros((4, 4), np.uint8), photometric_interpretation="RGB")
    with pytest.raises(ValueError, match="bits_stored"):
        rle.encode_frame(np.zeros((4, 4), np.uint8), bits_stored=9)
    with pytest.raises(TypeError, match="unknown RLE encoding option"):
        rle.encode_frame(np.zeros((4, 4), np.uint8), quality=3)
    with pytest.raises(ValueError, match="threads"):
        rle.encode_frames(np.zeros((2, 4, 4), np.uint8), threads=0)


def test_bits_stored_and_sign():
    # 12-bit signed samples whose unused top bits hold garbage (PS3.5 8.1.1).
    values = np.array([[-2048, -1, 0, 2047]], dtype=np.int16)
    dirty = (values.view(np.uint16) & 0x0FFF) | 0xA000
    encoded = rle.encode_frame(dirty)
    raw = rle.decode_frame(encoded, rows=1, columns=4, bits_allocated=16)
    np.testing.assert_array_equal(raw, dirty)
    signed = rle.decode_frame(
        encoded, rows=1, columns=4, bits_allocated=16, pixel_representation=1, bits_stored=12
    )
    assert signed.dtype == np.int16
    np.testing.assert_array_equal(signed, values)
    unsigned = rle.decode_frame(encoded, rows=1, columns=4, bits_allocated=16, bits_stored=12)
    np.testing.assert_array_equal(unsigned, dirty & 0x0FFF)


def test_segment_order_little_endian_option():
    arr = np.array([[0x0102, 0x0304], [0xA0B0, 0xC0D0]], dtype=np.uint16)
    encoded = rle.encode_frame(arr)
    offsets = rle.segment_offsets(encoded)
    swapped = _frame([encoded[offsets[1] :], encoded[offsets[0] : offsets[1]]])
    result = rle.decode_frame(swapped, rows=2, columns=2, bits_allocated=16, segment_order="<")
    np.testing.assert_array_equal(result, arr)
    byteswapped = rle.decode_frame(swapped, rows=2, columns=2, bits_allocated=16)
    np.testing.assert_array_equal(byteswapped, arr.byteswap())


def test_module_constants():
    assert rle.TRANSFER_SYNTAXES == ("1.2.840.10008.1.2.5",)
    assert rle.ENCODES == ("1.2.840.10008.1.2.5",)
    assert rle.is_available() is True


def test_missing_extension_raises_import_error(monkeypatch):
    monkeypatch.setattr(rle, "_rle", None)
    assert rle.is_available() is False
    with pytest.raises(ImportError, match="apt-get install"):
        rle.decode_frame(_frame([GOOD_SEGMENT]), **SMALL)
    with pytest.raises(ImportError, match="reinstall dicomcore"):
        rle.encode_frame(GOOD_PIXELS)


def test_module_imports_without_extension(tmp_path):
    # A fresh interpreter in which the compiled module cannot be imported.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'dicomcore.codecs._rle':\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from dicomcore.codecs import rle\n"
        "assert not rle.is_available()\n"
        "try:\n"
        "    rle.encode_frame(None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    assert "apt-get install" in result.stdout


# -- Interoperability with DCMTK and GDCM ----------------------------------------------------

# Real images of each kind the tools handle: case name -> file.
INTEROP_CASES = {
    "ct16_signed": "693_UNCI.dcm",
    "mr16_multiframe": "emri_small.dcm",
    "palette8": "OBXXXX1A.dcm",
    "rgb8": "US1_UNCR.dcm",
    "rgb16": "SC_rgb_16bit_2frame.dcm",
    "mono32": "rtdose.dcm",
    # Random samples with runs of every length (odd sizes on purpose).
    "random8": ("u1", (2, 37, 61)),
    "random16_signed": ("i2", (3, 50, 33)),
    "random_rgb8": ("u1", (2, 21, 45, 3)),
}


def _real_stack(name: str | tuple[str, tuple[int, ...]]) -> np.ndarray:
    """Frames (frames, rows, columns[, samples]) of a real file, or random ones."""
    if isinstance(name, tuple):
        dtype, shape = name
        return _with_runs(np.random.default_rng(len(shape)), shape, np.dtype(dtype))
    path = datafiles.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    frames = _number_of_frames(ds)
    if frames == 1:
        arr = arr[None]
    return np.ascontiguousarray(arr)


# Multi-frame SOP classes (PS3.4 B.5) for images GDCM must accept as multi-frame.
MULTIFRAME_GREY_BYTE_SC = "1.2.840.10008.5.1.4.1.1.7.2"
MULTIFRAME_GREY_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"
MULTIFRAME_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"
RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"


def _sop_class(arr: np.ndarray) -> str:
    if arr.shape[0] == 1:
        return SecondaryCaptureImageStorage
    if arr.ndim == 4:
        return MULTIFRAME_TRUE_COLOR_SC
    return {1: MULTIFRAME_GREY_BYTE_SC, 2: MULTIFRAME_GREY_WORD_SC}.get(
        arr.dtype.itemsize, RT_DOSE
    )


def _image_dataset(arr: np.ndarray) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = _sop_class(arr)
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns = arr.shape[1:3]
    samples = 1 if arr.ndim == 3 else arr.shape[3]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "MONOCHROME2" if samples == 1 else "RGB"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = arr.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    if arr.shape[0] > 1:
        ds.NumberOfFrames = arr.shape[0]
    return ds


def _write_rle_file(path: Path, arr: np.ndarray) -> list[bytes]:
    ds = _image_dataset(arr)
    frames = rle.encode_frames(arr, threads=2)
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return frames


def _write_native_file(path: Path, arr: np.ndarray) -> None:
    ds = _image_dataset(arr)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OW" if arr.dtype.itemsize > 1 else "OB"
    ds.save_as(path, enforce_file_format=True)


def _read_pixels(path: Path, frames: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pydicom.dcmread(path).pixel_array
    return arr if frames > 1 else arr[None]


def _run_tool(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"


TOOLS = {
    "dcmtk": (["dcmdrle"], ["dcmcrle"]),
    "gdcm": (["gdcmconv", "--raw"], ["gdcmconv", "--rle"]),
}


def _tool_or_skip(name: str) -> None:
    if shutil.which(TOOLS[name][0][0]) is None:
        pytest.skip(f"{TOOLS[name][0][0]} is not on PATH")


def _tool_decodes(tool: str, path: Path, tmp_path: Path, frames: int) -> np.ndarray:
    decoded_path = tmp_path / f"{path.stem}_decoded.dcm"
    _run_tool([*TOOLS[tool][0], str(path), str(decoded_path)])
    return _read_pixels(decoded_path, frames)


# GDCM 3.0 decodes 16-bit colour RLE wrongly whoever encoded it (pydicom's own
# SC_rgb_rle_16bit.dcm included); test_gdcm_16bit_colour_bug_is_not_ours covers it.
GDCM_MISDECODES = {("gdcm", "rgb16")}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("case", INTEROP_CASES)
def test_tools_decode_our_frames(tool, case, tmp_path):
    _tool_or_skip(tool)
    arr = _real_stack(INTEROP_CASES[case])
    encoded_path = tmp_path / "ours_rle.dcm"
    _write_rle_file(encoded_path, arr)
    decoded = _tool_decodes(tool, encoded_path, tmp_path, arr.shape[0]).reshape(arr.shape)
    if (tool, case) in GDCM_MISDECODES:
        assert not np.array_equal(decoded, arr)
    else:
        np.testing.assert_array_equal(decoded, arr)


def test_gdcm_16bit_colour_bug_is_not_ours(tmp_path):
    _tool_or_skip("gdcm")
    reference = datafiles.get("SC_rgb_rle_16bit.dcm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pydicom.dcmread(reference).pixel_array
    from_gdcm = _tool_decodes("gdcm", reference, tmp_path, 1)[0]
    assert not np.array_equal(from_gdcm, expected)  # GDCM's bug, on pydicom's file
    # GDCM turns our coding of the same pixels into exactly the same (wrong) array,
    # and DCMTK decodes our coding correctly.
    ours = tmp_path / "ours.dcm"
    arr = expected[None]
    _write_rle_file(ours, arr)
    np.testing.assert_array_equal(_tool_decodes("gdcm", ours, tmp_path, 1)[0], from_gdcm)
    if shutil.which("dcmdrle"):
        np.testing.assert_array_equal(_tool_decodes("dcmtk", ours, tmp_path, 1)[0], expected)


def _tool_frames(tool: str, arr: np.ndarray, tmp_path: Path) -> list[bytes]:
    native = tmp_path / f"{tool}_native.dcm"
    coded = tmp_path / f"{tool}_rle.dcm"
    _write_native_file(native, arr)
    _run_tool([*TOOLS[tool][1], str(native), str(coded)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(coded)
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    return list(generate_frames(ds.PixelData, number_of_frames=arr.shape[0]))


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("case", INTEROP_CASES)
def test_we_decode_tools_frames_and_code_no_larger(tool, case, tmp_path):
    _tool_or_skip(tool)
    arr = _real_stack(INTEROP_CASES[case])
    theirs = _tool_frames(tool, arr, tmp_path)
    samples = 1 if arr.ndim == 3 else arr.shape[3]
    decoded = rle.decode_frames(
        theirs,
        rows=arr.shape[1],
        columns=arr.shape[2],
        samples_per_pixel=samples,
        bits_allocated=arr.dtype.itemsize * 8,
        pixel_representation=int(arr.dtype.kind == "i"),
    )
    np.testing.assert_array_equal(decoded, arr)
    ours = rle.encode_frames(arr)
    for mine, other in zip(ours, theirs):
        # GDCM leaves odd-length segments unpadded, against PS3.5 G.3; compare with
        # its segments padded as the standard requires.
        assert len(mine) <= _padded_length(other)
