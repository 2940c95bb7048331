"""Tests for dicomcore.gpu.rle: batched RLE Lossless decoding (PS3.5 Annex G).

The CPU reference of every GPU step (header plan, run-table walk, run
expansion, interleaving) is checked against dicomcore's C decoder on every real
RLE file, on real native images encoded to RLE, on hand-made damaged frames and
on random segment streams. The kernels are checked against those references on
the CPU emulation and, where a CUDA device is present, on the GPU.
"""

from __future__ import annotations

import struct
import warnings

import gpu_files
import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import generate_frames

from dicomcore.codecs import rle as cpu_rle
from dicomcore.codecs.rle import RLEError, RLEWarning
from dicomcore.gpu import rle, transfer

pytestmark = pytest.mark.skipif(
    not cpu_rle.is_available(), reason="the RLE extension was not built"
)


# -- Helpers ------------------------------------------------------------------------------


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _options(ds) -> dict:
    bits_allocated = int(ds.BitsAllocated)
    bits_stored = int(ds.get("BitsStored", bits_allocated))
    return {
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "samples_per_pixel": int(ds.SamplesPerPixel),
        "bits_allocated": bits_allocated,
        "pixel_representation": int(ds.PixelRepresentation),
        "bits_stored": bits_stored if bits_stored < bits_allocated else None,
    }


def _frames(ds) -> list[bytes]:
    count = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=count))


def _cpu_options(options: dict) -> dict:
    out = {k: v for k, v in options.items() if k != "bits_stored"}
    if options.get("bits_stored"):
        out["bits_stored"] = options["bits_stored"]
    return out


def frame_from_segments(segments: list[bytes], declared: int | None = None, offsets=None) -> bytes:
    """An RLE frame: the 64-byte header (G.5) and the given segment bytes."""
    if offsets is None:
        offsets = []
        position = 64
        for segment in segments:
            offsets.append(position)
            position += len(segment)
    count = len(segments) if declared is None else declared
    words = [count, *offsets][:16]
    header = struct.pack(f"<{len(words)}I", *words).ljust(64, b"\0")
    return header + b"".join(segments)


def _cpu_decode(frames, options, lenient=False):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arr = cpu_rle.decode_frames(frames, threads=1, lenient=lenient, **_cpu_options(options))
    return arr, [w for w in caught if issubclass(w.category, RLEWarning)]


def _reference(frames, options, lenient=False):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arr = rle.decode_frames_reference(frames, lenient=lenient, **options)
    return arr, [w for w in caught if issubclass(w.category, RLEWarning)]


RLE_FILES = gpu_files.params(gpu_files.with_syntax(*gpu_files.RLE))
NATIVE_FILES = gpu_files.params(gpu_files.with_syntax(*gpu_files.NATIVE))


# -- The CPU reference against the C decoder ----------------------------------------------


def test_real_rle_files_exist():
    assert len(RLE_FILES) >= 10


@pytest.mark.parametrize("path", RLE_FILES)
def test_reference_equals_c_decoder_on_real_files(path):
    ds = _read(path)
    frames = _frames(ds)
    options = _options(ds)
    expected, _ = _cpu_decode(frames, options)
    got, problems = _reference(frames, options)
    assert not problems
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("path", RLE_FILES)
def test_run_table_covers_every_plane_exactly_once(path):
    ds = _read(path)
    frames = _frames(ds)
    geometry = rle.RLEGeometry.from_options(frames[0], **{**_options(ds), "segment_order": ">"})
    data, offsets = transfer.gather(frames)
    plan = rle.plan_segments(data, offsets, geometry)
    table = rle.walk_segments(data, plan, geometry.plane_length)
    assert (table.status == rle.OK).all()
    assert table.counts.sum() == len(table.dst)
    first = 0
    for k, (start, end, plane) in enumerate(plan.segments.tolist()):
        runs = slice(first, first + int(table.counts[k]))
        first += int(table.counts[k])
        lengths = np.abs(table.length[runs]).astype(np.int64)
        # Runs follow one another from the plane's start to its end ...
        expected_dst = plane + np.concatenate([[0], np.cumsum(lengths)[:-1]])
        np.testing.assert_array_equal(table.dst[runs], expected_dst)
        assert lengths.sum() == geometry.plane_length
        assert (lengths >= 1).all() and (lengths <= 128).all()
        # ... and read only their own segment's bytes.
        sources = table.src[runs]
        last_read = np.where(table.length[runs] > 0, sources + lengths - 1, sources)
        assert (sources > start).all() and (last_read < end).all()


