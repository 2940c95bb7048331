"""DICOM data element tags: the 32-bit (group, element) pair of PS3.5 Section 7.1.

A tag is stored as a plain :class:`int` subclass, ``group << 16 | element``,
so that dictionaries keyed by tags accept ints and tags interchangeably and
sorting tags is integer sorting (PS3.5 Section 7.1 orders elements by tag).
The names match ``pydicom.tag``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from operator import index as _as_index
from typing import Any, NoReturn, TypeAlias

__all__ = [
    "BaseTag",
    "ItemDelimiterTag",
    "ItemTag",
    "SequenceDelimiterTag",
    "TAG_CHARSET",
    "TAG_PIXREP",
    "Tag",
    "TagListType",
    "TagType",
    "TupleTag",
    "tag_in_exception",
]

_MAX_TAG = 0xFFFFFFFF
_MAX_HALF = 0xFFFF


@contextmanager
def tag_in_exception(tag: BaseTag | int) -> Iterator[None]:
    """Re-raise any exception from the block with the tag named in its message.

    The new exception has the same type, a message starting with
    ``"With tag (GGGG,EEEE) got exception: "`` and the original chained as
    its ``__cause__``. Exception types whose constructor cannot take a single
    message (``UnicodeDecodeError`` for one) are re-raised unchanged.

    Parameters
    ----------
    tag : BaseTag or int
        The tag of the element being processed inside the block.
    """
    try:
        yield
    except Exception as exc:
        raise_with_tag(exc, tag)


def raise_with_tag(exc: Exception, tag: BaseTag | int) -> NoReturn:
    """Raise ``exc`` again as :func:`tag_in_exception` would, naming ``tag``.

    For loops over many elements, where a ``try``/``except`` costs nothing
    until something fails and a context manager per element would.
    """
    message = f"With tag {BaseTag(tag)} got exception: {exc}"
    try:
        renamed = type(exc)(message)
    except Exception:
        renamed = None
    if renamed is None:
        raise exc
    raise renamed from exc


_keyword_dict: dict[str, int] | None = None


def _keyword_to_tag(keyword: str) -> int | None:
    # Bound on first use because datadict imports this module. datadict only
    # ever updates its keyword_dict in place, so holding the object is safe.
    global _keyword_dict
    if _keyword_dict is None:
        from dicomcore.datadict import keyword_dict

        _keyword_dict = keyword_dict
    return _keyword_dict.get(keyword)


# Characters int(text, 16) can accept. A string with any other character (every
# keyword but a few all-hex-letter ones) skips the costly failing int() call.
_could_be_hex = re.compile(r"[\s0-9a-fA-FxX_+-]*").fullmatch


def _tag_from_str(text: str) -> int:
    # Hexadecimal first, then keyword, as pydicom does for strings that are both.
    value = None
    if _could_be_hex(text):
        try:
            value = int(text, 16)
        except ValueError:
            pass
    if value is None:
        value = _keyword_to_tag(text)
        if value is None:
            raise ValueError(
                f"Unable to create an element tag from '{text}': "
                "unknown DICOM element keyword or an invalid int"
            )
        return value
    if value > _MAX_TAG:
        raise OverflowError(
            f"Unable to create an element tag from '{text}': the combined group and "
            "element values are limited to a maximum of 4-bytes"
        )
    return value


def _mixed_pair_error(pair: tuple | list) -> TypeError:
    return TypeError(
        f"Unable to create an element tag from '{pair}': both arguments must be "
        "the same type and str or int"
    )


def _tag_from_pair(pair: tuple | list) -> int:
    if len(pair) != 2:
        raise ValueError("Tag must be an int or a 2-tuple")
    group, element = pair
    if isinstance(group, str) and isinstance(element, str):
        try:
            group, element = int(group, 16), int(element, 16)
        except ValueError:
            raise ValueError(
                f"Unable to create an element tag from '{pair}': the group and element "
                "must be hexadecimal strings"
            ) from None
    elif isinstance(group, str) or isinstance(element, str):
        raise _mixed_pair_error(pair)
    else:
        try:  # ints, including numpy integers
            group, element = _as_index(group), _as_index(element)
        except TypeError:
            raise _mixed_pair_error(pair) from None
    if group > _MAX_HALF or element > _MAX_HALF:
        raise OverflowError(
            f"Unable to create an element tag from '{pair}': the group and element "
            "values are limited to a maximum of 2-bytes each"
        )
    if group < 0 or element < 0:
        raise ValueError(
            f"Unable to create an element tag from '{pair}': tags must be positive"
        )
    return group << 16 | element


def Tag(arg: TagType, arg2: int | None = None) -> BaseTag:
    """Return a :class:`BaseTag` built from any of the usual tag spellings.

    Accepted forms: ``Tag(0x00100010)``, ``Tag(0x0010, 0x0010)``,
    ``Tag((0x0010, 0x0010))``, ``Tag(("0010", "0010"))``, ``Tag("PatientName")``,
    ``Tag("0x00100010")`` or ``Tag("00100010")``, and another :class:`BaseTag`
    (returned as is). A tag is the 32-bit group/element pair of PS3.5 Section 7.1.

    Parameters
    ----------
    arg : int, str, tuple of two ints or two hex strings, or BaseTag
        The tag, the group number (when `arg2` is given), a keyword or a
        hexadecimal string.
    arg2 : int, optional
        The element number, when `arg` is the group number.

    Returns
    -------
    BaseTag

    Raises
    ------
    ValueError
        A negative value, a tuple that is not a pair, or a string that is
        neither hexadecimal nor a known keyword.
    OverflowError
        A value above 0xFFFFFFFF, or a group or element above 0xFFFF.
    TypeError
        An argument of any other type, or a pair of mixed types.
    """
    # Fast path: building a tag from a plain int is what the reader does.
    if arg2 is None and type(arg) is int:
        if 0 <= arg <= _MAX_TAG:
            return BaseTag(arg)
        value = arg
    elif isinstance(arg, BaseTag) and arg2 is None:
        return arg
    elif arg2 is not None:
        value = _tag_from_pair((arg, arg2))
    elif isinstance(arg, str):
        value = _tag_from_str(arg)
    elif isinstance(arg, tuple | list):
        value = _tag_from_pair(arg)
    else:
        try:
            value = _as_index(arg)  # numpy integers and other int-likes
        except TypeError:
            raise TypeError(
                f"Unable to create an element tag from {arg!r}: expected an int, str, "
                f"or a (group, element) pair, not {type(arg).__name__}"
            ) from None
    if value > _MAX_TAG:
        raise OverflowError(
            f"Unable to create an element tag from '{value}': the combined group and "
            "element values are limited to a maximum of 4-bytes"
        )
    if value < 0:
        raise ValueError(f"Unable to create an element tag from '{value}': tags must be positive")
    return BaseTag(value)


_int_eq = int.__eq__
_int_lt = int.__lt__
_int_le = int.__le__
_int_gt = int.__gt__
_int_ge = int.__ge__


def _coerce_other(other: Any) -> int | None:
    """Return `other` as a tag int for comparisons, or None when it cannot be one."""
    try:
        return int(Tag(other))
    except (TypeError, ValueError, OverflowError):
        return None


def _ordered(other: Any) -> Any:
    """Return a str/tuple/list `other` as a tag int for ordering; other types unchanged.

    Anything else (a float, say) is returned as is, so the int slot answers
    NotImplemented and Python tries the reflected comparison.
    """
    if isinstance(other, str | tuple | list):
        other_tag = _coerce_other(other)
        if other_tag is None:
            raise TypeError("Cannot compare Tag with non-Tag item")
        return other_tag
    return other


class BaseTag(int):
    """A DICOM tag ``(group, element)`` held as the int ``group << 16 | element``.

    Equality and ordering also accept the other spellings :func:`Tag`
    understands, so ``Tag(0x00100010) == "PatientName" == (0x10, 0x10)``.
    Hashing is the int hash, so a tag and its int find the same dict entry.
    See PS3.5 Section 7.1 for the tag layout.
    """

    __slots__ = ()

    # Comparisons try the int slot first: a dict holding int keys compares
    # them with this __eq__ on every look-up by tag, so the int case must be fast.
    def __eq__(self, other: Any) -> Any:
        result = _int_eq(self, other)
        if result is NotImplemented and isinstance(other, str | tuple | list):
            other_tag = _coerce_other(other)
            return other_tag is not None and _int_eq(self, other_tag)
        # Floats and other numbers fall through to their own comparison.
        return result

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = int.__hash__

    def __lt__(self, other: Any) -> Any:
        result = _int_lt(self, other)
        return result if result is not NotImplemented else _int_lt(self, _ordered(other))

    def __le__(self, other: Any) -> Any:
        result = _int_le(self, other)
        return result if result is not NotImplemented else _int_le(self, _ordered(other))

    def __gt__(self, other: Any) -> Any:
        result = _int_gt(self, other)
        return result if result is not NotImplemented else _int_gt(self, _ordered(other))

    def __ge__(self, other: Any) -> Any:
        result = _int_ge(self, other)
        return result if result is not NotImplemented else _int_ge(self, _ordered(other))

    def __str__(self) -> str:
        return f"({self >> 16:04X},{self & 0xFFFF:04X})"

    __repr__ = __str__

    @property
    def json_key(self) -> str:
        """The tag as the ``"GGGGEEEE"`` key of the DICOM JSON model (PS3.18 F.2.1.1)."""
        return f"{self >> 16:04X}{self & 0xFFFF:04X}"

    @property
    def group(self) -> int:
        """The group number (the high 16 bits)."""
        return self >> 16

    @property
    def element(self) -> int:
        """The element number (the low 16 bits)."""
        return self & 0xFFFF

    elem = element

    @property
    def is_private(self) -> bool:
        """True for an odd group number: a private data element (PS3.5 Section 7.8)."""
        return (self >> 16) & 1 == 1

    @property
    def is_private_creator(self) -> bool:
        """True for a private creator element, ``(gggg,0010)`` to ``(gggg,00FF)``, odd gggg.

        See PS3.5 Section 7.8.1.
        """
        return (self >> 16) & 1 == 1 and 0x0010 <= (self & 0xFFFF) <= 0x00FF

    @property
    def private_creator(self) -> BaseTag:
        """The private creator tag that reserves this private element's block.

        Element ``(gggg,xxEE)`` belongs to the block reserved by ``(gggg,00xx)``
        (PS3.5 Section 7.8.1). Meaningless for a non-private tag.
        """
        return BaseTag((self & 0xFFFF0000) | ((self & 0xFFFF) >> 8))


def TupleTag(group_elem: tuple[int, int]) -> BaseTag:
    """Return a :class:`BaseTag` from a ``(group, element)`` pair known to be valid.

    No range checks: for callers that already hold two 16-bit values.

    Parameters
    ----------
    group_elem : tuple of int
        The group and element numbers.

    Returns
    -------
    BaseTag
    """
    return BaseTag(group_elem[0] << 16 | group_elem[1])


TagType: TypeAlias = "int | str | tuple[int, int] | BaseTag"
TagListType: TypeAlias = "list[int] | list[str] | list[tuple[int, int]] | list[BaseTag]"

# The item and delimiter tags of PS3.5 Section 7.5.
ItemTag = BaseTag(0xFFFEE000)
ItemDelimiterTag = BaseTag(0xFFFEE00D)
SequenceDelimiterTag = BaseTag(0xFFFEE0DD)

TAG_PIXREP = BaseTag(0x00280103)
"""(0028,0103) Pixel Representation."""
TAG_CHARSET = BaseTag(0x00080005)
"""(0008,0005) Specific Character Set."""
