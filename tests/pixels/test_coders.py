"""pydicom 3's get_decoder / get_encoder objects (dicomcore.pixels.coders), with pydicom 3 as oracle."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder as pydicom_get_decoder

import datafiles
import dicomcore
from dicomcore.codecs import jpegls, rle
from dicomcore.pixels import get_decoder, get_encoder

RLE = "1.2.840.10008.1.2.5"
JPEGLS = "1.2.840.10008.1.2.4.80"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
# Syntaxes pydicom 3 decodes with the plugins of the test extras.
DECODED_BY_BOTH = {
    "1.2.840.10008.1.2", EXPLICIT_LE, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
    RLE, JPEGLS, "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
}


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def _cases() -> list[Path]:
    found = []
    for path in datafiles.test_files():
        ds = _quiet(pydicom.dcmread, path, defer_size=256, force=True)
        meta = getattr(ds, "file_meta", None)
        syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
        if "PixelData" in ds and syntax in DECODED_BY_BOTH:
            found.append(path)
    return found


CASES = _cases()


def _theirs(path: Path, **kwargs):
    ds = _quiet(pydicom.dcmread, path)
    try:
        return _quiet(pydicom_get_decoder(ds.file_meta.TransferSyntaxUID).as_array, ds, **kwargs)
    except Exception as exc:  # noqa: BLE001 - pydicom cannot decode this file
        return exc


def test_enough_real_files():
    assert len(CASES) > 60


@pytest.mark.parametrize("path", CASES, ids=datafiles.file_id)
def test_as_array_matches_pydicom(path):
    theirs = _theirs(path)
    ds = _quiet(dicomcore.dcmread, path)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    if isinstance(theirs, Exception):
        with pytest.raises(Exception):  # noqa: B017 - pydicom cannot decode it either
            _quiet(decoder.as_array, ds)
        return
    arr, description = _quiet(decoder.as_array, ds)
    np.testing.assert_array_equal(arr, theirs[0])
    assert description == {**theirs[1], "number_of_frames": int(theirs[1]["number_of_frames"])}


@pytest.mark.parametrize("name", ["SC_rgb_rle_32bit_2frame.dcm", "SC_rgb_2frame.dcm"])
def test_one_frame_and_every_frame_of_a_multi_frame_file(name):
    path = datafiles.get(name)
    ds = dicomcore.dcmread(path)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    frames = list(decoder.iter_array(ds))
    assert len(frames) == int(ds.NumberOfFrames) == 2
    for index, (frame, description) in enumerate(frames):
        theirs, their_description = _theirs(path, index=index)
        np.testing.assert_array_equal(frame, theirs)
        assert description == their_description
    backwards = [frame for frame, _ in decoder.iter_array(ds, indices=[1, 0])]
    np.testing.assert_array_equal(backwards[0], frames[1][0])
    second, _ = decoder.as_array(path, index=1)
    np.testing.assert_array_equal(second, frames[1][0])


@pytest.mark.parametrize("name", ["SC_ybr_full_uncompressed.dcm", "SC_ybr_full_422_uncompressed.dcm"])
def test_raw_keeps_ybr_and_says_so(name):
    path = datafiles.get(name)
    theirs, their_description = _theirs(path, raw=True)
    arr, description = get_decoder(EXPLICIT_LE).as_array(path, raw=True)
    np.testing.assert_array_equal(arr, theirs)
    assert description == their_description
    assert description["photometric_interpretation"].startswith("YBR_FULL")


def test_decoder_refuses_a_dataset_of_another_syntax():
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    with pytest.raises(ValueError, match="'Explicit VR Little Endian' doesn't match"):
        get_decoder(RLE).as_array(ds)


def test_decoder_and_encoder_properties():
    native = get_decoder(EXPLICIT_LE)
    assert (native.is_native, native.is_encapsulated, native.is_available) == (True, False, True)
    assert native.available_plugins == ("dicomcore",) and native.missing_dependencies == []
    decoder = get_decoder(RLE)
    assert (decoder.is_native, decoder.is_encapsulated) == (False, True)
    assert decoder.available_plugins[0] == "dicomcore"
    assert get_encoder(JPEGLS).available_plugins == ("charls",) * jpegls.is_available()
    with pytest.raises(NotImplementedError, match="decoders have been implemented for '1.2.3'"):
        get_decoder("1.2.3")
    with pytest.raises(NotImplementedError, match="encoders .* 'JPEG Baseline"):
        get_encoder("1.2.840.10008.1.2.4.50")


def test_encoder_encodes_one_frame_of_a_dataset_or_each_frame():
    ds = dicomcore.dcmread(datafiles.get("SC_rgb_2frame.dcm"))
    expected = ds.pixel_array
    encoder = get_encoder(RLE)
    with pytest.raises(ValueError, match="'index' of the frame to be encoded is required"):
        encoder.encode(ds)
    second = encoder.encode(ds, index=1)
    assert isinstance(second, bytes)
    np.testing.assert_array_equal(rle.decode_frame(second, rows=100, columns=100,
                                                   samples_per_pixel=3, bits_allocated=8),
                                  expected[1])
    every = list(encoder.iter_encode(ds))
    assert len(every) == 2 and every[1] == second
    compressed = dicomcore.dcmread(datafiles.get("SC_rgb_rle_2frame.dcm"))
    with pytest.raises(ValueError, match="must be uncompressed"):
        encoder.encode(compressed, index=0)


@pytest.mark.parametrize("planar", [0, 1])
def test_encoder_takes_arrays_and_bytes_described_by_keywords(planar):
    rgb = dicomcore.dcmread(datafiles.get("SC_rgb_2frame.dcm")).pixel_array
    values = dict(rows=100, columns=100, samples_per_pixel=3, bits_allocated=8, bits_stored=8,
                  pixel_representation=0, photometric_interpretation="RGB",
                  number_of_frames=2, planar_configuration=planar)
    from_array = get_encoder(RLE).encode(rgb, index=0, **values)
    layout = np.moveaxis(rgb, -1, 1) if planar else rgb
    from_bytes = get_encoder(RLE).encode(np.ascontiguousarray(layout).tobytes(), index=0, **values)
    assert from_array == from_bytes
    decoded = rle.decode_frame(from_bytes, rows=100, columns=100, samples_per_pixel=3,
                               bits_allocated=8)
    np.testing.assert_array_equal(decoded, rgb[0])
    with pytest.raises(ValueError, match="30000 expected"):
        get_encoder(RLE).encode(b"\0" * 100, index=0, **{**values, "number_of_frames": 1})


@pytest.mark.skipif(not jpegls.is_available(), reason="dicomcore built without CharLS")
def test_encoder_passes_codec_options():
    ct = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    lossless = get_encoder(JPEGLS).encode(ct)
    near = get_encoder("1.2.840.10008.1.2.4.81").encode(ct, jls_error=3)
    assert len(near) < len(lossless)
    decoded = jpegls.decode_frame(near)
    assert np.abs(decoded.astype(int) - ct.pixel_array.astype(int)).max() <= 3
