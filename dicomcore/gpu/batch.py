"""Many DICOM datasets to one GPU array: the batch API for training loops.

:func:`pixel_batch` takes paths, file objects or datasets and returns one
``cupy.ndarray`` of shape ``(N, rows, columns[, samples])`` holding every frame
of every source in order, optionally written into the caller's preallocated
array and optionally rescaled, windowed and cast to float16/32/64 on the way.
The result is a DLPack producer, so ``torch.from_dlpack(batch)`` shares its
memory without a copy (:func:`to_dlpack` gives the capsule itself).

How frames reach the device depends on their transfer syntax:

* native data is uploaded as stored and unpacked by a kernel
  (:mod:`dicomcore.gpu.native`);
* RLE Lossless frames of consecutive sources with the same geometry are
  decoded together, by one launch sequence (:mod:`dicomcore.gpu.rle`);
* everything else (JPEG-LS, JPEG 2000, HTJ2K, JPEG, deflated) is decoded on a
  pool of CPU threads by the CPU pipeline's plugins, frame by frame into pinned
  buffers whose copies to the device overlap the decoding of the next frames;
  JPEG 2000 and HTJ2K can instead go through NVIDIA nvImageCodec on the GPU
  (``j2k_decoder="nvimgcodec"``, :mod:`dicomcore.gpu.nvimgcodec`).

:func:`decode_dataset` and :func:`iter_frames` are the single-dataset entry
points the pixel pipeline's ``pixel_array(..., device="cuda")`` and
``iter_pixels`` build on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dicomcore._workers import thread_count
from dicomcore.codecs.rle import RLEError
from dicomcore.gpu import native, nvimgcodec, processing, rle
from dicomcore.gpu.engine import Engine, get_engine

__all__ = ["decode_dataset", "iter_frames", "pixel_batch", "to_dlpack"]

_RLE_LOSSLESS = "1.2.840.10008.1.2.5"
_YBR = ("YBR_FULL", "YBR_FULL_422")
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_LENGTHS = 0x7FE00002


@dataclass
class _Source:
    """One dataset of a batch and how its frames are decoded."""

    position: int
    name: str
    ds: Any
    layout: Any
    kind: str  # "native", "rle", "cpu" or "nvimgcodec"
    count: int
    value: Any = None
    frames: list[Any] = field(default_factory=list)
    first_frame: int = 0

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return tuple(self.layout.frame_shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.layout.dtype)

    @property
    def decoded_photometric(self) -> str:
        photometric = self.layout.photometric_interpretation
        if self.kind == "native" and photometric == "YBR_FULL_422":
            return "YBR_FULL"  # upsampled while unpacking
        return photometric

    def group_key(self) -> tuple[Any, ...] | None:
        """Sources with equal keys, side by side, are decoded by one call."""
        if self.kind == "rle":
            layout = self.layout
            return (
                "rle",
                layout.rows,
                layout.columns,
                layout.samples_per_pixel,
                layout.bits_allocated,
                layout.bits_stored,
                layout.pixel_representation,
            )
        return None


def _read(source: Any, position: int) -> tuple[Any, str]:
    from dicomcore.dataset import Dataset
    from dicomcore.filereader import dcmread

    if isinstance(source, Dataset):
        filename = getattr(source, "filename", None)
        return source, f"source {position}" + (
            f" ({filename})" if isinstance(filename, str) else ""
        )
    if isinstance(source, (str, Path, os.PathLike)):
        return dcmread(source), f"source {position} ({os.fspath(source)})"
    if hasattr(source, "read"):
        return dcmread(source), f"source {position}"
    raise TypeError(
        f"source {position} must be a path, a binary file or a Dataset, not {type(source).__name__}"
    )


def _describe(ds: Any, position: int, name: str, j2k_decoder: str, index: int | None) -> _Source:
    from dicomcore import encaps
    from dicomcore.pixels.decode import pixel_value
    from dicomcore.pixels.layout import PixelLayout, element, pixel_element

    layout = PixelLayout.from_dataset(ds)
    value = pixel_value(pixel_element(ds)[1])
    if not layout.is_encapsulated:
        count = layout.number_of_frames
        first = 0
        if index is not None:
            if not 0 <= index < count:
                raise IndexError(f"There is no frame {index}: the pixel data has {count}")
            first, count = index, 1
        return _Source(position, name, ds, layout, "native", count, value=value, first_frame=first)
    table = element(ds, _EXTENDED_OFFSET_TABLE)
    lengths = element(ds, _EXTENDED_OFFSET_LENGTHS)
    extended = (
        (table.value, lengths.value)
        if table is not None and lengths is not None and table.value
        else None
    )
    frames = encaps.frame_data(
        value, index, number_of_frames=layout.number_of_frames, extended_offsets=extended
    )
    uid = str(layout.transfer_syntax)
    if uid == _RLE_LOSSLESS:
        kind = "rle"
    elif j2k_decoder == "nvimgcodec" and uid in nvimgcodec.TRANSFER_SYNTAXES:
        kind = "nvimgcodec"
    else:
        kind = "cpu"
    return _Source(
        position, name, ds, layout, kind, len(frames), frames=list(frames), first_frame=index or 0
    )


def _where(source: _Source, frame: int | None = None) -> str:
    if frame is None:
        return source.name
    return f"{source.name}, frame {frame + source.first_frame}"


def _reraise(exc: Exception, where: str) -> None:
    """Raise ``exc`` again with ``where`` in front of its message, keeping its type."""
    if isinstance(exc, RLEError):
        tagged = RLEError(
            f"{where}: {exc}",
            reason=exc.reason,
            segment=exc.segment,
            offset=exc.offset,
            frame=exc.frame,
        )
        raise tagged from exc
    try:
        tagged = type(exc)(f"{where}: {exc}")
    except Exception:
        raise exc from None
    raise tagged from exc


# -- Decoding each kind --------------------------------------------------------------------


def _decode_rle(sources: list[_Source], dst: Any, engine: Engine) -> None:
    layout = sources[0].layout
    frames = [f for s in sources for f in s.frames]
    try:
        rle.decode_frames(
            frames,
            rows=layout.rows,
            columns=layout.columns,
            samples_per_pixel=layout.samples_per_pixel,
            bits_allocated=layout.bits_allocated,
            pixel_representation=layout.pixel_representation,
            bits_stored=layout.bits_stored if layout.bits_stored < layout.bits_allocated else None,
            out=dst,
            device=engine,
        )
    except RLEError as exc:
        if exc.frame is None:
            raise
        # Point at the source and its own frame number.
        first = 0
        for source in sources:
            if exc.frame < first + source.count:
                inner = str(exc).split(": ", 1)[1] if str(exc).startswith("frame ") else str(exc)
                raise RLEError(
                    f"{_where(source, exc.frame - first)}: {inner}",
                    reason=exc.reason,
                    segment=exc.segment,
                    offset=exc.offset,
                    frame=exc.frame - first,
                ) from exc
            first += source.count
        raise


def _decode_native(source: _Source, dst: Any, engine: Engine) -> None:
    layout = native.NativeLayout.from_pixel_layout(source.layout)
    try:
        native.unpack_frames(
            source.value, layout, source.first_frame, source.count, out=dst, device=engine
        )
    except ValueError as exc:
        _reraise(exc, _where(source))


def _decode_on_cpu(source: _Source, dst: Any, engine: Engine, threads: int) -> str:
    """Decode frames on CPU threads into pinned slots, each copied up as soon as it is done."""
    from dicomcore.pixels import registry

    plugin = registry.get_decoding_plugin(source.layout.transfer_syntax)
    count = source.count
    frame_shape = source.frame_shape
    dtype = source.dtype
    frame_bytes = int(np.prod(frame_shape)) * dtype.itemsize
    depth = max(1, min(count, 2 * threads))
    ring = engine.pinned_empty(depth * frame_bytes).view(dtype).reshape(depth, *frame_shape)
    photometric: list[str] = []

    def work(i: int) -> str:
        slot = i % depth
        try:
            return plugin.decode([source.frames[i]], source.layout, ring[slot : slot + 1], {}, 1)
        except Exception as exc:
            _reraise(exc, _where(source, i))
            raise

    with ThreadPoolExecutor(
        max_workers=min(threads, depth), thread_name_prefix="dicomcore-gpu-decode"
    ) as pool:
        futures = {i: pool.submit(work, i) for i in range(min(depth, count))}
        try:
            for i in range(count):
                photometric.append(futures.pop(i).result())
                engine.to_device(ring[i % depth], out=dst[i])
                if i + depth < count:
                    # The slot is reused: its copy to the device must be done first.
                    engine.wait_event(engine.record_event())
                    futures[i + depth] = pool.submit(work, i + depth)
        finally:
            for future in futures.values():
                future.cancel()
    engine.synchronize()
    return photometric[0] if photometric else source.layout.photometric_interpretation


def _decode_group(sources: list[_Source], dst: Any, engine: Engine, threads: int) -> list[str]:
    """Decode the sources' frames into ``dst``; return each source's decoded photometric."""
    kind = sources[0].kind
    if kind == "rle":
        _decode_rle(sources, dst, engine)
        return [s.decoded_photometric for s in sources]
    (source,) = sources
    if kind == "native":
        _decode_native(source, dst, engine)
        return [source.decoded_photometric]
    if kind == "nvimgcodec":
        try:
            nvimgcodec.decode_frames(source.frames, dst, engine)
        except ValueError as exc:
            _reraise(exc, _where(source))
        return [source.layout.photometric_interpretation]
    return [_decode_on_cpu(source, dst, engine, threads)]


def _groups(sources: list[_Source]) -> list[list[_Source]]:
    groups: list[list[_Source]] = []
    for source in sources:
        key = source.group_key()
        if groups and key is not None and groups[-1][0].group_key() == key:
            groups[-1].append(source)
        else:
            groups.append([source])
    return groups


# -- Processing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Processing:
    modality_lut: bool
    voi_lut: bool
    voi_index: int
    prefer_lut: bool
    normalise: bool
    dtype: np.dtype | None
    as_rgb: bool = True

    @property
    def active(self) -> bool:
        return self.modality_lut or self.voi_lut or self.normalise or self.dtype is not None


def _lut_chain(x: Any, source: _Source, options: _Processing, out: Any, engine: Engine) -> None:
    """A source whose Modality or VOI LUT Sequence applies: lookups, then one transform."""
    ds = source.ds
    params = None
    if options.modality_lut:
        x = processing.apply_modality_lut(x, ds, device=engine)
    if options.voi_lut:
        uses_lut = (
            processing.frame_parameters(
                ds, modality=False, voi=True, index=options.voi_index, prefer_lut=options.prefer_lut
            )
            is None
        )
        if uses_lut:
            x = processing.apply_voi(x, ds, options.voi_index, device=engine)
            depth = int(ds.VOILUTSequence[options.voi_index].LUTDescriptor[2])
            top = float(2**depth - 1)
            scale = 1.0 / top if options.normalise else 1.0
            params = processing.FrameParameters(y_min=0.0, y_max=top, scale=scale)
    if params is None:
        params = processing.frame_parameters(
            ds,
            modality=False,
            voi=options.voi_lut,
            index=options.voi_index,
            prefer_lut=options.prefer_lut,
            normalise=options.normalise,
        )
    assert params is not None  # the VOI LUT case was handled above
    processing.transform(x, params, out.dtype, per_frame=False, out=out, device=engine)


def _process(
    sources: list[_Source], decoded: Any, out: Any, options: _Processing, engine: Engine
) -> None:
    """Rescale / window / cast the decoded frames of a group into ``out`` (same frames)."""
    rows: list[processing.FrameParameters] = []
    fused = True
    for source in sources:
        params = processing.frame_parameters(
            source.ds,
            modality=options.modality_lut,
            voi=options.voi_lut,
            index=options.voi_index,
            prefer_lut=options.prefer_lut,
            normalise=options.normalise,
        )
        if params is None:
            fused = False
            break
        rows += [params] * source.count
    if fused:
        processing.transform(decoded, rows, out.dtype, out=out, device=engine)
        return
    first = 0
    for source in sources:
        part = slice(first, first + source.count)
        _lut_chain(decoded[part], source, options, out[part], engine)
        first += source.count


# -- Public API ------------------------------------------------------------------------------


def _check_shapes(sources: list[_Source], as_list: bool) -> None:
    if as_list or not sources:
        return
    first = sources[0]
    for source in sources[1:]:
        if source.frame_shape != first.frame_shape:
            raise ValueError(
                f"{source.name} has frames of shape {source.frame_shape} but {first.name} has "
                f"{first.frame_shape}; frames of differing shapes cannot share one array: pass "
                "as_list=True for one array per source"
            )


def _output_dtype(sources: list[_Source], options: _Processing) -> np.dtype:
    if options.dtype is not None:
        return options.dtype
    if options.modality_lut or options.voi_lut or options.normalise:
        return np.dtype(np.float64)  # as pydicom 3's processing functions return
    dtypes = {s.dtype for s in sources}
    if len(dtypes) > 1:
        raise ValueError(
            f"the sources decode to different dtypes "
            f"({', '.join(sorted(str(d) for d in dtypes))}); "
            "pass dtype= (a float type) or as_list=True"
        )
    return sources[0].dtype if sources else np.dtype(np.uint8)


def pixel_batch(
    sources: Iterable[Any],
    *,
    device: Any = None,
    out: Any = None,
    as_list: bool = False,
    dtype: Any = None,
    modality_lut: bool = False,
    voi_lut: bool = False,
    voi_index: int = 0,
    prefer_lut: bool = True,
    normalise: bool = False,
    as_rgb: bool = True,
    threads: int | None = None,
    j2k_decoder: str = "cpu",
) -> Any:
    """Decode every frame of many datasets onto the GPU as one array.

    Parameters
    ----------
    sources : iterable of path, binary file or Dataset
        What to decode; every frame of each, in order.
    device : None, str, int, cupy.cuda.Device or Engine
        The CUDA device (default: ``out``'s, else CuPy's current device).
    out : cupy.ndarray, optional
        Write the frames here: shape ``(N, rows, columns[, samples])`` with N the
        total frame count, the output dtype, C-contiguous. Not with ``as_list``.
    as_list : bool
        Return one array per source (``(frames, rows, columns[, samples])``),
        allowing sources of different shapes and dtypes.
    dtype : float16, float32 or float64, optional
        Cast the result (after any processing). Default: the decoded dtype, or
        float64 when processing is asked for (as pydicom 3's functions return).
    modality_lut : bool
        Apply each source's Modality LUT or rescale (PS3.3 C.11.1), as
        :func:`dicomcore.gpu.processing.apply_modality_lut`.
    voi_lut : bool
        Apply each source's VOI LUT or window (PS3.3 C.11.2), as
        :func:`dicomcore.gpu.processing.apply_voi_lut` with ``voi_index`` and
        ``prefer_lut``.
    normalise : bool
        Map the output range (the window's, else the rescaled range of stored
        values) to [0, 1].
    as_rgb : bool
        Convert YBR_FULL and YBR_FULL_422 frames to RGB (default True, as pydicom 3).
    threads : int, optional
        CPU threads for frames decoded on the CPU (default: every CPU).
    j2k_decoder : str
        ``"cpu"`` (default) or ``"nvimgcodec"`` to decode JPEG 2000 and HTJ2K with
        NVIDIA nvImageCodec on the GPU (needs its Python package).

    Returns
    -------
    cupy.ndarray or list of cupy.ndarray
        ``(N, rows, columns[, samples])``; with ``as_list``, one array per source.

    Raises
    ------
    ValueError
        If the sources' frames differ in shape (or in dtype with no ``dtype``)
        and ``as_list`` is False, if ``out`` does not fit, or a source's pixel
        data is damaged; messages name the source (and frame).
    ImportError, RuntimeError
        If CuPy or a CUDA device is missing, or nvImageCodec when asked for.
    """
    if j2k_decoder not in ("cpu", "nvimgcodec"):
        raise ValueError(f"j2k_decoder must be 'cpu' or 'nvimgcodec', not {j2k_decoder!r}")
    if as_list and out is not None:
        raise ValueError("out cannot be used with as_list=True")
    options = _Processing(
        modality_lut,
        voi_lut,
        voi_index,
        prefer_lut,
        normalise,
        None if dtype is None else np.dtype(dtype),
        as_rgb,
    )
    if options.dtype is not None and options.dtype.kind != "f":
        raise ValueError(f"dtype must be float16, float32 or float64, not {options.dtype}")
    engine = get_engine(device, like=out)
    if j2k_decoder == "nvimgcodec" and not nvimgcodec.is_available():
        nvimgcodec._module()  # raises ImportError saying what to install
    threads = thread_count(threads)

    described: list[_Source] = []
    for position, item in enumerate(sources):
        ds, name = _read(item, position)
        try:
            described.append(_describe(ds, position, name, j2k_decoder, None))
        except (ValueError, AttributeError, NotImplementedError) as exc:
            _reraise(exc, name)
    _check_shapes(described, as_list)

    if as_list:
        return [
            _decode_into(group, None, options, engine, threads)
            for group in ([s] for s in described)
        ]

    out_dtype = _output_dtype(described, options)
    total = sum(s.count for s in described)
    frame_shape = described[0].frame_shape if described else ()
    shape = (total, *frame_shape)
    xp = engine.xp
    if out is None:
        with engine.activate():
            out = xp.empty(shape, dtype=out_dtype)
    elif (
        not engine.is_device_array(out)
        or tuple(out.shape) != shape
        or np.dtype(out.dtype) != out_dtype
        or not out.flags.c_contiguous
    ):
        raise ValueError(
            f"out must be a C-contiguous array on the device of shape {shape} and dtype "
            f"{out_dtype}, not {type(out).__name__}"
            + (f" {tuple(out.shape)} {out.dtype}" if hasattr(out, "shape") else "")
        )
    first = 0
    for group in _groups(described):
        count = sum(s.count for s in group)
        _decode_into(group, out[first : first + count], options, engine, threads)
        first += count
    engine.synchronize()
    return out


def _decode_into(
    group: list[_Source], target: Any, options: _Processing, engine: Engine, threads: int
) -> Any:
    """Decode a group's frames (processing them if asked) into ``target`` (or a new array)."""
    xp = engine.xp
    count = sum(s.count for s in group)
    decoded_shape = (count, *group[0].frame_shape)
    out_dtype = _output_dtype(group, options)
    direct = not options.active or (
        options.dtype == group[0].dtype
        and not (options.modality_lut or options.voi_lut or options.normalise)
    )
    with engine.activate():
        if target is None:
            target = xp.empty(decoded_shape, dtype=out_dtype)
        decoded = target if direct else xp.empty(decoded_shape, dtype=group[0].dtype)
    photometrics = _decode_group(group, decoded, engine, threads)
    first = 0
    for source, photometric in zip(group, photometrics):
        part = decoded[first : first + source.count]
        # As pydicom 3 does by default: YBR_FULL (and upsampled YBR_FULL_422) to RGB.
        if options.as_rgb and photometric in _YBR and np.dtype(part.dtype) == np.uint8:
            processing.convert_color_space(part, "YBR_FULL", "RGB", per_frame=True, device=engine)
        first += source.count
    if not direct:
        _process(group, decoded, target, options, engine)
    return target


def decode_dataset(
    ds: Any,
    *,
    device: Any = None,
    index: int | None = None,
    out: Any = None,
    as_rgb: bool = True,
    j2k_decoder: str = "cpu",
    threads: int | None = None,
) -> Any:
    """Decode one dataset's pixel data onto the GPU, shaped as pydicom 3 shapes it.

    The GPU counterpart of ``dicomcore.pixels.pixel_array``: ``(rows, columns[,
    samples])`` for one frame (or ``index``), else ``(frames, rows, columns[,
    samples])``.

    Parameters
    ----------
    ds : Dataset
        The dataset (already read).
    device : None, str, int, cupy.cuda.Device or Engine
        Where to decode.
    index : int, optional
        Decode only this frame.
    out : cupy.ndarray, optional
        ``(frames, rows, columns[, samples])`` to write into.
    as_rgb, j2k_decoder, threads
        As for :func:`pixel_batch`.
    """
    engine = get_engine(device, like=out)
    source = _describe(ds, 0, "the dataset", j2k_decoder, index)
    options = _Processing(False, False, 0, True, False, None, as_rgb)
    threads = thread_count(threads)
    shape = (source.count, *source.frame_shape)
    if out is not None and (not engine.is_device_array(out) or tuple(out.shape) != shape):
        raise ValueError(f"out must be a device array of shape {shape}")
    arr = _decode_into([source], out, options, engine, threads)
    engine.synchronize()
    return arr[0] if source.count == 1 and out is None else arr


def iter_frames(
    ds: Any,
    *,
    device: Any = None,
    indices: Iterable[int] | None = None,
    as_rgb: bool = True,
    j2k_decoder: str = "cpu",
) -> Iterator[Any]:
    """Yield a dataset's frames one at a time as device arrays (``iter_pixels`` on the GPU)."""
    engine = get_engine(device)
    if indices is None:
        count = _describe(ds, 0, "the dataset", j2k_decoder, None).count
        indices = range(count)
    for index in indices:
        yield decode_dataset(ds, device=engine, index=index, as_rgb=as_rgb, j2k_decoder=j2k_decoder)


def to_dlpack(arr: Any) -> Any:
    """Return a DLPack capsule sharing ``arr``'s memory, for consumers that want a capsule.

    ``torch.from_dlpack(arr)`` (and JAX's, TensorFlow's) accept a CuPy array
    directly; this gives the capsule for older consumers.
    """
    if hasattr(arr, "__dlpack__"):
        return arr.__dlpack__()
    return arr.toDlpack()
