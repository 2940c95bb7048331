"""Dataset.compress / decompress: round trips for every transfer syntax, interoperability
with pydicom 3, GDCM and DCMTK, the Image Pixel and lossy attributes the standard asks
for, and datasets left exactly as they were when anything fails.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import warnings
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore import encaps
from dicomcore.codecs import htj2k, jpeg2000, jpegls, rle
from dicomcore.pixels import encode as encode_module
from dicomcore.pixels import registry

RLE = "1.2.840.10008.1.2.5"
JLS = "1.2.840.10008.1.2.4.80"
JLS_NEAR = "1.2.840.10008.1.2.4.81"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
J2K = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
DEFLATE = "1.2.840.10008.1.2.8.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

AVAILABLE = {
    RLE: rle.is_available(),
    JLS: jpegls.is_available(),
    JLS_NEAR: jpegls.is_available(),
    J2K_LOSSLESS: jpeg2000.is_available(),
    J2K: jpeg2000.is_available(),
    HTJ2K_LOSSLESS: htj2k.is_available(),
    HTJ2K_RPCL: htj2k.is_available(),
    HTJ2K: htj2k.is_available(),
    DEFLATE: True,
}

# (file, transfer syntax, options, largest error allowed; 0 = lossless)
CASES = [
    ("CT_small.dcm", RLE, {}, 0),
    ("emri_small.dcm", RLE, {}, 0),
    ("SC_rgb.dcm", RLE, {}, 0),
    ("SC_rgb_16bit.dcm", RLE, {}, 0),
    ("SC_rgb_32bit.dcm", RLE, {}, 0),
    ("rtdose.dcm", RLE, {}, 0),
    ("SC_rgb_2frame.dcm", RLE, {}, 0),
    ("CT_small.dcm", JLS, {}, 0),
    ("emri_small.dcm", JLS, {}, 0),
    ("SC_rgb.dcm", JLS, {}, 0),
    ("SC_rgb_16bit.dcm", JLS, {}, 0),
    ("OBXXXX1A.dcm", JLS, {}, 0),
    ("CT_small.dcm", JLS_NEAR, {"jls_error": 3}, 3),
    ("emri_small.dcm", JLS_NEAR, {"jls_error": 2}, 2),
    ("SC_rgb.dcm", JLS_NEAR, {"jls_error": 5}, 5),
    ("CT_small.dcm", J2K_LOSSLESS, {}, 0),
    ("MR_small.dcm", J2K_LOSSLESS, {}, 0),
    ("emri_small.dcm", J2K_LOSSLESS, {}, 0),
    ("SC_rgb.dcm", J2K_LOSSLESS, {}, 0),
    ("SC_rgb_2frame.dcm", J2K_LOSSLESS, {}, 0),
    ("CT_small.dcm", J2K, {"j2k_cr": [20]}, None),
    ("emri_small.dcm", J2K, {"j2k_psnr": [60]}, None),
    ("SC_rgb.dcm", J2K, {"j2k_cr": [10]}, None),
    ("CT_small.dcm", HTJ2K_LOSSLESS, {}, 0),
    ("emri_small.dcm", HTJ2K_RPCL, {}, 0),
    ("SC_rgb.dcm", HTJ2K_LOSSLESS, {}, 0),
    ("MR_small.dcm", HTJ2K, {"quantization_step": 1 / 512}, None),
    ("CT_small.dcm", DEFLATE, {}, 0),
    ("SC_rgb_2frame.dcm", DEFLATE, {}, 0),
    ("liver.dcm", DEFLATE, {}, 0),
    ("rtdose.dcm", DEFLATE, {}, 0),
]


def case_id(case) -> str:
    name, syntax, options, _ = case
    extra = ",".join(f"{k}={v}" for k, v in options.items())
    return f"{name}-{pydicom.uid.UID(syntax).keyword}{'-' + extra if extra else ''}"


def _read(name: str) -> dicomcore.Dataset:
    return dicomcore.dcmread(datafiles.get(name))


def _original(name: str) -> np.ndarray:
    ds = pydicom.dcmread(datafiles.get(name))
    ds.pixel_array_options(raw=True)
    return ds.pixel_array


def _psnr(a: np.ndarray, b: np.ndarray, bits: int) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else 10 * np.log10(((1 << bits) - 1) ** 2 / error)


def _file_bytes(ds: dicomcore.Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_compress_round_trip(case, tmp_path):
    name, syntax, options, tolerance = case
    if not AVAILABLE[syntax]:
        with pytest.raises(RuntimeError, match="apt-get install"):
            _read(name).compress(syntax, **options)
        return
    original = _original(name)
    ds = _read(name)
    ds.compress(syntax, **options)
    assert ds.file_meta.TransferSyntaxUID == syntax
    elem = ds["PixelData"]
    assert elem.VR == "OB" and elem.is_undefined_length
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    assert len(list(encaps.generate_frames(ds.PixelData, number_of_frames=frames))) == frames
    decoded = ds.pixel_array
    assert decoded.shape == original.shape
    if tolerance == 0:
        np.testing.assert_array_equal(decoded, original)
        assert "LossyImageCompression" not in ds or ds.LossyImageCompression == "00"
    else:
        if tolerance is not None:
            assert np.abs(decoded.astype(np.int64) - original.astype(np.int64)).max() <= tolerance
        else:
            assert _psnr(decoded, original, int(ds.BitsStored)) > 30
        # PS3.3 C.7.6.1.1.5: lossy coding is recorded, with its ratio and method.
        assert ds.LossyImageCompression == "01"
        method = {JLS_NEAR: "ISO_14495_1", J2K: "ISO_15444_1", HTJ2K: "ISO_15444_15"}[syntax]
        assert ds.LossyImageCompressionMethod == method
        assert float(ds.LossyImageCompressionRatio) > 1
    if original.ndim == 3 + (frames > 1) and syntax in (J2K_LOSSLESS, HTJ2K_LOSSLESS):
        assert ds.PhotometricInterpretation == "YBR_RCT"
    if original.ndim == 3 + (frames > 1):
        assert ds.PlanarConfiguration == 0

    # The written file decodes the same in pydicom 3 (which knows no Deflated Image
    # Frame Compression before 3.1: there, every frame is inflated by hand).
    path = tmp_path / "out.dcm"
    ds.save_as(path, enforce_file_format=True)
    theirs = pydicom.dcmread(path)
    assert theirs.file_meta.TransferSyntaxUID == syntax
    if syntax == DEFLATE:
        frames_data = list(
            pydicom.encaps.generate_frames(theirs.PixelData, number_of_frames=frames)
        )
        raw = b"".join(zlib.decompress(f, wbits=-15) for f in frames_data)
        if ds.BitsAllocated == 1:
            per_frame = [np.unpackbits(np.frombuffer(zlib.decompress(f, wbits=-15), np.uint8),
                                       bitorder="little")[: ds.Rows * ds.Columns]
                         for f in frames_data]
            np.testing.assert_array_equal(np.stack(per_frame).reshape(original.shape), original)
        else:
            values = np.frombuffer(raw, dtype=original.dtype.newbyteorder("<"))
            np.testing.assert_array_equal(values.reshape(original.shape), original)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(theirs.pixel_array, decoded)


def _gdcm_raw(path: Path, tmp_path: Path) -> np.ndarray:
    out = tmp_path / "gdcm_raw.dcm"
    subprocess.run(["gdcmconv", "--raw", str(path), str(out)], check=True, capture_output=True)
    ds = pydicom.dcmread(out)
    ds.pixel_array_options(raw=True)
    return ds.pixel_array


def _dcmtk(tool: str, path: Path, tmp_path: Path) -> np.ndarray:
    out = tmp_path / f"{tool}.dcm"
    subprocess.run([tool, str(path), str(out)], check=True, capture_output=True)
    ds = pydicom.dcmread(out)
    ds.pixel_array_options(raw=True)
    return ds.pixel_array


INTEROP = [
    ("CT_small.dcm", RLE, {}),
    ("SC_rgb_2frame.dcm", RLE, {}),
    ("emri_small.dcm", JLS, {}),
    ("SC_rgb.dcm", JLS, {}),
    ("CT_small.dcm", JLS_NEAR, {"jls_error": 2}),
    ("emri_small.dcm", J2K_LOSSLESS, {}),
    ("SC_rgb.dcm", J2K_LOSSLESS, {}),
    ("CT_small.dcm", J2K, {"j2k_cr": [15]}),
    ("CT_small.dcm", HTJ2K_LOSSLESS, {}),
]


@pytest.mark.skipif(shutil.which("gdcmconv") is None, reason="GDCM tools not installed")
@pytest.mark.parametrize("case", INTEROP, ids=lambda c: case_id((*c, 0)))
def test_gdcm_decodes_what_we_compress(case, tmp_path):
    name, syntax, options = case
    if not AVAILABLE[syntax]:
        pytest.skip("codec not built")
    if syntax.startswith("1.2.840.10008.1.2.4.20"):
        result = subprocess.run(["gdcmconv", "--version"], capture_output=True, text=True)
        if "3.0" in result.stdout:
            pytest.skip("this GDCM predates HTJ2K")
    ds = _read(name)
    ds.compress(syntax, **options)
    path = tmp_path / "ours.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(_gdcm_raw(path, tmp_path), ds.pixel_array)


@pytest.mark.skipif(shutil.which("dcmdrle") is None, reason="DCMTK not installed")
@pytest.mark.parametrize(
    "case",
    [("CT_small.dcm", RLE, "dcmdrle"), ("SC_rgb_2frame.dcm", RLE, "dcmdrle"),
     ("emri_small.dcm", JLS, "dcmdjpls"), ("SC_rgb.dcm", JLS, "dcmdjpls"),
     ("CT_small.dcm", JLS_NEAR, "dcmdjpls")],
    ids=lambda c: f"{c[0]}-{c[2]}",
)
def test_dcmtk_decodes_what_we_compress(case, tmp_path):
    name, syntax, tool = case
    if not AVAILABLE[syntax]:
        pytest.skip("codec not built")
    ds = _read(name)
    ds.compress(syntax, jls_error=2 if syntax == JLS_NEAR else None)
    path = tmp_path / "ours.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(_dcmtk(tool, path, tmp_path), ds.pixel_array)


def test_decompress_matches_pydicom():
    name = "SC_rgb_rle_2frame.dcm"
    ours = _read(name)
    ours.decompress()
    theirs = pydicom.dcmread(datafiles.get(name))
    theirs.decompress()
    assert ours.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert ours.PhotometricInterpretation == theirs.PhotometricInterpretation
    assert ours.PlanarConfiguration == theirs.PlanarConfiguration == 0
    assert bytes(ours.PixelData) == bytes(theirs.PixelData)
    assert ours["PixelData"].VR == theirs["PixelData"].VR
    assert not ours["PixelData"].is_undefined_length
    # The decoded array stays cached and matches a fresh decode of the native bytes.
    cached = ours.pixel_array
    fresh = dicomcore.dcmread(io.BytesIO(_file_bytes(ours))).pixel_array
    np.testing.assert_array_equal(cached, fresh)


@pytest.mark.parametrize(
    "name", ["JPEG2000.dcm", "emri_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm",
             "SC_rgb_jpeg_gdcm.dcm", "US1_J2KR.dcm"]
)
def test_decompress_then_save_reads_back_in_pydicom(name, tmp_path):
    ds = _read(name)
    if ds.file_meta.TransferSyntaxUID in (
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70",
    ) and not registry.available_plugins(str(ds.file_meta.TransferSyntaxUID)):
        with pytest.raises(RuntimeError, match="pip install pylibjpeg"):
            ds.decompress()
        return
    expected = ds.pixel_array.copy()
    ds.decompress()
    path = tmp_path / "native.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(pydicom.dcmread(path).pixel_array, expected)


def test_transcode_compressed_to_other_syntax():
    ds = _read("MR_small_RLE.dcm")
    expected = ds.pixel_array.copy()
    ds.compress(J2K_LOSSLESS)
    np.testing.assert_array_equal(ds.pixel_array, expected)


def test_compress_from_array_and_multi_frame_threads():
    ds = _read("emri_small.dcm")
    arr = ds.pixel_array.copy()
    arr[:, :8, :8] = 0
    ds.compress(RLE, arr)
    np.testing.assert_array_equal(ds.pixel_array, arr)
    one = _read("emri_small.dcm")
    one.compress(JLS, threads=1)
    many = _read("emri_small.dcm")
    many.compress(JLS, threads=4)
    assert bytes(one.PixelData) == bytes(many.PixelData)


def test_compress_adds_file_meta_and_extended_offsets_when_asked():
    source = _read("emri_small.dcm")
    ds = dicomcore.Dataset()
    for elem in source:
        if int(elem.tag) >> 16 != 2:
            ds[elem.tag] = elem
    ds.compress(RLE, encapsulate_ext=True, generate_instance_uid=False)
    assert ds.file_meta.TransferSyntaxUID == RLE
    assert ds.SOPInstanceUID == source.SOPInstanceUID
    offsets = struct.unpack(f"<{len(ds.ExtendedOffsetTable) // 8}Q", ds.ExtendedOffsetTable)
    lengths = struct.unpack(
        f"<{len(ds.ExtendedOffsetTableLengths) // 8}Q", ds.ExtendedOffsetTableLengths
    )
    assert len(offsets) == len(lengths) == 10
    assert encaps.parse_basic_offsets(ds.PixelData) == []
    for index in (0, 9):
        ours = encaps.get_frame(ds.PixelData, index, extended_offsets=(offsets, lengths))
        theirs = pydicom.encaps.get_frame(
            ds.PixelData, index, extended_offsets=(offsets, lengths)
        )
        assert ours == theirs
    np.testing.assert_array_equal(ds.pixel_array, source.pixel_array)


def test_new_instance_uid_by_default():
    ds = _read("CT_small.dcm")
    before = ds.SOPInstanceUID
    ds.compress(RLE)
    assert ds.SOPInstanceUID != before
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_lossy_ratio_and_method_appended_to_earlier_ones():
    ds = _read("CT_small.dcm")
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = "8"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.compress(JLS_NEAR, jls_error=4)
    assert list(ds.LossyImageCompressionMethod) == ["ISO_10918_1", "ISO_14495_1"]
    assert len(ds.LossyImageCompressionRatio) == 2


# -- nothing lost -----------------------------------------------------------------------


def _snapshot(ds: dicomcore.Dataset) -> tuple[bytes, str]:
    return _file_bytes(ds), repr(sorted((int(e.tag), e.VR) for e in ds))


@pytest.mark.parametrize(
    "syntax, kwargs, error, match",
    [
        (JLS, {"jls_error": 3}, ValueError, "lossy"),
        (J2K, {}, ValueError, "j2k_cr"),
        (JLS_NEAR, {"jls_error": 100000}, ValueError, "jls_error"),
        ("1.2.840.10008.1.2.4.100", {}, NotImplementedError, "MPEG2"),
        (EXPLICIT_LE, {}, ValueError, "not a compressed"),
        (RLE, {"encoding_plugin": "nonesuch"}, ValueError, "nonesuch"),
    ],
)
def test_failed_compress_leaves_dataset_unchanged(syntax, kwargs, error, match):
    ds = _read("CT_small.dcm")
    before = _snapshot(ds)
    with pytest.raises(error, match=match):
        ds.compress(syntax, **kwargs)
    assert _snapshot(ds) == before


def test_missing_elements_are_named_and_nothing_changes():
    ds = _read("CT_small.dcm")
    del ds.BitsStored
    del ds.Rows
    before = _snapshot(ds)
    with pytest.raises(AttributeError, match=r"\(0028,0010\) 'Rows'.*\(0028,0101\) 'Bits Stored'"):
        ds.compress(RLE)
    assert _snapshot(ds) == before


def test_failure_while_updating_the_dataset_is_rolled_back(monkeypatch):
    ds = _read("CT_small.dcm")
    had_meta = ds.file_meta
    before = _snapshot(ds)
    array = ds.pixel_array

    def fail(*_args):
        raise OSError("simulated failure after the Pixel Data was replaced")

    monkeypatch.setattr(encode_module, "_new_instance_uid", fail)
    with pytest.raises(OSError, match="simulated"):
        ds.compress(RLE)
    assert _snapshot(ds) == before
    assert ds.file_meta is had_meta
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT_LE
    np.testing.assert_array_equal(ds.pixel_array, array)
    with pytest.raises(OSError, match="simulated"):
        ds.compress(JLS)
    assert _snapshot(ds) == before


def test_failed_decompress_leaves_dataset_unchanged():
    ds = _read("MR_small_RLE.dcm")
    before = _snapshot(ds)
    with pytest.raises(ValueError, match="nonesuch"):
        ds.decompress(decoding_plugin="nonesuch")
    assert _snapshot(ds) == before
    native = _read("CT_small.dcm")
    with pytest.raises(ValueError, match="already uncompressed"):
        native.decompress()


def test_damaged_frame_error_names_the_frame_and_keeps_dataset():
    ds = _read("emri_small_RLE.dcm")
    frames = list(encaps.generate_frames(ds.PixelData, number_of_frames=10))
    frames[3] = frames[3][:64] + b"\x7f" * 8  # a literal run longer than the segment
    ds.PixelData = encaps.encapsulate(frames)
    ds["PixelData"].is_undefined_length = True
    before = _snapshot(ds)
    with pytest.raises(ValueError, match="frame 3"):
        ds.decompress()
    assert _snapshot(ds) == before


def test_compress_encodes_the_frames_number_of_frames_announces(tmp_path):
    ds = _read("emri_small.dcm")
    ds.NumberOfFrames = 9  # the data holds 10: compress keeps to the dataset's 9
    ds.compress(RLE)
    assert len(list(encaps.generate_frames(ds.PixelData, number_of_frames=9))) == 9
    np.testing.assert_array_equal(ds.pixel_array, _original("emri_small.dcm")[:9])
