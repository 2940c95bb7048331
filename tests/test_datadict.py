"""The data dictionary: generator, generated tables, and dicomcore.datadict against pydicom 3."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import pydicom
import pydicom.datadict as pdd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom._dicom_dict import DicomDictionary as PydicomDictionary
from pydicom._dicom_dict import RepeatersDictionary as PydicomRepeaters

import datafiles
from dicomcore import datadict
from dicomcore._dicom_dict import DicomDictionary, RepeatersDictionary
from dicomcore.datadict import (
    add_dict_entries,
    add_dict_entry,
    add_private_dict_entries,
    add_private_dict_entry,
    dictionary_description,
    dictionary_has_tag,
    dictionary_is_retired,
    dictionary_keyword,
    dictionary_VM,
    dictionary_VR,
    dictionary_VR_or_none,
    get_entry,
    get_private_entry,
    keyword_dict,
    keyword_for_tag,
    mask_match,
    private_dictionaries,
    private_dictionary_description,
    private_dictionary_VM,
    private_dictionary_VR,
    repeater_has_keyword,
    repeater_has_tag,
    tag_for_keyword,
)
from dicomcore.tag import BaseTag, Tag

REPO = Path(__file__).resolve().parent.parent
REGISTRY = REPO.parent / "shared" / "dicom-standard"
GENERATOR = REPO / "tools" / "generate_dictionary.py"
FIELDS = ("VR", "VM", "Name", "Retired", "Keyword")

# The retired placeholders the standard prints blank, and pydicom fills in.
BLANK_PLACEHOLDERS = {0x00080202, 0x00180061, 0x00189445, 0x00280020, 0x04000315, 0x300A0135,
                      0x300A0782}

# Every disagreement with pydicom 3.0.2's dictionary over shared tags, field by
# field, as listed in the registry README ("pydicom 3.0.2 cross-check"); the three
# FFFE items agree because both write VR "NONE".
EXPECTED_DIFFERENCES = {
    "VR": {
        0x00080202: ("OB", ""),
        0x00189445: ("OB", ""),
        0x00280020: ("OB", ""),
    },
    "VM": {
        0x00080202: ("1", ""),
        0x00189445: ("1", ""),
        0x00280020: ("1", ""),
        0x00281200: ("1-n", "1-n or 1"),
        0x00283006: ("1-n", "1-n or 1"),
    },
    "Name": {
        0x00080202: ("Retired-blank", ""),
        0x00189445: ("Retired-blank", ""),
        0x00280020: ("Retired-blank", ""),
        0x00181153: ("Exposure in uAs", "Exposure in µAs"),
        0x00188150: ("Exposure Time in uS", "Exposure Time in µS"),
        0x00188151: ("X-Ray Tube Current in uA", "X-Ray Tube Current in µA"),
    },
    "Retired": {
        0x00102160: ("", "Retired"),  # Ethnic Group, retired in 2025a
        0x30040012: ("Retired", ""),  # Dose Value: not retired in the 2026c DocBook
    },
    "Keyword": {
        0x003A0320: ("SummarizedFilterLookupTable", "SummarizedFilterLookupTableSequence"),
        0x003A0325: ("AnalogFilterType", "AnalogFilterTypeCodeSequence"),
    },
}
DIFFERING_TAGS = {tag for diffs in EXPECTED_DIFFERENCES.values() for tag in diffs}


def load_module(path: Path, name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def restore_dictionaries():
    """Undo run-time dictionary additions so tests stay independent."""
    saved_main, saved_keywords = dict(DicomDictionary), dict(keyword_dict)
    saved_private = {creator: dict(entries) for creator, entries in private_dictionaries.items()}
    yield
    DicomDictionary.clear()
    DicomDictionary.update(saved_main)
    keyword_dict.clear()
    keyword_dict.update(saved_keywords)
    private_dictionaries.clear()
    private_dictionaries.update(saved_private)


# --- generator --------------------------------------------------------------------------

needs_registry = pytest.mark.skipif(
    not REGISTRY.is_dir(), reason=f"registry source {REGISTRY} is not present on this machine"
)


@needs_registry
def test_generator_reproduces_committed_modules(tmp_path: Path) -> None:
    for run in ("first", "second"):
        out = tmp_path / run
        result = subprocess.run(
            [sys.executable, str(GENERATOR), "--source", str(REGISTRY), "--output-dir", str(out)],
            capture_output=True, text=True, check=False,
        )
        assert result.returncode == 0, result.stderr
        for name in ("_dicom_dict.py", "_uid_dict.py"):
            assert (out / name).read_bytes() == (REPO / "dicomcore" / name).read_bytes(), name


@needs_registry
def test_generated_tables_hold_every_registry_row() -> None:
    def rows(name):
        lines = (REGISTRY / name).read_text(encoding="utf-8").splitlines()[1:]
        return [line.split("\t") for line in lines]

    element_rows = rows("data-elements.tsv") + rows("command-elements.tsv")
    assert len(element_rows) == 5309 + 46
    for tag, name, keyword, vr, vm, retired in element_rows:
        if "x" in tag:
            entry = RepeatersDictionary[tag]
        else:
            entry = DicomDictionary[int(tag, 16)]
        expected_vr = "NONE" if tag.startswith("FFFEE0") else vr
        assert entry == (expected_vr, vm, name, "Retired" if retired else "", keyword), tag
    assert len(DicomDictionary) + len(RepeatersDictionary) == len(element_rows)
    assert len(RepeatersDictionary) == 88

    uid_rows = rows("uids.tsv")
    from dicomcore._uid_dict import UID_dictionary

    assert len(UID_dictionary) == len(uid_rows) == 496
    for uid, name, keyword, uid_type, retired, _table in uid_rows:
        entry = UID_dictionary[uid]
        assert entry[1] == uid_type and entry[4] == keyword
        assert entry[3] == ("Retired" if retired else "")
        assert "&" not in entry[0] and not entry[0].endswith("(Retired)")
        assert name.replace("&", "and").startswith(entry[0])


def write_registry(folder: Path, data_rows: list[str], uid_rows: list[str] | None = None) -> None:
    folder.mkdir()
    (folder / "README.md").write_text("# registry (PS3.6 / PS3.7, edition 2099a)\n")
    header = "tag\tname\tkeyword\tVR\tVM\tretired\n"
    (folder / "data-elements.tsv").write_text(header + "".join(r + "\n" for r in data_rows))
    (folder / "command-elements.tsv").write_text(
        header + "00000000\tCommand Group Length\tCommandGroupLength\tUL\t1\t\n"
    )
    uid_rows = uid_rows or ["1.2.840.10008.1.1\tVerification SOP Class\tVerification\tSOP Class\t\tA-1"]
    (folder / "uids.tsv").write_text(
        "uid\tname\tkeyword\ttype\tretired\ttable\n" + "".join(r + "\n" for r in uid_rows)
    )


def test_generator_on_a_small_registry(tmp_path: Path) -> None:
    generator = load_module(GENERATOR, "generate_dictionary")
    source = tmp_path / "src"
    write_registry(
        source,
        ["00100010\tPatient's Name\tPatientName\tPN\t1\t",
         "60xx3000\tOverlay Data\tOverlayData\tOB or OW\t1\t",
         "FFFEE000\tItem\tItem\t\t1\t"],
        ["1.2.840.10008.1.2\tImplicit VR Little Endian: Default Transfer Syntax for DICOM\t"
         "ImplicitVRLittleEndian\tTransfer Syntax\t\tA-1",
         "1.2.3\tA & B (Retired)\tAB\tSOP Class\tRET\tA-1"],
    )
    generator.generate(source, tmp_path / "out")
    main = load_module(tmp_path / "out" / "_dicom_dict.py", "small_dicom_dict")
    uids = load_module(tmp_path / "out" / "_uid_dict.py", "small_uid_dict")
    assert main.DICOM_STANDARD_EDITION == "2099a"
    assert main.DicomDictionary == {
        0x00000000: ("UL", "1", "Command Group Length", "", "CommandGroupLength"),
        0x00100010: ("PN", "1", "Patient's Name", "", "PatientName"),
        0xFFFEE000: ("NONE", "1", "Item", "", "Item"),
    }
    assert main.RepeatersDictionary == {
        "60xx3000": ("OB or OW", "1", "Overlay Data", "", "OverlayData")
    }
    assert uids.UID_dictionary == {
        "1.2.840.10008.1.2": ("Implicit VR Little Endian", "Transfer Syntax",
                              "Default Transfer Syntax for DICOM", "", "ImplicitVRLittleEndian"),
        "1.2.3": ("A and B", "SOP Class", "", "Retired", "AB"),
    }


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("00100010\tPatient's Name\tPatientName\tPX\t1\t", "unknown VR"),
        ("0010001\tPatient's Name\tPatientName\tPN\t1\t", "bad tag"),
        ("00100010\tPatient's Name\tPatientName\tPN\t1", "fields"),
        ("00100020\tPatient ID\tCommandGroupLength\tLO\t1\t", "keyword CommandGroupLength"),
        ("00100020\tPatient ID\t\tLO\t1\t", "only retired placeholders"),
        ("00100020\tPatient ID\tPatientID\tLO\t1\tYES", "retired column"),
    ],
)
def test_generator_rejects_malformed_rows(tmp_path: Path, bad_row: str, message: str) -> None:
    generator = load_module(GENERATOR, "generate_dictionary")
    source = tmp_path / "src"
    write_registry(source, [bad_row])
    with pytest.raises(generator.RegistryError, match=message):
        generator.generate(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_generator_rejects_retired_flag_disagreeing_with_name(tmp_path: Path) -> None:
    generator = load_module(GENERATOR, "generate_dictionary")
    source = tmp_path / "src"
    write_registry(source, [], ["1.2.3\tSomething (Retired)\tSomething\tSOP Class\t\tA-1"])
    with pytest.raises(generator.RegistryError, match="retired flag"):
        generator.generate(source, tmp_path / "out")


@pytest.mark.parametrize("name", ["_dicom_dict.py", "_uid_dict.py"])
def test_generated_modules_are_plain_literals(name: str) -> None:
    # Only a docstring, one import and literal assignments: the module loads
    # straight from constants in its .pyc, with no code to run.
    source = (REPO / "dicomcore" / name).read_text(encoding="utf-8")
    assert source.startswith('"""') and "GENERATED FILE - do not edit" in source
    assert "tools/generate_dictionary.py" in source and "2026c" in source
    tree = ast.parse(source)
    for node in tree.body[1:]:
        if isinstance(node, ast.ImportFrom):
            assert node.module == "__future__"
            continue
        assert isinstance(node, ast.Assign | ast.AnnAssign)
        ast.literal_eval(node.value)


