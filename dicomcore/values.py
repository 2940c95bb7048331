"""Element values: encoded bytes <-> Python values, per VR (PS3.5 section 6.2).

:func:`convert_value` turns the bytes of an element read from a file into
the value pydicom 3 gives for it (``DataElement.value``), and
:func:`encode_value` turns a value back into the bytes to write, padded to
even length (PS3.5 section 7.1.1). Values read from a file keep their
original text, so that encoding them again gives the bytes that were read.

The hot conversions live in the Cython module ``dicomcore._values``; this
module holds the complete pure-Python implementation that is used when the
extension is not built and for the rare cases the extension hands back.
"""

from __future__ import annotations

import datetime
import struct
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from dicomcore import config
from dicomcore.charset import (
    TEXT_VR_DELIMS,
    decode_bytes,
    default_encoding,
    encode_string,
)
from dicomcore.errors import BytesLengthException
from dicomcore.multival import MultiValue
from dicomcore.valuerep import (
    DA,
    DT,
    IS,
    TM,
    DSdecimal,
    DSfloat,
    PersonName,
    _encode_components,
    _without_trailing_empty,
    validate_value,
)

__all__ = ["convert_value", "empty_value_for_VR", "encode_value"]

Encodings = Sequence[str] | str | None

# --------------------------------------------------------------------------
# Optional collaborators: tag and UID classes, looked up when first needed
# --------------------------------------------------------------------------

_missing = object()
_optional_classes: dict[str, Any] = {}


def _optional_class(module_name: str, class_name: str) -> Any:
    """``module_name.class_name`` if that module can be imported, else None.

    The tag and UID modules are written separately from this one; values
    fall back to plain int and str while they are not there.
    """
    found = _optional_classes.get(class_name, _missing)
    if found is not _missing and found is not None:
        return found
    module = sys.modules.get(module_name)
    if module is None and found is _missing:
        try:
            module = __import__(module_name, fromlist=[class_name])
        except ImportError:
            module = None
    found = getattr(module, class_name, None) if module is not None else None
    _optional_classes[class_name] = found
    return found


def tag_class() -> Callable[[int], int]:
    """The class AT values are made of: ``dicomcore.tag.BaseTag`` or int."""
    return _optional_class("dicomcore.tag", "BaseTag") or int


def tag_factory() -> Callable[[Any], int]:
    """The constructor for AT items added to a MultiValue: ``Tag`` or int."""
    return _optional_class("dicomcore.tag", "Tag") or int


def uid_class() -> Callable[[str], str]:
    """The class UI values are made of: ``dicomcore.uid.UID`` or str."""
    return _optional_class("dicomcore.uid", "UID") or str


# --------------------------------------------------------------------------
# Empty values
# --------------------------------------------------------------------------

_EMPTY_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DT", "TM", "UI", "UR", "LO", "LT", "SH", "ST", "UC", "UT"}
)


def empty_value_for_VR(VR: str | None, raw: bool = False) -> Any:
    """The value of an element of `VR` that has no value.

    ``[]`` (``b""`` if `raw`) for SQ; ``PersonName("")`` for PN; ``""`` for
    the other text VRs except DS and IS; None otherwise. With
    ``config.use_none_as_empty_text_VR_value`` set, None for all but SQ.
    """
    if VR == "SQ":
        return b"" if raw else []
    if getattr(config, "use_none_as_empty_text_VR_value", False):
        return None
    if VR == "PN":
        return b"" if raw else PersonName("")
    if VR in _EMPTY_TEXT_VRS:
        return b"" if raw else ""
    return None


# --------------------------------------------------------------------------
# Decoding helpers
# --------------------------------------------------------------------------


def _single_or_multi(items: list[Any], constructor: Callable[[Any], Any]) -> Any:
    return items[0] if len(items) == 1 else MultiValue._from_converted(constructor, items)


def _reading_mode() -> int:
    return config.settings.reading_validation_mode


