"""dicomcore.valuerep against pydicom.valuerep: VR names, value checks, and
the DA/DT/TM, DS, IS and PersonName classes."""

from __future__ import annotations

import copy
import datetime
import math
import pickle
import warnings
from decimal import Decimal

import pydicom.config
import pydicom.valuerep as pv
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dicomcore import config, valuerep
from dicomcore.valuerep import (
    DA,
    DS,
    DT,
    IS,
    TM,
    VR,
    DSdecimal,
    DSfloat,
    ISfloat,
    PersonName,
    format_number_as_ds,
    is_valid_ds,
    validate_value,
)


@pytest.fixture
def validation_mode():
    saved = (config.settings._reading_validation_mode, config.settings.writing_validation_mode)
    saved_pydicom = pydicom.config.settings.reading_validation_mode

    def set_mode(mode: int) -> None:
        config.settings.reading_validation_mode = mode
        pydicom.config.settings.reading_validation_mode = mode

    yield set_mode
    config.settings._reading_validation_mode, config.settings.writing_validation_mode = saved
    pydicom.config.settings.reading_validation_mode = saved_pydicom


@pytest.fixture
def use_ds_decimal():
    saved = config.use_DS_decimal
    config.use_DS_decimal = True
    yield
    config.use_DS_decimal = saved


# --------------------------------------------------------------------------
# VR names and groups
# --------------------------------------------------------------------------


def test_vr_members_match_pydicom() -> None:
    assert {vr.name: vr.value for vr in VR} == {vr.name: vr.value for vr in pv.VR}
    assert str(VR.US_SS) == "US or SS"
    assert f"{VR.OB_OW}" == "OB or OW"
    assert VR("US") is VR.US
    assert VR.US == "US" and hash(VR.US) == hash("US")
    assert {"US": 1}[VR.US] == 1


@pytest.mark.parametrize(
    "name",
    [
        "AMBIGUOUS_VR",
        "BYTES_VR",
        "FLOAT_VR",
        "INT_VR",
        "LIST_VR",
        "LONG_VALUE_VR",
        "STR_VR",
        "ALLOW_BACKSLASH",
        "DEFAULT_CHARSET_VR",
        "CUSTOMIZABLE_CHARSET_VR",
        "EXPLICIT_VR_LENGTH_16",
        "EXPLICIT_VR_LENGTH_32",
        "STANDARD_VR",
        "BUFFERABLE_VRS",
    ],
)
def test_vr_groups_match_pydicom(name: str) -> None:
    ours = getattr(valuerep, name)
    assert {str(vr) for vr in ours} == {str(vr) for vr in getattr(pv, name)}
    assert all(isinstance(vr, VR) for vr in ours)


def test_explicit_length_groups_partition_the_standard_vrs() -> None:
    assert valuerep.EXPLICIT_VR_LENGTH_16 | valuerep.EXPLICIT_VR_LENGTH_32 == valuerep.STANDARD_VR
    assert not valuerep.EXPLICIT_VR_LENGTH_16 & valuerep.EXPLICIT_VR_LENGTH_32
    assert VR.UC in valuerep.EXPLICIT_VR_LENGTH_32 and VR.SH in valuerep.EXPLICIT_VR_LENGTH_16


# --------------------------------------------------------------------------
# validate_value
# --------------------------------------------------------------------------

