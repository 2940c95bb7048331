"""Finding CuPy and a CUDA device, with errors that say what is missing.

CuPy is an optional dependency (``pip install dicomcore[cuda12]`` or
``dicomcore[cuda13]``): dicomcore imports and works on the CPU without it, and
only asking for the GPU raises. :func:`require_cupy` raises ImportError when
CuPy itself is absent or broken; :func:`resolve_device` raises RuntimeError
when CuPy is there but no usable CUDA device (or driver) is.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = [
    "INSTALL_HINT",
    "describe_device",
    "is_available",
    "parse_device",
    "require_cupy",
    "resolve_device",
]

#: How to get the GPU path, quoted in every "not available" error.
INSTALL_HINT = (
    "install CuPy for your CUDA version with 'pip install dicomcore[cuda12]' (CUDA 12) or "
    "'pip install dicomcore[cuda13]' (CUDA 13)"
)

_DEVICE_STRING = re.compile(r"^(?:cuda|gpu)(?::(\d+))?$")


def require_cupy() -> Any:
    """Return the ``cupy`` module, or raise ImportError saying how to install it.

    Raises
    ------
    ImportError
        If CuPy is not installed, or cannot be imported (for example a CuPy
        wheel built for another CUDA version); the message names the cause and
        the ``dicomcore[cuda12]`` / ``dicomcore[cuda13]`` extras.
    """
    try:
        return importlib.import_module("cupy")
    except ImportError as exc:
        missing = getattr(exc, "name", None) == "cupy" or "No module named 'cupy'" in str(exc)
        cause = "CuPy is not installed" if missing else f"CuPy could not be imported ({exc})"
        raise ImportError(f"dicomcore's GPU path needs CuPy: {cause}; {INSTALL_HINT}") from exc


def parse_device(device: Any) -> int | None:
    """Turn a ``device`` argument into a CUDA device index (None: the current device).

    Parameters
    ----------
    device : None, str, int or cupy.cuda.Device
        ``"cuda"`` (or ``"gpu"``) for the current device, ``"cuda:N"`` or ``N``
        for device N, or a ``cupy.cuda.Device`` (anything with an integer
        ``id``).

    Raises
    ------
    ValueError
        For a string that is not ``cuda``/``cuda:N`` (``"cpu"`` included: the
        GPU functions need a GPU) or a negative index.
    TypeError
        For any other type.
    """
    if device is None:
        return None
    if isinstance(device, bool):
        raise TypeError("device must be 'cuda', 'cuda:N', an index or a cupy.cuda.Device")
    if isinstance(device, int):
        index = device
    elif isinstance(device, str):
        match = _DEVICE_STRING.match(device.strip().lower())
        if match is None:
            raise ValueError(
                f"device {device!r} is not a CUDA device; use 'cuda', 'cuda:N' or an index"
            )
        return None if match.group(1) is None else int(match.group(1))
    elif isinstance(getattr(device, "id", None), int):
        index = device.id
    else:
        raise TypeError(
            f"device must be 'cuda', 'cuda:N', an index or a cupy.cuda.Device, not "
            f"{type(device).__name__}"
        )
    if index < 0:
        raise ValueError(f"a CUDA device index cannot be negative, not {index}")
    return index


def _device_count(cupy: Any) -> int:
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError: no driver, or the driver is too old
        raise RuntimeError(
            f"CuPy is installed but CUDA reports no usable device ({exc}); check the NVIDIA "
            f"driver, or that the CuPy package matches its CUDA version: {INSTALL_HINT}"
        ) from exc


def resolve_device(device: Any = None) -> Any:
    """Return the ``cupy.cuda.Device`` that ``device`` names, checking it exists.

    Parameters
    ----------
    device : None, str, int or cupy.cuda.Device
        As for :func:`parse_device`; None or ``"cuda"`` is CuPy's current device.

    Raises
    ------
    ImportError
        If CuPy is missing (see :func:`require_cupy`).
    RuntimeError
        If there is no CUDA device or driver, or the index is beyond the
        devices present.
    """
    index = parse_device(device)
    cupy = require_cupy()
    count = _device_count(cupy)
    if count == 0:
        raise RuntimeError(f"CuPy is installed but no CUDA device is present; {INSTALL_HINT}")
    if index is None:
        return cupy.cuda.Device()
    if index >= count:
        raise RuntimeError(
            f"CUDA device {index} was asked for but only {count} device"
            f"{'s are' if count > 1 else ' is'} present (0 to {count - 1})"
        )
    return cupy.cuda.Device(index)


def is_available() -> bool:
    """Return True when CuPy imports and at least one CUDA device is usable."""
    try:
        resolve_device(None)
    except (ImportError, RuntimeError):
        return False
    return True


def describe_device(device: Any = None) -> str:
    """A one-line description of the device (name, compute capability, memory)."""
    dev = resolve_device(device)
    cupy = require_cupy()
    props = cupy.cuda.runtime.getDeviceProperties(dev.id)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    memory = props["totalGlobalMem"] / 2**30
    capability = dev.compute_capability
    return f"CUDA device {dev.id}: {name}, compute capability {capability}, {memory:.0f} GiB"
