"""dicomcore.multival against pydicom.multival."""

from __future__ import annotations

import copy
import pickle

import pydicom.multival
import pydicom.valuerep
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.multival import ConstrainedList, MultiValue
from dicomcore.valuerep import IS, DSfloat, PersonName


def test_items_go_through_the_constructor() -> None:
    values = MultiValue(int, ["1", "2", 3.0])
    assert values == [1, 2, 3]
    assert all(type(v) is int for v in values)
    values.append("4")
    values.insert(0, "0")
    values[1] = "10"
    values.extend(["5"])
    values += ["6"]
    values[0:2] = ["7", "8"]
    assert values == [7, 8, 2, 3, 4, 5, 6]
    assert all(type(v) is int for v in values)


def test_constructor_errors_propagate() -> None:
    with pytest.raises(ValueError):
        MultiValue(int, ["1", "x"])
    values = MultiValue(int, [1])
    with pytest.raises(ValueError):
        values.append("x")
    assert values == [1]


def test_equality_and_str_match_pydicom() -> None:
    for constructor, items in [
        (str, ["ORIGINAL", "PRIMARY"]),
        (DSfloat, ["1.50", "-2"]),
        (IS, ["007", "8"]),
        (PersonName, ["Doe^John", "Roe^Jane"]),
        (int, []),
        (bytes, [b"a", b"b"]),
    ]:
        ours = MultiValue(constructor, items)
        theirs_constructor = {
            DSfloat: pydicom.valuerep.DSfloat,
            IS: pydicom.valuerep.IS,
            PersonName: pydicom.valuerep.PersonName,
        }.get(constructor, constructor)
        theirs = pydicom.multival.MultiValue(theirs_constructor, items)
        assert str(ours) == str(theirs)
        assert repr(ours) == repr(theirs)
        assert len(ours) == len(theirs)
        assert ours == list(ours) and not ours != list(ours)


def test_str_of_empty_is_empty() -> None:
    assert str(MultiValue(str, [])) == "" == repr(MultiValue(str, []))


def test_not_hashable_like_list() -> None:
    with pytest.raises(TypeError):
        hash(MultiValue(int, [1]))


def test_comparisons_with_other_sequences() -> None:
    values = MultiValue(int, [1, 2])
    assert values == [1, 2]
    assert [1, 2] == values
    assert values == MultiValue(int, [1, 2])
    assert values != [2, 1]
    assert values != (1, 2)  # as with list == tuple


def test_sort_slices_and_deletion() -> None:
    values = MultiValue(int, [3, 1, 2])
    values.sort()
    assert values == [1, 2, 3]
    values.sort(reverse=True)
    assert values == [3, 2, 1]
    assert values[1:] == [2, 1]
    del values[0]
    assert values == [2, 1]
    assert values.pop() == 1
    assert values.index(2) == 0 and values.count(2) == 1
    values.reverse()
    values.remove(2)
    assert values == [] and not values


def test_non_iterables_are_refused() -> None:
    values = MultiValue(int, [])
    with pytest.raises(TypeError, match="iterable"):
        values.extend(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable"):
        values += 5  # type: ignore[operator]


def test_constrained_list_needs_validate() -> None:
    with pytest.raises(NotImplementedError, match="_validate"):
        ConstrainedList([1])

    class Positive(ConstrainedList[int]):
        def _validate(self, item: int) -> int:
            if item <= 0:
                raise ValueError("not positive")
            return item

    numbers = Positive([1, 2])
    with pytest.raises(ValueError):
        numbers.append(0)
    assert numbers == [1, 2]


def test_pickle_and_copy() -> None:
    values = MultiValue(DSfloat, ["1.50", "2"])
    for clone in (pickle.loads(pickle.dumps(values)), copy.deepcopy(values), copy.copy(values)):
        assert clone == values and type(clone) is MultiValue
        assert [str(v) for v in clone] == ["1.50", "2"]
        clone.append("3")  # the constructor came along
        assert type(clone[-1]) is DSfloat


def test_from_converted_keeps_items_as_they_are() -> None:
    items = [DSfloat("1.50")]
    values = MultiValue._from_converted(DSfloat, items)
    assert values[0] is items[0]
    values.append("2.0")
    assert type(values[-1]) is DSfloat


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(-5, 5)),
        st.tuples(st.just("insert"), st.integers(-3, 3), st.integers(-5, 5)),
        st.tuples(st.just("setitem"), st.integers(-3, 3), st.integers(-5, 5)),
        st.tuples(st.just("setslice"), st.integers(-3, 3), st.lists(st.integers(-5, 5), max_size=3)),
        st.tuples(st.just("delitem"), st.integers(-3, 3)),
        st.tuples(st.just("extend"), st.lists(st.integers(-5, 5), max_size=3)),
        st.tuples(st.just("iadd"), st.lists(st.integers(-5, 5), max_size=3)),
        st.tuples(st.just("sort")),
    ),
    max_size=20,
)


def apply(values, operation) -> str:
    name, *args = operation
    try:
        if name == "append":
            values.append(str(args[0]))
        elif name == "insert":
            values.insert(args[0], str(args[1]))
        elif name == "setitem":
            values[args[0]] = str(args[1])
        elif name == "setslice":
            values[args[0] :] = [str(a) for a in args[1]]
        elif name == "delitem":
            del values[args[0]]
        elif name == "extend":
            values.extend(str(a) for a in args[0])
        elif name == "iadd":
            values += [str(a) for a in args[0]]
        elif name == "sort":
            values.sort()
    except IndexError:
        return "IndexError"
    return "ok"


@settings(max_examples=200, deadline=None)
@given(initial=st.lists(st.integers(-5, 5), max_size=5), operations=OPERATIONS)
def test_behaves_like_pydicom_multivalue(initial, operations) -> None:
    ours = MultiValue(int, [str(i) for i in initial])
    theirs = pydicom.multival.MultiValue(int, [str(i) for i in initial])
    for operation in operations:
        assert apply(ours, operation) == apply(theirs, operation)
        assert list(ours) == list(theirs)
        assert str(ours) == str(theirs)
