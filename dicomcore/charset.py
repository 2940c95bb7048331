"""Specific Character Set handling: DICOM defined terms <-> Python codecs.

DICOM text values are encoded with the character sets named in (0008,0005)
*Specific Character Set* (PS3.3 C.12.1.1.2). Value 1 names the initial
character set; further values name the sets that ISO 2022 escape sequences
may switch to (PS3.5 section 6.1.2.5). This module maps the defined terms to
Python codecs, decodes byte strings that contain escape sequences, and
encodes text choosing the escape sequences needed.

Decoding follows pydicom 3 so that both libraries give the same strings for
the same file; the one deliberate difference is ISO 2022 IR 58 (GB 2312),
whose escape sequence pydicom leaves in the decoded text and omits when
encoding.
"""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import Iterable, Sequence

from dicomcore import config

#: Python codec used when (0008,0005) is absent: ISO IR 6, read leniently as
#: Latin-1 so that non-conformant 8-bit text still decodes without loss.
default_encoding = "iso8859"

#: Delimiters that end an escape sequence's scope in text values (LF, FF, CR,
#: TAB), PS3.5 section 6.1.2.5.3.
TEXT_VR_DELIMS = frozenset({0x0A, 0x0C, 0x0D, 0x09})
#: Person Name delimiter '^'; the component separator '=' is handled by
#: splitting before decoding.
PN_DELIMS = frozenset({0x5E})
#: Delimiters used when encoding a Person Name: text delimiters plus '^' and '='.
PN_ENCODING_DELIMS = TEXT_VR_DELIMS | {0x5E, 0x3D}

#: Defined terms of (0008,0005) to Python codec names (PS3.3 Tables C.12-2 to C.12-5).
python_encoding: dict[str, str] = {
    "": default_encoding,
    "ISO_IR 6": default_encoding,
    "ISO_IR 13": "shift_jis",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO 2022 IR 6": default_encoding,
    "ISO 2022 IR 13": "shift_jis",
    "ISO 2022 IR 87": "iso2022_jp",
    "ISO 2022 IR 100": "latin_1",
    "ISO 2022 IR 101": "iso8859_2",
    "ISO 2022 IR 109": "iso8859_3",
    "ISO 2022 IR 110": "iso8859_4",
    "ISO 2022 IR 126": "iso_ir_126",
    "ISO 2022 IR 127": "iso_ir_127",
    "ISO 2022 IR 138": "iso_ir_138",
    "ISO 2022 IR 144": "iso_ir_144",
    "ISO 2022 IR 148": "iso_ir_148",
    "ISO 2022 IR 149": "euc_kr",
    "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 166": "iso_ir_166",
    "ISO 2022 IR 58": "iso_ir_58",
    "ISO_IR 192": "UTF8",
    "GB18030": "GB18030",
    "GBK": "GBK",
    # Spellings introduced by CP 1234 for GBK and GB 2312 code extensions.
    "ISO 2022 GBK": "GBK",
    "ISO 2022 58": "GB2312",
}

#: Terms that do not allow code extensions (PS3.3 Table C.12-5, PS3.5 6.1.2.5.4 d).
STAND_ALONE_ENCODINGS = ("ISO_IR 192", "GBK", "GB18030")

ESC = b"\x1b"
_ESC_CODE = 0x1B

# Escape sequences of PS3.3 Tables C.12-3 and C.12-4 and the codec that
# decodes what follows each of them.
CODES_TO_ENCODINGS: dict[bytes, str] = {
    b"\x1b(B": default_encoding,  # ISO IR 6 (ASCII) into G0
    b"\x1b-A": "latin_1",
    b"\x1b)I": "shift_jis",  # JIS X 0201 Katakana into G1
    b"\x1b(J": "shift_jis",  # JIS X 0201 Romaji into G0
    b"\x1b$B": "iso2022_jp",  # JIS X 0208 into G0
    b"\x1b-B": "iso8859_2",
    b"\x1b-C": "iso8859_3",
    b"\x1b-D": "iso8859_4",
    b"\x1b-F": "iso_ir_126",
    b"\x1b-G": "iso_ir_127",
    b"\x1b-H": "iso_ir_138",
    b"\x1b-L": "iso_ir_144",
    b"\x1b-M": "iso_ir_148",
    b"\x1b-T": "iso_ir_166",
    b"\x1b$)C": "euc_kr",  # KS X 1001 into G1
    b"\x1b$(D": "iso2022_jp_2",  # JIS X 0212 into G0
    b"\x1b$)A": "iso_ir_58",  # GB 2312 into G1
}

