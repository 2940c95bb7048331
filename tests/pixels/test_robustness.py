"""Damaged and hostile input: every failure is a Python exception that says what is
wrong, never a crash, a hang or a huge allocation. Hypothesis drives random bytes and
random Image Pixel values through encaps, the native unpacker and the whole pipeline.
"""

from __future__ import annotations

import io
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datafiles
import dicomcore
from dicomcore import encaps
from dicomcore.pixels import _unpack, pixel_array
from dicomcore.pixels.layout import PixelLayout
from dicomcore.pixels.native import decode_native
from dicomcore.uid import UID

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPECTED_ERRORS = (ValueError, IndexError, AttributeError, NotImplementedError, RuntimeError,
                   TypeError, KeyError)


@FAST
@given(st.binary(max_size=200), st.integers(0, 6), st.one_of(st.none(), st.integers(1, 5)))
def test_encaps_random_bytes(data, index, frames):
    try:
        encaps.get_frame(data, index, number_of_frames=frames)
    except (ValueError, IndexError) as exc:
        assert str(exc)


@FAST
@given(st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=6),
       st.integers(0, 300), st.binary(min_size=1, max_size=4))
def test_encaps_damaged_real_structure(frames, position, junk):
    value = bytearray(encaps.encapsulate(frames))
    position %= len(value)
    value[position : position + len(junk)] = junk
    try:
        list(encaps.generate_frames(bytes(value), number_of_frames=len(frames)))
    except (ValueError, IndexError) as exc:
        assert str(exc)


@FAST
@given(
    rows=st.integers(1, 40), columns=st.integers(1, 40), samples=st.sampled_from([1, 3]),
    allocated=st.sampled_from([1, 8, 16, 32, 64]), frames=st.integers(1, 4),
    planar=st.integers(0, 1), signed=st.integers(0, 1),
    photometric=st.sampled_from(["MONOCHROME2", "RGB", "YBR_FULL_422"]),
    syntax=st.sampled_from(["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]),
    data=st.binary(max_size=4000), index=st.one_of(st.none(), st.integers(0, 5)),
)
def test_native_random_geometry_and_data(rows, columns, samples, allocated, frames, planar,
                                         signed, photometric, syntax, data, index):
    layout = PixelLayout(rows, columns, samples, allocated, max(1, allocated - 2), signed,
                         photometric, planar, frames, transfer_syntax=UID(syntax))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            arr, _ = decode_native(data, layout, index)
        except ValueError as exc:
            assert str(exc)
            return
    assert arr.size * max(allocated, 8) // 8 <= len(data) * 8 * 8 + 64


@FAST
@given(st.binary(max_size=64), st.integers(-4, 600), st.integers(-4, 600), st.integers(-4, 70))
def test_kernel_bindings_check_bounds(data, offset, count, bits):
    out = bytearray(256)
    for call in (
        lambda: _unpack.copy_samples(data, offset, out, 0, count, 2, True, bits, True),
        lambda: _unpack.interleave_planes(data, offset, out, 0, 1, count, 3, 1),
        lambda: _unpack.unpack_bits(data, max(offset, 0), out, 0, count),
        lambda: _unpack.expand_ybr422(data, offset, out, 0, count, 2),
    ):
        try:
            call()
        except (ValueError, OverflowError) as exc:
            assert str(exc)


REAL = ["MR_small_RLE.dcm", "emri_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm",
        "emri_small_RLE.dcm", "CT_small.dcm"]


@pytest.mark.parametrize("name", REAL)
@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, 1 << 20), junk=st.binary(min_size=1, max_size=16))
def test_damaged_real_files_raise_clear_errors(name, position, junk):
    data = bytearray(datafiles.get(name).read_bytes())
    # Damage the pixel data (the last part of each of these files).
    start = len(data) - min(len(data) // 2, 6000)
    position = start + position % (len(data) - start)
    data[position : position + len(junk)] = junk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = dicomcore.dcmread(io.BytesIO(bytes(data)))
            pixel_array(ds)
        except EXPECTED_ERRORS as exc:
            assert str(exc)


def test_huge_declared_frames_do_not_allocate():
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    ds.NumberOfFrames = 2**31 - 1  # native data: checked against the bytes first
    with pytest.raises(ValueError, match="less than expected"):
        pixel_array(ds)
    rle_ds = dicomcore.dcmread(datafiles.get("MR_small_RLE.dcm"))
    rle_ds.NumberOfFrames = 2**31 - 1  # the Basic Offset Table lists one frame
    with pytest.warns(UserWarning, match="holds 1 frames"):
        assert pixel_array(rle_ds).shape == (64, 64)
    value = encaps.encapsulate([bytes(encaps.get_frame(rle_ds.PixelData, 0))], has_bot=False)
    rle_ds.PixelData = value  # no table: one fragment cannot be 2**31 - 1 frames
    with pytest.raises(ValueError, match="1 fragments .* too few"):
        pixel_array(rle_ds)


@pytest.mark.parametrize("value", [["MONOCHROME2", "RGB"], "MONOCHROME2\\MONOCHROME1"])
def test_multi_valued_photometric_interpretation_is_a_clear_error(value):
    # Found by tools/fuzz.py: a second value used to surface as "unhashable type: 'list'".
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    ds.PhotometricInterpretation = value
    with pytest.raises(ValueError, match=r"\(0028,0004\) 'Photometric Interpretation' must have one"):
        pixel_array(ds)