def _split_default_text(raw: bytes) -> list[str]:
    # Default repertoire values: trailing padding (space, or NUL written by
    # some writers) is not significant; leading spaces are kept (PS3.5 6.2).
    return raw.decode("latin_1").rstrip(" \x00").split("\\")


def _convert_string(raw: bytes, little: bool, encodings: list[str]) -> Any:
    return _single_or_multi(_split_default_text(raw), str)


def _convert_AE(raw: bytes, little: bool, encodings: list[str]) -> Any:
    # Leading and trailing spaces of AE are both insignificant.
    return _single_or_multi([item.strip() for item in raw.decode("latin_1").split("\\")], str)


def _convert_UR(raw: bytes, little: bool, encodings: list[str]) -> Any:
    return raw.decode("latin_1").rstrip()


def _convert_UI(raw: bytes, little: bool, encodings: list[str]) -> Any:
    uid = uid_class()
    items = raw.decode("latin_1").rstrip("\x00 ").split("\\")
    return _single_or_multi([uid(item) for item in items], uid)


def _date_time_converter(
    factory: Callable[[str], Any], length_limits: tuple[int, int] | None
) -> Callable[[bytes, bool, list[str]], Any]:
    # DA, DT and TM are text unless config.datetime_conversion asks for
    # datetime objects, as in pydicom.
    def from_text(item: str) -> Any:
        item = item.rstrip()
        if length_limits and item and not length_limits[0] <= len(item) <= length_limits[1]:
            config.logger.warning(
                f"Expected length between {length_limits[0]} and {length_limits[1]}, "
                f"got length {len(item)}"
            )
        return factory(item)

    def convert(raw: bytes, little: bool, encodings: list[str]) -> Any:
        if not getattr(config, "datetime_conversion", False):
            return _convert_string(raw, little, encodings)
        items = [from_text(item) for item in raw.decode("latin_1").split("\\")]
        return _single_or_multi(items, from_text)

    return convert


_convert_DA = _date_time_converter(DA, None)
_convert_DT = _date_time_converter(DT, (4, 26))
_convert_TM = _date_time_converter(TM, (2, 16))


def _check_numeric_text(text: str, allowed: str, vr: str) -> None:
    bad = sorted({c for c in text if c not in allowed})
    if bad:
        raise ValueError(f"{vr}: char(s) not in repertoire: '{''.join(bad)}'")


def _convert_DS(raw: bytes, little: bool, encodings: list[str]) -> Any:
    text = raw.decode("latin_1")
    if config.use_DS_numpy:
        import numpy

        _check_numeric_text(text, " \\0123456789.+-eE", "DS")
        array = numpy.array([float(item) for item in text.split("\\")], dtype=numpy.float64)
        return array[0] if len(array) == 1 else array
    ds_class = DSdecimal if config.use_DS_decimal else DSfloat
    items = text.strip().rstrip(" \x00").split("\\")
    return _single_or_multi([ds_class(item) for item in items], ds_class)


def _convert_IS(raw: bytes, little: bool, encodings: list[str]) -> Any:
    text = raw.decode("latin_1")
    if config.use_IS_numpy:
        import numpy

        _check_numeric_text(text, " \\0123456789.+-", "IS")
        array = numpy.array([int(float(item)) for item in text.split("\\")], dtype=numpy.int64)
        return array[0] if len(array) == 1 else array
    items = text.rstrip(" \x00").split("\\")
    return _single_or_multi([IS(item) for item in items], IS)


def _convert_text(raw: bytes, encodings: list[str], vr: str) -> Any:
    mode = _reading_mode()
    items = decode_bytes(raw, encodings, TEXT_VR_DELIMS).split("\\")
    for item in items:
        validate_value(vr, item, mode)
    return _single_or_multi([item.rstrip("\x00 ") for item in items], str)


def _text_converter(vr: str) -> Callable[[bytes, bool, list[str]], Any]:
    return lambda raw, little, encodings: _convert_text(raw, encodings, vr)


