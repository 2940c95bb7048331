"""pydicom 3's DicomIO streams (dicomcore.filebase) and the writers that use their encoding."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.filebase import DicomBytesIO as TheirBytesIO
from pydicom.filewriter import write_data_element as their_write_element
from pydicom.filewriter import write_dataset as their_write_dataset

import datafiles
import dicomcore
from dicomcore.filebase import DicomBytesIO
from dicomcore.filewriter import write_data_element, write_dataset

ENCODINGS = [(True, True), (False, True), (False, False)]


def _stream(cls, implicit, little):
    fp = cls()
    fp.is_implicit_VR, fp.is_little_endian = implicit, little
    return fp


@pytest.mark.parametrize(("implicit", "little"), ENCODINGS)
@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm"])
def test_write_dataset_uses_the_streams_encoding_as_pydicom_3(name, implicit, little):
    path = datafiles.get(name)
    ours, theirs = _stream(DicomBytesIO, implicit, little), _stream(TheirBytesIO, implicit, little)
    count = write_dataset(ours, dicomcore.dcmread(path, stop_before_pixels=True))
    their_count = their_write_dataset(theirs, pydicom.dcmread(path, stop_before_pixels=True))
    assert ours.getvalue() == theirs.getvalue()
    assert count == their_count == len(ours.getvalue())


@pytest.mark.parametrize(("implicit", "little"), ENCODINGS)
@pytest.mark.parametrize("keyword", ["PatientName", "Rows", "ImagePositionPatient", "PixelSpacing",
                                     "SOPInstanceUID", "ImageType"])
def test_write_data_element_as_pydicom_3(keyword, implicit, little):
    path = datafiles.get("CT_small.dcm")
    ours, theirs = _stream(DicomBytesIO, implicit, little), _stream(TheirBytesIO, implicit, little)
    write_data_element(ours, dicomcore.dcmread(path)[keyword])
    their_write_element(theirs, pydicom.dcmread(path)[keyword])
    assert ours.getvalue() == theirs.getvalue()


@pytest.mark.parametrize("little", [True, False])
def test_stream_helpers_read_and_write_in_the_streams_byte_order(little):
    ours, theirs = _stream(DicomBytesIO, False, little), _stream(TheirBytesIO, False, little)
    for fp in (ours, theirs):
        fp.write_tag(0x00280010)
        fp.write_US(512)
        fp.write_UL(70000)
    assert ours.getvalue() == theirs.getvalue()
    back = DicomBytesIO(ours.getvalue())
    back.is_little_endian = little
    assert (back.read_tag(), back.read_US(), back.read_UL()) == (0x00280010, 512, 70000)
    with pytest.raises(EOFError, match="4 bytes wanted at offset 0xa, only 0 left"):
        back.read_UL()


def test_filebase_is_an_attribute_of_the_package():
    assert dicomcore.filebase.DicomBytesIO is DicomBytesIO
