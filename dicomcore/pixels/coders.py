"""pydicom 3's per-transfer-syntax decoder and encoder objects: ``get_decoder``, ``get_encoder``.

Code written against ``pydicom.pixels.get_decoder(uid).as_array(ds)`` or
``get_encoder(uid).encode(arr, **image_pixel_values)`` keeps working; both
are thin views of the registry (:mod:`dicomcore.pixels.registry`) and the
pipeline behind :func:`~dicomcore.pixels.pixel_array` and ``compress``.

Deliberate differences from pydicom 3: no ``as_buffer`` / ``iter_buffer``
(decoded bytes are ``arr.tobytes()`` of the array), no ``add_plugin`` /
``remove_plugin`` (use :func:`~dicomcore.pixels.register_plugin`), and the
``number_of_frames`` in the returned metadata is always an int.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from dicomcore.pixels import registry
from dicomcore.pixels.decode import _read, decode_dataset
from dicomcore.pixels.layout import IMAGE_PIXEL_OPTIONS, PixelLayout, declared_transfer_syntax
from dicomcore.uid import UID

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

__all__ = ["Decoder", "Encoder", "get_decoder", "get_encoder"]

#: What reads native (uncompressed) pixel data: no codec, so no plugin to install.
_NATIVE_PLUGIN = "dicomcore"


class _Coder:
    """What decoders and encoders share: the syntax and which plugins serve it."""

    _encode = False

    def __init__(self, uid: str) -> None:
        self.UID = UID(uid)

    @property
    def is_native(self) -> bool:
        """Whether the syntax stores pixel data uncompressed."""
        return not self.UID.is_compressed

    @property
    def is_encapsulated(self) -> bool:
        """Whether the syntax stores pixel data in fragments (PS3.5 A.4)."""
        return self.UID.is_encapsulated

    @property
    def available_plugins(self) -> tuple[str, ...]:
        """Names of the plugins that can be used now, in the order they are tried."""
        if self.is_native:
            return (_NATIVE_PLUGIN,)
        return tuple(registry.available_plugins(self.UID, encode=self._encode))

    @property
    def is_available(self) -> bool:
        """Whether any plugin can be used now."""
        return bool(self.available_plugins)

    @property
    def missing_dependencies(self) -> list[str]:
        """For each registered plugin that cannot be used now: what to install."""
        return [
            f"{plugin.name} - {plugin.install_hint}"
            for plugin in registry.plugins_for(self.UID, encode=self._encode)
            if not plugin.is_available()
        ]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for '{self.UID.name}'>"


class Decoder(_Coder):
    """Decodes one transfer syntax's pixel data; made by :func:`get_decoder`."""

    def _dataset(self, src: Any) -> Dataset:
        ds = _read(src)
        declared = declared_transfer_syntax(ds)
        if declared is not None and declared != self.UID:
            raise ValueError(
                f"The dataset's transfer syntax '{declared.name}' doesn't match the pixel "
                "data decoder"
            )
        return ds

    def as_array(
        self,
        src: Dataset | str | os.PathLike[str] | BinaryIO,
        *,
        index: int | None = None,
        validate: bool = True,
        raw: bool = False,
        decoding_plugin: str = "",
        **kwargs: Any,
    ) -> tuple[np.ndarray, dict[str, str | int]]:
        """The pixel data (or frame ``index`` of it) as an array, and what it holds.

        Parameters
        ----------
        src : Dataset, path or binary file
            A dataset (or file) whose transfer syntax is this decoder's.
        index : int, optional
            Decode only this frame (0-based).
        validate : bool
            Accepted for pydicom 3's signature; the values are always checked.
        raw : bool
            Keep YBR samples as they are instead of converting them to RGB.
        decoding_plugin : str, optional
            The plugin to use, by name; by default the first available one.
        **kwargs
            The options of :func:`dicomcore.pixels.pixel_array`.

        Returns
        -------
        numpy.ndarray, dict
            The array, and its Image Pixel description (``rows``, ``columns``,
            ``samples_per_pixel``, ``number_of_frames``, ``bits_allocated``,
            ``bits_stored``, ``pixel_representation``, ``photometric_interpretation``,
            ``planar_configuration``) as pydicom 3 returns it.

        Raises
        ------
        ValueError
            If the dataset's transfer syntax is not this decoder's.
        """
        ds = self._dataset(src)
        return self._decode(ds, index, raw, decoding_plugin, kwargs)

    def iter_array(
        self,
        src: Dataset | str | os.PathLike[str] | BinaryIO,
        *,
        indices: Iterable[int] | None = None,
        raw: bool = False,
        validate: bool = True,
        decoding_plugin: str = "",
        **kwargs: Any,
    ) -> Iterator[tuple[np.ndarray, dict[str, str | int]]]:
        """Yield ``(frame, description)`` for each frame (or each of ``indices``)."""
        ds = self._dataset(src)
        if indices is None:
            options = {k: v for k, v in kwargs.items() if k in IMAGE_PIXEL_OPTIONS}
            frames = PixelLayout.from_dataset(ds, **options).number_of_frames
            indices = range(frames)
        for index in indices:
            yield self._decode(ds, index, raw, decoding_plugin, kwargs)

    def _decode(
        self, ds: Dataset, index: int | None, raw: bool, plugin: str, kwargs: dict[str, Any]
    ) -> tuple[np.ndarray, dict[str, str | int]]:
        arr, layout = decode_dataset(
            ds, index, raw=raw, decoding_plugin=plugin, transfer_syntax_uid=self.UID, **kwargs
        )
        frames = 1 if index is not None else layout.number_of_frames
        return arr, _description(layout, frames, arr.dtype)