@pytest.mark.parametrize("path", NATIVE_FILES)
def test_reference_decodes_real_images_encoded_as_rle(path):
    """Real native images, RLE-encoded by the C encoder, decode back exactly."""
    ds = _read(path)
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32, 64) or int(ds.SamplesPerPixel) * bits // 8 > 15:
        pytest.skip(f"{bits}-bit x {ds.SamplesPerPixel} samples has no RLE form (PS3.5 G.2)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = pydicom.pixels.pixel_array(ds, raw=True)
    except ValueError as exc:  # damaged test files (truncated pixel data)
        pytest.skip(f"pydicom cannot decode this file's pixels: {exc}")
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[None]
    arr = np.ascontiguousarray(arr[:2])  # two frames are enough; the walk is a Python loop
    if arr.dtype.kind == "f":
        arr = arr.view(f"u{arr.dtype.itemsize}")
    frames = cpu_rle.encode_frames(arr, threads=1)
    options = {
        "rows": arr.shape[1],
        "columns": arr.shape[2],
        "samples_per_pixel": 1 if arr.ndim == 3 else arr.shape[3],
        "bits_allocated": bits,
        "pixel_representation": 1 if arr.dtype.kind == "i" else 0,
    }
    got, _ = _reference(frames, options)
    np.testing.assert_array_equal(got, arr)


# -- Damaged frames: the same errors and lenient output as the C decoder ------------------

PLANE = 16  # 4 x 4 pixels


def _literal(values: bytes) -> bytes:
    return bytes([len(values) - 1]) + values


def _replicate(value: int, count: int) -> bytes:
    return bytes([257 - count, value])


GOOD = _literal(bytes(range(8))) + _replicate(7, 8)  # 16 bytes
DAMAGED = {
    "segment_truncated": (_literal(bytes(range(8))), None),
    "literal_truncated": (_literal(bytes(range(8))) + bytes([9]) + b"\1\2\3", None),
    "replicate_without_value": (_literal(bytes(range(8))) + bytes([250]), None),
    "run_overflow": (_literal(bytes(range(8))) + _replicate(5, 12), None),
    "trailing_runs": (GOOD + _replicate(1, 4), None),
    "offset_in_header": (GOOD, [32, 64 + len(GOOD)]),
    "offset_past_end": (GOOD, [64, 4096]),
    "offset_order": (GOOD, [64 + len(GOOD), 64]),
}


def _damaged_frame(case: str, damaged_segment: int) -> bytes:
    body, offsets = DAMAGED[case]
    segments = [GOOD, GOOD]
    segments[damaged_segment] = body
    if offsets is not None:
        return frame_from_segments([GOOD, GOOD], offsets=offsets)
    return frame_from_segments(segments)


OPTIONS_2x8 = {"rows": 4, "columns": 4, "samples_per_pixel": 1, "bits_allocated": 16}


@pytest.mark.parametrize("case", sorted(DAMAGED))
@pytest.mark.parametrize("damaged_segment", [0, 1])
def test_damaged_frame_raises_as_c_decoder(case, damaged_segment):
    frames = [frame_from_segments([GOOD, GOOD]), _damaged_frame(case, damaged_segment)]
    with pytest.raises(RLEError) as expected:
        cpu_rle.decode_frames(frames, threads=1, **OPTIONS_2x8)
    with pytest.raises(RLEError) as got:
        rle.decode_frames_reference(frames, **OPTIONS_2x8)
    assert got.value.reason == expected.value.reason
    assert got.value.segment == expected.value.segment
    assert got.value.offset == expected.value.offset
    assert got.value.frame == expected.value.frame == 1
    assert str(got.value) == str(expected.value)
    assert str(got.value).startswith("frame 1: ")


@pytest.mark.parametrize("case", sorted(DAMAGED))
@pytest.mark.parametrize("damaged_segment", [0, 1])
def test_damaged_frame_lenient_output_equals_c_decoder(case, damaged_segment):
    frames = [_damaged_frame(case, damaged_segment), frame_from_segments([GOOD, GOOD])]
    expected, expected_warnings = _cpu_decode(frames, OPTIONS_2x8, lenient=True)
    got, got_warnings = _reference(frames, OPTIONS_2x8, lenient=True)
    np.testing.assert_array_equal(got, expected)
    assert len(got_warnings) == len(expected_warnings) == 1
    assert str(got_warnings[0].message) == str(expected_warnings[0].message)
    assert str(got_warnings[0].message).startswith("frame 0: ")


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x01\x00\x00\x00" + b"\0" * 20, "header_truncated"),
        (frame_from_segments([GOOD, GOOD], declared=0), "segment_count"),
        (frame_from_segments([GOOD, GOOD], declared=16), "segment_count"),
        (frame_from_segments([GOOD, GOOD, GOOD]), "segment_count"),
    ],
)
def test_header_problems(frame, reason):
    with pytest.raises(RLEError) as expected:
        cpu_rle.decode_frames([frame], threads=1, **OPTIONS_2x8)
    with pytest.raises(RLEError) as got:
        rle.decode_frames_reference([frame], **OPTIONS_2x8)
    assert got.value.reason == expected.value.reason == reason
    assert got.value.frame == 0
    expected_lenient, _ = _cpu_decode([frame], OPTIONS_2x8, lenient=True)
    got_lenient, problems = _reference([frame], OPTIONS_2x8, lenient=True)
    np.testing.assert_array_equal(got_lenient, expected_lenient)
    assert len(problems) == 1