def _single_text_converter(vr: str) -> Callable[[bytes, bool, list[str]], Any]:
    # ST, LT and UT hold one value; a backslash is an ordinary character.
    def convert(raw: bytes, little: bool, encodings: list[str]) -> Any:
        text = decode_bytes(raw, encodings, TEXT_VR_DELIMS)
        validate_value(vr, text, _reading_mode())
        return text.rstrip("\x00 ")

    return convert


# Codecs in which the bytes of '\', '=' and '^' never occur inside a
# multi-byte character, so a value can be split before it is decoded.
_SPLIT_SAFE_CODECS = frozenset(
    {
        "iso8859", "latin_1", "latin1", "iso-8859-1", "iso8859_1", "ascii",
        "iso8859_2", "iso8859_3", "iso8859_4", "iso_ir_126", "iso_ir_127",
        "iso_ir_138", "iso_ir_144", "iso_ir_148", "iso_ir_166", "UTF8", "utf_8",
        "utf-8", "utf8", "euc_kr", "iso_ir_58", "GB2312",
    }
)  # fmt: skip


def _pn_bytes_within_limits(encoded: bytes) -> bool:
    # At most 3 groups of at most 64 characters (PS3.5 6.2); in the codecs
    # split before decoding, bytes per group bound characters per group.
    groups = encoded.split(b"=")
    return len(groups) <= 3 and all(len(group) <= 64 for group in groups)


def _convert_PN(raw: bytes, little: bool, encodings: list[str]) -> Any:
    mode = _reading_mode()
    codecs_ = tuple(encodings)
    stripped = raw.rstrip(b"\x00 ")
    if b"\x1b" not in stripped and codecs_[0] in _SPLIT_SAFE_CODECS:
        # Decoded when first used; the bytes stay the name's original_string.
        names = []
        for piece in stripped.split(b"\\"):
            name = PersonName._from_encoded(piece, codecs_)
            if not _pn_bytes_within_limits(piece):
                validate_value("PN", str(name), mode)  # counts characters, warns
            names.append(name)
        return _single_or_multi(names, PersonName)

    texts = decode_bytes(stripped, encodings, TEXT_VR_DELIMS).split("\\")
    pieces = stripped.split(b"\\")
    names = []
    for index, text in enumerate(texts):
        name = PersonName(text, codecs_, validation_mode=mode)
        # The bytes of each value are known if every 0x5C byte separated values.
        if len(pieces) == len(texts):
            name.original_string = pieces[index]
        else:
            name.encode()
        names.append(name)
    return _single_or_multi(names, PersonName)


def _convert_bytes(raw: bytes, little: bool, encodings: list[str]) -> bytes:
    return raw


def _number_converter(vr: str, code: str) -> Callable[[bytes, bool, list[str]], Any]:
    size = struct.calcsize("<" + code)
    little_format = struct.Struct("<" + code)
    big_format = struct.Struct(">" + code)

    def convert(raw: bytes, little: bool, encodings: list[str]) -> Any:
        count, remainder = divmod(len(raw), size)
        if remainder:
            raise BytesLengthException(
                f"Expected total bytes to be an even multiple of bytes per value. Instead "
                f"received {raw[:64]!r}{'...' if len(raw) > 64 else ''} with length "
                f"{len(raw)}, which is not a multiple of {size}, the size of a VR {vr} value."
            )
        if count == 1:
            return (little_format if little else big_format).unpack(raw)[0]
        return list(struct.unpack(f"{'<' if little else '>'}{count}{code}", raw))

    return convert


def _convert_AT(raw: bytes, little: bool, encodings: list[str]) -> Any:
    tag = tag_class()
    pairs = struct.iter_unpack("<HH" if little else ">HH", raw[: len(raw) - len(raw) % 4])
    tags = [tag((group << 16) | element) for group, element in pairs]
    if len(raw) == 4:
        return tags[0]
    if len(raw) % 4:
        config.logger.warning(
            f"Expected length to be multiple of 4 for VR 'AT', got length {len(raw)}"
        )
    return MultiValue._from_converted(tag_factory(), tags)


