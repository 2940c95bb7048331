"""Tests of the JPEG-LS codec (dicomcore.codecs.jpegls) against real DICOM files.

pydicom 3 with pyjpegls, imagecodecs and the DCMTK / GDCM command-line tools are the
oracles: every real JPEG-LS file must decode exactly as pydicom decodes it, and
streams written here must decode identically elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagecodecs
import jpeg_ls
import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

import datafiles
from child_process import run_python
from dicomcore.codecs import jpegls

pytestmark = pytest.mark.skipif(
    not jpegls.is_available(), reason="dicomcore was built without CharLS (libcharls-dev)"
)

LOSSLESS = jpegls.JPEGLS_LOSSLESS
NEAR_LOSSLESS = jpegls.JPEGLS_NEAR_LOSSLESS


# ---------------------------------------------------------------------------
# Real files


def _read_quietly(path: Path, **kwargs) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, **kwargs)


def _jpegls_files() -> list[Path]:
    found = []
    for path in datafiles.all_files():
        try:
            ds = _read_quietly(path, stop_before_pixels=True)
            syntax = ds.file_meta.TransferSyntaxUID
        except Exception:
            continue
        if syntax in jpegls.TRANSFER_SYNTAXES:
            found.append(path)
    return found


JPEGLS_FILES = _jpegls_files()


def _frames(ds: Dataset) -> list[bytes]:
    count = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=count))


def _dataset_arguments(ds: Dataset) -> dict:
    return {
        "rows": ds.Rows,
        "columns": ds.Columns,
        "samples_per_pixel": ds.SamplesPerPixel,
        "bits_allocated": ds.BitsAllocated,
        "bits_stored": ds.BitsStored,
        "pixel_representation": ds.PixelRepresentation,
    }


def _pydicom_reference(path: Path) -> np.ndarray:
    """pydicom 3's array, decoded by pyjpegls, with one leading axis per frame."""
    ds = _read_quietly(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pydicom.pixels.pixel_array(ds, decoding_plugin="pyjpegls")
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[np.newaxis]
    return arr


@pytest.fixture(scope="module")
def real_images() -> dict[str, tuple[Dataset, np.ndarray]]:
    """Uncompressed real images used as encoder input (dataset, pixel array)."""
    names = [
        "CT_small.dcm",  # CT, signed, 16 bits stored
        "693_UNCI.dcm",  # CT, signed, 14 bits stored, 512 x 512
        "mlut_18.dcm",  # signed, 12 bits stored
        "MR2_UNCI.dcm",  # MR, unsigned, 12 bits stored, 1024 x 1024
        "emri_small.dcm",  # MR, 10 frames, 12 bits stored
        "vlut_04.dcm",  # 8-bit greyscale
        "US1_UNCI.dcm",  # 8-bit RGB ultrasound
        "SC_rgb_16bit.dcm",  # 16-bit RGB
        "SC_rgb_2frame.dcm",  # 8-bit RGB, 2 frames
    ]
    images = {}
    for name in names:
        ds = _read_quietly(datafiles.get(name))
        images[name] = (ds, ds.pixel_array)
    return images


# ---------------------------------------------------------------------------
# Decoding the real JPEG-LS files


def test_real_jpegls_files_found():
    # The decode tests below are parametrised over these; an empty list would make
    # them vanish silently.
    assert len(JPEGLS_FILES) >= 6


@pytest.mark.parametrize("path", JPEGLS_FILES, ids=datafiles.file_id)
def test_decode_matches_pydicom_pyjpegls(path):
    ds = _read_quietly(path)
    reference = _pydicom_reference(path)
    frames = _frames(ds)
    arguments = _dataset_arguments(ds)

    decoded = jpegls.decode_frames(frames, threads=2, **arguments)
    assert decoded.dtype == reference.dtype
    assert decoded.shape == reference.shape
    np.testing.assert_array_equal(decoded, reference)

    for index, frame in enumerate(frames):
        single = jpegls.decode_frame(frame, **arguments)
        np.testing.assert_array_equal(single, reference[index])


@pytest.mark.parametrize("path", JPEGLS_FILES, ids=datafiles.file_id)
def test_decode_without_dataset_hints(path):
    """The codestream alone gives the image; only the dtype may need Bits Allocated."""
    ds = _read_quietly(path)
    reference = _pydicom_reference(path)
    frame = _frames(ds)[0]
    decoded = jpegls.decode_frame(
        frame,
        bits_allocated=ds.BitsAllocated,
        pixel_representation=ds.PixelRepresentation,
    )
    np.testing.assert_array_equal(decoded, reference[0])


@pytest.mark.parametrize("path", JPEGLS_FILES, ids=datafiles.file_id)
def test_decode_into_preallocated_multiframe_array(path):
    ds = _read_quietly(path)
    reference = _pydicom_reference(path)
    frames = _frames(ds)
    arguments = _dataset_arguments(ds)
    out = np.full(reference.shape, 123, dtype=reference.dtype)
    for index, frame in enumerate(frames):
        result = jpegls.decode_frame(frame, out=out[index], **arguments)
        assert result is out[index] or np.shares_memory(result, out)
    np.testing.assert_array_equal(out, reference)

    again = np.zeros_like(out)
    assert jpegls.decode_frames(frames, out=again, threads=2, **arguments) is again
    np.testing.assert_array_equal(again, reference)


@pytest.mark.parametrize("path", JPEGLS_FILES, ids=datafiles.file_id)
def test_read_header_matches_dataset_and_pyjpegls(path):
    ds = _read_quietly(path)
    frame = _frames(ds)[0]
    header = jpegls.read_header(frame)
    assert (header.rows, header.columns) == (ds.Rows, ds.Columns)
    assert header.samples_per_pixel == ds.SamplesPerPixel
    assert ds.BitsStored <= header.bits_per_sample <= ds.BitsAllocated
    if ds.file_meta.TransferSyntaxUID == LOSSLESS:
        assert header.is_lossless
    _, info = jpeg_ls.decode_buffer(frame)
    assert header.width == info["width"]
    assert header.height == info["height"]
    assert header.bits_per_sample == info["bits_per_sample"]
    assert header.component_count == info["components"]
    assert header.near_lossless == info["allowed_lossy_error"]
    assert header.interleave_mode == info["interleave_mode"]


def test_real_files_cover_every_interleave_mode_and_near():
    modes = set()
    nears = set()
    for path in JPEGLS_FILES:
        header = jpegls.read_header(_frames(_read_quietly(path))[0])
        if header.component_count > 1:
            modes.add(header.interleave_mode)
        nears.add(header.near_lossless)
    assert {1, 2} <= modes
    assert 0 in nears and any(nears - {0})


def test_wider_output_container():
    path = datafiles.get("JPEGLSNearLossless_08.dcm")
    ds = _read_quietly(path)
    frame = _frames(ds)[0]
    eight = jpegls.decode_frame(frame)
    assert eight.dtype == np.uint8
    for bits, dtype in ((16, np.uint16), (32, np.uint32), (64, np.uint64)):
        wide = jpegls.decode_frame(frame, bits_allocated=bits)
        assert wide.dtype == dtype
        np.testing.assert_array_equal(wide, eight)


def test_planar_stream_is_interleaved_on_output(real_images):
    _, rgb = real_images["US1_UNCI.dcm"]
    stream = jpegls.encode_frame(rgb, interleave_mode=0)
    assert jpegls.read_header(stream).interleave_mode == 0
    decoded = jpegls.decode_frame(stream, bits_allocated=16)
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, rgb)