def test_noop_opcodes_and_padding_are_skipped():
    body = (
        bytes([128])
        + _literal(bytes(range(8)))
        + bytes([128, 128])
        + _replicate(3, 8)
        + b"\x80\x00"
    )
    frames = [frame_from_segments([body, GOOD])]
    expected, _ = _cpu_decode(frames, OPTIONS_2x8)
    got, problems = _reference(frames, OPTIONS_2x8)
    assert not problems
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("bits_stored", "signed"), [(12, 0), (12, 1), (9, 1), (16, 1)])
def test_bits_stored_and_sign(bits_stored, signed):
    rng = np.random.default_rng(bits_stored)
    arr = rng.integers(0, 65536, size=(3, 7, 5), dtype=np.uint16)
    frames = cpu_rle.encode_frames(arr, threads=1)
    options = {
        "rows": 7,
        "columns": 5,
        "bits_allocated": 16,
        "samples_per_pixel": 1,
        "pixel_representation": signed,
        "bits_stored": bits_stored,
    }
    expected, _ = _cpu_decode(frames, options)
    got, _ = _reference(frames, options)
    assert got.dtype == expected.dtype == np.dtype("i2" if signed else "u2")
    np.testing.assert_array_equal(got, expected)


def test_segment_order_lsb_first():
    arr = np.arange(2 * 6 * 4, dtype=np.uint16).reshape(2, 6, 4) * 257 + 3
    frames = cpu_rle.encode_frames(arr, threads=1)
    options = {"rows": 6, "columns": 4, "bits_allocated": 16, "samples_per_pixel": 1}
    expected = cpu_rle.decode_frames(frames, threads=1, segment_order="<", **options)
    got = rle.decode_frames_reference(frames, segment_order="<", **options)
    np.testing.assert_array_equal(got, expected)