SAMPLES = {
    "AE": ["STORESCP", " AE ", "x" * 16, "x" * 17, "A\\B", "TAB\t", "é", "AE\n"],
    "AS": ["012Y", "001D", "12Y", "012X", "0123Y", "012y"],
    "CS": ["ORIGINAL", "A_B 1", "lower", "X" * 17, "A-B", "A\n"],
    "DA": ["20200101", "2020010", "20201301", "20200132", "-20200101", "20200101-",
           "20200101-20201231", "20200101- ", "2020.01.01", ""],
    "DS": ["1", "-1.5", "+.5", "1.", "1e5", "1.5E-3", " 1.5 ", "1.5.5", "e5", ".", "abc",
           "1234567890123456", "12345678901234567", "nan", "inf", "1e", "1\n"],
    "DT": ["2020", "202001", "20200101120000.123456", "20200101120000.123456+0100",
           "20200101246000", "2020010112000060", "20201301", "2020-2021", "20200101120000.1234567"],
    "IS": ["1", "-12", " 5 ", "+7", "1.0", "1e3", "1234567890123", "123456789012", "abc", ""],
    "LO": ["x" * 64, "x" * 65, "a\\b"],
    "LT": ["x" * 10240, "x" * 10241],
    "PN": ["Doe^John", "a=b=c", "a=b=c=d", "x" * 64, "x" * 65, "a=" + "y" * 65, ""],
    "SH": ["x" * 16, "x" * 17],
    "ST": ["x" * 1024, "x" * 1025],
    "TM": ["12", "1230", "123059", "123060", "123059.123456", "123059.1234567", "24", "1260",
           "12.5", "-1200", "1200-", "1200-1300", "123059. "],
    "UI": ["1.2.840.10008.1.2", "1.2.03", "1..2", ".1", "1.2.", "1" * 64, "1" * 65, "0.1",
           "1.2\x00", "1.a"],
    "UR": ["http://a.b/c?d=e#f", "with space", "trailing  ", "ü"],
}  # fmt: skip
NUMBERS = {
    "US": [0, 65535, 65536, -1, b"\x00\x01", b"\x00"],
    "SS": [-32768, 32767, 32768, -32769],
    "UL": [0, 2**32 - 1, 2**32, -1, b"\x00" * 4, b"\x00" * 3],
    "SL": [-(2**31), 2**31 - 1, 2**31],
    "UV": [0, 2**64 - 1, 2**64],
    "SV": [-(2**63), 2**63 - 1, 2**63],
    "FL": [1.5, 1, "1.5"],
    "FD": [1.5, 2, None],
    "OB": [b"\x00", bytearray(b"x"), "text"],
}


def pydicom_raises(vr: str, value) -> bool:
    try:
        pv.validate_value(vr, value, pydicom.config.RAISE)
    except ValueError:
        return True
    return False


def our_raises(vr: str, value) -> bool:
    try:
        validate_value(vr, value, config.RAISE)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize(
    ("vr", "value"),
    [(vr, v) for vr, values in {**SAMPLES, **NUMBERS}.items() for v in values],
    ids=lambda x: repr(x)[:20],
)
def test_validate_value_agrees_with_pydicom(vr, value) -> None:
    assert our_raises(vr, value) == pydicom_raises(vr, value)
    if isinstance(value, str):
        encoded = value.encode("latin_1")
        assert our_raises(vr, encoded) == pydicom_raises(vr, encoded)


@settings(max_examples=300, deadline=None)
@given(
    vr=st.sampled_from(sorted(SAMPLES)),
    value=st.text(alphabet="0123456789.+-eE ^=\\/:_ABCXYZabcDWMY\t\n\x00é", max_size=20),
)
def test_validate_value_agrees_with_pydicom_on_random_text(vr, value) -> None:
    assert our_raises(vr, value) == pydicom_raises(vr, value)


def test_validate_value_modes() -> None:
    validate_value("SH", "x" * 17, config.IGNORE)
    with pytest.warns(UserWarning, match="exceeds the maximum length of 16"):
        validate_value("SH", "x" * 17, config.WARN)
    with pytest.raises(ValueError, match="exceeds the maximum length of 16"):
        validate_value("SH", "x" * 17, config.RAISE)
    with pytest.raises(ValueError, match="cannot be assigned to a tag with VR US"):
        validate_value("US", 1.5, config.RAISE)
    validate_value("UT", "x" * 100000, config.RAISE)  # no limit
    validate_value("SH", None, config.RAISE)


def test_validate_value_custom_validator() -> None:
    with pytest.raises(ValueError, match="component length"):
        validate_value("PN", "x" * 65, config.RAISE, valuerep.validate_pn_component_length)


# --------------------------------------------------------------------------
# DA, DT, TM
# --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_da_matches_pydicom(date) -> None:
    text = date.strftime("%Y%m%d")
    ours, theirs = DA(text), pv.DA(text)
    assert ours == theirs == date
    assert str(ours) == str(theirs) == text
    assert repr(ours) == repr(theirs) == f'"{text}"'
    assert DA(date).original_string == pv.DA(date).original_string
    assert DA(f"{text[:4]}.{text[4:6]}.{text[6:]}") == date  # ACR-NEMA form


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime.datetime(1000, 1, 1)),
    st.integers(min_value=4, max_value=14),
    st.integers(min_value=0, max_value=6),
    st.one_of(st.none(), st.integers(min_value=-12 * 60, max_value=14 * 60)),
)
def test_dt_matches_pydicom(moment, digits, fraction, offset_minutes) -> None:
    text = moment.strftime("%Y%m%d%H%M%S")[:digits]
    if digits == 14 and fraction:
        text += "." + f"{moment.microsecond:06}"[:fraction]
    if offset_minutes is not None:
        sign = "-" if offset_minutes < 0 else "+"
        text += f"{sign}{abs(offset_minutes) // 60:02}{abs(offset_minutes) % 60:02}"
    ours, theirs = DT(text), pv.DT(text)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    assert str(ours) == str(theirs) == text
    assert repr(ours) == repr(theirs)
    aware = moment.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert DT(aware).original_string == pv.DT(aware).original_string
    assert DT(moment).original_string == pv.DT(moment).original_string


