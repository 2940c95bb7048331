"""The demo's checks: a codec that goes wrong or is missing is reported, not hidden."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dicomcore.cli import demo
from dicomcore.cli.convert import SYNTAXES
from dicomcore.filereader import dcmread
from dicomcore.pixels import registry
from dicomcore.synthetic import ct_study


@pytest.fixture
def study(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    paths = ct_study(tmp_path / "study", slices=2, size=64)
    return tmp_path / "study", {p.name: dcmread(p).pixel_array.copy() for p in paths}


def test_write_back_is_byte_identical(tmp_path: Path, study) -> None:
    folder, _ = study
    rows, failures = demo.write_back_check(sorted(folder.iterdir()), tmp_path / "written")
    assert failures == 0
    assert [row[-1] for row in rows] == ["byte-identical"] * 2
    for path in folder.iterdir():
        assert (tmp_path / "written" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", ["rle", "jpeg-ls-near", "htj2k-lossy"])
def test_a_round_trip_is_checked(tmp_path: Path, study, name: str) -> None:
    folder, originals = study
    row = demo.codec_round_trip(folder, tmp_path / "work", SYNTAXES[name], originals, 1, 4095.0)
    assert row.ok and row.available
    assert row.bytes_out == sum(p.stat().st_size for p in (tmp_path / "work" / name).iterdir())
    assert row.ratio > 1
    assert row.compress_mb_s > 0 and row.decompress_mb_s > 0
    expected = {"rle": "exact", "jpeg-ls-near": "max error 2 <= 2"}.get(name)
    assert row.check == expected if expected else row.check.startswith("PSNR >= ")


def test_a_mismatch_fails_the_row(tmp_path: Path, study) -> None:
    folder, originals = study
    wrong = {name: array + 1 for name, array in originals.items()}
    row = demo.codec_round_trip(folder, tmp_path / "work", SYNTAXES["rle"], wrong, 1, 4095.0)
    assert not row.ok
    assert row.check.startswith("FAILED verify: lossless output differs")


def test_a_missing_codec_is_listed_with_what_to_install(tmp_path: Path, study,
                                                         monkeypatch) -> None:
    folder, originals = study
    plugin = next(p for p in registry.registered_plugins()
                  if SYNTAXES["jpeg-ls"].uid in p.encodes)
    monkeypatch.setattr(type(plugin), "is_available", lambda self: False)
    row = demo.codec_round_trip(folder, tmp_path / "work", SYNTAXES["jpeg-ls"], originals, 1,
                                4095.0)
    assert (row.ok, row.available) == (True, False)
    assert row.check.startswith("not available: ")
    assert "libcharls" in row.check


class _WrongRLE:
    """An RLE encoder writing valid streams of the wrong pixels (every sample + 1)."""

    name = "wrong-rle"
    decodes: tuple[str, ...] = ()
    encodes = (SYNTAXES["rle"].uid,)
    install_hint = ""

    def is_available(self) -> bool:
        return True

    def encode(self, arr, layout, transfer_syntax, options, threads):
        real = next(p for p in registry.registered_plugins()
                    if transfer_syntax in p.encodes and p.name != self.name)
        return real.encode(arr + 1, layout, transfer_syntax, options, threads)


def test_the_demo_exits_1_when_a_codec_is_wrong(capsys) -> None:
    from dicomcore.cli import main

    registry.register_plugin(_WrongRLE(), first=True)
    try:
        status = main(["demo", "--slices", "2", "--size", "64", "--workers", "1"])
    finally:
        registry.unregister_plugin(_WrongRLE.name)
    out = capsys.readouterr().out
    assert status == 1
    rle = next(line for line in out.splitlines() if line.startswith("rle "))
    assert "FAILED verify: lossless output differs" in rle
    available = sum(not demo._available(target.uid) for target in SYNTAXES.values())
    assert f"{available - 1} of {available} available codecs verified" in out
    assert out.rstrip().endswith("DEMO FAILED")
