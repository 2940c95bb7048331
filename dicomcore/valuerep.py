"""Value representations (VR): the VR names, value classes and value checks.

The names, behaviour and string forms follow pydicom 3's ``pydicom.valuerep``
so that code written for pydicom keeps working: ``DSfloat`` and ``IS`` keep
the text they were read from (``str(DSfloat("1.50")) == "1.50"``), ``DA``,
``DT`` and ``TM`` are :mod:`datetime` objects that remember their text, and
``PersonName`` gives the parts of a name (PS3.5 section 6.2.1).
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from enum import Enum, unique
from math import floor, isfinite, log10
from typing import Any

from dicomcore import config
from dicomcore.charset import (
    PN_DELIMS,
    PN_ENCODING_DELIMS,
    TEXT_VR_DELIMS,
    decode_bytes,
    default_encoding,
    encode_string,
)

__all__ = [
    "ALLOW_BACKSLASH",
    "AMBIGUOUS_VR",
    "BUFFERABLE_VRS",
    "BYTES_VR",
    "CUSTOMIZABLE_CHARSET_VR",
    "DA",
    "DEFAULT_CHARSET_VR",
    "DS",
    "DSdecimal",
    "DSfloat",
    "DT",
    "EXPLICIT_VR_LENGTH_16",
    "EXPLICIT_VR_LENGTH_32",
    "FLOAT_VR",
    "INT_VR",
    "IS",
    "ISfloat",
    "LIST_VR",
    "LONG_VALUE_VR",
    "MAX_VALUE_LEN",
    "PN_DELIMS",
    "PersonName",
    "STANDARD_VR",
    "STR_VR",
    "TEXT_VR_DELIMS",
    "TM",
    "VR",
    "format_number_as_ds",
    "is_valid_ds",
    "validate_value",
]


def warn_and_log(message: str, category: type[Warning] | None = None, stacklevel: int = 2) -> None:
    """Log `message` on the ``dicomcore`` logger and issue it as a warning."""
    config.logger.warning(message)
    warnings.warn(message, category or UserWarning, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------
# The VRs (PS3.5 Table 6.2-1) and the VR groups pydicom exposes
# --------------------------------------------------------------------------


@unique
class VR(str, Enum):
    """A DICOM Value Representation (PS3.5 Table 6.2-1).

    The four ambiguous VRs of the data dictionary (PS3.6 Tables 6-1, 7-1,
    8-1) are members too; their value is the dictionary's spelling, e.g.
    ``VR.US_SS == "US or SS"``.
    """

    AE = "AE"
    AS = "AS"
    AT = "AT"
    CS = "CS"
    DA = "DA"
    DS = "DS"
    DT = "DT"
    FD = "FD"
    FL = "FL"
    IS = "IS"
    LO = "LO"
    LT = "LT"
    OB = "OB"
    OD = "OD"
    OF = "OF"
    OL = "OL"
    OW = "OW"
    OV = "OV"
    PN = "PN"
    SH = "SH"
    SL = "SL"
    SQ = "SQ"
    SS = "SS"
    ST = "ST"
    SV = "SV"
    TM = "TM"
    UC = "UC"
    UI = "UI"
    UL = "UL"
    UN = "UN"
    UR = "UR"
    US = "US"
    UT = "UT"
    UV = "UV"
    US_SS_OW = "US or SS or OW"
    US_SS = "US or SS"
    US_OW = "US or OW"
    OB_OW = "OB or OW"

    def __str__(self) -> str:
        return str.__str__(self)


AMBIGUOUS_VR = {VR.US_SS_OW, VR.US_SS, VR.US_OW, VR.OB_OW}
STANDARD_VR = set(VR) - AMBIGUOUS_VR

#: VRs limited to the default repertoire, ISO IR 6 (PS3.5 section 6.1.2.3).
DEFAULT_CHARSET_VR = {
    VR.AE, VR.AS, VR.CS, VR.DA, VR.DS, VR.DT, VR.IS, VR.TM, VR.UI, VR.UR,
}  # fmt: skip
#: VRs whose repertoire (0008,0005) Specific Character Set may extend or replace.
CUSTOMIZABLE_CHARSET_VR = {VR.LO, VR.LT, VR.PN, VR.SH, VR.ST, VR.UC, VR.UT}

BYTES_VR = {VR.OB, VR.OD, VR.OF, VR.OL, VR.OV, VR.OW, VR.UN}
FLOAT_VR = {VR.DS, VR.FD, VR.FL}
INT_VR = {VR.AT, VR.IS, VR.SL, VR.SS, VR.SV, VR.UL, VR.US, VR.UV}
LIST_VR = {VR.SQ}
STR_VR = DEFAULT_CHARSET_VR | CUSTOMIZABLE_CHARSET_VR

#: VRs whose values may contain a backslash, so it does not separate values
#: (PS3.5 Table 6.2-1), plus the byte-like VRs.
ALLOW_BACKSLASH = {VR.LT, VR.ST, VR.UT, VR.US_SS_OW, VR.US_OW, VR.OB_OW} | BYTES_VR

#: VRs whose values may be long enough to shorten when printed.
LONG_VALUE_VR = {VR.LT, VR.UC, VR.UT} | BYTES_VR | AMBIGUOUS_VR

#: VRs with a 16-bit length field in explicit VR encoding (PS3.5 Table 7.1-2).
EXPLICIT_VR_LENGTH_16 = {
    VR.AE, VR.AS, VR.AT, VR.CS, VR.DA, VR.DS, VR.DT, VR.FL, VR.FD, VR.IS, VR.LO,
    VR.LT, VR.PN, VR.SH, VR.SL, VR.SS, VR.ST, VR.TM, VR.UI, VR.UL, VR.US,
}  # fmt: skip
#: VRs with a 32-bit length field in explicit VR encoding (PS3.5 Table 7.1-1).
EXPLICIT_VR_LENGTH_32 = STANDARD_VR - EXPLICIT_VR_LENGTH_16

#: VRs whose value may be a file-like buffer instead of bytes.
BUFFERABLE_VRS = (BYTES_VR | {VR.OB_OW}) - {VR.UN}


# --------------------------------------------------------------------------
# Value checks (PS3.5 Table 6.2-1)
# --------------------------------------------------------------------------

#: Maximum length in characters per value; UR, UT and UC are not limited.
MAX_VALUE_LEN = {
    "AE": 16, "CS": 16, "DS": 16, "IS": 12, "LO": 64, "LT": 10240, "SH": 16,
    "ST": 1024, "UI": 64,
}  # fmt: skip


def _with_ranges(single: str) -> re.Pattern[str]:
    # DA, DT and TM query values may be ranges (PS3.4 C.2.2.2.5):
    # "A", "-A", "A-" and "A-B", with a space allowed after a range.
    return re.compile(rf"{single}|-{single} ?|{single}- ?|{single}-{single} ?")


_DIGIT = "[0-9]"
_DATE = rf"{_DIGIT}{{4}}(?:0[1-9]|1[0-2])(?:[0-2]{_DIGIT}|3[01])"
_TIME = rf"(?:[01]{_DIGIT}|2[0-3])(?:[0-5]{_DIGIT}(?:(?:60|[0-5]{_DIGIT})(?:\.{_DIGIT}{{1,6}} ?)?)?)?"
_DATETIME = (
    rf"{_DIGIT}{{4}}(?:(?:0[1-9]|1[0-2])(?:(?:[0-2]{_DIGIT}|3[01])(?:(?:[01]{_DIGIT}|2[0-3])"
    rf"(?:[0-5]{_DIGIT}(?:(?:60|[0-5]{_DIGIT})(?:\.{_DIGIT}{{1,6}} ?)?)?)?)?)?)?"
    rf"(?:[+-][01]{_DIGIT}{{3}})?"
)

#: Full-match patterns of the characters each VR allows.
VR_PATTERNS: dict[str, re.Pattern[str]] = {
    "AE": re.compile(r"[\x20-\x7e]*"),
    "AS": re.compile(rf"{_DIGIT}{{3}}[DWMY]"),
    "CS": re.compile(r"[A-Z0-9 _]*"),
    "DS": re.compile(rf" *[+-]?(?:{_DIGIT}+\.?{_DIGIT}*|\.{_DIGIT}+)(?:[eE][+-]?{_DIGIT}+)? *"),
    "IS": re.compile(rf" *[+-]?{_DIGIT}+ *"),
    "DA": _with_ranges(_DATE),
    "DT": _with_ranges(_DATETIME),
    "TM": _with_ranges(_TIME),
    "UI": re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"),
    "UR": re.compile(r"[A-Za-z_0-9:/?#\[\]@!$&'()*+,;=%\-.~]* *"),
}

_SEE_TABLE = (
    " Please see <https://dicom.nema.org/medical/dicom/current/output/html/part05.html"
    "#table_6.2-1> for allowed values for each VR."
)

ValidationResult = tuple[bool, str]


def _as_text(value: str | bytes) -> str:
    return value.decode("latin_1") if isinstance(value, bytes) else value


def validate_type(vr: str, value: Any, types: type | tuple[type, ...]) -> ValidationResult:
    """Check that `value` is None or of one of `types`."""
    if value is not None and not isinstance(value, types):
        return False, (
            f"A value of type '{type(value).__name__}' cannot be assigned to a tag with VR {vr}."
        )
    return True, ""


def validate_vr_length(vr: str, value: Any) -> ValidationResult:
    """Check the length of `value` against the VR's maximum (PS3.5 Table 6.2-1)."""
    limit = MAX_VALUE_LEN.get(vr, 0)
    if limit and len(value) > limit:
        return False, (
            f"The value length ({len(value)}) exceeds the maximum length of {limit} "
            f"allowed for VR {vr}."
        )
    return True, ""


