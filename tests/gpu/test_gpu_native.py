"""Tests for dicomcore.gpu.native: native pixel data unpacked on the GPU (PS3.5 Section 8).

The NumPy reference is checked against pydicom 3 on every real native file;
the kernels are checked against the reference on the CPU emulation and, where a
CUDA device is present, on the GPU, over the real files and over made-up data
for every combination of bits allocated, byte order, planar configuration,
YBR_FULL_422, bits stored and sign.
"""

from __future__ import annotations

import itertools
import warnings

import gpu_files
import numpy as np
import pydicom
import pytest

from dicomcore.gpu import native
from dicomcore.gpu.native import NativeLayout

BIG_ENDIAN = "1.2.840.10008.1.2.2"
NATIVE_FILES = gpu_files.params(gpu_files.with_syntax(*gpu_files.NATIVE))


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _layout(ds) -> NativeLayout:
    big_endian = str(ds.file_meta.TransferSyntaxUID) == BIG_ENDIAN
    samples = int(ds.SamplesPerPixel)
    bits = int(ds.BitsAllocated)
    return NativeLayout(
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        samples_per_pixel=samples,
        bits_allocated=bits,
        bits_stored=int(ds.BitsStored),
        pixel_representation=int(ds.PixelRepresentation),
        planar_configuration=int(ds.get("PlanarConfiguration", 0) or 0) if samples > 1 else 0,
        ybr_full_422=ds.PhotometricInterpretation == "YBR_FULL_422",
        big_endian=big_endian,
        swapped_8bit_words=big_endian and bits == 8 and ds["PixelData"].VR == "OW",
    )


def _frame_count(ds) -> int | None:
    """(0028,0008) as an int (1 when absent), or None when its value is not a number."""
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except ValueError:
        return None