def test_package_never_reads_the_registry_source() -> None:
    for name in ("datadict.py", "tag.py", "uid.py", "_dicom_dict.py", "_uid_dict.py"):
        text = (REPO / "dicomcore" / name).read_text(encoding="utf-8")
        for reading in ("open(", "read_text", "read_bytes", "Path(", "/shared/", "__file__"):
            assert reading not in text, (name, reading)


# --- the tables against pydicom ---------------------------------------------------------


def test_differences_from_pydicom_are_exactly_the_documented_ones() -> None:
    found: dict[str, dict[int, tuple[str, str]]] = {field: {} for field in FIELDS}
    for tag, theirs in PydicomDictionary.items():
        ours = DicomDictionary[tag]  # every pydicom tag is ours too
        for index, field in enumerate(FIELDS):
            if theirs[index] != ours[index]:
                found[field][tag] = (theirs[index], ours[index])
    assert {field: diffs for field, diffs in found.items() if diffs} == EXPECTED_DIFFERENCES


def test_repeaters_match_pydicom() -> None:
    assert RepeatersDictionary == PydicomRepeaters


def test_tags_pydicom_lacks_are_newer_elements() -> None:
    ours_only = set(DicomDictionary) - set(PydicomDictionary)
    # 175 elements added after pydicom's edition plus the blank placeholder (300A,0135).
    assert len(ours_only) == 176
    assert 0x300A0135 in ours_only
    assert {0x00060001, 0x00102162, 0x0040E012} <= ours_only
    assert all(DicomDictionary[tag][4] for tag in ours_only - {0x300A0135})


