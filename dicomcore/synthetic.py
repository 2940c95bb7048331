"""Realistic synthetic DICOM data for demos, tests and benchmarks.

The images are an analytic head-like phantom in Hounsfield units with a little
noise, so codecs see data shaped like real CT rather than random bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dicomcore.dataset import Dataset, FileMetaDataset
from dicomcore.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

# (centre x, centre y, semi-axis x, semi-axis y, angle in degrees, HU added)
_ELLIPSES = [
    (0.0, 0.0, 0.69, 0.92, 0, 1000 + 40),   # skull outline filled with soft tissue
    (0.0, -0.0184, 0.6624, 0.874, 0, -1000),  # inside the skull
    (0.0, -0.0184, 0.6424, 0.854, 0, 1040),   # brain
    (0.22, 0.0, 0.11, 0.31, -18, -1040 + 10),  # ventricles (CSF)
    (-0.22, 0.0, 0.16, 0.41, 18, -1040 + 10),
    (0.0, 0.35, 0.21, 0.25, 0, 30),
    (0.0, 0.1, 0.046, 0.046, 0, 20),
    (-0.08, -0.605, 0.046, 0.023, 0, 60),
]


def phantom(size: int, slice_position: float = 0.0, seed: int = 0) -> np.ndarray:
    """A ``size`` x ``size`` CT slice in Hounsfield units (int16)."""
    y, x = np.mgrid[-1:1:size * 1j, -1:1:size * 1j]
    image = np.full((size, size), -1000.0)
    scale = np.sqrt(max(0.05, 1.0 - slice_position**2))
    for cx, cy, ax, ay, angle, value in _ELLIPSES:
        theta = np.radians(angle)
        dx, dy = x - cx, y - cy
        u = dx * np.cos(theta) + dy * np.sin(theta)
        v = -dx * np.sin(theta) + dy * np.cos(theta)
        image[(u / (ax * scale)) ** 2 + (v / (ay * scale)) ** 2 <= 1.0] += value
    rng = np.random.default_rng(seed)
    image += rng.normal(0.0, 6.0, image.shape)
    return np.clip(np.round(image), -1024, 3071).astype(np.int16)


def ct_dataset(
    pixels: np.ndarray,
    *,
    instance: int,
    study_uid: str,
    series_uid: str,
    frame_of_reference_uid: str,
    slice_location: float,
) -> Dataset:
    """A CT Image Storage dataset holding ``pixels`` (HU) as 12-bit unsigned data."""
    ds = Dataset()
    sop_instance_uid = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop_instance_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.Modality = "CT"
    ds.Manufacturer = "dicomcore"
    ds.StudyDescription = "Synthetic head phantom"
    ds.PatientName = "Phantom^Head"
    ds.PatientID = "DC-0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.SliceThickness = "2.5"
    ds.KVP = "120"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = instance
    ds.ImagePositionPatient = ["-125.0", "-125.0", f"{slice_location:.1f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = frame_of_reference_uid
    ds.SliceLocation = f"{slice_location:.1f}"
    item = Dataset()
    item.CodeValue = "T-A0100"
    item.CodingSchemeDesignator = "SRT"
    item.CodeMeaning = "Brain"
    ds.AnatomicRegionSequence = [item]
    rows, columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.PixelSpacing = [f"{250 / columns:.4f}", f"{250 / rows:.4f}"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    stored = (pixels.astype(np.int32) + 1024).clip(0, 4095).astype("<u2")
    ds.PixelData = stored.tobytes()
    return ds


def ct_study(folder: Path, slices: int = 8, size: int = 256) -> list[Path]:
    """Write a CT study of ``slices`` files into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uid, series_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for number in range(slices):
        position = -0.8 + 1.6 * number / max(1, slices - 1)
        ds = ct_dataset(
            phantom(size, position, seed=number),
            instance=number + 1,
            study_uid=study_uid,
            series_uid=series_uid,
            frame_of_reference_uid=frame_uid,
            slice_location=position * 100,
        )
        path = folder / f"CT{number + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
