"""pixel_array, iter_pixels and Dataset.pixel_array against pydicom 3 on every real image file.

Oracle: pydicom 3 with its installed plugins (pylibjpeg-openjpeg, pyjpegls,
pylibjpeg-rle, GDCM); for the JPEG family (ISO/IEC 10918) pydicom is asked for its
pylibjpeg plugin, the same library dicomcore's external JPEG plugin uses.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore.pixels import iter_pixels, pixel_array
from oracle import pydicom_read

JPEG_FAMILY = {
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
}
HAVE_LIBJPEG = (
    importlib.util.find_spec("pylibjpeg") is not None
    and importlib.util.find_spec("libjpeg") is not None
)
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _image_files() -> list[Path]:
    found = []
    for path in datafiles.all_files():
        ds = pydicom_read(path, defer_size=256)
        if ds is not None and any(k in ds for k in PIXEL_KEYWORDS):
            found.append(path)
    return found


IMAGE_FILES = _image_files()


def _syntax(ds: pydicom.Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    return str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""


@functools.lru_cache(maxsize=4)
def reference(path: Path) -> np.ndarray | Exception:
    """pydicom 3's pixel_array (an exception if pydicom cannot decode the file)."""
    ds = pydicom_read(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if _syntax(ds) in JPEG_FAMILY and HAVE_LIBJPEG:
                ds.pixel_array_options(decoding_plugin="pylibjpeg")
            return ds.pixel_array
    except Exception as exc:
        return exc


def _ours(path: Path, **kwargs) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pixel_array(path, **kwargs)


def assert_same_pixels(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape
    # Same kind and size of sample; dicomcore always returns native byte order.
    assert (ours.dtype.kind, ours.dtype.itemsize) == (theirs.dtype.kind, theirs.dtype.itemsize)
    assert ours.dtype.isnative
    np.testing.assert_array_equal(ours, theirs)


def test_real_image_files_found():
    assert len(IMAGE_FILES) > 150


@pytest.mark.parametrize("path", IMAGE_FILES, ids=datafiles.file_id)
def test_pixel_array_matches_pydicom(path):
    theirs = reference(path)
    ds = pydicom_read(path, defer_size=256)
    syntax = _syntax(ds)
    if isinstance(theirs, Exception):
        # pydicom cannot decode it: neither should we claim to, except where the
        # data is JPEG and our plugin is missing too (then say what to install).
        with pytest.raises(Exception):  # noqa: B017 - any clear error, as pydicom
            _ours(path)
        return
    if syntax in JPEG_FAMILY and not HAVE_LIBJPEG:
        with pytest.raises(RuntimeError, match="pylibjpeg-libjpeg"):
            _ours(path)
        return
    assert_same_pixels(_ours(path), theirs)


def _frames_in_header(path: Path) -> int:
    ds = pydicom_read(path, defer_size=256)
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1


MULTI_FRAME = [p for p in IMAGE_FILES if _frames_in_header(p) > 1]


def _decodable(path: Path) -> np.ndarray | None:
    """pydicom's array when both libraries can decode ``path``; else check both fail."""
    theirs = reference(path)
    syntax = _syntax(pydicom_read(path, defer_size=256))
    if isinstance(theirs, Exception):
        with pytest.raises(Exception):  # noqa: B017 - pydicom fails too
            _ours(path, index=0)
        return None
    if syntax in JPEG_FAMILY and not HAVE_LIBJPEG:
        with pytest.raises(RuntimeError, match="pylibjpeg-libjpeg"):
            _ours(path, index=0)
        return None
    return theirs


@pytest.mark.parametrize("path", MULTI_FRAME, ids=datafiles.file_id)
def test_single_frames_decode_alone(path):
    theirs = _decodable(path)
    if theirs is None:
        return
    count = theirs.shape[0]
    for index in sorted({0, count // 2, count - 1}):
        assert_same_pixels(_ours(path, index=index), theirs[index])


@pytest.mark.parametrize("path", MULTI_FRAME, ids=datafiles.file_id)
def test_iter_pixels_yields_every_frame(path):
    theirs = _decodable(path)
    if theirs is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = list(iter_pixels(path))
    assert len(frames) == theirs.shape[0]
    for ours, expected in zip(frames, theirs):
        assert_same_pixels(ours, expected)


@pytest.mark.parametrize(
    "name", ["CT_small.dcm", "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "emri_small_jpeg_ls_lossless.dcm"]
)
def test_dataset_pixel_array_is_cached_and_equal(name):
    path = datafiles.get(name)
    ds = dicomcore.dcmread(path)
    first = ds.pixel_array
    assert ds.pixel_array is first
    assert_same_pixels(first, reference(path))


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80",
                                    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.8.1"])
def test_frames_decoded_on_threads_equal_one_thread(syntax):
    # 8 frames of 256 x 256 from a real CT slice: enough work to be spread over threads.
    slice_ = pydicom.dcmread(datafiles.get("CT_small.dcm")).pixel_array
    frames = np.stack([np.roll(np.tile(slice_, (2, 2)), 9 * i, axis=1) for i in range(8)])
    ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    ds.set_pixel_data(frames, "MONOCHROME2", 16)
    ds.compress(syntax)
    one = pixel_array(ds, threads=1)
    many = pixel_array(ds, threads=4)
    np.testing.assert_array_equal(one, frames)
    np.testing.assert_array_equal(many, frames)


def test_pixel_array_from_file_object_and_dataset():
    path = datafiles.get("MR_small.dcm")
    with open(path, "rb") as f:
        from_file = pixel_array(f)
    from_dataset = pixel_array(dicomcore.dcmread(path))
    np.testing.assert_array_equal(from_file, from_dataset)
    assert_same_pixels(from_file, reference(path))


def test_ds_out_gets_the_other_elements():
    path = datafiles.get("CT_small.dcm")
    out = dicomcore.Dataset()
    pixel_array(path, ds_out=out)
    assert out.PatientName == pydicom.dcmread(path).PatientName
    assert "PixelData" not in out
    only = dicomcore.Dataset()
    pixel_array(path, ds_out=only, specific_tags=["Rows", 0x00100010])
    assert sorted(int(t) for t in only.keys()) == [0x00100010, 0x00280010]


def test_raw_keeps_ybr():
    path = datafiles.get("SC_ybr_full_uncompressed.dcm")
    raw = _ours(path, raw=True)
    ds = pydicom.dcmread(path)
    ds.pixel_array_options(raw=True)
    assert_same_pixels(raw, ds.pixel_array)
    assert not np.array_equal(raw, _ours(path))
