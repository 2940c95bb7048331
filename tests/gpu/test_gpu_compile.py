"""The CUDA kernel sources compile, are found, and ship with the package.

The self-contained text the loader hands to ``cupy.RawModule`` is compiled
with NVRTC, the compiler CuPy uses at run time (the ``test`` extra installs it
from the ``nvidia-cuda-nvrtc-cu12`` wheel on x86-64 Linux; no GPU or driver is
needed to compile), so a kernel that does not compile fails here even without a
GPU. With ``nvcc`` on the machine every ``codecs/cuda/*.cu`` file is compiled
as well (``nvcc -c``). The host C++ build the CPU emulation uses is checked too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import gpu_emulation
import pytest

from dicomcore.gpu import kernels

ROOT = Path(__file__).resolve().parents[2]
CUDA_DIR = ROOT / "codecs" / "cuda"
CU_FILES = sorted(CUDA_DIR.glob("*.cu"))
NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not on PATH")


def _nvcc(source: Path, output: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NVCC, *flags, "-Werror", "all-warnings", "-o", str(output), str(source)],
        capture_output=True,
        text=True,
    )


def test_every_module_has_a_source():
    assert {p.stem for p in CU_FILES} == set(kernels.MODULES)


@needs_nvcc
@pytest.mark.parametrize("source", CU_FILES, ids=lambda p: p.name)
def test_nvcc_compiles_each_source(source, tmp_path):
    result = _nvcc(source, tmp_path / "kernel.o", "-c", "-arch=sm_80")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kernel.o").stat().st_size > 0


# Every kernel the Python modules launch, by module.
LAUNCHED = {
    "rle": ["dc_rle_walk", "dc_rle_expand"] + [f"dc_rle_interleave_u{b}" for b in (8, 16, 32, 64)],
    "native": ["dc_unpack_bits1"]
    + [f"dc_unpack_u{b}" for b in (8, 16, 32, 64)]
    + [f"dc_expand_ybr422_u{b}" for b in (8, 16, 32, 64)],
    "processing": ["dc_ybr_full_to_rgb_u8", "dc_rgb_to_ybr_full_u8"]
    + [
        f"dc_transform_{i}_{o}"
        for i in ("u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64")
        for o in ("f16", "f32", "f64")
    ],
}


@needs_nvcc
@pytest.mark.parametrize("module", kernels.MODULES)
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_nvcc_compiles_what_nvrtc_is_given(module, arch, tmp_path):
    """The loader's inlined text, with its NVRTC options, as device code for A100 and H100."""
    source = tmp_path / f"{module}.cu"
    source.write_text(kernels.module_source(module))
    cubin = tmp_path / f"{module}.cubin"
    result = _nvcc(source, cubin, "--cubin", f"-arch={arch}", *kernels.COMPILE_OPTIONS)
    assert result.returncode == 0, result.stderr
    image = cubin.read_bytes()
    for name in LAUNCHED[module]:
        assert name.encode() + b"\0" in image, f"{name} is not in the {arch} build of {module}.cu"


def _nvrtc_library() -> ctypes.CDLL | None:
    """libnvrtc from the nvidia-cuda-nvrtc wheel, else from the system, else None."""
    candidates = []
    spec = importlib.util.find_spec("nvidia.cuda_nvrtc")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates += sorted(Path(location, "lib").glob("libnvrtc.so.*"))
    system = ctypes.util.find_library("nvrtc")
    if system:
        candidates.append(Path(system))
    for candidate in candidates:
        try:
            return ctypes.CDLL(str(candidate))
        except OSError:
            continue
    return None


NVRTC = _nvrtc_library()
needs_nvrtc = pytest.mark.skipif(
    NVRTC is None, reason="NVRTC is not installed (the test extra installs nvidia-cuda-nvrtc-cu12)"
)