def test_geometry_read_from_the_header():
    arr = np.arange(3 * 5 * 4 * 3, dtype=np.uint16).reshape(3, 5, 4, 3)
    frames = cpu_rle.encode_frames(arr, threads=1)
    got = rle.decode_frames_reference(frames, rows=5, columns=4)
    np.testing.assert_array_equal(got, arr)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": 4}, "rows and columns"),
        ({"rows": 0, "columns": 4}, "positive"),
        (
            {"rows": 4, "columns": 4, "bits_allocated": 12, "samples_per_pixel": 1},
            "8, 16, 32 or 64",
        ),
        ({"rows": 4, "columns": 4, "bits_allocated": 64, "samples_per_pixel": 3}, "at most 15"),
        (
            {
                "rows": 4,
                "columns": 4,
                "bits_allocated": 16,
                "samples_per_pixel": 1,
                "pixel_representation": 2,
            },
            "pixel_representation",
        ),
        (
            {
                "rows": 4,
                "columns": 4,
                "bits_allocated": 16,
                "samples_per_pixel": 1,
                "bits_stored": 17,
            },
            "bits_stored",
        ),
        (
            {
                "rows": 4,
                "columns": 4,
                "bits_allocated": 16,
                "samples_per_pixel": 1,
                "segment_order": "=",
            },
            "segment_order",
        ),
    ],
)
def test_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        rle.decode_frames_reference([frame_from_segments([GOOD, GOOD])], **options)


# -- Random segment streams ---------------------------------------------------------------

_opcode = st.one_of(
    st.binary(min_size=1, max_size=12).map(_literal),
    st.tuples(st.integers(0, 255), st.integers(2, 128)).map(lambda t: _replicate(*t)),
    st.just(b"\x80"),
    st.binary(min_size=1, max_size=4),  # anything: truncated runs, stray bytes
)
_segment = st.lists(_opcode, max_size=8).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=st.lists(_segment, min_size=2, max_size=2), frames=st.integers(1, 3))
def test_random_streams_match_c_decoder(segments, frames):
    batch = [frame_from_segments(segments)] * frames
    try:
        expected, _ = _cpu_decode(batch, OPTIONS_2x8)
        expected_error = None
    except RLEError as exc:
        expected_error = exc
    if expected_error is None:
        got, problems = _reference(batch, OPTIONS_2x8)
        assert not problems
        np.testing.assert_array_equal(got, expected)
    else:
        with pytest.raises(RLEError) as got_error:
            rle.decode_frames_reference(batch, **OPTIONS_2x8)
        # The same first problem, worded the same, whatever else is wrong.
        assert str(got_error.value) == str(expected_error)
        assert (got_error.value.reason, got_error.value.segment, got_error.value.offset) == (
            expected_error.reason,
            expected_error.segment,
            expected_error.offset,
        )
        assert got_error.value.frame == expected_error.frame == 0
    # Lenient decoding gives the same bytes and warnings whatever is wrong.
    expected_lenient, expected_warnings = _cpu_decode(batch, OPTIONS_2x8, lenient=True)
    got_lenient, got_warnings = _reference(batch, OPTIONS_2x8, lenient=True)
    np.testing.assert_array_equal(got_lenient, expected_lenient)
    assert [str(w.message) for w in got_warnings] == [str(w.message) for w in expected_warnings]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(
        st.lists(
            st.one_of(
                st.binary(min_size=1, max_size=128).map(_literal),
                st.tuples(st.integers(0, 255), st.integers(2, 128)).map(lambda t: _replicate(*t)),
                st.binary(min_size=1, max_size=3),
            ),
            max_size=60,
        ).map(b"".join),
        min_size=3,
        max_size=3,
    )
)
def test_random_streams_over_several_blocks_match_c_decoder(segments):
    """Planes larger than the C decoder's 4096-byte blocks: the same first problem."""
    options = {"rows": 64, "columns": 80, "samples_per_pixel": 3, "bits_allocated": 8}
    batch = [frame_from_segments(segments)]
    expected, expected_warnings = _cpu_decode(batch, options, lenient=True)
    got, got_warnings = _reference(batch, options, lenient=True)
    np.testing.assert_array_equal(got, expected)
    assert [str(w.message) for w in got_warnings] == [str(w.message) for w in expected_warnings]


# -- The kernels against the references (CPU emulation, and the GPU where present) --------


