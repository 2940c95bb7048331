"""Tests for dicomcore.gpu.batch: many datasets to one device array.

Every real image file goes through :func:`pixel_batch` and must give what
dicomcore's CPU pipeline gives (``dicomcore.pixels.pixel_array``); mixed
batches, processing to float16/32, preallocated outputs, lists for differing
shapes, and errors naming the source are checked on the CPU kernel emulation
and, where a CUDA device is present, on the GPU.
"""

from __future__ import annotations

import struct
import warnings

import gpu_files
import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import processing as pydicom_processing

import datafiles
import dicomcore
from dicomcore.codecs.rle import RLEError
from dicomcore.gpu import batch, processing
from dicomcore.pixels.decode import decode_dataset

ALL_IMAGES = gpu_files.params([path for path, _ in gpu_files._images()])
SMALL_MR = [
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_expb.dcm",
    "MR_small_implicit.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_padded.dcm",
]


def _cpu(path, **options) -> np.ndarray:
    """dicomcore's CPU pipeline, always with a frame axis."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr, layout = decode_dataset(dicomcore.dcmread(path), **options)
    return arr[None] if layout.number_of_frames == 1 else arr


def _batch(engine, sources, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return batch.pixel_batch(sources, device=engine, **options)


@pytest.mark.parametrize("path", ALL_IMAGES)
def test_every_real_image_equals_the_cpu_path(engine, path):
    try:
        expected = _cpu(path)
    except Exception as exc:  # the CPU path refuses it: the GPU path must refuse it too
        with pytest.raises(type(exc)):
            _batch(engine, [path])
        return
    got = engine.to_host(_batch(engine, [path]))
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_mixed_transfer_syntaxes_in_one_batch(engine):
    paths = [datafiles.get(name) for name in SMALL_MR]
    expected = np.concatenate([_cpu(p) for p in paths])
    got = engine.to_host(_batch(engine, paths))
    assert got.shape == (len(paths), 64, 64)
    np.testing.assert_array_equal(got, expected)
    # Datasets read already, and file objects, are sources too.
    with open(paths[1], "rb") as file:
        sources = [dicomcore.dcmread(paths[0]), file, paths[2]]
        np.testing.assert_array_equal(engine.to_host(_batch(engine, sources)), expected[:3])


def test_consecutive_rle_sources_decode_in_one_call(engine):
    paths = [
        datafiles.get("SC_rgb_rle_2frame.dcm"),
        datafiles.get("SC_rgb_rle.dcm"),
        datafiles.get("SC_rgb_rle_2frame.dcm"),
    ]
    sources = [
        batch._describe(dicomcore.dcmread(p), i, str(p), "cpu", None) for i, p in enumerate(paths)
    ]
    assert len(batch._groups(sources)) == 1
    expected = np.concatenate([_cpu(p) for p in paths])
    got = engine.to_host(_batch(engine, paths))
    np.testing.assert_array_equal(got, expected)


def test_windowed_float16_batch_equals_pydicom(engine):
    names = ["693_UNCI.dcm", "693_UNCR.dcm", "693_UNCI.dcm"]
    paths = [datafiles.get(n) for n in names]
    got = engine.to_host(_batch(engine, paths, modality_lut=True, voi_lut=True, dtype=np.float16))
    assert got.dtype == np.float16
    expected = []
    for path in paths:
        ds = pydicom.dcmread(path)
        arr = pydicom_processing.apply_voi_lut(
            pydicom_processing.apply_modality_lut(ds.pixel_array, ds), ds
        )
        expected.append(arr.astype(np.float16)[None])
    np.testing.assert_array_equal(got, np.concatenate(expected))


def test_normalised_float32_batch(engine):
    paths = [datafiles.get("CT_small.dcm"), datafiles.get("693_UNCI.dcm")]
    with pytest.raises(ValueError, match="differing shapes"):
        _batch(engine, paths, modality_lut=True, voi_lut=True, normalise=True, dtype=np.float32)
    arrays = _batch(
        engine,
        paths,
        modality_lut=True,
        voi_lut=True,
        normalise=True,
        dtype=np.float32,
        as_list=True,
    )
    for path, arr in zip(paths, arrays):
        ds = dicomcore.dcmread(path)
        params = processing.frame_parameters(ds, normalise=True)
        expected = processing.transform_reference(_cpu(path), params, np.float32)
        got = engine.to_host(arr)
        np.testing.assert_array_equal(got, expected)
        assert got.min() >= 0 and got.max() <= 1


@pytest.mark.parametrize("name", ["mlut_18.dcm", "vlut_04.dcm"])
def test_lut_sequences_in_a_batch(engine, name):
    path = datafiles.get(name)
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    expected = pydicom_processing.apply_voi_lut(pydicom_processing.apply_modality_lut(arr, ds), ds)
    got = engine.to_host(_batch(engine, [path, path], modality_lut=True, voi_lut=True))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.stack([expected, expected]).astype(np.float64))


def test_preallocated_out(engine):
    paths = [datafiles.get(n) for n in SMALL_MR[:3]]
    with engine.activate():
        out = engine.xp.zeros((3, 64, 64), dtype=np.float32)
    result = _batch(engine, paths, out=out, dtype=np.float32)
    assert result is out
    np.testing.assert_array_equal(
        engine.to_host(out), np.concatenate([_cpu(p) for p in paths]).astype(np.float32)
    )
    with engine.activate():
        wrong = engine.xp.zeros((2, 64, 64), dtype=np.float32)
    with pytest.raises(ValueError, match=r"shape \(3, 64, 64\)"):
        _batch(engine, paths, out=wrong, dtype=np.float32)
    with pytest.raises(ValueError, match="as_list"):
        _batch(engine, paths, out=out, as_list=True)


def test_differing_shapes_and_dtypes(engine):
    shapes = [datafiles.get("MR_small.dcm"), datafiles.get("SC_rgb_rle.dcm")]
    with pytest.raises(
        ValueError, match=r"source 1 \(.*SC_rgb_rle.dcm\) has frames of shape \(100, 100, 3\)"
    ):
        _batch(engine, shapes)
    arrays = _batch(engine, shapes, as_list=True)
    assert [tuple(a.shape) for a in arrays] == [(1, 64, 64), (1, 100, 100, 3)]
    for path, arr in zip(shapes, arrays):
        np.testing.assert_array_equal(engine.to_host(arr), _cpu(path))
    dtypes = [datafiles.get("SC_rgb.dcm"), datafiles.get("SC_rgb_16bit.dcm")]
    with pytest.raises(ValueError, match="different dtypes"):
        _batch(engine, dtypes)
    got = engine.to_host(_batch(engine, dtypes, dtype=np.float32))
    np.testing.assert_array_equal(got, np.concatenate([_cpu(p) for p in dtypes]).astype(np.float32))


def test_ybr_to_rgb_follows_as_rgb(engine):
    path = datafiles.get("SC_rgb_dcmtk_+eb+cy+n1.dcm")  # JPEG baseline, YBR_FULL
    rgb = engine.to_host(_batch(engine, [path]))
    np.testing.assert_array_equal(rgb, _cpu(path))
    raw = engine.to_host(_batch(engine, [path], as_rgb=False))
    np.testing.assert_array_equal(raw, _cpu(path, raw=True))
    assert not np.array_equal(raw, rgb)


def test_cpu_decoded_frames_overlap_their_upload(engine):
    """A multi-frame JPEG 2000 file: frames go through a ring of pinned slots."""
    path = next(
        p.values[0]
        for p in ALL_IMAGES
        if p.values[0].name in ("emri_small_jpeg_2k_lossless.dcm", "SC_rgb_jls_lossy_line.dcm")
    )
    expected = _cpu(path)
    for threads in (1, 2, 3):
        got = engine.to_host(_batch(engine, [path, path, path], threads=threads))
        np.testing.assert_array_equal(got, np.concatenate([expected] * 3))


def _damaged_rle_file(tmp_path):
    ds = pydicom.dcmread(datafiles.get("MR_small_RLE.dcm"))
    frame = bytearray(next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1)))
    second = struct.unpack_from("<I", frame, 8)[0]
    frame = frame[: second + 10]  # the second segment loses its data
    ds.PixelData = encapsulate([bytes(frame) + b"\0" * (len(frame) % 2)])
    path = tmp_path / "damaged_rle.dcm"
    ds.save_as(path)
    return path


def test_errors_name_the_source_and_frame(engine, tmp_path):
    damaged = _damaged_rle_file(tmp_path)
    good = datafiles.get("MR_small_RLE.dcm")
    with pytest.raises(
        RLEError, match=r"source 1 \(.*damaged_rle.dcm\), frame 0: segment 2 of 2 is truncated"
    ) as info:
        _batch(engine, [good, damaged])
    assert info.value.segment == 2 and info.value.frame == 0
    with pytest.raises(TypeError, match="source 0 must be a path"):
        _batch(engine, [3])
    with pytest.raises(ValueError, match="j2k_decoder"):
        _batch(engine, [good], j2k_decoder="gpu")
    with pytest.raises(ValueError, match="float16, float32 or float64"):
        _batch(engine, [good], dtype=np.int32)


def test_nvimgcodec_is_asked_for_clearly(engine):
    from dicomcore.gpu import nvimgcodec

    if nvimgcodec.is_available():
        pytest.skip("nvImageCodec is installed here (its decoding is tested with a GPU)")
    with pytest.raises(ImportError, match="nvimgcodec"):
        _batch(engine, [datafiles.get("MR_small_jp2klossless.dcm")], j2k_decoder="nvimgcodec")


def test_decode_dataset_and_iter_frames(engine):
    for name in ("emri_small_RLE.dcm", "emri_small.dcm", "emri_small_jpeg_ls_lossless.dcm"):
        path = datafiles.get(name)
        ds = dicomcore.dcmread(path)
        expected = _cpu(path)
        whole = engine.to_host(batch.decode_dataset(ds, device=engine))
        np.testing.assert_array_equal(whole, expected)
        third = engine.to_host(batch.decode_dataset(ds, device=engine, index=3))
        assert third.shape == expected.shape[1:]
        np.testing.assert_array_equal(third, expected[3])
        frames = [engine.to_host(f) for f in batch.iter_frames(ds, device=engine, indices=[1, 0])]
        np.testing.assert_array_equal(np.stack(frames), expected[[1, 0]])
        with pytest.raises(IndexError, match="no frame 99"):
            batch.decode_dataset(ds, device=engine, index=99)
    single = datafiles.get("MR_small.dcm")
    arr = engine.to_host(batch.decode_dataset(dicomcore.dcmread(single), device=engine))
    assert arr.shape == (64, 64)


def test_dlpack_shares_memory(engine):
    arr = _batch(engine, [datafiles.get("MR_small.dcm")])
    capsule = batch.to_dlpack(arr)
    assert type(capsule).__name__ == "PyCapsule"
    if isinstance(arr, np.ndarray):
        shared = np.from_dlpack(arr)
        assert shared.ctypes.data == arr.ctypes.data
    else:
        torch = pytest.importorskip("torch")
        tensor = torch.from_dlpack(arr)
        assert tensor.data_ptr() == arr.data.ptr
        assert tensor.is_cuda and tuple(tensor.shape) == tuple(arr.shape)


@pytest.mark.parametrize("name", ["emri_small_jpeg_2k_lossless.dcm", "MR_small_jp2klossless.dcm"])
def test_nvimgcodec_decodes_jpeg2000_as_the_cpu_path(cuda_engine, name):
    pytest.importorskip("nvidia.nvimgcodec", reason="nvImageCodec is an optional plugin")
    path = datafiles.get(name)
    got = cuda_engine.to_host(_batch(cuda_engine, [path, path], j2k_decoder="nvimgcodec"))
    np.testing.assert_array_equal(got, np.concatenate([_cpu(path)] * 2))
