"""The CUDA kernel sources (``codecs/cuda/*.cu``) and their compiled modules.

Sources are found in the installed package (``dicomcore/gpu/kernels/``, where
the build copies them) or, in a source checkout, in ``codecs/cuda/``; the
environment variable ``DICOMCORE_CUDA_SOURCES`` names another directory. Each
``.cu`` file's ``#include "common.cuh"`` is replaced by the header's text, so
the source handed to NVRTC through ``cupy.RawModule`` is self-contained and
CuPy's compile cache is keyed on everything that was compiled.
"""

from __future__ import annotations

import os
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "COMPILE_OPTIONS",
    "MODULES",
    "get_function",
    "module_source",
    "source_directory",
]

#: The kernel modules, by the name of their file in ``codecs/cuda`` without ``.cu``.
MODULES: tuple[str, ...] = ("native", "processing", "rle")

#: NVRTC options (CuPy adds the architecture). Fused multiply-add is off so products
#: and sums round as NumPy's do and the GPU results equal the NumPy references. The
#: sources need only C++11, so NVRTC's default language standard will do.
COMPILE_OPTIONS: tuple[str, ...] = ("--fmad=false",)

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[ \t]*$', re.MULTILINE)


def source_directory() -> Path:
    """Return the directory holding the ``.cu`` sources.

    Raises
    ------
    FileNotFoundError
        If neither the installed copy nor a source checkout's ``codecs/cuda`` is
        there (a broken installation).
    """
    return _find_sources(Path(__file__).resolve().parent, os.environ.get("DICOMCORE_CUDA_SOURCES"))


def _find_sources(package: Path, override: str | None) -> Path:
    """The first of: ``override``, ``<package>/kernels`` (installed), ``codecs/cuda`` (checkout)."""
    candidates = [Path(override)] if override else []
    candidates += [package / "kernels", package.parents[1] / "codecs" / "cuda"]
    for candidate in candidates:
        if (candidate / "common.cuh").is_file():
            return candidate
    raise FileNotFoundError(
        "dicomcore's CUDA kernel sources were not found (looked in "
        f"{', '.join(str(c) for c in candidates)}); reinstall dicomcore"
    )


def _inline_includes(text: str, directory: Path, seen: frozenset[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:
            return ""  # already inlined; its include guard would skip it anyway
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} (included by a CUDA kernel source) is missing")
        return _inline_includes(path.read_text(), directory, seen | {name})

    return _INCLUDE.sub(replace, text)


@cache
def module_source(module: str) -> str:
    """Return the self-contained source text of kernel module ``module``.

    Parameters
    ----------
    module : str
        One of :data:`MODULES`.
    """
    if module not in MODULES:
        raise ValueError(f"unknown kernel module {module!r}; expected one of {MODULES}")
    directory = source_directory()
    return _inline_includes((directory / f"{module}.cu").read_text(), directory, frozenset())


_modules: dict[tuple[str, int], Any] = {}
_modules_lock = threading.Lock()


def get_function(module: str, kernel: str, device_id: int) -> Any:
    """Return ``kernel`` of ``module`` compiled for device ``device_id`` (a ``cupy.RawKernel``).

    Compiled once per process and device (and cached on disk by CuPy); the
    caller must have ``device_id`` current.
    """
    from dicomcore.gpu.device import require_cupy

    key = (module, device_id)
    with _modules_lock:
        raw = _modules.get(key)
        if raw is None:
            cupy = require_cupy()
            raw = cupy.RawModule(code=module_source(module), options=COMPILE_OPTIONS)
            _modules[key] = raw
    return raw.get_function(kernel)
