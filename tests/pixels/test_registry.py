"""The codec registry: our plugins first, plugin choice by name, external plugins,
and unavailable plugins that say what to install."""

from __future__ import annotations

import importlib.util

import numpy as np
import pydicom
import pytest

import datafiles
import dicomcore
from dicomcore.pixels import (
    EncodeResult,
    available_plugins,
    get_decoding_plugin,
    get_encoding_plugin,
    pixel_array,
    register_plugin,
    registered_plugins,
    unregister_plugin,
)
from dicomcore.pixels import plugins as builtin

RLE = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def test_our_codecs_come_first():
    names = [p.name for p in registered_plugins()]
    assert names.index("dicomcore") < names.index("pylibjpeg")
    assert get_decoding_plugin(RLE).name == "dicomcore"
    assert get_decoding_plugin("1.2.840.10008.1.2.4.201").name in ("openjph", "openjpeg")
    assert get_encoding_plugin("1.2.840.10008.1.2.4.90").name == "openjpeg"
    assert get_encoding_plugin("1.2.840.10008.1.2.8.1").name == "zlib"
    assert "charls" in available_plugins("1.2.840.10008.1.2.4.80", encode=True)


def test_unknown_plugin_name_and_syntax():
    with pytest.raises(ValueError, match="No plugin named 'gdcm'.*'dicomcore'"):
        get_decoding_plugin(RLE, "gdcm")
    with pytest.raises(NotImplementedError, match="MPEG"):
        get_decoding_plugin("1.2.840.10008.1.2.4.100")
    with pytest.raises(NotImplementedError, match="No pixel data encoder"):
        get_encoding_plugin(JPEG_BASELINE)


class _UnavailablePlugin:
    name = "missinglib"
    decodes = (RLE,)
    encodes = (RLE,)
    install_hint = "pip install missinglib"

    def is_available(self) -> bool:
        return False


def test_unavailable_plugin_says_what_to_install():
    register_plugin(_UnavailablePlugin(), first=True)
    try:
        # Not available: the next plugin is used unless this one is asked for.
        assert get_decoding_plugin(RLE).name == "dicomcore"
        with pytest.raises(RuntimeError, match="pip install missinglib"):
            pixel_array(datafiles.get("MR_small_RLE.dcm"), decoding_plugin="missinglib")
    finally:
        unregister_plugin("missinglib")
    assert "missinglib" not in [p.name for p in registered_plugins()]


def test_jpeg_without_pylibjpeg_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        builtin.importlib.util, "find_spec",
        lambda name, *a: None if name == "libjpeg" else real(name, *a),
    )
    with pytest.raises(RuntimeError, match="pip install pylibjpeg pylibjpeg-libjpeg"):
        pixel_array(datafiles.get("SC_rgb_jpeg_gdcm.dcm"))


class _PylibjpegRLEPlugin:
    """An external plugin: RLE decoding through pylibjpeg-rle, a library of its own."""

    name = "pylibjpeg-rle"
    decodes = (RLE,)
    encodes = (RLE,)
    install_hint = "pip install pylibjpeg-rle"

    def __init__(self):
        self.calls = 0

    def is_available(self) -> bool:
        return importlib.util.find_spec("rle") is not None

    def decode(self, frames, layout, out, options, threads):
        from rle.utils import decode_frame

        self.calls += 1
        for index, frame in enumerate(frames):
            # Little-endian samples, colour by plane.
            data = decode_frame(bytes(frame), layout.rows * layout.columns,
                                layout.bits_allocated, "<")
            planes = np.frombuffer(data, dtype=out.dtype.newbyteorder("<")).reshape(
                layout.samples_per_pixel, layout.rows, layout.columns
            )
            out[index] = np.moveaxis(planes, 0, -1).reshape(out.shape[1:])
        return layout.photometric_interpretation

    def encode(self, arr, layout, transfer_syntax, options, threads):
        from rle.utils import encode_frame

        frames = [
            encode_frame(np.ascontiguousarray(frame, dtype=frame.dtype.newbyteorder("<")).tobytes(),
                         layout.rows, layout.columns, layout.samples_per_pixel,
                         layout.bits_allocated, "<")
            for frame in arr
        ]
        return EncodeResult(frames, layout.photometric_interpretation)


@pytest.mark.skipif(importlib.util.find_spec("rle") is None, reason="pylibjpeg-rle not installed")
def test_external_plugin_registers_and_is_chosen_by_name():
    plugin = _PylibjpegRLEPlugin()
    register_plugin(plugin)
    try:
        path = datafiles.get("SC_rgb_rle_2frame.dcm")
        ours = pixel_array(path, decoding_plugin="pylibjpeg-rle")
        assert plugin.calls == 1
        np.testing.assert_array_equal(ours, pydicom.dcmread(path).pixel_array)
        ds = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
        expected = ds.pixel_array.copy()
        ds.compress(RLE, encoding_plugin="pylibjpeg-rle")
        np.testing.assert_array_equal(ds.pixel_array, expected)
    finally:
        unregister_plugin("pylibjpeg-rle")


def test_register_rejects_objects_that_are_not_plugins():
    with pytest.raises(TypeError, match="'name'"):
        register_plugin(object())


class _RecordingRLEPlugin(builtin.RLEPlugin):
    """Our RLE plugin under another name, noting the threads it is given."""

    name = "recording-rle"

    def __init__(self, threaded_bytes: int) -> None:
        self.threaded_bytes = threaded_bytes
        self.threads: list[int | None] = []

    def decode(self, frames, layout, out, options, threads):
        self.threads.append(threads)
        return super().decode(frames, layout, out, options, threads)


@pytest.mark.parametrize(("threaded_bytes", "expected"), [(1, 2), (1 << 30, 1)])
def test_plugin_says_from_how_many_bytes_threads_pay_off(threaded_bytes, expected):
    # Two 100 x 100 RGB frames: 60,000 decoded bytes.
    plugin = _RecordingRLEPlugin(threaded_bytes)
    register_plugin(plugin)
    try:
        path = datafiles.get("SC_rgb_rle_2frame.dcm")
        arr = pixel_array(path, decoding_plugin="recording-rle", threads=2)
        assert plugin.threads == [expected]
        np.testing.assert_array_equal(arr, pydicom.dcmread(path).pixel_array)
    finally:
        unregister_plugin("recording-rle")
