#!/usr/bin/env python3
"""Generate ``dicomcore/_dicom_dict.py`` and ``dicomcore/_uid_dict.py`` from the registry TSVs.

The inputs are the PS3.6 / PS3.7 registry tables exported as tab-separated
text in ``../shared/dicom-standard`` (see its README.md for where every column
comes from). The package never reads those files at run time: this script
turns them into two plain-literal Python modules that load quickly from their
``.pyc``.

Output is deterministic (rows sorted, no timestamps), so re-running the
script on the same inputs reproduces the committed modules byte for byte.

Usage::

    python3 tools/generate_dictionary.py [--source DIR] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "dicom-standard"
DEFAULT_OUTPUT = REPO_ROOT / "dicomcore"
SCRIPT_NAME = "tools/generate_dictionary.py"

DATA_ELEMENTS = "data-elements.tsv"
COMMAND_ELEMENTS = "command-elements.tsv"
UIDS = "uids.tsv"

ELEMENT_HEADER = ["tag", "name", "keyword", "VR", "VM", "retired"]
UID_HEADER = ["uid", "name", "keyword", "type", "retired", "table"]

# Every VR of PS3.5 Table 6.2-1; anything else in the VR column is a parsing slip.
KNOWN_VRS = frozenset(
    "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV "
    "TM UC UI UL UN UR US UT UV".split()
)
# The item and delimiter tags of PS3.5 Section 7.5 have no VR; pydicom writes "NONE".
NO_VR_TAGS = {0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD}
NO_VR = "NONE"

TAG_PATTERN = re.compile(r"^[0-9A-Fx]{8}$")
UID_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
KEYWORD_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# PS3.6 writes the default transfer syntaxes as "<name>: Default Transfer Syntax for ...".
DEFAULT_TS_CLAUSE = ": Default Transfer Syntax"
RETIRED_SUFFIX = "(Retired)"


class RegistryError(ValueError):
    """The registry files do not look the way the README describes them."""


@dataclass(frozen=True)
class ElementRow:
    tag: str
    name: str
    keyword: str
    vr: str
    vm: str
    retired: bool
    line: int


@dataclass(frozen=True)
class UidRow:
    uid: str
    name: str
    keyword: str
    uid_type: str
    retired: bool
    line: int


def read_tsv(path: Path, header: list[str]) -> list[tuple[int, list[str]]]:
    """Return ``(line number, fields)`` for each data row of a registry TSV."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0].split("\t") != header:
        raise RegistryError(f"{path.name}: header is not {header!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise RegistryError(
                f"{path.name}:{number}: {len(fields)} fields, expected {len(header)}"
            )
        rows.append((number, fields))
    return rows


def parse_elements(path: Path) -> list[ElementRow]:
    rows = []
    for number, (tag, name, keyword, vr, vm, retired) in read_tsv(path, ELEMENT_HEADER):
        where = f"{path.name}:{number}"
        if not TAG_PATTERN.match(tag):
            raise RegistryError(f"{where}: bad tag {tag!r}")
        if keyword and not KEYWORD_PATTERN.match(keyword):
            raise RegistryError(f"{where}: bad keyword {keyword!r}")
        if vr and any(part not in KNOWN_VRS for part in vr.split(" or ")):
            raise RegistryError(f"{where}: unknown VR {vr!r}")
        if retired not in ("", "RET"):
            raise RegistryError(f"{where}: retired column is {retired!r}")
        if not keyword and retired != "RET":
            raise RegistryError(f"{where}: only retired placeholders may lack a keyword")
        rows.append(ElementRow(tag, name, keyword, vr, vm, retired == "RET", number))
    return rows


