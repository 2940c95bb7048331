"""What a dataset says about its pixels: the Image Pixel module values, checked.

:class:`PixelLayout` gathers the (0028,xxxx) values, the pixel data keyword and the
transfer syntax once, checks them, and answers the questions every decoder and
encoder asks (frame size in bits, the output dtype and shape). Errors name the
element at fault by tag and keyword.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicomcore.datadict import dictionary_description
from dicomcore.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian

if TYPE_CHECKING:
    from dicomcore.dataelem import DataElement
    from dicomcore.dataset import Dataset

__all__ = ["IMAGE_PIXEL_KEYWORDS", "PIXEL_KEYWORDS", "PixelLayout", "pixel_element"]

#: The pixel data elements, by tag (PS3.3 C.7.6.3 and C.7.6.24).
PIXEL_KEYWORDS: dict[int, str] = {
    0x7FE00010: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}

#: Image Pixel module elements (PS3.3 C.7.6.3) as (tag, keyword, option name).
IMAGE_PIXEL_KEYWORDS: tuple[tuple[int, str, str], ...] = (
    (0x00280002, "SamplesPerPixel", "samples_per_pixel"),
    (0x00280004, "PhotometricInterpretation", "photometric_interpretation"),
    (0x00280006, "PlanarConfiguration", "planar_configuration"),
    (0x00280008, "NumberOfFrames", "number_of_frames"),
    (0x00280010, "Rows", "rows"),
    (0x00280011, "Columns", "columns"),
    (0x00280100, "BitsAllocated", "bits_allocated"),
    (0x00280101, "BitsStored", "bits_stored"),
    (0x00280103, "PixelRepresentation", "pixel_representation"),
)
_TAG_OF_OPTION = {option: (tag, keyword) for tag, keyword, option in IMAGE_PIXEL_KEYWORDS}
#: The option names (``rows``, ``bits_stored``, ...) that override a dataset's Image Pixel values.
IMAGE_PIXEL_OPTIONS = frozenset(_TAG_OF_OPTION)
_PHOTOMETRIC = frozenset(
    {
        "MONOCHROME1",
        "MONOCHROME2",
        "PALETTE COLOR",
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_PARTIAL_422",
        "YBR_PARTIAL_420",
        "YBR_ICT",
        "YBR_RCT",
        "HSV",
        "ARGB",
        "CMYK",
        "XYB",
    }
)


def _name(option: str) -> str:
    tag, _ = _TAG_OF_OPTION[option]
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X}) '{dictionary_description(tag)}'"


def element(ds: Dataset, tag: int) -> DataElement | None:
    """The DataElement for ``tag`` in ``ds``, or None; never decodes the value."""
    lookup = getattr(ds, "_lookup", None)
    found = lookup(tag) if lookup is not None else ds.get(tag)
    if found is None:
        return None
    if getattr(found, "is_raw", False):
        found = ds[tag]
    return found


def pixel_element(ds: Dataset) -> tuple[str, DataElement]:
    """The dataset's one pixel data element and its keyword.

    Raises
    ------
    AttributeError
        If there is none, or more than one of Pixel Data, Float Pixel Data and
        Double Float Pixel Data (PS3.3 C.7.6.3: only one may be present).
    """
    found = [(kw, e) for tag, kw in PIXEL_KEYWORDS.items() if (e := element(ds, tag)) is not None]
    if not found:
        raise AttributeError(
            "The dataset has no (7FE0,0010) 'Pixel Data', (7FE0,0008) 'Float Pixel Data' "
            "or (7FE0,0009) 'Double Float Pixel Data' element, no pixel data to decode"
        )
    if len(found) > 1:
        raise AttributeError(
            "One and only one of 'Pixel Data', 'Float Pixel Data' or 'Double Float Pixel "
            f"Data' may be present in the dataset, it has {', '.join(kw for kw, _ in found)}"
        )
    return found[0]


def _as_int(value: Any, option: str) -> int | None:
    if type(value) is int:  # US values, the common case
        return value
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        if len(value) == 0:
            return None
        value = value[0]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{_name(option)} has the value {value!r}, not an integer") from None


@dataclass(frozen=True)
class PixelLayout:
    """The Image Pixel description of a dataset's pixel data (PS3.3 C.7.6.3).

    Attributes
    ----------
    rows, columns, samples_per_pixel, bits_allocated, bits_stored, pixel_representation
        (0028,0010), (0028,0011), (0028,0002), (0028,0100), (0028,0101) and (0028,0103).
    photometric_interpretation : str
        (0028,0004).
    planar_configuration : int
        (0028,0006); 0 when absent (only meaningful for more than one sample).
    number_of_frames : int
        (0028,0008); 1 when absent, empty or 0.
    pixel_keyword : str
        "PixelData", "FloatPixelData" or "DoubleFloatPixelData".
    transfer_syntax : UID
        How the pixel data is encoded.
    pixel_vr : str
        The pixel data element's VR (OB or OW matters for 8-bit big endian data).
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric_interpretation: str
    planar_configuration: int = 0
    number_of_frames: int = 1
    pixel_keyword: str = "PixelData"
    transfer_syntax: UID = ExplicitVRLittleEndian
    pixel_vr: str = "OW"

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_dataset(
        cls, ds: Dataset, *, transfer_syntax: str | None = None, **overrides: Any
    ) -> PixelLayout:
        """Read and check the Image Pixel values of ``ds``.

        Parameters
        ----------
        ds : Dataset
            The dataset with the pixel data and the Image Pixel module elements.
        transfer_syntax : str, optional
            Use this instead of the file meta's (0002,0010) Transfer Syntax UID.
        **overrides
            Values to use instead of the dataset's, by option name (``rows``,
            ``bits_stored``, ...).

        Raises
        ------
        AttributeError
            Naming every required element that is missing.
        ValueError
            For a value outside what PS3.3 C.7.6.3 and PS3.5 Section 8 allow.
        """
        return cls.with_pixel_element(ds, transfer_syntax=transfer_syntax, **overrides)[0]

    @classmethod
    def with_pixel_element(
        cls, ds: Dataset, *, transfer_syntax: str | None = None, **overrides: Any
    ) -> tuple[PixelLayout, DataElement]:
        """:meth:`from_dataset`, and the pixel data element it found on the way."""
        keyword, pixel = pixel_element(ds)
        uid = _transfer_syntax(ds, pixel, transfer_syntax)
        layout = cls.from_values(
            ds, keyword=keyword, transfer_syntax=uid, pixel_vr=pixel.VR, **overrides
        )
        return layout, pixel

    @classmethod
    def from_values(
        cls,
        ds: Dataset,
        *,
        keyword: str = "PixelData",
        transfer_syntax: str = ExplicitVRLittleEndian,
        pixel_vr: str = "OW",
        **overrides: Any,
    ) -> PixelLayout:
        """Read and check the Image Pixel values of ``ds``, which need no pixel data yet.

        Used when pixels come from an array (``compress(arr=...)``); raises as
        :meth:`from_dataset` does.
        """
        values: dict[str, Any] = {}
        for tag, _kw, option in IMAGE_PIXEL_KEYWORDS:
            if option in overrides:
                values[option] = overrides[option]
                continue
            elem = element(ds, tag)
            values[option] = None if elem is None else elem.value
        uid = transfer_syntax if isinstance(transfer_syntax, UID) else UID(str(transfer_syntax))
        return cls._checked(values, keyword, uid, pixel_vr)

    @classmethod
    def _checked(
        cls, values: dict[str, Any], keyword: str, uid: UID, vr: str
    ) -> PixelLayout:
        ints = {
            option: _as_int(values.get(option), option)
            for option in _TAG_OF_OPTION
            if option != "photometric_interpretation"
        }
        photometric = values.get("photometric_interpretation")
        if isinstance(photometric, str):
            photometric = photometric.strip()
        elif photometric is not None:
            # A multi-valued (or non-text) element: PS3.3 C.7.6.3 gives it one value.
            raise ValueError(
                f"{_name('photometric_interpretation')} must have one value, not "
                f"{photometric!r}"
            )
        is_float = keyword != "PixelData"
        if is_float:
            # PS3.3 C.7.6.24: float data has no Bits Stored or Pixel Representation.
            ints["bits_stored"] = ints["bits_allocated"]
            if ints["pixel_representation"] is None:
                ints["pixel_representation"] = 0
        required = [
            "samples_per_pixel",
            "photometric_interpretation",
            "rows",
            "columns",
            "bits_allocated",
            "bits_stored",
            "pixel_representation",
        ]
        missing = [
            _name(option)
            for option in required
            if (photometric if option == "photometric_interpretation" else ints[option])
            is None
        ]
        if missing:
            raise AttributeError(
                f"Missing required element{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)}"
            )
        rows, columns = ints["rows"], ints["columns"]
        samples = ints["samples_per_pixel"]
        allocated, stored = ints["bits_allocated"], ints["bits_stored"]
        representation = ints["pixel_representation"]
        for option, value in (("rows", rows), ("columns", columns)):
            if not 0 < value <= 0xFFFF:
                raise ValueError(
                    f"A {_name(option)} value of '{value}' is invalid, it must be in the "
                    "range (1, 65535)"
                )
        if allocated not in (1, 8, 16, 24, 32, 40, 48, 56, 64):
            raise ValueError(
                f"A {_name('bits_allocated')} value of '{allocated}' is invalid, it must be "
                "1 or a multiple of 8 and in the range (1, 64)"
            )
        if is_float and allocated != (32 if keyword == "FloatPixelData" else 64):
            raise ValueError(
                f"{keyword} needs {_name('bits_allocated')} of "
                f"{32 if keyword == 'FloatPixelData' else 64}, not {allocated} (PS3.3 C.7.6.24)"
            )
        if not 1 <= stored <= allocated:
            raise ValueError(
                f"A {_name('bits_stored')} value of '{stored}' is invalid, it must be in the "
                f"range (1, 64) and no greater than the {_name('bits_allocated')} value of "
                f"'{allocated}'"
            )
        if representation not in (0, 1):
            raise ValueError(
                f"A {_name('pixel_representation')} value of '{representation}' is invalid, "
                "it must be 0 or 1"
            )
        if not 1 <= samples <= 4:
            raise ValueError(
                f"A {_name('samples_per_pixel')} value of '{samples}' is invalid, it must be "
                "1 or 3 (PS3.3 C.7.6.3.1.1)"
            )
        if photometric not in _PHOTOMETRIC:
            raise ValueError(
                f"Unknown {_name('photometric_interpretation')} value '{photometric}'"
            )
        planar = ints["planar_configuration"]
        if planar is None:
            planar = 0
        if samples > 1 and planar not in (0, 1):
            raise ValueError(
                f"A {_name('planar_configuration')} value of '{planar}' is invalid, it must "
                "be 0 or 1"
            )
        frames = ints["number_of_frames"]
        if not frames:
            if frames == 0 or values.get("number_of_frames") not in (None, ""):
                warnings.warn(
                    f"A value of '{values.get('number_of_frames')}' for "
                    f"{_name('number_of_frames')} is invalid, assuming 1 frame",
                    UserWarning,
                    stacklevel=4,
                )
            frames = 1
        elif frames < 0:
            raise ValueError(f"A {_name('number_of_frames')} value of '{frames}' is invalid")
        return cls(
            rows=rows,
            columns=columns,
            samples_per_pixel=samples,
            bits_allocated=allocated,
            bits_stored=stored,
            pixel_representation=representation,
            photometric_interpretation=photometric,
            planar_configuration=planar if samples > 1 else 0,
            number_of_frames=frames,
            pixel_keyword=keyword,
            transfer_syntax=uid,
            pixel_vr=vr,
        )

    def with_values(self, **changes: Any) -> PixelLayout:
        """A copy with some values changed (e.g. after decoding to RGB); ``self`` if none do.

        Every decode calls this, so it copies the fields instead of going
        through ``dataclasses.replace`` (which runs ``__init__`` again).
        """
        unknown = changes.keys() - self.__dict__.keys()
        if unknown:
            raise TypeError(f"PixelLayout has no field {sorted(unknown)[0]!r}")
        if all(self.__dict__[name] == value for name, value in changes.items()):
            return self
        copy = object.__new__(PixelLayout)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    # -- derived values ------------------------------------------------------------------

    @property
    def is_float(self) -> bool:
        return self.pixel_keyword != "PixelData"

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the decoded samples (native byte order).

        Bits Allocated 1 gives uint8 (one pixel a byte); 24, 40, 48 and 56 bits are
        held in the next larger integer.
        """
        if self.pixel_keyword == "FloatPixelData":
            return np.dtype(np.float32)
        if self.pixel_keyword == "DoubleFloatPixelData":
            return np.dtype(np.float64)
        size = _container_bytes(self.bits_allocated)
        return np.dtype(f"{'i' if self.pixel_representation else 'u'}{size}")

    @property
    def itemsize(self) -> int:
        """Bytes per stored sample in native encoding (0 for bit-packed data)."""
        return self.bits_allocated // 8

    @property
    def pixels_per_frame(self) -> int:
        return self.rows * self.columns

    @property
    def samples_per_frame(self) -> int:
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def frame_bits(self) -> int:
        """Bits one native frame occupies (YBR_FULL_422 keeps 2 samples a pixel)."""
        bits = self.samples_per_frame * self.bits_allocated
        if self.photometric_interpretation == "YBR_FULL_422" and not self.is_encapsulated:
            bits = bits // 3 * 2
        return bits

    @property
    def frame_bytes(self) -> int:
        """Bytes one decoded frame of :attr:`dtype` occupies."""
        return self.samples_per_frame * self.dtype.itemsize

    @property
    def is_encapsulated(self) -> bool:
        return bool(self.transfer_syntax.is_encapsulated)

    @property
    def frame_shape(self) -> tuple[int, ...]:
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    def shape(self, frames: int | None = None) -> tuple[int, ...]:
        """The array shape for ``frames`` frames (default: all); no frame axis for one."""
        frames = self.number_of_frames if frames is None else frames
        if frames == 1:
            return self.frame_shape
        return (frames, *self.frame_shape)

    def expected_length(self) -> int:
        """Bytes of native pixel data for all frames, without the trailing padding byte."""
        return (self.frame_bits * self.number_of_frames + 7) // 8

    def image_pixel(self) -> dict[str, Any]:
        """The values as pydicom 3's option names (``as_pixel_options``)."""
        return {
            "samples_per_pixel": self.samples_per_pixel,
            "photometric_interpretation": self.photometric_interpretation,
            "planar_configuration": self.planar_configuration,
            "number_of_frames": self.number_of_frames,
            "rows": self.rows,
            "columns": self.columns,
            "bits_allocated": self.bits_allocated,
            "bits_stored": self.bits_stored,
            "pixel_representation": self.pixel_representation,
        }