def _description(layout: PixelLayout, frames: int, dtype: np.dtype) -> dict[str, str | int]:
    """The Image Pixel values of a decoded array (samples interleaved, whole bytes)."""
    description: dict[str, str | int] = {
        "bits_allocated": dtype.itemsize * 8 if layout.bits_allocated != 1 else 1,
        "columns": layout.columns,
        "number_of_frames": frames,
        "photometric_interpretation": layout.photometric_interpretation,
        "rows": layout.rows,
        "samples_per_pixel": layout.samples_per_pixel,
    }
    if layout.samples_per_pixel > 1:
        description["planar_configuration"] = 0
    description["bits_stored"] = layout.bits_stored
    description["pixel_representation"] = layout.pixel_representation
    return description


class Encoder(_Coder):
    """Encodes frames to one transfer syntax; made by :func:`get_encoder`."""

    _encode = True

    def encode(
        self,
        src: bytes | np.ndarray | Dataset,
        *,
        index: int | None = None,
        validate: bool = True,
        encoding_plugin: str = "",
        **kwargs: Any,
    ) -> bytes:
        """One frame encoded to this transfer syntax (one fragment's worth, not encapsulated).

        Parameters
        ----------
        src : bytes, numpy.ndarray or Dataset
            Uncompressed pixels: a dataset with native pixel data, or an array
            or little-endian bytes described by ``kwargs`` (``rows``,
            ``columns``, ``samples_per_pixel``, ``bits_allocated``,
            ``bits_stored``, ``pixel_representation``,
            ``photometric_interpretation``, ``number_of_frames``,
            ``planar_configuration``).
        index : int, optional
            The frame to encode; required when there is more than one.
        validate : bool
            Accepted for pydicom 3's signature; the values are always checked.
        encoding_plugin : str, optional
            The plugin to use, by name; by default the first available one.
        **kwargs
            Image Pixel values as above, and codec options (``jls_error``,
            ``j2k_cr``, ``j2k_psnr``, ...).

        Raises
        ------
        ValueError
            If ``index`` is missing for multi-frame data, or the pixels and
            their description disagree.
        """
        frames, layout = _frames_to_encode(src, kwargs)
        if index is None:
            if len(frames) > 1:
                raise ValueError(
                    "The 'index' of the frame to be encoded is required for multi-frame "
                    "pixel data"
                )
            index = 0
        if not 0 <= index < len(frames):
            raise IndexError(f"There is no frame {index}: the pixel data has {len(frames)}")
        return self._encode_frames(frames[index : index + 1], layout, encoding_plugin, kwargs)[0]

    def iter_encode(
        self,
        src: bytes | np.ndarray | Dataset,
        *,
        validate: bool = True,
        encoding_plugin: str = "",
        **kwargs: Any,
    ) -> Iterator[bytes]:
        """Yield each frame encoded; the arguments are those of :meth:`encode`."""
        frames, layout = _frames_to_encode(src, kwargs)
        for index in range(len(frames)):
            yield self._encode_frames(frames[index : index + 1], layout, encoding_plugin, kwargs)[0]

    def _encode_frames(
        self, frames: np.ndarray, layout: PixelLayout, plugin_name: str, kwargs: dict[str, Any]
    ) -> list[bytes]:
        plugin = registry.get_encoding_plugin(self.UID, plugin_name)
        options = {k: v for k, v in kwargs.items() if k not in IMAGE_PIXEL_OPTIONS}
        result = plugin.encode(frames, layout, self.UID, options, 1)
        return [bytes(frame) for frame in result.frames]


