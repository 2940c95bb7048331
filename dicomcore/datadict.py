"""Look-ups in the DICOM data dictionary (PS3.6 Section 6 and PS3.7 Annex E).

The names and behaviour follow ``pydicom.datadict``. The tables themselves
live in the generated module :mod:`dicomcore._dicom_dict`; this module adds
the reverse keyword map, repeating-group resolution, run-time additions and
the private dictionary mechanism.

Hot paths (keyword attribute access on a dataset, VR look-up while reading
implicit VR data) cost one dict look-up when the tag is a plain dictionary
entry; the repeating-group search runs only on a miss.
"""

from __future__ import annotations

from dicomcore._dicom_dict import DICOM_STANDARD_EDITION, DicomDictionary, RepeatersDictionary
from dicomcore.tag import BaseTag, Tag, TagType

__all__ = [
    "DICOM_STANDARD_EDITION",
    "DicomDictionary",
    "RepeatersDictionary",
    "add_dict_entries",
    "add_dict_entry",
    "add_private_dict_entries",
    "add_private_dict_entry",
    "dictionary_VM",
    "dictionary_VR",
    "dictionary_VR_or_none",
    "dictionary_description",
    "dictionary_has_tag",
    "dictionary_is_retired",
    "dictionary_keyword",
    "get_entry",
    "get_private_entry",
    "keyword_dict",
    "keyword_for_tag",
    "mask_match",
    "private_dictionaries",
    "private_dictionary_VM",
    "private_dictionary_VR",
    "private_dictionary_description",
    "repeater_has_keyword",
    "repeater_has_tag",
    "tag_for_keyword",
]

DictEntry = tuple[str, str, str, str, str]
PrivateDictEntry = tuple[str, str, str, str]

keyword_dict: dict[str, int] = {
    entry[4]: tag for tag, entry in DicomDictionary.items() if entry[4]
}
"""Keyword -> tag for every entry of :data:`DicomDictionary` that has a keyword."""

private_dictionaries: dict[str, dict[str, PrivateDictEntry]] = {}
"""Private creator -> {masked tag such as ``"0019xx10"``: (VR, VM, Name, Retired)}.

Empty by default: the DICOM Standard publishes no private dictionary. Fill it
with :func:`add_private_dict_entries`.
"""

_dictionary_get = DicomDictionary.get
_repeater_keywords = frozenset(entry[4] for entry in RepeatersDictionary.values())

# Highest low byte of the group number that a "GGxx" repeating-group mask covers,
# for the families where the standard limits it. Overlays (60xx) and curves (50xx)
# occupy the even groups 6000-601E and 5000-501E (PS3.5 Section 7.6, PS3.3 C.9.2
# and the retired C.10.2). Variable Pixel Data (7Fxx) has no such limit in the
# standard; it covers every even group 7F00-7FFE, as pydicom and DCMTK do.
_GROUP_LOW_BYTE_LIMIT = {0x50: 0x1E, 0x60: 0x1E}

_ElementIndex = tuple[dict[int, str], list[tuple[int, int, str]]]


def _build_mask_index() -> tuple[dict[int, _ElementIndex], dict[int, _ElementIndex]]:
    """Index the masks by group: exact groups ("0028") and repeating groups ("60xx").

    Within a group, masks with a fixed element are a dict look-up and masks
    with "x" in the element ("04x0", "xxx0") a (value, care-bits) test.
    """
    exact_groups: dict[int, _ElementIndex] = {}
    repeating_groups: dict[int, _ElementIndex] = {}
    for mask in RepeatersDictionary:
        group_part, element_part = mask[:4], mask[4:]
        if "x" in group_part:
            if group_part[2:] != "xx" or "x" in group_part[:2]:
                raise ValueError(f"Unsupported repeating-group mask {mask!r}")
            index = repeating_groups.setdefault(int(group_part[:2], 16), ({}, []))
        else:
            index = exact_groups.setdefault(int(group_part, 16), ({}, []))
        fixed, patterned = index
        if "x" in element_part:
            value = int(element_part.replace("x", "0"), 16)
            care = int("".join("0" if c == "x" else "F" for c in element_part), 16)
            patterned.append((value, care, mask))
        else:
            fixed[int(element_part, 16)] = mask
    return exact_groups, repeating_groups


_EXACT_GROUP_MASKS, _REPEATING_GROUP_MASKS = _build_mask_index()