def _nvrtc_cubin(source: str, name: str, options: list[str]) -> tuple[int, str, bytes]:
    """Compile ``source`` with NVRTC: (result code, compiler log, cubin)."""
    program = ctypes.c_void_p()
    code = NVRTC.nvrtcCreateProgram(
        ctypes.byref(program), source.encode(), name.encode(), 0, None, None
    )
    assert code == 0, f"nvrtcCreateProgram failed ({code})"
    try:
        encoded = [option.encode() for option in options]
        code = NVRTC.nvrtcCompileProgram(
            program, len(encoded), (ctypes.c_char_p * len(encoded))(*encoded)
        )
        size = ctypes.c_size_t()
        NVRTC.nvrtcGetProgramLogSize(program, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        NVRTC.nvrtcGetProgramLog(program, log)
        cubin = b""
        if code == 0:
            NVRTC.nvrtcGetCUBINSize(program, ctypes.byref(size))
            image = ctypes.create_string_buffer(size.value)
            NVRTC.nvrtcGetCUBIN(program, image)
            cubin = image.raw
        return code, log.value.decode(errors="replace"), cubin
    finally:
        NVRTC.nvrtcDestroyProgram(ctypes.byref(program))


@needs_nvrtc
@pytest.mark.parametrize("module", kernels.MODULES)
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_nvrtc_compiles_what_cupy_is_given(module, arch):
    """What ``cupy.RawModule`` compiles at run time, as device code for A100 and H100."""
    code, log, cubin = _nvrtc_cubin(
        kernels.module_source(module),
        f"{module}.cu",
        [f"--gpu-architecture={arch}", *kernels.COMPILE_OPTIONS],
    )
    assert code == 0, log
    for name in LAUNCHED[module]:
        assert name.encode() + b"\0" in cubin, f"{name} is not in the {arch} build of {module}.cu"


@needs_nvrtc
def test_nvrtc_reports_a_kernel_that_does_not_compile():
    code, log, _ = _nvrtc_cubin(
        'extern "C" __global__ void broken(int* out) { out[0] = undeclared; }',
        "broken.cu",
        ["--gpu-architecture=sm_80"],
    )
    assert code != 0
    assert "undeclared" in log


def test_host_build_has_every_launched_kernel(host_engine):
    for module, names in LAUNCHED.items():
        for name in names:
            assert hasattr(host_engine.libraries[module], name)


def test_inlined_source_is_self_contained():
    for module in kernels.MODULES:
        text = kernels.module_source(module)
        assert not re.search(r'^\s*#\s*include\s*"', text, re.MULTILINE)
        assert "DICOMCORE_CUDA_COMMON_CUH" in text
        # NVRTC has no standard headers: the only one is in the host-emulation branch.
        device_part = text.split("#else", 1)[0]
        assert not re.search(r"^\s*#\s*include\s*<", device_part, re.MULTILINE)


def test_host_emulation_builds_without_warnings(tmp_path):
    if gpu_emulation.compiler() is None:
        pytest.fail("a C++ compiler is needed to check the kernels without a GPU")
    libraries = gpu_emulation.build(tmp_path)
    assert set(libraries) == set(kernels.MODULES)
    assert hasattr(libraries["rle"], "dc_rle_walk")


def test_sources_are_found(tmp_path, monkeypatch):
    assert kernels.source_directory() == CUDA_DIR  # a source checkout
    installed = tmp_path / "site" / "dicomcore" / "gpu"
    (installed / "kernels").mkdir(parents=True)
    (installed / "kernels" / "common.cuh").write_text("// installed copy\n")
    assert kernels._find_sources(installed, None) == installed / "kernels"
    assert kernels._find_sources(installed, str(CUDA_DIR)) == CUDA_DIR
    with pytest.raises(FileNotFoundError, match="reinstall dicomcore"):
        kernels._find_sources(tmp_path / "nowhere" / "dicomcore" / "gpu", None)
    with pytest.raises(ValueError, match="unknown kernel module"):
        kernels.module_source("jpeg")


def test_build_copies_the_sources_into_the_package(tmp_path):
    """setup.py's build_py puts codecs/cuda into dicomcore/gpu/kernels, as the loader expects."""
    env = dict(os.environ, DICOMCORE_ONLY="no-extension-has-this-name")
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path / "lib")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    copied = tmp_path / "lib" / "dicomcore" / "gpu" / "kernels"
    for source in [*CU_FILES, CUDA_DIR / "common.cuh"]:
        assert (copied / source.name).read_bytes() == source.read_bytes()
    assert kernels._find_sources(copied.parent, None) == copied
