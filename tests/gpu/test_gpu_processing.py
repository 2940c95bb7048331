"""Tests for dicomcore.gpu.processing: LUTs, windowing, casting and colour on the GPU.

The NumPy references are checked against pydicom 3's processing functions on
real files and made-up datasets; the kernels against the references (exactly,
bit for bit, except where a transcendental function is involved) on the CPU
emulation and, where a CUDA device is present, on the GPU.
"""

from __future__ import annotations

import itertools
import warnings

import gpu_files
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import processing as pydicom_processing

import dicomcore
from dicomcore.gpu import processing
from dicomcore.gpu.processing import FrameParameters


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _pixels(ds) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.pixel_array


def _windowed_files():
    found = []
    for path in gpu_files.with_syntax(*gpu_files.NATIVE):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        if any(
            k in ds
            for k in ("WindowCenter", "RescaleSlope", "ModalityLUTSequence", "VOILUTSequence")
        ):
            if path.name != "MR_truncated.dcm":  # its pixel data is cut short
                found.append(path)
    return gpu_files.params(found)


WINDOWED_FILES = _windowed_files()


def _image_ds(bits_stored=12, signed=0, **values) -> Dataset:
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.PixelRepresentation = signed
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def _stored_values(ds: Dataset, count: int = 4096, seed: int = 0) -> np.ndarray:
    bits = int(ds.BitsStored)
    rng = np.random.default_rng(seed)
    if ds.PixelRepresentation:
        values = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=count)
        return values.astype(np.int16)
    return rng.integers(0, 2**bits, size=count).astype(np.uint16)


# -- The references against pydicom -------------------------------------------------------

WINDOW_CASES = [
    pytest.param(
        function,
        center,
        width,
        slope,
        intercept,
        signed,
        id=f"{function}-c{center}-w{width}-m{slope}-b{intercept}-{'i' if signed else 'u'}",
    )
    for function, (center, width), (slope, intercept), signed in itertools.product(
        ("LINEAR", "LINEAR_EXACT", "SIGMOID", None),
        ((40, 400), (1024.5, 1), (-600, 1500), (0, 0.5)),
        ((1, -1024), (0.5, 3), (-2, 0), (None, None)),
        (0, 1),
    )
    if not (function in (None, "LINEAR") and width < 1)
]


def _window_ds(function, center, width, slope, intercept, signed) -> Dataset:
    values = {"WindowCenter": center, "WindowWidth": width}
    if function is not None:
        values["VOILUTFunction"] = function
    if slope is not None:
        values["RescaleSlope"] = slope
        values["RescaleIntercept"] = intercept
    return _image_ds(signed=signed, **values)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize(
    ("function", "center", "width", "slope", "intercept", "signed"), WINDOW_CASES
)
def test_transform_reference_equals_pydicom(function, center, width, slope, intercept, signed):
    ds = _window_ds(function, center, width, slope, intercept, signed)
    arr = _stored_values(ds)
    expected = pydicom_processing.apply_voi_lut(pydicom_processing.apply_modality_lut(arr, ds), ds)
    params = processing.frame_parameters(ds)
    got = processing.transform_reference(arr, params, np.float64, per_frame=False)
    np.testing.assert_array_equal(got, expected)  # same float64 operations, same order
    # Narrower outputs are the pydicom values rounded once.
    for dtype in (np.float32, np.float16):
        np.testing.assert_array_equal(
            processing.transform_reference(arr, params, dtype, per_frame=False),
            expected.astype(dtype),
        )


@pytest.mark.parametrize("path", WINDOWED_FILES)
def test_transform_reference_equals_pydicom_on_real_files(path):
    ds = _read(path)
    arr = _pixels(ds)
    expected = pydicom_processing.apply_voi_lut(pydicom_processing.apply_modality_lut(arr, ds), ds)
    params = processing.frame_parameters(ds)
    if params is None:  # a Modality or VOI LUT Sequence: lookups, tested below
        assert "ModalityLUTSequence" in ds or "VOILUTSequence" in ds
        return
    got = processing.transform_reference(arr, params, np.float64, per_frame=False)
    np.testing.assert_array_equal(got, expected)


def test_normalise_maps_the_output_range_to_0_1():
    ds = _window_ds("LINEAR", 40, 400, 1, -1024, 1)
    rescaled = np.array([-5000, 40 - 200, 40, 40 + 199, 5000])  # around the window [-160, 240]
    stored = (rescaled + 1024).astype(np.int16)
    params = processing.frame_parameters(ds, normalise=True)
    got = processing.transform_reference(stored, params, np.float64, per_frame=False)
    assert got[0] == 0.0 and got[-1] == 1.0
    assert 0.49 < got[2] < 0.51
    # Without a window: the rescaled range of the stored values.
    ds_plain = _image_ds(bits_stored=12, signed=0, RescaleSlope=2, RescaleIntercept=10)
    params = processing.frame_parameters(ds_plain, normalise=True)
    got = processing.transform_reference(
        np.array([0, 4095], np.uint16), params, np.float64, per_frame=False
    )
    np.testing.assert_allclose(got, [0.0, 1.0], atol=1e-15)