def mask_match(tag: int) -> str | None:
    """Return the repeating-group or masked dictionary key that `tag` falls under.

    Masks are the registry rows written with "x" digits, e.g. ``"60xx3000"``
    (Overlay Data) or ``"002804x0"``. A mask matches only where the standard
    allows it: never in an odd (private) group (PS3.5 Section 7.8), never on
    element 0000, the group length (PS3.5 Section 7.2), and for the overlay
    and curve families only in the even groups 6000-601E and 5000-501E
    (PS3.5 Section 7.6).

    Parameters
    ----------
    tag : int
        The tag to check.

    Returns
    -------
    str or None
        The key into :data:`RepeatersDictionary`, or ``None`` if no mask applies.
    """
    if type(tag) is not int:
        tag = int(Tag(tag))
    elif not 0 <= tag <= 0xFFFFFFFF:
        return None
    group = tag >> 16
    element = tag & 0xFFFF
    if group & 1 or element == 0:
        return None
    index = _EXACT_GROUP_MASKS.get(group)
    if index is None:
        index = _REPEATING_GROUP_MASKS.get(group >> 8)
        if index is None or (group & 0xFF) > _GROUP_LOW_BYTE_LIMIT.get(group >> 8, 0xFF):
            return None
    fixed, patterned = index
    mask = fixed.get(element)
    if mask is not None:
        return mask
    for value, care, mask in patterned:
        if element & care == value:
            return mask
    return None


def _entry_slow(tag: object) -> DictEntry:
    """Resolve any tag spelling, then the repeating groups; KeyError if unknown."""
    tag = Tag(tag)  # type: ignore[arg-type]
    entry = _dictionary_get(tag)
    if entry is not None:
        return entry
    mask = mask_match(tag)
    if mask is None:
        raise KeyError(f"Tag {tag} not found in DICOM dictionary")
    return RepeatersDictionary[mask]


def get_entry(tag: TagType) -> DictEntry:
    """Return the ``(VR, VM, Name, Retired, Keyword)`` dictionary entry for `tag`.

    The main dictionary (PS3.6 Tables 6-1, 7-1, 8-1, 9-1 and PS3.7 Table
    E.1-1/E.2-1) is tried first, then the repeating-group masks. Private
    dictionaries are not consulted (see :func:`get_private_entry`).

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts, including a keyword.

    Returns
    -------
    tuple of str
        ``(VR, VM, Name, Retired, Keyword)``; Retired is ``"Retired"`` or ``""``.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    try:
        entry = _dictionary_get(tag)
    except TypeError:  # unhashable spelling such as [group, element]
        entry = None
    if entry is not None:
        return entry
    return _entry_slow(tag)


def dictionary_VR(tag: TagType) -> str:
    """Return the VR of `tag` from the data dictionary (PS3.6 Section 6).

    Ambiguous VRs come back as the registry writes them: ``"US or SS"``,
    ``"OB or OW"``, ``"US or SS or OW"``, ``"US or OW"``. The item and
    delimiter tags (FFFE,E000/E00D/E0DD) give ``"NONE"``.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    try:
        entry = _dictionary_get(tag)
    except TypeError:
        entry = None
    if entry is None:
        entry = _entry_slow(tag)
    return entry[0]


def dictionary_VR_or_none(tag: int) -> str | None:
    """Return the dictionary VR of the int `tag`, or ``None`` when it has none.

    The reader's variant of :func:`dictionary_VR`: no tag conversion and no
    exception on a miss. Retired placeholder rows that the standard prints
    without a VR also give ``None``. Group length elements (gggg,0000) are
    not dictionary entries outside groups 0000 and 0002; PS3.5 Section 7.2
    makes them UL.

    Parameters
    ----------
    tag : int
        The tag as ``group << 16 | element``.

    Returns
    -------
    str or None
    """
    entry = _dictionary_get(tag)
    if entry is not None:
        return entry[0] or None
    mask = mask_match(tag)
    if mask is None:
        return None
    return RepeatersDictionary[mask][0] or None


def dictionary_VM(tag: TagType) -> str:
    """Return the value multiplicity of `tag` from the data dictionary (PS3.6 Section 6).

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    str
        For example ``"1"``, ``"1-n"``, ``"2-2n"`` or ``"1-n or 1"``.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[1]


def dictionary_description(tag: TagType) -> str:
    """Return the name of `tag` as PS3.6 Section 6 writes it, e.g. ``"Patient's Name"``.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[2]