_CONVERTERS: dict[str, Callable[[bytes, bool, list[str]], Any]] = {
    "AE": _convert_AE,
    "AS": _convert_string,
    "AT": _convert_AT,
    "CS": _convert_string,
    "DA": _convert_DA,
    "DS": _convert_DS,
    "DT": _convert_DT,
    "FD": _number_converter("FD", "d"),
    "FL": _number_converter("FL", "f"),
    "IS": _convert_IS,
    "LO": _text_converter("LO"),
    "LT": _single_text_converter("LT"),
    "OB": _convert_bytes,
    "OD": _convert_bytes,
    "OF": _convert_bytes,
    "OL": _convert_bytes,
    "OV": _convert_bytes,
    "OW": _convert_bytes,
    "PN": _convert_PN,
    "SH": _text_converter("SH"),
    "SL": _number_converter("SL", "l"),
    "SS": _number_converter("SS", "h"),
    "ST": _single_text_converter("ST"),
    "SV": _number_converter("SV", "q"),
    "TM": _convert_TM,
    "UC": _text_converter("UC"),
    "UI": _convert_UI,
    "UL": _number_converter("UL", "L"),
    "UN": _convert_bytes,
    "UR": _convert_UR,
    "US": _number_converter("US", "H"),
    "UT": _single_text_converter("UT"),
    "UV": _number_converter("UV", "Q"),
    # Ambiguous VRs are resolved by the caller; if one arrives anyway, the
    # value stays bytes, except 'US or SS', read as US.
    "US or SS": _number_converter("US", "H"),
    "US or OW": _convert_bytes,
    "US or SS or OW": _convert_bytes,
    "OB or OW": _convert_bytes,
}

_fallback_text = _text_converter("SH")


def _as_codec_list(encodings: Encodings) -> list[str]:
    if not encodings:
        return [default_encoding]
    if isinstance(encodings, str):
        return [encodings]
    return list(encodings)


def _unknown_vr(vr: Any) -> Exception:
    if vr == "SQ":
        return TypeError(
            "VR SQ values are sequences of items: parse them with the dataset "
            "reader; convert_value only handles non-sequence values"
        )
    text = str(vr)
    if not text.isprintable():
        text = " ".join(f"0x{ord(c):02x}" for c in text)
    return NotImplementedError(f"Unknown Value Representation '{text}'")


def convert_value_py(
    vr: str, raw: bytes | bytearray | memoryview, is_little_endian: bool = True, encodings: Encodings = None
) -> Any:
    """Pure-Python :func:`convert_value` (used when the extension is not built)."""
    converter = _CONVERTERS.get(vr)
    if converter is None:
        raise _unknown_vr(vr)
    if raw is None or not raw:  # pydicom keeps some empty values as None
        return empty_value_for_VR(vr)
    if not isinstance(raw, bytes):
        try:
            raw = bytes(memoryview(raw))
        except TypeError:
            raise TypeError(
                f"The encoded value of a VR {vr} element must be bytes-like, "
                f"not {type(raw).__name__}"
            ) from None
    codecs_ = _as_codec_list(encodings)
    try:
        return converter(raw, is_little_endian, codecs_)
    except ValueError:
        if _reading_mode() == config.RAISE:
            raise
    # As pydicom does, a value that does not parse as its VR is kept as text.
    return _fallback_text(raw, is_little_endian, codecs_)


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------


def _is_multi(value: Any) -> bool:
    if isinstance(value, list | tuple | MultiValue):
        return True
    return type(value).__module__ == "numpy" and getattr(value, "ndim", 0) > 0


def _items(value: Any) -> list[Any]:
    return list(value) if _is_multi(value) else [value]


def _encode_default_text(text: str, vr: str) -> bytes:
    try:
        return text.encode("latin_1")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"VR {vr} allows only the default character repertoire (PS3.5 6.1.2.3); "
            f"character {text[exc.start]!r} at position {exc.start} of {text!r} cannot be encoded"
        ) from None