def parse_uids(path: Path) -> list[UidRow]:
    rows = []
    for number, (uid, name, keyword, uid_type, retired, table) in read_tsv(path, UID_HEADER):
        where = f"{path.name}:{number}"
        if not UID_PATTERN.match(uid) or len(uid) > 64:
            raise RegistryError(f"{where}: bad UID {uid!r}")
        if keyword and not KEYWORD_PATTERN.match(keyword):
            raise RegistryError(f"{where}: bad keyword {keyword!r}")
        if retired not in ("", "RET") or table not in ("A-1", "A-2"):
            raise RegistryError(f"{where}: bad retired/table column")
        if (retired == "RET") != name.endswith(RETIRED_SUFFIX):
            raise RegistryError(f"{where}: retired flag disagrees with the name {name!r}")
        rows.append(UidRow(uid, name, keyword, uid_type, retired == "RET", number))
    return rows


def read_edition(source: Path) -> str:
    """Return the edition ("2026c") that the README of the registry export declares."""
    readme = (source / "README.md").read_text(encoding="utf-8")
    match = re.search(r"edition (\d{4}[a-e])", readme.splitlines()[0])
    if match is None:
        raise RegistryError("README.md: first line does not name the edition")
    return match.group(1)


def tag_sort_key(tag: str) -> int:
    return int(tag.replace("x", "0"), 16)


def element_entry(row: ElementRow) -> tuple[str, str, str, str, str]:
    vr = row.vr
    if tag_sort_key(row.tag) in NO_VR_TAGS:
        if vr:
            raise RegistryError(f"line {row.line}: item tag {row.tag} unexpectedly has a VR")
        vr = NO_VR
    return (vr, row.vm, row.name, "Retired" if row.retired else "", row.keyword)


def build_element_tables(
    data_rows: list[ElementRow], command_rows: list[ElementRow]
) -> tuple[dict[int, tuple], dict[str, tuple]]:
    """Split the rows into the plain-tag dictionary and the masked "repeaters"."""
    for row in command_rows:
        if not row.tag.startswith("0000") or "x" in row.tag:
            raise RegistryError(f"{COMMAND_ELEMENTS}:{row.line}: not a group 0000 tag")
    plain: dict[int, tuple] = {}
    masked: dict[str, tuple] = {}
    keywords: dict[str, str] = {}
    for row in command_rows + data_rows:
        if row.keyword:
            if row.keyword in keywords:
                raise RegistryError(
                    f"keyword {row.keyword} used by {keywords[row.keyword]} and {row.tag}"
                )
            keywords[row.keyword] = row.tag
        entry = element_entry(row)
        if "x" in row.tag:
            if row.tag in masked:
                raise RegistryError(f"duplicate mask {row.tag}")
            masked[row.tag] = entry
        else:
            tag = int(row.tag, 16)
            if tag in plain:
                raise RegistryError(f"duplicate tag {row.tag}")
            plain[tag] = entry
    return (
        dict(sorted(plain.items())),
        dict(sorted(masked.items(), key=lambda item: (tag_sort_key(item[0]), item[0]))),
    )


def short_uid_name(name: str) -> tuple[str, str]:
    """Return ``(name, info)``: the name as ``UID.name`` shows it and the dropped clause.

    pydicom shows "JPEG Extended (Process 2 and 4)" for the registry's
    "JPEG Extended (Process 2 & 4): Default Transfer Syntax for Lossy JPEG 12
    Bit Image Compression (Process 4 only)" and keeps the clause as the info.
    """
    info = ""
    clause_at = name.find(DEFAULT_TS_CLAUSE)
    if clause_at >= 0:
        name, info = name[:clause_at], name[clause_at + 1 :].strip()
    if name.endswith(RETIRED_SUFFIX):
        name = name[: -len(RETIRED_SUFFIX)]
    return name.strip().replace("&", "and"), info


def build_uid_table(rows: list[UidRow]) -> dict[str, tuple[str, str, str, str, str]]:
    table: dict[str, tuple[str, str, str, str, str]] = {}
    keywords: set[str] = set()
    for row in rows:
        if row.uid in table:
            raise RegistryError(f"{UIDS}:{row.line}: duplicate UID {row.uid}")
        if row.keyword:
            if row.keyword in keywords:
                raise RegistryError(f"{UIDS}:{row.line}: duplicate keyword {row.keyword}")
            keywords.add(row.keyword)
        name, info = short_uid_name(row.name)
        table[row.uid] = (name, row.uid_type, info, "Retired" if row.retired else "", row.keyword)
    return table


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def literal(value: str) -> str:
    # repr() picks the quotes and escapes; non-ASCII such as "µ" stays readable (UTF-8 source).
    return repr(value)


