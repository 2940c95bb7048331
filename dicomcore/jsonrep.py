"""The DICOM JSON Model (PS3.18 Annex F) for datasets and data elements.

Encoding follows pydicom 3's ``to_json_dict`` output exactly, so JSON made by
either library compares equal; decoding builds elements whose values have the
same Python types as those :func:`dicomcore.dcmread` produces (``PersonName``,
``DSfloat``, ``IS``, ``UID``, ``MultiValue``, ``bytes``, ``Sequence``).

Two places where pydicom (and so dicomcore) differs from the letter of the
standard, kept on purpose for compatibility:

* Group Length ``(gggg,0000)`` elements present in a dataset are encoded,
  although PS3.18 F.2.2 says they shall not be.
* An empty person name component group is encoded as ``""`` instead of being
  left out.

Decoding is stricter than pydicom where pydicom would silently build an
element that cannot be written: an attribute key that is not eight hex
digits, an unknown VR, more than one of ``Value``/``InlineBinary``/
``BulkDataURI``, a non-number for a numeric VR (or a non-integral one for an
integer VR, which pydicom truncates), or a non-string for a text VR raise an
exception naming the tag. Where pydicom 3.0 fails on valid input, dicomcore
does not: an empty name among several PN values encodes as
``{"Alphabetic": ""}``, and a public tag sent as UN with a binary number VR in
the dictionary decodes to numbers.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import warnings
from collections.abc import Callable
from collections.abc import Sequence as AbcSequence
from typing import TYPE_CHECKING, Any

from dicomcore import config
from dicomcore.tag import BaseTag, tag_in_exception

if TYPE_CHECKING:
    from dicomcore.dataelem import DataElement
    from dicomcore.dataset import Dataset

__all__ = [
    "JSON_VALUE_KEYS",
    "dataset_from_json",
    "dataset_to_json_dict",
    "element_from_json",
    "element_to_json_dict",
]

#: The attribute members that may carry a value (PS3.18 F.2.2); at most one is present.
JSON_VALUE_KEYS = ("Value", "InlineBinary", "BulkDataURI")

BulkDataURIHandler = Callable[..., Any]

# VRs whose value is encoded as base64 "InlineBinary" or a "BulkDataURI"
# (PS3.18 F.2.2); pydicom treats the dictionary's ambiguous VRs that may be OB
# or OW the same way, since their values are kept as bytes.
_BINARY_VRS = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"}
)
# JSON Number VRs (PS3.18 Table F.2.3-1). AT is a JSON String ("GGGGEEEE").
_INTEGER_VRS = frozenset({"IS", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"})
_FLOAT_VRS = frozenset({"DS", "FD", "FL"})
_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
)
# Every VR of PS3.5 Table 6.2-1, plus the dictionary's ambiguous spellings that
# pydicom writes for elements it could not resolve.
_KNOWN_VRS = (
    _BINARY_VRS | _INTEGER_VRS | _FLOAT_VRS | _TEXT_VRS | frozenset({"AT", "PN", "SQ"})
)
_AMBIGUOUS_VRS = frozenset({"OB or OW", "US or OW", "US or SS or OW", "US or SS"})
_PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_BINARY_NUMBER_VRS = frozenset({"FD", "FL", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"})
# Parsed attribute keys: the same few thousand tags recur in every dataset.
_TAG_KEYS: dict[str, BaseTag] = {}
_TAG_KEY_CACHE_SIZE = 1 << 16
# Text VRs whose single value the element constructor keeps exactly as given.
_PLAIN_TEXT_VRS = frozenset({"AE", "AS", "CS", "LO", "LT", "SH", "ST", "UC", "UR", "UT"})
#: Stands for "no value": the element gets the value the reader gives an empty element.
_EMPTY: Any = object()


# ---------------------------------------------------------------------------
# Encoding: Dataset / DataElement -> JSON-ready dict
# ---------------------------------------------------------------------------


def dataset_to_json_dict(
    ds: Dataset,
    bulk_data_threshold: int,
    bulk_data_element_handler: Callable[[DataElement], str] | None,
    suppress_invalid_tags: bool,
) -> dict[str, Any]:
    """Encode a dataset as a DICOM JSON Model object (PS3.18 section F.2.2).

    Parameters
    ----------
    ds : Dataset
        The dataset. For a ``FileDataset`` the File Meta Information lives in
        ``ds.file_meta`` and is not encoded, as in pydicom; group 0002
        elements stored in the dataset itself are.
    bulk_data_threshold : int
        Length in base64 characters above which a binary value is handed to
        `bulk_data_element_handler` instead of being encoded inline.
    bulk_data_element_handler : callable or None
        ``handler(element) -> str`` returning the "BulkDataURI" of a large
        binary element. Without one every binary value is inline.
    suppress_invalid_tags : bool
        If True, an element whose value cannot be decoded (read with
        validation set to raise, as pydicom's ``strict_reading``) or encoded
        is logged and left out instead of raising. Like pydicom's, this
        switches the global reading validation mode for the duration of the
        call, so it should not run alongside reads in other threads.

    Returns
    -------
    dict
        ``{"GGGGEEEE": {"vr": ..., ...}}`` in ascending tag order, which for
        upper-case hex keys is the lexicographic order PS3.18 F.2.2 asks for.

    Raises
    ------
    Exception
        When `suppress_invalid_tags` is False, whatever made an element
        impossible to encode, with the element's tag in the message.
    """
    if not suppress_invalid_tags:
        return _dataset_to_dict(ds, bulk_data_threshold, bulk_data_element_handler)

    settings = config.settings
    saved_mode = settings._reading_validation_mode
    settings.reading_validation_mode = config.RAISE
    try:
        encoded: dict[str, Any] = {}
        for tag, elem in _elements(ds):
            key = f"{tag:08X}"
            try:
                if elem is None:
                    elem = ds[tag]
                encoded[key] = element_to_json_dict(
                    elem, bulk_data_element_handler, bulk_data_threshold
                )
            except Exception as exc:
                config.logger.warning(f"Error while processing tag {key}: {exc}")
        return encoded
    finally:
        settings._reading_validation_mode = saved_mode


def _dataset_to_dict(
    ds: Dataset,
    bulk_data_threshold: int,
    handler: Callable[[DataElement], str] | None,
) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for tag, elem in _elements(ds):
        try:
            if elem is None:
                elem = ds[tag]
            encoded[f"{tag:08X}"] = element_to_json_dict(elem, handler, bulk_data_threshold)
        except Exception:
            # Re-raised inside the context manager only on failure, to name the
            # tag without paying for a context manager per element.
            with tag_in_exception(tag):
                raise
    return encoded


def _elements(ds: Dataset) -> list[tuple[BaseTag, DataElement | None]]:
    """``(tag, element)`` in tag order; None where only ``ds[tag]`` gives the element.

    A RawDataElement a user stored needs the dataset to be converted.
    """
    from dicomcore.dataelem import DataElement

    return [(tag, elem if isinstance(elem, DataElement) else None) for tag, elem in ds.items()]


def element_to_json_dict(
    elem: DataElement,
    bulk_data_element_handler: Callable[[DataElement], str] | None,
    bulk_data_threshold: int,
) -> dict[str, Any]:
    """Encode one element as a DICOM JSON attribute object (PS3.18 section F.2.2).

    Parameters
    ----------
    elem : DataElement
        The element.
    bulk_data_element_handler : callable or None
        ``handler(elem) -> str``, called for a binary element (OB, OD, OF,
        OL, OV, OW, UN) whose base64 text would be longer than
        `bulk_data_threshold`; its result becomes "BulkDataURI"
        (PS3.18 F.2.6).
    bulk_data_threshold : int
        The base64 length above which the handler is used. Ignored when there
        is no handler.

    Returns
    -------
    dict
        ``{"vr": VR}`` plus, unless the element is empty (PS3.18 F.2.5), one
        of "Value" (a list; PN as component-group objects, F.2.2; AT as
        "GGGGEEEE"; IS, DS and the binary numbers as JSON numbers, Table
        F.2.3-1), "InlineBinary" (base64, F.2.7) or "BulkDataURI". A sequence
        always has "Value", a list of item objects, as in pydicom.

    Raises
    ------
    ValueError
        If a DS or IS value is not a number (pydicom raises here too).
    TypeError
        If a binary VR holds something that is not a bytes-like value.
    """
    vr = elem.VR
    encoded: dict[str, Any] = {"vr": vr}
    value = elem.value
    if vr == "SQ":
        encoded["Value"] = [
            _dataset_to_dict(item, bulk_data_threshold, bulk_data_element_handler)
            for item in value
        ]
        return encoded
    if _is_empty(value):
        return encoded
    if vr in _BINARY_VRS:
        _encode_binary(elem, encoded, bulk_data_element_handler, bulk_data_threshold)
        return encoded

    values = _value_list(value)
    if vr in _TEXT_VRS:
        encoded["Value"] = [v if v is None or isinstance(v, str) else str(v) for v in values]
    elif vr in _FLOAT_VRS:
        encoded["Value"] = [_json_number(elem.tag, vr, v, float) for v in values]
    elif vr in _INTEGER_VRS:
        encoded["Value"] = [_json_number(elem.tag, vr, v, int) for v in values]
    elif vr == "PN":
        encoded["Value"] = [_person_name_object(v) for v in values]
    elif vr == "AT":
        encoded["Value"] = [f"{int(v):08X}" for v in values]
    else:
        encoded["Value"] = list(values)
    return encoded


def _encode_binary(
    elem: DataElement,
    encoded: dict[str, Any],
    handler: Callable[[DataElement], str] | None,
    threshold: int,
) -> None:
    data = elem.value
    try:
        length = len(data) if isinstance(data, (bytes, bytearray)) else memoryview(data).nbytes
    except TypeError:
        raise TypeError(
            f"Element {elem.tag} with VR {elem.VR} holds a {type(data).__name__}, not a "
            "bytes-like value, so it has no DICOM JSON InlineBinary encoding"
        ) from None
    # base64 turns 3 bytes into 4 characters; the threshold counts characters.
    if handler is not None and length > (threshold // 4) * 3:
        encoded["BulkDataURI"] = handler(elem)
    else:
        # No padding to even length: JSON is exempt (DICOM CP 1920).
        encoded["InlineBinary"] = base64.b64encode(data).decode("ascii")


def _is_empty(value: Any) -> bool:
    """Whether a value has VM 0 (PS3.18 F.2.5: no "Value" member then)."""
    if value is None:
        return True
    try:
        return len(value) == 0
    except TypeError:  # a number, or a 0-d array
        return False


def _value_list(value: Any) -> Any:
    """The values of a non-empty element as an iterable, one entry per value."""
    if isinstance(value, (str, bytes, bytearray)):
        return (value,)
    if isinstance(value, AbcSequence):
        return value
    # A NumPy array of numbers (config.use_DS_numpy and friends); a PersonName
    # is iterable too, but is one value.
    if getattr(value, "ndim", 0) > 0:
        return value
    return (value,)


def _json_number(tag: BaseTag, vr: str, value: Any, kind: type) -> Any:
    """``value`` as a JSON number of ``kind`` (PS3.18 Table F.2.3-1); None stays null."""
    if value is None:
        return None
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"Element {tag} with VR {vr} has the value {value!r}, which is not a number, "
            "so it cannot be encoded as a DICOM JSON Number (PS3.18 Table F.2.3-1)"
        ) from exc


def _person_name_object(value: Any) -> dict[str, str]:
    """One PN value as its JSON object of component groups (PS3.18 section F.2.2)."""
    if value is None:
        return {"Alphabetic": ""}
    groups = getattr(value, "components", None)
    if groups is None:
        groups = str(value).split("=")
    named = {"Alphabetic": groups[0] if groups else ""}
    if len(groups) > 1:
        named["Ideographic"] = groups[1]
    if len(groups) > 2:
        named["Phonetic"] = groups[2]
    return named


# ---------------------------------------------------------------------------
# Decoding: JSON -> Dataset / DataElement
# ---------------------------------------------------------------------------


def dataset_from_json(
    cls: type[Dataset],
    json_dataset: dict[str, Any] | str | bytes | bytearray,
    bulk_data_uri_handler: BulkDataURIHandler | None,
) -> Dataset:
    """Build a dataset from a DICOM JSON Model object (PS3.18 section F.2).

    Parameters
    ----------
    cls : type
        ``Dataset`` or a subclass; the new dataset and its sequence items are
        instances of it.
    json_dataset : dict, str, bytes or bytearray
        The JSON object, or its text.
    bulk_data_uri_handler : callable or None
        Called for each "BulkDataURI" as ``handler(tag, vr, uri)`` or, if it
        takes a single parameter, ``handler(uri)``; what it returns becomes
        the value. Without one such an element is left empty, with a warning.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For a key that is not eight hex digits (PS3.18 F.2.1.1), an unknown
        VR, a value that does not fit its VR, or undecodable JSON text.
    KeyError
        For an attribute without "vr".
    TypeError
        For JSON of the wrong type (an attribute that is not an object, a
        "Value" that is not an array, ...).
    """
    if isinstance(json_dataset, (str, bytes, bytearray)):
        json_dataset = json.loads(json_dataset)
    handler = _three_argument_handler(bulk_data_uri_handler)
    return _dataset_from_mapping(cls, json_dataset, handler, "the DICOM JSON dataset")


def _dataset_from_mapping(
    dataset_class: type[Dataset],
    mapping: Any,
    handler: BulkDataURIHandler | None,
    where: str,
) -> Dataset:
    if not isinstance(mapping, dict):
        raise TypeError(
            f"{where[0].upper()}{where[1:]} must be a JSON object mapping tags to attributes, "
            f"not {type(mapping).__name__} (PS3.18 F.2.2)"
        )
    from dicomcore.dataelem import DataElement
    from dicomcore.dataset import Dataset

    ds = dataset_class()
    # A plain new Dataset has nothing that Dataset.add() must keep in step
    # (no index, no cached character set or pixels), so elements go straight
    # into its dict; subclasses (FileMetaDataset checks the group) use add().
    direct = ds._dict if type(ds) is Dataset else None
    creators: dict[int, str] = {}
    for key, attribute in mapping.items():
        tag = _parse_tag_key(key, where)
        if not isinstance(attribute, dict):
            raise TypeError(
                f"Attribute {tag} in {where} must be a JSON object with 'vr', not "
                f"{type(attribute).__name__} (PS3.18 F.2.2)"
            )
        if "vr" not in attribute:
            raise KeyError(f"Attribute {tag} in {where} has no 'vr' (PS3.18 F.2.2)")
        present = [name for name in JSON_VALUE_KEYS if name in attribute]
        if len(present) > 1:
            raise ValueError(
                f"Attribute {tag} in {where} has {' and '.join(present)}; "
                "at most one of them is allowed (PS3.18 F.2.2)"
            )
        value_key = present[0] if present else None
        value = attribute[value_key] if value_key else None
        elem = _element_from_parts(
            DataElement, dataset_class, tag, key, attribute["vr"], value, value_key, handler
        )
        if direct is None:
            ds.add(elem)
            continue
        if tag >> 16 & 1:
            _link_private_creator(elem, tag, creators)
        direct[int(tag)] = elem
    return ds


def _link_private_creator(elem: DataElement, tag: int, creators: dict[int, str]) -> None:
    """Record private creators and give block elements theirs (PS3.5 section 7.8.1)."""
    element = tag & 0xFFFF
    if 0x0010 <= element <= 0x00FF:
        value = elem.value
        if isinstance(value, str):
            creators[tag] = value
    elif element >= 0x1000:
        creator = creators.get((tag & 0xFFFF0000) | (element >> 8))
        if creator is not None:
            elem.private_creator = creator


def element_from_json(
    cls: type[DataElement],
    dataset_class: type[Dataset],
    tag: str,
    vr: str,
    value: Any,
    value_key: str | None,
    bulk_data_uri_handler: BulkDataURIHandler | None,
) -> DataElement:
    """Build one element from the parts of a DICOM JSON attribute (PS3.18 section F.2.2).

    Parameters
    ----------
    cls : type
        ``DataElement`` or a subclass.
    dataset_class : type
        The class of the items of a sequence.
    tag : str
        The attribute's key, eight hex digits ``"GGGGEEEE"`` (PS3.18 F.2.1.1).
    vr : str
        The attribute's "vr".
    value : Any
        The member named by `value_key`: a list for "Value", a base64 string
        for "InlineBinary", a URI string for "BulkDataURI" (either of the
        last two may also be a one-string list, as in the PS3.18 F.4
        example). Ignored when `value_key` is None.
    value_key : str or None
        "Value", "InlineBinary", "BulkDataURI", or None for an empty element
        (PS3.18 F.2.5).
    bulk_data_uri_handler : callable or None
        ``handler(tag, vr, uri)`` or ``handler(uri)``, returning the value.

    Returns
    -------
    DataElement
        With the value types the file reader gives: ``PersonName`` for PN,
        ``DSfloat``/``IS`` for DS/IS, ``UID`` for UI, ``MultiValue`` when
        there are several values, ``bytes`` for binary VRs, a ``Sequence`` of
        `dataset_class` items for SQ. A UN element of a public tag gets its
        dictionary VR and a decoded value (implicit VR little endian), as
        pydicom does with ``config.replace_un_with_known_vr``.

    Raises
    ------
    ValueError, TypeError, KeyError
        For malformed input, with the tag in the message.
    """
    int_tag = _parse_tag_key(tag, "the DICOM JSON")
    return _element_from_parts(
        cls, dataset_class, int_tag, tag, vr, value, value_key, bulk_data_uri_handler
    )


def _element_from_parts(
    cls: type[DataElement],
    dataset_class: type[Dataset],
    int_tag: BaseTag,
    tag: str,
    vr: str,
    value: Any,
    value_key: str | None,
    bulk_data_uri_handler: BulkDataURIHandler | None,
) -> DataElement:
    where = str(int_tag)
    if not isinstance(vr, str) or vr not in _KNOWN_VRS:
        raise ValueError(
            f"Attribute {where} has an unknown VR {vr!r} (PS3.5 Table 6.2-1, PS3.18 F.2.3)"
        )

    if value_key is None:
        elem_value = _EMPTY
    elif value_key == "Value":
        elem_value = _values_from_json(int_tag, vr, value, dataset_class, bulk_data_uri_handler)
    elif value_key == "InlineBinary":
        text = _single_string(int_tag, value_key, value)
        elem_value = _decode_base64(int_tag, text)
        return _element_from_bytes(cls, int_tag, vr, elem_value)
    elif value_key == "BulkDataURI":
        uri = _single_string(int_tag, value_key, value)
        if bulk_data_uri_handler is None:
            warnings.warn(
                f"No bulk data URI handler was given to retrieve the value of element {where} "
                f"from {uri!r}; the element is left empty",
                stacklevel=3,
            )
            elem_value = _EMPTY
        else:
            handler = _three_argument_handler(bulk_data_uri_handler)
            elem_value = handler(tag, vr, uri)
            if isinstance(elem_value, (bytes, bytearray, memoryview)):
                return _element_from_bytes(cls, int_tag, vr, bytes(elem_value))
    else:
        raise ValueError(
            f"Attribute {where} has an unknown value member {value_key!r}; expected one of "
            f"{', '.join(JSON_VALUE_KEYS)} (PS3.18 F.2.2)"
        )

    if elem_value is _EMPTY and vr == "UN":
        # As an empty UN read from a file: the dictionary VR of a public tag.
        return _element_from_bytes(cls, int_tag, vr, b"")
    try:
        return _make_element(cls, int_tag, vr, elem_value)
    except Exception as exc:
        raise ValueError(
            f"Data element {where} could not be loaded from JSON: {elem_value!r} ({exc})"
        ) from exc


def _make_element(cls: type[DataElement], tag: BaseTag, vr: str, value: Any) -> DataElement:
    """The element, its value of the exact type the file reader would give it."""
    if vr == "SQ":
        return cls(tag=tag, VR=vr, value=[] if value is _EMPTY or value is None else value)
    if value is _EMPTY or value is None:
        return cls(tag=tag, VR=vr, value=_reader_empty_value(vr), already_converted=True)
    if vr in _BINARY_NUMBER_VRS and (isinstance(value, list) or type(value) in (int, float)):
        # The reader gives binary numbers as a plain list, as pydicom's does.
        return cls(tag=tag, VR=vr, value=value, already_converted=True)
    if type(value) is str and vr in _PLAIN_TEXT_VRS and "\\" not in value:
        # Already the exact value the constructor would make; skipping its
        # conversion matters when parsing large DICOMweb metadata responses.
        return cls(tag=tag, VR=vr, value=value, already_converted=True)
    return cls(tag=tag, VR=vr, value=value)


def _parse_tag_key(key: Any, where: str) -> BaseTag:
    """The tag of an attribute key, which must be eight hex digits (PS3.18 F.2.1.1)."""
    tag = _TAG_KEYS.get(key) if type(key) is str else None
    if tag is not None:
        return tag
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 0xFFFFFFFF:
        return BaseTag(key)
    if not isinstance(key, str) or len(key) != 8 or not _HEX_DIGITS.issuperset(key):
        raise ValueError(
            f"Invalid attribute key {key!r} in {where}: a DICOM JSON tag key is eight "
            "hexadecimal digits 'GGGGEEEE' (PS3.18 F.2.1.1)"
        )
    tag = BaseTag(int(key, 16))
    if len(_TAG_KEYS) < _TAG_KEY_CACHE_SIZE:
        _TAG_KEYS[key] = tag
    return tag


def _reader_empty_value(vr: str) -> Any:
    """The value the file reader gives an element of ``vr`` with no value (PS3.18 F.2.5)."""
    from dicomcore.values import empty_value_for_VR

    return empty_value_for_VR(vr)


def _values_from_json(
    tag: BaseTag,
    vr: str,
    value: Any,
    dataset_class: type[Dataset],
    handler: BulkDataURIHandler | None,
) -> Any:
    """The element value for a "Value" array (PS3.18 sections F.2.4, F.2.5)."""
    if not isinstance(value, list):
        raise TypeError(
            f"'Value' of data element {tag} must be a list (a JSON array), not "
            f"{type(value).__name__} (PS3.18 F.2.4)"
        )
    if not value or (len(value) == 1 and value[0] is None and vr != "SQ"):
        return _EMPTY
    if vr == "SQ":
        return [
            _sequence_item(tag, number, item, dataset_class, handler)
            for number, item in enumerate(value, 1)
        ]

    if vr in _TEXT_VRS:
        convert = _text_value
    elif vr in _FLOAT_VRS:
        convert = _float_value
    elif vr in _INTEGER_VRS:
        convert = _integer_value
    elif vr == "PN":
        convert = _person_name_value
    elif vr == "AT":
        convert = _tag_value
    else:
        # A binary VR has no "Value" in the standard; pydicom keeps what it got.
        convert = _as_is
    values = [convert(tag, vr, v) for v in value]
    if len(values) == 1:
        return values[0]
    if vr == "AT" and None in values:
        raise ValueError(f"Element {tag} with VR AT has an invalid value among {value!r}")
    return values


def _sequence_item(
    tag: BaseTag,
    number: int,
    item: Any,
    dataset_class: type[Dataset],
    handler: BulkDataURIHandler | None,
) -> Dataset:
    where = f"item {number} of sequence {tag}"
    if item is None:
        return dataset_class()
    try:
        return _dataset_from_mapping(dataset_class, item, handler, where)
    except Exception as exc:
        if not any(where in str(arg) for arg in exc.args) and hasattr(exc, "add_note"):
            exc.add_note(f"(in {where})")
        raise


def _as_is(tag: BaseTag, vr: str, value: Any) -> Any:
    return value


def _text_value(tag: BaseTag, vr: str, value: Any) -> Any:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(
            f"Element {tag} with VR {vr} has the value {value!r}; a JSON String is required "
            "(PS3.18 Table F.2.3-1)"
        )
    return value


def _float_value(tag: BaseTag, vr: str, value: Any) -> Any:
    if value is None:
        return None
    # PS3.18 Table F.2.3-1 allows a JSON String for DS to keep its exact text.
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(
        f"Element {tag} with VR {vr} has the value {value!r}, which is not a number "
        "(PS3.18 Table F.2.3-1)"
    )


def _integer_value(tag: BaseTag, vr: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        # A JSON String may carry IS, SV and UV exactly (PS3.18 Table F.2.3-1).
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if number.is_integer():
                return int(number)
    raise ValueError(
        f"Element {tag} with VR {vr} has the value {value!r}, which is not an integer "
        "(PS3.18 Table F.2.3-1)"
    )


def _person_name_value(tag: BaseTag, vr: str, value: Any) -> Any:
    """A PN value from its object of component groups (PS3.18 section F.2.2)."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Some DICOMweb servers send the plain DICOM string; accept it, as pydicom does.
        warnings.warn(
            f"Value of element {tag} with VR PN is a string, not an object of "
            "component groups (PS3.18 F.2.2); using it as the name",
            stacklevel=5,
        )
        return value
    if not isinstance(value, dict):
        raise TypeError(
            f"Element {tag} with VR PN has the value {value!r}; a JSON object with "
            "'Alphabetic', 'Ideographic' and 'Phonetic' is required (PS3.18 F.2.2)"
        )
    groups = []
    for name in _PN_GROUPS:
        group = value.get(name, "")
        if not isinstance(group, str):
            raise TypeError(
                f"Element {tag} with VR PN has a {name!r} component group {group!r} that is "
                "not a string (PS3.18 F.2.2)"
            )
        groups.append(group)
    # Keep as many groups as the object names, so "=" separators survive.
    if "Phonetic" in value:
        count = 3
    elif "Ideographic" in value:
        count = 2
    else:
        count = 1
    return "=".join(groups[:count])


def _tag_value(tag: BaseTag, vr: str, value: Any) -> Any:
    """An AT value from "GGGGEEEE" (PS3.18 Table F.2.3-1)."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 8 and _HEX_DIGITS.issuperset(value):
        return int(value, 16)
    # pydicom ignores an invalid AT value with a warning; so do we.
    warnings.warn(
        f"Invalid value {value!r} for element {tag} with VR AT, which must be 'GGGGEEEE' "
        "(PS3.18 Table F.2.3-1); ignoring it",
        stacklevel=5,
    )
    return None


def _single_string(tag: BaseTag, value_key: str, value: Any) -> str:
    """The string of an "InlineBinary" or "BulkDataURI" member.

    PS3.18 Table F.3.1-1 gives a string, but the F.4 example wraps it in an
    array; both are accepted.
    """
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise TypeError(
            f"Invalid attribute value for data element {tag} - the value for '{value_key}' "
            f"must be str, not {type(value).__name__} (PS3.18 F.2.2)"
        )
    return value


def _decode_base64(tag: BaseTag, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    # Some encoders wrap base64 in lines; whitespace is never part of the data.
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(
            f"The 'InlineBinary' of data element {tag} is not valid base64 (PS3.18 F.2.7): {exc}"
        ) from exc


def _element_from_bytes(
    cls: type[DataElement], tag: BaseTag, vr: str, data: bytes
) -> DataElement:
    """An element whose Value Field arrived as little endian bytes (PS3.18 F.2.7).

    Binary VRs keep the bytes. A UN element of a known public tag is decoded
    with the dictionary VR as implicit VR little endian, as pydicom does with
    ``replace_un_with_known_vr``. Bytes for a text or number VR (possible via
    "BulkDataURI") are decoded like the reader decodes them, so the value has
    the usual Python type.
    """
    from dicomcore.dataelem import SequenceSource

    if vr == "UN":
        vr = _vr_for_un(tag)
        if vr == "UN":
            # Built directly: the constructor would swap in an ambiguous
            # dictionary VR, which only the whole dataset can resolve.
            return cls._from_file(tag, "UN", data, True, None, None, False)
    if not data:
        return _make_element(cls, tag, vr, _EMPTY)
    if vr in _BINARY_VRS:
        return cls(tag=tag, VR=vr, value=data)

    encodings = [config.default_encoding]
    raw: Any = data
    if vr == "SQ":
        # PS3.5 section 6.2.2: a sequence's bytes are implicit VR little endian.
        raw = SequenceSource(data, 0, len(data), True, True, None)
    elem = cls._from_file(tag, vr, raw, True, encodings, None, False)
    try:
        elem.value  # noqa: B018  decode now so bad bytes fail here, naming the tag
    except Exception as exc:
        raise ValueError(
            f"Data element {tag} could not be loaded from JSON: its {len(data)} bytes are not "
            f"a valid {vr} value ({exc})"
        ) from exc
    return elem


def _vr_for_un(tag: BaseTag) -> str:
    """The VR a UN element gets: its dictionary VR for a public tag, as the reader does.

    Private tags (no private dictionary here), unknown tags and tags whose
    dictionary VR is ambiguous (PS3.5 Annex A needs the rest of the dataset)
    stay UN, as do all when ``config.replace_un_with_known_vr`` is off.
    """
    if tag >> 16 & 1 or not config.replace_un_with_known_vr:
        return "UN"
    from dicomcore.datadict import dictionary_VR_or_none

    dict_vr = dictionary_VR_or_none(tag)
    if dict_vr is None or dict_vr in _AMBIGUOUS_VRS:
        return "UN"
    return dict_vr


def _three_argument_handler(
    handler: BulkDataURIHandler | None,
) -> BulkDataURIHandler | None:
    """``handler`` as a ``(tag, vr, uri)`` callable; pydicom 3 also accepts ``(uri)``."""
    if handler is None or getattr(handler, "_dicomcore_three_args", False):
        return handler
    try:
        parameter_count = len(inspect.signature(handler).parameters)
    except (TypeError, ValueError):
        parameter_count = 3
    if parameter_count != 1:
        return handler

    def call_with_uri(tag: str, vr: str, uri: str) -> Any:
        return handler(uri)

    call_with_uri._dicomcore_three_args = True  # type: ignore[attr-defined]
    return call_with_uri
