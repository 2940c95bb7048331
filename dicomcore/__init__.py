"""dicomcore: fast DICOM reading, writing and pixel codecs with pydicom 3's API.

``import dicomcore as pydicom`` style code works: the public modules and names
mirror pydicom 3's (``dcmread``, ``dcmwrite``, ``Dataset``, ``FileDataset``,
``FileMetaDataset``, ``DataElement``, ``Sequence``, ``config``, ``pixel_array``,
``iter_pixels``, ``__dicom_version__``).
"""

from typing import Any

from dicomcore import config
from dicomcore._dicom_dict import DICOM_STANDARD_EDITION as __dicom_version__
from dicomcore.dataelem import DataElement
from dicomcore.dataset import Dataset, FileDataset, FileMetaDataset
from dicomcore.filereader import dcmread
from dicomcore.filewriter import dcmwrite
from dicomcore.sequence import Sequence

__version__ = "0.1.0"
__version_info__ = tuple(__version__.split("."))

__all__ = [
    "DataElement",
    "Dataset",
    "FileDataset",
    "FileMetaDataset",
    "Sequence",
    "__dicom_version__",
    "__version__",
    "__version_info__",
    "config",
    "dcmread",
    "dcmwrite",
    "iter_pixels",
    "pixel_array",
]


# Submodules reached as attributes (``pydicom.uid.ExplicitVRLittleEndian``,
# ``pydicom.encaps.encapsulate``) without ``import dicomcore`` importing them.
_LAZY_SUBMODULES = frozenset(
    {"cli", "codecs", "encaps", "filebase", "gpu", "jsonrep", "pixel_data_handlers", "pixels",
     "synthetic", "uid"}
)


def __getattr__(name: str) -> Any:
    # Loaded on first use (PEP 562): the pixel pipeline imports NumPy, which
    # ``import dicomcore`` alone does not need.
    if name in ("pixel_array", "iter_pixels"):
        from dicomcore import pixels

        return getattr(pixels, name)
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"dicomcore.{name}")
    raise AttributeError(f"module 'dicomcore' has no attribute {name!r}")