# ---------------------------------------------------------------------------
# Lossless round trips


def _reduce_to_bits(image: np.ndarray, bits: int) -> np.ndarray:
    """Fit a real image into exactly ``bits`` unsigned bits, keeping its structure."""
    values = image.astype(np.int64) - int(image.min())
    spare = bits - int(values.max()).bit_length()
    if spare < 0:
        values >>= -spare
    elif spare > 0:
        # Widen by shifting up and refilling the new low bits from the image itself,
        # so that the low bits stay as busy as real high-precision data.
        values = (values << spare) | (values & ((1 << spare) - 1))
    return values.astype(np.uint8 if bits <= 8 else np.uint16)


def _grey_source(real_images, bits):
    _, ct = real_images["693_UNCI.dcm"]
    return _reduce_to_bits(ct[128:384, 128:384], bits)


def _colour_source(real_images, bits):
    name = "US1_UNCI.dcm" if bits <= 8 else "SC_rgb_16bit.dcm"
    _, rgb = real_images[name]
    return _reduce_to_bits(rgb, bits)


@pytest.mark.parametrize("bits", range(2, 17))
@pytest.mark.parametrize("samples", [1, 3])
def test_lossless_round_trip(real_images, bits, samples):
    if samples == 1:
        image = _grey_source(real_images, bits)
    else:
        image = _colour_source(real_images, bits)
    assert int(image.max()) >= (1 << (bits - 1))  # the top bit is really used
    modes = [2] if samples == 1 else [0, 1, 2]
    for mode in modes:
        stream = jpegls.encode_frame(image, bits_stored=bits, interleave_mode=mode)
        assert len(stream) % 2 == 0
        header = jpegls.read_header(stream)
        assert header.bits_per_sample == bits
        assert header.component_count == samples
        assert header.near_lossless == 0
        if samples == 3:
            assert header.interleave_mode == mode

        decoded = jpegls.decode_frame(stream, bits_allocated=8 * image.dtype.itemsize)
        assert decoded.dtype == image.dtype
        np.testing.assert_array_equal(decoded, image)
        # An independent CharLS build reads the same stream the same way.
        np.testing.assert_array_equal(imagecodecs.jpegls_decode(stream), image)

        # And streams written by another encoder (pyjpegls, as pydicom calls it)
        # with the same precision and interleave mode decode to the same image.
        source = image.transpose(2, 0, 1) if samples == 3 and mode == 0 else image
        theirs = jpeg_ls.encode_buffer(
            source.tobytes(),
            image.shape[0],
            image.shape[1],
            samples,
            bits,
            interleave_mode=mode if samples == 3 else None,
        )
        assert jpegls.read_header(bytes(theirs)).bits_per_sample == bits
        np.testing.assert_array_equal(
            jpegls.decode_frame(theirs, bits_allocated=8 * image.itemsize), image
        )