def test_frame_parameters_defer_to_luts():
    lut_item = Dataset()
    lut_item.LUTDescriptor = [4, 0, 8]
    lut_item.LUTData = [0, 10, 20, 30]
    with_voi_lut = _image_ds(WindowCenter=10, WindowWidth=20)
    with_voi_lut.VOILUTSequence = [lut_item]
    assert processing.frame_parameters(with_voi_lut) is None
    assert (
        processing.frame_parameters(with_voi_lut, prefer_lut=False).mode == processing.MODE_LINEAR
    )
    with_modality_lut = _image_ds()
    with_modality_lut.ModalityLUTSequence = [lut_item]
    assert processing.frame_parameters(with_modality_lut) is None
    assert processing.frame_parameters(with_modality_lut, modality=False, voi=False).mode == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"WindowCenter": 0, "WindowWidth": 0.5}, "greater than or equal to 1"),
        ({"WindowCenter": 0, "WindowWidth": 0, "VOILUTFunction": "LINEAR_EXACT"}, "greater than 0"),
        ({"WindowCenter": 0, "WindowWidth": 0, "VOILUTFunction": "SIGMOID"}, "greater than 0"),
        ({"WindowCenter": 0, "WindowWidth": 10, "VOILUTFunction": "CUBIC"}, "Unsupported"),
        ({"WindowCenter": 0, "WindowWidth": 10, "PhotometricInterpretation": "RGB"}, "MONOCHROME"),
    ],
)
def test_window_errors_as_pydicom(engine, values, message):
    ds = _image_ds(**values)
    arr = _stored_values(ds, 16)
    with pytest.raises(ValueError, match=message):
        pydicom_processing.apply_windowing(arr, ds)
    with pytest.raises(ValueError, match=message):
        processing.apply_windowing(engine.to_device(arr), ds, device=engine)


# -- The transform kernel against the reference --------------------------------------------

INPUT_TYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "f4", "f8"]
OUTPUT_TYPES = [np.float16, np.float32, np.float64]


def _frames_of(dtype: str, frames: int = 3, size: int = 257) -> np.ndarray:
    rng = np.random.default_rng(len(dtype) + ord(dtype[0]) + int(dtype[1]))
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return (rng.standard_normal((frames, 1, size)) * 3000).astype(kind)
    info = np.iinfo(kind)
    return rng.integers(info.min, info.max, size=(frames, 1, size), endpoint=True, dtype=kind)


def _per_frame_parameters(mode: int) -> list[FrameParameters]:
    return [
        FrameParameters(1.0, -1024.0, 39.5, 399.0, -1024.0, 3071.0, 1 / 4095, 1024 / 4095, mode),
        FrameParameters(0.25, 3.5, -100.0, 60.0, 0.0, 255.0, 1.0, 0.0, mode),
        FrameParameters(-2.0, 7.0, 1e5, 3e5, -70000.0, 70000.0, 1e-3, 0.5, mode),
    ]


@pytest.mark.parametrize(
    "mode", [processing.MODE_NONE, processing.MODE_LINEAR, processing.MODE_SIGMOID]
)
@pytest.mark.parametrize("in_type", INPUT_TYPES)
def test_transform_kernel_equals_reference(engine, in_type, mode):
    arr = _frames_of(in_type)
    params = _per_frame_parameters(mode)
    for out_type in OUTPUT_TYPES:
        expected = processing.transform_reference(arr, params, out_type)
        got = engine.to_host(
            processing.transform(engine.to_device(arr), params, out_type, device=engine)
        )
        assert got.dtype == np.dtype(out_type)
        if mode == processing.MODE_SIGMOID:
            # exp() of two libraries may differ in the last bit of a double, which
            # the output scaling can amplify by a few bits; rounded to float32 or
            # float16 it is then at most one step.
            if out_type == np.float64:
                np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
            else:
                np.testing.assert_array_max_ulp(got, expected, maxulp=1)
        else:
            np.testing.assert_array_equal(got, expected)


