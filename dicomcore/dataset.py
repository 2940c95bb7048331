"""Datasets: collections of data elements, with pydicom 3's ``Dataset`` API.

A dataset read from a file starts as an :class:`~dicomcore._scan.ElementIndex`
over the file's bytes: the tag, VR and offsets of every element, found by the
Cython scanner. An element becomes a :class:`~dicomcore.dataelem.DataElement`
only when it is asked for, and its value is decoded only when ``.value`` is
read. Anything that needs every element (iteration, ``len``, writing a changed
dataset) first *realizes* the index into ``_dict``; after that the dataset
behaves exactly like one built in memory.
"""

from __future__ import annotations

import copy
import os
import re
import warnings
import weakref
from collections.abc import Callable, Iterator, MutableSequence
from typing import TYPE_CHECKING, Any, BinaryIO

from dicomcore import config
from dicomcore._scan import (
    DatasetCore,
    configure,
    configure_dataset,
    read_items,
)
from dicomcore.datadict import (
    dictionary_VR,
    keyword_for_tag,
    repeater_has_keyword,
    tag_for_keyword,
)
from dicomcore.datadict import keyword_dict as _KEYWORD_TAGS
from dicomcore.dataelem import (
    DataElement,
    RawDataElement,
    SequenceSource,
    vr_for_implicit,
)
from dicomcore.sequence import Sequence
from dicomcore.tag import BaseTag, Tag, tag_in_exception
from dicomcore.valuerep import VR as VR_
from dicomcore.values import convert_value

if TYPE_CHECKING:
    import numpy

    from dicomcore._scan import ElementIndex

PIXEL_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
IMAGE_PIXEL_TAGS = frozenset(
    {0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011,
     0x00280100, 0x00280101, 0x00280102, 0x00280103} | PIXEL_TAGS
)
_SPECIFIC_CHARACTER_SET = 0x00080005
_PIXEL_REPRESENTATION = 0x00280103
_FLAG_UNDEFINED_LENGTH = 1
_FLAG_IMPLICIT = 4


class PrivateBlock:
    """The elements of one private block (PS3.5 section 7.8.1), as pydicom's.

    Parameters
    ----------
    key : tuple of (int, str)
        The private group and the private creator.
    dataset : Dataset
        The dataset the block belongs to.
    private_creator_element : int
        The element number of the creator, ``0x10`` to ``0xFF``.
    """

    def __init__(self, key: tuple[int, str], dataset: Dataset, private_creator_element: int):
        self.group = key[0]
        self.private_creator = key[1]
        self.dataset = dataset
        self.block_start = private_creator_element << 8

    def get_tag(self, element_offset: int) -> BaseTag:
        """The tag of the element at ``element_offset`` (0 to 0xFF) in this block."""
        if element_offset > 0xFF:
            raise ValueError("Element offset must be less than 256")
        return Tag(self.group, self.block_start + element_offset)

    def __contains__(self, element_offset: int) -> bool:
        return self.get_tag(element_offset) in self.dataset

    def __getitem__(self, element_offset: int) -> DataElement:
        return self.dataset[self.get_tag(element_offset)]

    def __delitem__(self, element_offset: int) -> None:
        del self.dataset[self.get_tag(element_offset)]

    def add_new(self, element_offset: int, VR: str, value: object) -> None:
        """Add a private element to the block."""
        elem = DataElement(self.get_tag(element_offset), VR, value)
        elem.private_creator = self.private_creator
        self.dataset[elem.tag] = elem