def validate_regex(vr: str, value: Any) -> ValidationResult:
    """Check that `value` only has the characters and form the VR allows."""
    if value and VR_PATTERNS[vr].fullmatch(_as_text(value)) is None:
        return False, f"Invalid value for VR {vr}: {value!r}."
    return True, ""


def validate_type_and_length(vr: str, value: Any) -> ValidationResult:
    valid, message = validate_type(vr, value, (str, bytes))
    return validate_vr_length(vr, value) if valid else (valid, message)


def validate_type_and_regex(vr: str, value: Any) -> ValidationResult:
    valid, message = validate_type(vr, value, (str, bytes))
    return validate_regex(vr, value) if valid else (valid, message)


def validate_length_and_type_and_regex(vr: str, value: Any) -> ValidationResult:
    valid, message = validate_type(vr, value, (str, bytes))
    if not valid:
        return valid, message
    length_ok, length_message = validate_vr_length(vr, value)
    chars_ok, chars_message = validate_regex(vr, value)
    message = f"{length_message} {chars_message}".strip()
    if message:
        message += _SEE_TABLE
    return length_ok and chars_ok, message


def validate_date_time(vr: str, value: Any, date_time_type: type) -> ValidationResult:
    if value and isinstance(value, date_time_type):
        return True, ""
    return validate_type_and_regex(vr, value)


def validate_pn_component_length(vr: str, value: Any) -> ValidationResult:
    """Check one Person Name component group: at most 64 characters (PS3.5 6.2)."""
    if len(value) > 64:
        return False, (
            f"The PN component length ({len(value)}) exceeds the maximum allowed length of 64."
        )
    return True, ""


def validate_pn(vr: str, value: Any) -> ValidationResult:
    """Check a Person Name: at most three component groups of 64 characters."""
    if not value or isinstance(value, PersonName):
        return True, ""
    valid, message = validate_type(vr, value, (str, bytes))
    if not valid:
        return valid, message
    groups = value.split(b"=" if isinstance(value, bytes) else "=")
    if len(groups) > 3:
        return False, (
            f"The number of PN components length ({len(groups)}) exceeds the maximum "
            "allowed number of 3."
        )
    for group in groups:
        valid, message = validate_pn_component_length("PN", group)
        if not valid:
            return valid, message
    return True, ""


