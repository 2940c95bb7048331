"""Converting one file: every syntax on real files, checked with pydicom 3; failures."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from cli_support import (
    COMPRESSED_FILES,
    NATIVE_FILES,
    copy_real_files,
    corrupt_copy,
    not_dicom,
    temporary_leftovers,
)
from pydicom.pixels import pixel_array as pydicom_pixels

import datafiles
from dicomcore.cli.batch import converting
from dicomcore.cli.convert import (
    SYNTAXES,
    ConvertOptions,
    FileResult,
    VerificationError,
    compare_pixels,
    convert_file,
)
from dicomcore.cli.files import plan_jobs
from dicomcore.pixels import registry
from dicomcore.uid import RLELossless

LOSSLESS_INPUTS = {**NATIVE_FILES, **COMPRESSED_FILES}
DEFAULTS = {"jls_error": 2, "j2k_cr": (10.0,), "quantization_step": 0.002}


@pytest.fixture(autouse=True)
def _warnings_per_file():
    with converting():
        yield


def options_for(name: str | None, **changes) -> ConvertOptions:
    target = SYNTAXES[name] if name else None
    settings = {
        "jls_error": DEFAULTS["jls_error"] if name == "jpeg-ls-near" else None,
        "j2k_cr": DEFAULTS["j2k_cr"] if name == "j2k-lossy" else None,
        "quantization_step": DEFAULTS["quantization_step"] if name == "htj2k-lossy" else None,
        "verify": True,
    }
    settings.update(changes)
    return ConvertOptions(target=target, **settings)


def convert(source: Path, target: Path, options: ConvertOptions) -> FileResult:
    jobs, inputs = plan_jobs(source, target)
    return convert_file(jobs[0], options, inputs)


def oracle(path: Path) -> np.ndarray:
    """pydicom 3's decoding, samples as stored (no YBR to RGB conversion)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom_pixels(path, raw=True)


def test_compare_pixels_on_a_real_image() -> None:
    image = oracle(datafiles.get("CT_small.dcm"))
    assert compare_pixels(image, image.copy(), "lossless") == ("exact", 0.0, None)

    changed = image.copy()
    changed[17, 99] += 1
    with pytest.raises(VerificationError, match=r"max error 1, first at index \(17, 99\)"):
        compare_pixels(image, changed, "lossless")

    rng = np.random.default_rng(5)
    noisy = image + rng.integers(-2, 3, image.shape).astype(image.dtype)
    verdict, worst, _ = compare_pixels(image, noisy, "near-lossless", bound=2)
    assert (verdict, worst) == ("max error 2", 2.0)
    with pytest.raises(VerificationError, match="error 2, more than the allowed 1"):
        compare_pixels(image, noisy, "near-lossless", bound=1)

    peak = 2.0**16 - 1
    verdict, _, psnr = compare_pixels(image, noisy, "lossy", peak=peak)
    mse = np.mean((image.astype(np.float64) - noisy) ** 2)
    assert psnr == pytest.approx(10 * math.log10(peak**2 / mse))
    assert verdict == f"PSNR {psnr:.1f} dB"

    with pytest.raises(VerificationError, match=r"shape \(64, 128\), the input to \(128, 128\)"):
        compare_pixels(image, image[::2], "lossless")


def test_compare_pixels_in_pieces_finds_a_late_difference() -> None:
    image = np.zeros((3, 1024, 1024), dtype=np.uint16)
    changed = image.copy()
    changed[2, 1000, 3] = 7
    with pytest.raises(VerificationError, match=r"max error 7, first at index \(2, 1000, 3\)"):
        compare_pixels(image, changed, "lossless")