def _pydicom_frames(ds):
    """pydicom 3's raw array with a frame axis, or None when pydicom cannot decode the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = pydicom.pixels.pixel_array(ds, raw=True)
    except (ValueError, NotImplementedError, AttributeError) as exc:
        return exc
    frames = _frame_count(ds)
    return (
        arr[None] if frames == 1 and arr.ndim == (2 if int(ds.SamplesPerPixel) == 1 else 3) else arr
    )


def test_real_native_files_exist():
    assert len(NATIVE_FILES) >= 80


@pytest.mark.parametrize("path", NATIVE_FILES)
def test_reference_equals_pydicom_on_real_files(path):
    ds = _read(path)
    expected = _pydicom_frames(ds)
    try:
        layout = _layout(ds)
    except ValueError:
        assert isinstance(expected, Exception), "pydicom decodes a layout the reference rejects"
        return
    frames = _frame_count(ds)
    if frames is None:  # a damaged header: pydicom cannot tell the frames either
        assert isinstance(expected, Exception)
        return
    if isinstance(expected, np.ndarray):
        frames = expected.shape[0]
    if isinstance(expected, Exception):
        # pydicom refuses the file (e.g. truncated pixel data): so must the reference.
        with pytest.raises(ValueError):
            native.unpack_frames_reference(ds.PixelData, layout, 0, frames)
        return
    got = native.unpack_frames_reference(ds.PixelData, layout, 0, frames)
    assert got.dtype == expected.dtype.newbyteorder("=")  # pydicom's raw big endian arrays stay so
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("path", NATIVE_FILES)
def test_unpack_equals_reference_on_real_files(engine, path):
    ds = _read(path)
    try:
        layout = _layout(ds)
    except ValueError:
        pytest.skip("a layout the unpacker rejects (checked in the reference test)")
    frames = _frame_count(ds)
    if frames is None:
        pytest.skip("Number of Frames is not a number (checked in the reference test)")
    value = ds.PixelData
    try:
        expected = native.unpack_frames_reference(value, layout, 0, frames)
    except ValueError as exc:
        with pytest.raises(ValueError, match="need"):
            native.unpack_frames(value, layout, 0, frames, device=engine)
        assert "need" in str(exc)
        return
    got = engine.to_host(native.unpack_frames(value, layout, 0, frames, device=engine))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    if frames > 1:
        last = engine.to_host(native.unpack_frames(value, layout, frames - 1, 1, device=engine))
        np.testing.assert_array_equal(last, expected[-1:])


# -- Made-up data over every combination ---------------------------------------------------

COMBINATIONS = [
    pytest.param(
        bits,
        samples,
        planar,
        big,
        stored,
        signed,
        id=f"{bits}b-{samples}s-p{planar}-{'be' if big else 'le'}-bs{stored}-{'iu'[not signed]}",
    )
    for bits, samples, planar, big in itertools.product(
        (8, 16, 32, 64), (1, 3), (0, 1), (False, True)
    )
    if not (samples == 1 and planar)
    for stored, signed in ((bits, 0), (bits - 3, 1), (bits - 1, 0), (max(1, bits // 2), 1))
]


def _random_bytes(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(("bits", "samples", "planar", "big", "stored", "signed"), COMBINATIONS)
def test_every_layout(engine, bits, samples, planar, big, stored, signed):
    layout = NativeLayout(
        rows=5,
        columns=6,
        samples_per_pixel=samples,
        bits_allocated=bits,
        bits_stored=stored,
        pixel_representation=signed,
        planar_configuration=planar,
        big_endian=big,
    )
    frames = 3
    value = _random_bytes(frames * layout.frame_bits // 8 + 1, bits * 7 + samples)
    expected = native.unpack_frames_reference(value, layout, 0, frames)
    # The reference against a direct NumPy reading of the same bytes.
    order = ">" if big else "<"
    direct = np.frombuffer(value, dtype=f"{order}u{bits // 8}", count=frames * 30 * samples).astype(
        f"=u{bits // 8}"
    )
    if stored < bits:
        kind = direct.dtype.type
        direct = direct & kind((1 << stored) - 1)
        if signed:
            direct = (direct ^ kind(1 << (stored - 1))) - kind(1 << (stored - 1))
    direct = direct.view(f"{'i' if signed else 'u'}{bits // 8}")
    if planar:
        direct = direct.reshape(frames, samples, 5, 6).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(expected, direct.reshape(expected.shape))
    got = engine.to_host(native.unpack_frames(value, layout, 0, frames, device=engine))
    np.testing.assert_array_equal(got, expected)
    middle = engine.to_host(native.unpack_frames(value, layout, 1, 2, device=engine))
    np.testing.assert_array_equal(middle, expected[1:])


@pytest.mark.parametrize("columns", [7, 8, 13])
@pytest.mark.parametrize("first", [0, 1, 2])
def test_one_bit_frames_start_inside_bytes(engine, columns, first):
    layout = NativeLayout(
        rows=3, columns=columns, samples_per_pixel=1, bits_allocated=1, bits_stored=1
    )
    frames = 4
    value = _random_bytes((frames * 3 * columns + 7) // 8, columns)
    bits = np.unpackbits(np.frombuffer(value, np.uint8), bitorder="little")
    expected = bits[: frames * 3 * columns].reshape(frames, 3, columns)
    np.testing.assert_array_equal(
        native.unpack_frames_reference(value, layout, 0, frames), expected
    )
    got = engine.to_host(native.unpack_frames(value, layout, first, frames - first, device=engine))
    np.testing.assert_array_equal(got, expected[first:])


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("big", [False, True])
def test_ybr_full_422(engine, bits, big):
    layout = NativeLayout(
        rows=2,
        columns=4,
        samples_per_pixel=3,
        bits_allocated=bits,
        bits_stored=bits,
        ybr_full_422=True,
        big_endian=big,
    )
    values = (np.arange(2 * 2 * 4 * 2) * 3 + 1).astype(f"{'>' if big else '<'}u{bits // 8}")
    expected = np.empty((2, 2, 4, 3), dtype=f"u{bits // 8}")
    pairs = values.astype(f"=u{bits // 8}").reshape(2, 2, 2, 4)  # frame, row, pair, (Y1 Y2 Cb Cr)
    expected[:, :, 0::2, 0] = pairs[..., 0]
    expected[:, :, 1::2, 0] = pairs[..., 1]
    expected[:, :, 0::2, 1] = expected[:, :, 1::2, 1] = pairs[..., 2]
    expected[:, :, 0::2, 2] = expected[:, :, 1::2, 2] = pairs[..., 3]
    np.testing.assert_array_equal(
        native.unpack_frames_reference(values.tobytes(), layout, 0, 2), expected
    )
    got = engine.to_host(native.unpack_frames(values.tobytes(), layout, 0, 2, device=engine))
    np.testing.assert_array_equal(got, expected)
    second = engine.to_host(native.unpack_frames(values.tobytes(), layout, 1, 1, device=engine))
    np.testing.assert_array_equal(second, expected[1:])


@pytest.mark.parametrize("first", [0, 1, 2])
def test_8bit_big_endian_ow_pairs(engine, first):
    """8-bit samples written as big endian OW: bytes swapped in pairs from the value's start."""
    layout = NativeLayout(
        rows=1,
        columns=3,
        samples_per_pixel=1,
        bits_allocated=8,
        bits_stored=8,
        big_endian=True,
        swapped_8bit_words=True,
    )
    pixels = np.arange(1, 13, dtype=np.uint8)  # 4 frames of 3
    stored = pixels.reshape(-1, 2)[:, ::-1].tobytes()
    expected = pixels.reshape(4, 1, 3)
    np.testing.assert_array_equal(native.unpack_frames_reference(stored, layout, 0, 4), expected)
    got = engine.to_host(native.unpack_frames(stored, layout, first, 4 - first, device=engine))
    np.testing.assert_array_equal(got, expected[first:])


