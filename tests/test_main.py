"""The entry points: ``python -m dicomcore`` and the ``dicomcore`` console script."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import datafiles
import dicomcore.__main__
from dicomcore.cli import main

REPOSITORY = Path(__file__).resolve().parents[1]


def test_the_console_script_is_main() -> None:
    # (tomllib is not in Python 3.10, which the package supports)
    text = (REPOSITORY / "pyproject.toml").read_text()
    scripts = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    module, name = re.search(r'^dicomcore = "([\w.]+):(\w+)"$', scripts, re.M).groups()
    assert getattr(importlib.import_module(module), name) is main
    assert dicomcore.__main__.main is main


def test_main_returns_the_exit_status(capsys) -> None:
    assert main(["info", str(datafiles.get("MR_small.dcm"))]) == 0
    assert "MR_small.dcm" in capsys.readouterr().out
    assert main(["info", str(REPOSITORY / "pyproject.toml")]) == 1
    with pytest.raises(SystemExit) as stop:
        main(["compress"])
    assert stop.value.code == 2


def test_python_m_dicomcore() -> None:
    result = subprocess.run([sys.executable, "-m", "dicomcore"], cwd=REPOSITORY,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "usage: dicomcore" in result.stderr
    assert "the following arguments are required: COMMAND" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "dicomcore", "info", str(datafiles.get("CT_small.dcm"))],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[1].split()[1:] == [
        "ExplicitVRLittleEndian", "39206", "1", "128x128", "16/16", "MONOCHROME2"]


def test_the_top_level_names_match_pydicom() -> None:
    import pydicom

    import dicomcore

    assert set(pydicom.__all__) - set(dicomcore.__all__) == {"__concepts_version__"}
    assert dicomcore.pixel_array is dicomcore.pixels.pixel_array
    assert dicomcore.iter_pixels is dicomcore.pixels.iter_pixels
    assert re.fullmatch(r"20\d\d[a-e]", dicomcore.__dicom_version__)
    with pytest.raises(AttributeError, match="no attribute 'pixel_arrays'"):
        dicomcore.pixel_arrays  # noqa: B018


def test_submodules_are_attributes_as_in_pydicom() -> None:
    # pydicom imports these on ``import pydicom``; code reaches them as attributes.
    code = (
        "import sys, dicomcore as pydicom\n"
        "assert 'dicomcore.uid' not in sys.modules\n"
        "assert pydicom.uid.ExplicitVRLittleEndian == '1.2.840.10008.1.2.1'\n"
        "assert pydicom.encaps.encapsulate([b'ab']).startswith(b'\\xfe\\xff\\x00\\xe0')\n"
        "assert pydicom.jsonrep.__name__ == 'dicomcore.jsonrep'\n"
        "assert callable(pydicom.pixels.pixel_array)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPOSITORY)


def test_importing_dicomcore_does_not_import_numpy() -> None:
    # The pixel functions are loaded on first use, so a header-only user
    # (and the console script's start) does not pay for NumPy.
    code = "import sys, dicomcore; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPOSITORY)
    assert result.stdout.strip() == "False"
