"""Data elements: a tag, a VR and a value (PS3.5 section 7.1).

An element read from a file keeps a reference to its encoded bytes and
converts them to a Python value only when ``.value`` is first read. The encoded
bytes are kept afterwards as well, so that writing an unchanged element gives
back exactly the bytes that were read.
"""

from __future__ import annotations

import io
import json
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from dicomcore import config
from dicomcore._scan import UNDECODED, ElementCore
from dicomcore.datadict import (
    dictionary_description,
    dictionary_has_tag,
    dictionary_is_retired,
    dictionary_VR,
    get_private_entry,
    keyword_for_tag,
    repeater_has_tag,
)
from dicomcore.tag import BaseTag, Tag
from dicomcore.valuerep import BYTES_VR, LONG_VALUE_VR, QUICK_CHECKS, STR_VR, validate_value

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

#: Marks an element whose value has not been decoded from its bytes yet.
_UNDECODED: Any = UNDECODED


class SequenceSource(NamedTuple):
    """Where the items of a sequence read from a file lie, for decoding later.

    ``parent`` is a weak reference to the dataset holding the sequence (or
    None): the element lives in that dataset, so a strong one would make a
    reference cycle that only the cyclic garbage collector could free.
    """

    buffer: Any
    start: int
    end: int
    little_endian: bool
    implicit_vr: bool
    parent: weakref.ref[Dataset] | None


class RawDataElement(NamedTuple):
    """An element as found in the file, before its value is converted (as pydicom's)."""

    tag: BaseTag
    VR: str | None
    length: int
    value: bytes | None
    value_tell: int
    is_implicit_VR: bool
    is_little_endian: bool
    is_raw: bool = True
    is_buffered: bool = False

    @property
    def is_undefined_length(self) -> bool:
        return self.length == 0xFFFFFFFF


def empty_value_for_VR(VR: str | None, raw: bool = False) -> Any:
    """The value an empty element of ``VR`` has, as the reader gives it (PS3.5 section 7.1.1)."""
    from dicomcore.values import empty_value_for_VR as empty_value

    return empty_value(VR, raw)


def _private_vr(tag: int) -> str:
    """VR of a private element read in implicit VR: creators are LO, others UN."""
    if 0x0010 <= (tag & 0xFFFF) <= 0x00FF:
        return "LO"
    return "UN"


def vr_for_implicit(tag: int) -> str:
    """The VR of an implicit-VR element, from the data dictionary (PS3.5 section 7.1.3)."""
    if tag >> 16 & 1:
        return _private_vr(tag)
    if tag & 0xFFFF == 0:
        return "UL"  # group length
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


