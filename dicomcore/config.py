"""Run-time settings, with the names pydicom 3 users know from ``pydicom.config``."""

from __future__ import annotations

import logging

logger = logging.getLogger("dicomcore")

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
        self.writing_validation_mode: int = RAISE
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
