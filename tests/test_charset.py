"""dicomcore.charset: Specific Character Set terms, ISO 2022 decoding and encoding."""

from __future__ import annotations

import warnings

import pydicom
import pydicom.charset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement

import datafiles
from dicomcore import charset, config
from dicomcore.charset import (
    PN_DELIMS,
    PN_ENCODING_DELIMS,
    TEXT_VR_DELIMS,
    convert_encodings,
    decode_bytes,
    encode_string,
)
from dicomcore.valuerep import PersonName

TEXT_VRS = {"SH", "LO", "ST", "LT", "UT", "UC"}


@pytest.fixture
def validation_mode():
    """Set the reading/writing validation modes for one test and restore them."""
    saved = (config.settings._reading_validation_mode, config.settings.writing_validation_mode)

    def set_modes(reading: int, writing: int | None = None) -> None:
        config.settings.reading_validation_mode = reading
        config.settings.writing_validation_mode = reading if writing is None else writing

    yield set_modes
    config.settings._reading_validation_mode, config.settings.writing_validation_mode = saved


# --------------------------------------------------------------------------
# Real files: decode every text value as pydicom does
# --------------------------------------------------------------------------


def dataset_encodings(ds: pydicom.Dataset) -> list[str]:
    found = ds._character_set
    return [found] if isinstance(found, str) else list(found)


def text_elements(ds: pydicom.Dataset) -> list[tuple[RawDataElement, str, object, list[str]]]:
    """(raw element, VR, pydicom's value, encodings) for text and PN elements,
    recursing into items, which may declare their own character set."""
    found = []
    raws = dict(ds._dict)
    encodings = dataset_encodings(ds)
    for tag, raw in raws.items():
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value:
                found.extend(text_elements(item))
        elif elem.VR in TEXT_VRS | {"PN"} and isinstance(raw, RawDataElement) and raw.value:
            found.append((raw, elem.VR, elem.value, encodings))
    return found