@pytest.mark.parametrize("relative", sorted(LOSSLESS_INPUTS))
@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
def test_every_syntax_on_real_files(tmp_path: Path, syntax: str, relative: str) -> None:
    source = copy_real_files(tmp_path / "in", {relative: LOSSLESS_INPUTS[relative]})[relative]
    target = tmp_path / "out" / relative
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = pydicom.dcmread(source)
    result = convert(source, target, options_for(syntax))
    kind = SYNTAXES[syntax].kind
    assert temporary_leftovers(tmp_path) == []

    if before.file_meta.TransferSyntaxUID == SYNTAXES[syntax].uid:
        assert (result.status, result.reason) == ("copied", f"already {SYNTAXES[syntax].uid.name}")
        assert target.read_bytes() == source.read_bytes()
        return
    assert result.status == "converted", result.reason
    assert result.bytes_out == target.stat().st_size
    assert result.bytes_in == source.stat().st_size

    after = pydicom.dcmread(target)
    assert after.file_meta.TransferSyntaxUID == SYNTAXES[syntax].uid
    if syntax == "deflate":
        # pydicom 3.0 has no decoder for Deflated Image Frame Compression.
        from dicomcore.pixels import pixel_array

        decoded = pixel_array(target, raw=True)
    else:
        decoded = oracle(target)
    original = oracle(source)
    if after.PhotometricInterpretation != before.PhotometricInterpretation:
        # The codec took RGB to YBR_RCT (reversible); compare as RGB.
        original, decoded = pydicom_pixels(source), pydicom_pixels(target)
    assert decoded.shape == original.shape
    error = np.abs(decoded.astype(np.float64) - original)
    if kind == "lossless":
        assert result.verified == "exact"
        assert not error.any()
        assert after.SOPInstanceUID == before.SOPInstanceUID
    elif kind == "near-lossless":
        assert error.max() <= DEFAULTS["jls_error"]
        assert result.max_error == error.max()
        assert after.SOPInstanceUID == before.SOPInstanceUID
    else:
        peak = 2.0 ** int(before.BitsStored) - 1
        mse = float(np.mean(error**2))
        expected = math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)
        assert result.psnr == pytest.approx(expected, rel=1e-6)
        assert result.verified.startswith("PSNR ")
        # Lossy coding makes a new image (PS3.3 C.7.6.1.1.5).
        assert after.SOPInstanceUID != before.SOPInstanceUID
        assert after.LossyImageCompression == "01"


@pytest.mark.parametrize("relative", sorted(COMPRESSED_FILES))
def test_decompress_real_files(tmp_path: Path, relative: str) -> None:
    source = copy_real_files(tmp_path, {relative: COMPRESSED_FILES[relative]})[relative]
    target = tmp_path / "out.dcm"
    result = convert(source, target, options_for(None))
    assert (result.status, result.verified) == ("converted", "exact")
    after = pydicom.dcmread(target)
    assert after.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    np.testing.assert_array_equal(oracle(target), oracle(source))
    assert after.SOPInstanceUID == pydicom.dcmread(source).SOPInstanceUID


@pytest.mark.parametrize("relative", sorted(NATIVE_FILES))
def test_decompress_copies_native_files_unchanged(tmp_path: Path, relative: str) -> None:
    source = copy_real_files(tmp_path, {relative: NATIVE_FILES[relative]})[relative]
    result = convert(source, tmp_path / "out.dcm", options_for(None))
    assert (result.status, result.reason) == ("copied", "pixel data already uncompressed")
    assert (tmp_path / "out.dcm").read_bytes() == source.read_bytes()


def test_a_file_without_pixel_data_is_copied(tmp_path: Path) -> None:
    source = datafiles.get("rtplan.dcm")
    result = convert(source, tmp_path / "rtplan.dcm", options_for("jpeg-ls"))
    assert (result.status, result.reason) == ("copied", "no (7FE0,0010) Pixel Data")
    assert (tmp_path / "rtplan.dcm").read_bytes() == source.read_bytes()
    assert result.verified == ""


def test_a_jpeg_input_is_transcoded(tmp_path: Path) -> None:
    """Lossy JPEG in, lossless JPEG-LS out: exactly what dicomcore decoded from the JPEG."""
    from dicomcore.pixels import pixel_array

    source = datafiles.get("SC_rgb_jpeg_dcmtk.dcm")
    result = convert(source, tmp_path / "out.dcm", options_for("jpeg-ls"))
    assert (result.status, result.verified) == ("converted", "exact")
    np.testing.assert_array_equal(oracle(tmp_path / "out.dcm"), pixel_array(source))


def test_new_uid_on_request(tmp_path: Path) -> None:
    source = datafiles.get("MR_small.dcm")
    convert(source, tmp_path / "kept.dcm", options_for("rle"))
    convert(source, tmp_path / "new.dcm", options_for("rle", new_uid=True))
    uid = pydicom.dcmread(source).SOPInstanceUID
    assert pydicom.dcmread(tmp_path / "kept.dcm").SOPInstanceUID == uid
    new = pydicom.dcmread(tmp_path / "new.dcm")
    assert new.SOPInstanceUID != uid
    assert new.file_meta.MediaStorageSOPInstanceUID == new.SOPInstanceUID


def test_extended_offset_table(tmp_path: Path) -> None:
    source = datafiles.get("emri_small.dcm")
    result = convert(source, tmp_path / "out.dcm", options_for("jpeg-ls", encapsulate_ext=True))
    assert result.status == "converted"
    after = pydicom.dcmread(tmp_path / "out.dcm")
    assert len(after.ExtendedOffsetTable) == 8 * int(after.NumberOfFrames)
    np.testing.assert_array_equal(oracle(tmp_path / "out.dcm"), oracle(source))