# For these codecs Python itself interprets the escape sequence, so the
# escape stays in the bytes handed to the codec.
_CODECS_READING_ESCAPES = frozenset({"iso2022_jp", "iso2022_jp_2"})


def _warn(message: str) -> None:
    config.logger.warning(message)
    warnings.warn(message, UserWarning, stacklevel=3)


# --------------------------------------------------------------------------
# Defined terms -> codecs
# --------------------------------------------------------------------------

_MISSPELT_STANDARD = re.compile(r"^ISO[^_]IR")
_MISSPELT_EXTENSION = re.compile(r"^(?=ISO.2022.IR.)(?!ISO 2022 IR )")


def convert_encodings(encodings: None | str | Sequence[str]) -> list[str]:
    """Return the Python codecs for the values of (0008,0005) *Specific Character Set*.

    Parameters
    ----------
    encodings : str, list of str or None
        The defined term(s) as read from the element; an empty or missing
        value 1 means the default repertoire ISO IR 6.

    Returns
    -------
    list of str
        One Python codec name per usable term. Common misspellings
        (``'ISO IR 100'``, ``'ISO_2022_IR_87'``) are corrected with a warning;
        names that already are Python codecs are kept; unknown terms become
        the default encoding with a warning, or raise if
        ``config.settings.reading_validation_mode`` is RAISE. A stand-alone
        term (``ISO_IR 192``, ``GBK``, ``GB18030``) as value 1 drops the other
        values, and anywhere else is dropped itself (PS3.5 section 6.1.2.5.4).

    Raises
    ------
    LookupError
        For an unknown term when the reading validation mode is RAISE.
    """
    if not encodings:
        terms = [""]
    elif isinstance(encodings, str):
        terms = [encodings]
    else:
        terms = list(encodings)
        if not terms[0]:
            terms[0] = "ISO_IR 6"

    codecs_found = []
    for term in terms:
        codec = python_encoding.get(term)
        if codec is None:
            codec = _codec_for_unlisted_term(term)
        codecs_found.append(codec)

    if len(terms) > 1:
        codecs_found = _drop_misplaced_stand_alone_terms(terms, codecs_found)
    return codecs_found


def _codec_for_unlisted_term(term: str) -> str:
    corrected = None
    if _MISSPELT_STANDARD.match(term):
        corrected = "ISO_IR" + term[6:]
    elif _MISSPELT_EXTENSION.match(term):
        corrected = "ISO 2022 IR " + term[12:]

    if corrected is not None:
        if corrected in python_encoding:
            _warn(
                f"Incorrect value for Specific Character Set '{term}' - "
                f"assuming '{corrected}'"
            )
            return python_encoding[corrected]
        return _unknown_term(term)

    # A term that already is a Python codec name is accepted silently.
    try:
        codecs.lookup(term)
    except LookupError:
        return _unknown_term(term)
    return term


def _unknown_term(term: str) -> str:
    if config.settings.reading_validation_mode == config.RAISE:
        raise LookupError(f"Unknown encoding '{term}' in Specific Character Set")
    _warn(f"Unknown encoding '{term}' - using default encoding instead")
    return default_encoding