@pytest.mark.parametrize("path", datafiles.charset_files(), ids=datafiles.file_id)
def test_decodes_charset_files_like_pydicom(path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        elements = text_elements(ds)
        term = ds.get("SpecificCharacterSet")
        assert convert_encodings(term) == pydicom.charset.convert_encodings(term)
    assert elements, "every charset file has text values"
    for raw, vr, theirs, encodings in elements:
        if vr == "PN":
            stripped = raw.value.rstrip(b"\x00 ")
            text = decode_bytes(stripped, encodings, TEXT_VR_DELIMS)
            names = text.split("\\")
            expected = [str(v) for v in theirs] if len(names) > 1 else [str(theirs)]
            assert [str(PersonName(name, encodings)) for name in names] == expected
            # A name read from bytes decodes each group with the PN delimiters.
            for name, encoded in zip(names, stripped.split(b"\\")):
                if len(names) == len(stripped.split(b"\\")):
                    assert str(PersonName(encoded, encodings)) == str(PersonName(name))
        else:
            text = decode_bytes(raw.value, encodings, TEXT_VR_DELIMS)
            assert text == pydicom.charset.decode_bytes(raw.value, encodings, TEXT_VR_DELIMS)


@pytest.mark.parametrize("path", datafiles.charset_files(), ids=datafiles.file_id)
def test_charset_file_text_survives_encoding(path) -> None:
    """encode_string(decode_bytes(raw)) decodes back to the same text, for
    every text and PN value of every charset file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        elements = text_elements(ds)
    for raw, vr, _, encodings in elements:
        stripped = raw.value.rstrip(b"\x00 ")
        if vr == "PN":
            for text in decode_bytes(stripped, encodings, TEXT_VR_DELIMS).split("\\"):
                name = PersonName(text, encodings)
                encoded = name.encode(encodings)
                assert decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == text.rstrip("=")
                assert str(PersonName(encoded, encodings)) == str(name)
        else:
            text = decode_bytes(stripped, encodings, TEXT_VR_DELIMS)
            encoded = encode_string(text, encodings)
            assert decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == text


# --------------------------------------------------------------------------
# The examples of the standard (PS3.5 Annexes H, I, J, K), byte for byte
# --------------------------------------------------------------------------

STANDARD_EXAMPLES = [
    # H.3.1: Japanese, JIS X 0208 by code extension.
    (
        ["", "ISO 2022 IR 87"],
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B",
    ),
    # H.3.2: JIS X 0201 katakana as value 1 (G0 returns to Romaji: ESC ( J).
    (
        ["ISO 2022 IR 13", "ISO 2022 IR 87"],
        "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
        b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J="
        b"\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J",
    ),
    # I.2: Korean, KS X 1001 in G1, designated again after each delimiter.
    (
        ["", "ISO 2022 IR 149"],
        "Hong^Gildong=洪^吉洞=홍^길동",
        b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
    ),
    # J.1: UTF-8, no code extensions.
    (
        "ISO_IR 192",
        "Wang^XiaoDong=王^小東",
        b"Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1",
    ),
    # J.2: GB18030.
    ("GB18030", "Wang^XiaoDong=王^小东", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab"),
    # K.2: GB 2312 by code extension (pydicom omits this escape sequence).
    (
        ["", "ISO 2022 IR 58"],
        "Wang^XiaoDong=王^小东",
        b"Wang^XiaoDong=\x1b$)A\xcd\xf5^\x1b$)A\xd0\xa1\xb6\xab",
    ),
]


@pytest.mark.parametrize(("terms", "text", "encoded"), STANDARD_EXAMPLES)
def test_standard_person_name_examples(terms, text, encoded) -> None:
    encodings = convert_encodings(terms)
    assert PersonName(text, encodings).encode(encodings) == encoded
    assert encode_string(text, encodings, PN_ENCODING_DELIMS) == encoded
    assert str(PersonName(encoded, encodings)) == text
    assert decode_bytes(encoded, encodings, PN_DELIMS | TEXT_VR_DELIMS) == text


def test_gb2312_escape_sequence_is_not_left_in_the_text() -> None:
    # pydicom decodes ESC $ ) A with the escape bytes left in: a known difference.
    encoded = b"\x1b$)A\xcd\xf5"
    assert decode_bytes(encoded, ["iso8859", "iso_ir_58"], TEXT_VR_DELIMS) == "王"


# --------------------------------------------------------------------------
# convert_encodings
# --------------------------------------------------------------------------

TERMS = [
    None,
    "",
    [],
    "ISO_IR 6",
    "ISO_IR 100",
    "ISO_IR 192",
    "GB18030",
    "GBK",
    ["", "ISO 2022 IR 87"],
    ["ISO 2022 IR 13", "ISO 2022 IR 87"],
    ["ISO 2022 IR 6", "ISO 2022 IR 100", "ISO 2022 IR 126"],
    ["", "ISO 2022 IR 149"],
    ["", "ISO 2022 IR 159"],
    ["", "ISO 2022 IR 58"],
    [term for term in charset.python_encoding if term and term not in charset.STAND_ALONE_ENCODINGS],
]
MISSPELT = [
    "ISO IR 100",
    "ISO-IR 100",
    "ISO_IR100",
    ["", "ISO_2022_IR_87"],
    ["", "ISO 2022-IR 149"],
    "ISO IR 999",
    "latin_1",
    "utf-8",
    "NOT A CHARSET",
    ["ISO_IR 192", "ISO 2022 IR 87"],
    ["", "ISO_IR 192", "ISO 2022 IR 87"],
    ["ISO 2022 IR 100", "GB18030"],
    [term for term in charset.python_encoding if term],
]


@pytest.mark.parametrize("terms", TERMS, ids=repr)
def test_convert_encodings_matches_pydicom(terms) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # valid terms give no warning
        assert convert_encodings(terms) == pydicom.charset.convert_encodings(terms)


@pytest.mark.parametrize("terms", MISSPELT, ids=repr)
def test_convert_encodings_corrects_or_warns_like_pydicom(terms) -> None:
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = pydicom.charset.convert_encodings(terms)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        assert convert_encodings(terms) == expected
    assert len(ours) == len(theirs)


def test_unknown_term_raises_in_raise_mode(validation_mode) -> None:
    validation_mode(config.RAISE)
    with pytest.raises(LookupError, match="NOT A CHARSET"):
        convert_encodings("NOT A CHARSET")


def test_convert_encodings_does_not_modify_its_argument() -> None:
    terms = ["", "ISO 2022 IR 87"]
    convert_encodings(terms)
    assert terms == ["", "ISO 2022 IR 87"]


# --------------------------------------------------------------------------
# decode_bytes
# --------------------------------------------------------------------------


def test_delimiter_returns_to_the_initial_character_set() -> None:
    # After CR LF the text is read with value 1 again (PS3.5 6.1.2.5.3).
    encoded = b"\x1b-L\xbb\xee\r\n\xbb\xee"
    text = decode_bytes(encoded, ["latin_1", "iso_ir_144"], TEXT_VR_DELIMS)
    assert text == "Лю\r\n»î"
    assert text == pydicom.charset.decode_bytes(encoded, ["latin_1", "iso_ir_144"], TEXT_VR_DELIMS)


def test_pn_delimiter_resets_but_text_delimiters_do_not() -> None:
    encoded = b"\x1b$)C\xfb\xf3^\xfb\xf3"
    assert decode_bytes(encoded, ["iso8859", "euc_kr"], PN_DELIMS) == "洪^\xfb\xf3"
    assert decode_bytes(encoded, ["iso8859", "euc_kr"], TEXT_VR_DELIMS) == "洪^洪"


def test_undecodable_bytes_are_replaced_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="Failed to decode"):
        assert decode_bytes(b"A\xffB", ["UTF8"], TEXT_VR_DELIMS) == "A\ufffdB"


def test_undecodable_bytes_raise_in_raise_mode(validation_mode) -> None:
    validation_mode(config.RAISE)
    with pytest.raises(UnicodeDecodeError):
        decode_bytes(b"A\xffB", ["UTF8"], TEXT_VR_DELIMS)
    with pytest.raises(UnicodeDecodeError):
        decode_bytes(b"\x1b$)C\xff\x20", ["iso8859", "euc_kr"], TEXT_VR_DELIMS)


def test_unknown_escape_sequence_warns_and_says_where() -> None:
    with pytest.warns(UserWarning, match="byte 3"):
        text = decode_bytes(b"abc\x1b%Gxyz", ["iso8859", "iso2022_jp"], TEXT_VR_DELIMS)
    assert text == "abc\x1b%Gxyz"


def test_escape_for_undeclared_character_set_raises_in_raise_mode(validation_mode) -> None:
    validation_mode(config.RAISE)
    with pytest.raises(ValueError, match="does not declare"):
        decode_bytes(b"\x1b$B;3ED", ["iso8859"], TEXT_VR_DELIMS)


def test_unknown_codec_falls_back_to_default_with_warning() -> None:
    with pytest.warns(UserWarning, match="Unknown encoding"):
        assert decode_bytes(b"caf\xe9", ["no-such-codec"], TEXT_VR_DELIMS) == "café"


def test_truncated_escape_sequence_is_a_warning_not_a_crash() -> None:
    for encoded in (b"\x1b", b"A\x1b$", b"A\x1b$)"):
        with pytest.warns(UserWarning):
            decode_bytes(encoded, ["iso8859", "euc_kr"], TEXT_VR_DELIMS)


# --------------------------------------------------------------------------
# encode_string
# --------------------------------------------------------------------------


def test_initial_character_set_needs_no_escape() -> None:
    assert encode_string("Buc^Jérôme", ["latin_1"]) == b"Buc^J\xe9r\xf4me"
    assert encode_string("Люкceмбypг", ["iso_ir_144"]) == "Люкceмбypг".encode("iso8859_5")
    assert encode_string("ﾔﾏﾀﾞ", ["shift_jis"]) == b"\xd4\xcf\xc0\xde"


def test_latin1_by_code_extension_gets_its_escape() -> None:
    # With code extensions ISO IR 6 is ASCII only; é comes from ISO IR 100's G1.
    encodings = convert_encodings(["ISO 2022 IR 6", "ISO 2022 IR 100"])
    assert encode_string("Jérôme", encodings) == b"J\x1b-A\xe9r\xf4me"
    assert decode_bytes(b"J\x1b-A\xe9r\xf4me", encodings, TEXT_VR_DELIMS) == "Jérôme"


def test_multi_byte_run_is_closed_before_a_text_delimiter() -> None:
    encodings = ["iso8859", "iso2022_jp"]
    encoded = encode_string("山田\r\nabc", encodings)
    assert encoded == b"\x1b$B;3ED\x1b(B\r\nabc"
    assert decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == "山田\r\nabc"


def test_jis_x_0212_characters_use_their_own_escape() -> None:
    encodings = convert_encodings(["", "ISO 2022 IR 87", "ISO 2022 IR 159"])
    text = "山丂"  # 丂 is in JIS X 0212 but not in JIS X 0208
    encoded = encode_string(text, encodings)
    assert encoded.startswith(b"\x1b$B;3\x1b$(D")
    assert decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == text


def test_unencodable_text_warns_and_replaces(validation_mode) -> None:
    validation_mode(config.WARN, config.WARN)
    with pytest.warns(UserWarning, match="Failed to encode"):
        assert encode_string("a山b", ["latin_1"]) == b"a?b"


def test_unencodable_text_raises_in_raise_mode(validation_mode) -> None:
    validation_mode(config.WARN, config.RAISE)
    with pytest.raises(UnicodeEncodeError) as info:
        encode_string("ab山", ["iso8859", "euc_kr", "latin_1"][:1] + ["latin_1"])
    assert info.value.start == 2


REPERTOIRES = {
    ("latin_1",): "ABCabc 0123456789.-éèàçÄÖÜßñ",
    ("iso_ir_144",): "ABCabc 012 ЛюксембургДИОНЫСИΟ"[:25],
    ("iso8859", "iso2022_jp"): "Yamada^Tarou abc 山田太郎やまだたろう",
    ("shift_jis", "iso2022_jp"): "ABC ﾔﾏﾀﾞﾀﾛｳ山田太郎",
    ("iso8859", "euc_kr"): "Hong Gildong 洪吉洞홍길동",
    ("iso8859", "iso_ir_58"): "Wang XiaoDong 王小东",
    ("iso8859", "latin_1", "iso_ir_144"): "Jérôme Люк abc",
    ("UTF8",): "Wang 王小東 Jérôme Люк 😀",
    ("GB18030",): "Wang 王小东 ab",
}


@pytest.mark.parametrize("encodings", sorted(REPERTOIRES), ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_encode_decode_round_trip(encodings, data) -> None:
    alphabet = REPERTOIRES[encodings]
    text = data.draw(st.text(alphabet=alphabet + "\r\n^=", max_size=30))
    encodings = list(encodings)
    encoded = encode_string(text, encodings)
    assert decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == text
    # The escape sequences are the ones pydicom's decoder understands as well,
    # except GB 2312, whose escape pydicom does not strip.
    if "iso_ir_58" not in encodings:
        assert pydicom.charset.decode_bytes(encoded, encodings, TEXT_VR_DELIMS) == text
    # Names: each component group decodes on its own.
    name_text = text.replace("\r", "").replace("\n", "")
    name = PersonName(name_text, encodings)
    assert str(PersonName(name.encode(encodings), encodings)) == "=".join(name.components)
