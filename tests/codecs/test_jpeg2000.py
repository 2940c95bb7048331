"""Tests of the OpenJPEG-based JPEG 2000 codec (dicomcore.codecs.jpeg2000).

Oracles: pydicom 3 with pylibjpeg-openjpeg for every real JPEG 2000 file, a
NumPy implementation of the reversible 5/3 wavelet (ISO/IEC 15444-1 Annex F)
for reduced-resolution decoding, GDCM's ``gdcmconv`` for interoperability, and
pylibjpeg-openjpeg / imagecodecs decoding what we encode.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagecodecs
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.uid import ExplicitVRLittleEndian

import datafiles
from child_process import BYTES_IN_USE, decode_htj2k_in_child, run_python
from dicomcore.codecs import jpeg2000
from dicomcore.codecs._j2k_common import JPEG2000Error
from encapsulated_files import write_image_file

LOSSLESS = "1.2.840.10008.1.2.4.90"
LOSSY = "1.2.840.10008.1.2.4.91"


# ---------------------------------------------------------------------------
# Real files and pydicom's view of them


def _read(path: Path, **kwargs) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, **kwargs)


def _jpeg2000_files() -> list[Path]:
    found = []
    for path in datafiles.all_files():
        try:
            syntax = _read(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
        except Exception:
            continue
        if syntax in jpeg2000.TRANSFER_SYNTAXES:
            found.append(path)
    return found


J2K_FILES = _jpeg2000_files()
# GDCMJ2K_TextGBR.dcm makes OpenJPEG warn (TPsot == TNsot); one test checks that.
pytestmark = pytest.mark.filterwarnings("ignore:OpenJPEG. Non conformant")


def _frames(path: Path) -> tuple[Dataset, list[bytes]]:
    """The dataset (without pixels) and the encapsulated frames of ``path``."""
    ds = _read(path, stop_before_pixels=True)
    count = int(ds.get("NumberOfFrames", 1) or 1)
    full = _read(path)
    if "PixelData" in full:
        return ds, list(generate_frames(full.PixelData, number_of_frames=count))
    # pydicom's dataset reader drops a Pixel Data element that lacks its
    # sequence delimiter; its pixel reader locates the element by itself.
    from pydicom.pixels.utils import _array_common

    with open(path, "rb") as f:
        _array_common(f, [])
        return ds, list(generate_frames(f.read(), number_of_frames=count))


def _reference(path: Path) -> np.ndarray:
    """pydicom 3's array for ``path``, decoded by pylibjpeg-openjpeg."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.pixels.pixel_array(path, decoding_plugin="pylibjpeg", raw=True)


def _pydicom_can_decode(path: Path) -> bool:
    try:
        _reference(path)
    except Exception:
        return False
    return True


def _dataset_arguments(ds: Dataset) -> dict:
    return {
        "rows": ds.Rows,
        "columns": ds.Columns,
        "samples_per_pixel": ds.SamplesPerPixel,
        "bits_allocated": ds.BitsAllocated,
        "bits_stored": ds.BitsStored,
        "pixel_representation": ds.PixelRepresentation,
        "photometric_interpretation": ds.PhotometricInterpretation,
    }


DECODABLE = [p for p in J2K_FILES if _pydicom_can_decode(p)]
UNDECODABLE = [p for p in J2K_FILES if p not in DECODABLE]


def test_the_real_files_are_found():
    # pydicom's test files and pydicom-data hold about twenty JPEG 2000 files.
    assert len(DECODABLE) >= 15
    names = {p.name for p in DECODABLE}
    assert {"J2K_pixelrep_mismatch.dcm", "GDCMJ2K_TextGBR.dcm", "US1_J2KI.dcm"} <= names


@pytest.mark.parametrize("path", DECODABLE, ids=datafiles.file_id)
def test_decodes_every_real_file_as_pydicom_does(path):
    ds, frames = _frames(path)
    reference = _reference(path)
    arr = jpeg2000.decode_frames(frames, **_dataset_arguments(ds))
    if len(frames) == 1:
        arr = arr[0]
    assert arr.dtype == reference.dtype
    assert arr.shape == reference.shape
    np.testing.assert_array_equal(arr, reference)


@pytest.mark.parametrize("path", DECODABLE, ids=datafiles.file_id)
def test_decode_frame_into_preallocated_output(path):
    ds, frames = _frames(path)
    reference = _reference(path)
    if len(frames) == 1:
        reference = reference[np.newaxis]
    out = np.zeros_like(reference)
    for index, frame in enumerate(frames):
        result = jpeg2000.decode_frame(frame, out=out[index], **_dataset_arguments(ds))
        assert result is out[index] or np.shares_memory(result, out)
    np.testing.assert_array_equal(out, reference)


