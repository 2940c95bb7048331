"""Native pixel data against pydicom 3, on files built to hit every unpacking path:
bit-packed frames that do not start on a byte, every Bits Allocated, signed data and
unused high bits, planar configuration 1, big endian (8-bit OW too), YBR_FULL_422,
float and double float data, odd lengths, padding and excess frames, damaged lengths,
and memory-mapped sources copied once.
"""

from __future__ import annotations

import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset

import dicomcore
from dicomcore.pixels import iter_pixels, pixel_array

LITTLE = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
IMPLICIT = "1.2.840.10008.1.2"


def write(
    path: Path,
    data: bytes,
    *,
    rows: int,
    columns: int,
    samples: int = 1,
    bits_allocated: int = 16,
    bits_stored: int | None = None,
    signed: int = 0,
    photometric: str = "MONOCHROME2",
    planar: int | None = None,
    frames: int | None = None,
    syntax: str = LITTLE,
    keyword: str = "PixelData",
    vr: str | None = None,
) -> Path:
    """A minimal image file written by pydicom, holding ``data`` as it is."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, samples
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    if keyword == "PixelData":
        ds.BitsStored = bits_allocated if bits_stored is None else bits_stored
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = signed
    if planar is not None:
        ds.PlanarConfiguration = planar
    if frames is not None:
        ds.NumberOfFrames = frames
    if vr is None:
        vr = {"PixelData": "OB" if bits_allocated <= 8 else "OW", "FloatPixelData": "OF",
              "DoubleFloatPixelData": "OD"}[keyword]
    ds.add_new(
        {"PixelData": 0x7FE00010, "FloatPixelData": 0x7FE00008,
         "DoubleFloatPixelData": 0x7FE00009}[keyword], vr, data
    )
    ds.save_as(path, enforce_file_format=True)
    return path


def pydicom_array(path: Path, **options) -> np.ndarray:
    ds = pydicom.dcmread(path)
    if options:
        ds.pixel_array_options(**options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.pixel_array


def same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape
    assert (ours.dtype.kind, ours.dtype.itemsize) == (theirs.dtype.kind, theirs.dtype.itemsize)
    assert ours.dtype.isnative
    np.testing.assert_array_equal(ours, theirs)


def check_every_way(path: Path, frames: int = 1) -> None:
    theirs = pydicom_array(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(pixel_array(path), theirs)
        same(dicomcore.dcmread(path).pixel_array, theirs)
        if frames > 1:
            for index in range(frames):
                same(pixel_array(path, index=index), theirs[index])
            for index, frame in enumerate(iter_pixels(path)):
                same(frame, theirs[index])


RNG = np.random.default_rng(2024)


@pytest.mark.parametrize("frames", [1, 3, 5])
@pytest.mark.parametrize("shape", [(3, 5), (8, 8), (7, 9)])
def test_one_bit_frames_not_byte_aligned(tmp_path, frames, shape):
    rows, columns = shape
    bits = RNG.integers(0, 2, size=frames * rows * columns, dtype=np.uint8)
    data = np.packbits(bits, bitorder="little").tobytes()
    data += b"\x00" * (len(data) % 2)
    path = write(tmp_path / "b.dcm", data, rows=rows, columns=columns, bits_allocated=1,
                 frames=frames if frames > 1 else None)
    check_every_way(path, frames)
    np.testing.assert_array_equal(pixel_array(path).reshape(-1), bits)


@pytest.mark.parametrize("bits_allocated", [8, 16, 32, 64])
@pytest.mark.parametrize("signed", [0, 1])
@pytest.mark.parametrize("syntax", [LITTLE, BIG, IMPLICIT])
def test_unused_high_bits_cleared_or_sign_extended(tmp_path, bits_allocated, signed, syntax):
    stored = bits_allocated - 3
    itemsize = bits_allocated // 8
    order = ">" if syntax == BIG else "<"
    # Random bit patterns: the unused high bits hold garbage that must not show.
    values = RNG.integers(0, 1 << 62, size=2 * 6 * 5, dtype=np.uint64).astype(
        f"{order}u{itemsize}"
    )
    path = write(tmp_path / "s.dcm", values.tobytes(), rows=6, columns=5,
                 bits_allocated=bits_allocated, bits_stored=stored, signed=signed, frames=2,
                 syntax=syntax, vr="OB" if bits_allocated == 8 else ("OV" if bits_allocated == 64 else "OW"))
    check_every_way(path, 2)
    ours = pixel_array(path)
    if signed:
        assert ours.min() >= -(1 << (stored - 1)) and ours.max() < 1 << (stored - 1)
    else:
        assert ours.min() >= 0 and ours.max() < 1 << stored


@pytest.mark.parametrize("bits_allocated", [8, 16, 32])
@pytest.mark.parametrize("syntax", [LITTLE, BIG])
@pytest.mark.parametrize("frames", [1, 3])
def test_planar_configuration_one(tmp_path, bits_allocated, syntax, frames):
    itemsize = bits_allocated // 8
    order = ">" if syntax == BIG else "<"
    planes = RNG.integers(0, 255, size=(frames, 3, 4, 7)).astype(f"{order}u{itemsize}")
    path = write(tmp_path / "p.dcm", planes.tobytes(), rows=4, columns=7, samples=3,
                 bits_allocated=bits_allocated, photometric="RGB", planar=1,
                 frames=frames if frames > 1 else None, syntax=syntax)
    check_every_way(path, frames)
    ours = pixel_array(path)
    assert ours.flags.c_contiguous
    np.testing.assert_array_equal(ours.reshape(frames, 4, 7, 3), planes.transpose(0, 2, 3, 1))


def test_big_endian_8_bit_written_as_ow(tmp_path):
    # 3 x 3 pixels, 8-bit, odd frames: pydicom's pairwise byte swap of OW data.
    values = np.arange(27, dtype=np.uint8)
    pairs = np.frombuffer(values.tobytes() + b"\x00", dtype="<u2").byteswap().tobytes()
    path = write(tmp_path / "ow.dcm", pairs, rows=3, columns=3, bits_allocated=8, frames=3,
                 syntax=BIG, vr="OW")
    check_every_way(path, 3)
    np.testing.assert_array_equal(pixel_array(path).reshape(-1), values)


@pytest.mark.parametrize("frames", [1, 2])
def test_ybr_full_422_native(tmp_path, frames):
    data = RNG.integers(0, 256, size=frames * 4 * 6 * 2, dtype=np.uint8).tobytes()
    path = write(tmp_path / "y.dcm", data, rows=4, columns=6, samples=3, bits_allocated=8,
                 photometric="YBR_FULL_422", planar=0, frames=frames if frames > 1 else None)
    check_every_way(path, frames)
    same(pixel_array(path, raw=True), pydicom_array(path, raw=True))


@pytest.mark.parametrize("keyword, dtype", [("FloatPixelData", "f4"), ("DoubleFloatPixelData", "f8")])
@pytest.mark.parametrize("syntax", [LITTLE, BIG])
def test_float_pixel_data(tmp_path, keyword, dtype, syntax):
    order = ">" if syntax == BIG else "<"
    values = RNG.normal(size=(2, 3, 5)).astype(f"{order}{dtype}")
    path = write(tmp_path / "f.dcm", values.tobytes(), rows=3, columns=5,
                 bits_allocated=values.dtype.itemsize * 8, frames=2, syntax=syntax,
                 keyword=keyword)
    check_every_way(path, 2)
    np.testing.assert_array_equal(pixel_array(path), values)


def test_odd_length_without_padding_and_with_padding(tmp_path):
    data = bytes(range(15))  # 3 x 5 8-bit: odd, written without a padding byte
    path = write(tmp_path / "o.dcm", data + b"\x00", rows=3, columns=5, bits_allocated=8)
    check_every_way(path)
    ds = dicomcore.dcmread(path)
    ds.PixelData = data  # no padding at all
    np.testing.assert_array_equal(ds.pixel_array.reshape(-1), np.arange(15))


def test_excess_frames_returned_with_warning(tmp_path):
    data = np.arange(3 * 4 * 4, dtype="<u2").tobytes()
    path = write(tmp_path / "x.dcm", data, rows=4, columns=4, frames=2)
    with pytest.warns(UserWarning, match="3 frames"):
        ours = pixel_array(path)
    same(ours, pydicom_array(path))
    assert pixel_array(path, allow_excess_frames=False).shape == (2, 4, 4)


def test_short_data_names_the_lengths(tmp_path):
    path = write(tmp_path / "t.dcm", bytes(30), rows=4, columns=4, frames=1)
    with pytest.raises(ValueError, match=r"less than expected \(30 vs 32 bytes\)"):
        pixel_array(path)
    with pytest.raises(ValueError, match="insufficient pixel data to contain 2 frames"):
        pixel_array(path, index=1)


def test_missing_elements_are_all_named(tmp_path):
    path = write(tmp_path / "m.dcm", bytes(32), rows=4, columns=4)
    ds = dicomcore.dcmread(path)
    del ds.BitsAllocated, ds.PhotometricInterpretation
    names = r"\(0028,0004\) 'Photometric Interpretation'.*\(0028,0100\) 'Bits Allocated'"
    with pytest.raises(AttributeError, match=names):
        pixel_array(ds)
    with pytest.raises(ValueError, match=names):  # from a property: see Dataset.pixel_array
        _ = ds.pixel_array


def test_memory_mapped_file_is_copied_once(tmp_path):
    frames, rows, columns = 16, 1024, 1024  # 32 MiB, memory-mapped by dcmread
    data = RNG.integers(0, 1 << 12, size=frames * rows * columns, dtype="<u2")
    path = write(tmp_path / "big.dcm", data.tobytes(), rows=rows, columns=columns,
                 bits_stored=12, frames=frames)
    ds = dicomcore.dcmread(path)
    size = data.nbytes
    tracemalloc.start()
    try:
        arr = ds.pixel_array
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert arr.shape == (frames, rows, columns)
    assert peak < size * 1.1  # the output array and nothing else of its size
    np.testing.assert_array_equal(arr.reshape(-1), data)
    # Without conversions a read-only view of the mapping can be had, with no copy.
    view = pixel_array(dicomcore.dcmread(path), view_only=True, correct_unused_bits=False)
    assert not view.flags.writeable and not view.flags.owndata
    np.testing.assert_array_equal(view, arr)
