"""CuPy and CUDA device detection: dicomcore works without them, and says what is missing."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import datafiles
from dicomcore import gpu
from dicomcore.gpu import device, engine, rle


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("cuda", None),
        ("CUDA", None),
        ("gpu", None),
        ("cuda:0", 0),
        ("cuda:3", 3),
        (2, 2),
        (types.SimpleNamespace(id=1), 1),
    ],
)
def test_parse_device(value, expected):
    assert device.parse_device(value) == expected


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("cpu", ValueError, "not a CUDA device"),
        ("cuda:x", ValueError, "not a CUDA device"),
        (-1, ValueError, "negative"),
        (1.5, TypeError, "float"),
        (True, TypeError, "device must be"),
    ],
)
def test_parse_device_rejects(value, error, message):
    with pytest.raises(error, match=message):
        device.parse_device(value)


def test_importing_dicomcore_never_imports_cupy():
    code = (
        "import sys, dicomcore, dicomcore.gpu, dicomcore.gpu.batch, dicomcore.gpu.rle, "
        "dicomcore.gpu.native, dicomcore.gpu.processing; "
        "assert 'cupy' not in sys.modules, 'cupy imported'; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes 'import cupy' fail


def test_missing_cupy_says_what_to_install(no_cupy):
    with pytest.raises(
        ImportError, match=r"CuPy is not installed.*dicomcore\[cuda12\].*dicomcore\[cuda13\]"
    ):
        device.require_cupy()
    assert not device.is_available()
    assert not gpu.is_available()
    frames = [b"\0" * 64]
    for call in (
        lambda: gpu.pixel_batch([datafiles.get("MR_small.dcm")], device="cuda"),
        lambda: rle.decode_frames(frames, rows=1, columns=1, device="cuda:0"),
        lambda: engine.get_engine(0),
    ):
        with pytest.raises(ImportError, match=r"pip install dicomcore\[cuda12\]"):
            call()


def test_broken_cupy_says_why(monkeypatch, tmp_path):
    package = tmp_path / "cupy"
    package.mkdir()
    (package / "__init__.py").write_text(
        "raise ImportError('libcudart.so.12: cannot open shared object file')\n"
    )
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        ImportError, match=r"could not be imported \(libcudart.so.12.*dicomcore\[cuda13\]"
    ):
        device.require_cupy()


def _fake_cupy(count=None, error=None):
    def device_count():
        if error is not None:
            raise error
        return count

    class Device:
        def __init__(self, index=0):
            self.id = index

    runtime = types.SimpleNamespace(getDeviceCount=device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime, Device=Device))


def test_no_device_is_a_runtime_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count=0))
    with pytest.raises(RuntimeError, match="no CUDA device is present"):
        device.resolve_device("cuda")
    assert not device.is_available()
    monkeypatch.setitem(
        sys.modules, "cupy", _fake_cupy(error=OSError("CUDA driver version is insufficient"))
    )
    with pytest.raises(
        RuntimeError, match=r"no usable device \(CUDA driver version is insufficient\)"
    ):
        device.resolve_device(None)


def test_device_index_beyond_the_devices(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count=2))
    assert device.resolve_device("cuda:1").id == 1
    assert device.resolve_device(None).id == 0
    with pytest.raises(
        RuntimeError, match=r"device 2 was asked for but only 2 devices are present \(0 to 1\)"
    ):
        device.resolve_device(2)


def test_an_engine_is_used_as_it_is(host_engine):
    assert engine.get_engine(host_engine) is host_engine
    assert isinstance(host_engine, engine.Engine)


def test_is_available_matches_cupy():
    try:
        import cupy
    except ImportError:
        assert not gpu.is_available()
        return
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:
        count = 0
    assert gpu.is_available() == (count > 0)


def test_cupy_engine_basics(cuda_engine):
    """On a GPU: copies, events and kernel launches on the engine's stream."""
    host = cuda_engine.pinned_empty(1000)
    host[:] = np.arange(1000) % 251
    on_device = cuda_engine.to_device(host)
    cuda_engine.wait_event(cuda_engine.record_event())
    np.testing.assert_array_equal(cuda_engine.to_host(on_device), host)
    assert cuda_engine.is_device_array(on_device) and not cuda_engine.is_device_array(host)
    assert "CUDA device" in device.describe_device(cuda_engine.device)