@pytest.mark.parametrize("path", UNDECODABLE, ids=datafiles.file_id)
def test_files_pydicom_cannot_decode_raise_a_clear_error(path):
    # JPEG2000-embedded-sequence-delimiter.dcm has (FFFE,E0DD) written over
    # its SIZ marker segment: a corrupt codestream header.
    ds, frames = _frames(path)
    with pytest.raises(JPEG2000Error, match="main header"):
        jpeg2000.decode_frame(frames[0], **_dataset_arguments(ds))


@pytest.mark.filterwarnings("error")
def test_openjpeg_warnings_become_python_warnings():
    ds, frames = _frames(datafiles.get("GDCMJ2K_TextGBR.dcm"))
    with pytest.warns(jpeg2000.JPEG2000Warning, match="OpenJPEG: Non conformant codestream"):
        jpeg2000.decode_frame(frames[0], **_dataset_arguments(ds))
    _, frames = _frames(datafiles.get("US1_J2KR.dcm"))
    jpeg2000.decode_frame(frames[0])  # no warning from a clean codestream


def test_undecodable_real_file_is_the_corrupt_siz_one():
    assert [p.name for p in UNDECODABLE] == ["JPEG2000-embedded-sequence-delimiter.dcm"]


# ---------------------------------------------------------------------------
# Pixel Representation / Bits Stored that disagree with the codestream


def test_pixel_representation_mismatch_is_corrected_like_pydicom():
    path = datafiles.get("J2K_pixelrep_mismatch.dcm")
    ds, frames = _frames(path)
    header = jpeg2000.read_header(frames[0])
    # The dataset says signed, the 13-bit codestream says unsigned.
    assert ds.PixelRepresentation == 1 and header["is_signed"] is False
    assert header["precision"] == 13
    corrected = jpeg2000.decode_frame(frames[0], **_dataset_arguments(ds))
    np.testing.assert_array_equal(corrected, _reference(path))
    assert corrected.dtype == np.int16 and corrected.min() < 0

    raw = jpeg2000.decode_frame(frames[0], bits_allocated=16, pixel_representation=1,
                                apply_j2k_sign_correction=False)
    assert raw.min() >= 0  # as decoded: unsigned 13-bit values
    # The correction reads the low 13 bits as two's complement.
    expected = raw.astype(np.int32)
    expected[expected >= 4096] -= 8192
    np.testing.assert_array_equal(corrected, expected)

    unsigned = jpeg2000.decode_frame(frames[0], bits_allocated=16, pixel_representation=0)
    np.testing.assert_array_equal(unsigned, raw.view(np.uint16))


def test_signed_codestream_read_as_unsigned_keeps_the_low_bits():
    # The reverse mismatch: a signed 12-bit codestream in a dataset saying unsigned.
    image = _ct_image().astype(np.int32)
    image = np.clip(image, -2048, 2047).astype(np.int16)
    encoded = jpeg2000.encode_frame(image, bits_stored=12, pixel_representation=1)
    arr = jpeg2000.decode_frame(encoded, bits_allocated=16, pixel_representation=0)
    assert arr.dtype == np.uint16
    np.testing.assert_array_equal(arr, image.view(np.uint16) & 0x0FFF)
    # Not monochrome: samples are stored as decoded, as pydicom 3 does.
    plain = jpeg2000.decode_frame(encoded, bits_allocated=16, pixel_representation=0,
                                  photometric_interpretation="PALETTE COLOR")
    np.testing.assert_array_equal(plain, image.view(np.uint16))


@pytest.mark.parametrize("name", ["693_J2KR.dcm", "emri_small_jpeg_2k_lossless.dcm"])
def test_precision_that_disagrees_with_bits_stored_follows_the_codestream(name):
    path = datafiles.get(name)
    ds, frames = _frames(path)
    header = jpeg2000.read_header(frames[0])
    assert header["precision"] != ds.BitsStored
    arr = jpeg2000.decode_frames(frames, **_dataset_arguments(ds))
    np.testing.assert_array_equal(arr.reshape(_reference(path).shape), _reference(path))
    # Bits Stored never changes the decoded values.
    other = dict(_dataset_arguments(ds), bits_stored=header["precision"])
    np.testing.assert_array_equal(jpeg2000.decode_frames(frames, **other), arr)


def test_dtype_follows_precision_when_bits_allocated_is_not_given():
    _, frames = _frames(datafiles.get("US1_J2KR.dcm"))
    assert jpeg2000.decode_frame(frames[0]).dtype == np.uint8
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    assert jpeg2000.decode_frame(frames[0]).dtype == np.int16


def test_precision_larger_than_bits_allocated_is_rejected():
    _, frames = _frames(datafiles.get("MR2_J2KR.dcm"))
    with pytest.raises(JPEG2000Error, match="Bits Allocated"):
        jpeg2000.decode_frame(frames[0], bits_allocated=8)


# ---------------------------------------------------------------------------
# Header


def test_read_header_of_a_codestream():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    header = jpeg2000.read_header(frames[0])
    assert header["format"] == "J2K"
    assert (header["rows"], header["columns"], header["components"]) == (64, 64, 1)
    assert (header["precision"], header["is_signed"]) == (16, True)
    assert header["reversible"] is True
    assert header["htj2k"] is False
    assert header["decompositions"] == 5