def test_real_bits_stored_is_written_and_compresses_better(real_images):
    ds, mr = real_images["MR2_UNCI.dcm"]
    assert ds.BitsStored == 12
    as_12 = jpegls.encode_frame(mr, bits_stored=12)
    as_16 = jpegls.encode_frame(mr, bits_stored=16)
    assert jpegls.read_header(as_12).bits_per_sample == 12
    assert jpegls.read_header(as_16).bits_per_sample == 16
    assert len(as_12) < len(as_16)
    np.testing.assert_array_equal(jpegls.decode_frame(as_12, bits_allocated=16), mr)


def test_default_bits_stored_is_the_dtype_size(real_images):
    _, grey = real_images["vlut_04.dcm"]
    assert jpegls.read_header(jpegls.encode_frame(grey)).bits_per_sample == 8
    _, ct = real_images["CT_small.dcm"]
    assert jpegls.read_header(jpegls.encode_frame(ct)).bits_per_sample == 16


@settings(max_examples=60, deadline=None)
@given(
    bits=st.integers(2, 16),
    rows=st.integers(1, 40),
    columns=st.integers(1, 40),
    samples=st.sampled_from([1, 3]),
    signed=st.booleans(),
    mode=st.sampled_from([0, 1, 2]),
    seed=st.integers(0, 2**32 - 1),
)
def test_lossless_round_trip_property(bits, rows, columns, samples, signed, mode, seed):
    rng = np.random.default_rng(seed)
    if signed:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        dtype = np.int8 if bits <= 8 else np.int16
    else:
        low, high = 0, (1 << bits) - 1
        dtype = np.uint8 if bits <= 8 else np.uint16
    shape = (rows, columns) if samples == 1 else (rows, columns, samples)
    image = rng.integers(low, high, size=shape, endpoint=True).astype(dtype)
    # Make sure the extremes, where sign and masking mistakes show, are present.
    image.reshape(-1)[0] = low
    image.reshape(-1)[-1] = high

    stream = jpegls.encode_frame(
        image, bits_stored=bits, pixel_representation=int(signed), interleave_mode=mode
    )
    decoded = jpegls.decode_frame(
        stream,
        rows=rows,
        columns=columns,
        samples_per_pixel=samples,
        bits_allocated=8 * np.dtype(dtype).itemsize,
        pixel_representation=int(signed),
    )
    assert decoded.dtype == image.dtype
    np.testing.assert_array_equal(decoded, image)


# ---------------------------------------------------------------------------
# Signed data (Pixel Representation 1)


def _dicom_file(
    path: Path,
    frames: list[bytes],
    source: Dataset,
    *,
    syntax: str,
    bits_stored: int | None = None,
) -> Path:
    """Write ``frames`` as an encapsulated DICOM file with ``source``'s pixel module."""
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = syntax
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "JPEG-LS^Test"
    ds.PatientID = "JLS"
    ds.Modality = "OT"
    ds.SamplesPerPixel = source.SamplesPerPixel
    ds.PhotometricInterpretation = source.PhotometricInterpretation
    if source.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.Rows = source.Rows
    ds.Columns = source.Columns
    ds.BitsAllocated = source.BitsAllocated
    ds.BitsStored = bits_stored or source.BitsStored
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = source.PixelRepresentation
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize(
    "name, offset",
    # CT_small's stored values are all positive: move them to Hounsfield-like
    # values so that negative samples are coded at 16 bits too. mlut_18 spans the
    # whole 12-bit signed range, -2048 to 2047.
    [("CT_small.dcm", -1024), ("693_UNCI.dcm", 0), ("mlut_18.dcm", 0)],
)
def test_signed_real_ct_round_trip_and_pydicom_agrees(real_images, tmp_path, name, offset):
    ds, image = real_images[name]
    assert ds.PixelRepresentation == 1 and image.dtype == np.int16
    image = (image + offset).astype(np.int16)
    assert image.min() < 0
    stream = jpegls.encode_frame(image, bits_stored=ds.BitsStored, pixel_representation=1)
    assert jpegls.read_header(stream).bits_per_sample == ds.BitsStored

    decoded = jpegls.decode_frame(stream, **_dataset_arguments(ds))
    assert decoded.dtype == np.int16
    np.testing.assert_array_equal(decoded, image)

    # pydicom 3 + pyjpegls applies its own JPEG-LS sign correction to our stream.
    path = _dicom_file(tmp_path / "signed.dcm", [stream], ds, syntax=LOSSLESS)
    reference = _pydicom_reference(path)[0]
    np.testing.assert_array_equal(reference, image)