def tuple_literal(entry: tuple[str, ...]) -> str:
    return "(" + ", ".join(literal(field) for field in entry) + ")"


def header_lines(purpose: str, edition: str, sources: list[Path]) -> list[str]:
    lines = [
        f'"""{purpose}',
        "",
        f"GENERATED FILE - do not edit. Written by {SCRIPT_NAME} from the DICOM",
        f"Standard {edition} registry (PS3.6 / PS3.7 {edition}); re-run that script",
        "to update it. Input files (sha256):",
        "",
    ]
    lines += [f"* {path.name} {file_digest(path)}" for path in sources]
    lines += ['"""', "", "from __future__ import annotations", ""]
    lines.append(f'DICOM_STANDARD_EDITION = "{edition}"')
    return lines


def render_dicom_dict(
    plain: dict[int, tuple], masked: dict[str, tuple], edition: str, sources: list[Path]
) -> str:
    lines = header_lines("The DICOM data dictionary: PS3.6 data elements and PS3.7 command fields.",
                         edition, sources)
    lines += [
        "",
        "# tag -> (VR, VM, Name, Retired, Keyword); Retired is \"Retired\" or \"\".",
        "# Retired placeholder rows that the standard prints blank keep an empty keyword.",
        "DicomDictionary: dict[int, tuple[str, str, str, str, str]] = {",
    ]
    lines += [f"    0x{tag:08X}: {tuple_literal(entry)}," for tag, entry in plain.items()]
    lines += [
        "}",
        "",
        "# Repeating-group and masked elements, keyed by the mask with lower-case 'x'",
        "# where any hex digit may stand (e.g. \"60xx3000\", \"002804x0\").",
        "RepeatersDictionary: dict[str, tuple[str, str, str, str, str]] = {",
    ]
    lines += [f"    {literal(mask)}: {tuple_literal(entry)}," for mask, entry in masked.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def render_uid_dict(table: dict[str, tuple], edition: str, sources: list[Path]) -> str:
    lines = header_lines("The DICOM UID registry: PS3.6 Annex A, Tables A-1 and A-2.",
                         edition, sources)
    lines += [
        "",
        "# uid -> (Name, Type, Info, Retired, Keyword); Retired is \"Retired\" or \"\".",
        "# Names are shortened as UID.name shows them; the dropped",
        "# \"Default Transfer Syntax for ...\" clause is the Info field.",
        "UID_dictionary: dict[str, tuple[str, str, str, str, str]] = {",
    ]
    lines += [f"    {literal(uid)}: {tuple_literal(entry)}," for uid, entry in table.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def generate(source: Path, output_dir: Path) -> list[Path]:
    """Read the registry in `source` and write both modules into `output_dir`."""
    edition = read_edition(source)
    data_path, command_path, uid_path = (source / DATA_ELEMENTS, source / COMMAND_ELEMENTS,
                                         source / UIDS)
    plain, masked = build_element_tables(parse_elements(data_path), parse_elements(command_path))
    uid_table = build_uid_table(parse_uids(uid_path))

    outputs = {
        output_dir / "_dicom_dict.py": render_dicom_dict(
            plain, masked, edition, [data_path, command_path]
        ),
        output_dir / "_uid_dict.py": render_uid_dict(uid_table, edition, [uid_path]),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_bytes(text.encode("utf-8"))
    return list(outputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="folder holding the registry TSVs and README.md")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write _dicom_dict.py and _uid_dict.py")
    args = parser.parse_args(argv)
    try:
        written = generate(args.source, args.output_dir)
    except (OSError, RegistryError) as exc:
        print(f"generate_dictionary: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