def test_read_header_of_a_jp2_file_and_of_lossy_colour():
    _, frames = _frames(datafiles.get("GDCMJ2K_TextGBR.dcm"))
    header = jpeg2000.read_header(frames[0])
    assert header["format"] == "JP2"
    assert header["components"] == 3 and header["mct"] is True
    assert header["tiles"] == (4, 4)
    _, frames = _frames(datafiles.get("US1_J2KI.dcm"))
    header = jpeg2000.read_header(frames[0])
    assert header["reversible"] is False and header["mct"] is True


def test_read_header_matches_our_encoder_settings():
    image = _ct_image()
    encoded = jpeg2000.encode_frame(image, bits_stored=16, progression="RPCL",
                                    resolutions=4, code_block_size=(32, 64))
    header = jpeg2000.read_header(encoded)
    assert header["progression"] == "RPCL"
    assert header["decompositions"] == 3
    assert header["code_block_size"] == (32, 64)
    assert header["layers"] == 1


# ---------------------------------------------------------------------------
# Reduced resolution and regions


def _lift_53(x: np.ndarray, axis: int) -> np.ndarray:
    """Low-pass half of one level of the reversible 5/3 lifting (ISO/IEC 15444-1 F.4.8.2).

    Samples on even grid positions are low-pass; the signal is extended
    symmetrically at both ends (F.4.8.2's PSE).
    """
    x = np.moveaxis(x.astype(np.int64), axis, 0)
    n = x.shape[0]
    if n == 1:
        return np.moveaxis(x, 0, axis)
    even = x[0::2]
    odd = x[1::2]
    right = np.concatenate([even[1:], x[-2:-1]]) if n % 2 == 0 else even[1:]
    high = odd - np.floor_divide(even[: len(odd)] + right[: len(odd)], 2)
    left_high = np.concatenate([high[:1], high])[: len(even)]
    right_high = np.concatenate([high, high[-1:]])[: len(even)]
    low = even + np.floor_divide(left_high + right_high + 2, 4)
    return np.moveaxis(low, 0, axis)


def _ll_band(image: np.ndarray, levels: int, precision: int, signed: bool) -> np.ndarray:
    shift = 0 if signed else 1 << (precision - 1)
    band = image.astype(np.int64) - shift
    for _ in range(levels):
        band = _lift_53(_lift_53(band, 0), 1)  # vertical, then horizontal (F.4.2)
    low, high = (-(1 << (precision - 1)), (1 << (precision - 1)) - 1)
    return np.clip(band, low, high) + shift