def test_special_rows() -> None:
    for tag in (0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD):
        assert dictionary_VR(tag) == "NONE"
    assert get_entry(0x00000100) == ("US", "1", "Command Field", "", "CommandField")
    assert dictionary_is_retired(0x00000001)  # retired command field (PS3.7 E.2-1)
    assert dictionary_VR(0x00281200) == "US or SS or OW"
    assert dictionary_VR(0x00283006) == "US or OW"
    assert dictionary_VR(0x7FE00010) == "OB or OW"
    assert dictionary_VR(0x00280106) == "US or SS"
    assert dictionary_description(0x00181153) == "Exposure in µAs"
    for tag in BLANK_PLACEHOLDERS:
        assert dictionary_keyword(tag) == "" and keyword_for_tag(tag) == ""
        assert dictionary_is_retired(tag)
    assert "" not in keyword_dict and tag_for_keyword("") is None
    assert dictionary_VR(0x00180061) == "DS" and dictionary_VR(0x00080202) == ""


# --- look-ups -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [0x00100010, (0x0010, 0x0010), [0x0010, 0x0010], BaseTag(0x00100010), "PatientName",
     "0x00100010", "00100010", ("0010", "0010")],
    ids=repr,
)
def test_lookups_accept_every_tag_spelling(spelling) -> None:
    assert get_entry(spelling) == ("PN", "1", "Patient's Name", "", "PatientName")
    assert dictionary_VR(spelling) == "PN"
    assert dictionary_VM(spelling) == "1"
    assert dictionary_description(spelling) == "Patient's Name"
    assert dictionary_keyword(spelling) == keyword_for_tag(spelling) == "PatientName"
    assert dictionary_is_retired(spelling) is False
    assert dictionary_has_tag(spelling) is True
    assert pdd.get_entry(spelling) == get_entry(spelling)