def _plan_for(frames, options):
    geometry = rle.RLEGeometry.from_options(frames[0], **{**options, "segment_order": ">"})
    data, offsets = transfer.gather(frames)
    plan = rle.plan_segments(data, offsets, geometry, lenient=True)
    return geometry, data, plan


def _walk_on(engine, data, plan, plane_length, emit_base=None):
    count = len(plan.segments)
    xp = engine.xp
    with engine.activate():
        arrays = {
            "data": engine.to_device(data),
            "segments": engine.to_device(np.ascontiguousarray(plan.segments)),
            "status": engine.to_device(plan.status.copy()),
            "count": xp.zeros(count, dtype=np.int64),
            "at": xp.zeros(count, dtype=np.int64),
            "produced": xp.zeros(count, dtype=np.int64),
        }
        runs = 1 if emit_base is None else max(1, int(emit_base[-1]))
        base = engine.to_device(
            np.zeros(1, np.int64) if emit_base is None else emit_base[:-1].copy()
        )
        dst = xp.zeros(runs, dtype=np.int64)
        src = xp.zeros(runs, dtype=np.int64)
        length = xp.zeros(runs, dtype=np.int32)
    engine.launch(
        "rle",
        "dc_rle_walk",
        count,
        (
            arrays["data"],
            arrays["segments"],
            np.int64(count),
            np.int64(plane_length),
            np.int32(emit_base is not None),
            base,
            dst,
            src,
            length,
            arrays["count"],
            arrays["status"],
            arrays["at"],
            arrays["produced"],
        ),
    )
    host = {k: engine.to_host(v) for k, v in arrays.items()}
    return host, engine.to_host(dst), engine.to_host(src), engine.to_host(length)


def _kernel_cases():
    cases = []
    for param in RLE_FILES:
        ds = _read(param.values[0])
        cases.append(pytest.param(_frames(ds), _options(ds), id=param.id))
    damaged = [_damaged_frame(case, s) for case in sorted(DAMAGED) for s in (0, 1)]
    cases.append(pytest.param(damaged, OPTIONS_2x8, id="damaged-frames"))
    return cases


@pytest.mark.parametrize(("frames", "options"), _kernel_cases())
def test_walk_kernel_equals_reference(engine, frames, options):
    geometry, data, plan = _plan_for(frames, options)
    expected = rle.walk_segments(data, plan, geometry.plane_length)
    counted, *_ = _walk_on(engine, data, plan, geometry.plane_length)
    np.testing.assert_array_equal(counted["count"], expected.counts)
    np.testing.assert_array_equal(counted["status"], expected.status)
    np.testing.assert_array_equal(counted["produced"], expected.produced)
    problems = expected.status != rle.OK
    np.testing.assert_array_equal(
        counted["at"][problems & (expected.status != rle.UNUSABLE)],
        expected.status_at[problems & (expected.status != rle.UNUSABLE)],
    )
    base = np.zeros(len(expected.counts) + 1, dtype=np.int64)
    np.cumsum(expected.counts, out=base[1:])
    _, dst, src, length = _walk_on(engine, data, plan, geometry.plane_length, emit_base=base)
    runs = int(base[-1])
    np.testing.assert_array_equal(dst[:runs], expected.dst)
    np.testing.assert_array_equal(src[:runs], expected.src)
    np.testing.assert_array_equal(length[:runs], expected.length)


