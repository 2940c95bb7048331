"""pydicom 3's deprecated pixel_data_handlers.util names (dicomcore.pixel_data_handlers.util)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.pixel_data_handlers import util as pydicom_util

import datafiles
import dicomcore
from dicomcore import pixels
from dicomcore.pixel_data_handlers import util
from dicomcore.pixels import utils as pixels_utils

# pydicom 3's deprecated util names (served lazily there, so not in its dir()).
OLD_NAMES = [
    "apply_color_lut", "apply_modality_lut", "apply_voi", "apply_voi_lut", "apply_windowing",
    "convert_color_space", "expand_ybr422", "get_expected_length", "get_image_pixel_ids",
    "get_j2k_parameters", "get_nr_frames", "pack_bits", "pixel_dtype", "reshape_pixel_array",
    "unpack_bits",
]


def test_the_old_names_are_pydicom_3s():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all(callable(getattr(pydicom_util, name)) for name in OLD_NAMES)
    assert set(OLD_NAMES) <= set(dir(util))


@pytest.mark.parametrize("name", OLD_NAMES)
def test_old_names_warn_and_lead_to_the_new_functions(name):
    new = getattr(pixels, name, None) or getattr(pixels_utils, name)
    with pytest.warns(DeprecationWarning, match=f"import {name}"):
        assert getattr(util, name) is new


def test_old_import_statement_gives_pydicom_3s_results():
    with pytest.warns(DeprecationWarning):
        from dicomcore.pixel_data_handlers.util import apply_voi_lut
    path = datafiles.get("CT_small.dcm")
    ours = dicomcore.dcmread(path)
    theirs = pydicom.dcmread(path)
    ours.WindowCenter, ours.WindowWidth = 40, 400
    theirs.WindowCenter, theirs.WindowWidth = 40, 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pydicom_util.apply_voi_lut(theirs.pixel_array, theirs)
    np.testing.assert_array_equal(apply_voi_lut(ours.pixel_array, ours), expected)


def test_unknown_names_fail_as_attributes_do():
    with pytest.raises(AttributeError, match="no attribute 'rle_handler'"):
        util.rle_handler  # noqa: B018


@pytest.mark.parametrize("little", [True, False])
def test_dtype_corrected_for_endianness_as_pydicom_3(little):
    for dtype in (np.dtype("uint16"), np.dtype("int32"), np.dtype("uint8")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = pydicom_util.dtype_corrected_for_endianness(little, dtype)
        with pytest.warns(DeprecationWarning):
            assert util.dtype_corrected_for_endianness(little, dtype) == expected
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="byte order"):
        util.dtype_corrected_for_endianness(None, np.dtype("uint16"))


def test_reached_as_an_attribute_without_being_imported_by_import_dicomcore():
    code = (
        "import sys, dicomcore\n"
        "assert 'dicomcore.pixel_data_handlers' not in sys.modules\n"
        "assert dicomcore.pixel_data_handlers.util.__name__ == 'dicomcore.pixel_data_handlers.util'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