def test_signed_raw_bit_patterns_without_sign_correction(real_images):
    ds, image = real_images["693_UNCI.dcm"]
    stream = jpegls.encode_frame(image, bits_stored=14, pixel_representation=1)
    raw = jpegls.decode_frame(
        stream, bits_allocated=16, pixel_representation=1, apply_jls_sign_correction=False
    )
    assert raw.dtype == np.int16
    np.testing.assert_array_equal(raw.view(np.uint16), image.view(np.uint16) & 0x3FFF)


def test_signed_values_need_enough_bits_stored(real_images):
    _, image = real_images["693_UNCI.dcm"]
    with pytest.raises(ValueError, match=r"outside the range \[-512, 511\].*Bits Stored 10"):
        jpegls.encode_frame(image, bits_stored=10, pixel_representation=1)


# ---------------------------------------------------------------------------
# Near-lossless


@pytest.mark.parametrize("jls_error", [1, 2, 5, 10])
@pytest.mark.parametrize(
    "name, bits",
    [("693_UNCI.dcm", 14), ("MR2_UNCI.dcm", 12), ("vlut_04.dcm", 8), ("US1_UNCI.dcm", 8)],
)
def test_near_lossless_error_is_bounded(real_images, name, bits, jls_error):
    ds, image = real_images[name]
    if ds.PixelRepresentation:
        image = _reduce_to_bits(image, bits)
    lossless = jpegls.encode_frame(image, bits_stored=bits)
    stream = jpegls.encode_frame(
        image, bits_stored=bits, jls_error=jls_error, transfer_syntax_uid=NEAR_LOSSLESS
    )
    header = jpegls.read_header(stream)
    assert header.near_lossless == jls_error
    assert len(stream) < len(lossless)
    decoded = jpegls.decode_frame(stream, bits_allocated=8 * image.dtype.itemsize)
    error = np.abs(decoded.astype(np.int64) - image.astype(np.int64))
    assert error.max() <= jls_error
    assert error.max() > 0  # it really is lossy
    # pyjpegls' CharLS build reconstructs the same samples.
    np.testing.assert_array_equal(imagecodecs.jpegls_decode(stream), decoded)


def test_near_lossless_signed(real_images, tmp_path):
    ds, image = real_images["693_UNCI.dcm"]
    near = 3
    assert ds.BitsStored == 14 and image.min() < 0
    stream = jpegls.encode_frame(image, bits_stored=14, pixel_representation=1, jls_error=near)
    decoded = jpegls.decode_frame(stream, **_dataset_arguments(ds))
    assert np.abs(decoded.astype(np.int32) - image).max() <= near
    path = _dicom_file(tmp_path / "near.dcm", [stream], ds, syntax=NEAR_LOSSLESS)
    np.testing.assert_array_equal(_pydicom_reference(path)[0], decoded)


def test_near_lossless_signed_range_is_limited():
    image = np.array([[-2048, 0], [5, 2047]], dtype=np.int16)
    with pytest.raises(ValueError, match=r"\[-2046, 2045\]"):
        jpegls.encode_frame(image, bits_stored=12, pixel_representation=1, jls_error=2)


def test_near_lossless_refused_for_lossless_syntax_and_palette(real_images):
    _, grey = real_images["vlut_04.dcm"]
    with pytest.raises(ValueError, match="JPEG-LS Lossless"):
        jpegls.encode_frame(grey, jls_error=2, transfer_syntax_uid=LOSSLESS)
    with pytest.raises(ValueError, match="palette"):
        jpegls.encode_frame(grey, jls_error=2, photometric_interpretation="PALETTE COLOR")
    with pytest.raises(ValueError, match=r"jls_error 200 is outside \[0, 127\]"):
        jpegls.encode_frame(grey, jls_error=200)