def _drop_misplaced_stand_alone_terms(terms: list[str], found: list[str]) -> list[str]:
    if terms[0] in STAND_ALONE_ENCODINGS:
        _warn(
            f"Value '{terms[0]}' for Specific Character Set does not allow "
            f"code extensions, ignoring: {', '.join(terms[1:])}"
        )
        return found[:1]
    kept = found[:1]
    for term, codec in zip(terms[1:], found[1:]):
        if term in STAND_ALONE_ENCODINGS:
            _warn(f"Value '{term}' cannot be used as code extension, ignoring it")
        else:
            kept.append(codec)
    return kept


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def decode_bytes(value: bytes, encodings: Sequence[str], delimiters: Iterable[int]) -> str:
    """Decode `value`, following ISO 2022 escape sequences.

    Parameters
    ----------
    value : bytes
        An encoded text value.
    encodings : list of str
        Python codecs from :func:`convert_encodings`; the first is the
        initial character set.
    delimiters : set of int
        Byte values after which the initial character set is active again
        (PS3.5 section 6.1.2.5.3), e.g. :data:`TEXT_VR_DELIMS`.

    Returns
    -------
    str
        The decoded text. Bytes that cannot be decoded are replaced by
        U+FFFD with a warning, unless the reading validation mode is RAISE.

    Raises
    ------
    UnicodeDecodeError
        If decoding fails and the reading validation mode is RAISE.
    ValueError
        For an escape sequence that is unknown or not declared in
        `encodings`, when the reading validation mode is RAISE.
    """
    value = bytes(value)
    first = encodings[0] if encodings else default_encoding
    escape_at = value.find(ESC)
    if escape_at < 0:
        return _decode_without_escapes(value, first)

    pieces = []
    if escape_at > 0:
        pieces.append(_decode_fragment(value[:escape_at], first, encodings, 0))
    delimiter_set = frozenset(delimiters)
    while escape_at >= 0:
        following = value.find(ESC, escape_at + 1)
        end = len(value) if following < 0 else following
        fragment = value[escape_at:end]
        pieces.append(_decode_escaped_fragment(fragment, encodings, delimiter_set, escape_at))
        escape_at = following
    return "".join(pieces)


#: pydicom's name for :func:`decode_bytes`.
decode_string = decode_bytes


def _decode_without_escapes(value: bytes, codec: str) -> str:
    try:
        return value.decode(codec)
    except LookupError:
        if config.settings.reading_validation_mode == config.RAISE:
            raise
        _warn(f"Unknown encoding '{codec}' - using default encoding instead")
        return value.decode(default_encoding)
    except UnicodeError as exc:
        if config.settings.reading_validation_mode == config.RAISE:
            raise
        _warn(
            f"Failed to decode byte string with encoding '{codec}' at byte "
            f"{getattr(exc, 'start', '?')} - using replacement characters in decoded string"
        )
        return value.decode(codec, errors="replace")


def _decode_fragment(fragment: bytes, codec: str, encodings: Sequence[str], offset: int) -> str:
    try:
        return fragment.decode(codec)
    except UnicodeError as exc:
        return _replace_undecodable(fragment, encodings, exc, offset)


def _replace_undecodable(
    fragment: bytes, encodings: Sequence[str], exc: UnicodeError, offset: int
) -> str:
    if config.settings.reading_validation_mode == config.RAISE:
        raise exc
    where = offset + getattr(exc, "start", 0)
    _warn(
        f"Failed to decode byte string with encodings: {', '.join(encodings)} "
        f"(at byte {where}) - using replacement characters in decoded string"
    )
    return fragment.decode(encodings[0], errors="replace")


def _escape_length(fragment: bytes) -> int:
    # Multi-byte sets are designated by 4-byte sequences ESC $ ( F / ESC $ ) F;
    # the exception ESC $ B is 3 bytes long like every single-byte designation.
    return 4 if fragment.startswith((b"\x1b$(", b"\x1b$)")) else 3


def _decode_escaped_fragment(
    fragment: bytes, encodings: Sequence[str], delimiters: frozenset[int], offset: int
) -> str:
    length = _escape_length(fragment)
    codec = CODES_TO_ENCODINGS.get(fragment[:length])
    if codec is None or (codec not in encodings and codec != default_encoding):
        message = (
            f"Found unknown escape sequence {fragment[:length]!r} at byte {offset} "
            "in encoded string value"
            if codec is None
            else f"Escape sequence {fragment[:length]!r} at byte {offset} selects "
            f"'{codec}', which (0008,0005) Specific Character Set does not declare"
        )
        if config.settings.reading_validation_mode == config.RAISE:
            raise ValueError(message)
        _warn(f"{message} - using encoding {encodings[0]}")
        return fragment.decode(encodings[0], errors="replace")

    try:
        if codec in _CODECS_READING_ESCAPES:
            return fragment.decode(codec)
        body = fragment[length:]
        # A delimiter makes the initial character set active again.
        for index, byte in enumerate(body):
            if byte in delimiters:
                return body[:index].decode(codec) + body[index:].decode(encodings[0])
        return body.decode(codec)
    except UnicodeError as exc:
        return _replace_undecodable(fragment, encodings, exc, offset)


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------