_NUMBER_SIZE = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "UV": 8, "SV": 8, "FL": 4, "FD": 8}


def validate_number(vr: str, value: Any, minimum: int, maximum: int) -> ValidationResult:
    """Check an integer against the VR's range, or bytes against its item size."""
    valid, message = validate_type(vr, value, (int, bytes))
    if not valid:
        return valid, message
    if isinstance(value, int):
        if not minimum <= value <= maximum:
            return False, (
                f"Invalid value: a value for a tag with VR {vr} must be between "
                f"{minimum} and {maximum}."
            )
    elif len(value) % _NUMBER_SIZE[vr]:
        return False, (
            f"Invalid value length {len(value)}: the value length for a tag with VR {vr} "
            f"must be a multiple of {_NUMBER_SIZE[vr]}."
        )
    return True, ""


def _number_check(minimum: int, maximum: int) -> Callable[[str, Any], ValidationResult]:
    return lambda vr, value: validate_number(vr, value, minimum, maximum)


def _type_check(*types: type) -> Callable[[str, Any], ValidationResult]:
    return lambda vr, value: validate_type(vr, value, types)


VALIDATORS: dict[str, Callable[[str, Any], ValidationResult]] = {
    "AE": validate_length_and_type_and_regex,
    "AS": validate_type_and_regex,
    "CS": validate_length_and_type_and_regex,
    "DA": lambda vr, value: validate_date_time(vr, value, datetime.date),
    "DS": validate_length_and_type_and_regex,
    "DT": lambda vr, value: validate_date_time(vr, value, datetime.datetime),
    "FD": _type_check(float, int),
    "FL": _type_check(float, int),
    "IS": validate_length_and_type_and_regex,
    "LO": validate_type_and_length,
    "LT": validate_type_and_length,
    "OB": _type_check(bytes, bytearray),
    "OD": _type_check(bytes, bytearray),
    "OF": _type_check(bytes, bytearray),
    "OL": _type_check(bytes, bytearray),
    "OW": _type_check(bytes, bytearray),
    "OV": _type_check(bytes, bytearray),
    "PN": validate_pn,
    "SH": validate_type_and_length,
    "SL": _number_check(-(2**31), 2**31 - 1),
    "SS": _number_check(-(2**15), 2**15 - 1),
    "ST": validate_type_and_length,
    "SV": _number_check(-(2**63), 2**63 - 1),
    "TM": lambda vr, value: validate_date_time(vr, value, datetime.time),
    "UI": validate_length_and_type_and_regex,
    "UL": _number_check(0, 2**32 - 1),
    "US": _number_check(0, 2**16 - 1),
    "UR": validate_type_and_regex,
    "UV": _number_check(0, 2**64 - 1),
}


def _quick_text_check(vr: str) -> Callable[[Any], bool]:
    limit = MAX_VALUE_LEN.get(vr, 0)
    pattern = VR_PATTERNS.get(vr)
    match = pattern.fullmatch if pattern is not None else None

    def passes(value: Any) -> bool:
        if type(value) is not str or (limit and len(value) > limit):
            return False
        return match is None or not value or match(value) is not None

    return passes


def _quick_number_check(minimum: int, maximum: int) -> Callable[[Any], bool]:
    return lambda value: type(value) is int and minimum <= value <= maximum


#: For the VRs checked when a value is assigned: a test the usual valid values pass
#: without any message being built. False is no verdict: :data:`VALIDATORS` decides
#: (it also accepts rarer valid forms, such as bytes or dates).
QUICK_CHECKS: dict[str, Callable[[Any], bool]] = {
    **{
        vr: _quick_text_check(vr)
        for vr in ("AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UR")
    },
    "SL": _quick_number_check(-(2**31), 2**31 - 1),
    "SS": _quick_number_check(-(2**15), 2**15 - 1),
    "SV": _quick_number_check(-(2**63), 2**63 - 1),
    "UL": _quick_number_check(0, 2**32 - 1),
    "US": _quick_number_check(0, 2**16 - 1),
    "UV": _quick_number_check(0, 2**64 - 1),
}


def validate_value(
    vr: str,
    value: Any,
    validation_mode: int,
    validator: Callable[[str, Any], ValidationResult] | None = None,
) -> None:
    """Check one value against the rules for `vr` (PS3.5 Table 6.2-1).

    Parameters
    ----------
    vr : str
        The VR of the element the value belongs to.
    value : Any
        A single value (not a list of values).
    validation_mode : int
        ``config.IGNORE`` skips the check, ``config.WARN`` warns about an
        invalid value and ``config.RAISE`` raises.
    validator : callable, optional
        A check to use instead of the VR's own; returns ``(valid, message)``.

    Raises
    ------
    ValueError
        If the value is invalid and `validation_mode` is ``config.RAISE``.
    """
    if validation_mode == config.IGNORE or value is None:
        return
    check = validator or VALIDATORS.get(vr)
    if check is None:
        return
    valid, message = check(vr, value)
    if not valid:
        if validation_mode == config.RAISE:
            raise ValueError(message)
        warn_and_log(message, stacklevel=3)


def _validation_mode(mode: int | None) -> int:
    return config.settings.reading_validation_mode if mode is None else mode


# --------------------------------------------------------------------------
# DA, DT, TM (PS3.5 Table 6.2-1)
# --------------------------------------------------------------------------


class _DateTimeBase:
    """Shared behaviour of DA, DT and TM: remember and print the DICOM text."""

    original_string: str

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __reduce_ex__(self, protocol: int) -> tuple[Any, ...]:  # type: ignore[override]
        # The datetime classes pickle only their fields; add the text.
        return super().__reduce_ex__(protocol) + (self.__getstate__(),)  # type: ignore[misc,operator]

    def __str__(self) -> str:
        if hasattr(self, "original_string"):
            return self.original_string
        return super().__str__()

    def __repr__(self) -> str:
        return f'"{self}"'


def _two_digits(text: str, start: int) -> int:
    part = text[start : start + 2]
    if not part.isdigit() or not part.isascii():
        raise ValueError(f"'{part}' is not a number")
    return int(part)