@pytest.mark.parametrize("reduce", [1, 2, 3])
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR2_UNCR.dcm"])
def test_reduced_resolution_is_the_5_3_low_pass_band(name, reduce):
    ds = _read(datafiles.get(name))
    image = ds.pixel_array
    encoded = jpeg2000.encode_frame(image, bits_stored=ds.BitsStored,
                                    pixel_representation=ds.PixelRepresentation)
    arr = jpeg2000.decode_frame(encoded, reduce=reduce, bits_allocated=16,
                                pixel_representation=ds.PixelRepresentation)
    expected = _ll_band(image, reduce, ds.BitsStored, bool(ds.PixelRepresentation))
    assert arr.shape == tuple(-(-s // (1 << reduce)) for s in image.shape)
    np.testing.assert_array_equal(arr, expected)


def test_reduced_resolution_of_a_real_codestream():
    path = datafiles.get("RG3_J2KR.dcm")
    ds, frames = _frames(path)
    full = _reference(path)
    arr = jpeg2000.decode_frame(frames[0], reduce=2, **_dataset_arguments(ds))
    assert arr.shape == (440, 440)
    np.testing.assert_array_equal(arr, _ll_band(full, 2, ds.BitsStored, False))


@pytest.mark.parametrize("region", [(0, 0, 16, 16), (100, 37, 301, 640), (479, 639, 480, 640)])
def test_region_is_the_crop_of_the_full_image(region):
    path = datafiles.get("US1_J2KR.dcm")
    ds, frames = _frames(path)
    full = _reference(path)
    top, left, bottom, right = region
    arr = jpeg2000.decode_frame(frames[0], region=region, **_dataset_arguments(ds))
    np.testing.assert_array_equal(arr, full[top:bottom, left:right])


def test_region_at_reduced_resolution():
    path = datafiles.get("MR2_J2KR.dcm")
    ds, frames = _frames(path)
    reduced = jpeg2000.decode_frame(frames[0], reduce=2)
    tile = jpeg2000.decode_frame(frames[0], reduce=2, region=(256, 512, 768, 1024))
    np.testing.assert_array_equal(tile, reduced[64:192, 128:256])


@pytest.mark.parametrize(
    "region", [(0, 0, 0, 10), (10, 0, 5, 10), (0, 0, 65, 64), (-1, 0, 10, 10)]
)
def test_region_outside_the_image_is_rejected(region):
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    with pytest.raises(ValueError, match="region"):
        jpeg2000.decode_frame(frames[0], region=region)


def test_reduce_beyond_the_decompositions_is_rejected():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    with pytest.raises(JPEG2000Error, match="reduce"):
        jpeg2000.decode_frame(frames[0], reduce=6)
    assert jpeg2000.decode_frame(frames[0], reduce=5).shape == (2, 2)


# ---------------------------------------------------------------------------
# Output array checks


def test_out_of_the_wrong_shape_dtype_or_layout_is_rejected():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    with pytest.raises(ValueError, match="shape"):
        jpeg2000.decode_frame(frames[0], out=np.empty((64, 63), np.int16))
    with pytest.raises(ValueError, match="dtype"):
        jpeg2000.decode_frame(frames[0], out=np.empty((64, 64), np.uint16))
    with pytest.raises(ValueError, match="C-contiguous"):
        jpeg2000.decode_frame(frames[0], out=np.empty((64, 128), np.int16)[:, ::2])
    with pytest.raises(ValueError, match="shape"):
        jpeg2000.decode_frames(frames, out=np.empty((2, 64, 64), np.int16))


def test_decode_accepts_bytes_like_sources():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    expected = jpeg2000.decode_frame(frames[0])
    for source in (bytearray(frames[0]), memoryview(frames[0]),
                   np.frombuffer(frames[0], np.uint8)):
        np.testing.assert_array_equal(jpeg2000.decode_frame(source), expected)


# ---------------------------------------------------------------------------
# Encoding


def _ct_image() -> np.ndarray:
    return _read(datafiles.get("CT_small.dcm")).pixel_array


def _scaled(image: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """A real image rescaled to fill ``bits`` bits, keeping its structure."""
    values = image.astype(np.float64)
    values = (values - values.min()) / max(values.max() - values.min(), 1)
    top = (1 << bits) - 1
    scaled = np.round(values * top).astype(np.int64)
    if signed:
        scaled -= 1 << (bits - 1)
    container = 8 if bits <= 8 else 16
    return scaled.astype(f"{'i' if signed else 'u'}{container // 8}")


def _real_image(samples: int) -> np.ndarray:
    if samples == 1:
        return _ct_image()
    return _read(datafiles.get("US1_UNCR.dcm")).pixel_array[:240, :320]


@pytest.mark.parametrize("samples", [1, 3])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("bits", [8, 12, 16])
def test_lossless_round_trip(bits, signed, samples):
    image = _scaled(_real_image(samples), bits, signed)
    encoded = jpeg2000.encode_frame(image, bits_stored=bits, pixel_representation=int(signed))
    assert encoded[:4] == b"\xff\x4f\xff\x51"  # a bare codestream, never JP2
    assert encoded[-2:] == b"\xff\xd9"
    header = jpeg2000.read_header(encoded)
    assert (header["precision"], header["is_signed"]) == (bits, signed)
    assert header["reversible"] is True
    assert header["mct"] is (samples == 3)
    decoded = jpeg2000.decode_frame(encoded, bits_allocated=image.dtype.itemsize * 8,
                                    pixel_representation=int(signed))
    np.testing.assert_array_equal(decoded, image)
    # An independent OpenJPEG build (imagecodecs) reads it the same.
    np.testing.assert_array_equal(imagecodecs.jpeg2k_decode(encoded), image)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm",
                                  "SC_rgb_16bit.dcm", "OBXXXX1A.dcm", "RG1_UNCR.dcm"])
def test_lossless_round_trip_of_real_files(name):
    ds = _read(datafiles.get(name))
    image = ds.pixel_array
    encoded = jpeg2000.encode_frame(
        image, bits_stored=ds.BitsStored, pixel_representation=ds.PixelRepresentation,
        photometric_interpretation=ds.PhotometricInterpretation)
    decoded = jpeg2000.decode_frame(encoded, rows=ds.Rows, columns=ds.Columns,
                                    samples_per_pixel=ds.SamplesPerPixel,
                                    bits_allocated=ds.BitsAllocated,
                                    pixel_representation=ds.PixelRepresentation)
    np.testing.assert_array_equal(decoded, image)
    assert len(encoded) < image.nbytes


def test_no_mct_for_ybr_or_when_disabled():
    image = _real_image(3)
    for kwargs in ({"photometric_interpretation": "YBR_FULL"}, {"use_mct": False}):
        encoded = jpeg2000.encode_frame(image, **kwargs)
        assert jpeg2000.read_header(encoded)["mct"] is False
        np.testing.assert_array_equal(jpeg2000.decode_frame(encoded), image)
    assert jpeg2000.encoded_photometric_interpretation("RGB", lossless=True) == "YBR_RCT"
    assert jpeg2000.encoded_photometric_interpretation("RGB", lossless=False) == "YBR_ICT"
    assert jpeg2000.encoded_photometric_interpretation("RGB", lossless=True,
                                                       use_mct=False) == "RGB"


@pytest.mark.parametrize("bits", [1, 2, 5, 20, 24])
def test_lossless_round_trip_of_unusual_precisions(bits):
    rng = np.random.default_rng(bits)
    image = rng.integers(0, (1 << bits) - 1, size=(37, 53), endpoint=True)
    image = image.astype(np.uint8 if bits <= 8 else np.uint32)
    encoded = jpeg2000.encode_frame(image, bits_stored=bits)
    decoded = jpeg2000.decode_frame(encoded, bits_allocated=image.dtype.itemsize * 8)
    np.testing.assert_array_equal(decoded, image)


def _psnr(original: np.ndarray, decoded: np.ndarray, bits: int) -> float:
    error = np.mean((original.astype(np.float64) - decoded.astype(np.float64)) ** 2)
    return float(10 * np.log10(((1 << bits) - 1) ** 2 / error))


@pytest.mark.parametrize("ratio", [5, 10, 20, 40])
@pytest.mark.parametrize("name", ["MR2_UNCR.dcm", "US1_UNCR.dcm"])
def test_lossy_encoding_meets_the_compression_ratio(name, ratio):
    ds = _read(datafiles.get(name))
    image = ds.pixel_array
    encoded = jpeg2000.encode_frame(image, bits_stored=ds.BitsStored,
                                    transfer_syntax_uid=LOSSY, j2k_cr=[ratio])
    raw_size = image.size * ds.BitsStored / 8
    achieved = raw_size / len(encoded)
    assert achieved >= ratio * 0.98
    assert achieved <= ratio * 1.5  # the rate control uses the budget it is given
    header = jpeg2000.read_header(encoded)
    assert header["reversible"] is False
    decoded = jpeg2000.decode_frame(encoded, bits_allocated=ds.BitsAllocated)
    assert not np.array_equal(decoded, image)
    # Another OpenJPEG build (pylibjpeg-openjpeg, via pydicom's plugin) agrees.
    import openjpeg

    np.testing.assert_array_equal(openjpeg.decode(encoded), decoded)


def test_lossy_quality_layers_follow_their_ratios():
    image = _read(datafiles.get("MR2_UNCR.dcm")).pixel_array
    layered = jpeg2000.encode_frame(image, bits_stored=12, transfer_syntax_uid=LOSSY,
                                    j2k_cr=[80, 20, 10])
    assert jpeg2000.read_header(layered)["layers"] == 3
    assert image.size * 1.5 / len(layered) >= 10 * 0.98


@pytest.mark.parametrize("psnr", [35, 45, 55])
@pytest.mark.parametrize("name", ["MR2_UNCR.dcm", "US1_UNCR.dcm"])
def test_lossy_encoding_meets_the_psnr(name, psnr):
    ds = _read(datafiles.get(name))
    image = ds.pixel_array
    encoded = jpeg2000.encode_frame(image, bits_stored=ds.BitsStored,
                                    transfer_syntax_uid=LOSSY, j2k_psnr=[psnr])
    decoded = jpeg2000.decode_frame(encoded, bits_allocated=ds.BitsAllocated)
    achieved = _psnr(image, decoded, ds.BitsStored)
    assert achieved >= psnr - 0.25
    assert achieved < psnr + 10  # and it is lossy, not lossless in disguise
    assert len(encoded) < image.nbytes


def test_higher_psnr_means_more_bytes():
    image = _read(datafiles.get("MR2_UNCR.dcm")).pixel_array
    sizes = [len(jpeg2000.encode_frame(image, bits_stored=12, transfer_syntax_uid=LOSSY,
                                       j2k_psnr=[psnr])) for psnr in (30, 40, 50)]
    assert sizes[0] < sizes[1] < sizes[2]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"transfer_syntax_uid": LOSSY}, "j2k_cr"),
        ({"transfer_syntax_uid": LOSSY, "j2k_cr": [10], "j2k_psnr": [40]}, "exactly one"),
        ({"j2k_cr": [10]}, "lossy"),
        ({"transfer_syntax_uid": LOSSY, "j2k_cr": [5, 10]}, "decreasing"),
        ({"transfer_syntax_uid": LOSSY, "j2k_psnr": [50, 40]}, "increasing"),
        ({"transfer_syntax_uid": "1.2.840.10008.1.2.4.201"}, "htj2k"),
        ({"bits_stored": 25}, "Bits Stored"),
        ({"progression": "XYZW"}, "progression"),
        ({"code_block_size": (128, 64)}, "4096"),
        ({"resolutions": 9}, "resolution"),
    ],
)
def test_encoder_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jpeg2000.encode_frame(_ct_image(), **kwargs)


