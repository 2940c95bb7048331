"""Run-time settings, with the names pydicom 3 users know from ``pydicom.config``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("dicomcore")
# A library logs only where its user configured logging (as pydicom does): without
# this, records with no handler reach stderr beside the warning that already says it.
logger.addHandler(logging.NullHandler())

IGNORE = 0
WARN = 1
RAISE = 2

#: Use :class:`decimal.Decimal` (``DSdecimal``) instead of float for DS values.
use_DS_decimal = False
#: Use numpy arrays for multi-valued binary numbers (pydicom's ``use_DS_numpy``).
use_DS_numpy = False
use_IS_numpy = False
#: Convert DA/DT/TM values to datetime-based ``valuerep.DA``/``DT``/``TM``.
datetime_conversion = False
#: Use None instead of ``""`` as the empty value of text VRs.
use_none_as_empty_text_VR_value = False
#: Let DS values be created from Python floats without an explicit string.
allow_DS_float = False
#: Default encodings when (0008,0005) Specific Character Set is absent.
default_encoding = "iso8859"
#: Replace undecodable characters instead of raising.
convert_wrong_length_to_UN = False
replace_un_with_known_vr = True
#: Let ``Dataset.__setattr__`` warn on names that look like misspelled keywords.
INVALID_KEYWORD_BEHAVIOR = "WARN"
INVALID_KEY_BEHAVIOR = "WARN"
show_file_meta = True
APPLY_J2K_CORRECTIONS = True


class Settings:
    """Validation and other modes, as ``pydicom.config.settings``."""

    def __init__(self) -> None:
        self._reading_validation_mode: int | None = None
        # WARN as in pydicom 3 (RAISE only with its future behaviour switched on).
        self.writing_validation_mode: int = WARN
        self.infer_sq_for_un_vr: bool = True
        self.pixel_data_handlers: list[str] = []
        self.buffered_read_size: int = 8192

    @property
    def reading_validation_mode(self) -> int:
        # None means "not set": WARN, as in pydicom.
        if self._reading_validation_mode is None:
            return WARN
        return self._reading_validation_mode

    @reading_validation_mode.setter
    def reading_validation_mode(self, value: int) -> None:
        self._reading_validation_mode = value


settings = Settings()


def DS_decimal(use_Decimal_boolean: bool = True) -> None:  # noqa: N802, N803  (pydicom's names)
    """Make DS values :class:`decimal.Decimal` based (``DSdecimal``), or floats again.

    Raises
    ------
    ValueError
        If DS values are to be Decimals while ``use_DS_numpy`` is on.
    """
    global use_DS_decimal
    if use_Decimal_boolean and use_DS_numpy:
        raise ValueError("Cannot set use_DS_decimal True if use_DS_numpy is True")
    use_DS_decimal = bool(use_Decimal_boolean)


def DS_numpy(use_numpy: bool = True) -> None:  # noqa: N802  (pydicom's name)
    """Read multi-valued DS elements as NumPy arrays, or not.

    Raises
    ------
    ValueError
        If NumPy arrays are asked for while ``use_DS_decimal`` is on.
    """
    global use_DS_numpy
    if use_numpy and use_DS_decimal:
        raise ValueError(
            "Cannot use numpy arrays to read DS elements if `use_DS_decimal` is True"
        )
    use_DS_numpy = bool(use_numpy)


#: True while :func:`debug` has switched debugging output on.
debugging = False
_debug_handler: logging.Handler | None = None


def debug(debug_on: bool = True, default_handler: bool = True) -> None:
    """Switch the ``dicomcore`` logger's debugging output on or off.

    Parameters
    ----------
    debug_on : bool
        Log at DEBUG level (True) or only warnings and worse (False).
    default_handler : bool
        With ``debug_on``, also print the records to stderr (one handler, added
        once), for users who have not configured logging themselves.
    """
    global debugging, _debug_handler
    debugging = bool(debug_on)
    if not debug_on:
        logger.setLevel(logging.WARNING)
        return
    logger.setLevel(logging.DEBUG)
    if default_handler and _debug_handler is None:
        _debug_handler = logging.StreamHandler()
        _debug_handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(_debug_handler)


@contextmanager
def disable_value_validation() -> Iterator[None]:
    """Neither warn nor raise about invalid values inside the block (reading and writing)."""
    saved = settings._reading_validation_mode, settings.writing_validation_mode
    settings.reading_validation_mode = settings.writing_validation_mode = IGNORE
    try:
        yield
    finally:
        settings._reading_validation_mode, settings.writing_validation_mode = saved


@contextmanager
def strict_reading() -> Iterator[None]:
    """Raise, rather than warn, about invalid values read inside the block."""
    saved = settings._reading_validation_mode
    settings.reading_validation_mode = RAISE
    try:
        yield
    finally:
        settings._reading_validation_mode = saved
