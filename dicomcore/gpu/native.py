"""Native (uncompressed) pixel data unpacked on the GPU (PS3.5 Section 8).

The frames' bytes cross to the device once, as stored (through pinned memory,
asynchronously), and ``codecs/cuda/native.cu`` unpacks them there: byte order,
Bits Allocated 1, 8, 16, 32 or 64, the bits above Bits Stored cleared or
sign-extended (PS3.5 8.1.1), planar configuration 1 to interleaved samples,
and YBR_FULL_422 to three samples per pixel. :func:`unpack_frames_reference`
is the NumPy definition the kernels are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dicomcore.gpu import transfer
from dicomcore.gpu.engine import get_engine

__all__ = ["NativeLayout", "unpack_frames", "unpack_frames_reference"]


@dataclass(frozen=True)
class NativeLayout:
    """How native frames are stored and what they unpack to.

    Attributes
    ----------
    rows, columns, samples_per_pixel, bits_allocated : int
        (0028,0010), (0028,0011), (0028,0002), (0028,0100).
    bits_stored : int
        (0028,0101); the bits above it are fixed when ``correct_unused_bits``.
    pixel_representation : int
        (0028,0103): 0 unsigned, 1 signed.
    planar_configuration : int
        (0028,0006): 1 stores each frame colour-by-plane.
    ybr_full_422 : bool
        (0028,0004) is YBR_FULL_422: two samples per pixel stored (PS3.3
        C.7.6.3.1.2), three returned.
    big_endian : bool
        Explicit VR Big Endian data.
    swapped_8bit_words : bool
        8-bit samples stored as big endian OW: their bytes are swapped in pairs.
    correct_unused_bits : bool
        Clear or sign-extend the bits above Bits Stored (as pydicom 3 does).
    is_float : bool
        Float or Double Float Pixel Data: no bits are fixed, float dtype.
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int = 0
    planar_configuration: int = 0
    ybr_full_422: bool = False
    big_endian: bool = False
    swapped_8bit_words: bool = False
    correct_unused_bits: bool = True
    is_float: bool = False

    def __post_init__(self) -> None:
        if not (0 < self.rows and 0 < self.columns):
            raise ValueError(f"rows and columns must be positive, not {self.rows} x {self.columns}")
        if self.bits_allocated not in (1, 8, 16, 32, 64):
            raise ValueError(
                f"native pixel data with bits allocated {self.bits_allocated} is not supported "
                "(1, 8, 16, 32 or 64; PS3.5 8.1.1)"
            )
        if not 1 <= self.bits_stored <= self.bits_allocated:
            raise ValueError(
                f"bits stored {self.bits_stored} must be between 1 and bits allocated "
                f"{self.bits_allocated}"
            )
        if self.samples_per_pixel < 1:
            raise ValueError(f"samples per pixel must be positive, not {self.samples_per_pixel}")
        if self.pixel_representation not in (0, 1):
            raise ValueError(
                f"pixel representation must be 0 or 1, not {self.pixel_representation}"
            )
        if self.ybr_full_422 and (self.samples_per_pixel != 3 or self.bits_allocated == 1):
            raise ValueError("YBR_FULL_422 needs 3 samples per pixel of 8 or more bits")
        if self.ybr_full_422 and self.columns % 2:
            raise ValueError(
                f"YBR_FULL_422 pairs horizontal pixels; {self.columns} columns is odd "
                "(PS3.3 C.7.6.3.1.2)"
            )

    @classmethod
    def from_pixel_layout(cls, layout: Any, correct_unused_bits: bool = True) -> NativeLayout:
        """Build from a :class:`dicomcore.pixels.layout.PixelLayout` (or anything alike)."""
        big_endian = str(layout.transfer_syntax) == "1.2.840.10008.1.2.2"
        is_float = getattr(layout, "pixel_keyword", "PixelData") != "PixelData"
        return cls(
            rows=layout.rows,
            columns=layout.columns,
            samples_per_pixel=layout.samples_per_pixel,
            bits_allocated=layout.bits_allocated,
            bits_stored=layout.bits_stored,
            pixel_representation=layout.pixel_representation,
            planar_configuration=layout.planar_configuration if layout.samples_per_pixel > 1 else 0,
            ybr_full_422=layout.photometric_interpretation == "YBR_FULL_422",
            big_endian=big_endian,
            swapped_8bit_words=(
                big_endian
                and layout.bits_allocated == 8
                and not is_float
                and getattr(layout, "pixel_vr", "OB") == "OW"
            ),
            correct_unused_bits=correct_unused_bits,
            is_float=is_float,
        )

    @property
    def pixels(self) -> int:
        return self.rows * self.columns

    @property
    def frame_bits(self) -> int:
        """Bits one stored frame occupies."""
        samples = 2 if self.ybr_full_422 else self.samples_per_pixel
        return self.pixels * samples * self.bits_allocated

    @property
    def itemsize(self) -> int:
        return max(1, self.bits_allocated // 8)

    @property
    def dtype(self) -> np.dtype:
        if self.is_float:
            return np.dtype(f"f{self.itemsize}")
        return np.dtype(f"{'i' if self.pixel_representation else 'u'}{self.itemsize}")

    @property
    def fix_bits(self) -> int:
        """Bits Stored when the bits above it are to be fixed, else 0."""
        if self.is_float or not self.correct_unused_bits or self.bits_allocated == 1:
            return 0
        return self.bits_stored if self.bits_stored < self.bits_allocated else 0

    def shape(self, frames: int) -> tuple[int, ...]:
        if self.samples_per_pixel == 1:
            return (frames, self.rows, self.columns)
        return (frames, self.rows, self.columns, self.samples_per_pixel)


def _byte_range(
    layout: NativeLayout, first_frame: int, frames: int, available: int
) -> tuple[int, int, int]:
    """The stored bytes [start, end) holding the frames, and the first bit within them."""
    if first_frame < 0 or frames < 0:
        raise ValueError(f"frame numbers cannot be negative ({first_frame}, {frames})")
    first_bit = first_frame * layout.frame_bits
    last_bit = (first_frame + frames) * layout.frame_bits
    needed = (last_bit + 7) // 8
    if needed > available:
        raise ValueError(
            f"the pixel data has {available} bytes; frames {first_frame} to "
            f"{first_frame + frames - 1} need {needed} (frame size {layout.frame_bits // 8} "
            "bytes)"
        )
    start = first_bit // 8
    end = needed
    if layout.swapped_8bit_words:
        # Pairs are swapped relative to the value's start: keep whole pairs.
        start -= start % 2
        end = min(end + end % 2, available)
    return start, end, first_bit - 8 * start


def unpack_frames_reference(
    src: Any, layout: NativeLayout, first_frame: int = 0, frames: int = 1
) -> np.ndarray:
    """Unpack native frames with NumPy: the definition the ``native.cu`` kernels follow.

    Parameters
    ----------
    src : bytes-like
        The pixel data element's value.
    layout : NativeLayout
        How the frames are stored.
    first_frame, frames : int
        Which frames.

    Returns
    -------
    numpy.ndarray
        ``(frames, rows, columns[, samples])`` in native byte order; 1-bit
        pixels as uint8 0/1; YBR_FULL_422 with three samples per pixel.
    """
    data = transfer.as_bytes(src)
    start, end, bit = _byte_range(layout, first_frame, frames, data.size)
    raw = data[start:end]
    shape = layout.shape(frames)
    if layout.bits_allocated == 1:
        count = frames * layout.pixels * layout.samples_per_pixel
        bits = np.unpackbits(raw, bitorder="little")[bit : bit + count]
        return bits.reshape(shape)
    if layout.swapped_8bit_words:
        padded = raw if raw.size % 2 == 0 else np.append(raw, np.uint8(0))
        raw = padded.reshape(-1, 2)[:, ::-1].reshape(-1)
    stored = 2 if layout.ybr_full_422 else layout.samples_per_pixel
    count = frames * layout.pixels * stored
    order = ">" if layout.big_endian else "<"
    unsigned = np.frombuffer(
        raw.tobytes(), dtype=f"{order}u{layout.itemsize}", count=count, offset=bit // 8
    )
    values = unsigned.astype(f"=u{layout.itemsize}")
    if layout.fix_bits:
        kind = values.dtype.type
        mask = kind((1 << layout.fix_bits) - 1)
        values = values & mask
        if layout.pixel_representation:
            sign = kind(1 << (layout.fix_bits - 1))
            values = (values ^ sign) - sign
    if layout.ybr_full_422:
        pairs = values.reshape(-1, 4)
        values = pairs[:, [0, 2, 3, 1, 2, 3]].reshape(-1)
    elif layout.samples_per_pixel > 1 and layout.planar_configuration == 1:
        values = values.reshape(frames, layout.samples_per_pixel, layout.pixels)
        values = np.ascontiguousarray(values.transpose(0, 2, 1))
    return values.view(layout.dtype).reshape(shape)


def unpack_frames(
    src: Any,
    layout: NativeLayout,
    first_frame: int = 0,
    frames: int = 1,
    *,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Unpack native frames on the GPU (PS3.5 Section 8).

    Parameters
    ----------
    src : bytes-like or cupy.ndarray
        The pixel data element's value: host bytes (a memory-mapped file's view
        is read in place; only the frames' bytes are uploaded) or a uint8 device
        array already holding it.
    layout : NativeLayout
        How the frames are stored (:meth:`NativeLayout.from_pixel_layout` builds
        it from a dataset's Image Pixel values).
    first_frame, frames : int
        Which frames (0-based first, and how many).
    out : cupy.ndarray, optional
        ``(frames, rows, columns[, samples])`` of the layout's dtype, C-contiguous.
    device : None, str, int, cupy.cuda.Device or Engine
        Where to unpack (default: ``out``'s or ``src``'s device, else the current one).

    Returns
    -------
    cupy.ndarray
        ``(frames, rows, columns[, samples])``, native byte order, interleaved.

    Raises
    ------
    ValueError
        If the data is too short for the frames (saying how many bytes are
        needed), or ``out`` does not fit.
    """
    engine = get_engine(device, like=out if out is not None else src)
    xp = engine.xp
    shape = layout.shape(frames)
    if out is None:
        with engine.activate():
            out = xp.empty(shape, dtype=layout.dtype)
    elif (
        not engine.is_device_array(out)
        or tuple(out.shape) != shape
        or np.dtype(out.dtype) != layout.dtype
        or not out.flags.c_contiguous
    ):
        raise ValueError(
            f"out must be a C-contiguous device array of shape {shape} and dtype {layout.dtype}"
        )
    if frames == 0:
        return out
    # Swapped pairs are read as (index ^ 1): an odd-length value gets a zero byte so
    # that its last sample's partner exists.
    if engine.is_device_array(src):
        if np.dtype(src.dtype) != np.uint8 or src.ndim != 1:
            raise ValueError("a device array src must be 1-D uint8 (the stored bytes)")
        start, end, bit = _byte_range(layout, first_frame, frames, int(src.size))
        data = src[start:end]
        if layout.swapped_8bit_words and (end - start) % 2:
            with engine.activate():
                data = xp.concatenate([data, xp.zeros(1, dtype=np.uint8)])
    else:
        host = transfer.as_bytes(src)
        start, end, bit = _byte_range(layout, first_frame, frames, host.size)
        parts = [host[start:end]]
        if layout.swapped_8bit_words and (end - start) % 2:
            parts.append(np.zeros(1, dtype=np.uint8))
        data, _, _ = transfer.upload(parts, engine)

    if layout.bits_allocated == 1:
        count = frames * layout.pixels * layout.samples_per_pixel
        engine.launch(
            "native", "dc_unpack_bits1", count, (data, out, np.int64(count), np.int64(bit))
        )
        engine.synchronize()
        return out

    size = layout.itemsize
    with engine.activate():
        target = out.view(np.dtype(f"u{size}"))
    common = (
        np.int32(layout.big_endian),
        np.int32(layout.swapped_8bit_words),
        np.int32(layout.fix_bits),
        np.int32(layout.pixel_representation and not layout.is_float),
    )
    if layout.ybr_full_422:
        pairs = frames * layout.pixels // 2
        engine.launch(
            "native",
            f"dc_expand_ybr422_u{8 * size}",
            pairs,
            (data, np.int64(bit // 8), target, np.int64(pairs), *common),
        )
    else:
        planar = layout.samples_per_pixel > 1 and layout.planar_configuration == 1
        engine.launch(
            "native",
            f"dc_unpack_u{8 * size}",
            frames * layout.pixels * layout.samples_per_pixel,
            (
                data,
                np.int64(bit // 8),
                target,
                np.int64(frames),
                np.int64(layout.pixels),
                np.int32(layout.samples_per_pixel),
                np.int32(planar),
                *common,
            ),
        )
    engine.synchronize()
    return out
