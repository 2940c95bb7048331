"""Exceptions raised by dicomcore."""

from __future__ import annotations


class InvalidDicomError(Exception):
    """Raised when data does not look like DICOM (no ``DICM`` prefix, no valid first element).

    The same name as pydicom's ``pydicom.errors.InvalidDicomError`` so that
    ``except InvalidDicomError`` code keeps working.
    """


class BytesLengthException(Exception):
    """Raised when a byte string's length is not a multiple of the VR's unit size."""


class DicomParseError(InvalidDicomError):
    """Raised when the structure of a DICOM stream cannot be right.

    Carries the tag and the byte offset at which parsing failed so that the
    message always says what and where.
    """

    def __init__(self, message: str, tag: int | None = None, offset: int | None = None):
        self.tag = tag
        self.offset = offset
        where = []
        if tag is not None:
            where.append(f"tag ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if offset is not None:
            where.append(f"offset {offset}")
        if where:
            message = f"{message} (at {', '.join(where)})"
        super().__init__(message)