def test_8bit_big_endian_ow_of_odd_length(engine):
    """A damaged odd-length value: the last sample's pair partner is missing, read as zero."""
    layout = NativeLayout(
        rows=1,
        columns=3,
        samples_per_pixel=1,
        bits_allocated=8,
        bits_stored=8,
        big_endian=True,
        swapped_8bit_words=True,
    )
    stored = bytes([2, 1, 9])  # pixels 1 and 2 swapped; pixel 3's byte (and 9's partner) lost
    expected = native.unpack_frames_reference(stored, layout, 0, 1)
    assert expected.tolist() == [[[1, 2, 0]]]
    got = engine.to_host(native.unpack_frames(stored, layout, 0, 1, device=engine))
    np.testing.assert_array_equal(got, expected)
    on_device = engine.to_device(np.frombuffer(stored, np.uint8).copy())
    got = engine.to_host(native.unpack_frames(on_device, layout, 0, 1, device=engine))
    np.testing.assert_array_equal(got, expected)


def test_source_already_on_the_device(engine):
    layout = NativeLayout(
        rows=4,
        columns=4,
        samples_per_pixel=1,
        bits_allocated=16,
        bits_stored=12,
        pixel_representation=1,
    )
    value = _random_bytes(3 * 32, 5)
    expected = native.unpack_frames_reference(value, layout, 0, 3)
    src = engine.to_device(np.frombuffer(value, np.uint8).copy())
    with engine.activate():
        out = engine.xp.zeros((2, 4, 4), dtype=np.int16)
    result = native.unpack_frames(src, layout, 1, 2, out=out, device=engine)
    assert result is out
    np.testing.assert_array_equal(engine.to_host(out), expected[1:])


def test_float_pixel_data_is_not_masked(engine):
    layout = NativeLayout(
        rows=2,
        columns=3,
        samples_per_pixel=1,
        bits_allocated=32,
        bits_stored=32,
        big_endian=True,
        is_float=True,
    )
    values = np.linspace(-2.5, 7.25, 12, dtype=">f4")
    got = engine.to_host(native.unpack_frames(values.tobytes(), layout, 0, 2, device=engine))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values.astype(np.float32).reshape(2, 2, 3))


def test_short_data_names_the_bytes_needed(engine):
    layout = NativeLayout(rows=4, columns=4, samples_per_pixel=1, bits_allocated=16, bits_stored=16)
    with pytest.raises(ValueError, match="has 40 bytes; frames 0 to 1 need 64"):
        native.unpack_frames(b"\0" * 40, layout, 0, 2, device=engine)
    with pytest.raises(ValueError, match="need"):
        native.unpack_frames_reference(b"\0" * 40, layout, 1, 1)


def test_unfit_out_is_refused(engine):
    layout = NativeLayout(rows=4, columns=4, samples_per_pixel=1, bits_allocated=16, bits_stored=16)
    with engine.activate():
        out = engine.xp.zeros((1, 4, 4), dtype=np.int16)
    with pytest.raises(ValueError, match="out must be"):
        native.unpack_frames(b"\0" * 32, layout, 0, 1, out=out, device=engine)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bits_allocated": 12}, "bits allocated 12"),
        ({"bits_stored": 17}, "bits stored 17"),
        ({"rows": 0}, "positive"),
        ({"pixel_representation": 2}, "pixel representation"),
        ({"ybr_full_422": True}, "YBR_FULL_422 needs 3"),
        ({"ybr_full_422": True, "samples_per_pixel": 3, "columns": 5}, "odd"),
    ],
)
def test_layout_checks(values, message):
    arguments = {
        "rows": 4,
        "columns": 4,
        "samples_per_pixel": 1,
        "bits_allocated": 16,
        "bits_stored": 16,
    }
    with pytest.raises(ValueError, match=message):
        NativeLayout(**{**arguments, **values})