class DA(_DateTimeBase, datetime.date):
    """A **DA** value: a :class:`datetime.date` that keeps its DICOM text.

    Accepts ``YYYYMMDD`` (PS3.5 Table 6.2-1), the ACR-NEMA form
    ``YYYY.MM.DD``, a :class:`datetime.date`, or the :class:`datetime.date`
    constructor's arguments. An empty or blank string gives None.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> DA | None:  # type: ignore[misc]
        if not args or args[0] is None:
            return None
        value = args[0]
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                if len(value) == 8:
                    year, month, day = int(value[:4]), _two_digits(value, 4), _two_digits(value, 6)
                    return super().__new__(cls, year, month, day)
                if len(value) == 10 and value[4] == "." and value[7] == ".":
                    year, month, day = int(value[:4]), _two_digits(value, 5), _two_digits(value, 8)
                    return super().__new__(cls, year, month, day)
            except ValueError as exc:
                raise ValueError(f"Unable to convert '{value}' to 'DA' object") from exc
        if isinstance(value, datetime.date):
            return super().__new__(cls, value.year, value.month, value.day)
        try:
            return super().__new__(cls, *args, **kwargs)
        except Exception as exc:
            raise ValueError(f"Unable to convert '{value}' to 'DA' object") from exc

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        value = args[0]
        if isinstance(value, str):
            self.original_string = value
        elif isinstance(value, DA) and hasattr(value, "original_string"):
            self.original_string = value.original_string
        elif isinstance(value, datetime.date):
            self.original_string = f"{value.year:04}{value.month:02}{value.day:02}"


_DT_PATTERN = re.compile(r"([0-9]{4,14})(?:\.([0-9]{1,6}))?([+-][0-9]{4})?")


class DT(_DateTimeBase, datetime.datetime):
    """A **DT** value: a :class:`datetime.datetime` that keeps its DICOM text.

    Accepts ``YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]`` (PS3.5 Table 6.2-1),
    a :class:`datetime.datetime`, or the :class:`datetime.datetime`
    constructor's arguments. A leap second ``60`` becomes ``59`` with a
    warning, as :class:`datetime.datetime` cannot hold it.
    """

    @staticmethod
    def _utc_offset(value: str) -> datetime.timezone:
        """The timezone for a UTC offset suffix such as ``'+0100'`` or ``'-0930'``."""
        minutes = int(value[1:3]) * 60 + int(value[3:5])
        sign = -1 if value[0] == "-" else 1
        return datetime.timezone(datetime.timedelta(minutes=sign * minutes), name=value)

    def __new__(cls, *args: Any, **kwargs: Any) -> DT | None:  # type: ignore[misc]
        if not args or args[0] is None:
            return None
        value = args[0]
        if isinstance(value, str):
            if not value.strip():
                return None
            match = _DT_PATTERN.match(value)
            if match is None or len(value) > 26:
                raise ValueError(f"Unable to convert non-conformant value '{value}' to 'DT' object")
            digits, fraction, offset = match.groups()
            count = len(digits)

            def field(start: int, default: int) -> int:
                return int(digits[start : start + 2]) if count >= start + 2 else default

            second = field(12, 0)
            if second == 60:
                warn_and_log(
                    "'datetime.datetime' doesn't allow a value of '60' for the seconds "
                    "component, changing to '59'"
                )
                second = 59
            microsecond = int(fraction.rstrip().ljust(6, "0")) if count >= 14 and fraction else 0
            try:
                return super().__new__(
                    cls,
                    int(digits[:4]),
                    field(4, 1),
                    field(6, 1),
                    field(8, 0),
                    field(10, 0),
                    second,
                    microsecond,
                    cls._utc_offset(offset) if offset else None,
                )
            except ValueError as exc:
                raise ValueError(f"Unable to convert '{value}' to 'DT' object") from exc
        if isinstance(value, datetime.datetime):
            return super().__new__(
                cls,
                *value.timetuple()[:6],
                value.microsecond,
                value.tzinfo,
            )
        try:
            return super().__new__(cls, *args, **kwargs)
        except Exception as exc:
            raise ValueError(f"Unable to convert '{value}' to 'DT' object") from exc

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        value = args[0]
        if isinstance(value, str):
            self.original_string = value
        elif isinstance(value, DT) and hasattr(value, "original_string"):
            self.original_string = value.original_string
        elif isinstance(value, datetime.datetime):
            text = (
                f"{value.year:04}{value.month:02}{value.day:02}"
                f"{value.hour:02}{value.minute:02}{value.second:02}"
            )
            if value.microsecond > 0:
                text += f".{value.microsecond:06}"
            if value.tzinfo is not None:
                offset = value.tzinfo.utcoffset(value)
                if offset is not None:
                    minutes = offset.days * 24 * 60 + offset.seconds // 60
                    sign = "+" if minutes >= 0 else "-"
                    minutes = abs(minutes)
                    text += f"{sign}{minutes // 60:02}{minutes % 60:02}"
            self.original_string = text


_TM_PATTERN = re.compile(
    r"([01][0-9]|2[0-3])(?:([0-5][0-9])(?:([0-5][0-9]|60)(?:\.([0-9]{1,6})?)?)?)?"
)


class TM(_DateTimeBase, datetime.time):
    """A **TM** value: a :class:`datetime.time` that keeps its DICOM text.

    Accepts ``HH[MM[SS[.F{1-6}]]]`` (PS3.5 Table 6.2-1), a
    :class:`datetime.time`, or the :class:`datetime.time` constructor's
    arguments. A leap second ``60`` becomes ``59`` with a warning.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> TM | None:  # type: ignore[misc]
        if not args or args[0] is None:
            return None
        value = args[0]
        if isinstance(value, str):
            if not value.strip():
                return None
            match = _TM_PATTERN.fullmatch(value)
            if match is None:
                raise ValueError(f"Unable to convert non-conformant value '{value}' to 'TM' object")
            hour, minute, second, fraction = match.groups()
            seconds = int(second) if second else 0
            if seconds == 60:
                warn_and_log(
                    "'datetime.time' doesn't allow a value of '60' for the seconds "
                    "component, changing to '59'"
                )
                seconds = 59
            microsecond = int(fraction.ljust(6, "0")) if fraction else 0
            return super().__new__(cls, int(hour), int(minute or 0), seconds, microsecond)
        if isinstance(value, datetime.time):
            return super().__new__(cls, value.hour, value.minute, value.second, value.microsecond)
        try:
            return super().__new__(cls, *args, **kwargs)
        except Exception as exc:
            raise ValueError(f"Unable to convert '{value}' to 'TM' object") from exc

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        value = args[0]
        if isinstance(value, str):
            self.original_string = value
        elif isinstance(value, TM) and hasattr(value, "original_string"):
            self.original_string = value.original_string
        elif isinstance(value, datetime.time):
            text = f"{value.hour:02}{value.minute:02}{value.second:02}"
            if value.microsecond > 0:
                text += f".{value.microsecond:06}"
            self.original_string = text