def test_encoder_rejects_samples_that_do_not_fit_bits_stored():
    image = _ct_image()  # signed 16-bit CT with values far above 2047
    with pytest.raises(ValueError, match=r"row \d+, column \d+ .* 12 signed bits"):
        jpeg2000.encode_frame(image, bits_stored=12)
    image = image.copy()
    image[5, 9] = -3
    with pytest.raises(ValueError, match="-3 at row 5, column 9 .* 16 unsigned bits"):
        jpeg2000.encode_frame(image, pixel_representation=0)


def test_encoder_uses_fewer_resolutions_for_tiny_images():
    for shape in [(1, 1), (3, 70), (16, 16)]:
        image = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
        encoded = jpeg2000.encode_frame(image)
        np.testing.assert_array_equal(jpeg2000.decode_frame(encoded), image)


def _main_header_markers(codestream: bytes) -> list[int]:
    markers, offset = [], 2
    while True:
        marker, length = struct.unpack_from(">HH", codestream, offset)
        if marker == 0xFF90:
            return markers
        markers.append(marker)
        offset += 2 + length


def test_tlm_marker_on_request():
    image = _ct_image()
    assert 0xFF55 not in _main_header_markers(jpeg2000.encode_frame(image))
    with_tlm = jpeg2000.encode_frame(image, tlm=True)
    assert 0xFF55 in _main_header_markers(with_tlm)
    np.testing.assert_array_equal(jpeg2000.decode_frame(with_tlm), image)


