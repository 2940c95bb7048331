"""Pixel processing on the GPU, with pydicom 3's names: LUTs, windowing, colour.

The functions named as in :mod:`pydicom.pixels.processing` take a device array
(``cupy.ndarray``) and a dataset and give what pydicom's give for the same
NumPy array: :func:`apply_modality_lut` (and its alias :func:`apply_rescale`),
:func:`apply_voi_lut`, :func:`apply_voi`, :func:`apply_windowing` and
:func:`convert_color_space`. They also take ``dtype`` (float16, float32 or
float64; pydicom always gives float64 where a float comes out) so that a
training pipeline gets its tensor type without another pass.

Rescale, windowing and scaling to an output range run as one kernel,
``dc_transform_*`` in ``codecs/cuda/processing.cu``, computing in double
precision in pydicom's order of operations, with one row of parameters per
frame so a batch of frames from different datasets is processed by one
launch (:func:`transform`, :func:`frame_parameters`). :func:`transform_reference`,
:func:`ybr_full_to_rgb_reference` and :func:`rgb_to_ybr_full_reference` are
the NumPy definitions the kernels are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dicomcore.gpu.engine import Engine, get_engine

__all__ = [
    "MODE_LINEAR",
    "MODE_NONE",
    "MODE_SIGMOID",
    "FrameParameters",
    "apply_modality_lut",
    "apply_rescale",
    "apply_voi",
    "apply_voi_lut",
    "apply_windowing",
    "convert_color_space",
    "frame_parameters",
    "rgb_to_ybr_full_reference",
    "to_float",
    "transform",
    "transform_reference",
    "ybr_full_to_rgb_reference",
]

MODE_NONE = 0
MODE_LINEAR = 1
MODE_SIGMOID = 2

_INPUTS = {
    np.dtype(np.uint8): "u8",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint16): "u16",
    np.dtype(np.int16): "i16",
    np.dtype(np.uint32): "u32",
    np.dtype(np.int32): "i32",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
}
_OUTPUTS = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}

# pydicom 3's colour matrices (PS3.3 C.7.6.3.1.2, ITU-T T.871), as float32.
_YBR_TO_RGB = np.asarray(
    [
        [1.000, 1.000, 1.000],
        [0.000, -0.114 * 1.772 / 0.587, 1.772],
        [1.402, -0.299 * 1.402 / 0.587, 0.000],
    ],
    dtype=np.float32,
)
_RGB_TO_YBR = np.asarray(
    [
        [+0.299, -0.299 / 1.772, +0.701 / 1.402],
        [+0.587, -0.587 / 1.772, -0.587 / 1.402],
        [+0.114, +0.886 / 1.772, -0.114 / 1.402],
    ],
    dtype=np.float32,
)


# -- Parameters from a dataset -----------------------------------------------------------


@dataclass(frozen=True)
class FrameParameters:
    """One frame's rescale, window and output scaling (a row of ``dc_transform``'s table).

    ``out = window(x * slope + intercept) * scale + offset``, where ``window`` is
    ``mode`` (:data:`MODE_NONE`, :data:`MODE_LINEAR` or :data:`MODE_SIGMOID`)
    over ``center`` and ``width`` to ``[y_min, y_max]``. For the LINEAR VOI LUT
    function ``center`` and ``width`` are already the adjusted ``c - 0.5`` and
    ``w - 1`` of PS3.3 C.11.2.1.2.1, so LINEAR and LINEAR_EXACT share a formula.
    """

    slope: float = 1.0
    # -0.0, not 0.0: x + -0.0 is x for every x, -0.0 included (x + 0.0 turns -0.0 into 0.0).
    intercept: float = -0.0
    center: float = 0.0
    width: float = 1.0
    y_min: float = 0.0
    y_max: float = 1.0
    scale: float = 1.0
    offset: float = -0.0
    mode: int = MODE_NONE

    def row(self) -> list[float]:
        return [
            self.slope,
            self.intercept,
            self.center,
            self.width,
            self.y_min,
            self.y_max,
            self.scale,
            self.offset,
        ]


def _value(ds: Any, keyword: str, default: Any = None) -> Any:
    value = ds.get(keyword, default)
    return getattr(value, "value", value)


def _nth(ds: Any, keyword: str, index: int) -> float:
    """Item ``index`` of a multi-valued element, or its one value (pydicom's rule)."""
    value = _value(ds, keyword)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        if len(value) > 1:
            return float(value[index])
        value = value[0]
    return float(value)


def _has_sequence(ds: Any, keyword: str) -> bool:
    return bool(_value(ds, keyword))


def _rescale_values(ds: Any) -> tuple[float, float] | None:
    slope = _value(ds, "RescaleSlope")
    intercept = _value(ds, "RescaleIntercept")
    if slope is None or intercept is None or slope == "" or intercept == "":
        return None
    return float(slope), float(intercept)


def _stored_range(ds: Any) -> tuple[float, float]:
    """The range of stored values (PS3.3 C.11.1.1.1), after a modality LUT if there is one."""
    if _has_sequence(ds, "ModalityLUTSequence"):
        depth = int(_value(ds, "ModalityLUTSequence")[0].LUTDescriptor[2])
        return 0.0, float(2**depth - 1)
    bits = int(_value(ds, "BitsStored"))
    if int(_value(ds, "PixelRepresentation", 0)) == 0:
        return 0.0, float(2**bits - 1)
    return float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)


