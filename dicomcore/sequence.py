"""Sequences of items: the value of an SQ element (PS3.5 section 7.5)."""

from __future__ import annotations

from collections.abc import Iterable, MutableSequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset


def _check_item(item: Any) -> Dataset:
    from dicomcore.dataset import Dataset

    if not isinstance(item, Dataset):
        raise TypeError(
            f"Sequence contents must be 'Dataset' instances, not '{type(item).__name__}'"
        )
    return item


class Sequence(MutableSequence["Dataset"]):
    """A list of :class:`~dicomcore.dataset.Dataset` items, as pydicom's ``Sequence``.

    Parameters
    ----------
    iterable : iterable of Dataset, optional
        The items. Anything that is not a Dataset raises TypeError.
    """

    def __init__(self, iterable: Iterable[Dataset] | None = None) -> None:
        if isinstance(iterable, (str, bytes)) or (
            iterable is not None and not isinstance(iterable, Iterable)
        ):
            raise TypeError("An iterable is required")
        self._list: list[Dataset] = [_check_item(i) for i in iterable] if iterable else []
        self.is_undefined_length = False

    @classmethod
    def _from_items(cls, items: list[Dataset], is_undefined_length: bool) -> Sequence:
        """A sequence of datasets already known to be Datasets (from the reader)."""
        seq = cls.__new__(cls)
        seq._list = items
        seq.is_undefined_length = is_undefined_length
        return seq

    @overload
    def __getitem__(self, index: int) -> Dataset: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[Dataset]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequence._from_items(self._list[index], self.is_undefined_length)
        return self._list[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            self._list[index] = [_check_item(v) for v in value]
        else:
            self._list[index] = _check_item(value)

    def __delitem__(self, index: int | slice) -> None:
        del self._list[index]

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def insert(self, index: int, value: Dataset) -> None:
        self._list.insert(index, _check_item(value))

    def append(self, value: Dataset) -> None:
        self._list.append(_check_item(value))

    def extend(self, values: Iterable[Dataset]) -> None:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError("An iterable is required")
        self._list.extend(_check_item(v) for v in values)

    def __iadd__(self, values: Iterable[Dataset]) -> Sequence:  # type: ignore[override]
        self.extend(values)
        return self

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Sequence):
            return self._list == other._list
        if isinstance(other, list):
            return self._list == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"[{''.join(str(item) for item in self._list)}]"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}, length {len(self)}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Sequence:
        import copy

        return Sequence._from_items(
            [copy.deepcopy(item, memo) for item in self._list], self.is_undefined_length
        )
