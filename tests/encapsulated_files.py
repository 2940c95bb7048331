"""Writing test images as DICOM files with pydicom, for the command-line tools (GDCM, DCMTK).

pydicom writes them so that interop tests do not trust dicomcore's own writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def write_image_file(path: Path, frames: list[bytes], image: np.ndarray, syntax: str,
                     bits_stored: int, signed: bool, photometric: str) -> None:
    """Write one Secondary Capture file holding ``frames`` encoded in ``syntax``.

    ``image`` gives the Image Pixel values of one frame (rows, columns, samples,
    bits allocated); for Explicit VR Little Endian its bytes are the native pixel
    data. More than one frame sets Number of Frames.
    """
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = image.shape[:2]
    ds.SamplesPerPixel = 1 if image.ndim == 2 else image.shape[2]
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = image.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    if syntax == ExplicitVRLittleEndian:
        ds.PixelData = image.tobytes()
    else:
        ds.PixelData = encapsulate(frames)
        ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