def _frames_to_encode(src: Any, kwargs: dict[str, Any]) -> tuple[np.ndarray, PixelLayout]:
    """The frames of ``src`` as one (frames, rows, columns[, samples]) array, and their layout."""
    from dicomcore.dataset import Dataset
    from dicomcore.pixels.decode import pixel_array

    if isinstance(src, Dataset):
        syntax = declared_transfer_syntax(src)
        if syntax is not None and syntax.is_compressed:
            raise ValueError(
                f"The pixel data to encode must be uncompressed, not '{syntax.name}'"
            )
        options = {k: v for k, v in kwargs.items() if k in IMAGE_PIXEL_OPTIONS}
        layout = PixelLayout.from_dataset(src, **options)
        arr = pixel_array(src, raw=True, **options)
    else:
        layout = PixelLayout.from_values(Dataset(), **{k: v for k, v in kwargs.items() if k in IMAGE_PIXEL_OPTIONS})
        arr = _array_of(src, layout)
    return arr.reshape(layout.number_of_frames, *layout.frame_shape), layout


def _array_of(src: Any, layout: PixelLayout) -> np.ndarray:
    """An array or little-endian bytes, checked against the layout it is said to have."""
    shape = (layout.number_of_frames, *layout.frame_shape)
    if isinstance(src, np.ndarray):
        if src.size != int(np.prod(shape)) or src.dtype.kind not in "iu":
            raise ValueError(
                f"The array of shape {src.shape} and dtype {src.dtype} does not hold "
                f"{layout.number_of_frames} frame(s) of {layout.frame_shape} integer samples"
            )
        return src
    data = bytes(src)
    dtype = np.dtype(layout.dtype).newbyteorder("<")
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) not in (expected, expected + 1) or layout.bits_allocated == 1:
        raise ValueError(
            f"The length of the uncompressed pixel data doesn't match the expected length - "
            f"{len(data)} bytes actual vs. {expected} expected"
        )
    arr = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize)
    if layout.samples_per_pixel > 1 and layout.planar_configuration == 1:
        planes = arr.reshape(layout.number_of_frames, layout.samples_per_pixel, layout.rows,
                             layout.columns)
        return np.ascontiguousarray(np.moveaxis(planes, 1, -1)).astype(layout.dtype)
    return arr.reshape(shape).astype(layout.dtype)


def get_decoder(uid: str) -> Decoder:
    """The decoder for transfer syntax ``uid``, as pydicom 3's ``pixels.get_decoder``.

    Raises
    ------
    NotImplementedError
        If no registered plugin decodes ``uid`` (native syntaxes always decode).
    """
    syntax = UID(uid)
    if not syntax.is_transfer_syntax or (
        syntax.is_compressed and not registry.plugins_for(syntax)
    ):
        raise NotImplementedError(f"No pixel data decoders have been implemented for '{syntax.name}'")
    return Decoder(syntax)


def get_encoder(uid: str) -> Encoder:
    """The encoder for transfer syntax ``uid``, as pydicom 3's ``pixels.get_encoder``.

    Raises
    ------
    NotImplementedError
        If no registered plugin encodes ``uid``.
    """
    syntax = UID(uid)
    if not syntax.is_transfer_syntax or not registry.plugins_for(syntax, encode=True):
        raise NotImplementedError(f"No pixel data encoders have been implemented for '{syntax.name}'")
    return Encoder(syntax)
