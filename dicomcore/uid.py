"""DICOM unique identifiers (PS3.5 Chapter 9) and the UID registry (PS3.6 Annex A).

:class:`UID` is a :class:`str` that knows its registry entry and, for a
transfer syntax, how a dataset in it is encoded (PS3.5 Section 10 and Annex A).
Every registry keyword is available as a module attribute
(``dicomcore.uid.CTImageStorage``), as in ``pydicom.uid``; the transfer
syntaxes are defined up front, the rest are built on first access.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from dicomcore import config
from dicomcore._uid_dict import DICOM_STANDARD_EDITION, UID_dictionary

__all__ = [
    "AllTransferSyntaxes",
    "DICOMCORE_IMPLEMENTATION_UID",
    "DICOMCORE_IMPLEMENTATION_VERSION_NAME",
    "PYDICOM_IMPLEMENTATION_UID",
    "DICOM_STANDARD_EDITION",
    "JPEG2000TransferSyntaxes",
    "JPEGLSTransferSyntaxes",
    "JPEGTransferSyntaxes",
    "JPEGXLTransferSyntaxes",
    "MPEGTransferSyntaxes",
    "PrivateTransferSyntaxes",
    "RE_VALID_UID",
    "RE_VALID_UID_PREFIX",
    "RLETransferSyntaxes",
    "UID",
    "UID_dictionary",
    "UncompressedTransferSyntaxes",
    "generate_uid",
    "register_transfer_syntax",
]

# PS3.5 Section 9.1: dot-separated numeric components without leading zeros, 64 chars max.
RE_VALID_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
"""Pattern of a valid UID (PS3.5 Section 9.1); the 64-character limit is checked separately."""
RE_VALID_UID_PREFIX = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*\.$")
"""Pattern of a valid UID prefix: a valid UID followed by a trailing ``"."``."""
_MAX_UID_LENGTH = 64
_MAX_PREFIX_LENGTH = 54  # leaves at least ten digits of randomness
_DICOM_ROOT = "1.2.840.10008."
_TRANSFER_SYNTAX = "Transfer Syntax"

# Encoding flags per standard transfer syntax:
# (implicit VR, little endian, deflated dataset, encapsulated pixel data, compressed pixel data).
_EncodingFlags = tuple[bool, bool, bool, bool, bool]
# PS3.5 Annex A.4: every other standard transfer syntax encodes the dataset as
# Explicit VR Little Endian with encapsulated, compressed pixel data.
_ENCAPSULATED_DEFAULT: _EncodingFlags = (False, True, False, True, True)
_ENCODING_EXCEPTIONS: dict[str, _EncodingFlags] = {
    "1.2.840.10008.1.2": (True, True, False, False, False),  # A.1 Implicit VR LE
    "1.2.840.10008.1.2.1": (False, True, False, False, False),  # A.2 Explicit VR LE
    # A.4.11: encapsulated frames that are not compressed.
    "1.2.840.10008.1.2.1.98": (False, True, False, True, False),
    "1.2.840.10008.1.2.1.99": (False, True, True, False, False),  # A.5 Deflated Explicit VR LE
    "1.2.840.10008.1.2.2": (False, False, False, False, False),  # A.3 Explicit VR BE (retired)
    # A.7 JPIP Referenced Deflate and its HTJ2K variant deflate the dataset too.
    "1.2.840.10008.1.2.4.95": (False, True, True, True, True),
    "1.2.840.10008.1.2.4.205": (False, True, True, True, True),
    # Retired Papyrus 3 Implicit VR Little Endian: an implicit VR dataset.
    "1.2.840.10008.1.20": (True, True, False, False, False),
}
_STANDARD_ENCODINGS: dict[str, _EncodingFlags] = {
    uid: _ENCODING_EXCEPTIONS.get(uid, _ENCAPSULATED_DEFAULT)
    for uid, entry in UID_dictionary.items()
    if entry[1] == _TRANSFER_SYNTAX
}
# (implicit VR, little endian) of private transfer syntaxes given to
# register_transfer_syntax(), so that a UID read later from a file knows them too.
_registered_private_encodings: dict[str, tuple[bool, bool]] = {}

_STRIPPED = " \t\r\n\f\v\x00"  # surrounding spaces and the UI padding byte (PS3.5 6.2)


def _check_valid(value: str, validation_mode: int | None) -> None:
    if validation_mode is None:
        validation_mode = config.settings.reading_validation_mode
    if validation_mode == config.IGNORE or not value or value in UID_dictionary:
        return
    problems = []
    if len(value) > _MAX_UID_LENGTH:
        problems.append(
            f"The value length ({len(value)}) exceeds the maximum length of 64 allowed for VR UI."
        )
    if not RE_VALID_UID.fullmatch(value):
        problems.append(f"Invalid value for VR UI: {value!r}.")
    if not problems:
        return
    message = " ".join(problems) + " See PS3.5 Section 9.1 for the UID encoding rules."
    if validation_mode == config.RAISE:
        raise ValueError(message)
    warnings.warn(message, UserWarning, stacklevel=3)


class UID(str):
    """A UID string with its registry entry and transfer syntax properties.

    Leading and trailing spaces and NUL padding are removed. The value is
    checked against PS3.5 Section 9.1 according to `validation_mode`
    (``config.settings.reading_validation_mode`` by default: warn).

    Parameters
    ----------
    val : str
        The UID.
    validation_mode : int, optional
        ``config.IGNORE``, ``config.WARN`` or ``config.RAISE``.

    Raises
    ------
    TypeError
        If `val` is not a string.
    ValueError
        If `val` is not a valid UID and the validation mode is RAISE.

    Examples
    --------
    >>> uid = UID("1.2.840.10008.1.2.4.50")
    >>> uid.name
    'JPEG Baseline (Process 1)'
    >>> uid.is_little_endian, uid.is_implicit_VR, uid.is_compressed
    (True, False, True)
    """

    _PRIVATE_TS_ENCODING: tuple[bool, bool]

    def __new__(cls, val: str, validation_mode: int | None = None) -> UID:
        if not isinstance(val, str):
            raise TypeError("A UID must be created from a string")
        uid = super().__new__(cls, val.strip(_STRIPPED))
        _check_valid(uid, validation_mode)
        if type(val) is not str:
            encoding = getattr(val, "_PRIVATE_TS_ENCODING", None)
            if encoding is not None:
                uid._PRIVATE_TS_ENCODING = encoding
        return uid

    def _encoding(self) -> _EncodingFlags:
        flags = _STANDARD_ENCODINGS.get(self)
        if flags is not None:
            return flags
        if self.is_private:
            private = self.__dict__.get("_PRIVATE_TS_ENCODING") or (
                _registered_private_encodings.get(self)
            )
            if private is not None:
                # Nothing says how a private syntax stores pixel data; like
                # pydicom, treat it as encapsulated/compressed.
                return (bool(private[0]), bool(private[1]), False, True, True)
        raise ValueError("UID is not a transfer syntax.")

    @property
    def is_transfer_syntax(self) -> bool:
        """True for a standard transfer syntax or a private one with a known encoding."""
        if self in _STANDARD_ENCODINGS:
            return True
        if not self.is_private:
            return False
        return "_PRIVATE_TS_ENCODING" in self.__dict__ or self in _registered_private_encodings

    @property
    def is_implicit_VR(self) -> bool:
        """True if datasets in this transfer syntax use implicit VR (PS3.5 Section 7.1.3).

        Raises
        ------
        ValueError
            If the UID is not a transfer syntax.
        """
        return self._encoding()[0]

    @property
    def is_little_endian(self) -> bool:
        """True if datasets in this transfer syntax are little endian (PS3.5 Section 7.3).

        Raises
        ------
        ValueError
            If the UID is not a transfer syntax.
        """
        return self._encoding()[1]

    @property
    def is_deflated(self) -> bool:
        """True if the whole dataset is deflated (PS3.5 Annex A.5 and A.7).

        Raises
        ------
        ValueError
            If the UID is not a transfer syntax.
        """
        return self._encoding()[2]

    @property
    def is_encapsulated(self) -> bool:
        """True if Pixel Data is encapsulated in fragments (PS3.5 Annex A.4).

        Raises
        ------
        ValueError
            If the UID is not a transfer syntax.
        """
        return self._encoding()[3]

    @property
    def is_compressed(self) -> bool:
        """True if Pixel Data is compressed.

        Differs from :attr:`is_encapsulated` only for Encapsulated Uncompressed
        Explicit VR Little Endian (PS3.5 Annex A.4.11), whose frames are
        encapsulated but not compressed.

        Raises
        ------
        ValueError
            If the UID is not a transfer syntax.
        """
        return self._encoding()[4]

    @property
    def is_private(self) -> bool:
        """True unless the UID is under the DICOM root ``1.2.840.10008.``."""
        return not self.startswith(_DICOM_ROOT)

    @property
    def is_valid(self) -> bool:
        """True if the UID follows PS3.5 Section 9.1 (digits and dots, at most 64 chars)."""
        return len(self) <= _MAX_UID_LENGTH and RE_VALID_UID.fullmatch(self) is not None

    @property
    def is_retired(self) -> bool:
        """True if PS3.6 Annex A marks the UID as retired."""
        entry = UID_dictionary.get(self)
        return entry is not None and bool(entry[3])

    @property
    def name(self) -> str:
        """The registry name (PS3.6 Annex A), or the UID itself when unregistered."""
        entry = UID_dictionary.get(self)
        return str(self) if entry is None else entry[0]

    @property
    def type(self) -> str:
        """The registry type, e.g. ``"SOP Class"`` or ``"Transfer Syntax"``; ``""`` if unknown."""
        entry = UID_dictionary.get(self)
        return "" if entry is None else entry[1]

    @property
    def info(self) -> str:
        """Extra registry text, such as ``"Default Transfer Syntax for DICOM"``."""
        entry = UID_dictionary.get(self)
        return "" if entry is None else entry[2]

    @property
    def keyword(self) -> str:
        """The registry keyword, e.g. ``"CTImageStorage"``; ``""`` if unknown."""
        entry = UID_dictionary.get(self)
        return "" if entry is None else entry[4]

    def set_private_encoding(self, implicit_vr: bool, little_endian: bool) -> None:
        """Set the dataset encoding of a private transfer syntax UID.

        Parameters
        ----------
        implicit_vr : bool
            True for implicit VR, False for explicit VR.
        little_endian : bool
            True for little endian, False for big endian.
        """
        self._PRIVATE_TS_ENCODING = (implicit_vr, little_endian)


def _registry_uid(value: str) -> UID:
    return UID(value, validation_mode=config.IGNORE)


# Transfer syntaxes (PS3.6 Table A-1), under the registry keywords pydicom uses.
ImplicitVRLittleEndian = _registry_uid("1.2.840.10008.1.2")
ExplicitVRLittleEndian = _registry_uid("1.2.840.10008.1.2.1")
EncapsulatedUncompressedExplicitVRLittleEndian = _registry_uid("1.2.840.10008.1.2.1.98")
DeflatedExplicitVRLittleEndian = _registry_uid("1.2.840.10008.1.2.1.99")
ExplicitVRBigEndian = _registry_uid("1.2.840.10008.1.2.2")
JPEGBaseline8Bit = _registry_uid("1.2.840.10008.1.2.4.50")
JPEGExtended12Bit = _registry_uid("1.2.840.10008.1.2.4.51")
JPEGLossless = _registry_uid("1.2.840.10008.1.2.4.57")
JPEGLosslessSV1 = _registry_uid("1.2.840.10008.1.2.4.70")
JPEGLSLossless = _registry_uid("1.2.840.10008.1.2.4.80")
JPEGLSNearLossless = _registry_uid("1.2.840.10008.1.2.4.81")
JPEG2000Lossless = _registry_uid("1.2.840.10008.1.2.4.90")
JPEG2000 = _registry_uid("1.2.840.10008.1.2.4.91")
JPEG2000MCLossless = _registry_uid("1.2.840.10008.1.2.4.92")
JPEG2000MC = _registry_uid("1.2.840.10008.1.2.4.93")
JPIPReferenced = _registry_uid("1.2.840.10008.1.2.4.94")
JPIPReferencedDeflate = _registry_uid("1.2.840.10008.1.2.4.95")
MPEG2MPML = _registry_uid("1.2.840.10008.1.2.4.100")
MPEG2MPMLF = _registry_uid("1.2.840.10008.1.2.4.100.1")
MPEG2MPHL = _registry_uid("1.2.840.10008.1.2.4.101")
MPEG2MPHLF = _registry_uid("1.2.840.10008.1.2.4.101.1")
MPEG4HP41 = _registry_uid("1.2.840.10008.1.2.4.102")
MPEG4HP41F = _registry_uid("1.2.840.10008.1.2.4.102.1")
MPEG4HP41BD = _registry_uid("1.2.840.10008.1.2.4.103")
MPEG4HP41BDF = _registry_uid("1.2.840.10008.1.2.4.103.1")
MPEG4HP422D = _registry_uid("1.2.840.10008.1.2.4.104")
MPEG4HP422DF = _registry_uid("1.2.840.10008.1.2.4.104.1")
MPEG4HP423D = _registry_uid("1.2.840.10008.1.2.4.105")
MPEG4HP423DF = _registry_uid("1.2.840.10008.1.2.4.105.1")
MPEG4HP42STEREO = _registry_uid("1.2.840.10008.1.2.4.106")
MPEG4HP42STEREOF = _registry_uid("1.2.840.10008.1.2.4.106.1")
HEVCMP51 = _registry_uid("1.2.840.10008.1.2.4.107")
HEVCM10P51 = _registry_uid("1.2.840.10008.1.2.4.108")
JPEGXLLossless = _registry_uid("1.2.840.10008.1.2.4.110")
JPEGXLJPEGRecompression = _registry_uid("1.2.840.10008.1.2.4.111")
JPEGXL = _registry_uid("1.2.840.10008.1.2.4.112")
HTJ2KLossless = _registry_uid("1.2.840.10008.1.2.4.201")
HTJ2KLosslessRPCL = _registry_uid("1.2.840.10008.1.2.4.202")
HTJ2K = _registry_uid("1.2.840.10008.1.2.4.203")
JPIPHTJ2KReferenced = _registry_uid("1.2.840.10008.1.2.4.204")
JPIPHTJ2KReferencedDeflate = _registry_uid("1.2.840.10008.1.2.4.205")
RLELossless = _registry_uid("1.2.840.10008.1.2.5")
SMPTEST211020UncompressedProgressiveActiveVideo = _registry_uid("1.2.840.10008.1.2.7.1")
SMPTEST211020UncompressedInterlacedActiveVideo = _registry_uid("1.2.840.10008.1.2.7.2")
SMPTEST211030PCMDigitalAudio = _registry_uid("1.2.840.10008.1.2.7.3")
DeflatedImageFrameCompression = _registry_uid("1.2.840.10008.1.2.8.1")

AllTransferSyntaxes: list[UID] = [
    globals()[entry[4]] if entry[4] in globals() else _registry_uid(uid)
    for uid, entry in UID_dictionary.items()
    if entry[1] == _TRANSFER_SYNTAX and (not entry[3] or uid == ExplicitVRBigEndian)
]
"""Every transfer syntax that is not retired, plus Explicit VR Big Endian."""

UncompressedTransferSyntaxes: list[UID] = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
]
"""Native (not encapsulated) transfer syntaxes."""

JPEGTransferSyntaxes: list[UID] = [
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
]
"""JPEG (ISO/IEC 10918-1) transfer syntaxes."""

JPEGLSTransferSyntaxes: list[UID] = [JPEGLSLossless, JPEGLSNearLossless]
"""JPEG-LS (ISO/IEC 14495-1) transfer syntaxes."""

JPEG2000TransferSyntaxes: list[UID] = [
    JPEG2000Lossless,
    JPEG2000,
    JPEG2000MCLossless,
    JPEG2000MC,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    HTJ2K,
]
"""JPEG 2000 (ISO/IEC 15444-1 and -15 HTJ2K) transfer syntaxes."""

JPEGXLTransferSyntaxes: list[UID] = [JPEGXLLossless, JPEGXLJPEGRecompression, JPEGXL]
"""JPEG XL (ISO/IEC 18181-1) transfer syntaxes."""

MPEGTransferSyntaxes: list[UID] = [
    MPEG2MPML,
    MPEG2MPMLF,
    MPEG2MPHL,
    MPEG2MPHLF,
    MPEG4HP41,
    MPEG4HP41F,
    MPEG4HP41BD,
    MPEG4HP41BDF,
    MPEG4HP422D,
    MPEG4HP422DF,
    MPEG4HP423D,
    MPEG4HP423DF,
    MPEG4HP42STEREO,
    MPEG4HP42STEREOF,
    HEVCMP51,
    HEVCM10P51,
]
"""MPEG-2, MPEG-4 AVC/H.264 and HEVC/H.265 transfer syntaxes."""

RLETransferSyntaxes: list[UID] = [RLELossless]
"""RLE (PS3.5 Annex G) transfer syntaxes."""

PrivateTransferSyntaxes: list[UID] = []
"""Private transfer syntaxes added with :func:`register_transfer_syntax`."""

DICOMCORE_IMPLEMENTATION_UID = _registry_uid("2.25.21861426561788542886217875546203106518")
"""(0002,0012) Implementation Class UID written by dicomcore.