# ---------------------------------------------------------------------------
# Batches and threads


def test_decode_and_encode_frames_match_single_calls(real_images):
    ds, frames = real_images["emri_small.dcm"]
    assert frames.shape[0] == 10
    streams = jpegls.encode_frames(frames, bits_stored=12, threads=3)
    assert streams == [jpegls.encode_frame(frame, bits_stored=12) for frame in frames]
    for threads in (1, 2, 4):
        decoded = jpegls.decode_frames(
            streams, threads=threads, bits_allocated=16, rows=ds.Rows, columns=ds.Columns
        )
        np.testing.assert_array_equal(decoded, frames)


def test_colour_multiframe_round_trip(real_images):
    _, frames = real_images["SC_rgb_2frame.dcm"]
    streams = jpegls.encode_frames(frames, photometric_interpretation="RGB", threads=2)
    np.testing.assert_array_equal(jpegls.decode_frames(streams, threads=2), frames)


def test_many_threads_encode_and_decode_at_once(real_images):
    """Independent calls from many threads give the results of sequential calls."""
    jobs = []
    for name in ("693_UNCI.dcm", "CT_small.dcm", "US1_UNCI.dcm", "vlut_04.dcm", "MR2_UNCI.dcm"):
        ds, image = real_images[name]
        if image.ndim == 2 and image.shape[0] > 512:
            image = image[:512, :512]
        jobs.append((image, ds.BitsStored, ds.PixelRepresentation))
    expected = [
        jpegls.encode_frame(image, bits_stored=bits, pixel_representation=pr)
        for image, bits, pr in jobs
    ]

    def task(index: int) -> bool:
        image, bits, pr = jobs[index % len(jobs)]
        stream = jpegls.encode_frame(image, bits_stored=bits, pixel_representation=pr)
        decoded = jpegls.decode_frame(
            expected[index % len(jobs)],
            bits_allocated=8 * image.dtype.itemsize,
            pixel_representation=pr,
        )
        return stream == expected[index % len(jobs)] and np.array_equal(decoded, image)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(task, range(40)))
    assert all(results)


def _longest_stall_while(work) -> float:
    """Run ``work`` in a thread; return the longest time this thread could not run."""
    done = threading.Event()

    def background():
        work()
        done.set()

    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        worker = threading.Thread(target=background)
        worker.start()
        longest = 0.0
        last = time.perf_counter()
        while not done.is_set():
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now
        worker.join()
    finally:
        sys.setswitchinterval(previous_interval)
    return longest


@pytest.mark.parametrize("direction", ["decode", "encode"])
def test_codec_call_releases_the_gil(direction):
    """While one thread runs the codec, another keeps running Python code."""
    noisy = np.random.default_rng(1).integers(0, 4096, size=(1536, 1536), dtype=np.uint16)
    stream = jpegls.encode_frame(noisy, bits_stored=12)
    if direction == "decode":

        def call():
            return jpegls.decode_frame(stream)

    else:

        def call():
            return jpegls.encode_frame(noisy, bits_stored=12)

    durations = []
    for _ in range(2):
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    single = min(durations)
    # With the GIL held this thread would stall for a whole codec call; a busy
    # machine may delay it now and then, so the best of three attempts counts.
    stalls = []
    for _ in range(3):
        stalls.append(_longest_stall_while(lambda: [call() for _ in range(2)]))
        if stalls[-1] < single * 0.5:
            break
    assert min(stalls) < single * 0.5, (stalls, single)


# ---------------------------------------------------------------------------
# Interoperability with DCMTK and GDCM


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not on PATH")
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (command, result.stdout, result.stderr)


INTEROP_IMAGES = ["CT_small.dcm", "693_UNCI.dcm", "MR2_UNCI.dcm", "US1_UNCI.dcm", "emri_small.dcm"]


@pytest.mark.parametrize("name", INTEROP_IMAGES)
@pytest.mark.parametrize("jls_error", [0, 2])
def test_dcmdjpls_decodes_our_streams(real_images, tmp_path, name, jls_error):
    dcmdjpls = _tool("dcmdjpls")
    ds, image = real_images[name]
    frames = image if int(ds.get("NumberOfFrames", 1) or 1) > 1 else image[np.newaxis]
    streams = jpegls.encode_frames(
        frames,
        bits_stored=ds.BitsStored,
        pixel_representation=ds.PixelRepresentation,
        photometric_interpretation=ds.PhotometricInterpretation,
        jls_error=jls_error,
        threads=2,
    )
    syntax = NEAR_LOSSLESS if jls_error else LOSSLESS
    source = _dicom_file(tmp_path / "ours.dcm", streams, ds, syntax=syntax)
    target = tmp_path / "dcmtk.dcm"
    _run([dcmdjpls, str(source), str(target)])

    theirs = _read_quietly(target)
    assert theirs.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    their_pixels = theirs.pixel_array.reshape(frames.shape)
    ours = jpegls.decode_frames(streams, **_dataset_arguments(ds))
    np.testing.assert_array_equal(their_pixels, ours)
    if jls_error == 0:
        np.testing.assert_array_equal(ours, frames)
    else:
        assert np.abs(ours.astype(np.int64) - frames).max() <= jls_error