@pytest.mark.parametrize("tag", [0x00091010, 0x00100003, 0x0008FFFF, 0xFFFFFFFF, 0x00000000 + 0x7,
                                 0x60013000, 0x60203000, "0x00091010"], ids=repr)
def test_unknown_tags_raise_key_error_like_pydicom(tag) -> None:
    with pytest.raises(KeyError, match="not found in DICOM dictionary"):
        get_entry(tag)
    for function in (dictionary_VR, dictionary_VM, dictionary_description, dictionary_keyword,
                     dictionary_is_retired):
        with pytest.raises(KeyError):
            function(tag)
    assert keyword_for_tag(tag) == ""
    assert dictionary_has_tag(tag) is False


@pytest.mark.parametrize("bad", [-1, 0x100000000, (0x10000, 0), "NotAKeyword", (1, 2, 3)],
                         ids=repr)
def test_invalid_tags_raise_what_pydicom_raises(bad) -> None:
    with pytest.raises(Exception) as theirs:
        pdd.dictionary_VR(bad)
    with pytest.raises(type(theirs.value)):
        dictionary_VR(bad)
    assert dictionary_has_tag(bad) is False


def test_every_entry_round_trips_through_keyword() -> None:
    keyworded = {tag: entry for tag, entry in DicomDictionary.items() if entry[4]}
    assert len(keyword_dict) == len(keyworded) == len(DicomDictionary) - len(BLANK_PLACEHOLDERS)
    for tag, entry in keyworded.items():
        assert tag_for_keyword(entry[4]) == tag
        assert keyword_for_tag(tag) == entry[4]
        assert Tag(entry[4]) == tag


def test_keywords_agree_with_pydicom() -> None:
    renamed = EXPECTED_DIFFERENCES["Keyword"]
    for keyword, tag in pdd.keyword_dict.items():
        if not keyword or tag in renamed:
            continue
        assert tag_for_keyword(keyword) == tag, keyword
    for tag, (old, new) in renamed.items():
        assert tag_for_keyword(old) is None and tag_for_keyword(new) == tag
    assert tag_for_keyword("OverlayData") is None is pdd.tag_for_keyword("OverlayData")
    assert tag_for_keyword("NotAKeyword") is None


