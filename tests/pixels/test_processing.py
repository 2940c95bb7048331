"""dicomcore.pixels.processing against pydicom 3's processing functions, on the real
files that carry each kind of LUT and on synthetic tables for the cases none has."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.pixels.processing as theirs
import pytest

import datafiles
import dicomcore
from dicomcore.pixels import processing as ours

PALETTES = Path(pydicom.__file__).parent / "data" / "palettes"


def both(name: str) -> tuple[dicomcore.Dataset, pydicom.Dataset, np.ndarray]:
    path = datafiles.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pds = pydicom.dcmread(path)
        arr = pds.pixel_array
    return dicomcore.dcmread(path), pds, arr


def same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["CT_small.dcm", "mlut_18.dcm", "MR_small.dcm", "693_UNCI.dcm"])
def test_modality_lut_and_rescale(name):
    ods, pds, arr = both(name)
    same(ours.apply_modality_lut(arr, ods), theirs.apply_modality_lut(arr, pds))
    assert ours.apply_rescale is ours.apply_modality_lut


def test_voi_lut_sequence():
    ods, pds, arr = both("vlut_04.dcm")
    same(ours.apply_voi(arr, ods), theirs.apply_voi(arr, pds))
    same(ours.apply_voi_lut(arr, ods), theirs.apply_voi_lut(arr, pds))


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "693_UNCI.dcm", "mlut_18.dcm"])
def test_windowing_functions(function, name):
    ods, pds, arr = both(name)
    for ds in (ods, pds):
        ds.VOILUTFunction = function
        if "WindowCenter" not in ds:
            ds.WindowCenter, ds.WindowWidth = 1024, 2000
    values = theirs.apply_modality_lut(arr, pds)
    np.testing.assert_allclose(
        ours.apply_windowing(values, ods), theirs.apply_windowing(values, pds), rtol=1e-12
    )
    np.testing.assert_allclose(
        ours.apply_voi_lut(values, ods, prefer_lut=False),
        theirs.apply_voi_lut(values, pds, prefer_lut=False),
        rtol=1e-12,
    )


def test_windowing_errors():
    ods, _, arr = both("MR_small.dcm")
    ods.WindowWidth = 0
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        ours.apply_windowing(arr, ods)
    ods.VOILUTFunction = "CUBIC"
    ods.WindowWidth = 10
    with pytest.raises(ValueError, match="CUBIC"):
        ours.apply_windowing(arr, ods)


@pytest.mark.parametrize(
    "name", ["OBXXXX1A.dcm", "OBXXXX1A_2frame.dcm", "examples_palette.dcm",
             "gdcm-US-ALOKA-16.dcm", "gdcm-US-ALOKA-16_big.dcm"]
)
def test_palette_color_lut(name):
    ods, pds, arr = both(name)
    same(ours.apply_color_lut(arr, ods), theirs.apply_color_lut(arr, pds))


def test_palette_data_of_big_endian_file_read_in_its_byte_order():
    # pydicom 3 reads OW palette data of a big endian file as little endian, so its
    # colours differ from the little endian twin's; dicomcore's are the same.
    ods, _, arr = both("OBXXXX1A_expb.dcm")
    _, twin, twin_arr = both("OBXXXX1A.dcm")
    np.testing.assert_array_equal(arr, twin_arr)
    same(ours.apply_color_lut(arr, ods), theirs.apply_color_lut(twin_arr, twin))


@pytest.mark.parametrize("palette", sorted(p.name for p in PALETTES.glob("*.dcm")))
def test_well_known_palettes_from_their_datasets(palette):
    # pydicom ships the PS3.6 Annex B palettes; dicomcore takes them as datasets.
    arr = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ods = dicomcore.dcmread(PALETTES / palette)
    pds = pydicom.dcmread(PALETTES / palette)
    same(ours.apply_color_lut(arr, ods), theirs.apply_color_lut(arr, pds))
    with pytest.raises(ValueError, match="not shipped"):
        ours.apply_color_lut(arr, palette="PET")


def test_segmented_lut_with_indirect_segment_and_bad_tables():
    # Discrete 3 values, linear to 100 over 4, indirect: replay the first 2 segments.
    words = [0, 3, 10, 20, 30, 1, 4, 100, 2, 2, 0, 0]
    expanded = ours._expand_segments(words)
    # Linear values are rounded half to even, as pydicom rounds them: 47.5, 65, 82.5, 100.
    assert expanded[:7] == [10, 20, 30, 48, 65, 82, 100]
    assert expanded[7:] == [10, 20, 30, 48, 65, 82, 100]
    with pytest.raises(ValueError, match="first segment cannot be a linear"):
        ours._expand_segments([1, 4, 100])
    with pytest.raises(ValueError, match="unknown segment type"):
        ours._expand_segments([0, 1, 5, 7, 1])
    with pytest.raises(ValueError, match="nested too deeply"):
        ours._expand_segments([0, 1, 5, 2, 2, 0, 0])  # an indirect segment replaying itself


def test_presentation_lut_shape_and_sequence():
    ods, pds, arr = both("MR_small.dcm")
    for ds in (ods, pds):
        ds.PresentationLUTShape = "INVERSE"
    same(ours.apply_presentation_lut(arr, ods), theirs.apply_presentation_lut(arr, pds))
    lut = (np.arange(4096, dtype=np.uint16) * 16) & 0xFFF0
    for ds, module in ((ods, dicomcore), (pds, pydicom)):
        del ds.PresentationLUTShape
        item = module.Dataset()
        item.LUTDescriptor = [4096, 0, 12]
        item.add_new(0x00283006, "OW", lut.tobytes())
        ds.PresentationLUTSequence = [item]
    same(ours.apply_presentation_lut(arr, ods), theirs.apply_presentation_lut(arr, pds))


@pytest.mark.parametrize("name", ["SC_rgb.dcm", "SC_rgb_2frame.dcm", "US1_UNCR.dcm"])
def test_color_space_conversions(name):
    _, _, arr = both(name)
    ybr_ours = ours.convert_color_space(arr, "RGB", "YBR_FULL")
    same(ybr_ours, theirs.convert_color_space(arr, "RGB", "YBR_FULL"))
    same(ours.convert_color_space(ybr_ours, "YBR_FULL", "RGB"),
         theirs.convert_color_space(ybr_ours, "YBR_FULL", "RGB"))
    same(ours.convert_color_space(ybr_ours, "YBR_FULL_422", "RGB"),
         theirs.convert_color_space(ybr_ours, "YBR_FULL_422", "RGB"))
    # Every 8-bit YCbCr triple: the C kernel and pydicom's float32 product agree.
    grid = np.stack(np.meshgrid(np.arange(256), np.arange(0, 256, 3), np.arange(0, 256, 5),
                                indexing="ij"), axis=-1).astype(np.uint8)
    same(ours.convert_color_space(grid, "YBR_FULL", "RGB"),
         theirs.convert_color_space(grid, "YBR_FULL", "RGB"))
    with pytest.raises(ValueError, match="uint8"):
        ours.convert_color_space(arr.astype(np.uint16), "RGB", "YBR_FULL")
    with pytest.raises(NotImplementedError):
        ours.convert_color_space(arr, "RGB", "HSV")