def test_bad_files_fail_with_their_reason_and_write_nothing(tmp_path: Path) -> None:
    cases = {
        "notes.txt": (not_dicom(tmp_path / "in" / "notes.txt"), "not a DICOM file"),
        "corrupt.dcm": (
            corrupt_copy("MR_small.dcm", tmp_path / "in" / "corrupt.dcm"),
            r"cut short or corrupt: the data ends inside element \(7FE0,0010\)",
        ),
        "liver.dcm": (
            copy_real_files(tmp_path / "in", {"liver.dcm": "liver_1frame.dcm"})["liver.dcm"],
            "JPEG-LS codes 2 to 16 bits per sample.*not Bits Stored 1",
        ),
    }
    for name, (source, reason) in cases.items():
        result = convert(source, tmp_path / "out" / name, options_for("jpeg-ls"))
        assert result.status == "failed"
        assert re.search(reason, result.reason), result.reason
        assert not (tmp_path / "out" / name).exists()
    assert temporary_leftovers(tmp_path) == []


def test_the_not_dicom_reason_names_the_command_option(tmp_path: Path) -> None:
    result = convert(not_dicom(tmp_path / "x"), tmp_path / "y", options_for("rle"))
    assert "--force" in result.reason and "force=True" not in result.reason


def test_force_reads_a_file_without_the_prefix(tmp_path: Path) -> None:
    source = datafiles.get("OT-PAL-8-face.dcm")
    assert convert(source, tmp_path / "a.dcm", options_for("rle")).status == "failed"
    result = convert(source, tmp_path / "b.dcm", options_for("rle", force=True))
    assert result.status == "converted", result.reason
    written = pydicom.dcmread(tmp_path / "b.dcm")  # now with preamble and File Meta
    assert written.preamble == b"\0" * 128
    original = pydicom.dcmread(source, force=True)
    original.file_meta = pydicom.dataset.FileMetaDataset()
    original.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    assert original.original_encoding == (True, True)
    np.testing.assert_array_equal(written.pixel_array, original.pixel_array)


def test_an_existing_output_fails_unless_overwrite(tmp_path: Path) -> None:
    source = datafiles.get("MR_small.dcm")
    (tmp_path / "out.dcm").write_bytes(b"keep me")
    result = convert(source, tmp_path / "out.dcm", options_for("rle"))
    assert result.status == "failed" and "exists (use --overwrite" in result.reason
    assert (tmp_path / "out.dcm").read_bytes() == b"keep me"
    assert convert(source, tmp_path / "out.dcm", options_for("rle", overwrite=True)).status == (
        "converted"
    )
    np.testing.assert_array_equal(oracle(tmp_path / "out.dcm"), oracle(source))


def test_warnings_are_kept_with_their_file(tmp_path: Path, capfd) -> None:
    source = datafiles.get("MR_small_padded.dcm")
    result = convert(source, tmp_path / "out.dcm", options_for("rle"))
    assert result.status == "converted"
    # Raised twice (reading, then decoding), kept once.
    assert len(result.warnings) == 1 and "excess padding" in result.warnings[0]
    assert "excess padding" not in capfd.readouterr().err


class _OffByOne:
    """An RLE encoder that flips the lowest bit of every sample: valid, but wrong."""

    name = "off-by-one"
    decodes: tuple[str, ...] = ()
    encodes = (RLELossless,)
    install_hint = ""

    def is_available(self) -> bool:
        return True

    def encode(self, arr, layout, transfer_syntax, options, threads):
        real = next(p for p in registry.registered_plugins()
                    if RLELossless in p.encodes and p.name != self.name)
        return real.encode(arr ^ 1, layout, transfer_syntax, options, threads)


def test_verify_rejects_a_wrong_output(tmp_path: Path) -> None:
    source = datafiles.get("CT_small.dcm")
    registry.register_plugin(_OffByOne(), first=True)
    try:
        unchecked = convert(source, tmp_path / "unchecked.dcm", options_for("rle", verify=False))
        checked = convert(source, tmp_path / "checked.dcm", options_for("rle"))
    finally:
        registry.unregister_plugin(_OffByOne.name)
    assert unchecked.status == "converted"
    assert np.abs(oracle(tmp_path / "unchecked.dcm").astype(int) - oracle(source)).max() == 1
    assert checked.status == "failed"
    assert checked.reason.startswith("verify: lossless output differs from the input")
    assert not (tmp_path / "checked.dcm").exists()
    assert temporary_leftovers(tmp_path) == []