# --------------------------------------------------------------------------
# DS and IS (PS3.5 Table 6.2-1)
# --------------------------------------------------------------------------


def is_valid_ds(s: str) -> bool:
    """Return True if `s` is a valid Decimal String: at most 16 characters of
    the form ``[+-]digits[.digits][E[+-]digits]`` with optional padding spaces
    (PS3.5 Table 6.2-1)."""
    return validate_length_and_type_and_regex("DS", s)[0]


def format_number_as_ds(val: float | Decimal) -> str:
    """Return the closest text to `val` that is a valid Decimal String.

    A DS value has at most 16 characters (PS3.5 Table 6.2-1). If Python's
    shortest round-tripping text fits it is used; otherwise fixed and
    scientific notations are tried with as many digits as fit, and the
    candidate closest to `val` wins (the shorter one on a tie).

    Parameters
    ----------
    val : float or decimal.Decimal
        A finite number.

    Returns
    -------
    str
        At most 16 characters; may lose precision.

    Raises
    ------
    TypeError
        If `val` is not a float or Decimal.
    ValueError
        If `val` is infinite or NaN, which DS cannot represent.
    """
    if not isinstance(val, float | Decimal):
        raise TypeError("'val' must be of type float or decimal.Decimal")
    if not isfinite(val):
        raise ValueError(f"Cannot encode non-finite floats as DICOM decimal strings. Got '{val}'")
    shortest = str(val)
    if len(shortest) <= 16:
        return shortest
    number = float(val)
    sign_width = 1 if number < 0 else 0
    candidates = []
    # Fixed notation: the digits before the point use part of the 16 characters.
    integer_digits = max(floor(log10(abs(number))) + 1, 1)
    decimals = 16 - sign_width - integer_digits - 1
    if decimals >= 0:
        text = f"{val:.{decimals}f}"
        if len(text) > 16 and decimals > 0:  # rounding added an integer digit
            text = f"{val:.{decimals - 1}f}"
        if len(text) <= 16:
            candidates.append(text)
    # Scientific notation: as many mantissa digits as the exponent leaves room for.
    for mantissa_digits in range(16, -1, -1):
        text = f"{val:.{mantissa_digits}e}"
        if len(text) <= 16:
            candidates.append(text)
            break
    return min(candidates, key=lambda text: (abs(float(text) - number), len(text)))


def _ds_text_problem(text: str) -> type[Exception] | None:
    """The exception a DS text deserves in RAISE mode, or None if it is valid."""
    if len(text) > 16:
        return OverflowError
    if not is_valid_ds(text):
        return ValueError
    return None


class DSfloat(float):
    """A **DS** value as a :class:`float` that keeps the text it came from.

    Parameters
    ----------
    val : str, int, float or Decimal
        The value; a blank string is returned unchanged and None gives None.
    auto_format : bool, optional
        If True, the text is replaced, where needed, by the closest valid
        16-character form (:func:`format_number_as_ds`).
    validation_mode : int, optional
        Defaults to the reading validation mode. With ``config.RAISE`` an
        invalid text raises (:class:`OverflowError` if too long).
    """

    auto_format: bool = False

    def __new__(  # type: ignore[misc]
        cls,
        val: None | str | int | float | Decimal,
        auto_format: bool = False,
        validation_mode: int | None = None,
    ) -> str | DSfloat | None:
        if val is None:
            return None
        if isinstance(val, str) and not val.strip():
            return val
        return super().__new__(cls, val)

    def __init__(
        self,
        val: str | int | float | Decimal,
        auto_format: bool = False,
        validation_mode: int | None = None,
    ) -> None:
        mode = _validation_mode(validation_mode)
        already_formatted = False
        if isinstance(val, str):
            self.original_string = val.strip()
        elif isinstance(val, DSfloat | DSdecimal):
            if val.auto_format:
                auto_format = already_formatted = True
            if hasattr(val, "original_string"):
                self.original_string = val.original_string
        self.auto_format = auto_format
        if auto_format and not already_formatted:
            if not hasattr(self, "original_string"):
                self.original_string = format_number_as_ds(float(self))
            elif not is_valid_ds(self.original_string):
                self.original_string = format_number_as_ds(float(self.original_string))
        if mode == config.RAISE and not self.auto_format:
            problem = _ds_text_problem(str(self))
            if problem is OverflowError:
                raise OverflowError(
                    "Values for elements with a VR of 'DS' must be <= 16 characters long, "
                    f"but '{self}' is longer. Use a shorter string, set "
                    "'config.settings.reading_validation_mode' to WARN, or construct "
                    "the DS with 'auto_format=True'"
                )
            if problem is ValueError:
                raise ValueError(f'Value "{self}" is not valid for elements with a VR of DS')

    def __eq__(self, other: Any) -> Any:
        if isinstance(other, str):
            return str(self) == other
        return super().__eq__(other)

    def __ne__(self, other: Any) -> Any:
        return not self == other

    def __hash__(self) -> int:
        return super().__hash__()

    def __str__(self) -> str:
        if hasattr(self, "original_string") and not self.auto_format:
            return self.original_string
        return repr(self)[1:-1]

    def __repr__(self) -> str:
        if hasattr(self, "original_string"):
            return f"'{self.original_string}'"
        return f"'{super().__repr__()}'"