def _window(ds: Any, index: int) -> tuple[float, float, float, float, int]:
    """center, width, y_min, y_max and mode as pydicom 3's apply_windowing derives them."""
    photometric = str(_value(ds, "PhotometricInterpretation", "")).strip()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(
            "When performing a windowing operation only 'MONOCHROME1' and 'MONOCHROME2' are "
            "allowed for (0028,0004) Photometric Interpretation"
        )
    function = str(_value(ds, "VOILUTFunction", "LINEAR") or "LINEAR").upper()
    center = _nth(ds, "WindowCenter", index)
    width = _nth(ds, "WindowWidth", index)
    y_min, y_max = _stored_range(ds)
    rescale = _rescale_values(ds)
    if rescale is not None:
        y_min = y_min * rescale[0] + rescale[1]
        y_max = y_max * rescale[0] + rescale[1]
    if function == "LINEAR":
        if width < 1:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than or equal to 1 for a "
                "'LINEAR' windowing operation"
            )
        return center - 0.5, width - 1, y_min, y_max, MODE_LINEAR
    if function in ("LINEAR_EXACT", "SIGMOID"):
        if width <= 0:
            raise ValueError(
                f"The (0028,1051) Window Width must be greater than 0 for a '{function}' "
                "windowing operation"
            )
        return (
            center,
            width,
            y_min,
            y_max,
            MODE_LINEAR if function == "LINEAR_EXACT" else MODE_SIGMOID,
        )
    raise ValueError(f"Unsupported (0028,1056) VOI LUT Function value '{function}'")


def frame_parameters(
    ds: Any,
    *,
    modality: bool = True,
    voi: bool = True,
    index: int = 0,
    prefer_lut: bool = True,
    normalise: bool = False,
) -> FrameParameters | None:
    """The fused-kernel parameters for a dataset's frames, or None if it needs a LUT.

    Parameters
    ----------
    ds : Dataset
        The dataset (Modality LUT and VOI LUT modules, PS3.3 C.11.1 and C.11.2).
    modality : bool
        Apply the rescale (Rescale Slope and Intercept), as
        :func:`apply_modality_lut` would.
    voi : bool
        Apply the window (Window Center and Width, VOI LUT Function), as
        :func:`apply_voi_lut` would.
    index : int
        Which window, when there are several.
    prefer_lut : bool
        As for :func:`apply_voi_lut`: a VOI LUT Sequence wins over a window.
    normalise : bool
        Scale the output range (the window's ``[y_min, y_max]``, or the
        rescaled range of stored values) to ``[0, 1]``.

    Returns
    -------
    FrameParameters or None
        None when the dataset's Modality LUT Sequence or VOI LUT Sequence is to
        be applied: those are lookups, not a formula (use the ``apply_*``
        functions).
    """
    if modality and _has_sequence(ds, "ModalityLUTSequence"):
        return None
    slope, intercept = 1.0, -0.0
    rescale = _rescale_values(ds) if modality else None
    if rescale is not None:
        slope, intercept = rescale
    low, high = _stored_range(ds)
    y_min, y_max = sorted((low * slope + intercept, high * slope + intercept))
    center, width, mode = 0.0, 1.0, MODE_NONE
    if voi:
        has_lut = _has_sequence(ds, "VOILUTSequence")
        has_window = (
            _value(ds, "WindowCenter") is not None and _value(ds, "WindowWidth") is not None
        )
        if has_lut and (prefer_lut or not has_window):
            return None
        if has_window:
            center, width, y_min, y_max, mode = _window(ds, index)
    scale, offset = 1.0, -0.0
    if normalise:
        span = y_max - y_min
        scale = 1.0 / span if span else 1.0
        offset = -y_min * scale
    return FrameParameters(slope, intercept, center, width, y_min, y_max, scale, offset, mode)