def dictionary_keyword(tag: TagType) -> str:
    """Return the keyword of `tag`, e.g. ``"PatientName"`` (PS3.6 Section 6).

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    str
        Empty for the retired placeholder rows that the standard leaves blank.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[4]


def dictionary_is_retired(tag: TagType) -> bool:
    """Return True if the standard marks `tag` as retired (PS3.6 Section 6, "RET").

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    bool

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return "retired" in get_entry(tag)[3].lower()


def dictionary_has_tag(tag: TagType) -> bool:
    """Return True if `tag` is an entry of the main dictionary.

    Like pydicom, repeating-group tags such as (6000,3000) are not counted:
    use :func:`repeater_has_tag` for those. Input that is not a valid tag
    gives False.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    bool
    """
    try:
        if _dictionary_get(tag) is not None:
            return True
    except TypeError:
        pass
    try:
        return Tag(tag) in DicomDictionary
    except (TypeError, ValueError, OverflowError):
        return False


def keyword_for_tag(tag: TagType) -> str:
    """Return the keyword of `tag`, or ``""`` when the dictionary does not know it.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The tag in any form :func:`~dicomcore.tag.Tag` accepts.

    Returns
    -------
    str
    """
    try:
        return get_entry(tag)[4]
    except KeyError:
        return ""


def tag_for_keyword(keyword: str) -> int | None:
    """Return the tag for a data dictionary `keyword`, or ``None`` if there is none.

    Keywords are those of PS3.6 Section 6 and PS3.7 Annex E; repeating-group
    keywords such as ``"OverlayData"`` have no single tag and give ``None``.

    Parameters
    ----------
    keyword : str
        For example ``"PatientName"``.

    Returns
    -------
    int or None
    """
    return keyword_dict.get(keyword)


def repeater_has_tag(tag: int) -> bool:
    """Return True if `tag` falls under a repeating-group or masked entry.

    Parameters
    ----------
    tag : int
        The tag to check; see :func:`mask_match` for which groups qualify.

    Returns
    -------
    bool
    """
    return mask_match(tag) is not None


def repeater_has_keyword(keyword: str) -> bool:
    """Return True if `keyword` belongs to a repeating-group or masked entry.

    Parameters
    ----------
    keyword : str
        For example ``"OverlayData"``.

    Returns
    -------
    bool
    """
    return keyword in _repeater_keywords


def add_dict_entry(
    tag: int,
    VR: str,
    keyword: str,
    description: str,
    VM: str = "1",
    is_retired: str = "",
) -> None:
    """Add or replace one public entry in the data dictionary for this process.

    Parameters
    ----------
    tag : int
        The tag; must not be private (odd group).
    VR : str
        The value representation.
    keyword : str
        The keyword, usable as a dataset attribute name.
    description : str
        The human-readable name.
    VM : str, optional
        The value multiplicity, ``"1"`` by default.
    is_retired : str, optional
        ``"Retired"`` for a retired element, ``""`` (default) otherwise.

    Raises
    ------
    ValueError
        If `tag` is private; use :func:`add_private_dict_entry` for those.
    """
    add_dict_entries({tag: (VR, VM, description, is_retired, keyword)})


def add_dict_entries(new_entries_dict: dict[int, DictEntry]) -> None:
    """Add or replace public entries in the data dictionary for this process.

    Parameters
    ----------
    new_entries_dict : dict
        ``{tag: (VR, VM, Name, Retired, Keyword)}``.

    Raises
    ------
    ValueError
        If any tag is private (odd group, PS3.5 Section 7.8) or an entry is
        not a 5-tuple. Nothing is added in that case.
    """
    normalised: dict[int, DictEntry] = {}
    for tag, entry in new_entries_dict.items():
        tag = Tag(tag)
        if tag.is_private:
            raise ValueError(
                'Private tags cannot be added using "add_dict_entries" - '
                'use "add_private_dict_entries" instead'
            )
        if not isinstance(entry, tuple) or len(entry) != 5:
            raise ValueError(
                f"The entry for {tag} must be a (VR, VM, Name, Retired, Keyword) tuple"
            )
        normalised[int(tag)] = entry
    for tag, entry in normalised.items():
        previous = DicomDictionary.get(tag)
        if previous is not None and keyword_dict.get(previous[4]) == tag:
            del keyword_dict[previous[4]]
        DicomDictionary[tag] = entry
        if entry[4]:
            keyword_dict[entry[4]] = tag


