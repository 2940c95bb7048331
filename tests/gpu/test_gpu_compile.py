"""The CUDA kernel sources compile, are found, and ship with the package.

With ``nvcc`` on the machine every ``codecs/cuda/*.cu`` file is compiled for a
current architecture (``nvcc -c``), and so is the self-contained text the
loader hands to NVRTC, so a kernel that does not compile fails here even
without a GPU. The host C++ build the CPU emulation uses is checked too.
"""

from __future__ import annotations

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