def _container_bytes(bits_allocated: int) -> int:
    if bits_allocated <= 8:
        return 1
    if bits_allocated <= 16:
        return 2
    if bits_allocated <= 32:
        return 4
    return 8


def declared_transfer_syntax(ds: Dataset) -> UID | None:
    """The file meta's (0002,0010) Transfer Syntax UID, or None without one."""
    meta = ds.__dict__.get("file_meta")
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if isinstance(uid, UID):  # already stripped and checked
        return uid
    return UID(str(uid).strip()) if uid else None


def _transfer_syntax(ds: Dataset, pixel: DataElement, given: str | None) -> UID:
    """The transfer syntax of the pixel data.

    The file meta's (0002,0010) wins. A dataset without one (built in memory, or
    read without file meta) is taken as native data in the byte order it was read
    with; encapsulated data cannot be decoded without knowing its codec.
    """
    if given:
        return UID(given)
    declared = declared_transfer_syntax(ds)
    if declared is not None:
        return declared
    if pixel.is_undefined_length:
        raise AttributeError(
            "Unable to decode the pixel data as the dataset's 'file_meta' has no "
            "(0002,0010) 'Transfer Syntax UID' element and the pixel data is encapsulated"
        )
    if getattr(pixel, "_raw", None) is not None:
        little = bool(getattr(pixel, "_raw_little_endian", True))
    else:
        little = ds.__dict__.get("_read_little") is not False
    return ExplicitVRLittleEndian if little else ExplicitVRBigEndian