@settings(max_examples=200, deadline=None)
@given(st.times(), st.integers(min_value=2, max_value=6), st.integers(min_value=0, max_value=6))
def test_tm_matches_pydicom(moment, digits, fraction) -> None:
    text = moment.strftime("%H%M%S")[:digits]
    if digits == 6 and fraction:
        text += "." + f"{moment.microsecond:06}"[:fraction]
    assume(len(text) % 2 == 0 or "." in text)
    ours, theirs = TM(text), pv.TM(text)
    assert ours == theirs
    assert str(ours) == str(theirs) == text
    assert TM(moment).original_string == pv.TM(moment).original_string


@pytest.mark.parametrize(
    ("cls", "text"),
    [
        (DA, "20201301"),
        (DA, "2020010"),
        (DA, "abcdefgh"),
        (DT, "20"),
        (DT, "abcd"),
        (DT, "20201301"),
        (DT, "2020010112000000000000000000"),
        (TM, "25"),
        (TM, "1261"),
        (TM, "12:00"),
        (TM, "1"),
    ],
)
def test_date_time_rejects_invalid_text(cls, text) -> None:
    with pytest.raises(ValueError, match=cls.__name__):
        cls(text)


def test_date_time_blank_and_none_give_none() -> None:
    for cls in (DA, DT, TM):
        assert cls(None) is None
        assert cls("") is None
        assert cls("   ") is None


def test_leap_second_becomes_59_with_warning() -> None:
    with pytest.warns(UserWarning, match="'60'"):
        assert TM("235960").second == 59
    with pytest.warns(UserWarning, match="'60'"):
        assert DT("20201231235960").second == 59


def test_date_time_keep_their_text_through_pickle_and_copy() -> None:
    for value in (DA("20200101"), DT("20200101120000.5+0100"), TM("1200")):
        for clone in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
            assert clone == value
            assert str(clone) == str(value)
            assert type(clone) is type(value)


def test_date_time_from_objects_and_copies() -> None:
    assert str(DA(datetime.date(2020, 1, 2))) == "20200102"
    assert str(TM(datetime.time(1, 2, 3, 400))) == "010203.000400"
    assert str(DT(datetime.datetime(2020, 1, 2, 3, 4, 5))) == "20200102030405"
    original = DA("20200102")
    assert DA(original).original_string == "20200102"
    assert DA(2020, 1, 2) == datetime.date(2020, 1, 2)
    assert TM(1, 2) == datetime.time(1, 2)


# --------------------------------------------------------------------------
# DS
# --------------------------------------------------------------------------

DS_TEXTS = ["1.50", "-0.0", "1e3", " 7 ", "+1.5", "0.000001", "1234567890123456", ".5", "3."]


@pytest.mark.parametrize("text", DS_TEXTS)
def test_dsfloat_matches_pydicom(text: str) -> None:
    ours, theirs = DSfloat(text), pv.DSfloat(text)
    assert float(ours) == float(theirs)
    assert str(ours) == str(theirs) == text.strip()
    assert repr(ours) == repr(theirs)
    assert (ours == text.strip()) and (ours == float(theirs))
    assert not ours != text.strip()
    assert hash(ours) == hash(float(theirs))


def test_dsfloat_from_numbers() -> None:
    assert str(DSfloat(1.5)) == "1.5" and repr(DSfloat(1.5)) == "'1.5'"
    assert str(DSfloat(3)) == "3.0"
    assert not hasattr(DSfloat(1.5), "original_string")
    assert DSfloat(None) is None
    assert DSfloat("  ") == "  " and isinstance(DSfloat("  "), str)
    kept = DSfloat(DSfloat("1.50"))
    assert kept.original_string == "1.50"


