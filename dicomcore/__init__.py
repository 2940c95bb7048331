"""dicomcore: fast DICOM reading, writing and pixel codecs with pydicom 3's API.

``import dicomcore as pydicom`` style code works: the public modules and names
mirror pydicom 3's (``dcmread``, ``dcmwrite``, ``Dataset``, ``FileDataset``,
``FileMetaDataset``, ``DataElement``, ``Sequence``, ``config``).
"""

from dicomcore import config
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
    "__version__",
    "config",
    "dcmread",
    "dcmwrite",
]