class DataElement(ElementCore):
    """One DICOM data element, as pydicom's ``DataElement``.

    Parameters
    ----------
    tag : int, tuple or str
        The element's tag, in any form :func:`~dicomcore.tag.Tag` accepts.
    VR : str
        The two-letter Value Representation (PS3.5 section 6.2).
    value : Any
        The value; a string with backslashes becomes a multi-value for VRs
        that do not allow backslashes in values.
    file_value_tell : int, optional
        Offset of the value in the file it was read from.
    is_undefined_length : bool
        Whether the element was encoded with undefined length.
    already_converted : bool
        Skip conversion of ``value`` to the VR's Python type.
    validation_mode : int, optional
        Unused placeholder for pydicom compatibility.
    """

    descripWidth = 35
    maxBytesToDisplay = 16
    showVR = True
    is_raw = False

    def __init__(
        self,
        tag: int | str | tuple[int, int],
        VR: str,
        value: Any,
        file_value_tell: int | None = None,
        is_undefined_length: bool = False,
        already_converted: bool = False,
        validation_mode: int | None = None,
    ) -> None:
        self.tag = tag if type(tag) is BaseTag else Tag(tag)
        if VR == "UN" and not self.tag.is_private and config.replace_un_with_known_vr:
            # An explicit UN for a known public element: the dictionary knows better.
            try:
                VR = dictionary_VR(self.tag)
            except KeyError:
                pass
        self.VR = VR
        self.file_tell = file_value_tell
        self.is_undefined_length = is_undefined_length
        self.private_creator: str | None = None
        self.validation_mode = validation_mode
        self._raw: Any = None
        self._raw_little_endian = True
        self._encodings: list[str] | None = None
        if already_converted:
            self._value = value
        else:
            self.value = value

    @classmethod
    def _from_file(
        cls,
        tag: BaseTag,
        VR: str,
        raw: Any,
        little_endian: bool,
        encodings: list[str] | None,
        file_tell: int | None,
        is_undefined_length: bool,
    ) -> DataElement:
        """An element whose value stays encoded until it is first read."""
        elem = cls.__new__(cls)
        elem.tag = tag
        elem.VR = VR
        elem.file_tell = file_tell
        elem.is_undefined_length = is_undefined_length
        elem.private_creator = None
        elem.validation_mode = None
        elem._raw = raw
        elem._raw_little_endian = little_endian
        elem._encodings = encodings
        elem._value = _UNDECODED
        return elem

    # -- value ---------------------------------------------------------------
    # ``value`` itself (decode on first read) lives in the Cython base class.

    def _set_value(self, value: Any) -> None:
        coerced = _coerce_value(self.VR, value)
        passes = QUICK_CHECKS.get(self.VR)
        if passes is not None and coerced is not None and not passes(coerced):
            mode = self.validation_mode
            _check_assigned(
                self.VR, coerced, config.settings.reading_validation_mode if mode is None else mode
            )
        self._value = coerced

    def _decode_other(self) -> Any:
        """Decode a value that is not a plain memoryview into the file."""
        raw = self._raw
        if isinstance(raw, SequenceSource):
            from dicomcore.dataset import read_sequence

            sequence = read_sequence(raw, self._encodings)
            sequence.is_undefined_length = self.is_undefined_length
            return sequence
        from dicomcore.values import convert_value

        if raw and (self.VR in BYTES_VR or self.VR == "UN"):
            return bytes(raw)
        return convert_value(self.VR, raw, self._raw_little_endian, self._encodings)

    def raw_value_if_unchanged(self, little_endian: bool) -> Any:
        """The encoded bytes read from the file, if they still encode ``value``.

        Writing these bytes back keeps a round trip byte-identical. Returns None
        when the value was changed, or the byte order differs for a VR where it
        matters.
        """
        raw = self._raw
        if raw is None or isinstance(raw, SequenceSource):
            return None
        if little_endian != self._raw_little_endian and self.VR not in STR_VR:
            return None
        if self._value is _UNDECODED:
            return raw
        from dicomcore.values import convert_value

        if self.VR in BYTES_VR or self.VR == "UN":
            return raw if self._value == bytes(raw) else None
        try:
            same = convert_value(self.VR, raw, self._raw_little_endian, self._encodings) == self._value
        except Exception:
            return None
        if isinstance(same, bool) and same:
            return raw
        return None

    @property
    def VM(self) -> int:
        """The value multiplicity: 0 when empty, else the number of values."""
        value = self.value
        if value is None:
            return 0
        if self.VR == "SQ":
            return 1
        if isinstance(value, (str, bytes, bytearray, memoryview)) or type(value).__name__ == "PersonName":
            return 1 if value else 0
        if hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
            return 1
        try:
            return len(value)
        except TypeError:
            return 1

    @property
    def is_buffered(self) -> bool:
        """True if the value is a binary file to be copied when written (pydicom 3)."""
        return self._value is not UNDECODED and isinstance(self._value, io.IOBase)

    @property
    def is_empty(self) -> bool:
        """True if the element has no value."""
        if self.VR == "SQ":
            return not self.value
        return self.VM == 0

    @property
    def empty_value(self) -> Any:
        """The value an empty element of this VR has."""
        return empty_value_for_VR(self.VR)

    def clear(self) -> None:
        """Set the value to the empty value for its VR."""
        self._raw = None
        self._value = self.empty_value if self.VR != "SQ" else _coerce_value("SQ", [])

    def validate(self, value: Any) -> None:
        """Check ``value`` against the VR's rules (PS3.5 section 6.2)."""
        from dicomcore.valuerep import validate_value

        validate_value(self.VR, value, config.settings.writing_validation_mode)

    # -- copying and pickling --------------------------------------------------

    def __copy__(self) -> DataElement:
        new = type(self).__new__(type(self))
        for name in _CORE_FIELDS:
            setattr(new, name, getattr(self, name))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> DataElement:
        import copy

        new = self.__copy__()
        memo[id(self)] = new
        new._value = copy.deepcopy(self.value, memo)
        raw = self._raw
        new._raw = bytes(raw) if isinstance(raw, (bytes, memoryview)) else None
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        value = self.value  # decoded, since the file's buffer does not travel
        raw = self._raw
        fields = {name: getattr(self, name) for name in _CORE_FIELDS}
        fields["_value"] = value
        fields["_raw"] = bytes(raw) if isinstance(raw, (bytes, memoryview)) else None
        return (_restore_element, (type(self), fields, dict(self.__dict__)))

    # -- descriptions --------------------------------------------------------

    @property
    def is_private(self) -> bool:
        return self.tag.is_private

    @property
    def is_retired(self) -> bool:
        if dictionary_has_tag(self.tag):
            return dictionary_is_retired(self.tag)
        return False

    @property
    def keyword(self) -> str:
        """The element's keyword, or ``""`` for private and unknown elements."""
        if self.tag.is_private:
            return ""
        return keyword_for_tag(self.tag)

    @property
    def name(self) -> str:
        """The element's name from the dictionary, ``"[name]"`` for known private ones."""
        return self.description()

    def description(self) -> str:
        tag = self.tag
        if tag.is_private:
            if self.private_creator:
                try:
                    return f"[{get_private_entry(tag, self.private_creator)[2]}]"
                except KeyError:
                    pass
            if 0x0010 <= tag.element <= 0x00FF:
                return "Private Creator"
            return "Private tag data"
        if dictionary_has_tag(tag) or repeater_has_tag(tag):
            return dictionary_description(tag)
        if tag.element == 0:
            return "Group Length"
        return ""

    @property
    def repval(self) -> str:
        """A short representation of the value for dumps."""
        value = self.value
        if self.VR in LONG_VALUE_VR:
            try:
                length = len(value)
            except TypeError:
                pass
            else:
                if length > self.maxBytesToDisplay:
                    return f"Array of {length} elements"
        if self.VM > self.maxBytesToDisplay:
            return f"Array of {self.VM} elements"
        from dicomcore.uid import UID

        if isinstance(value, UID):
            return value.name
        return repr(value)

    def __str__(self) -> str:
        value = self.repval or ""
        name = f"{self.name[:self.descripWidth]:<{self.descripWidth}}"
        if self.showVR:
            return f"{self.tag} {name} {self.VR}: {value}"
        return f"{self.tag} {name} {value}"

    __repr__ = __str__

    def __getitem__(self, key: int) -> Any:
        try:
            return self.value[key]
        except TypeError:
            raise TypeError("DataElement value is unscriptable (not a Sequence)") from None

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if isinstance(other, DataElement):
            if self.tag != other.tag or self.VR != other.VR:
                return False
            mine, theirs = self.value, other.value
            if hasattr(mine, "dtype") or hasattr(theirs, "dtype"):
                import numpy

                return bool(numpy.array_equal(mine, theirs))
            return mine == theirs
        return NotImplemented

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    # -- JSON (PS3.18 Annex F) -----------------------------------------------

    def to_json_dict(
        self,
        bulk_data_element_handler: Callable[[DataElement], str] | None,
        bulk_data_threshold: int,
    ) -> dict[str, Any]:
        """The element as a DICOM JSON object (PS3.18 section F.2)."""
        from dicomcore.jsonrep import element_to_json_dict

        return element_to_json_dict(self, bulk_data_element_handler, bulk_data_threshold)

    def to_json(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], str] | None = None,
        dump_handler: Callable[[dict[str, Any]], str] | None = None,
    ) -> str:
        """The element as a DICOM JSON string (PS3.18 Annex F)."""
        data = self.to_json_dict(bulk_data_element_handler, bulk_data_threshold)
        if dump_handler is None:
            return json.dumps(data, sort_keys=True)
        return dump_handler(data)

    @classmethod
    def from_json(
        cls,
        dataset_class: type[Dataset],
        tag: str,
        vr: str,
        value: Any,
        value_key: str | None,
        bulk_data_uri_handler: Callable[..., Any] | None = None,
    ) -> DataElement:
        """An element from its DICOM JSON parts (PS3.18 section F.2)."""
        from dicomcore.jsonrep import element_from_json

        return element_from_json(cls, dataset_class, tag, vr, value, value_key, bulk_data_uri_handler)


