"""Comparing dicomcore's view of a file with pydicom 3's (pydicom is a test-only oracle)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pydicom
import pydicom.dataelem
import pydicom.errors

import dicomcore
from dicomcore.dataelem import DataElement


def pydicom_read(path: Path, **kwargs: Any) -> pydicom.Dataset | None:
    """pydicom's dataset for ``path``, or None if pydicom cannot read it without force."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path, **kwargs)
        except Exception:
            return None


def needs_force(path: Path) -> bool:
    return pydicom_read(path) is None and pydicom_read(path, force=True) is not None


def normalise(value: Any) -> Any:
    """A plain-Python form of a value that both libraries' types compare equal in."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (pydicom.Sequence, dicomcore.Sequence)):
        return [("item", normalise_dataset(item)) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return ("float", repr(float(value)), str(value))
    if isinstance(value, str) or type(value).__name__ == "PersonName":
        return str(value)
    if hasattr(value, "dtype"):
        return value.tolist()
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__"):
        return [normalise(v) for v in value]
    return str(value)


def _pydicom_elements(ds: pydicom.Dataset) -> dict[int, tuple[str, Any, bool]]:
    """tag -> (VR, normalised value, private-read-with-pydicom's-private-dictionary)."""
    out = {}
    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        private_raw = None
        if isinstance(raw, pydicom.dataelem.RawDataElement) and raw.tag.is_private:
            private_raw = raw.value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elem = ds[tag]
        out[int(tag)] = (elem.VR, normalise(elem.value), private_raw)
    return out


def normalise_dataset(ds: Any) -> dict[int, tuple[str, Any]]:
    if isinstance(ds, pydicom.Dataset):
        return {tag: (vr, value) for tag, (vr, value, _) in _pydicom_elements(ds).items()}
    out = {}
    for tag in ds.keys():
        elem = ds[tag]
        out[int(tag)] = (elem.VR, normalise(elem.value))
    return out


def differences(
    ours: dicomcore.Dataset, theirs: pydicom.Dataset, where: str = "", compare_vr: bool = True
) -> list[str]:
    """Every way ``ours`` differs from pydicom's ``theirs``; empty if they agree.

    The one allowed difference: a private element read in implicit VR, which
    pydicom types from its private dictionary (dicomcore ships none), is UN
    here; its bytes must then decode, under pydicom's VR, to pydicom's value.
    ``compare_vr=False`` compares values only (for data written in another
    encoding, where implicit VR turns OB pixel data into OW).
    """
    from dicomcore.values import convert_value

    problems = []
    their_elements = _pydicom_elements(theirs)
    our_tags = [int(t) for t in ours.keys()]
    if sorted(their_elements) != our_tags:
        missing = sorted(set(their_elements) - set(our_tags))
        extra = sorted(set(our_tags) - set(their_elements))
        problems.append(
            f"{where}tags differ: missing {[f'{t:08X}' for t in missing]}, "
            f"extra {[f'{t:08X}' for t in extra]}"
        )
    for tag in our_tags:
        if tag not in their_elements:
            continue
        their_vr, their_value, their_private_raw = their_elements[tag]
        elem: DataElement = ours[tag]
        label = f"{where}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        if elem.VR == "UN" and their_vr != "UN" and tag >> 16 & 1:
            if their_private_raw is not None:
                if bytes(elem.value or b"") != bytes(their_private_raw):
                    problems.append(f"{label} private UN bytes differ")
                continue
            if their_vr != "SQ":
                decoded = convert_value(their_vr, elem.value or b"", True, ours._character_set)
                if normalise(decoded) != their_value:
                    problems.append(f"{label} private UN bytes do not decode to pydicom's value")
                continue
        if elem.VR != their_vr and (compare_vr or "SQ" in (elem.VR, their_vr)):
            problems.append(f"{label} VR {elem.VR} != pydicom {their_vr}")
            continue
        if elem.VR == "SQ":
            their_items = theirs[tag].value
            if len(elem.value) != len(their_items):
                problems.append(f"{label} {len(elem.value)} items != pydicom {len(their_items)}")
                continue
            for i, (mine, other) in enumerate(zip(elem.value, their_items)):
                problems.extend(differences(mine, other, f"{label}[{i}]", compare_vr))
            continue
        our_value = normalise(elem.value)
        if our_value != their_value:
            problems.append(f"{label} {elem.VR} value {our_value!r:.120} != pydicom {their_value!r:.120}")
    return problems