_G0_ASCII = b"\x1b(B"
_G0_JIS_ROMAN = b"\x1b(J"

# Per codec: the escape sequence designating its GL part (G0) and its GR part
# (G1); None where the codec has no such part (PS3.3 Tables C.12-3, C.12-4).
_DESIGNATIONS: dict[str, tuple[bytes | None, bytes | None]] = {
    default_encoding: (_G0_ASCII, None),
    "latin_1": (_G0_ASCII, b"\x1b-A"),
    "iso8859_2": (_G0_ASCII, b"\x1b-B"),
    "iso8859_3": (_G0_ASCII, b"\x1b-C"),
    "iso8859_4": (_G0_ASCII, b"\x1b-D"),
    "iso_ir_126": (_G0_ASCII, b"\x1b-F"),
    "iso_ir_127": (_G0_ASCII, b"\x1b-G"),
    "iso_ir_138": (_G0_ASCII, b"\x1b-H"),
    "iso_ir_144": (_G0_ASCII, b"\x1b-L"),
    "iso_ir_148": (_G0_ASCII, b"\x1b-M"),
    "iso_ir_166": (_G0_ASCII, b"\x1b-T"),
    "shift_jis": (_G0_JIS_ROMAN, b"\x1b)I"),
    "iso2022_jp": (b"\x1b$B", None),
    "iso2022_jp_2": (b"\x1b$(D", None),
    "euc_kr": (_G0_ASCII, b"\x1b$)C"),
    "iso_ir_58": (_G0_ASCII, b"\x1b$)A"),
}


_MULTI_BYTE_G0 = frozenset({b"\x1b$B", b"\x1b$(D"})


def encode_string(
    value: str, encodings: Sequence[str], delimiters: Iterable[int] = TEXT_VR_DELIMS
) -> bytes:
    """Encode `value` with the character sets in `encodings`.

    Parameters
    ----------
    value : str
        The text to encode.
    encodings : list of str
        Python codecs from :func:`convert_encodings`; the first is the
        initial character set, the others may be invoked by escape sequences.
    delimiters : set of int, optional
        Characters before which the initial G0 set is restored and after
        which every designation must be repeated (PS3.5 section 6.1.2.5.3);
        text delimiters by default, :data:`PN_ENCODING_DELIMS` for names.

    Returns
    -------
    bytes
        The encoded value. Text the initial character set can encode is
        returned without escape sequences; otherwise each run of characters
        is preceded by the escape sequence designating the character set
        that encodes it (PS3.5 section 6.1.2.5, Annexes H, I and K examples).

    Raises
    ------
    UnicodeEncodeError
        If some character cannot be encoded and the writing validation mode
        is RAISE; otherwise such characters are replaced with a warning.
    """
    encodings = list(encodings) or [default_encoding]
    first = encodings[0]
    try:
        return _encode_with_initial_set(value, first, len(encodings) > 1)
    except UnicodeError:
        pass
    except LookupError:
        if config.settings.writing_validation_mode == config.RAISE:
            raise
        _warn(f"Unknown encoding '{first}' - using default encoding instead")
        return value.encode(default_encoding, errors="replace")

    if len(encodings) > 1 and all(codec in _DESIGNATIONS for codec in encodings):
        try:
            return _encode_with_code_extensions(value, encodings, frozenset(delimiters))
        except UnicodeEncodeError:
            pass

    if config.settings.writing_validation_mode == config.RAISE:
        _raise_first_unencodable(value, encodings)
    _warn(
        f"Failed to encode value with encodings: {', '.join(encodings)} "
        "- using replacement characters in encoded string"
    )
    return _encode_with_replacement(value, first)