def test_encoder_threads_give_the_same_codestream():
    image = _read(datafiles.get("MR2_UNCR.dcm")).pixel_array
    single = jpeg2000.encode_frame(image, bits_stored=12)
    assert jpeg2000.encode_frame(image, bits_stored=12, threads=2) == single


# ---------------------------------------------------------------------------
# Batches and threads


def test_decode_frames_of_a_multiframe_file_with_threads():
    path = datafiles.get("emri_small_jpeg_2k_lossless.dcm")
    ds, frames = _frames(path)
    reference = _reference(path)
    for threads in (1, 2, 4):
        arr = jpeg2000.decode_frames(frames, threads=threads, **_dataset_arguments(ds))
        np.testing.assert_array_equal(arr, reference)
    out = np.empty_like(reference)
    assert jpeg2000.decode_frames(frames, out=out, threads=2) is out
    np.testing.assert_array_equal(out, reference)


def test_a_single_large_frame_decodes_with_openjpeg_threads():
    path = datafiles.get("RG1_J2KR.dcm")
    ds, frames = _frames(path)
    arr = jpeg2000.decode_frame(frames[0], threads=2, **_dataset_arguments(ds))
    np.testing.assert_array_equal(arr, _reference(path))


def test_encode_frames_round_trip():
    ds = _read(datafiles.get("emri_small.dcm"))
    frames = jpeg2000.encode_frames(ds.pixel_array, bits_stored=12, threads=2)
    assert len(frames) == 10
    np.testing.assert_array_equal(jpeg2000.decode_frames(frames, bits_allocated=16),
                                  ds.pixel_array)