def test_vr_or_none_agrees_with_dictionary_vr() -> None:
    for tag, entry in DicomDictionary.items():
        assert dictionary_VR_or_none(tag) == (entry[0] or None)
    assert dictionary_VR_or_none(0x00091010) is None  # private
    assert dictionary_VR_or_none(0x00100003) is None  # unknown public
    assert dictionary_VR_or_none(0x60043000) == "OB or OW"
    assert dictionary_VR_or_none(0x60053000) is None  # odd group: private, not an overlay
    assert dictionary_VR_or_none(0x50100005) == "US"
    assert dictionary_VR_or_none(-1) is None and dictionary_VR_or_none(1 << 40) is None


# --- repeating groups and masks -----------------------------------------------------------

FAMILY_MASKS = {family: [m for m in RepeatersDictionary if m.startswith(family)]
                for family in ("50xx", "60xx", "7Fxx")}


@pytest.mark.parametrize("family, last_group", [("50xx", 0x501E), ("60xx", 0x601E),
                                                ("7Fxx", 0x7FFE)])
def test_repeating_groups_resolve_in_allowed_groups_only(family: str, last_group: int) -> None:
    first_group = last_group & 0xFF00
    masks = FAMILY_MASKS[family]
    assert masks
    for mask in masks:
        element = int(mask[4:], 16)
        for group in range(first_group, first_group + 0x100):
            tag = group << 16 | element
            allowed = group % 2 == 0 and group <= last_group
            assert mask_match(tag) == (mask if allowed else None), hex(tag)
            assert repeater_has_tag(tag) is allowed
            if tag in DicomDictionary:
                assert get_entry(tag) == DicomDictionary[tag]  # a plain entry wins (7FE0)
            elif allowed:
                assert get_entry(tag) == RepeatersDictionary[mask]
                assert pdd.get_entry(tag) == get_entry(tag)  # pydicom agrees here
                assert dictionary_has_tag(tag) is pdd.dictionary_has_tag(tag) is False
            else:
                with pytest.raises(KeyError):
                    get_entry(tag)


def test_repeating_group_limits_differ_from_pydicom_only_outside_the_standard() -> None:
    # pydicom's mask_match ignores the 5000-501E / 6000-601E limits and odd groups.
    assert pdd.mask_match(0x60203000) == "60xx3000" and mask_match(0x60203000) is None
    assert pdd.mask_match(0x60013000) == "60xx3000" and mask_match(0x60013000) is None
    assert pdd.mask_match(0x50220005) == "50xx0005" and mask_match(0x50220005) is None
    assert get_entry((0x601E, 0x3000))[4] == "OverlayData"
    assert get_entry("60023000")[4] == "OverlayData"


def element_sample() -> list[int]:
    return sorted(set(range(0, 0x10000, 7)) | set(range(0x0000, 0x0020))
                  | set(range(0x3100, 0x3200)) | set(range(0x0400, 0x0500))
                  | set(range(0x0800, 0x0900)) | {0xFFF0, 0xFFF5, 0xFFF6, 0xFFFF})


@pytest.mark.parametrize("group", [0x0020, 0x0028, 0x1000, 0x1010])
def test_element_masks_match_pydicom(group: int) -> None:
    for element in element_sample():
        tag = group << 16 | element
        theirs = pdd.mask_match(tag)
        if element == 0:
            # The group length (PS3.5 7.2) is never a repeater; pydicom matches
            # (1000,0000) and (1010,0000) to Escape Triplet / Zonal Map.
            assert mask_match(tag) is None
            continue
        assert mask_match(tag) == theirs, hex(tag)
        if tag not in DicomDictionary:
            if theirs is None:
                with pytest.raises(KeyError):
                    get_entry(tag)
            else:
                assert get_entry(tag) == pdd.get_entry(tag) == RepeatersDictionary[theirs]