def test_dsfloat_auto_format() -> None:
    value = DSfloat(math.pi, auto_format=True)
    assert str(value) == "3.14159265358979" == str(pv.DSfloat(math.pi, auto_format=True))
    assert float(value) == math.pi  # the number keeps its precision
    assert DSfloat(value).auto_format
    assert str(DSfloat("3.141592653589793238", auto_format=True)) == "3.14159265358979"


def test_dsfloat_raise_mode(validation_mode) -> None:
    validation_mode(config.RAISE)
    with pytest.raises(OverflowError):
        DSfloat("12345678901234567")
    with pytest.raises(ValueError):
        DSfloat("nan")
    with pytest.raises(OverflowError):
        DSfloat(math.pi)
    assert str(DSfloat(math.pi, auto_format=True)) == "3.14159265358979"


def test_ds_factory(use_ds_decimal) -> None:
    value = DS("1.50")
    assert type(value) is DSdecimal and str(value) == "1.50"
    assert valuerep.DSclass is DSdecimal
    with pytest.raises(TypeError, match="allow_DS_float"):
        DS(1.5)
    assert DS(None) is None and DS("") == ""


def test_ds_factory_default_is_float() -> None:
    assert type(DS("1.5")) is DSfloat
    assert valuerep.DSclass is DSfloat
    with pytest.warns(UserWarning, match="Invalid value for VR DS"):
        assert math.isinf(DS("inf"))  # float() reads it; DS does not allow it


def test_dsdecimal_matches_pydicom() -> None:
    for text in ("1.50", "1e3", "-0.25"):
        ours, theirs = DSdecimal(text), pv.DSdecimal(text)
        assert ours == theirs and str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert hash(ours) == hash(Decimal(text))
    with pytest.warns(UserWarning, match="<= 16"):
        DSdecimal(Decimal("3.14159265358979323846"))


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_as_ds(number: float) -> None:
    text = format_number_as_ds(number)
    assert len(text) <= 16
    assert is_valid_ds(text)
    theirs = pv.format_number_as_ds(number)
    # Never less precise than pydicom's choice.
    assert abs(float(text) - number) <= abs(float(theirs) - number)
    if len(repr(number)) <= 16:
        assert float(text) == number


def test_format_number_as_ds_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_number_as_ds(math.inf)
    with pytest.raises(TypeError):
        format_number_as_ds(1)  # type: ignore[arg-type]
    assert format_number_as_ds(Decimal("1.5")) == "1.5"


def test_ds_pickle_keeps_text() -> None:
    for value in (DSfloat("1.50"), DSdecimal("1.50"), IS("007")):
        clone = pickle.loads(pickle.dumps(value))
        assert clone == value and str(clone) == str(value) and type(clone) is type(value)


# --------------------------------------------------------------------------
# IS
# --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["5", " 5 ", "-12", "+7", "007", "2147483647"])
def test_is_matches_pydicom(text: str) -> None:
    ours, theirs = IS(text), pv.IS(text)
    assert int(ours) == int(theirs)
    assert str(ours) == str(theirs) == text.strip()
    assert repr(ours) == repr(theirs)
    assert ours == text.strip() and ours == int(theirs) and hash(ours) == hash(int(theirs))


def test_is_accepts_whole_float_text_with_warning() -> None:
    with pytest.warns(UserWarning, match="Invalid value for VR IS"):
        value = IS("1.0")
    assert type(value) is IS and value == 1 and str(value) == "1.0" and repr(value) == "'1'"


def test_is_fraction_gives_isfloat() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = IS("1.5")
        theirs = pv.IS("1.5")
    assert type(value) is ISfloat and value == 1.5 == theirs
    assert value.original_string == "1.5"
    assert IS(2.0) == 2 and type(IS(2.0)) is IS


def test_is_raise_mode(validation_mode) -> None:
    validation_mode(config.RAISE)
    with pytest.raises(TypeError):
        IS(1.5)
    with pytest.raises(OverflowError):
        IS(2**31)
    with pytest.raises(ValueError):
        IS("abc")


def test_is_blank_and_none() -> None:
    assert IS(None) is None
    assert IS("  ") == "  " and isinstance(IS(" "), str)
    assert IS(IS("007")).original_string == "007"


# --------------------------------------------------------------------------
# PersonName
# --------------------------------------------------------------------------

NAMES = [
    "Doe^John",
    "Doe^John^Paul^Dr.^Jr.",
    "Adams^John Robert Quincy^^Rev.^B.A. M.Div.",
    "Yamada^Tarou=山田^太郎=やまだ^たろう",
    "Hong^Gildong=洪^吉洞=홍^길동",
    "=山田^太郎",
    "Doe^John=",
    "",
    "^",
    "ABC Farms^Running on Water",
]