def test_batch_errors_name_the_frame():
    _, frames = _frames(datafiles.get("emri_small_jpeg_2k_lossless.dcm"))
    frames = list(frames)
    frames[7] = frames[7][: len(frames[7]) // 2]
    with pytest.raises(JPEG2000Error, match="frame 7"):
        jpeg2000.decode_frames(frames, threads=2)
    images = np.zeros((3, 8, 8), np.int16)
    images[2, 3, 3] = -5
    with pytest.raises(ValueError, match="unsigned"):
        jpeg2000.encode_frames(images, pixel_representation=0)


def test_many_threads_at_once_give_the_serial_results():
    paths = [datafiles.get(n) for n in ("US1_J2KR.dcm", "MR2_J2KI.dcm", "693_J2KR.dcm",
                                        "GDCMJ2K_TextGBR.dcm", "J2K_pixelrep_mismatch.dcm")]
    jobs = []
    for path in paths:
        ds, frames = _frames(path)
        jobs.append((frames[0], _dataset_arguments(ds)))
    expected = [jpeg2000.decode_frame(frame, **kwargs) for frame, kwargs in jobs]
    image = _ct_image()
    encoded = jpeg2000.encode_frame(image)

    def work(index: int) -> bool:
        frame, kwargs = jobs[index % len(jobs)]
        same = np.array_equal(jpeg2000.decode_frame(frame, **kwargs), expected[index % len(jobs)])
        return same and jpeg2000.encode_frame(image) == encoded

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert all(pool.map(work, range(48)))


# ---------------------------------------------------------------------------
# Bad input


def test_data_that_is_not_jpeg_2000_is_rejected():
    for data in (b"", b"\x00", b"not a codestream at all", b"\xff\xd8\xff\xe0" + bytes(100)):
        with pytest.raises(JPEG2000Error, match="not a JPEG 2000 codestream"):
            jpeg2000.decode_frame(data)
        with pytest.raises(JPEG2000Error, match="not a JPEG 2000 codestream"):
            jpeg2000.read_header(data)


@pytest.mark.parametrize("name", ["MR_small_jp2klossless.dcm", "US1_J2KI.dcm",
                                  "GDCMJ2K_TextGBR.dcm"])
def test_truncated_codestreams_raise(name):
    ds, frames = _frames(datafiles.get(name))
    frame = frames[0]
    step = max(1, len(frame) // 150)
    for length in range(0, len(frame) - 16, step):
        with pytest.raises(JPEG2000Error):
            jpeg2000.decode_frame(frame[:length], **_dataset_arguments(ds))


def test_dimensions_that_disagree_with_the_dataset_are_rejected():
    ds, frames = _frames(datafiles.get("US1_J2KR.dcm"))
    arguments = _dataset_arguments(ds)
    for key, value, element in [("rows", 481, "Rows"), ("columns", 64, "Columns"),
                                ("samples_per_pixel", 1, "Samples per Pixel")]:
        with pytest.raises(JPEG2000Error, match=element):
            jpeg2000.decode_frame(frames[0], **dict(arguments, **{key: value}))


def test_corrupt_siz_marker_is_rejected():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    corrupt = bytearray(frames[0])
    corrupt[4:6] = b"\x00\x02"  # Lsiz far too short
    with pytest.raises(JPEG2000Error, match="main header"):
        jpeg2000.decode_frame(bytes(corrupt))
    corrupt = bytearray(frames[0])
    corrupt[40:42] = b"\x00\x00"  # Csiz: no components
    with pytest.raises(JPEG2000Error, match="main header"):
        jpeg2000.decode_frame(bytes(corrupt))


def test_huge_declared_dimensions_need_the_dataset_values():
    _, frames = _frames(datafiles.get("MR_small_jp2klossless.dcm"))
    huge = bytearray(frames[0])
    huge[8:16] = (60000).to_bytes(4, "big") * 2  # Xsiz, Ysiz
    huge[24:32] = (60000).to_bytes(4, "big") * 2  # XTsiz, YTsiz: one tile
    with pytest.raises(JPEG2000Error, match="rows and columns"):
        jpeg2000.decode_frame(bytes(huge))
    with pytest.raises(JPEG2000Error, match="Rows"):
        jpeg2000.decode_frame(bytes(huge), rows=64, columns=64)


_FUZZ_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    from dicomcore.codecs import jpeg2000
    warnings.simplefilter("ignore")
    frames = [open(p, "rb").read() for p in sys.argv[1:]]
    rng = np.random.default_rng(5)

    def attempt(data):
        try:
            jpeg2000.decode_frame(data)
        except ValueError:
            pass

    def mutations(count):
        for i in range(count):
            frame = frames[i % len(frames)]
            data = bytearray(frame)
            for _ in range(int(rng.integers(1, 6))):
                limit = len(data) if i % 3 else min(len(data), 200)
                data[int(rng.integers(0, limit))] = int(rng.integers(0, 256))
            yield bytes(data)
            yield frame[: int(rng.integers(0, len(frame)))]

    for data in mutations(150):
        attempt(data)
    before = bytes_in_use()
    for data in mutations(600):
        attempt(data)
    growth = bytes_in_use() - before
    print("growth", growth)
    # 1200 failed decodes; a leak of 1 KiB per call would show as 1.2 MB.
    sys.exit(0 if growth < 512 * 1024 else 3)
    """
)


def test_fuzzed_codestreams_never_crash_or_leak(tmp_path):
    # In a child process, so that a crash fails this test instead of pytest.
    sources = []
    for name in ("MR_small_jp2klossless.dcm", "US1_J2KI.dcm", "GDCMJ2K_TextGBR.dcm"):
        _, frames = _frames(datafiles.get(name))
        target = tmp_path / f"{name}.j2k"
        target.write_bytes(frames[0])
        sources.append(str(target))
    result = run_python(BYTES_IN_USE + _FUZZ_SCRIPT, *sources, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------
# Interoperability with GDCM


GDCMCONV = shutil.which("gdcmconv")
needs_gdcm = pytest.mark.skipif(GDCMCONV is None, reason="gdcmconv (libgdcm-tools) not on PATH")


def _gdcmconv(*arguments: object) -> None:
    result = subprocess.run([GDCMCONV, *map(str, arguments)], capture_output=True, text=True)
    # Some gdcmconv builds exit 0 after an abort: check the output file too.
    target = Path(str(arguments[-1]))
    assert result.returncode == 0 and target.exists(), result.stderr


@needs_gdcm
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"])
def test_gdcm_decodes_what_we_encode(tmp_path, name):
    ds = _read(datafiles.get(name))
    image = ds.pixel_array
    encoded = jpeg2000.encode_frame(image, bits_stored=ds.BitsStored,
                                    pixel_representation=ds.PixelRepresentation,
                                    photometric_interpretation=ds.PhotometricInterpretation)
    photometric = jpeg2000.encoded_photometric_interpretation(
        ds.PhotometricInterpretation, lossless=True)
    source, target = tmp_path / "j2k.dcm", tmp_path / "raw.dcm"
    write_image_file(source, [encoded], image, LOSSLESS, ds.BitsStored,
                 bool(ds.PixelRepresentation), photometric)
    _gdcmconv("--raw", source, target)
    result = _read(target)
    assert result.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    np.testing.assert_array_equal(result.pixel_array, image)


@needs_gdcm
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm",
                                  "SC_rgb_2frame.dcm", "emri_small.dcm"])
def test_we_decode_what_gdcm_encodes(tmp_path, name):
    target = tmp_path / "j2k.dcm"
    _gdcmconv("--j2k", datafiles.get(name), target)
    ds, frames = _frames(target)
    assert ds.file_meta.TransferSyntaxUID == LOSSLESS
    original = _read(datafiles.get(name)).pixel_array
    arr = jpeg2000.decode_frames(frames, **_dataset_arguments(ds))
    np.testing.assert_array_equal(arr.reshape(original.shape), original)


@needs_gdcm
def test_we_decode_gdcm_lossy_output_as_pylibjpeg_does(tmp_path):
    target = tmp_path / "j2k.dcm"
    _gdcmconv("--j2k", "--lossy", "-q", "80", "--irreversible", datafiles.get("MR2_UNCR.dcm"),
              target)
    ds, frames = _frames(target)
    assert ds.file_meta.TransferSyntaxUID == LOSSY
    arr = jpeg2000.decode_frame(frames[0], **_dataset_arguments(ds))
    np.testing.assert_array_equal(arr, _reference(target))
    assert jpeg2000.read_header(frames[0])["reversible"] is False


# ---------------------------------------------------------------------------
# Module contract


def test_module_contract():
    assert jpeg2000.is_available() is True
    assert set(jpeg2000.TRANSFER_SYNTAXES) == {
        LOSSLESS, LOSSY, "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203"}
    assert jpeg2000.ENCODES == (LOSSLESS, LOSSY)
    assert issubclass(jpeg2000.JPEG2000Error, ValueError)


def test_missing_extension_raises_an_import_error_naming_the_package(monkeypatch):
    monkeypatch.setattr(jpeg2000, "_openjpeg", None)
    assert jpeg2000.is_available() is False
    for call in (lambda: jpeg2000.decode_frame(b"\xff\x4f\xff\x51"),
                 lambda: jpeg2000.encode_frame(np.zeros((4, 4), np.uint8)),
                 lambda: jpeg2000.read_header(b""),
                 lambda: jpeg2000.decode_frames([b""])):
        with pytest.raises(ImportError, match="apt-get install libopenjp2-7-dev"):
            call()


@pytest.mark.parametrize("junk", [b"", b"\xff\xff\xff\x08"], ids=["plain", "unknown-marker"])
def test_marker_code_in_a_mel_stream_is_rejected_before_openjpeg_aborts(tmp_path, junk):
    # Debian's OpenJPEG 2.5.0 asserts in ht_dec.c mel_init that a MEL byte
    # 0xFF is followed by one of at most 0x8F, killing the process. In a
    # child process, so that an abort fails this test instead of pytest.
    from dicomcore.codecs import htj2k

    image = np.random.default_rng(3).integers(0, 256, (8, 8), dtype=np.uint8)
    data = bytearray(htj2k.encode_frame(image, decompositions=0))
    # One code-block, whose cleanup segment ends at EOC; its last 12 bits
    # are Scup, the length of the MEL and VLC streams that end it.
    segment_end = len(data) - 2
    scup = (data[segment_end - 1] << 4) + (data[segment_end - 2] & 0xF)
    mel = segment_end - scup
    assert scup > 6 and data.index(b"\xff\x93") < mel
    data[mel : mel + 4] = b"\xff\xff\xff\xff"
    # An unknown marker (whose length runs past the end) after SIZ: OpenJPEG
    # skips it by looking for the next known marker, and so must the check.
    data[45:45] = junk
    mel += len(junk)
    result = decode_htj2k_in_child(tmp_path, bytes(data), "openjpeg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"JPEG2000Error corrupt HT code-block data: the marker code "
                                    f"0xFFFF at offset {mel} "), result.stdout
    with pytest.raises(JPEG2000Error, match="marker code 0xFFFF"):
        jpeg2000.decode_frame(bytes(data))


def test_marker_codes_are_only_checked_in_ht_codestreams():
    # Part 1 code-blocks never reach the HT decoder, and OpenJPEG decodes
    # damaged ones as far as it can; the check must leave them to it.
    image = np.random.default_rng(3).integers(0, 256, (8, 8), dtype=np.uint8)
    data = bytearray(jpeg2000.encode_frame(image, resolutions=1))
    body = data.index(b"\xff\x93") + 2
    data[body + 4 : body + 6] = b"\xff\xff"
    decoded = jpeg2000.decode_frame(bytes(data))
    assert decoded.shape == image.shape and not np.array_equal(decoded, image)