def _join_text(value: Any, vr: str, format_item: Callable[[Any], str]) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return _encode_default_text(value, vr)
    return _encode_default_text("\\".join(format_item(item) for item in _items(value)), vr)


def _text_item(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, bytes):
        return item.decode("latin_1")
    return str(item)


def _ds_item(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, str):
        return item
    text = getattr(item, "original_string", None)
    if text is not None:
        return text
    if isinstance(item, Decimal):
        return str(item)
    return str(DSfloat(float(item), validation_mode=config.IGNORE))


def _is_item(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, str):
        return item
    text = getattr(item, "original_string", None)
    if text is not None:
        return text
    if isinstance(item, int) or hasattr(item, "__index__"):
        return str(int(item))
    number = float(item)
    return str(int(number)) if number.is_integer() else repr(number)


def _date_item(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, str):
        return item
    text = getattr(item, "original_string", None)
    if text is not None:
        return text
    if isinstance(item, datetime.datetime):
        return DT(item).original_string
    if isinstance(item, datetime.date):
        return DA(item).original_string
    if isinstance(item, datetime.time):
        return TM(item).original_string
    return str(item)


def _default_text_encoder(
    vr: str, format_item: Callable[[Any], str]
) -> Callable[[Any, bool, list[str]], bytes]:
    return lambda value, little, encodings: _join_text(value, vr, format_item)


def _encode_text(value: Any, little: bool, encodings: list[str]) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return encode_string(value, encodings)
    return b"\\".join(_encode_text_item(item, encodings) for item in _items(value))


def _encode_text_item(item: Any, encodings: list[str]) -> bytes:
    if item is None:
        return b""
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    return encode_string(str(item), encodings)


def _encode_person_name(item: Any, encodings: list[str]) -> bytes:
    if isinstance(item, PersonName):
        return item.encode(encodings)
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    if item is None:
        return b""
    components = _without_trailing_empty(str(item).split("="))
    return _encode_components(components, encodings)


def _encode_PN(value: Any, little: bool, encodings: list[str]) -> bytes:
    if isinstance(value, str) and "\\" in value:
        value = value.split("\\")
    return b"\\".join(_encode_person_name(item, encodings) for item in _items(value))


def _encode_bytes(value: Any, little: bool, encodings: list[str]) -> bytes:
    if isinstance(value, bytes):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "dtype"):
        import numpy

        array = numpy.asarray(value)
        if array.dtype.itemsize > 1:
            array = array.astype(array.dtype.newbyteorder("<" if little else ">"), copy=False)
        return array.tobytes()
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(
            f"A value of type '{type(value).__name__}' cannot be encoded as bytes; "
            "use bytes, bytearray, memoryview or a numpy array"
        ) from None


def _number_encoder(
    vr: str, code: str, kind: str, low: int, high: int
) -> Callable[[Any, bool, list[str]], bytes]:
    size = struct.calcsize("<" + code)
    numpy_kinds = "iub" if kind == "i" else "iubf"

    def check(item: Any, index: int) -> None:
        if kind == "i":
            if isinstance(item, float) and not item.is_integer() or isinstance(item, str):
                raise TypeError(f"value {index} ({item!r}) of VR {vr} must be an integer")
            if not low <= int(item) <= high:
                raise ValueError(
                    f"value {index} ({item!r}) is outside the range of VR {vr} ({low}..{high})"
                )

    def encode(value: Any, little: bool, encodings: list[str]) -> bytes:
        if value is None or (isinstance(value, str) and value == ""):
            return b""
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            if len(data) % size:
                raise BytesLengthException(
                    f"{len(data)} bytes cannot hold whole VR {vr} values of {size} bytes"
                )
            return data
        order = "<" if little else ">"
        if type(value).__module__ == "numpy" and hasattr(value, "dtype"):
            import numpy

            array = numpy.asarray(value)
            if array.dtype.kind in numpy_kinds:
                target = numpy.dtype(order + code)
                if array.size and kind == "i":
                    if array.min() < low or array.max() > high:
                        bad = int(numpy.argmax((array < low) | (array > high)))
                        check(array.ravel()[bad].item(), bad)
                return array.astype(target).tobytes()
            value = array.tolist()
        items = _items(value)
        for index, item in enumerate(items):
            check(item, index)
        if kind == "i":
            items = [int(item) for item in items]
        try:
            return struct.pack(f"{order}{len(items)}{code}", *items)
        except (struct.error, TypeError, OverflowError) as exc:
            raise ValueError(f"cannot encode {value!r} as VR {vr}: {exc}") from None

    return encode


