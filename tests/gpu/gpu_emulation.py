"""Run dicomcore's CUDA kernels on the CPU, for machines without a GPU.

Every kernel in ``codecs/cuda`` is a grid-stride loop whose iterations are
independent (see ``common.cuh``), so compiling a ``.cu`` file with a plain C++
compiler turns each ``extern "C"`` kernel into a function that performs all
iterations in turn. :class:`HostEngine` implements dicomcore.gpu's Engine
interface on NumPy arrays with those functions, so the whole GPU pipeline (the
Python orchestration and the kernel code itself) runs and is checked here.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dicomcore.gpu import kernels

CXX_FLAGS = [
    "-x",
    "c++",
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-shared",
    "-ffp-contract=off",
    "-Wall",
    "-Werror",
]


def compiler() -> str | None:
    """The C++ compiler to build the emulation with, or None."""
    for name in ("g++", "c++", "clang++"):
        if shutil.which(name):
            return name
    return None


def build(directory: Path) -> dict[str, ctypes.CDLL]:
    """Compile every kernel module as host code into ``directory``; load them."""
    cxx = compiler()
    if cxx is None:
        raise RuntimeError("no C++ compiler to build the kernel emulation with")
    libraries = {}
    for module in kernels.MODULES:
        source = kernels.module_source(module)
        digest = hashlib.sha256(source.encode()).hexdigest()[:16]
        path = directory / f"{module}-{digest}.so"
        if not path.exists():
            source_path = directory / f"{module}-{digest}.cu"
            source_path.write_text(source)
            subprocess.run([cxx, *CXX_FLAGS, "-o", str(path), str(source_path)], check=True)
        libraries[module] = ctypes.CDLL(str(path))
    return libraries


def _argument(value: Any) -> Any:
    """The ctypes value of a kernel argument; only the types CuPy maps exactly are allowed."""
    if isinstance(value, np.ndarray):
        if not value.flags.c_contiguous:
            raise ValueError("kernel arrays must be C-contiguous")
        return ctypes.c_void_p(value.ctypes.data)
    if isinstance(value, np.int64):
        return ctypes.c_int64(int(value))
    if isinstance(value, np.int32):
        return ctypes.c_int32(int(value))
    if isinstance(value, np.float64):
        return ctypes.c_double(float(value))
    if isinstance(value, np.float32):
        return ctypes.c_float(float(value))
    # A Python int or float would be passed with a guessed width by CuPy.
    raise TypeError(f"kernel argument of type {type(value).__name__}: use a NumPy scalar type")


class HostEngine:
    """dicomcore.gpu's Engine interface, on the CPU, with NumPy arrays as device arrays."""

    xp = np

    def __init__(self, libraries: dict[str, ctypes.CDLL]) -> None:
        self.libraries = libraries
        self.launches: list[tuple[str, str, int]] = []
        self.pinned_bytes = 0

    def __repr__(self) -> str:
        return "HostEngine()"

    def activate(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def launch(
        self, module: str, kernel: str, count: int, args: Sequence[Any], block: int | None = None
    ) -> None:
        function = getattr(self.libraries[module], kernel)
        function.restype = None
        self.launches.append((module, kernel, count))
        if count > 0:
            function(*[_argument(a) for a in args])

    def pinned_empty(self, nbytes: int) -> np.ndarray:
        self.pinned_bytes += nbytes
        return np.empty(nbytes, dtype=np.uint8)

    def to_device(self, host: np.ndarray, out: Any = None) -> Any:
        if out is None:
            return np.array(host, copy=True)
        if out.shape != host.shape or out.dtype != host.dtype:
            raise ValueError(f"copy of {host.shape} {host.dtype} into {out.shape} {out.dtype}")
        out[...] = host
        return out

    def to_host(self, arr: Any) -> np.ndarray:
        return np.array(arr, copy=True)

    def record_event(self) -> Any:
        return None

    def wait_event(self, event: Any) -> None:
        return None

    def synchronize(self) -> None:
        return None

    def is_device_array(self, obj: Any) -> bool:
        return isinstance(obj, np.ndarray)