@pytest.mark.parametrize("text", NAMES)
def test_person_name_matches_pydicom(text: str) -> None:
    ours, theirs = PersonName(text), pv.PersonName(text)
    for attribute in (
        "components",
        "family_name",
        "given_name",
        "middle_name",
        "name_prefix",
        "name_suffix",
        "alphabetic",
        "ideographic",
        "phonetic",
    ):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert bool(ours) == bool(theirs)
    assert len(ours) == len(theirs)
    assert list(ours) == list(theirs)
    assert ours == str(theirs) and not ours != str(theirs)
    assert hash(ours) == hash(theirs)
    assert ours.family_comma_given() == theirs.family_comma_given()
    fmt = "%(family_name)s, %(given_name)s [%(ideographic)s]"
    assert ours.formatted(fmt) == theirs.formatted(fmt)
    if "^" in text:
        assert "^" in ours


@pytest.mark.parametrize(
    ("text", "encodings"),
    [
        ("Yamada^Tarou=山田^太郎=やまだ^たろう", ["iso8859", "iso2022_jp"]),
        ("Hong^Gildong=洪^吉洞=홍^길동", ["iso8859", "euc_kr"]),
        ("Wang^XiaoDong=王^小東", ["UTF8"]),
        ("Buc^Jérôme", ["latin_1"]),
    ],
)
def test_person_name_encode_decode(text, encodings) -> None:
    name = PersonName(text, encodings)
    encoded = name.encode()
    assert encoded == pv.PersonName(text, encodings).encode()
    assert name.original_string == encoded
    from_bytes = PersonName(encoded, encodings)
    assert from_bytes == text and from_bytes.encodings == tuple(encodings)
    assert from_bytes.encode() is encoded  # unchanged encodings: the original bytes
    # Wrong encodings first, then decoded with the right ones.
    wrong = PersonName(encoded, ["latin_1"])
    assert wrong.decode(encodings) == text
    assert wrong.decode() is wrong


def test_person_name_from_bytes_validates() -> None:
    with pytest.warns(UserWarning, match="number of PN components"):
        PersonName(b"a=b=c=d")


def test_person_name_none_and_copy() -> None:
    assert PersonName(None) is None
    name = PersonName("Doe^John", ["latin_1"])
    copied = PersonName(name)
    assert copied == name and copied.encodings == ("latin_1",)
    for clone in (pickle.loads(pickle.dumps(name)), copy.deepcopy(name), copy.copy(name)):
        assert clone == name and clone.encodings == name.encodings
    assert pickle.loads(pickle.dumps(name, protocol=0)) == name


@pytest.mark.parametrize(
    "kwargs",
    [
        {"family_name": "Adams", "given_name": "John Robert Quincy", "name_prefix": "Rev.",
         "name_suffix": "B.A. M.Div."},
        {"family_name": "Hong", "given_name": "Gildong", "family_name_ideographic": "洪",
         "given_name_ideographic": "吉洞", "family_name_phonetic": "홍",
         "given_name_phonetic": "길동", "encodings": ["iso8859", "euc_kr"]},
        {"family_name": b"Doe", "given_name": "John"},
        {},
    ],
)  # fmt: skip
def test_from_named_components_matches_pydicom(kwargs) -> None:
    ours = PersonName.from_named_components(**kwargs)
    theirs = pv.PersonName.from_named_components(**kwargs)
    assert ours.original_string == theirs.original_string
    assert ours == str(theirs)


def test_from_named_components_veterinary_and_forbidden_characters() -> None:
    ours = PersonName.from_named_components_veterinary("ABC Farms", "Running on Water")
    theirs = pv.PersonName.from_named_components_veterinary("ABC Farms", "Running on Water")
    assert ours.original_string == theirs.original_string == b"ABC Farms^Running on Water"
    for bad in ("a^b", "a=b", "a\\b"):
        with pytest.raises(ValueError, match="may not contain"):
            PersonName.from_named_components(family_name=bad)


def test_person_name_validation_mode_follows_reading_mode(validation_mode) -> None:
    name = PersonName._from_encoded(b"Doe", ("iso8859",))
    validation_mode(config.IGNORE)
    assert name.validation_mode == config.IGNORE
    validation_mode(config.RAISE)
    assert name.validation_mode == config.RAISE
    with pytest.raises(ValueError):
        PersonName("x" * 65)