@pytest.mark.parametrize(
    "tag, mask",
    [(0x002031FF, "002031xx"), (0x00203100, "002031xx"), (0x00280410, "002804x0"),
     (0x002804F3, "002804x3"), (0x002808A8, "002808x8"), (0x10000010, "1000xxx0"),
     (0x1000FFF5, "1000xxx5"), (0x10101234, "1010xxxx"), (0x7F000010, "7Fxx0010"),
     (0x00280414, None), (0x002808A1, None), (0x10000016, None), (0x00203200, None),
     (0x10100000, None), (0x10110001, None)],
    ids=lambda v: v if isinstance(v, str | None) else f"{v:08X}",
)
def test_each_mask_family(tag: int, mask: str | None) -> None:
    assert mask_match(tag) == mask
    assert mask_match(BaseTag(tag)) == mask


def test_repeater_keywords() -> None:
    for entry in RepeatersDictionary.values():
        assert repeater_has_keyword(entry[4]) is pdd.repeater_has_keyword(entry[4]) is True
    assert repeater_has_keyword("PatientName") is False
    assert repeater_has_keyword("") is False


INTERESTING_GROUPS = st.sampled_from(
    [0x0000, 0x0002, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028, 0x0040, 0x1000, 0x1010, 0x3004,
     0x7FE0, 0xFFFE]
) | st.integers(0x4F00, 0x52FF) | st.integers(0x5F00, 0x62FF) | st.integers(0x7F00, 0x7FFF)
SPARSE_ELEMENTS = st.integers(0, 0xFFFF) | st.integers(0, 0x0200) | st.integers(0x3000, 0x3200)
RANDOM_TAGS = st.integers(0, 0xFFFFFFFF) | st.builds(lambda g, e: g << 16 | e, INTERESTING_GROUPS,
                                                     SPARSE_ELEMENTS)


def outside_the_standard_masks(tag: int) -> bool:
    group, element = tag >> 16, tag & 0xFFFF
    if group >> 8 in (0x50, 0x60):
        return group & 0xFF > 0x1E
    return element == 0 and group in (0x1000, 0x1010)


@settings(max_examples=2000, deadline=None)
@given(RANDOM_TAGS)
def test_random_tags_agree_with_pydicom(tag: int) -> None:
    def entry(lookup):
        try:
            return lookup(tag)
        except KeyError:
            return None

    ours, theirs = entry(get_entry), entry(pdd.get_entry)
    assert dictionary_VR_or_none(tag) == (ours[0] or None if ours else None)
    if theirs is None:
        assert ours is None or (tag in DicomDictionary and tag not in PydicomDictionary)
    elif ours is None:
        assert outside_the_standard_masks(tag), hex(tag)
    else:
        for index, field in enumerate(FIELDS):
            if tag not in EXPECTED_DIFFERENCES[field]:
                assert ours[index] == theirs[index], (hex(tag), field)


# --- run-time additions ---------------------------------------------------------------


def test_add_dict_entry(restore_dictionaries) -> None:
    add_dict_entry(0x10021001, "UL", "TestOne", "Test One")
    add_dict_entry(0x10021002, "DS", "TestTwo", "Test Two", VM="3", is_retired="Retired")
    assert get_entry(0x10021001) == ("UL", "1", "Test One", "", "TestOne")
    assert tag_for_keyword("TestTwo") == 0x10021002 and dictionary_VM("TestTwo") == "3"
    assert dictionary_is_retired(0x10021002)
    assert dictionary_VR_or_none(0x10021001) == "UL"
    # Replacing an entry's keyword drops the old keyword.
    add_dict_entries({0x10021001: ("US", "1", "Renamed", "", "TestRenamed")})
    assert tag_for_keyword("TestOne") is None and tag_for_keyword("TestRenamed") == 0x10021001


