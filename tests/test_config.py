"""dicomcore.config: pydicom 3's switches, defaults and context managers."""

from __future__ import annotations

import logging
import warnings

import pydicom
import pydicom.config
import pytest

import dicomcore
from dicomcore import config
from dicomcore.valuerep import DSdecimal, DSfloat


@pytest.fixture(autouse=True)
def restore():
    saved = (config.use_DS_decimal, config.use_DS_numpy, config.settings._reading_validation_mode,
             config.settings.writing_validation_mode, config.logger.level,
             list(config.logger.handlers))
    yield
    (config.use_DS_decimal, config.use_DS_numpy, config.settings._reading_validation_mode,
     config.settings.writing_validation_mode, config.logger.level, handlers) = saved
    config.logger.handlers[:] = handlers
    config._debug_handler = None


def test_validation_defaults_are_pydicoms() -> None:
    theirs = pydicom.config.settings
    assert config.settings.reading_validation_mode == theirs.reading_validation_mode
    assert config.settings.writing_validation_mode == theirs.writing_validation_mode


def test_ds_decimal_switches_the_ds_class() -> None:
    ds = dicomcore.Dataset()
    config.DS_decimal(True)
    ds.SliceThickness = "1.25"
    assert isinstance(ds.SliceThickness, DSdecimal)
    config.DS_decimal(False)
    ds.SliceThickness = "1.25"
    assert isinstance(ds.SliceThickness, DSfloat)


@pytest.mark.parametrize(("first", "second"), [("DS_decimal", "DS_numpy"),
                                               ("DS_numpy", "DS_decimal")])
def test_ds_decimal_and_ds_numpy_exclude_each_other(first: str, second: str) -> None:
    getattr(config, first)(True)
    with pytest.raises(ValueError) as ours:
        getattr(config, second)(True)
    # pydicom sets its flag before refusing: its state is put back step by step.
    saved = pydicom.config.use_DS_decimal, pydicom.config.use_DS_numpy
    getattr(pydicom.config, first)(True)
    try:
        with pytest.raises(ValueError) as theirs:
            getattr(pydicom.config, second)(True)
    finally:
        pydicom.config.use_DS_numpy = False  # so that DS_decimal resets its DS class
        pydicom.config.DS_decimal(saved[0])
        pydicom.config.DS_numpy(saved[1])
    assert str(ours.value) == str(theirs.value)
    getattr(config, first)(False)
    getattr(config, second)(True)  # allowed once the other is off


def test_disable_value_validation_and_strict_reading_restore_the_modes() -> None:
    config.settings.reading_validation_mode = config.WARN
    config.settings.writing_validation_mode = config.RAISE
    with config.disable_value_validation():
        assert config.settings.reading_validation_mode == config.IGNORE
        assert config.settings.writing_validation_mode == config.IGNORE
    with config.strict_reading():
        assert config.settings.reading_validation_mode == config.RAISE
        assert config.settings.writing_validation_mode == config.RAISE
    with pytest.raises(KeyError), config.strict_reading():
        raise KeyError("restored on errors too")
    assert config.settings.reading_validation_mode == config.WARN
    assert config.settings.writing_validation_mode == config.RAISE


def test_strict_reading_raises_on_a_value_that_only_warns_otherwise() -> None:
    data = _file_with_long_lo()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(dicomcore.dcmread(data, force=True).PatientID) == 70
    assert any("exceeds the maximum length of 64" in str(w.message) for w in caught)
    with config.strict_reading(), pytest.raises(ValueError, match="maximum length of 64"):
        dicomcore.dcmread(data, force=True).PatientID  # noqa: B018


def _file_with_long_lo() -> bytes:
    import io

    with pydicom.config.disable_value_validation():
        ds = pydicom.Dataset()
        ds.PatientID = "x" * 70  # LO holds at most 64 characters (PS3.5 Table 6.2-1)
        buffer = io.BytesIO()
        ds.save_as(buffer, implicit_vr=False, little_endian=True)
    return buffer.getvalue()


def test_debug_sets_the_level_and_adds_one_handler() -> None:
    before = len(config.logger.handlers)
    config.debug(True)
    config.debug(True)
    assert config.logger.level == logging.DEBUG and config.debugging
    assert len(config.logger.handlers) == before + 1
    config.debug(False)
    assert config.logger.level == logging.WARNING and not config.debugging