DCMCJPLS_OPTIONS = {
    "lossless": [],
    "near3": ["+en", "+md", "3"],
    "interleave-none": ["+in"],
    "interleave-sample": ["+is"],
}
# DCMTK refuses near-lossless compression of signed images, so those pairs are
# not generated.
SIGNED_IMAGES = {"CT_small.dcm", "693_UNCI.dcm"}
DCMCJPLS_CASES = [
    pytest.param(name, options, id=f"{mode}-{name}")
    for name in INTEROP_IMAGES + ["SC_rgb_2frame.dcm", "vlut_04.dcm"]
    for mode, options in DCMCJPLS_OPTIONS.items()
    if not (mode == "near3" and name in SIGNED_IMAGES)
]


@pytest.mark.parametrize("name, options", DCMCJPLS_CASES)
def test_we_decode_dcmcjpls_output(real_images, tmp_path, name, options):
    dcmcjpls = _tool("dcmcjpls")
    ds, image = real_images[name]
    target = tmp_path / "dcmtk.dcm"
    _run([dcmcjpls, *options, str(datafiles.get(name)), str(target)])

    compressed = _read_quietly(target)
    assert compressed.file_meta.TransferSyntaxUID in jpegls.TRANSFER_SYNTAXES
    decoded = jpegls.decode_frames(_frames(compressed), **_dataset_arguments(compressed))
    expected = image if int(ds.get("NumberOfFrames", 1) or 1) > 1 else image[np.newaxis]
    assert decoded.dtype == expected.dtype
    if "+en" in options:
        assert np.abs(decoded.astype(np.int64) - expected).max() <= 3
        np.testing.assert_array_equal(decoded, _pydicom_reference(target))
    else:
        np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("name", ["693_UNCI.dcm", "US1_UNCI.dcm"])
def test_gdcmconv_decodes_our_streams(real_images, tmp_path, name):
    gdcmconv = _tool("gdcmconv")
    ds, image = real_images[name]
    stream = jpegls.encode_frame(
        image, bits_stored=ds.BitsStored, pixel_representation=ds.PixelRepresentation
    )
    source = _dicom_file(tmp_path / "ours.dcm", [stream], ds, syntax=LOSSLESS)
    target = tmp_path / "gdcm.dcm"
    _run([gdcmconv, "--raw", str(source), str(target)])
    np.testing.assert_array_equal(_read_quietly(target).pixel_array, image)


# ---------------------------------------------------------------------------
# Bad input


@pytest.fixture(scope="module")
def small_stream() -> bytes:
    frame = _frames(_read_quietly(datafiles.get("MR_small_jpeg_ls_lossless.dcm")))[0]
    return bytes(frame)


def test_truncated_streams_raise_quickly(small_stream):
    # CharLS 2.4 alone spins for seconds on some of these cuts (scan data that
    # stops without a marker); every one must fail fast with a clear error.
    for cut in list(range(0, 64)) + list(range(64, len(small_stream) - 1, 13)):
        start = time.perf_counter()
        with pytest.raises(jpegls.JPEGLSError, match="CharLS error|truncated") as info:
            jpegls.decode_frame(small_stream[:cut], bits_allocated=16, pixel_representation=1)
        assert time.perf_counter() - start < 0.5, cut
        assert info.value.code is not None
    with pytest.raises(jpegls.JPEGLSError, match=r"truncated: its 937 bytes hold no EOI"):
        jpegls.decode_frame(small_stream[:937])


def test_padding_after_eoi_is_ignored(small_stream):
    expected = jpegls.decode_frame(small_stream, bits_allocated=16)
    for padding in (b"\x00", b"\x00" * 7, b"\xff"):
        np.testing.assert_array_equal(
            jpegls.decode_frame(small_stream + padding, bits_allocated=16), expected
        )