def test_transform_one_parameter_row_for_every_frame_and_out(engine):
    arr = _frames_of("i2", frames=4)
    params = FrameParameters(
        slope=1.5, intercept=-3, center=0, width=100, y_min=-10, y_max=10, mode=1
    )
    expected = processing.transform_reference(arr, params, np.float32)
    with engine.activate():
        out = engine.xp.zeros(arr.shape, dtype=np.float32)
    result = processing.transform(engine.to_device(arr), params, np.float32, out=out, device=engine)
    assert result is out
    np.testing.assert_array_equal(engine.to_host(out), expected)
    with pytest.raises(ValueError, match="parameter rows"):
        processing.transform(engine.to_device(arr), [params] * 3, np.float32, device=engine)
    with pytest.raises(ValueError, match="float16, float32 or float64"):
        processing.transform(engine.to_device(arr), params, np.int32, device=engine)


def _half_candidates() -> np.ndarray:
    """Doubles around every float16 value, its midpoints, and the edges of the range."""
    halves = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
    midpoints = (halves[:-1] + halves[1:]) / 2
    around = np.concatenate(
        [midpoints, np.nextafter(midpoints, 0), np.nextafter(midpoints, np.inf)]
    )
    edges = np.array(
        [
            0.0,
            65504.0,
            65519.99999,
            65520.0,
            1e300,
            2.0**-24,
            2.0**-25,
            2.0**-25 * 1.0000001,
            2.0**-26,
            5e-324,
            np.inf,
            2.0**-14,
            2.0**-14 - 2.0**-25,
        ]
    )
    rng = np.random.default_rng(3)
    random = rng.standard_normal(20000) * 10.0 ** rng.uniform(-9, 6, 20000)
    values = np.concatenate([halves, around, edges, random])
    return np.concatenate([values, -values])


def test_float16_rounding_is_numpys(engine):
    values = _half_candidates()
    with np.errstate(over="ignore"):
        expected = values.astype(np.float16)
    got = engine.to_host(processing.to_float(engine.to_device(values), np.float16, device=engine))
    np.testing.assert_array_equal(got.view(np.uint16), expected.view(np.uint16))
    nan = engine.to_host(
        processing.to_float(
            engine.to_device(np.array([np.nan, -np.nan])), np.float16, device=engine
        )
    )
    assert np.isnan(nan).all()


def test_to_float_value_range(engine):
    arr = np.array([[0, 2048, 4095]], dtype=np.uint16)
    got = engine.to_host(
        processing.to_float(engine.to_device(arr), np.float32, value_range=(0, 4095), device=engine)
    )
    np.testing.assert_array_equal(
        got,
        processing.transform_reference(
            arr, FrameParameters(scale=1 / 4095, offset=0.0), np.float32
        ),
    )
    assert got[0, 0] == 0 and got[0, 2] == 1
    with pytest.raises(ValueError, match="empty"):
        processing.to_float(engine.to_device(arr), value_range=(3, 3), device=engine)


# -- pydicom's functions on device arrays ---------------------------------------------------


@pytest.mark.parametrize("path", WINDOWED_FILES)
def test_pydicom_named_functions_on_real_files(engine, path):
    ds = _read(path)
    arr = _pixels(ds)
    expected_modality = pydicom_processing.apply_modality_lut(arr, ds)
    got_modality = engine.to_host(
        processing.apply_modality_lut(engine.to_device(arr), ds, device=engine)
    )
    assert got_modality.dtype == expected_modality.dtype
    np.testing.assert_array_equal(got_modality, expected_modality)
    expected = pydicom_processing.apply_voi_lut(expected_modality, ds)
    got = engine.to_host(
        processing.apply_voi_lut(engine.to_device(expected_modality), ds, device=engine)
    )
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    if "WindowCenter" in ds:
        windowed = pydicom_processing.apply_windowing(expected_modality, ds)
        got32 = engine.to_host(
            processing.apply_windowing(
                engine.to_device(expected_modality), ds, dtype=np.float32, device=engine
            )
        )
        np.testing.assert_array_equal(got32, windowed.astype(np.float32))


def test_dicomcore_datasets_work_too(engine):
    path = next(p.values[0] for p in WINDOWED_FILES if p.values[0].name == "693_UNCI.dcm")
    ds = dicomcore.dcmread(path)
    reference_ds = _read(path)
    arr = _pixels(reference_ds)
    expected = pydicom_processing.apply_voi_lut(
        pydicom_processing.apply_modality_lut(arr, reference_ds), reference_ds
    )
    rescaled = processing.apply_modality_lut(engine.to_device(arr), ds, device=engine)
    got = engine.to_host(processing.apply_voi_lut(rescaled, ds, device=engine))
    np.testing.assert_array_equal(got, expected)


def _lut_ds(kind: str, descriptor, data, vr="US", **values) -> Dataset:
    ds = _image_ds(**values)
    item = Dataset()
    item.LUTDescriptor = descriptor
    if vr == "OW":
        item.add_new(0x00283006, "OW", np.asarray(data, dtype="<u2").tobytes())
    else:
        item.LUTData = data
    setattr(ds, kind, [item])
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    return ds


