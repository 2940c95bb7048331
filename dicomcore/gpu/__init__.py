"""The GPU pixel path: DICOM pixel data decoded and processed on CUDA devices via CuPy.

CuPy is optional (``pip install dicomcore[cuda12]`` or ``dicomcore[cuda13]``).
Importing this package never needs it; calling anything that needs a device
without it raises ImportError (RuntimeError when CuPy is present but no CUDA
device is), saying what is missing.

* :func:`pixel_batch`: many paths or datasets to one ``cupy.ndarray``
  ``(N, rows, columns[, samples])``, optionally rescaled, windowed and cast to
  float16/32 on the way, DLPack-ready for ``torch.from_dlpack``.
* :func:`decode_dataset` / :func:`iter_frames`: one dataset, shaped as
  ``pixel_array`` / ``iter_pixels`` shape it.
* :mod:`~dicomcore.gpu.rle` (batched RLE Lossless), :mod:`~dicomcore.gpu.native`
  (uncompressed data), :mod:`~dicomcore.gpu.processing` (pydicom 3's
  ``apply_modality_lut``, ``apply_voi_lut``, ``apply_windowing``,
  ``convert_color_space``, ... on device arrays).

The kernels are in ``codecs/cuda/*.cu``, compiled at first use with NVRTC
through ``cupy.RawModule`` (see :mod:`~dicomcore.gpu.kernels`).
"""

from dicomcore.gpu.batch import decode_dataset, iter_frames, pixel_batch, to_dlpack
from dicomcore.gpu.device import INSTALL_HINT, is_available, parse_device, resolve_device
from dicomcore.gpu.engine import CupyEngine, Engine, get_engine

__all__ = [
    "INSTALL_HINT",
    "CupyEngine",
    "Engine",
    "decode_dataset",
    "get_engine",
    "is_available",
    "iter_frames",
    "parse_device",
    "pixel_batch",
    "resolve_device",
    "to_dlpack",
]