def test_empty_and_foreign_data_raise():
    with pytest.raises(jpegls.JPEGLSError, match="header"):
        jpegls.decode_frame(b"")
    with pytest.raises(jpegls.JPEGLSError, match="header"):
        jpegls.read_header(b"\x89PNG\r\n\x1a\n" + bytes(100))
    # Real JPEG Baseline (SOF0) and JPEG Lossless (SOF3) frames are not JPEG-LS.
    for name in ("SC_rgb_jpeg.dcm", "JPEG-LL.dcm"):
        other_jpeg = _frames(_read_quietly(datafiles.get(name)))[0]
        with pytest.raises(jpegls.JPEGLSError, match="CharLS error"):
            jpegls.decode_frame(other_jpeg)


def test_corrupted_streams_never_crash(small_stream):
    """Flipped bytes either decode to something or raise JPEGLSError, nothing else."""
    rng = np.random.default_rng(2024)
    raised = 0
    for _ in range(400):
        damaged = bytearray(small_stream)
        for position in rng.integers(0, len(damaged), size=int(rng.integers(1, 6))):
            damaged[position] = int(rng.integers(0, 256))
        try:
            result = jpegls.decode_frame(bytes(damaged), rows=64, columns=64)
        except jpegls.JPEGLSError:
            raised += 1
        else:
            assert result.shape == (64, 64)
    assert raised > 0


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data):
    try:
        jpegls.decode_frame(b"\xff\xd8\xff\xf7" + data)
    except jpegls.JPEGLSError:
        pass


def _forged_header(width: int, height: int, components: int = 1) -> bytes:
    # SOI, SOF55 (JPEG-LS) with 8-bit samples, SOS, no scan data.
    sof = bytes([0xFF, 0xF7, 0x00, 8 + 3 * components, 8]) + height.to_bytes(2, "big")
    sof += width.to_bytes(2, "big") + bytes([components])
    for component in range(components):
        sof += bytes([component + 1, 0x11, 0])
    sos = bytes([0xFF, 0xDA, 0x00, 6 + 2 * components, components])
    for component in range(components):
        sos += bytes([component + 1, 0])
    sos += bytes([0, 0, 0])
    return b"\xff\xd8" + sof + sos + bytes(16) + b"\xff\xd9"


def test_forged_huge_header_is_refused_without_allocation():
    forged = _forged_header(65535, 65535, 3)
    header = jpegls.read_header(forged)
    assert (header.width, header.height, header.component_count) == (65535, 65535, 3)
    with pytest.raises(jpegls.JPEGLSError, match="without the caller confirming"):
        jpegls.decode_frame(forged)
    with pytest.raises(jpegls.JPEGLSError, match="frame 0.*without the caller confirming"):
        jpegls.decode_frames([forged, forged])
    # Dimensions from the dataset that disagree are reported before any allocation.
    with pytest.raises(jpegls.JPEGLSError, match="65535 rows, expected 512"):
        jpegls.decode_frame(forged, rows=512, columns=512)


def test_wrong_dimensions_are_reported(small_stream):
    with pytest.raises(jpegls.JPEGLSError, match="64 columns, expected 65"):
        jpegls.decode_frame(small_stream, rows=64, columns=65)
    with pytest.raises(jpegls.JPEGLSError, match="1 components, expected 3"):
        jpegls.decode_frame(small_stream, samples_per_pixel=3)


def test_batch_errors_name_the_frame(small_stream):
    frames = [small_stream, small_stream, small_stream[:100], small_stream]
    with pytest.raises(jpegls.JPEGLSError, match=r"^frame 2: ") as info:
        jpegls.decode_frames(frames, bits_allocated=16, pixel_representation=1, threads=2)
    assert info.value.frame == 2
    bad = np.zeros((3, 8, 8), dtype=np.uint16)
    bad[1, 4, 5] = 5000
    with pytest.raises(jpegls.JPEGLSError, match=r"frame 1: .*row 4, column 5"):
        jpegls.encode_frames(bad, bits_stored=12, threads=2)


def test_unsupported_bit_depths(small_stream):
    image = np.zeros((8, 8), dtype=np.uint16)
    for bits in (0, 1, 17, 32):
        with pytest.raises(ValueError, match="2 to 16 bits"):
            jpegls.encode_frame(image, bits_stored=bits)
    with pytest.raises(ValueError, match="32 bits per sample|Bits Stored 32"):
        jpegls.encode_frame(np.zeros((8, 8), dtype=np.uint32))
    with pytest.raises(ValueError, match="Bits Allocated too small"):
        jpegls.decode_frame(small_stream, bits_allocated=8)
    with pytest.raises(ValueError, match="Bits Allocated 12"):
        jpegls.decode_frame(small_stream, bits_allocated=12)
    with pytest.raises(ValueError, match="integer samples"):
        jpegls.encode_frame(np.zeros((8, 8), dtype=np.float32))


