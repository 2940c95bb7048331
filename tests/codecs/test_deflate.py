"""Deflated Image Frame Compression (1.2.840.10008.1.2.8.1): frames are raw Deflate
(RFC 1951) streams of the native frame bytes; checked against zlib itself, through the
pixel pipeline, and for damaged or hostile streams.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import dicomcore
from dicomcore.codecs import deflate
from dicomcore.pixels import pixel_array

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("dtype", ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"])
@pytest.mark.parametrize("samples", [1, 3])
def test_round_trip_and_stream_is_raw_deflate_of_little_endian_bytes(dtype, samples):
    shape = (7, 9) if samples == 1 else (7, 9, samples)
    info = np.iinfo(dtype)
    arr = RNG.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    encoded = deflate.encode_frame(arr)
    # What any reader inflating the frame gets is the frame's native bytes.
    assert zlib.decompress(encoded, wbits=-15) == arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    decoded = deflate.decode_frame(
        encoded, rows=7, columns=9, samples_per_pixel=samples,
        bits_allocated=arr.dtype.itemsize * 8, pixel_representation=int(arr.dtype.kind == "i"),
    )
    np.testing.assert_array_equal(decoded, arr)


def test_big_endian_input_array():
    arr = np.arange(20, dtype=">u2").reshape(4, 5)
    encoded = deflate.encode_frame(arr)
    assert zlib.decompress(encoded, wbits=-15) == arr.astype("<u2").tobytes()


@pytest.mark.parametrize("shape", [(3, 5), (8, 8)])
def test_one_bit_frames_are_packed_per_frame(shape):
    arr = RNG.integers(0, 2, size=(3, *shape), dtype=np.uint8)
    frames = deflate.encode_frames(arr, bits_allocated=1, threads=2)
    for frame, expected in zip(frames, arr):
        packed = np.packbits(expected.reshape(-1), bitorder="little").tobytes()
        assert zlib.decompress(frame, wbits=-15) == packed
    decoded = deflate.decode_frames(frames, rows=shape[0], columns=shape[1], bits_allocated=1)
    np.testing.assert_array_equal(decoded, arr)


def test_planar_configuration_one_decodes_interleaved():
    arr = RNG.integers(0, 255, size=(4, 6, 3), dtype=np.uint8)
    planes = np.ascontiguousarray(arr.transpose(2, 0, 1))
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = compressor.compress(planes.tobytes()) + compressor.flush()
    decoded = deflate.decode_frame(stream, rows=4, columns=6, samples_per_pixel=3,
                                   bits_allocated=8, planar_configuration=1)
    np.testing.assert_array_equal(decoded, arr)


def test_zlib_wrapped_stream_and_padding_accepted():
    arr = np.arange(12, dtype="u2").reshape(3, 4)
    wrapped = zlib.compress(arr.tobytes())
    out = deflate.decode_frame(wrapped + b"\x00", rows=3, columns=4, bits_allocated=16)
    np.testing.assert_array_equal(out, arr)


def test_corrupt_short_and_hostile_streams():
    arr = np.arange(64, dtype="u2").reshape(8, 8)
    encoded = deflate.encode_frame(arr)
    kwargs = {"rows": 8, "columns": 8, "bits_allocated": 16}
    with pytest.raises(deflate.DeflateError, match="corrupt"):
        deflate.decode_frame(b"\xff" * 20, **kwargs)
    with pytest.raises(deflate.DeflateError, match="needs 128"):
        deflate.decode_frame(encoded[: len(encoded) // 2], **kwargs)
    # A stream inflating to 256 MiB: only the frame's 128 bytes are ever produced.
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    huge = bomb.compress(bytes(1 << 28)) + bomb.flush()
    out = deflate.decode_frame(huge, **kwargs)
    assert not out.any()
    with pytest.raises(deflate.DeflateError, match="frame 1"):
        deflate.decode_frames([encoded, b"\x00\x01"], **kwargs)


def test_through_the_pixel_pipeline_multi_frame(tmp_path):
    import datafiles

    ds = dicomcore.dcmread(datafiles.get("emri_small.dcm"))
    expected = ds.pixel_array.copy()
    ds.compress("1.2.840.10008.1.2.8.1", deflate_level=9)
    path = tmp_path / "deflated.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(pixel_array(path), expected)
    np.testing.assert_array_equal(pixel_array(path, index=7), expected[7])
    back = dicomcore.dcmread(path)
    back.decompress()
    np.testing.assert_array_equal(back.pixel_array, expected)
