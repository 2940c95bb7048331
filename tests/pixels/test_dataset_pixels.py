"""The Dataset's pixel methods: the cached pixel_array and when it is dropped,
pixel_array_options, convert_pixel_data, set_pixel_data, overlay_array and
waveform_array, each against pydicom 3."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest

import datafiles
import dicomcore


def _read(name: str) -> dicomcore.Dataset:
    return dicomcore.dcmread(datafiles.get(name))


def test_cache_dropped_when_pixel_elements_change():
    ds = _read("CT_small.dcm")
    first = ds.pixel_array
    assert ds.pixel_array is first
    ds.PatientName = "Changed^Name"  # not an Image Pixel element: cache kept
    assert ds.pixel_array is first

    ds.PixelData = bytes(len(ds.PixelData))  # through the dataset
    zeros = ds.pixel_array
    assert zeros is not first and not zeros.any()

    ds["PixelData"].value = np.full(128 * 128, 7, dtype="<i2").tobytes()  # on the element
    sevens = ds.pixel_array
    assert (sevens == 7).all()

    ds.BitsStored = 2  # 7 = 0b111 -> sign-extended low 2 bits -> -1
    assert (ds.pixel_array == -1).all()

    ds.Rows, ds.Columns = 64, 256
    assert ds.pixel_array.shape == (64, 256)


def test_cache_dropped_when_transfer_syntax_changes_and_on_compress():
    ds = _read("MR_small.dcm")
    first = ds.pixel_array
    ds.compress("1.2.840.10008.1.2.5")
    second = ds.pixel_array
    assert second is not first
    np.testing.assert_array_equal(second, first)


def test_pixel_array_options_and_convert_pixel_data():
    ds = _read("SC_rgb_rle_2frame.dcm")
    theirs = pydicom.dcmread(datafiles.get("SC_rgb_rle_2frame.dcm"))
    ds.pixel_array_options(index=1)
    theirs.pixel_array_options(index=1)
    np.testing.assert_array_equal(ds.pixel_array, theirs.pixel_array)
    assert ds.pixel_array.shape == (100, 100, 3)
    ds.pixel_array_options()
    ds.convert_pixel_data()
    assert ds._pixel_array.shape == (2, 100, 100, 3)
    with pytest.raises(ValueError, match="No plugin named 'nonesuch'"):
        ds.convert_pixel_data("nonesuch")


def test_missing_pixel_data_is_reported():
    ds = _read("CT_small.dcm")
    del ds.PixelData
    with pytest.raises(ValueError, match="no \\(7FE0,0010\\) 'Pixel Data'"):
        _ = ds.pixel_array


@pytest.mark.parametrize(
    "shape, dtype, photometric, bits",
    [
        ((10, 12), "u1", "MONOCHROME2", 8),
        ((3, 10, 12), "i2", "MONOCHROME2", 12),
        ((10, 12, 3), "u1", "RGB", 8),
        ((2, 10, 12, 3), "u2", "RGB", 16),
        ((10, 12), "u4", "MONOCHROME1", 20),
    ],
)
def test_set_pixel_data_matches_pydicom(shape, dtype, photometric, bits):
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    low = max(info.min, -(1 << (bits - 1))) if info.min < 0 else 0
    high = (1 << (bits - 1)) - 1 if info.min < 0 else (1 << bits) - 1
    arr = rng.integers(low, high, size=shape, dtype=dtype, endpoint=True)
    ours = _read("CT_small.dcm")
    theirs = pydicom.dcmread(datafiles.get("CT_small.dcm"))
    ours.set_pixel_data(arr, photometric, bits)
    if arr.dtype.itemsize > 2:
        # pydicom 3 takes 8 and 16-bit arrays only; dicomcore any integer size.
        with pytest.raises(ValueError, match="Unsupported ndarray dtype"):
            theirs.set_pixel_data(arr, photometric, bits)
        theirs = pydicom.Dataset()
        theirs.Rows, theirs.Columns, theirs.SamplesPerPixel = shape[-2], shape[-1], 1
        theirs.BitsAllocated, theirs.BitsStored, theirs.HighBit = 32, bits, bits - 1
        theirs.PixelRepresentation, theirs.PhotometricInterpretation = 0, photometric
        theirs.PixelData = arr.astype("<u4").tobytes()
    else:
        theirs.set_pixel_data(arr, photometric, bits)
    for keyword in ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored",
                    "HighBit", "PixelRepresentation", "PhotometricInterpretation"):
        assert ours.get(keyword) == theirs.get(keyword), keyword
    assert ours.get("PlanarConfiguration") == theirs.get("PlanarConfiguration")
    assert int(ours.get("NumberOfFrames", 1)) == int(theirs.get("NumberOfFrames", 1))
    assert bytes(ours.PixelData) == bytes(theirs.PixelData)
    np.testing.assert_array_equal(ours.pixel_array, arr)
    buffer = io.BytesIO()
    ours.save_as(buffer, enforce_file_format=True)
    np.testing.assert_array_equal(pydicom.dcmread(io.BytesIO(buffer.getvalue())).pixel_array, arr)


def test_set_pixel_data_refuses_values_outside_bits_stored():
    ds = _read("CT_small.dcm")
    before = bytes(ds.PixelData)
    with pytest.raises(ValueError, match="outside the allowable range"):
        ds.set_pixel_data(np.full((4, 4), 300, dtype=np.uint16), "MONOCHROME2", 8)
    assert bytes(ds.PixelData) == before


@pytest.mark.parametrize("name", ["MR-SIEMENS-DICOM-WithOverlays.dcm", "examples_overlay.dcm"])
def test_overlay_array_matches_pydicom(name):
    ours = _read(name).overlay_array(0x6000)
    theirs = pydicom.dcmread(datafiles.get(name)).overlay_array(0x6000)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_overlay_errors():
    ds = _read("MR-SIEMENS-DICOM-WithOverlays.dcm")
    with pytest.raises(ValueError, match="even number"):
        ds.overlay_array(0x6001)
    with pytest.raises(AttributeError, match="OverlayData"):
        ds.overlay_array(0x6002)
    data = bytes(ds[0x60003000].value)
    ds[0x60003000].value = data[: len(data) // 2]
    with pytest.raises(ValueError, match="doesn't match the expected length"):
        ds.overlay_array(0x6000)


@pytest.mark.parametrize("index", [0, 1])
def test_waveform_array_matches_pydicom(index):
    ours = _read("waveform_ecg.dcm").waveform_array(index)
    theirs = pydicom.dcmread(datafiles.get("waveform_ecg.dcm")).waveform_array(index)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_waveform_raw_and_errors():
    from pydicom.waveforms.numpy_handler import multiplex_array

    from dicomcore.pixels.waveform import waveform_array

    ds = _read("waveform_ecg.dcm")
    raw = waveform_array(ds, 0, as_raw=True)
    np.testing.assert_array_equal(
        raw, multiplex_array(pydicom.dcmread(datafiles.get("waveform_ecg.dcm")), 0, as_raw=True)
    )
    with pytest.raises(AttributeError, match="Waveform Sequence"):
        _read("CT_small.dcm").waveform_array(0)
    del ds.WaveformSequence[0].WaveformBitsAllocated
    with pytest.raises(AttributeError, match="WaveformBitsAllocated"):
        ds.waveform_array(0)


def test_set_pixel_data_on_compressed_and_big_endian_datasets():
    ds = _read("MR_small_RLE.dcm")
    arr = np.arange(64 * 64, dtype=np.int16).reshape(64, 64)
    ds.set_pixel_data(arr, "MONOCHROME2", 16)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert not ds["PixelData"].is_undefined_length
    np.testing.assert_array_equal(ds.pixel_array, arr)
    big = _read("MR_small_bigendian.dcm")
    with pytest.raises(NotImplementedError, match="big-endian"):
        big.set_pixel_data(arr, "MONOCHROME2", 16)