def test_unsigned_values_outside_bits_stored():
    image = np.zeros((10, 20), dtype=np.uint16)
    image[7, 13] = 4096
    with pytest.raises(ValueError, match=r"4096 at \(row 7, column 13\).*Bits Stored 12"):
        jpegls.encode_frame(image, bits_stored=12)


def test_photometric_interpretation_profile(real_images):
    _, rgb16 = real_images["SC_rgb_16bit.dcm"]
    with pytest.raises(ValueError, match="YBR_FULL allows at most 8"):
        jpegls.encode_frame(rgb16, bits_stored=16, photometric_interpretation="YBR_FULL")
    with pytest.raises(ValueError, match="needs 1 sample"):
        jpegls.encode_frame(rgb16, photometric_interpretation="MONOCHROME2")
    with pytest.raises(ValueError, match="cannot be JPEG-LS encoded"):
        jpegls.encode_frame(rgb16, photometric_interpretation="YBR_FULL_422")


def test_bad_out_arrays(small_stream):
    arguments = {"bits_allocated": 16, "pixel_representation": 1}
    for out in (
        np.empty((64, 63), dtype=np.int16),
        np.empty((64, 64), dtype=np.uint16),
        np.empty((64, 64), dtype=np.int32),
        np.empty((64, 128), dtype=np.int16)[:, ::2],
        np.empty((64, 64), dtype=">i2"),
    ):
        with pytest.raises(ValueError, match="'out'"):
            jpegls.decode_frame(small_stream, out=out, **arguments)
    with pytest.raises(ValueError, match="'out'"):
        jpegls.decode_frames([small_stream], out=np.empty((2, 64, 64), np.int16), **arguments)
    raw = dict(arguments, apply_jls_sign_correction=False)
    for out in (np.empty((64, 64), dtype=">i2"), np.empty((64, 64), dtype=np.uint16)):
        with pytest.raises(ValueError, match="'out'"):
            jpegls.decode_frame(small_stream, out=out, **raw)


def test_non_contiguous_and_big_endian_input_is_accepted(real_images):
    _, ct = real_images["CT_small.dcm"]
    strided = ct[:, ::2]
    assert not strided.flags.c_contiguous
    stream = jpegls.encode_frame(strided)
    np.testing.assert_array_equal(jpegls.decode_frame(stream, pixel_representation=1), strided)
    swapped = ct.astype(">i2")
    assert jpegls.encode_frame(swapped) == jpegls.encode_frame(ct)


def test_memoryview_and_bytearray_sources(small_stream):
    expected = jpegls.decode_frame(small_stream, bits_allocated=16)
    padded = bytearray(b"xx" + small_stream)
    np.testing.assert_array_equal(
        jpegls.decode_frame(memoryview(padded)[2:], bits_allocated=16), expected
    )
    with pytest.raises(TypeError, match="C-contiguous bytes-like"):
        jpegls.decode_frame(memoryview(padded)[::2])


# ---------------------------------------------------------------------------
# Module surface


def test_module_constants():
    assert jpegls.TRANSFER_SYNTAXES == (pydicom.uid.JPEGLSLossless, pydicom.uid.JPEGLSNearLossless)
    assert jpegls.ENCODES == jpegls.TRANSFER_SYNTAXES
    assert jpegls.is_available() is True
    assert jpegls.charls_version().startswith("2.")
    assert (jpegls.INTERLEAVE_NONE, jpegls.INTERLEAVE_LINE, jpegls.INTERLEAVE_SAMPLE) == (0, 1, 2)
    assert issubclass(jpegls.JPEGLSError, ValueError)


def test_missing_extension_raises_import_error_naming_the_package():
    code = (
        "import sys\n"
        "sys.modules['dicomcore.codecs._jpegls'] = None\n"
        "import numpy as np\n"
        "from dicomcore.codecs import jpegls\n"
        "assert not jpegls.is_available()\n"
        "assert jpegls.charls_version() is None\n"
        "assert issubclass(jpegls.JPEGLSError, ValueError)\n"
        "for call in (lambda: jpegls.decode_frame(b''),\n"
        "             lambda: jpegls.encode_frame(np.zeros((2, 2), np.uint8)),\n"
        "             lambda: jpegls.read_header(b''),\n"
        "             lambda: jpegls.decode_frames([b'']),\n"
        "             lambda: jpegls.encode_frames(np.zeros((1, 2, 2), np.uint8))):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as exc:\n"
        "        assert 'apt-get install libcharls-dev' in str(exc), exc\n"
        "    else:\n"
        "        raise AssertionError('no ImportError')\n"
        "print('ok')\n"
    )
    result = run_python(code, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