def _private_key(tag: BaseTag) -> str:
    # A private element's high element byte is its block, which the private
    # creator chooses per dataset (PS3.5 Section 7.8.1), so entries keep only
    # the low byte: (0019,1010) is stored as "0019xx10".
    return f"{tag.group:04X}xx{tag.element & 0xFF:02X}"


def add_private_dict_entry(
    private_creator: str,
    tag: int,
    VR: str,
    description: str,
    VM: str = "1",
) -> None:
    """Add one entry to the private dictionary of `private_creator`.

    Parameters
    ----------
    private_creator : str
        The private creator value, e.g. ``"ACME 1.1"``.
    tag : int
        The private tag; the high byte of its element (the block) is ignored.
    VR : str
        The value representation.
    description : str
        The human-readable name.
    VM : str, optional
        The value multiplicity, ``"1"`` by default.

    Raises
    ------
    ValueError
        If `tag` is not private.
    """
    add_private_dict_entries(private_creator, {tag: (VR, VM, description, "")})


def add_private_dict_entries(
    private_creator: str, new_entries_dict: dict[int, PrivateDictEntry]
) -> None:
    """Add entries to the private dictionary of `private_creator`.

    Parameters
    ----------
    private_creator : str
        The private creator value the entries belong to.
    new_entries_dict : dict
        ``{tag: (VR, VM, Name, Retired)}``; a 3-tuple without Retired is
        accepted. The block byte of each element is ignored (PS3.5 Section 7.8.1).

    Raises
    ------
    ValueError
        If any tag is not private or an entry has the wrong length. Nothing
        is added in that case.
    """
    entries: dict[str, PrivateDictEntry] = {}
    for tag, entry in new_entries_dict.items():
        tag = Tag(tag)
        if not tag.is_private:
            raise ValueError(
                "Non-private tags cannot be added using 'add_private_dict_entries()' - "
                "use 'add_dict_entries()' instead"
            )
        if not isinstance(entry, tuple) or len(entry) not in (3, 4):
            raise ValueError(f"The entry for {tag} must be a (VR, VM, Name, Retired) tuple")
        entries[_private_key(tag)] = entry if len(entry) == 4 else (*entry, "")
    private_dictionaries.setdefault(private_creator, {}).update(entries)


def get_private_entry(tag: TagType, private_creator: str) -> PrivateDictEntry:
    """Return the ``(VR, VM, Name, Retired)`` private dictionary entry for `tag`.

    The entry is looked up under the exact tag ``"GGGGEEEE"``, then with the
    block byte masked ``"GGGGxxEE"``, then ``"GGxxxxEE"``.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The private tag in any form :func:`~dicomcore.tag.Tag` accepts.
    private_creator : str
        The value of the private creator element that reserves the tag's block.

    Returns
    -------
    tuple of str

    Raises
    ------
    KeyError
        If the private creator or the tag is not in the private dictionary.
    """
    tag = Tag(tag)
    try:
        creator_entries = private_dictionaries[private_creator]
    except KeyError:
        raise KeyError(
            f"Private creator '{private_creator}' not in the private dictionary"
        ) from None
    except TypeError:
        raise KeyError(
            f"{tag.private_creator} '{private_creator}' is not a valid private creator"
        ) from None
    group, element = tag.group, tag.element
    for key in (
        f"{group:04X}{element:04X}",
        f"{group:04X}xx{element & 0xFF:02X}",
        f"{group >> 8:02X}xxxx{element & 0xFF:02X}",
    ):
        entry = creator_entries.get(key)
        if entry is not None:
            return entry
    raise KeyError(
        f"Tag '{tag}' not in private dictionary for private creator '{private_creator}'"
    )


def private_dictionary_VR(tag: TagType, private_creator: str) -> str:
    """Return the VR of private `tag` under `private_creator`.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The private tag.
    private_creator : str
        The private creator value.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the private creator or the tag is unknown.
    """
    return get_private_entry(tag, private_creator)[0]


def private_dictionary_VM(tag: TagType, private_creator: str) -> str:
    """Return the value multiplicity of private `tag` under `private_creator`.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The private tag.
    private_creator : str
        The private creator value.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the private creator or the tag is unknown.
    """
    return get_private_entry(tag, private_creator)[1]


def private_dictionary_description(tag: TagType, private_creator: str) -> str:
    """Return the name of private `tag` under `private_creator`.

    Parameters
    ----------
    tag : int, str, tuple of int or BaseTag
        The private tag.
    private_creator : str
        The private creator value.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the private creator or the tag is unknown.
    """
    return get_private_entry(tag, private_creator)[2]