def _encode_with_initial_set(value: str, codec: str, has_extensions: bool) -> bytes:
    if codec == "shift_jis":
        # ISO IR 13 is JIS X 0201 only: every character must be one byte.
        encoded = value.encode(codec)
        if len(encoded) != len(value):
            position = next(i for i, c in enumerate(value) if len(c.encode(codec)) != 1)
            raise UnicodeEncodeError(codec, value, position, position + 1, "not in JIS X 0201")
        return encoded
    if codec == default_encoding and has_extensions:
        # With code extensions ISO IR 6 is strictly ASCII: 8-bit characters
        # must come from a set designated by an escape sequence.
        return value.encode("ascii")
    return value.encode(codec)


def _encode_with_replacement(value: str, codec: str) -> bytes:
    try:
        if codec == "shift_jis":
            return b"".join(
                encoded if len(encoded) == 1 else b"?"
                for encoded in (c.encode(codec, errors="replace") for c in value)
            )
        return value.encode(codec, errors="replace")
    except LookupError:
        return value.encode(default_encoding, errors="replace")


def _raise_first_unencodable(value: str, encodings: Sequence[str]) -> None:
    for position, char in enumerate(value):
        if _encode_char(char, encodings[0], strict_ascii=len(encodings) > 1) is None and all(
            _encode_char(char, codec) is None for codec in encodings[1:]
        ):
            raise UnicodeEncodeError(
                encodings[0],
                value,
                position,
                position + 1,
                f"no character set of {', '.join(encodings)} can encode {char!r}",
            )
    raise UnicodeEncodeError(encodings[0], value, 0, len(value), "cannot encode value")


def _encode_char(char: str, codec: str, strict_ascii: bool = False) -> tuple[bytes, int] | None:
    """Bytes for `char` in `codec` and whether they go to G0 (0) or G1 (1)."""
    try:
        if codec in _CODECS_READING_ESCAPES:
            encoded = char.encode(codec)
            designation = _DESIGNATIONS[codec][0]
            # Only characters that need the multi-byte set belong to it;
            # Python's codec emits ASCII characters without an escape.
            if not encoded.startswith(designation):
                return None
            return encoded[len(designation) : len(designation) + 2], 0
        encoded = char.encode(codec)
    except (UnicodeError, LookupError):
        return None
    if not encoded or (codec == "shift_jis" and len(encoded) != 1):
        return None
    side = 1 if encoded[0] >= 0x80 else 0
    if side == 1 and strict_ascii and codec == default_encoding:
        return None
    return encoded, side


def _encode_with_code_extensions(
    value: str, encodings: Sequence[str], delimiters: frozenset[int]
) -> bytes:
    initial_g0, initial_g1 = _DESIGNATIONS[encodings[0]]
    g0, g1 = initial_g0, initial_g1
    out = bytearray()
    for position, char in enumerate(value):
        code = ord(char)
        if code in delimiters:
            if g0 != initial_g0:
                out += initial_g0
            out.append(code)
            # The decoder returns to the initial sets after a delimiter.
            g0, g1 = initial_g0, initial_g1
            continue

        choice = None
        for codec in encodings:
            encoded = _encode_char(char, codec, strict_ascii=True)
            if encoded is None:
                continue
            side = encoded[1]
            needed = _DESIGNATIONS[codec][side]
            if (side == 0 and needed == g0) or (side == 1 and needed == g1):
                choice = (encoded[0], side, needed)
                break  # encodable without an escape sequence
            if choice is None:
                choice = (encoded[0], side, needed)
        if choice is None:
            raise UnicodeEncodeError(
                encodings[0], value, position, position + 1, "no declared character set"
            )
        encoded_bytes, side, needed = choice
        if g0 in _MULTI_BYTE_G0 and side == 1:
            # Decoders hand the bytes after ESC $ B to a codec that knows no
            # G1 set, so close the multi-byte set before a G1 character.
            out += initial_g0
            g0 = initial_g0
        if side == 0 and needed != g0:
            out += needed
            g0 = needed
        elif side == 1 and needed != g1:
            out += needed
            g1 = needed
        out += encoded_bytes
    if g0 != initial_g0:
        out += initial_g0
    return bytes(out)
