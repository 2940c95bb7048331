"""Optional JPEG 2000 and HTJ2K decoding on the GPU through NVIDIA nvImageCodec.

When the ``nvidia-nvimgcodec`` Python package is installed, :func:`decode_frames`
decodes JPEG 2000 (PS3.5 A.4.4) and HTJ2K (A.4.11) frames on the GPU in one
batched call; :mod:`dicomcore.gpu.batch` uses it when asked to
(``j2k_decoder="nvimgcodec"``). It is a plugin, never a requirement: without
it JPEG 2000 frames are decoded on CPU threads and uploaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["TRANSFER_SYNTAXES", "decode_frames", "is_available"]

#: The transfer syntaxes nvImageCodec decodes here: JPEG 2000 and HTJ2K.
TRANSFER_SYNTAXES: tuple[str, ...] = (
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
)

_INSTALL_HINT = "install NVIDIA's nvImageCodec with 'pip install nvidia-nvimgcodec-cu12' (or -cu13)"


def _module() -> Any:
    try:
        return importlib.import_module("nvidia.nvimgcodec")
    except ImportError as exc:
        raise ImportError(f"GPU JPEG 2000 decoding needs nvImageCodec: {_INSTALL_HINT}") from exc


def is_available() -> bool:
    """Return True when the nvImageCodec Python package imports."""
    try:
        _module()
    except ImportError:
        return False
    return True


def decode_frames(frames: Sequence[Any], out: Any, engine: Any) -> None:
    """Decode JPEG 2000 / HTJ2K ``frames`` into the device array ``out`` with nvImageCodec.

    Parameters
    ----------
    frames : sequence of bytes-like
        One codestream per frame.
    out : cupy.ndarray
        ``(frames, rows, columns[, samples])`` of the dataset's sample dtype; each
        decoded image is checked against its frame shape and cast to its dtype
        (signed data keeps its bit pattern).
    engine : CupyEngine
        The device.

    Raises
    ------
    ValueError
        If nvImageCodec cannot decode a frame or gives a different shape,
        naming the frame.
    """
    codec = _module()
    xp = engine.xp
    # Native bit depth and samples as stored: by default nvImageCodec scales to 8 bits
    # and converts to sRGB, which is not what the DICOM pixel data holds.
    params = codec.DecodeParams(color_spec=codec.ColorSpec.UNCHANGED, allow_any_depth=True)
    data = [bytes(memoryview(f).cast("B")) for f in frames]
    sources = [codec.DecodeSource(d) for d in data] if hasattr(codec, "DecodeSource") else data
    with engine.activate():
        decoder = codec.Decoder(device_id=engine.device.id)
        images = decoder.decode(sources, params=params, cuda_stream=engine.stream.ptr)
        for i, image in enumerate(images):
            if image is None:
                raise ValueError(f"frame {i}: nvImageCodec could not decode the JPEG 2000 data")
            decoded = xp.asarray(image)
            if decoded.ndim == 3 and out.ndim == 3:
                decoded = decoded[..., 0] if decoded.shape[-1] == 1 else decoded
            if tuple(decoded.shape) != tuple(out.shape[1:]):
                raise ValueError(
                    f"frame {i}: nvImageCodec decoded shape {tuple(decoded.shape)}, the dataset "
                    f"says {tuple(out.shape[1:])}"
                )
            target = np.dtype(out.dtype)
            if decoded.dtype.itemsize == target.itemsize and decoded.dtype.kind in "iu":
                out[i] = decoded.view(target)
            else:
                out[i] = decoded.astype(target)
    engine.synchronize()
