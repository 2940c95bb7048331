"""Lists for multi-valued elements (value multiplicity > 1, PS3.5 section 6.4).

:class:`MultiValue` passes every item that enters the list through a
constructor (``DSfloat``, ``IS``, ``PersonName``, ...), so that the items of
an element always have the element's value type, as in pydicom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableSequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
Self = TypeVar("Self", bound="ConstrainedList[Any]")


class ConstrainedList(MutableSequence[T], Generic[T]):
    """A list whose items are checked or converted by :meth:`_validate`.

    Parameters
    ----------
    iterable : iterable, optional
        The initial items.
    """

    __slots__ = ("_list",)

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        self._list: list[T] = []
        if iterable is not None:
            self._list = [self._validate(item) for item in iterable]

    def _validate(self, item: Any) -> T:
        raise NotImplementedError(f"'{type(self).__name__}._validate()' must be implemented")

    def append(self, item: Any) -> None:
        """Add one item at the end."""
        self._list.append(self._validate(item))

    def extend(self, val: Iterable[Any]) -> None:
        """Add every item of `val` at the end."""
        if not hasattr(val, "__iter__"):
            raise TypeError("An iterable is required")
        self._list.extend([self._validate(item) for item in val])

    def insert(self, position: int, item: Any) -> None:
        """Insert `item` before `position`."""
        self._list.insert(position, self._validate(item))

    def __iadd__(self: Self, other: Iterable[Any]) -> Self:
        if not hasattr(other, "__iter__"):
            raise TypeError("An iterable is required")
        self._list += [self._validate(item) for item in other]
        return self

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | MutableSequence[T]:
        return self._list[index]

    @overload
    def __setitem__(self, index: int, val: Any) -> None: ...

    @overload
    def __setitem__(self, index: slice, val: Iterable[Any]) -> None: ...

    def __setitem__(self, index: int | slice, val: Any) -> None:
        if isinstance(index, slice):
            self._list[index] = [self._validate(item) for item in val]
        else:
            self._list[index] = self._validate(val)

    def __delitem__(self, index: int | slice) -> None:
        del self._list[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: Any) -> Any:
        return self._list == other

    def __ne__(self, other: Any) -> Any:
        return self._list != other

    # A mutable list must not be hashable, as list is not.
    __hash__ = None  # type: ignore[assignment]


class MultiValue(ConstrainedList[T]):
    """The values of a multi-valued element, each made by `type_constructor`.

    Parameters
    ----------
    type_constructor : callable
        Called with each item that enters the list (here and on later
        ``append``, ``insert``, item assignment ...); must accept an item
        that already has its type. For DS and IS a blank string may stay a
        string.
    iterable : iterable
        The initial items.

    Examples
    --------
    >>> MultiValue(int, ["1", "2"])
    [1, 2]
    """

    __slots__ = ("_constructor",)

    def __init__(self, type_constructor: Callable[[Any], T], iterable: Iterable[Any]) -> None:
        self._constructor = type_constructor
        super().__init__(iterable)

    @classmethod
    def _from_converted(cls, type_constructor: Callable[[Any], T], items: list[T]) -> MultiValue[T]:
        """A MultiValue over `items`, which already have their type (no conversion)."""
        multi = cls.__new__(cls)
        multi._constructor = type_constructor
        multi._list = items
        return multi

    def _validate(self, item: Any) -> T:
        return self._constructor(item)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """Sort in place, as :meth:`list.sort`."""
        self._list.sort(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        return {"_constructor": self._constructor, "_list": self._list}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._constructor = state["_constructor"]
        self._list = state["_list"]

    def __str__(self) -> str:
        if not self._list:
            return ""
        shown = (repr(x) if isinstance(x, str | bytes) else str(x) for x in self._list)
        return f"[{', '.join(shown)}]"

    __repr__ = __str__
