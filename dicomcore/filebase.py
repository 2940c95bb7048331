"""pydicom 3's ``filebase``: binary streams that know the encoding of what they hold.

``DicomBytesIO`` and ``DicomFileLike`` wrap a buffer and carry
``is_little_endian`` and ``is_implicit_VR``, which :func:`~dicomcore.filewriter.write_dataset`
and :func:`~dicomcore.filewriter.write_data_element` encode with, as code
written for pydicom (pynetdicom, for one) expects. dicomcore's own reader and
writer work on whole buffers and do not need them.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from dicomcore.tag import BaseTag

__all__ = ["DicomBytesIO", "DicomFileLike", "DicomIO"]


class DicomIO:
    """A binary stream with the byte order and VR encoding of its DICOM data.

    Parameters
    ----------
    buffer : binary file object
        What is read from or written to; it needs ``read`` or ``write``, and
        ``seek`` and ``tell``.
    """

    def __init__(self, buffer: Any) -> None:
        if not (hasattr(buffer, "read") or hasattr(buffer, "write")):
            raise TypeError("The buffer must have a 'read' or 'write' method")
        self.parent = buffer
        self._little_endian: bool | None = None
        self._implicit_vr: bool | None = None
        self._order = "<"

    @property
    def is_little_endian(self) -> bool | None:
        """The byte order of the binary values (and tags) read or written."""
        return self._little_endian

    @is_little_endian.setter
    def is_little_endian(self, value: bool) -> None:
        self._little_endian = value
        self._order = "<" if value else ">"

    @property
    def is_implicit_VR(self) -> bool | None:
        """Whether elements carry no VR (PS3.5 section 7.1.3)."""
        return self._implicit_vr

    @is_implicit_VR.setter
    def is_implicit_VR(self, value: bool) -> None:
        self._implicit_vr = value

    @property
    def name(self) -> str | None:
        return getattr(self.parent, "name", None)

    def read(self, size: int = -1) -> bytes:
        return self.parent.read(size)

    def read_exact(self, length: int) -> bytes:
        """Exactly ``length`` bytes; EOFError naming the offset if fewer are left."""
        start = self.tell()
        data = self.read(length)
        if len(data) != length:
            raise EOFError(
                f"Unexpected end of file: {length} bytes wanted at offset 0x{start:x}, "
                f"only {len(data)} left"
            )
        return data

    def read_US(self) -> int:
        return int(struct.unpack(self._order + "H", self.read_exact(2))[0])

    def read_UL(self) -> int:
        return int(struct.unpack(self._order + "L", self.read_exact(4))[0])

    def read_tag(self) -> BaseTag:
        group, element = struct.unpack(self._order + "HH", self.read_exact(4))
        return BaseTag((group << 16) | element)

    def write(self, data: Any) -> int:
        return self.parent.write(data)

    def write_US(self, value: int) -> None:
        self.write(struct.pack(self._order + "H", value))

    def write_UL(self, value: int) -> None:
        self.write(struct.pack(self._order + "L", value))

    def write_tag(self, tag: int) -> None:
        tag = int(tag)
        self.write(struct.pack(self._order + "HH", tag >> 16, tag & 0xFFFF))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.parent.seek(offset, whence)

    def tell(self) -> int:
        return self.parent.tell()

    def close(self) -> None:
        self.parent.close()

    def __enter__(self) -> DicomIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DicomFileLike(DicomIO):
    """:class:`DicomIO` over a file object."""


class DicomBytesIO(DicomIO):
    """:class:`DicomIO` over an in-memory :class:`io.BytesIO`."""

    def __init__(self, initial_bytes: bytes | bytearray | memoryview = b"") -> None:
        super().__init__(io.BytesIO(initial_bytes))

    def getvalue(self) -> bytes:
        return self.parent.getvalue()