_CORE_FIELDS = (
    "tag", "VR", "_value", "_raw", "_raw_little_endian", "_encodings", "file_tell",
    "is_undefined_length", "private_creator", "validation_mode",
)


def _restore_element(cls: type[DataElement], fields: dict[str, Any], extra: dict[str, Any]) -> DataElement:
    """Unpickle a DataElement."""
    elem = cls.__new__(cls)
    for name, value in fields.items():
        setattr(elem, name, value)
    elem.__dict__.update(extra)
    return elem


def convert_raw_data_element(
    raw: RawDataElement,
    *,
    encoding: str | list[str] | None = None,
    ds: Dataset | None = None,
) -> DataElement:
    """The DataElement a RawDataElement becomes when read, as pydicom 3's.

    Parameters
    ----------
    raw : RawDataElement
    encoding : str or list of str, optional
        The Python codecs of the text values (what
        :func:`~dicomcore.charset.convert_encodings` makes of (0008,0005)); by
        default the default repertoire, as pydicom, even when ``ds`` has another.
    ds : Dataset, optional
        The dataset the element belongs to, for ambiguous VRs (US or SS, OB or OW).
    """
    from dicomcore.dataset import Dataset

    holder = Dataset()
    if encoding is None:
        encoding = [config.default_encoding]
    holder.__dict__["_charset"] = [encoding] if isinstance(encoding, str) else list(encoding)
    if ds is not None:
        # Ambiguous VRs are resolved from the elements of the dataset it comes from.
        holder.__dict__["_parent_ref"] = weakref.ref(ds)
    holder[raw.tag] = raw
    return holder[raw.tag]


