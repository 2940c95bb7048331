"""Where the real DICOM test files live.

pydicom's wheel ships ``pydicom/data/test_files`` and ``charset_files``; the
``pydicom-data`` package ships larger files in ``data_store/data``. They are
found through ``importlib`` so the tests never hard-code a site-packages path,
and they are read-only inputs: tests write only into ``tmp_path``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _dicom_files(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    return sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() not in {".txt", ".json", ".py", ".pyc", ".gz", ".bz2", ".zip", ".md"}
    )


def pydicom_data_dir() -> Path | None:
    pkg = _package_dir("pydicom")
    return None if pkg is None else pkg / "data"


def test_files() -> list[Path]:
    """Files in ``pydicom/data/test_files`` (every kind, including non-DICOM ones)."""
    base = pydicom_data_dir()
    return _dicom_files(None if base is None else base / "test_files")


def charset_files() -> list[Path]:
    base = pydicom_data_dir()
    return _dicom_files(None if base is None else base / "charset_files")


def data_store_files() -> list[Path]:
    """Files in pydicom-data's ``data_store/data``."""
    pkg = _package_dir("data_store")
    return _dicom_files(None if pkg is None else pkg / "data")


def all_files() -> list[Path]:
    return test_files() + charset_files() + data_store_files()


def file_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def get(name: str) -> Path:
    """The first real file called ``name`` (for tests that need one specific file)."""
    for path in all_files():
        if path.name == name:
            return path
    raise FileNotFoundError(f"test file {name!r} not found; install the test extras")