def test_add_dict_entries_checks_every_entry_first(restore_dictionaries) -> None:
    with pytest.raises(ValueError, match="Private tags cannot be added"):
        add_dict_entries({0x10021003: ("UL", "1", "Fine", "", "Fine"),
                          0x00111001: ("UL", "1", "Private", "", "Private")})
    assert 0x10021003 not in DicomDictionary and tag_for_keyword("Fine") is None
    with pytest.raises(ValueError, match="must be a"):
        add_dict_entries({0x10021003: ("UL", "1", "Short")})


def test_private_dictionary(restore_dictionaries) -> None:
    assert private_dictionaries == {}  # the standard publishes none
    add_private_dict_entries("ACME 1.1", {0x00410001: ("UL", "1", "Test One"),
                                          0x00411002: ("DS", "3", "Test Two", "")})
    add_private_dict_entry("ACME 1.1", 0x00410003, "US", "Test Three", VM="2")
    assert private_dictionaries["ACME 1.1"]["0041xx01"] == ("UL", "1", "Test One", "")
    for block in (0x10, 0x20, 0xFF):
        tag = 0x00410000 | block << 8 | 0x02
        assert get_private_entry(tag, "ACME 1.1") == ("DS", "3", "Test Two", "")
        assert private_dictionary_VR(tag, "ACME 1.1") == "DS"
        assert private_dictionary_VM(tag, "ACME 1.1") == "3"
        assert private_dictionary_description(tag, "ACME 1.1") == "Test Two"
    assert private_dictionary_VM((0x0041, 0x1203), "ACME 1.1") == "2"
    with pytest.raises(KeyError, match="not in the private dictionary"):
        get_private_entry(0x00411001, "OTHER")
    with pytest.raises(KeyError, match="not in private dictionary"):
        get_private_entry(0x00411004, "ACME 1.1")
    with pytest.raises(KeyError, match="not a valid private creator"):
        get_private_entry(0x00411001, ["unhashable"])
    with pytest.raises(ValueError, match="Non-private tags"):
        add_private_dict_entry("ACME 1.1", 0x00100010, "PN", "Not Private")
    # Private tags never fall through to the public dictionary or the repeaters.
    assert dictionary_VR_or_none(0x00411001) is None


def test_private_dictionary_matches_pydicom_lookups(restore_dictionaries) -> None:
    creator = "DICOMCORE TEST CREATOR"
    entries = {0x00531001: ("LO", "1", "One", ""), 0x00531002: ("SH", "1-n", "Two", "")}
    add_private_dict_entries(creator, entries)
    pdd.add_private_dict_entries(creator, entries)
    try:
        for tag in (0x00531001, 0x00531101, 0x00531002, 0x0053FF02):
            assert get_private_entry(tag, creator) == pdd.get_private_entry(tag, creator)
    finally:
        del pdd.private_dictionaries[creator]


# --- real files -------------------------------------------------------------------------


def walk(dataset):
    for element in dataset:
        yield element
        if element.VR == "SQ" and element.value:
            for item in element.value:
                yield from walk(item)


@pytest.mark.parametrize("path", datafiles.all_files(), ids=datafiles.file_id)
def test_real_file_tags_against_pydicom(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            elements = list(walk(dataset))
        except Exception:
            pytest.skip("pydicom cannot parse this file (not DICOM)")
    for element in elements:
        tag = element.tag
        if tag.is_private:
            assert dictionary_VR_or_none(int(tag)) is None
            assert BaseTag(tag).private_creator == tag.private_creator
            continue
        try:
            theirs = pdd.get_entry(tag)
        except KeyError:
            theirs = None
        if theirs is None:
            # Unknown to both, or an element newer than pydicom's edition.
            if tag in DicomDictionary:
                assert tag not in PydicomDictionary
            else:
                with pytest.raises(KeyError):
                    get_entry(tag)
            continue
        ours = get_entry(tag)
        for index, field in enumerate(FIELDS):
            if tag not in EXPECTED_DIFFERENCES[field]:
                assert ours[index] == theirs[index], (str(tag), field)
        assert dictionary_VR_or_none(int(tag)) == (ours[0] or None)
        assert keyword_for_tag(tag) == ours[4]



def test_datadict_module_exports() -> None:
    for name in datadict.__all__:
        assert hasattr(datadict, name), name
