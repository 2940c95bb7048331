"""Pixel data to arrays: ``pixel_array``, ``iter_pixels`` and the Dataset cache.

Native data is unpacked by :mod:`dicomcore.pixels.native`; encapsulated data is
split into frames by :mod:`dicomcore.encaps` (views into the element's value, no
copies) and decoded by the plugin the registry picks, all frames at once on a
pool of threads, straight into one preallocated array. Then, as pydicom 3 does
by default, YBR_FULL and YBR_FULL_422 data is converted to RGB.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from dicomcore import encaps
from dicomcore._workers import thread_count
from dicomcore.pixels import registry
from dicomcore.pixels.layout import IMAGE_PIXEL_OPTIONS, PixelLayout, element
from dicomcore.pixels.native import decode_native

if TYPE_CHECKING:
    from dicomcore.dataelem import DataElement
    from dicomcore.dataset import Dataset

# Below this many decoded bytes, frames are decoded on the calling thread alone,
# for plugins that do not say otherwise (see registry.Plugin's threaded_bytes).
_THREADED_BYTES = 512 << 10

__all__ = ["decode_dataset", "iter_pixels", "pixel_array"]

_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_LENGTHS = 0x7FE00002
_PIXEL_IDS_TAGS = (
    0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011,
    0x00280100, 0x00280101, 0x00280103, 0x7FE00001, 0x7FE00002,
    0x7FE00008, 0x7FE00009, 0x7FE00010,
)


def pixel_value(elem: Any) -> Any:
    """The encoded bytes of a pixel data element, without copying file data."""
    if getattr(elem, "is_decoded", True):
        value = elem.value
    else:
        value = elem._raw
    if value is None:
        return b""
    return value


def _extended_offsets(ds: Dataset, options: dict[str, Any]) -> tuple[Any, Any] | None:
    given = options.get("extended_offsets")
    if given is not None:
        return given
    table = element(ds, _EXTENDED_OFFSET_TABLE)
    lengths = element(ds, _EXTENDED_OFFSET_LENGTHS)
    if table is None or lengths is None or not table.value:
        return None
    return table.value, lengths.value


def _to_rgb(arr: np.ndarray, layout: PixelLayout, options: dict[str, Any]) -> tuple[np.ndarray, PixelLayout]:
    """Convert YBR_FULL (and upsampled YBR_FULL_422) samples to RGB, as pydicom 3 does."""
    if options.get("raw", False):
        return arr, layout
    photometric = layout.photometric_interpretation
    if photometric in ("YBR_FULL", "YBR_FULL_422") and options.get("as_rgb", True):
        from dicomcore.pixels.processing import convert_color_space

        if not arr.flags.writeable:
            arr = arr.copy()
        arr = convert_color_space(arr, "YBR_FULL", "RGB", in_place=True)
        layout = layout.with_values(photometric_interpretation="RGB")
    return arr, layout


def _layout(ds: Dataset, options: dict[str, Any]) -> tuple[PixelLayout, DataElement]:
    overrides = {k: v for k, v in options.items() if k in IMAGE_PIXEL_OPTIONS}
    return PixelLayout.with_pixel_element(
        ds, transfer_syntax=options.get("transfer_syntax_uid"), **overrides
    )


def _decode_frames(
    frames: list[Any], layout: PixelLayout, options: dict[str, Any], plugin: Any
) -> tuple[np.ndarray, str]:
    out = np.empty((len(frames), *layout.frame_shape), dtype=layout.dtype)
    threads = thread_count(options.get("threads"))
    if out.nbytes < getattr(plugin, "threaded_bytes", _THREADED_BYTES):
        threads = 1  # handing out a few small frames costs more than decoding them
    photometric = plugin.decode(frames, layout, out, options, threads)
    return out, photometric


def decode_dataset(
    ds: Dataset, index: int | None = None, **options: Any
) -> tuple[np.ndarray, PixelLayout]:
    """Decode the pixel data of ``ds`` (all frames, or frame ``index``).

    Parameters
    ----------
    ds : Dataset
        A dataset with pixel data and its Image Pixel module elements.
    index : int, optional
        The one frame to decode (0-based); the others are not decoded.
    **options
        ``raw`` (no colour conversion), ``as_rgb`` (default True),
        ``decoding_plugin``, ``threads``, ``correct_unused_bits``,
        ``allow_excess_frames``, ``view_only``, ``apply_j2k_sign_correction``,
        ``apply_jls_sign_correction``, ``extended_offsets``, and Image Pixel
        values (``rows``, ``bits_stored``, ...) to use instead of the dataset's.

    Returns
    -------
    numpy.ndarray
        The pixels, shaped as pydicom 3 shapes them.
    PixelLayout
        The Image Pixel values that describe the array.
    """
    layout, elem = _layout(ds, options)
    value = pixel_value(elem)
    if not layout.is_encapsulated:
        arr, layout = decode_native(
            value,
            layout,
            index,
            threads=options.get("threads"),
            correct_unused_bits=options.get("correct_unused_bits", True),
            allow_excess_frames=options.get("allow_excess_frames", True),
            view_only=options.get("view_only", False),
        )
        return _to_rgb(arr, layout, options)

    plugin = registry.get_decoding_plugin(layout.transfer_syntax, options.get("decoding_plugin", ""))
    frames = encaps.frame_data(
        value,
        index,
        number_of_frames=layout.number_of_frames,
        extended_offsets=_extended_offsets(ds, options),
    )
    if index is None and not options.get("allow_excess_frames", True):
        frames = frames[: layout.number_of_frames]
    if index is None and len(frames) != layout.number_of_frames:
        warnings.warn(
            f"(0028,0008) 'Number of Frames' is {layout.number_of_frames} but the "
            f"encapsulated pixel data holds {len(frames)} frames; returning those",
            UserWarning,
            stacklevel=3,
        )
    out, photometric = _decode_frames(frames, layout, options, plugin)
    count = len(frames)
    layout = layout.with_values(
        photometric_interpretation=photometric,
        planar_configuration=0,
        number_of_frames=layout.number_of_frames if index is not None else count,
    )
    arr = out[0] if count == 1 else out
    return _to_rgb(arr, layout, options)


def _read(src: Any) -> Dataset:
    """The dataset of ``src``: itself, or read (memory-mapped when large) from a file."""
    from dicomcore.dataset import Dataset
    from dicomcore.filereader import dcmread

    if isinstance(src, Dataset):
        return src
    if isinstance(src, (str, Path, os.PathLike)) or hasattr(src, "read"):
        return dcmread(src)
    raise TypeError(
        f"src must be a path, a binary file object or a Dataset, not {type(src).__name__}"
    )


def _fill_out(ds_out: Dataset | None, ds: Dataset, specific_tags: Iterable[Any] | None) -> None:
    """Copy the non-pixel elements (or only ``specific_tags``) to ``ds_out``."""
    if ds_out is None:
        return
    from dicomcore.tag import Tag

    pixel_tags = {0x7FE00008, 0x7FE00009, 0x7FE00010}
    if specific_tags is not None:
        for key in specific_tags:
            tag = int(Tag(key))
            elem = ds.get(tag)
            if elem is not None and tag not in pixel_tags:
                ds_out[tag] = elem
        return
    for elem in ds.elements():
        if int(elem.tag) not in pixel_tags:
            ds_out[int(elem.tag)] = elem
    meta = ds.__dict__.get("file_meta")
    if meta is not None:
        ds_out.file_meta = meta


def pixel_array(
    src: str | os.PathLike[str] | BinaryIO | Dataset,
    *,
    index: int | None = None,
    raw: bool = False,
    decoding_plugin: str = "",
    ds_out: Dataset | None = None,
    specific_tags: Iterable[Any] | None = None,
    device: Any = None,
    **kwargs: Any,
) -> np.ndarray:
    """The pixel data of a DICOM file or dataset as an array, as pydicom 3's.

    Parameters
    ----------
    src : str, PathLike, binary file or Dataset
        Where the pixel data is. A file of 1 MiB or more is memory-mapped and its
        pixel bytes read in place.
    index : int, optional
        Decode only this frame (0-based) and return ``(rows, columns[,
        samples])``; by default every frame.
    raw : bool
        Return the samples as decoded, without converting YBR to RGB.
    decoding_plugin : str, optional
        The plugin to decode with (see :func:`dicomcore.pixels.available_plugins`);
        by default the first available one for the transfer syntax.
    ds_out : Dataset, optional
        Filled with the file's other elements (or only ``specific_tags``).
    specific_tags : iterable of tags, optional
        The elements to copy to ``ds_out``.
    device : str, int or cupy.cuda.Device, optional
        ``"cuda"``, a device index or a device: decode on the GPU and return a
        ``cupy.ndarray`` with the same values (:mod:`dicomcore.gpu`; needs
        ``pip install dicomcore[cuda12]`` or ``[cuda13]``).
    **kwargs
        ``as_rgb`` (default True), ``threads`` (default every CPU),
        ``correct_unused_bits``, ``allow_excess_frames``, ``view_only``,
        ``apply_j2k_sign_correction``, ``apply_jls_sign_correction``, and Image
        Pixel values overriding the dataset's.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)``, ``(rows, columns, samples)``, ``(frames, rows,
        columns)`` or ``(frames, rows, columns, samples)``; samples interleaved.

    Raises
    ------
    AttributeError
        If pixel data or a required Image Pixel element is missing (all named).
    ValueError
        For inconsistent or damaged pixel data, saying where.
    RuntimeError
        If the transfer syntax's decoder is unavailable, saying what to install.
    """
    ds = _read(src)
    _fill_out(ds_out, ds, specific_tags)
    if device is not None:
        from dicomcore.gpu.batch import decode_dataset as decode_on_device

        return decode_on_device(
            ds, device=device, index=index, as_rgb=kwargs.get("as_rgb", True) and not raw,
            threads=kwargs.get("threads"),
        )
    arr, _ = decode_dataset(
        ds, index, raw=raw, decoding_plugin=decoding_plugin, **kwargs
    )
    return arr


def iter_pixels(
    src: str | os.PathLike[str] | BinaryIO | Dataset,
    *,
    indices: Iterable[int] | None = None,
    raw: bool = False,
    decoding_plugin: str = "",
    ds_out: Dataset | None = None,
    specific_tags: Iterable[Any] | None = None,
    device: Any = None,
    **kwargs: Any,
) -> Iterator[np.ndarray]:
    """Yield the frames of a DICOM file or dataset one at a time, as pydicom 3's.

    Only the frame being yielded is decoded, so memory stays at one frame.
    Parameters are those of :func:`pixel_array`; ``indices`` chooses the frames
    (default all, in order); with ``device`` the frames are ``cupy.ndarray``.

    Yields
    ------
    numpy.ndarray
        ``(rows, columns[, samples])`` per frame.
    """
    ds = _read(src)
    _fill_out(ds_out, ds, specific_tags)
    if device is not None:
        from dicomcore.gpu.batch import iter_frames

        yield from iter_frames(
            ds, device=device, indices=indices, as_rgb=kwargs.get("as_rgb", True) and not raw
        )
        return
    options = dict(kwargs, raw=raw, decoding_plugin=decoding_plugin)
    layout, elem = _layout(ds, options)
    if not layout.is_encapsulated:
        if indices is None:
            value = pixel_value(elem)
            from dicomcore.pixels.native import _frame_count

            count = _frame_count(
                layout, len(memoryview(value).cast("B")), options.get("allow_excess_frames", True)
            )
            indices = range(count)
        for index in indices:
            arr, _ = decode_dataset(ds, index, **options)
            yield arr
        return
    plugin = registry.get_decoding_plugin(layout.transfer_syntax, decoding_plugin)
    frames = encaps.frame_data(
        pixel_value(elem),
        number_of_frames=layout.number_of_frames,
        extended_offsets=_extended_offsets(ds, options),
    )
    for index in range(len(frames)) if indices is None else indices:
        if not 0 <= index < len(frames):
            raise IndexError(f"There is no frame {index}: the pixel data has {len(frames)}")
        out, photometric = _decode_frames([frames[index]], layout, options, plugin)
        frame_layout = layout.with_values(photometric_interpretation=photometric)
        arr, _ = _to_rgb(out[0], frame_layout, options)
        yield arr


# -- the Dataset's cached array ----------------------------------------------------------


def pixel_ids(ds: Dataset) -> dict[int, tuple[int, int]]:
    """Identities of the elements (and values) the cached array was made from."""
    ids = {}
    lookup = ds._dict.get
    for tag in _PIXEL_IDS_TAGS:
        elem = lookup(tag)
        if elem is not None:
            ids[tag] = (id(elem), id(getattr(elem, "_value", None)))
    meta = ds.__dict__.get("file_meta")
    if meta is not None:
        elem = meta._dict.get(0x00020010)
        if elem is not None:
            ids[0x00020010] = (id(elem), id(getattr(elem, "_value", None)))
    return ids


def cached_pixel_array(ds: Dataset, handler_name: str = "") -> np.ndarray:
    """``Dataset.pixel_array``: decode once, again only after the pixel elements change.

    The dataset clears its cache when an Image Pixel element is replaced through
    it; comparing element identities also catches values changed on the element
    itself (``ds["PixelData"].value = ...``).
    """
    state = ds.__dict__
    cached = state.get("_pixel_array")
    if cached is not None and state.get("_pixel_id") == pixel_ids(ds) and not handler_name:
        return cached
    options = dict(state.get("_pixel_array_opts") or {})
    if handler_name:
        options["decoding_plugin"] = handler_name
    index = options.pop("index", None)
    options.pop("use_pdh", None)
    arr, _ = decode_dataset(ds, index, **options)
    object.__setattr__(ds, "_pixel_array", arr)
    object.__setattr__(ds, "_pixel_id", pixel_ids(ds))
    return arr