@pytest.mark.parametrize("vr", ["US", "OW"])
@pytest.mark.parametrize("first_map", [0, 100, -20])
def test_luts_as_pydicom(engine, vr, first_map):
    table = list(range(0, 3000, 7))
    arr = np.arange(-50, 600, dtype=np.int16).reshape(10, 65)
    ds = _lut_ds("ModalityLUTSequence", [len(table), first_map, 16], table, vr)
    expected = pydicom_processing.apply_modality_lut(arr, ds)
    got = engine.to_host(processing.apply_modality_lut(engine.to_device(arr), ds, device=engine))
    np.testing.assert_array_equal(got, expected)
    voi = _lut_ds(
        "VOILUTSequence", [len(table), first_map, 12], table, vr, WindowCenter=0, WindowWidth=10
    )
    expected = pydicom_processing.apply_voi_lut(arr, voi)
    got = engine.to_host(processing.apply_voi_lut(engine.to_device(arr), voi, device=engine))
    assert got.dtype == expected.dtype == np.uint16
    np.testing.assert_array_equal(got, expected)
    expected = pydicom_processing.apply_voi_lut(arr, voi, prefer_lut=False)
    got = engine.to_host(
        processing.apply_voi_lut(engine.to_device(arr), voi, prefer_lut=False, device=engine)
    )
    np.testing.assert_array_equal(got, expected)


def test_voi_lut_depth_must_be_supported(engine):
    ds = _lut_ds("VOILUTSequence", [4, 0, 9], [1, 2, 3, 4])
    with pytest.raises(NotImplementedError, match="'9' bits"):
        processing.apply_voi(engine.to_device(np.zeros(3, np.uint16)), ds, device=engine)


def test_nothing_to_apply_returns_the_array(engine):
    ds = _image_ds()
    arr = engine.to_device(np.arange(6, dtype=np.uint16))
    for function in (
        processing.apply_modality_lut,
        processing.apply_voi_lut,
        processing.apply_windowing,
        processing.apply_voi,
    ):
        assert function(arr, ds, device=engine) is arr


# -- Colour --------------------------------------------------------------------------------


def _colour_samples() -> np.ndarray:
    rng = np.random.default_rng(11)
    corners = np.array(
        list(itertools.product((0, 1, 127, 128, 129, 254, 255), repeat=3)), dtype=np.uint8
    )
    random = rng.integers(0, 256, size=(300000, 3), dtype=np.uint8)
    pixels = np.concatenate([corners, random])
    return pixels[: len(pixels) // 7 * 7].reshape(-1, 7, 3)


def test_colour_references_match_pydicom():
    arr = _colour_samples()
    for reference, current, desired in (
        (processing.ybr_full_to_rgb_reference, "YBR_FULL", "RGB"),
        (processing.rgb_to_ybr_full_reference, "RGB", "YBR_FULL"),
    ):
        expected = pydicom_processing.convert_color_space(arr, current, desired)
        got = reference(arr)
        difference = np.abs(got.astype(int) - expected.astype(int))
        # pydicom's matrix product may fuse multiply-adds; a value exactly at .5
        # can then round the other way. Never by more than one.
        assert difference.max() <= 1
        assert (difference > 0).mean() < 1e-4


@pytest.mark.parametrize(
    ("current", "desired"), [("YBR_FULL", "RGB"), ("YBR_FULL_422", "RGB"), ("RGB", "YBR_FULL")]
)
def test_colour_kernels_equal_references(engine, current, desired):
    arr = _colour_samples()
    reference = (
        processing.rgb_to_ybr_full_reference
        if current == "RGB"
        else processing.ybr_full_to_rgb_reference
    )
    expected = reference(arr)
    source = engine.to_device(arr)
    got = processing.convert_color_space(source, current, desired, device=engine)
    np.testing.assert_array_equal(engine.to_host(got), expected)
    np.testing.assert_array_equal(engine.to_host(source), arr)  # a new array by default
    in_place = processing.convert_color_space(
        source, current, desired, per_frame=True, device=engine
    )
    assert in_place is source
    np.testing.assert_array_equal(engine.to_host(source), expected)


def test_colour_conversion_errors(engine):
    arr = engine.to_device(np.zeros((2, 2, 3), dtype=np.uint8))
    assert processing.convert_color_space(arr, "YBR_FULL", "YBR_FULL_422", device=engine) is arr
    with pytest.raises(NotImplementedError, match="HSV"):
        processing.convert_color_space(arr, "HSV", "RGB", device=engine)
    with pytest.raises(ValueError, match="uint8"):
        processing.convert_color_space(
            engine.to_device(np.zeros((2, 2, 3), np.uint16)), "YBR_FULL", "RGB", device=engine
        )