@pytest.mark.parametrize(("frames", "options"), _kernel_cases())
def test_expand_and_interleave_kernels_equal_references(engine, frames, options):
    geometry, data, plan = _plan_for(frames, options)
    table = rle.walk_segments(data, plan, geometry.plane_length)
    size = len(frames) * geometry.segments * geometry.plane_length
    expected_planes = rle.expand_runs(table, data, size)
    runs = len(table.dst)
    with engine.activate():
        planes = engine.xp.zeros(size, dtype=np.uint8)
        args = [engine.to_device(a) for a in (data, table.dst, table.src, table.length)]
    for lanes in (1, 8, 32):
        engine.launch(
            "rle", "dc_rle_expand", runs * lanes, (*args, np.int64(runs), np.int32(lanes), planes)
        )
        np.testing.assert_array_equal(engine.to_host(planes), expected_planes)
    for bits_stored, signed, lsb_first in [
        (0, False, False),
        (geometry.bytes_per_sample * 8 - 3, True, False),
        (geometry.bytes_per_sample * 8 - 1, False, True),
    ]:
        variant = rle.RLEGeometry(
            geometry.rows,
            geometry.columns,
            geometry.samples_per_pixel,
            geometry.bytes_per_sample,
            max(bits_stored, 0),
            signed,
            lsb_first,
        )
        expected = rle.interleave_planes(expected_planes, variant, len(frames))
        with engine.activate():
            out = engine.xp.zeros(expected.shape, dtype=f"u{geometry.bytes_per_sample}")
        engine.launch(
            "rle",
            f"dc_rle_interleave_u{8 * geometry.bytes_per_sample}",
            expected.size,
            (
                planes,
                out,
                np.int64(len(frames)),
                np.int64(geometry.plane_length),
                np.int32(geometry.samples_per_pixel),
                np.int32(lsb_first),
                np.int32(max(bits_stored, 0)),
                np.int32(signed),
            ),
        )
        np.testing.assert_array_equal(engine.to_host(out).view(expected.dtype), expected)


# -- The whole GPU decode -----------------------------------------------------------------


@pytest.mark.parametrize("path", RLE_FILES)
def test_decode_frames_equals_c_decoder(engine, path):
    ds = _read(path)
    frames = _frames(ds)
    options = _options(ds)
    expected, _ = _cpu_decode(frames, options)
    got = engine.to_host(rle.decode_frames(frames, device=engine, **options))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_decode_frames_batch_of_many_frames_into_out(engine):
    rng = np.random.default_rng(7)
    base = rng.integers(0, 4096, size=(1, 64, 48), dtype=np.uint16)
    arr = np.repeat(base, 20, axis=0) + np.arange(20, dtype=np.uint16)[:, None, None]
    arr[:, 10:20, :] = 1000  # long replicate runs next to noisy literal runs
    frames = cpu_rle.encode_frames(arr, threads=1)
    with engine.activate():
        out = engine.xp.zeros(arr.shape, dtype=np.uint16)
    result = rle.decode_frames(
        frames, rows=64, columns=48, bits_allocated=16, samples_per_pixel=1, out=out, device=engine
    )
    assert result is out
    np.testing.assert_array_equal(engine.to_host(out), arr)


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_decode_frames_errors_and_lenient(engine, case):
    frames = [frame_from_segments([GOOD, GOOD]), _damaged_frame(case, 1)]
    with pytest.raises(RLEError) as expected:
        rle.decode_frames_reference(frames, **OPTIONS_2x8)
    with pytest.raises(RLEError) as got:
        rle.decode_frames(frames, device=engine, **OPTIONS_2x8)
    assert str(got.value) == str(expected.value)
    assert (got.value.reason, got.value.segment, got.value.offset, got.value.frame) == (
        expected.value.reason,
        expected.value.segment,
        expected.value.offset,
        1,
    )
    expected_lenient, _ = _cpu_decode(frames, OPTIONS_2x8, lenient=True)
    with pytest.warns(RLEWarning, match="frame 1: "):
        got_lenient = rle.decode_frames(frames, device=engine, lenient=True, **OPTIONS_2x8)
    np.testing.assert_array_equal(engine.to_host(got_lenient), expected_lenient)


def test_decode_frames_rejects_unfit_out(engine):
    frames = [frame_from_segments([GOOD, GOOD])]
    with engine.activate():
        wrong_dtype = engine.xp.zeros((1, 4, 4), dtype=np.int16)
        wrong_shape = engine.xp.zeros((2, 4, 4), dtype=np.uint16)
    for out in (wrong_dtype, wrong_shape):
        with pytest.raises(ValueError, match="out has shape"):
            rle.decode_frames(frames, out=out, device=engine, **OPTIONS_2x8)


def test_decode_frames_of_nothing(engine):
    out = rle.decode_frames([], device=engine, **OPTIONS_2x8)
    assert tuple(out.shape) == (0, 4, 4)