# -- The fused transform -----------------------------------------------------------------


def _parameter_table(params: Any, frames: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(params, FrameParameters):
        params = [params]
    params = list(params)
    if len(params) not in (1, frames):
        raise ValueError(f"{len(params)} parameter rows for {frames} frames; give 1 or {frames}")
    if len(params) == 1 and frames > 1:
        params = params * frames
    table = np.array([p.row() for p in params], dtype=np.float64).reshape(-1, 8)
    modes = np.array([p.mode for p in params], dtype=np.int32)
    return table, modes


def _frames_of(shape: tuple[int, ...], per_frame: bool) -> int:
    return shape[0] if per_frame and len(shape) > 2 else 1


def transform_reference(
    arr: np.ndarray, params: Any, dtype: Any = np.float32, *, per_frame: bool = True
) -> np.ndarray:
    """NumPy definition of ``dc_transform``: rescale, window and scale each frame.

    Parameters
    ----------
    arr : numpy.ndarray
        ``(frames, rows, columns[, samples])``, or one frame.
    params : FrameParameters or sequence of them
        One for every frame, or one for all.
    dtype : float16, float32 or float64
        The output type; the arithmetic is float64 either way.
    per_frame : bool
        Whether the first axis is frames (else ``arr`` is one frame).
    """
    out_dtype = np.dtype(dtype)
    if out_dtype not in _OUTPUTS:
        raise ValueError(f"dtype must be float16, float32 or float64, not {out_dtype}")
    frames = _frames_of(arr.shape, per_frame)
    table, modes = _parameter_table(params, frames)
    x = np.asarray(arr, dtype=np.float64).reshape(frames, -1)
    p = [table[:, k : k + 1] for k in range(8)]
    slope, intercept, center, width, y_min, y_max, scale, offset = p
    y = x * slope
    y = y + intercept
    linear = (modes == MODE_LINEAR)[:, None]
    sigmoid = (modes == MODE_SIGMOID)[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        between = ((y - center) / width + 0.5) * (y_max - y_min) + y_min
        windowed = np.where(
            y <= center - width / 2, y_min, np.where(y > center + width / 2, y_max, between)
        )
        curve = (y_max - y_min) / (1 + np.exp(-4 * (y - center) / width)) + y_min
    y = np.where(linear, windowed, np.where(sigmoid, curve, y))
    y = y * scale
    y = y + offset
    with np.errstate(over="ignore"):  # beyond float16's range is inf, as on the GPU
        return y.astype(out_dtype).reshape(arr.shape)


def transform(
    arr: Any,
    params: Any,
    dtype: Any = np.float32,
    *,
    per_frame: bool = True,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Rescale, window and scale frames on the GPU in one pass (``dc_transform``).

    Parameters
    ----------
    arr : cupy.ndarray
        ``(frames, rows, columns[, samples])`` (or one frame with
        ``per_frame=False``) of uint8/16/32, int8/16/32, float32 or float64.
    params : FrameParameters or sequence of them
        One per frame, or one for all (see :func:`frame_parameters`).
    dtype : float16, float32 or float64
        The output type; the arithmetic is float64 either way, so each value is
        rounded once.
    per_frame : bool
        Whether the first axis is frames.
    out : cupy.ndarray, optional
        Preallocated output: ``arr``'s shape, ``dtype``, C-contiguous.
    device : None, str, int, cupy.cuda.Device or Engine
        Default: ``arr``'s device.

    Returns
    -------
    cupy.ndarray
        The transformed frames.
    """
    engine = get_engine(device, like=arr)
    xp = engine.xp
    out_dtype = np.dtype(dtype)
    if out_dtype not in _OUTPUTS:
        raise ValueError(f"dtype must be float16, float32 or float64, not {out_dtype}")
    with engine.activate():
        if not engine.is_device_array(arr):
            arr = xp.asarray(arr)
        if np.dtype(arr.dtype) not in _INPUTS:
            arr = arr.astype(np.float64)
        arr = xp.ascontiguousarray(arr)
        if out is None:
            out = xp.empty(arr.shape, dtype=out_dtype)
        elif (
            tuple(out.shape) != tuple(arr.shape)
            or np.dtype(out.dtype) != out_dtype
            or not out.flags.c_contiguous
        ):
            raise ValueError(
                f"out must be C-contiguous, of shape {tuple(arr.shape)} and dtype {out_dtype}"
            )
    frames = _frames_of(tuple(arr.shape), per_frame)
    table, modes = _parameter_table(params, frames)
    count = int(arr.size)
    if count == 0:
        return out
    with engine.activate():
        table_device = engine.to_device(table)
        modes_device = engine.to_device(modes)
        target = out.view(np.uint16) if out_dtype == np.float16 else out
    engine.launch(
        "processing",
        f"dc_transform_{_INPUTS[np.dtype(arr.dtype)]}_{_OUTPUTS[out_dtype]}",
        count,
        (arr, target, np.int64(count), np.int64(count // frames), table_device, modes_device),
    )
    engine.synchronize()
    return out


def to_float(
    arr: Any,
    dtype: Any = np.float32,
    *,
    value_range: tuple[float, float] | None = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Cast to float16/32/64 on the GPU, optionally mapping ``value_range`` to [0, 1].

    Parameters
    ----------
    arr : cupy.ndarray
        Any shape, of a type :func:`transform` takes.
    dtype : float16, float32 or float64
        The output type.
    value_range : (float, float), optional
        ``(low, high)`` mapped to ``(0, 1)`` linearly (values outside are not
        clipped).
    """
    scale, offset = 1.0, -0.0
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if high == low:
            raise ValueError(f"value_range {value_range} is empty")
        scale = 1.0 / (high - low)
        offset = -low * scale
    params = FrameParameters(scale=scale, offset=offset)
    return transform(arr, params, dtype, per_frame=False, out=out, device=device)


# -- pydicom 3's functions ---------------------------------------------------------------


def _little_endian(ds: Any) -> bool:
    meta = getattr(ds, "file_meta", None)
    uid = None if meta is None else _value(meta, "TransferSyntaxUID")
    if uid is not None:
        return str(uid).strip() != "1.2.840.10008.1.2.2"
    original = getattr(ds, "original_encoding", None)
    if original is not None and original[1] is not None:
        return bool(original[1])
    return getattr(ds, "is_little_endian", True) is not False


def _lut_table(item: Any, ds: Any, lut_dtype: str) -> tuple[np.ndarray, int, int]:
    """A LUT item's data (PS3.3 C.11.1.1, C.11.2.1.1), entry count and first mapped value."""
    descriptor = [int(v) for v in item.LUTDescriptor]
    entries = descriptor[0] or 2**16
    first_map = descriptor[1]
    data = item["LUTData"].value
    if isinstance(data, (bytes, bytearray, memoryview)):
        order = "<" if _little_endian(ds) else ">"
        words = np.frombuffer(bytes(data), dtype=f"{order}u2", count=entries)
    else:
        words = np.asarray([data] if isinstance(data, int) else list(data))
    return words.astype(lut_dtype), entries, first_map


def _apply_lut(arr: Any, table: np.ndarray, entries: int, first_map: int, engine: Engine) -> Any:
    xp = engine.xp
    with engine.activate():
        lut = engine.to_device(np.ascontiguousarray(table))
        index = arr.astype(np.int64) - first_map
        xp.clip(index, 0, entries - 1, out=index)
        result = lut[index]
    engine.synchronize()
    return result


def _as_device(arr: Any, device: Any) -> tuple[Any, Engine]:
    engine = get_engine(device, like=arr)
    if not engine.is_device_array(arr):
        with engine.activate():
            arr = engine.xp.asarray(arr)
    return arr, engine


def apply_modality_lut(arr: Any, ds: Any, *, dtype: Any = np.float64, device: Any = None) -> Any:
    """Apply the Modality LUT or rescale of ``ds`` to ``arr`` on the GPU (PS3.3 C.11.1).

    As pydicom 3's ``apply_modality_lut``: a (0028,3000) Modality LUT Sequence
    gives uint8 or uint16 values looked up from its first item; otherwise
    (0028,1053) Rescale Slope and (0028,1052) Rescale Intercept, when both are
    present, give ``arr * slope + intercept`` as ``dtype`` (float64 as pydicom);
    otherwise ``arr`` is returned unchanged.

    Parameters
    ----------
    arr : cupy.ndarray
        The stored values (a NumPy array is uploaded first).
    ds : Dataset
        The dataset with the Modality LUT module.
    dtype : float16, float32 or float64
        The rescaled output type.
    device : None, str, int, cupy.cuda.Device or Engine
        Default: ``arr``'s device.
    """
    arr, engine = _as_device(arr, device)
    if _has_sequence(ds, "ModalityLUTSequence"):
        item = _value(ds, "ModalityLUTSequence")[0]
        depth = int(item.LUTDescriptor[2])
        table, entries, first_map = _lut_table(item, ds, "uint8" if depth <= 8 else "uint16")
        return _apply_lut(arr, table, entries, first_map, engine)
    rescale = _rescale_values(ds)
    if rescale is None:
        return arr
    params = FrameParameters(slope=rescale[0], intercept=rescale[1])
    return transform(arr, params, dtype, per_frame=False, device=engine)


#: pydicom 3's other name for :func:`apply_modality_lut`.
apply_rescale = apply_modality_lut


def apply_voi(arr: Any, ds: Any, index: int = 0, *, device: Any = None) -> Any:
    """Apply item ``index`` of the (0028,3010) VOI LUT Sequence on the GPU (PS3.3 C.11.2).

    As pydicom 3's ``apply_voi``: uint8 or uint16 values by the LUT's nominal
    depth (8, or 10 to 16 bits), input values below the first mapped value
    taking the first entry and above the last the last entry; ``arr``
    unchanged if there is no sequence.
    """
    arr, engine = _as_device(arr, device)
    if not _has_sequence(ds, "VOILUTSequence"):
        return arr
    item = _value(ds, "VOILUTSequence")[index]
    depth = int(item.LUTDescriptor[2])
    if 10 <= depth <= 16:
        lut_dtype = "uint16"
    elif depth == 8:
        lut_dtype = "uint8"
    else:
        raise NotImplementedError(f"'{depth}' bits per LUT entry is not supported")
    table, entries, first_map = _lut_table(item, ds, lut_dtype)
    return _apply_lut(arr, table, entries, first_map, engine)


def apply_windowing(
    arr: Any, ds: Any, index: int = 0, *, dtype: Any = np.float64, device: Any = None
) -> Any:
    """Apply the window ``index`` of ``ds`` to ``arr`` on the GPU (PS3.3 C.11.2.1.2).

    As pydicom 3's ``apply_windowing``: LINEAR, LINEAR_EXACT or SIGMOID (the
    (0028,1056) VOI LUT Function) over (0028,1050) Window Center and
    (0028,1051) Window Width, to the range of the stored values (after the
    Modality LUT or rescale, which must already have been applied to ``arr``).
    ``arr`` is returned unchanged when there is no window.

    Raises
    ------
    ValueError
        For a photometric interpretation other than MONOCHROME1/2, a window
        width out of range for the function, or an unknown function.
    """
    arr, engine = _as_device(arr, device)
    if _value(ds, "WindowWidth") is None and _value(ds, "WindowCenter") is None:
        return arr
    center, width, y_min, y_max, mode = _window(ds, index)
    params = FrameParameters(center=center, width=width, y_min=y_min, y_max=y_max, mode=mode)
    return transform(arr, params, dtype, per_frame=False, device=engine)


def apply_voi_lut(
    arr: Any,
    ds: Any,
    index: int = 0,
    prefer_lut: bool = True,
    *,
    dtype: Any = np.float64,
    device: Any = None,
) -> Any:
    """Apply the VOI LUT or window of ``ds`` on the GPU, as pydicom 3's ``apply_voi_lut``.

    A usable (0028,3010) VOI LUT Sequence goes through :func:`apply_voi`, a
    window through :func:`apply_windowing`; with both, ``prefer_lut`` chooses.
    """
    has_lut = False
    if _has_sequence(ds, "VOILUTSequence"):
        item = _value(ds, "VOILUTSequence")[0]
        has_lut = item.get("LUTDescriptor") is not None and item.get("LUTData") is not None
    has_window = _value(ds, "WindowCenter") is not None and _value(ds, "WindowWidth") is not None
    if has_lut and (prefer_lut or not has_window):
        return apply_voi(arr, ds, index, device=device)
    if has_window:
        return apply_windowing(arr, ds, index, dtype=dtype, device=device)
    return _as_device(arr, device)[0]


def ybr_full_to_rgb_reference(arr: np.ndarray) -> np.ndarray:
    """NumPy definition of ``dc_ybr_full_to_rgb_u8`` (float32, pydicom 3's rounding)."""
    m = _YBR_TO_RGB
    x = np.asarray(arr, dtype=np.float32)
    y = x[..., 0]
    cb = x[..., 1] - np.float32(128)
    cr = x[..., 2] - np.float32(128)
    rgb = np.stack([y + cr * m[2, 0], (y + cb * m[1, 1]) + cr * m[2, 1], y + cb * m[1, 2]], axis=-1)
    return np.clip(np.floor(rgb + np.float32(0.5)), 0, 255).astype(np.uint8)


def rgb_to_ybr_full_reference(arr: np.ndarray) -> np.ndarray:
    """NumPy definition of ``dc_rgb_to_ybr_full_u8`` (float32, pydicom 3's rounding)."""
    m = _RGB_TO_YBR
    x = np.asarray(arr, dtype=np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    ybr = np.stack([(r * m[0, k] + g * m[1, k]) + b * m[2, k] for k in range(3)], axis=-1)
    ybr = ybr + np.array([0.5, 128.5, 128.5], dtype=np.float32)
    return np.clip(np.floor(ybr), 0, 255).astype(np.uint8)


def convert_color_space(
    arr: Any, current: str, desired: str, per_frame: bool = False, *, device: Any = None
) -> Any:
    """Convert 8-bit colour samples between RGB and YBR_FULL on the GPU (PS3.3 C.7.6.3.1.2).

    As pydicom 3's ``convert_color_space``: ``arr`` is uint8 of shape
    ``(rows, columns, 3)`` or ``(frames, rows, columns, 3)``; YBR_FULL_422 is
    taken as YBR_FULL (its samples are already upsampled when decoded).
    ``per_frame=True`` converts in place (on the GPU this costs no extra
    memory either way, so it only decides whether ``arr`` is overwritten).

    Raises
    ------
    ValueError
        If ``arr`` is not uint8 with 3 samples.
    NotImplementedError
        For colour spaces other than RGB, YBR_FULL and YBR_FULL_422.
    """
    arr, engine = _as_device(arr, device)
    if np.dtype(arr.dtype) != np.uint8:
        raise ValueError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, must be 'uint8' "
            "or an equivalent"
        )
    ybr = ("YBR_FULL", "YBR_FULL_422")
    kinds = {"RGB": "rgb", "YBR_FULL": "ybr", "YBR_FULL_422": "ybr"}
    if current not in kinds or desired not in kinds:
        raise NotImplementedError(f"Conversion from {current} to {desired} is not supported.")
    if kinds[current] == kinds[desired]:
        return arr
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
        raise ValueError(
            f"colour conversion needs 3 samples per pixel, not shape {tuple(arr.shape)}"
        )
    xp = engine.xp
    with engine.activate():
        source = arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)
        out = source if per_frame and source is arr else xp.empty(arr.shape, dtype=np.uint8)
    pixels = int(arr.size) // 3
    if current in ybr:
        m = _YBR_TO_RGB
        engine.launch(
            "processing",
            "dc_ybr_full_to_rgb_u8",
            pixels,
            (source, out, np.int64(pixels), m[2, 0], m[1, 1], m[2, 1], m[1, 2]),
        )
    else:
        with engine.activate():
            matrix = engine.to_device(np.ascontiguousarray(_RGB_TO_YBR).reshape(-1))
        engine.launch(
            "processing", "dc_rgb_to_ybr_full_u8", pixels, (source, out, np.int64(pixels), matrix)
        )
    engine.synchronize()
    return out