def _coerce_value(VR: str, value: Any) -> Any:
    """Turn a value a user assigned into the type pydicom would hold for ``VR``."""
    if VR == "SQ":
        from dicomcore.sequence import Sequence

        if isinstance(value, Sequence):
            return value
        if value is None or value == b"":
            return Sequence()
        return Sequence(value)
    if value is None:
        return None
    if isinstance(value, str) and "\\" in value and VR in _SPLIT_ON_BACKSLASH:
        value = value.split("\\")
    if isinstance(value, (list, tuple)):
        from dicomcore.multival import MultiValue

        return MultiValue(_converter(VR), value)
    if hasattr(value, "__array__") and VR in BYTES_VR:
        return value
    convert = _converter(VR)
    return convert(value)


def _check_assigned(VR: str, value: Any, mode: int) -> None:
    """Check an assigned value as pydicom 3 does (PS3.5 Table 6.2-1), each of its values.

    Only VRs with a quick check get here (UI, DS, IS and PN values are checked
    by their own classes; bytes and float values are left alone: a NumPy
    float32 is a fine FL value), and only when that check had no verdict.
    """
    if mode == config.IGNORE:
        return
    from dicomcore.multival import MultiValue

    passes = QUICK_CHECKS[VR]
    # ``value`` is as _coerce_value left it: several values are a MultiValue.
    for item in value if isinstance(value, MultiValue) else (value,):
        if not passes(item):
            validate_value(VR, item, mode)


def _identity(value: Any) -> Any:
    return value


def _converter(VR: str) -> Callable[[Any], Any]:
    """The constructor pydicom applies to each value of ``VR``."""
    convert = _CONVERTERS.get(VR)
    if convert is not None:
        return convert
    if not _CONVERTERS:
        from dicomcore.uid import UID
        from dicomcore.valuerep import DS, IS, PersonName

        _CONVERTERS.update({
            "UI": lambda v: v if isinstance(v, UID) or not isinstance(v, str) else UID(v),
            "DS": lambda v: v if v == "" else DS(v),
            "IS": lambda v: v if v == "" else IS(v),
            "PN": lambda v: v if isinstance(v, PersonName) else PersonName(v),
            "AT": lambda v: v if isinstance(v, BaseTag) else Tag(v),
        })
    return _CONVERTERS.setdefault(VR, _identity)

_CONVERTERS: dict[str, Callable[[Any], Any]] = {}

# Text VRs whose values cannot contain a backslash, so it separates values
# (PS3.5 section 6.4).
_SPLIT_ON_BACKSLASH = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "PN", "SH", "TM", "UC", "UI"}
)