class DSdecimal(Decimal):
    """A **DS** value as a :class:`decimal.Decimal` that keeps its text.

    Used instead of :class:`DSfloat` when ``config.use_DS_decimal`` is True.
    A float is refused unless ``config.allow_DS_float`` is set, because its
    binary value rarely is the decimal the user meant.
    """

    auto_format: bool = False

    def __new__(  # type: ignore[misc]
        cls,
        val: None | str | int | float | Decimal,
        auto_format: bool = False,
        validation_mode: int | None = None,
    ) -> str | DSdecimal | None:
        if val is None:
            return None
        if isinstance(val, str) and not val.strip():
            return val
        if isinstance(val, float) and not getattr(config, "allow_DS_float", False):
            raise TypeError(
                "'DS' cannot be instantiated with a float value unless "
                "'config.allow_DS_float' is set to True. Convert the value to a string "
                "with the digits wanted, or pass a 'Decimal'."
            )
        return super().__new__(cls, val)

    def __init__(
        self,
        val: str | int | float | Decimal,
        auto_format: bool = False,
        validation_mode: int | None = None,
    ) -> None:
        mode = _validation_mode(validation_mode)
        already_formatted = False
        if isinstance(val, str):
            self.original_string = val.strip()
        elif isinstance(val, DSfloat | DSdecimal):
            if val.auto_format:
                auto_format = already_formatted = True
            if hasattr(val, "original_string"):
                self.original_string = val.original_string
        self.auto_format = auto_format
        if auto_format and not already_formatted:
            if not hasattr(self, "original_string"):
                self.original_string = format_number_as_ds(self)
            elif not is_valid_ds(self.original_string):
                self.original_string = format_number_as_ds(float(self.original_string))
        if mode != config.IGNORE:
            text = repr(self).strip("'")
            problem = _ds_text_problem(text)
            if problem is not None:
                if problem is OverflowError:
                    message = (
                        "Values for elements with a VR of 'DS' values must be <= 16 "
                        f"characters long, but '{text}' is longer. Use a smaller string, "
                        "'Decimal.quantize()', or 'auto_format=True'"
                    )
                else:
                    message = f'Value "{self}" is not valid for elements with a VR of DS'
                if mode == config.RAISE:
                    raise problem(message)
                warn_and_log(message)

    def __eq__(self, other: Any) -> Any:
        if isinstance(other, str):
            return str(self) == other
        return super().__eq__(other)

    def __ne__(self, other: Any) -> Any:
        return not self == other

    def __hash__(self) -> int:
        return super().__hash__()

    def __str__(self) -> str:
        if hasattr(self, "original_string") and len(self.original_string) <= 16:
            return self.original_string
        return super().__str__()

    def __repr__(self) -> str:
        if hasattr(self, "original_string"):
            return f"'{self.original_string}'"
        return f"'{self}'"


def DS(
    val: None | str | int | float | Decimal,
    auto_format: bool = False,
    validation_mode: int | None = None,
) -> None | str | DSfloat | DSdecimal:
    """Make a **DS** value: :class:`DSdecimal` if ``config.use_DS_decimal``
    is True, else :class:`DSfloat`; a blank string is returned unchanged.

    A string is checked against PS3.5 Table 6.2-1 first, in `validation_mode`
    (default: the reading validation mode).
    """
    if val is None:
        return None
    mode = _validation_mode(validation_mode)
    if isinstance(val, str):
        if not val.strip():
            return val
        validate_value("DS", val, mode)
    if config.use_DS_decimal:
        return DSdecimal(val, auto_format, mode)
    return DSfloat(val, auto_format, mode)


class ISfloat(float):
    """An **IS** value that is not a whole number, such as ``"1.5"``.

    The standard allows only integers; this is what :class:`IS` gives for
    such a value, with a warning (or a TypeError in RAISE mode).
    """

    def __new__(  # type: ignore[misc]
        cls, val: str | float | Decimal, validation_mode: int | None = None
    ) -> float | str:
        if isinstance(val, str) and not val.strip():
            return ""
        return super().__new__(cls, val)

    def __init__(self, val: str | float | Decimal, validation_mode: int | None = None) -> None:
        if isinstance(val, str):
            self.original_string = val.strip()
        elif isinstance(val, IS | ISfloat) and hasattr(val, "original_string"):
            self.original_string = val.original_string
        if validation_mode:
            message = f'Value "{self}" is not valid for elements with a VR of IS'
            if validation_mode == config.WARN:
                warn_and_log(message)
            elif validation_mode == config.RAISE:
                raise TypeError(message + "\nSet reading_validation_mode to WARN or IGNORE to bypass")


class IS(int):
    """An **IS** value as an :class:`int` that keeps the text it came from.

    Parameters
    ----------
    val : str, int, float or Decimal
        The value; a blank string is returned unchanged and None gives None.
        Texts such as ``"1.0"`` are accepted when no digits are lost; a value
        that is not whole gives an :class:`ISfloat`.
    validation_mode : int, optional
        Defaults to the reading validation mode; strings are checked against
        PS3.5 Table 6.2-1, and in RAISE mode values outside the signed 32-bit
        range raise :class:`OverflowError`.
    """

    def __new__(  # type: ignore[misc]
        cls, val: None | str | int | float | Decimal, validation_mode: int | None = None
    ) -> str | IS | ISfloat | None:
        if val is None:
            return None
        mode = _validation_mode(validation_mode)
        if isinstance(val, str):
            if not val.strip():
                return val
            validate_value("IS", val, mode)
        new: IS | ISfloat
        try:
            new = super().__new__(cls, val)
        except ValueError:
            # Accept "1.0" and similar where the value is still whole.
            new = super().__new__(cls, float(val))  # type: ignore[arg-type]
        if isinstance(val, float | Decimal | str) and new != float(val):
            new = ISfloat(val, mode)
        if mode == config.RAISE and not -(2**31) <= new < 2**31:
            raise OverflowError(
                "Elements with a VR of IS must have a value between -2**31 and "
                "(2**31 - 1). Set 'config.settings.reading_validation_mode' to WARN "
                "to override the value check"
            )
        return new

    def __init__(self, val: str | int | float | Decimal, validation_mode: int | None = None) -> None:
        if isinstance(val, str):
            self.original_string = val.strip()
        elif isinstance(val, IS) and hasattr(val, "original_string"):
            self.original_string = val.original_string

    def __eq__(self, other: Any) -> Any:
        if isinstance(other, str):
            return str(self) == other
        return super().__eq__(other)

    def __ne__(self, other: Any) -> Any:
        return not self == other

    def __hash__(self) -> int:
        return super().__hash__()

    def __str__(self) -> str:
        if hasattr(self, "original_string"):
            return self.original_string
        return repr(self)[1:-1]

    def __repr__(self) -> str:
        return f"'{super().__repr__()}'"