class Dataset(DatasetCore):
    """A collection of data elements keyed by tag, as pydicom's ``Dataset``.

    Elements are reached by keyword (``ds.PatientName``), by tag
    (``ds[0x00100010]``, ``ds[0x0010, 0x0010]``, ``ds["PatientName"]``) or by
    tag range (``ds[0x00100000:0x00200000]``). Iteration yields the elements
    in tag order.
    """

    indent_chars = "   "
    default_element_format = "%(tag)s %(name)-35.35s %(VR)s: %(repval)s"
    default_sequence_element_format = "%(tag)s %(name)-35.35s %(VR)s: %(repval)s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.update(_fresh_state())
        if args:
            source = args[0]
            if isinstance(source, Dataset):
                for elem in source.elements():
                    self._dict[int(elem.tag)] = elem
            else:
                for tag, elem in dict(source).items():
                    self[tag] = elem
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    @classmethod
    def _from_index(
        cls,
        index: ElementIndex,
        parent: Dataset | None = None,
        inherited_charset: list[str] | None = None,
        undefined_length_item: bool = False,
    ) -> Dataset:
        """A dataset whose elements stay in ``index`` until they are asked for."""
        ds = cls.__new__(cls)
        state = _fresh_state()
        state["_index"] = index if len(index) else None
        state["_parent_ref"] = weakref.ref(parent) if parent is not None else None
        state["_read_implicit"] = index.implicit_vr
        state["_read_little"] = index.little_endian
        state["_read_charset"] = inherited_charset
        state["is_undefined_length_sequence_item"] = undefined_length_item
        # The new dict becomes the instance dict as it is (no second copy, and
        # not through __setattr__, which would look "__dict__" up as a keyword).
        object.__setattr__(ds, "__dict__", state)
        return ds

    # -- element look-up ------------------------------------------------------

    def _resolve_vr(self, tag: int, vr: str | None, flags: int, length: int) -> str:  # noqa: ARG002
        """The VR of an element read without one (implicit VR) or as UN."""
        if vr is None:
            resolved = vr_for_implicit(tag)
            if resolved == "UN" and flags & _FLAG_UNDEFINED_LENGTH:
                # An unknown element of undefined length can only be a sequence.
                return "SQ"
            return resolved
        # Explicit UN
        if flags & _FLAG_UNDEFINED_LENGTH and config.settings.infer_sq_for_un_vr:
            return "SQ"
        if tag >> 16 & 1:
            # A private creator is LO whatever VR it was written with (PS3.5 7.8.1).
            return "LO" if 0x10 <= tag & 0xFFFF <= 0xFF else "UN"
        if config.replace_un_with_known_vr:
            try:
                return dictionary_VR(tag)
            except KeyError:
                pass
        return "UN"

    def _correct_ambiguous(self, elem: DataElement) -> None:
        """Choose the VR of an element the dictionary gives several VRs (PS3.5 Annex A)."""
        from dicomcore.filewriter import correct_ambiguous_vr_element

        correct_ambiguous_vr_element(elem, self, self._read_little is not False)

    @property
    def _character_set(self) -> list[str]:
        """The Python encodings for this dataset's text (PS3.3 C.12.1.1.2)."""
        charset = self._charset
        if charset is None and _SPECIFIC_CHARACTER_SET not in self:
            # The common case, above all for sequence items: inherited.
            charset = self._read_charset
            if charset is None:
                charset = (self._parent._character_set if self._parent is not None
                           else [config.default_encoding])
            self.__dict__["_charset"] = charset
        if charset is None:
            elem = self._lookup(_SPECIFIC_CHARACTER_SET)
            terms = [] if elem is None or isinstance(elem, RawDataElement) else elem.value
            terms = [terms] if isinstance(terms, str) else terms
            terms = [t for t in terms or () if isinstance(t, str)]
            if terms:
                from dicomcore.charset import convert_encodings

                charset = convert_encodings(terms)
            elif self._parent is not None:
                charset = self._parent._character_set
            elif self._read_charset is not None:
                charset = self._read_charset
            else:
                charset = [config.default_encoding]
            object.__setattr__(self, "_charset", charset)
        return charset

    @property
    def original_character_set(self) -> str | MutableSequence[str]:
        """The character set the dataset was read with."""
        return self._read_charset or self._character_set

    # -- mapping protocol -----------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        if type(key) is int:
            tag = key
        elif isinstance(key, slice):
            return self._dataset_slice(key)
        else:
            tag = int(Tag(key))
        elem = self._lookup(tag)
        if elem is None:
            raise KeyError(Tag(tag))
        if isinstance(elem, RawDataElement):
            elem = self._convert_raw(elem)
        return elem

    def _convert_raw(self, raw: RawDataElement) -> DataElement:
        """Turn a RawDataElement the user stored into a DataElement."""
        vr = raw.VR
        if vr is None or vr == "UN":
            vr = self._resolve_vr(raw.tag, vr, _FLAG_UNDEFINED_LENGTH if raw.is_undefined_length else 0, raw.length)
        value = raw.value if raw.value is not None else b""
        if vr == "SQ":
            from dicomcore._scan import scan_dataset  # noqa: F401  (keeps import order clear)

            source = SequenceSource(
                value, 0, len(value), raw.is_little_endian, raw.is_implicit_VR, weakref.ref(self)
            )
            elem = DataElement._from_file(
                Tag(raw.tag), vr, source, raw.is_little_endian, self._character_set,
                raw.value_tell, raw.is_undefined_length,
            )
        else:
            elem = DataElement._from_file(
                Tag(raw.tag), vr, value, raw.is_little_endian, self._character_set,
                raw.value_tell, raw.is_undefined_length,
            )
        if vr in _AMBIGUOUS_VRS:
            self._correct_ambiguous(elem)
        self._dict[int(elem.tag)] = elem
        return elem

    def get_item(self, key: Any, *, keep_deferred: bool = False) -> DataElement | RawDataElement | None:
        """The element for ``key`` without converting its value (a RawDataElement if unread)."""
        if isinstance(key, slice):
            return self._dataset_slice(key)
        tag = int(Tag(key))
        elem = self._dict.get(tag)
        if elem is not None:
            if isinstance(elem, DataElement) and not elem.is_decoded and not isinstance(elem._raw, SequenceSource):
                return self._as_raw(elem)
            return elem
        index = self._index
        if index is None:
            return None
        position = index.find(tag)
        if position < 0 or (self._index_gone is not None and tag in self._index_gone):
            return None
        rec_tag, vr, length, start, end, _, _, flags = index.record(position)
        return RawDataElement(
            BaseTag(rec_tag), vr, length, bytes(memoryview(index.buffer)[start:end]), start,
            index.implicit_vr or bool(flags & _FLAG_IMPLICIT), index.little_endian, True, False,
        )

    def update_raw_element(
        self, tag: Any, *, vr: str | None = None, value: bytes | None = None
    ) -> None:
        """Change the VR or the encoded value of an element not yet read, as pydicom 3 does.

        For files whose VRs or values are known to be wrong: the element is then
        read with the new VR or from the new bytes.

        Raises
        ------
        KeyError
            If there is no element ``tag``.
        TypeError
            If ``value`` is not bytes, or the element's value was already read.
        ValueError
            If neither ``vr`` nor ``value`` is given, or ``vr`` is not a VR.
        """
        if vr is None and value is None:
            raise ValueError("Either or both of 'vr' and 'value' are required")
        if vr is not None and vr not in VR_.__members__:
            raise ValueError(f"Invalid VR value '{vr}'")
        if value is not None and not isinstance(value, bytes):
            raise TypeError(f"'value' must be bytes, not '{type(value).__name__}'")
        raw = self.get_item(tag)
        if raw is None:
            raise KeyError(f"No element with tag {Tag(tag)} was found")
        if not isinstance(raw, RawDataElement):
            raise TypeError(
                f"The element with tag {Tag(tag)} has already been converted to a "
                "'DataElement' instance, this method must be called earlier"
            )
        if vr is not None:
            raw = raw._replace(VR=vr)
        if value is not None:
            raw = raw._replace(value=value, length=len(value))
        self[raw.tag] = raw

    @staticmethod
    def _as_raw(elem: DataElement) -> RawDataElement:
        raw = elem._raw
        value = bytes(raw) if raw is not None else None
        length = 0xFFFFFFFF if elem.is_undefined_length else len(value) if value is not None else 0
        return RawDataElement(
            elem.tag, elem.VR, length, value,
            elem.file_tell or 0, False, elem._raw_little_endian, True, False,
        )

    def __setitem__(self, key: Any, elem: DataElement | RawDataElement) -> None:
        if isinstance(key, slice):
            raise NotImplementedError("Slicing is not supported when setting Dataset items")
        try:
            tag = Tag(key)
        except Exception as exc:
            raise ValueError(f"Unable to convert the key '{key}' to an element tag") from exc
        if not isinstance(elem, (DataElement, RawDataElement)):
            raise TypeError("Dataset items must be 'DataElement' instances")
        elem_tag = elem.tag if isinstance(elem.tag, BaseTag) else Tag(elem.tag)
        if tag != elem_tag:
            raise ValueError(f"The key '{tag}' doesn't match the 'DataElement' tag '{elem_tag}'")
        tag = int(tag)
        self._forget_index_entry(tag)
        if elem_tag.is_private and isinstance(elem, DataElement):
            block = elem_tag.element >> 8
            creator_tag = (elem_tag.group << 16) | block
            if block and elem_tag != creator_tag:
                creator = self._lookup(creator_tag)
                if creator is not None and not isinstance(creator, RawDataElement):
                    elem.private_creator = creator.value
        self._dict[tag] = elem
        self._element_changed(tag)

    def _forget_index_entry(self, tag: int) -> None:
        """Make sure a stale copy of ``tag`` in the index can never come back."""
        index = self._index
        if index is not None and index.find(tag) >= 0:
            gone = self._index_gone
            if gone is None:
                gone = set()
                object.__setattr__(self, "_index_gone", gone)
            gone.add(tag)

    def _element_changed(self, tag: int) -> None:
        if tag == _SPECIFIC_CHARACTER_SET:
            object.__setattr__(self, "_charset", None)
        if tag in IMAGE_PIXEL_TAGS:
            object.__setattr__(self, "_pixel_array", None)
            object.__setattr__(self, "_pixel_id", {})

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, slice):
            for tag in self._slice_tags(key):
                del self[tag]
            return
        tag = int(Tag(key))
        found = self._lookup(tag)
        if found is None:
            raise KeyError(Tag(tag))
        del self._dict[tag]
        self._element_changed(tag)

    def __contains__(self, name: Any) -> bool:
        try:
            tag = name if type(name) is int else int(Tag(name))
        except (ValueError, OverflowError, TypeError):
            return False
        if tag in self._dict:
            return True
        index = self._index
        if index is None or index.find(tag) < 0:
            return False
        return self._index_gone is None or tag not in self._index_gone

    def __len__(self) -> int:
        self._realize()
        return len(self._dict)

    def __bool__(self) -> bool:
        if self._dict:
            return True
        index = self._index
        return index is not None and len(index) > len(self._index_gone or ())

    def keys(self) -> list[BaseTag]:  # type: ignore[override]
        """The tags of the elements (a set-like view in pydicom; a list here, in tag order)."""
        self._realize()
        return [BaseTag(tag) for tag in sorted(self._dict)]

    def values(self) -> list[DataElement | RawDataElement]:
        """The elements, in tag order, without converting their values."""
        self._realize()
        return [self._dict[tag] for tag in sorted(self._dict)]

    def items(self) -> list[tuple[BaseTag, DataElement | RawDataElement]]:
        """``(tag, element)`` pairs in tag order."""
        self._realize()
        return [(BaseTag(tag), self._dict[tag]) for tag in sorted(self._dict)]

    def elements(self) -> Iterator[DataElement | RawDataElement]:
        """Yield the top-level elements in tag order, without converting their values."""
        self._realize()
        for tag in sorted(self._dict):
            yield self._dict[tag]

    def get(self, key: Any, default: Any = None) -> Any:
        """The value for a keyword, or the element for a tag; ``default`` if absent."""
        if isinstance(key, str):
            try:
                return getattr(self, key)
            except AttributeError:
                return default
        try:
            return self[key]
        except KeyError:
            return default

    def pop(self, key: Any, *args: Any) -> DataElement | RawDataElement:
        """Remove and return the element for ``key`` (a tag or keyword)."""
        try:
            tag = int(Tag(key))
        except (ValueError, OverflowError, TypeError):
            if args:
                return args[0]
            raise KeyError(key) from None
        elem = self._lookup(tag)
        if elem is None:
            if args:
                return args[0]
            raise KeyError(Tag(tag))
        del self._dict[tag]
        self._element_changed(tag)
        return elem

    def popitem(self) -> tuple[BaseTag, DataElement | RawDataElement]:
        """Remove and return the last element (highest tag)."""
        self._realize()
        if not self._dict:
            raise KeyError("popitem(): dataset is empty")
        tag = max(self._dict)
        return BaseTag(tag), self.pop(tag)

    def setdefault(self, key: Any, default: Any = None) -> DataElement:
        """The element for ``key``, first adding ``default`` for it if absent."""
        tag = Tag(key)
        if tag in self:
            return self[tag]
        if not isinstance(default, DataElement):
            if tag.is_private:
                vr = "UN"
            else:
                try:
                    vr = dictionary_VR(tag)
                except KeyError:
                    raise KeyError(f"Unknown DICOM tag {tag}") from None
            default = DataElement(tag, vr, default)
        self[tag] = default
        return default

    def update(self, d: Dataset | dict[Any, Any]) -> None:
        """Add or replace elements from a Dataset or a dict of keywords/tags."""
        if isinstance(d, Dataset):
            for elem in d.elements():
                self[elem.tag] = elem
            return
        for key, value in d.items():
            if isinstance(key, str):
                setattr(self, key, value)
            else:
                self[Tag(key)] = value

    def clear(self) -> None:
        """Remove every element."""
        self._dict.clear()
        object.__setattr__(self, "_index", None)
        object.__setattr__(self, "_index_gone", None)
        object.__setattr__(self, "_charset", None)
        object.__setattr__(self, "_pixel_array", None)

    def copy(self) -> Dataset:
        """A shallow copy."""
        return copy.copy(self)

    def __copy__(self) -> Dataset:
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "_dict", dict(self._dict))
        if self._index_gone is not None:
            object.__setattr__(new, "_index_gone", set(self._index_gone))
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Dataset:
        self._realize()
        for elem in list(self._dict.values()):
            if isinstance(elem, DataElement):
                elem.value  # noqa: B018  decode so the copy owns its values
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for name, value in self.__dict__.items():
            if name in ("_index", "_parent_ref"):
                object.__setattr__(new, name, None if name == "_index" else value)
                continue
            if name == "_dict":
                value = {tag: _copy_element(elem, memo) for tag, elem in value.items()}
            elif name in ("buffer", "fileobj_type"):
                pass
            else:
                value = copy.deepcopy(value, memo)
            object.__setattr__(new, name, value)
        return new

    # -- keyword attribute access --------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        tag = tag_for_keyword(name)
        if tag is not None:
            elem = self._lookup(tag)
            if elem is None or isinstance(elem, RawDataElement):
                try:
                    vr = dictionary_VR(tag)
                except KeyError:
                    vr = "UN"
                if elem is not None and elem.VR:
                    vr = elem.VR
                self[tag] = DataElement(tag, vr, value)
            else:
                elem.value = value
                elem._raw = None
                self._element_changed(tag)
            return
        if repeater_has_keyword(name):
            raise ValueError(
                f"'{name}' is a DICOM repeating group element and must be added using "
                "the add() or add_new() methods."
            )
        if name == "file_meta":
            self._set_file_meta(value)
            return
        if (
            name[:1].isupper()
            and not name.startswith("_")
            and config.INVALID_KEYWORD_BEHAVIOR != "NONE"
            and _looks_like_keyword(name)
        ):
            message = (
                f"Camel case attribute '{name}' used which is not in the element keyword data "
                "dictionary"
            )
            if config.INVALID_KEYWORD_BEHAVIOR == "RAISE":
                raise ValueError(message)
            warnings.warn(message, stacklevel=2)
        object.__setattr__(self, name, value)

    def _set_file_meta(self, value: Any) -> None:
        if value is not None and not isinstance(value, FileMetaDataset):
            value = FileMetaDataset(value)
        object.__setattr__(self, "file_meta", value)

    def __delattr__(self, name: str) -> None:
        tag = tag_for_keyword(name)
        if tag is not None and tag in self:
            del self[tag]
        elif name in self.__dict__:
            object.__delattr__(self, name)
        else:
            raise AttributeError(name)

    def __dir__(self) -> list[str]:
        return sorted(set(object.__dir__(self)) | set(self.dir()))

    def dir(self, *filters: str) -> list[str]:
        """Keywords of the elements present, optionally only those matching ``filters``."""
        keywords = [keyword_for_tag(tag) for tag in self.keys()]
        keywords = [k for k in keywords if k]
        if not filters:
            return sorted(keywords)
        return sorted(
            k for k in keywords if any(re.search(f, k, flags=re.IGNORECASE) for f in filters)
        )

    def trait_names(self) -> list[str]:
        """Names for IPython tab completion."""
        return dir(self)

    def data_element(self, name: str) -> DataElement | None:
        """The element for keyword ``name``, or None."""
        tag = tag_for_keyword(name)
        if tag is not None and tag in self:
            return self[tag]
        return None

    # -- adding elements -------------------------------------------------------

    def add(self, data_element: DataElement) -> None:
        """Add an element, replacing any with the same tag."""
        self[data_element.tag] = data_element

    def add_new(self, tag: Any, VR: str, value: Any) -> None:
        """Create an element and add it."""
        self.add(DataElement(tag, VR, value))

    def private_block(self, group: int, private_creator: str, create: bool = False) -> PrivateBlock:
        """The private block of ``private_creator`` in ``group`` (PS3.5 section 7.8.1)."""

        def new_block(element: int) -> PrivateBlock:
            block = PrivateBlock((group, private_creator), self, element)
            self.add_new(Tag(group, element), "LO", private_creator)
            return block

        if not group % 2:
            raise ValueError("Tag must be private if private creator is given")
        first_free = None
        for element in range(0x10, 0x100):
            tag = Tag(group, element)
            if tag in self:
                if self[tag].value == private_creator:
                    return PrivateBlock((group, private_creator), self, element)
            elif first_free is None:
                first_free = element
        if not create:
            raise KeyError(f"Private creator '{private_creator}' not found")
        if first_free is None:
            raise ValueError("All private blocks in this group are in use")
        return new_block(first_free)

    def add_new_private(
        self,
        private_creator: str,
        group: int,
        element_offset: int,
        value: Any,
        vr: str | None = None,
    ) -> None:
        """Add a private element, creating its private block if needed."""
        if vr is None:
            from dicomcore.datadict import private_dictionary_VR

            try:
                vr = private_dictionary_VR(Tag(group, element_offset), private_creator)
            except KeyError:
                raise KeyError(
                    f"Tag {Tag(group, element_offset)} not in private dictionary for "
                    f"private creator '{private_creator}': give the VR"
                ) from None
        self.private_block(group, private_creator, create=True).add_new(element_offset, vr, value)

    def private_creators(self, group: int) -> list[str]:
        """The private creators of ``group``."""
        if not group % 2:
            raise ValueError("Group must be an odd number")
        creators = []
        for tag in self.keys():
            if tag.group == group and 0x10 <= tag.element <= 0xFF:
                creators.append(self[tag].value)
            elif tag.group > group:
                break
        return creators

    def get_private_item(self, group: int, element_offset: int, private_creator: str) -> DataElement:
        """The element at ``element_offset`` in the block of ``private_creator``."""
        if not group % 2:
            raise ValueError("Tag must be private if private creator is given")
        return self.private_block(group, private_creator)[element_offset]

    def remove_private_tags(self) -> None:
        """Remove every private element, also inside sequences."""

        def remove(dataset: Dataset, elem: DataElement) -> None:
            if elem.tag.is_private:
                del dataset[elem.tag]

        self.walk(remove)

    def group_dataset(self, group: int) -> Dataset:
        """A new dataset holding only the elements of ``group``."""
        return self[(group << 16):((group + 1) << 16)]

    def _slice_tags(self, key: slice) -> list[BaseTag]:
        start = Tag(key.start) if key.start is not None else 0
        stop = Tag(key.stop) if key.stop is not None else 0x100000000
        tags = [t for t in self.keys() if start <= t < stop]
        return tags[:: key.step] if key.step else tags

    def _dataset_slice(self, key: slice) -> Dataset:
        new = Dataset()
        for tag in self._slice_tags(key):
            new._dict[int(tag)] = self._dict[tag]
        object.__setattr__(new, "_read_implicit", self._read_implicit)
        object.__setattr__(new, "_read_little", self._read_little)
        object.__setattr__(new, "_read_charset", self._read_charset)
        return new

    # -- traversal -------------------------------------------------------------

    def walk(self, callback: Callable[[Dataset, DataElement], None], recursive: bool = True) -> None:
        """Call ``callback(dataset, element)`` for every element, depth first."""
        for tag in self.keys():
            with tag_in_exception(tag):
                elem = self[tag]
                callback(self, elem)
                if recursive and tag in self and elem.VR == "SQ":
                    for item in elem.value:
                        item.walk(callback, recursive)

    def iterall(self) -> Iterator[DataElement]:
        """Yield every element, descending into sequences."""
        for elem in self:
            yield elem
            if elem.VR == "SQ":
                for item in elem.value:
                    yield from item.iterall()

    def decode(self) -> None:
        """Decode every text value with the dataset's character set (already done lazily)."""
        for elem in self.iterall():
            elem.value  # noqa: B018

    def top(self) -> str:
        """The dump of the top-level elements only."""
        return self._pretty_str(top_level_only=True)

    # -- encoding --------------------------------------------------------------

    @property
    def original_encoding(self) -> tuple[bool, bool] | tuple[None, None]:
        """``(is_implicit_vr, is_little_endian)`` as read, or ``(None, None)``."""
        if self._read_implicit is None:
            return (None, None)
        return (self._read_implicit, self._read_little)

    @property
    def is_original_encoding(self) -> bool:
        """True if the dataset would be written with the encoding it was read with."""
        return (
            self._read_implicit is not None
            and self._read_implicit == getattr(self, "_is_implicit_VR", self._read_implicit)
            and self._read_little == getattr(self, "_is_little_endian", self._read_little)
            and (self._read_charset is None or self._read_charset == self._character_set)
        )

    def set_original_encoding(
        self,
        is_implicit_vr: bool | None,
        is_little_endian: bool | None,
        character_encoding: str | MutableSequence[str] | None = None,
    ) -> None:
        """Record the encoding the dataset was read with."""
        object.__setattr__(self, "_read_implicit", is_implicit_vr)
        object.__setattr__(self, "_read_little", is_little_endian)
        if character_encoding is not None:
            if isinstance(character_encoding, str):
                character_encoding = [character_encoding]
            object.__setattr__(self, "_read_charset", list(character_encoding))

    @property
    def read_encoding(self) -> str | MutableSequence[str]:
        return self.original_character_set

    @property
    def read_implicit_vr(self) -> bool | None:
        return self._read_implicit

    @property
    def read_little_endian(self) -> bool | None:
        return self._read_little

    @property
    def is_implicit_VR(self) -> bool | None:
        """The VR encoding to write with (pydicom 2 style; prefer ``save_as`` arguments)."""
        return self.__dict__.get("_is_implicit_VR", self._read_implicit)

    @is_implicit_VR.setter
    def is_implicit_VR(self, value: bool | None) -> None:
        object.__setattr__(self, "_is_implicit_VR", value)

    @property
    def is_little_endian(self) -> bool | None:
        """The byte order to write with (pydicom 2 style)."""
        return self.__dict__.get("_is_little_endian", self._read_little)

    @is_little_endian.setter
    def is_little_endian(self, value: bool | None) -> None:
        object.__setattr__(self, "_is_little_endian", value)

    # -- file meta and writing -------------------------------------------------

    def ensure_file_meta(self) -> None:
        """Give the dataset an (empty) ``file_meta`` if it has none."""
        if getattr(self, "file_meta", None) is None:
            self.file_meta = FileMetaDataset()

    def save_as(
        self,
        filename: str | os.PathLike[str] | BinaryIO,
        /,
        __write_like_original: bool | None = None,
        *,
        implicit_vr: bool | None = None,
        little_endian: bool | None = None,
        enforce_file_format: bool = False,
        overwrite: bool = True,
        **kwargs: Any,
    ) -> None:
        """Write the dataset to ``filename``; see :func:`dicomcore.filewriter.dcmwrite`."""
        from dicomcore.filewriter import dcmwrite

        dcmwrite(
            filename,
            self,
            __write_like_original,
            implicit_vr=implicit_vr,
            little_endian=little_endian,
            enforce_file_format=enforce_file_format,
            overwrite=overwrite,
            **kwargs,
        )

    # -- pixel data (filled in by dicomcore.pixels) ----------------------------

    @property
    def pixel_array(self) -> numpy.ndarray:
        """The pixel data as an ndarray, as pydicom 3's ``Dataset.pixel_array``.

        Decoded once (with the options of :meth:`pixel_array_options`) and cached
        until Pixel Data or an Image Pixel element changes. A missing element is
        reported as a ValueError naming it: an AttributeError leaving a property
        would be replaced by ``__getattr__``'s "no attribute 'pixel_array'".
        """
        from dicomcore.pixels.decode import cached_pixel_array

        try:
            return cached_pixel_array(self)
        except AttributeError as exc:
            raise ValueError(str(exc)) from exc

    def pixel_array_options(
        self,
        *,
        index: int | None = None,
        raw: bool = False,
        decoding_plugin: str = "",
        use_pdh: bool = False,
        **kwargs: Any,
    ) -> None:
        """Set how :attr:`pixel_array` decodes (see ``dicomcore.pixels.pixel_array``)."""
        options = dict(kwargs, index=index, raw=raw, decoding_plugin=decoding_plugin)
        object.__setattr__(self, "_pixel_array_opts", options)
        object.__setattr__(self, "_pixel_array", None)
        object.__setattr__(self, "_pixel_id", {})

    def convert_pixel_data(self, handler_name: str = "") -> None:
        """Decode the pixel data into the :attr:`pixel_array` cache now."""
        from dicomcore.pixels.decode import cached_pixel_array

        cached_pixel_array(self, handler_name)

    def compress(
        self,
        transfer_syntax_uid: str,
        arr: numpy.ndarray | None = None,
        encoding_plugin: str = "",
        decoding_plugin: str = "",
        encapsulate_ext: bool = False,
        *,
        generate_instance_uid: bool = True,
        jls_error: int | None = None,
        j2k_cr: list[float] | None = None,
        j2k_psnr: list[float] | None = None,
        **kwargs: Any,
    ) -> None:
        """Compress the pixel data in place (``dicomcore.pixels.compress``)."""
        from dicomcore.pixels.encode import compress

        compress(
            self,
            transfer_syntax_uid,
            arr,
            encoding_plugin=encoding_plugin,
            decoding_plugin=decoding_plugin,
            encapsulate_ext=encapsulate_ext,
            generate_instance_uid=generate_instance_uid,
            jls_error=jls_error,
            j2k_cr=j2k_cr,
            j2k_psnr=j2k_psnr,
            **kwargs,
        )

    def decompress(
        self,
        handler_name: str = "",
        *,
        as_rgb: bool = True,
        generate_instance_uid: bool = True,
        decoding_plugin: str = "",
        **kwargs: Any,
    ) -> None:
        """Decompress the pixel data in place (``dicomcore.pixels.decompress``)."""
        from dicomcore.pixels.encode import decompress

        decompress(
            self,
            as_rgb=as_rgb,
            generate_instance_uid=generate_instance_uid,
            decoding_plugin=handler_name or decoding_plugin,
            **kwargs,
        )

    def set_pixel_data(
        self,
        arr: numpy.ndarray,
        photometric_interpretation: str,
        bits_stored: int,
        *,
        generate_instance_uid: bool = True,
    ) -> None:
        """Replace the pixel data with ``arr`` (``dicomcore.pixels.set_pixel_data``)."""
        from dicomcore.pixels.encode import set_pixel_data

        set_pixel_data(
            self,
            arr,
            photometric_interpretation,
            bits_stored,
            generate_instance_uid=generate_instance_uid,
        )

    def overlay_array(self, group: int) -> numpy.ndarray:
        """The overlay in repeating group ``group`` (0x6000 - 0x601E) as an ndarray."""
        from dicomcore.pixels.overlay import overlay_array

        return overlay_array(self, group)

    def waveform_array(self, index: int) -> numpy.ndarray:
        """Multiplex group ``index`` of the Waveform Sequence, scaled, as an ndarray."""
        from dicomcore.pixels.waveform import waveform_array

        return waveform_array(self, index)

    # -- JSON (PS3.18 Annex F) -------------------------------------------------

    @classmethod
    def from_json(
        cls,
        json_dataset: dict[str, Any] | str | bytes | bytearray,
        bulk_data_uri_handler: Callable[..., Any] | None = None,
    ) -> Dataset:
        """A dataset from DICOM JSON (PS3.18 Annex F)."""
        from dicomcore.jsonrep import dataset_from_json

        return dataset_from_json(cls, json_dataset, bulk_data_uri_handler)

    def to_json_dict(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], str] | None = None,
        suppress_invalid_tags: bool = False,
    ) -> dict[str, Any]:
        """The dataset as a DICOM JSON object (PS3.18 Annex F)."""
        from dicomcore.jsonrep import dataset_to_json_dict

        return dataset_to_json_dict(
            self, bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags
        )

    def to_json(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], str] | None = None,
        dump_handler: Callable[[dict[str, Any]], str] | None = None,
        suppress_invalid_tags: bool = False,
    ) -> str:
        """The dataset as a DICOM JSON string (PS3.18 Annex F)."""
        import json

        data = self.to_json_dict(bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags)
        if dump_handler is None:
            return json.dumps(data, sort_keys=True)
        return dump_handler(data)

    # -- comparison and display ------------------------------------------------

    def __eq__(self, other: Any) -> bool:
        if other is self:
            return True
        if isinstance(other, Dataset):
            mine = {tag: self[tag] for tag in self.keys()}
            theirs = {tag: other[tag] for tag in other.keys()}
            return mine == theirs
        return NotImplemented

    def __ne__(self, other: Any) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: Any) -> None:
        buffer = getattr(self, "buffer", None)
        close = getattr(buffer, "close", None)
        if close is not None:
            try:
                close()
            except BufferError:
                pass  # memoryviews into the map are still alive

    def formatted_lines(
        self,
        element_format: str = default_element_format,
        sequence_element_format: str = default_sequence_element_format,
        indent_format: str | None = None,
    ) -> Iterator[str]:
        """Yield one formatted line per element, descending into sequences."""
        exclusion = ("from_json", "to_json", "to_json_dict", "clear", "description", "validate")
        for elem in self.iterall():
            fields = {
                name: getattr(elem, name)
                for name in dir(elem)
                if not name.startswith("_") and name not in exclusion
            }
            if elem.VR == "SQ":
                yield sequence_element_format % fields
            else:
                yield element_format % fields

    def _pretty_str(self, indent: int = 0, top_level_only: bool = False) -> str:
        strings = []
        indent_str = self.indent_chars * indent
        next_indent = self.indent_chars * (indent + 1)
        file_meta = self.__dict__.get("file_meta")
        if file_meta and config.show_file_meta:
            strings.append(f"{'Dataset.file_meta ':-<49}")
            for elem in file_meta:
                strings.append(indent_str + repr(elem))
            strings.append(f"{'':-<49}")
        for elem in self:
            with tag_in_exception(elem.tag):
                if elem.VR == "SQ":
                    strings.append(
                        f"{indent_str}{elem.tag}  {elem.name}  {len(elem.value)} item(s) ---- "
                    )
                    if not top_level_only:
                        for item in elem.value:
                            strings.append(item._pretty_str(indent + 1))
                            strings.append(next_indent + "---------")
                else:
                    strings.append(indent_str + repr(elem))
        return "\n".join(strings)

    def __str__(self) -> str:
        return self._pretty_str()

    def __repr__(self) -> str:
        return self._pretty_str()

    def __array__(self, *args: Any, **kwargs: Any) -> numpy.ndarray:
        return self.pixel_array.__array__(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        self._realize()
        state = dict(self.__dict__)
        state.pop("buffer", None)
        state["_parent_ref"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class FileMetaDataset(Dataset):
    """The File Meta Information (group 0002, PS3.10 section 7.1).

    Only group 2 elements may be added; anything else raises ValueError.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and isinstance(args[0], Dataset):
            FileMetaDataset.validate(args[0]._dict)
        elif args and isinstance(args[0], dict):
            FileMetaDataset.validate(args[0])
        super().__init__(*args, **kwargs)

    @staticmethod
    def validate(init_value: dict[Any, Any] | Dataset) -> None:
        """Raise ValueError if any element of ``init_value`` is not in group 2."""
        tags = init_value.keys() if isinstance(init_value, Dataset) else init_value.keys()
        bad = [Tag(t) for t in tags if Tag(t).group != 2]
        if bad:
            raise ValueError(
                "File meta datasets may only contain group 2 elements but the following "
                f"elements are present: {', '.join(str(t) for t in bad)}"
            )

    def __setitem__(self, key: Any, value: DataElement | RawDataElement) -> None:
        tag = Tag(value.tag)
        if tag.group != 2:
            raise ValueError("Only group 2 data elements are allowed in a FileMetaDataset")
        super().__setitem__(key, value)


class FileDataset(Dataset):
    """A dataset read from (or to be written to) a file, as pydicom's ``FileDataset``.

    Parameters
    ----------
    filename_or_obj : str, path, file object or buffer
        Where the dataset came from.
    dataset : Dataset or dict
        The elements.
    preamble : bytes, optional
        The 128-byte preamble.
    file_meta : FileMetaDataset, optional
    is_implicit_VR, is_little_endian : bool
        The encoding the dataset was read with.
    """

    def __init__(
        self,
        filename_or_obj: Any,
        dataset: Dataset | dict[Any, Any],
        preamble: bytes | None = None,
        file_meta: FileMetaDataset | None = None,
        is_implicit_VR: bool = True,
        is_little_endian: bool = True,
    ) -> None:
        if isinstance(dataset, Dataset):
            # Share the (possibly still unscanned) state instead of copying elements.
            state = _fresh_state()
            for name in ("_dict", "_index", "_index_gone", "_read_charset", "_parent_ref"):
                state[name] = dataset.__dict__.get(name)
            self.__dict__.update(state)
        else:
            super().__init__(dataset)
        if isinstance(filename_or_obj, (str, os.PathLike)):
            filename: str | None = os.fspath(filename_or_obj)
            fileobj_type: Any = open
        else:
            filename = getattr(filename_or_obj, "name", None)
            fileobj_type = type(filename_or_obj)
        timestamp = None
        if filename and fileobj_type is open:
            try:
                timestamp = os.stat(filename).st_mtime
            except OSError:
                pass
        self.__dict__.update(
            preamble=preamble,
            file_meta=file_meta if file_meta is not None else FileMetaDataset(),
            _read_implicit=is_implicit_VR,
            _read_little=is_little_endian,
            fileobj_type=fileobj_type,
            filename=filename,
            timestamp=timestamp,
        )


def read_sequence(source: SequenceSource, encodings: list[str] | None) -> Sequence:
    """Decode the items of a sequence read from a file (PS3.5 section 7.5).

    A sequence whose value reaches the end of the data may have been cut
    short: its items are then read tolerantly, keeping what is there, with a
    warning naming where the data ends.
    """
    items, cut = read_items(source, encodings, Dataset, _FRESH_STATE)
    if cut:
        from dicomcore.filereader import warn_about_truncation
    for header, index in cut:
        if header is not None:
            warnings.warn(
                f"The data ends inside the item at offset {header}; the partial item is kept",
                UserWarning,
                stacklevel=4,
            )
        warn_about_truncation(index)
    return Sequence._from_items(items, False)


def _fresh_state() -> dict[str, Any]:
    """The instance attributes of an empty dataset."""
    state = dict(_FRESH_STATE)
    state["_dict"] = {}
    return state


_FRESH_STATE: dict[str, Any] = {
    "_dict": {},
    "_index": None,
    "_index_gone": None,
    "_parent_ref": None,
    "_charset": None,
    "_read_implicit": None,
    "_read_little": None,
    "_read_charset": None,
    "_pixel_array": None,
    "_pixel_id": None,
    "is_undefined_length_sequence_item": False,
}


def _copy_element(elem: DataElement | RawDataElement, memo: dict[int, Any]) -> Any:
    if isinstance(elem, RawDataElement):
        return elem
    return copy.deepcopy(elem, memo)


def _looks_like_keyword(name: str) -> bool:
    """Whether ``name`` looks like a mistyped element keyword (CamelCase, letters only)."""
    return name.isalnum() and any(c.islower() for c in name)


_AMBIGUOUS_VRS = frozenset({"US or SS", "OB or OW", "US or SS or OW", "US or OW"})


configure(DataElement, SequenceSource, convert_value, Dataset._resolve_vr, dictionary_VR, BaseTag)
# Keyword attributes (``ds.Rows``) are answered by DatasetCore.__getattribute__.
configure_dataset(_KEYWORD_TAGS)


# -- File Meta Information (PS3.10 section 7.1) ----------------------------------

_REQUIRED_META = {
    0x00020002: "(0002,0002) Media Storage SOP Class UID",
    0x00020003: "(0002,0003) Media Storage SOP Instance UID",
    0x00020010: "(0002,0010) Transfer Syntax UID",
}


def validate_file_meta(file_meta: FileMetaDataset, enforce_standard: bool = True) -> None:
    """Check the File Meta Information, adding what dicomcore can (PS3.10 section 7.1).

    Raises
    ------
    ValueError
        If a non-group-2 element is present, or (with ``enforce_standard``) a
        Type 1 element is missing or empty.
    """
    from dicomcore.uid import (
        DICOMCORE_IMPLEMENTATION_UID,
        DICOMCORE_IMPLEMENTATION_VERSION_NAME,
    )

    for tag in file_meta.keys():
        if tag >> 16 != 2:
            raise ValueError(
                "Only File Meta Information group (0002,eeee) elements may be present in "
                "'file_meta'."
            )
    if not enforce_standard:
        return

    def is_missing(tag: int) -> bool:
        return tag not in file_meta or file_meta[tag].is_empty

    if is_missing(0x00020001):
        file_meta.FileMetaInformationVersion = b"\x00\x01"
    if is_missing(0x00020012):
        file_meta.ImplementationClassUID = DICOMCORE_IMPLEMENTATION_UID
    if 0x00020013 not in file_meta:
        file_meta.ImplementationVersionName = DICOMCORE_IMPLEMENTATION_VERSION_NAME
    missing = [name for tag, name in _REQUIRED_META.items() if is_missing(tag)]
    if missing:
        raise ValueError(
            "Required File Meta Information elements are either missing or have an empty "
            f"value: {', '.join(missing)}"
        )