def _encode_AT(value: Any, little: bool, encodings: list[str]) -> bytes:
    if value is None or value == "":
        return b""
    # A 2-tuple of 16-bit numbers is one (group, element) tag, as pydicom's
    # Tag() reads it; any other list or tuple holds several tags.
    if isinstance(value, tuple) and len(value) == 2 and all(
        isinstance(part, int) and 0 <= part <= 0xFFFF for part in value
    ):
        items = [(value[0] << 16) | value[1]]
    else:
        items = _items(value)
    tags = []
    for index, item in enumerate(items):
        if isinstance(item, int):
            tag = int(item)
        elif isinstance(item, tuple) and len(item) == 2:
            tag = (int(item[0]) << 16) | int(item[1])
        else:
            factory = _optional_class("dicomcore.tag", "Tag")
            if factory is None:
                raise TypeError(f"AT value {index} ({item!r}) is not a tag number")
            tag = int(factory(item))
        if not 0 <= tag <= 0xFFFFFFFF:
            raise ValueError(f"AT value {index} ({item!r}) is not a 32-bit tag")
        tags.append(tag)
    order = "<" if little else ">"
    return b"".join(struct.pack(order + "HH", tag >> 16, tag & 0xFFFF) for tag in tags)


_INT_RANGES = {
    "US": ("H", 0, 2**16 - 1),
    "SS": ("h", -(2**15), 2**15 - 1),
    "UL": ("L", 0, 2**32 - 1),
    "SL": ("l", -(2**31), 2**31 - 1),
    "UV": ("Q", 0, 2**64 - 1),
    "SV": ("q", -(2**63), 2**63 - 1),
}

_ENCODERS: dict[str, Callable[[Any, bool, list[str]], bytes]] = {
    "AE": _default_text_encoder("AE", _text_item),
    "AS": _default_text_encoder("AS", _text_item),
    "AT": _encode_AT,
    "CS": _default_text_encoder("CS", _text_item),
    "DA": _default_text_encoder("DA", _date_item),
    "DS": _default_text_encoder("DS", _ds_item),
    "DT": _default_text_encoder("DT", _date_item),
    "FD": _number_encoder("FD", "d", "f", 0, 0),
    "FL": _number_encoder("FL", "f", "f", 0, 0),
    "IS": _default_text_encoder("IS", _is_item),
    "LO": _encode_text,
    "LT": _encode_text,
    "OB": _encode_bytes,
    "OD": _encode_bytes,
    "OF": _encode_bytes,
    "OL": _encode_bytes,
    "OV": _encode_bytes,
    "OW": _encode_bytes,
    "PN": _encode_PN,
    "SH": _encode_text,
    "ST": _encode_text,
    "TM": _default_text_encoder("TM", _date_item),
    "UC": _encode_text,
    "UI": _default_text_encoder("UI", _text_item),
    "UN": _encode_bytes,
    "UR": _default_text_encoder("UR", _text_item),
    "UT": _encode_text,
    "US or SS": _number_encoder("US", "H", "i", 0, 2**16 - 1),
    "US or OW": _encode_bytes,
    "US or SS or OW": _encode_bytes,
    "OB or OW": _encode_bytes,
}
for _vr, (_code, _low, _high) in _INT_RANGES.items():
    _ENCODERS[_vr] = _number_encoder(_vr, _code, "i", _low, _high)

# The byte that pads a value to even length (PS3.5 section 6.2).
_NUL_PADDED = frozenset(
    {"UI", "OB", "OD", "OF", "OL", "OV", "OW", "UN", "US or OW", "US or SS or OW", "OB or OW"}
)