def __getattr__(name: str) -> Any:
    # pydicom exposes the DS class chosen by the configuration as DSclass.
    if name == "DSclass":
        return DSdecimal if config.use_DS_decimal else DSfloat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------
# PN (PS3.5 section 6.2.1)
# --------------------------------------------------------------------------


def _encodings_tuple(encodings: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if encodings is None:
        return None
    if isinstance(encodings, str):
        return (encodings,)
    return tuple(encodings)


def _without_trailing_empty(parts: list[Any]) -> list[Any]:
    while parts and not parts[-1]:
        parts.pop()
    return parts


def _decode_components(groups: list[bytes], encodings: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        _without_trailing_empty([decode_bytes(group, encodings, PN_DELIMS) for group in groups])
    )


def _encode_components(components: Sequence[str], encodings: Sequence[str]) -> bytes:
    # Each component group is encoded on its own, so that escape sequences
    # never span a '=' (PS3.5 section 6.1.2.5.3).
    encoded = [encode_string(group, encodings, PN_ENCODING_DELIMS) for group in components]
    return b"=".join(_without_trailing_empty(encoded))


class PersonName:
    """A **PN** value: up to three component groups (alphabetic, ideographic,
    phonetic) of up to five ``^``-separated components (PS3.5 section 6.2.1).

    Parameters
    ----------
    val : str, bytes or PersonName
        The decoded name, or the encoded bytes (decoded on first use).
    encodings : list of str, optional
        The Python codecs of the value (see :func:`dicomcore.charset.convert_encodings`).
    original_string : bytes, optional
        The encoded bytes of a decoded `val`, when known.
    validation_mode : int, optional
        Defaults to the reading validation mode.
    """

    __slots__ = ("original_string", "_components", "encodings", "_validation_mode", "__weakref__")

    def __new__(cls, *args: Any, **kwargs: Any) -> PersonName | None:  # type: ignore[misc]
        if args and args[0] is None:
            return None
        return super().__new__(cls)

    def __init__(
        self,
        val: bytes | str | PersonName,
        encodings: Sequence[str] | None = None,
        original_string: bytes | None = None,
        validation_mode: int | None = None,
    ) -> None:
        mode = _validation_mode(validation_mode)
        self._validation_mode: int | None = mode
        self._components: tuple[str, ...] | None
        if isinstance(val, PersonName):
            encodings = val.encodings
            self.original_string = val.original_string
            self._components = tuple(str(val).split("="))
        elif isinstance(val, bytes):
            self.original_string = val
            validate_value("PN", val, mode)
            self._components = None
        else:
            self.original_string = original_string  # type: ignore[assignment]
            validate_value("PN", original_string if original_string else val, mode)
            self._components = tuple(_without_trailing_empty(val.split("=")))
        self.encodings = _encodings_tuple(encodings)

    @classmethod
    def _from_encoded(cls, encoded: bytes, encodings: tuple[str, ...]) -> PersonName:
        """A name for bytes read from a file, decoded on first use (no checks)."""
        name = object.__new__(cls)
        name.original_string = encoded
        name._components = None
        name.encodings = encodings
        name._validation_mode = None
        return name

    @property
    def validation_mode(self) -> int:
        """How invalid values are handled (``config.IGNORE``, ``WARN``, ``RAISE``);
        names read from a file follow the reading validation mode."""
        mode = self._validation_mode
        return config.settings.reading_validation_mode if mode is None else mode

    @validation_mode.setter
    def validation_mode(self, mode: int | None) -> None:
        self._validation_mode = mode

    def __getstate__(self) -> dict[str, Any]:
        return {slot: getattr(self, slot, None) for slot in self.__slots__[:-1]}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for slot, value in state.items():
            setattr(self, slot, value)

    @property
    def components(self) -> tuple[str, ...]:
        """The decoded component groups (alphabetic, ideographic, phonetic);
        trailing empty groups are left out."""
        if self._components is None:
            groups = self.original_string.split(b"=")
            self._components = _decode_components(groups, self.encodings or [default_encoding])
        return self._components

    def _name_part(self, index: int) -> str:
        try:
            return self.components[0].split("^")[index]
        except IndexError:
            return ""

    @property
    def family_name(self) -> str:
        """The family name: component 1 of the alphabetic group."""
        return self._name_part(0)

    @property
    def given_name(self) -> str:
        """The given name: component 2 of the alphabetic group."""
        return self._name_part(1)

    @property
    def middle_name(self) -> str:
        """The middle name: component 3 of the alphabetic group."""
        return self._name_part(2)

    @property
    def name_prefix(self) -> str:
        """The name prefix: component 4 of the alphabetic group."""
        return self._name_part(3)

    @property
    def name_suffix(self) -> str:
        """The name suffix: component 5 of the alphabetic group."""
        return self._name_part(4)

    def _group(self, index: int) -> str:
        components = self.components
        return components[index] if index < len(components) else ""

    @property
    def alphabetic(self) -> str:
        """The alphabetic component group."""
        return self._group(0)

    @property
    def ideographic(self) -> str:
        """The ideographic component group."""
        return self._group(1)

    @property
    def phonetic(self) -> str:
        """The phonetic component group."""
        return self._group(2)

    def __eq__(self, other: Any) -> Any:
        return str(self) == other

    def __ne__(self, other: Any) -> Any:
        return not self == other

    def __str__(self) -> str:
        return "=".join(self.components)

    def __iter__(self) -> Iterator[str]:
        yield from str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __contains__(self, x: Any) -> bool:
        return x in str(self)

    def __repr__(self) -> str:
        return repr("=".join(self.components))

    def __hash__(self) -> int:
        return hash(self.components)

    def __bool__(self) -> bool:
        if not self.original_string:
            components = self.components
            return bool(components) and (len(components) > 1 or bool(components[0]))
        return True

    def decode(self, encodings: Sequence[str] | None = None) -> PersonName:
        """Return the name decoded with `encodings`.

        Parameters
        ----------
        encodings : list of str, optional
            Python codecs; if None or the same as this name's, this name is
            returned.

        Returns
        -------
        PersonName
            A name that decodes the original bytes with `encodings`.
        """
        if encodings is None or _encodings_tuple(encodings) == self.encodings:
            return self
        if self.original_string is None:
            self.original_string = _encode_components(
                self.components, self.encodings or [default_encoding]
            )
            validate_value("PN", self.original_string, self.validation_mode)
        return PersonName(self.original_string, encodings)

    def encode(self, encodings: Sequence[str] | None = None) -> bytes:
        """Return the encoded name.

        Parameters
        ----------
        encodings : list of str, optional
            Python codecs; defaults to the name's own.

        Returns
        -------
        bytes
            The original bytes if the encodings are unchanged and known,
            otherwise each component group encoded with `encodings` (PS3.5
            section 6.1.2.5.3 for the escape sequences).
        """
        wanted = _encodings_tuple(encodings) or self.encodings
        if wanted != self.encodings and self.encodings is not None:
            return _encode_components(self.components, wanted)  # type: ignore[arg-type]
        if self.original_string is None:
            self.original_string = _encode_components(
                self.components, wanted or [default_encoding]
            )
        return self.original_string

    def family_comma_given(self) -> str:
        """The name as ``"Family, Given"``."""
        return f"{self.family_name}, {self.given_name}"

    def formatted(self, format_str: str) -> str:
        """The name formatted with %-style `format_str`, whose keys are
        family_name, given_name, middle_name, name_prefix, name_suffix,
        ideographic and phonetic."""
        parts = (
            "family_name",
            "given_name",
            "middle_name",
            "name_prefix",
            "name_suffix",
            "ideographic",
            "phonetic",
        )
        return format_str % {part: getattr(self, part) for part in parts}

    @staticmethod
    def _encode_component_groups(
        alphabetic_group: Sequence[str | bytes],
        ideographic_group: Sequence[str | bytes],
        phonetic_group: Sequence[str | bytes],
        encodings: list[str] | None = None,
    ) -> bytes:
        codecs_ = encodings or [default_encoding]
        component_separator = encode_string("^", codecs_)
        group_separator = encode_string("=", codecs_)

        def encoded_part(part: str | bytes) -> bytes:
            text = decode_bytes(part, codecs_, set()) if isinstance(part, bytes) else part
            for forbidden in ("\\", "=", "^"):
                if forbidden in text:
                    raise ValueError(f"Strings may not contain the {forbidden} character")
            if isinstance(part, bytes):
                return part
            return encode_string(part, codecs_, PN_ENCODING_DELIMS)

        groups = [
            component_separator.join(encoded_part(p) for p in group).rstrip(component_separator)
            for group in (alphabetic_group, ideographic_group, phonetic_group)
        ]
        return group_separator.join(groups).rstrip(group_separator)

    @classmethod
    def from_named_components(
        cls,
        family_name: str | bytes = "",
        given_name: str | bytes = "",
        middle_name: str | bytes = "",
        name_prefix: str | bytes = "",
        name_suffix: str | bytes = "",
        family_name_ideographic: str | bytes = "",
        given_name_ideographic: str | bytes = "",
        middle_name_ideographic: str | bytes = "",
        name_prefix_ideographic: str | bytes = "",
        name_suffix_ideographic: str | bytes = "",
        family_name_phonetic: str | bytes = "",
        given_name_phonetic: str | bytes = "",
        middle_name_phonetic: str | bytes = "",
        name_prefix_phonetic: str | bytes = "",
        name_suffix_phonetic: str | bytes = "",
        encodings: list[str] | None = None,
    ) -> PersonName:
        """Build a name from its five components in up to three representations
        (PS3.5 section 6.2.1.1); components may not contain ``\\``, ``^`` or ``=``.

        Raises
        ------
        ValueError
            If a component contains one of the forbidden characters.
        """
        encoded = cls._encode_component_groups(
            [family_name, given_name, middle_name, name_prefix, name_suffix],
            [
                family_name_ideographic,
                given_name_ideographic,
                middle_name_ideographic,
                name_prefix_ideographic,
                name_suffix_ideographic,
            ],
            [
                family_name_phonetic,
                given_name_phonetic,
                middle_name_phonetic,
                name_prefix_phonetic,
                name_suffix_phonetic,
            ],
            encodings,
        )
        return cls(encoded, encodings=encodings)

    @classmethod
    def from_named_components_veterinary(
        cls,
        responsible_party_name: str | bytes = "",
        patient_name: str | bytes = "",
        responsible_party_name_ideographic: str | bytes = "",
        patient_name_ideographic: str | bytes = "",
        responsible_party_name_phonetic: str | bytes = "",
        patient_name_phonetic: str | bytes = "",
        encodings: list[str] | None = None,
    ) -> PersonName:
        """Build a veterinary name: the responsible party (family or
        organisation name) and the patient's name (PS3.5 section 6.2.1.1).

        Raises
        ------
        ValueError
            If a component contains ``\\``, ``^`` or ``=``.
        """
        encoded = cls._encode_component_groups(
            [responsible_party_name, patient_name],
            [responsible_party_name_ideographic, patient_name_ideographic],
            [responsible_party_name_phonetic, patient_name_phonetic],
            encodings,
        )
        return cls(encoded, encodings=encodings)
