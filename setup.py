"""Build script for dicomcore's Cython extensions.

Each extension is declared once in ``EXTENSIONS``. An extension that needs an
optional native library names its pkg-config package; when pkg-config cannot
find it, the extension is skipped with a line saying what to install, and the
codec then raises an ImportError naming the same package at run time.

``DICOMCORE_ONLY=name1,name2`` builds only the extensions whose module name
contains one of the given words (handy while working on one codec).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).parent


@dataclass
class NativeLibrary:
    pkg_config: str
    min_version: str
    debian_package: str
    #: A header that proves the library is there when its .pc file has no
    #: version (Debian's openjph 0.9 ships one with an empty Version field).
    header: str = ""


@dataclass
class ExtensionSpec:
    module: str
    sources: list[str]
    library: NativeLibrary | None = None
    language: str = "c"
    include_dirs: list[str] = field(default_factory=list)


CHARLS = NativeLibrary("charls", "2.2", "libcharls-dev")
OPENJPEG = NativeLibrary("libopenjp2", "2.5", "libopenjp2-7-dev")
OPENJPH = NativeLibrary("openjph", "0.9", "libopenjph-dev", header="openjph/ojph_version.h")

EXTENSIONS = [
    ExtensionSpec("dicomcore._scan", ["dicomcore/_scan.pyx"]),
    ExtensionSpec("dicomcore._values", ["dicomcore/_values.pyx"]),
    ExtensionSpec(
        "dicomcore.codecs._rle",
        ["dicomcore/codecs/_rle.pyx", "codecs/rle/rle.c"],
        include_dirs=["codecs/rle"],
    ),
    ExtensionSpec("dicomcore.codecs._jpegls", ["dicomcore/codecs/_jpegls.pyx"], CHARLS),
    ExtensionSpec("dicomcore.codecs._openjpeg", ["dicomcore/codecs/_openjpeg.pyx"], OPENJPEG),
    ExtensionSpec(
        "dicomcore.codecs._openjph",
        ["dicomcore/codecs/_openjph.pyx"],
        OPENJPH,
        language="c++",
    ),
    ExtensionSpec(
        "dicomcore.pixels._unpack",
        ["dicomcore/pixels/_unpack.pyx", "codecs/unpack/unpack.c"],
        include_dirs=["codecs/unpack"],
    ),
]


def pkg_config(library: NativeLibrary) -> dict[str, list[str]] | None:
    """Return compiler and linker flags for ``library``, or None if it is missing."""
    if shutil.which("pkg-config") is None:
        return None
    name = library.pkg_config
    check = [
        "pkg-config",
        "--exists",
        f"{name} >= {library.min_version}",
    ]
    if subprocess.run(check).returncode != 0 and not _unversioned_but_present(library):
        return None

    def flags(option: str) -> list[str]:
        out = subprocess.run(["pkg-config", option, name], capture_output=True, text=True)
        return out.stdout.split()

    cflags = flags("--cflags")
    libs = flags("--libs")
    return {
        "include_dirs": [f[2:] for f in cflags if f.startswith("-I")],
        "extra_compile_args": [f for f in cflags if not f.startswith("-I")],
        "library_dirs": [f[2:] for f in libs if f.startswith("-L")],
        "libraries": [f[2:] for f in libs if f.startswith("-l")],
    }


def _unversioned_but_present(library: NativeLibrary) -> bool:
    """True for a library whose .pc file exists with an empty version, and whose header is there."""
    if not library.header:
        return False
    name = library.pkg_config
    if subprocess.run(["pkg-config", "--exists", name]).returncode != 0:
        return False
    version = subprocess.run(["pkg-config", "--modversion", name], capture_output=True, text=True)
    if version.stdout.strip():
        return False  # a real version that is too old
    cflags = subprocess.run(["pkg-config", "--cflags", name], capture_output=True, text=True)
    include_dirs = [f[2:] for f in cflags.stdout.split() if f.startswith("-I")]
    return any((Path(d) / library.header).exists() for d in [*include_dirs, "/usr/include",
                                                             "/usr/local/include"])


def wanted(spec: ExtensionSpec) -> bool:
    only = os.environ.get("DICOMCORE_ONLY", "").strip()
    if not only:
        return True
    return any(word.strip() and word.strip() in spec.module for word in only.split(","))


def build_extensions() -> list[Extension]:
    optimise = ["-O3"] if sys.platform != "win32" else ["/O2"]
    extensions = []
    for spec in EXTENSIONS:
        if not wanted(spec):
            continue
        if not all((ROOT / source).exists() for source in spec.sources):
            continue
        kwargs: dict[str, list[str]] = {
            "include_dirs": [numpy.get_include(), *spec.include_dirs],
            "extra_compile_args": list(optimise),
            "library_dirs": [],
            "libraries": [],
        }
        if spec.library is not None:
            found = pkg_config(spec.library)
            if found is None:
                print(
                    f"dicomcore: skipping {spec.module}: pkg-config cannot find "
                    f"'{spec.library.pkg_config} >= {spec.library.min_version}' "
                    f"(on Debian: apt-get install {spec.library.debian_package})",
                    file=sys.stderr,
                )
                continue
            for key, values in found.items():
                kwargs[key].extend(values)
        if spec.language == "c++":
            kwargs["extra_compile_args"].append("-std=c++17")
        extensions.append(
            Extension(
                spec.module,
                spec.sources,
                language=spec.language,
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                **kwargs,
            )
        )
    return cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
        },
    )


# The GPU path's CUDA kernel sources (compiled at run time by NVRTC through CuPy) ship
# inside the package, in dicomcore/gpu/kernels, where dicomcore.gpu.kernels finds them.
CUDA_SOURCES = ROOT / "codecs" / "cuda"
CUDA_PACKAGE_DIR = Path("dicomcore") / "gpu" / "kernels"


def cuda_sources() -> list[Path]:
    return sorted(p for p in CUDA_SOURCES.glob("*.cu*") if p.suffix in (".cu", ".cuh"))


class BuildPyWithKernels(build_py):
    """build_py that also copies codecs/cuda/*.cu and *.cuh into dicomcore/gpu/kernels."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install loads them from codecs/cuda in the checkout
        target = Path(self.build_lib) / CUDA_PACKAGE_DIR
        self.mkpath(str(target))
        for source in cuda_sources():
            self.copy_file(str(source), str(target / source.name))


class SdistWithKernels(sdist):
    """sdist that also carries codecs/cuda, for wheels built from it."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        target = Path(base_dir) / CUDA_SOURCES.relative_to(ROOT)
        self.mkpath(str(target))
        for source in cuda_sources():
            self.copy_file(str(source), str(target / source.name))


setup(
    ext_modules=build_extensions(),
    cmdclass={"build_py": BuildPyWithKernels, "sdist": SdistWithKernels},
)