def encode_value_py(
    vr: str, value: Any, is_little_endian: bool = True, encodings: Encodings = None
) -> bytes:
    """Pure-Python :func:`encode_value` (used when the extension is not built)."""
    encoder = _ENCODERS.get(vr)
    if encoder is None:
        raise _unknown_vr(vr)
    if value is None:
        return b""
    data = encoder(value, is_little_endian, _as_codec_list(encodings))
    if len(data) % 2:
        data += b"\x00" if vr in _NUL_PADDED else b" "
    return data


# --------------------------------------------------------------------------
# Public entry points: the extension when it is built
# --------------------------------------------------------------------------


def convert_value(
    vr: str,
    raw: bytes | bytearray | memoryview,
    is_little_endian: bool = True,
    encodings: list[str] | None = None,
) -> Any:
    """Return the Python value of an element's encoded bytes.

    Parameters
    ----------
    vr : str
        The element's VR (PS3.5 Table 6.2-1). Ambiguous VRs should be
        resolved first; ``'US or SS'`` is read as US, the others as bytes.
    raw : bytes or memoryview
        The encoded value, without tag and length.
    is_little_endian : bool, optional
        Byte order of binary numbers and AT values (PS3.5 section 7.3).
    encodings : list of str, optional
        Python codecs for SH, LO, ST, LT, UC, UT and PN, from
        :func:`dicomcore.charset.convert_encodings`; default ``['iso8859']``.

    Returns
    -------
    Any
        The value pydicom 3 gives: None, ``''`` or ``PersonName('')`` when
        empty; a single value, or a :class:`~dicomcore.multival.MultiValue`
        (text and AT) or :class:`list` (binary numbers) for several; DSfloat
        (or DSdecimal), IS, PersonName, UID (if ``dicomcore.uid`` exists),
        str for DA/DT/TM unless ``config.datetime_conversion``, int or float
        for binary numbers, bytes for OB, OD, OF, OL, OV, OW and UN.

    Raises
    ------
    BytesLengthException
        If the length is not a multiple of the size of a binary number.
    NotImplementedError
        For an unknown VR.
    TypeError
        For SQ, whose items the dataset reader parses.
    ValueError
        For a value that does not parse as its VR when the reading
        validation mode is RAISE (otherwise such a value is kept as text).
    """
    return convert_value_py(vr, raw, is_little_endian, encodings)


def encode_value(
    vr: str, value: Any, is_little_endian: bool = True, encodings: list[str] | None = None
) -> bytes:
    """Return the bytes that encode `value` as an element of `vr`.

    Parameters
    ----------
    vr : str
        The element's VR (PS3.5 Table 6.2-1).
    value : Any
        What :func:`convert_value` returns, or what users assign: str,
        int, float, bytes, lists and tuples, MultiValue, PersonName,
        :mod:`datetime` objects, DSfloat/IS with their original text, numpy
        arrays for binary VRs.
    is_little_endian : bool, optional
        Byte order of binary numbers and AT values.
    encodings : list of str, optional
        Python codecs for SH, LO, ST, LT, UC, UT and PN.

    Returns
    -------
    bytes
        The value, padded to even length with a space (text) or NUL (UI and
        byte VRs) as PS3.5 section 6.2 requires.

    Raises
    ------
    ValueError
        For a number outside its VR's range or text outside its repertoire.
    TypeError
        For a value of a type the VR cannot hold.
    """
    return encode_value_py(vr, value, is_little_endian, encodings)


try:
    from dicomcore import _values as _accelerated
except ImportError:  # the extension is not built: the pure-Python code serves
    _accelerated = None
else:
    # Same behaviour, same documentation: help() shows the full docstrings.
    _accelerated.convert_value.__doc__ = convert_value.__doc__
    _accelerated.encode_value.__doc__ = encode_value.__doc__
    convert_value = _accelerated.convert_value  # noqa: F811
    encode_value = _accelerated.encode_value  # noqa: F811
