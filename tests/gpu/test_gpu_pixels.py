"""``dicomcore.pixels.pixel_array`` / ``iter_pixels`` with ``device=``: same values as the CPU."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from gpu_files import params, with_syntax

from dicomcore.pixels import iter_pixels, pixel_array

FILES = with_syntax("1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2")[:12]


def _host(arr):
    return arr.get() if hasattr(arr, "get") else np.asarray(arr)


@pytest.mark.parametrize("path", params(FILES))
def test_pixel_array_on_a_device_equals_the_cpu(path, engine) -> None:
    try:
        expected = pixel_array(path)
    except ValueError:
        # Damaged pixel data (too short): the device path refuses it too.
        with pytest.raises(ValueError):
            pixel_array(path, device=engine)
        return
    assert np.array_equal(_host(pixel_array(path, device=engine)), expected)
    first = pixel_array(path, index=0)
    assert np.array_equal(_host(pixel_array(path, index=0, device=engine)), first)


@pytest.mark.parametrize("path", params(FILES[:4]))
def test_iter_pixels_on_a_device_equals_the_cpu(path, engine) -> None:
    on_cpu = list(iter_pixels(path))
    on_device = [_host(frame) for frame in iter_pixels(path, device=engine)]
    assert len(on_device) == len(on_cpu)
    assert all(np.array_equal(a, b) for a, b in zip(on_device, on_cpu))


def test_asking_for_cuda_without_cupy_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # as if CuPy were not installed
    with pytest.raises(ImportError, match=r"dicomcore\[cuda1[23]\]"):
        pixel_array(FILES[0], device="cuda")