A UUID-derived UID (PS3.5 Annex B.2), generated once and fixed here.
"""
DICOMCORE_IMPLEMENTATION_VERSION_NAME = "DICOMCORE_010"
"""(0002,0013) Implementation Version Name written by dicomcore (SH, at most 16 chars)."""

PYDICOM_IMPLEMENTATION_UID = DICOMCORE_IMPLEMENTATION_UID
"""pydicom 3's name for the Implementation Class UID its writer stamps: here dicomcore's,
so code that sets ``ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID`` names the
library that actually wrote the file."""


def register_transfer_syntax(
    uid: str | UID,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
) -> UID:
    """Register a private transfer syntax so that files using it can be read.

    Parameters
    ----------
    uid : str or UID
        The transfer syntax UID; its encoding may already be set with
        :meth:`UID.set_private_encoding`.
    implicit_vr : bool, optional
        True for implicit VR, False for explicit VR. Required, with
        `little_endian`, unless `uid` already has an encoding.
    little_endian : bool, optional
        True for little endian, False for big endian.

    Returns
    -------
    UID
        The registered UID, also appended to :data:`PrivateTransferSyntaxes`.

    Raises
    ------
    ValueError
        If the encoding is neither given nor already set on `uid`.
    """
    uid = UID(uid)
    if (implicit_vr is None or little_endian is None) and not uid.is_transfer_syntax:
        raise ValueError(
            "The corresponding dataset encoding for 'uid' must be set using the "
            "'implicit_vr' and 'little_endian' arguments"
        )
    if implicit_vr is not None and little_endian is not None:
        uid.set_private_encoding(implicit_vr, little_endian)
    encoding = uid.__dict__.get("_PRIVATE_TS_ENCODING")
    if encoding is not None:
        _registered_private_encodings[str(uid)] = encoding
    if uid not in PrivateTransferSyntaxes:
        PrivateTransferSyntaxes.append(uid)
    return uid


def generate_uid(
    prefix: str | None = None,
    entropy_srcs: list[str] | None = None,
) -> UID:
    """Return a new UID (PS3.5 Chapter 9 and Annex B).

    dicomcore has no registered organisation root, so by default the UID is
    ``"2.25."`` followed by the integer value of a UUID (PS3.5 Annex B.2): a
    random (version 4) UUID, or, when `entropy_srcs` is given, a name-based
    (version 5) UUID of the joined sources, so that the same sources always
    give the same UID.

    With a `prefix` (your organisation's root, ending in ``"."``) the UID is
    filled to exactly 64 characters with random digits, or, when
    `entropy_srcs` is given, with the decimal SHA-512 of the joined sources
    cut to 64 characters (the same value pydicom gives).

    Parameters
    ----------
    prefix : str, optional
        UID root ending with ``"."``, at most 54 characters.
    entropy_srcs : list of str, optional
        Values that determine the UID, e.g. the original instance UID when
        de-identifying. They are joined without a separator.

    Returns
    -------
    UID

    Raises
    ------
    ValueError
        If `prefix` is longer than 54 characters or is not a valid UID
        prefix (PS3.5 Section 9.1).
    """
    # Imported here: hashlib, secrets and uuid cost milliseconds at import time.
    import hashlib
    import secrets
    import uuid

    if prefix is None:
        if entropy_srcs is None:
            value = uuid.uuid4().int
        else:
            value = uuid.uuid5(uuid.NAMESPACE_OID, "".join(entropy_srcs)).int
        return _registry_uid(f"2.25.{value}")

    if not isinstance(prefix, str):
        raise TypeError(f"The 'prefix' must be a str or None, not {type(prefix).__name__}")
    if len(prefix) > _MAX_PREFIX_LENGTH:
        raise ValueError(
            f"The 'prefix' should be no more than {_MAX_PREFIX_LENGTH} characters long"
        )
    if not RE_VALID_UID_PREFIX.fullmatch(prefix):
        raise ValueError(
            f"The 'prefix' {prefix!r} is not valid for use with a UID: it must be "
            "dot-separated numbers without leading zeros ending in '.', see PS3.5 "
            "Section 9.1"
        )
    digits = _MAX_UID_LENGTH - len(prefix)
    if entropy_srcs is None:
        # A first digit of 1-9 keeps the last component free of a leading zero.
        suffix = 10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1))
    else:
        suffix = int(hashlib.sha512("".join(entropy_srcs).encode("utf-8")).hexdigest(), 16)
    return _registry_uid(f"{prefix}{suffix}"[:_MAX_UID_LENGTH])


_uid_by_keyword: dict[str, str] | None = None


def __getattr__(name: str) -> Any:
    """Build ``dicomcore.uid.<Keyword>`` for every other registry keyword on first use."""
    global _uid_by_keyword
    if _uid_by_keyword is None:
        _uid_by_keyword = {entry[4]: uid for uid, entry in UID_dictionary.items() if entry[4]}
    value = _uid_by_keyword.get(name)
    if value is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    uid = _registry_uid(value)
    globals()[name] = uid
    return uid


def __dir__() -> list[str]:
    keywords = (entry[4] for entry in UID_dictionary.values() if entry[4])
    return sorted(set(globals()) | set(keywords))
