"""dicomcore.pixels.utils against pydicom 3's pydicom.pixels.utils.

Oracle: pydicom 3, on every real image file (read with pydicom for theirs and
with dicomcore for ours) and on small datasets built the same way in both
libraries. Results must be equal; where pydicom raises, we raise the same type;
where pydicom warns about (0028,0008) Number of Frames, we warn too.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pydicom.pixels.utils as their_utils
import pytest

import datafiles
import dicomcore
import dicomcore.pixels
from dicomcore import encaps
from dicomcore.codecs import jpeg2000
from dicomcore.pixels import utils as our_utils
from oracle import pydicom_read

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
J2K = {
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
}
EXPLICIT_LE = "1.2.840.10008.1.2.1"


# -- the real files ----------------------------------------------------------------------


def _image_files() -> list[tuple[Path, bool]]:
    """(path, needs force) of every real file with pixel data that pydicom reads."""
    found = []
    for path in datafiles.all_files():
        force = False
        ds = pydicom_read(path, defer_size=256)
        if ds is None:
            force = True
            ds = pydicom_read(path, defer_size=256, force=True)
        if ds is not None and any(k in ds for k in PIXEL_KEYWORDS):
            found.append((path, force))
    return found


IMAGE_FILES = _image_files()
FILE_IDS = [datafiles.file_id(path) for path, _ in IMAGE_FILES]


def _syntax(ds: Any) -> str:
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    return str(uid).strip() if uid else ""


@functools.lru_cache(maxsize=2)
def _pair(path: Path, force: bool) -> tuple[dicomcore.Dataset, pydicom.Dataset]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = dicomcore.dcmread(path, force=force)
        theirs = pydicom.dcmread(path, force=force)
        for keyword in ("NumberOfFrames", "PhotometricInterpretation"):
            theirs.get(keyword)  # converted here, where its VR warnings are silenced
    return ours, theirs


def _outcome(func: Any, *args: Any, **kwargs: Any) -> tuple[str, Any, int]:
    """("value", result, warnings) or ("raises", exception type, warnings).

    Only warnings about (0028,0008) Number of Frames are counted: reading a
    value may warn about other things in either library.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: tuple[str, Any] = ("value", func(*args, **kwargs))
        except Exception as exc:
            result = ("raises", type(exc))
    frames_warnings = sum("Number of Frames" in str(w.message) for w in caught)
    return (*result, frames_warnings)


def _same(ours: tuple[str, Any, int], theirs: tuple[str, Any, int]) -> None:
    assert ours[0] == theirs[0], f"dicomcore {ours}, pydicom {theirs}"
    if ours[0] == "raises":
        assert issubclass(ours[1], theirs[1]) or ours[1] is theirs[1], (ours, theirs)
    elif isinstance(ours[1], np.ndarray):
        assert ours[1].shape == theirs[1].shape
        np.testing.assert_array_equal(ours[1], theirs[1])
    elif isinstance(ours[1], np.dtype):
        assert ours[1] == theirs[1] and ours[1].str == theirs[1].str, (ours, theirs)
    else:
        assert ours[1] == theirs[1], f"dicomcore {ours[1]!r}, pydicom {theirs[1]!r}"
    assert ours[2] == theirs[2], f"Number of Frames warnings: ours {ours[2]}, pydicom {theirs[2]}"


def test_the_real_files_are_there():
    """Guards the parametrisation below against an empty file list."""
    assert len(IMAGE_FILES) > 100


FUNCTIONS = [
    "as_pixel_options",
    "get_nr_frames",
    "get_expected_length",
    "pixel_dtype",
    "get_image_pixel_ids",
    "reshape_pixel_array",
]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize(("path", "force"), IMAGE_FILES, ids=FILE_IDS)
def test_matches_pydicom_on_real_file(path: Path, force: bool, name: str) -> None:
    ours, theirs = _pair(path, force)
    check = globals()[f"_check_{name}"]
    check(ours, theirs)


def _check_as_pixel_options(ours: Any, theirs: Any) -> None:
    mine = _outcome(our_utils.as_pixel_options, ours)
    them = _outcome(their_utils.as_pixel_options, theirs)
    _same(mine, them)
    override = {"rows": 7, "number_of_frames": 3, "transfer_syntax_uid": EXPLICIT_LE}
    _same(
        _outcome(our_utils.as_pixel_options, ours, **override),
        _outcome(their_utils.as_pixel_options, theirs, **override),
    )


def _check_get_nr_frames(ours: Any, theirs: Any) -> None:
    for warn in (True, False):
        _same(
            _outcome(our_utils.get_nr_frames, ours, warn=warn),
            _outcome(their_utils.get_nr_frames, theirs, warn=warn),
        )


def _check_get_expected_length(ours: Any, theirs: Any) -> None:
    for unit in ("bytes", "pixels"):
        mine = _outcome(our_utils.get_expected_length, ours, unit)
        them = _outcome(their_utils.get_expected_length, theirs, unit)
        if _frames_not_an_integer(theirs):
            # pydicom multiplies the string ('1A' * 15): we refuse the value.
            assert mine[0] == "raises" and mine[1] is ValueError, mine
            continue
        _same(mine, them)


def _frames_not_an_integer(theirs: Any) -> bool:
    """True for a (0028,0008) Number of Frames pydicom read as a string (e.g. '1A')."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return isinstance(their_utils.get_nr_frames(theirs, warn=False), str)


def _check_pixel_dtype(ours: Any, theirs: Any) -> None:
    for as_float in (False, True):
        _same(
            _outcome(our_utils.pixel_dtype, ours, as_float),
            _outcome(their_utils.pixel_dtype, theirs, as_float),
        )


def _check_get_image_pixel_ids(ours: Any, theirs: Any) -> None:
    mine = our_utils.get_image_pixel_ids(ours)
    them = their_utils.get_image_pixel_ids(theirs)
    assert list(mine) == list(them)
    # ids differ between libraries; which elements are absent (id(None)) must not.
    assert {k: v == id(None) for k, v in mine.items()} == {
        k: v == id(None) for k, v in them.items()
    }
    assert our_utils.get_image_pixel_ids(ours) == mine, "ids must be stable between calls"


def _check_reshape_pixel_array(ours: Any, theirs: Any) -> None:
    """Reshape an index array (every file), and the raw native pixel bytes."""
    if _frames_not_an_integer(theirs):
        with pytest.raises(ValueError, match="Number of Frames"):
            our_utils.reshape_pixel_array(ours, np.arange(4))
        return
    count = _outcome(their_utils.get_expected_length, theirs, "pixels")
    # A file pydicom cannot size (missing elements): both must raise alike.
    arr = np.arange(1 if count[0] == "raises" else count[1])
    _same(
        _outcome(our_utils.reshape_pixel_array, ours, arr),
        _outcome(their_utils.reshape_pixel_array, theirs, arr),
    )
    if (
        count[0] == "raises"
        or _syntax(theirs) not in NATIVE
        or "PixelData" not in theirs
        or theirs.BitsAllocated % 8
        or theirs.get("PhotometricInterpretation") == "YBR_FULL_422"
    ):
        return
    mine = _raw_native(our_utils, ours)
    them = _raw_native(their_utils, theirs)
    if them is None:
        return  # pixel data shorter than the Image Pixel values say
    assert mine is not None
    _same(
        _outcome(our_utils.reshape_pixel_array, ours, mine),
        _outcome(their_utils.reshape_pixel_array, theirs, them),
    )


def _raw_native(utils: Any, ds: Any) -> np.ndarray | None:
    """The native pixel bytes as a 1D array of each library's own dtype and length."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dtype = utils.pixel_dtype(ds)
        count = utils.get_expected_length(ds, "pixels")
        data = ds.PixelData
    if len(data) < count * dtype.itemsize:
        return None
    return np.frombuffer(data, dtype=dtype, count=count)


# -- datasets built the same way in both libraries --------------------------------------


def _both(syntax: str | None = EXPLICIT_LE, **values: Any) -> tuple[Any, Any]:
    """A dicomcore and a pydicom dataset with the same elements (None: left out)."""
    made = []
    for lib in (dicomcore, pydicom):
        ds = lib.Dataset()
        for keyword, value in values.items():
            if value is not None:
                setattr(ds, keyword, value)
        if syntax is not None:
            ds.file_meta = lib.dataset.FileMetaDataset()
            if syntax:
                ds.file_meta.TransferSyntaxUID = syntax
        made.append(ds)
    return made[0], made[1]


MONO = {
    "Rows": 3,
    "Columns": 5,
    "SamplesPerPixel": 1,
    "PhotometricInterpretation": "MONOCHROME2",
    "BitsAllocated": 16,
    "BitsStored": 12,
    "PixelRepresentation": 0,
}


@pytest.mark.parametrize("frames", [None, 0, 1, 4, -1])
def test_number_of_frames(frames):
    ours, theirs = _both(**MONO, NumberOfFrames=frames)
    _check_get_nr_frames(ours, theirs)
    _check_as_pixel_options(ours, theirs)
    _check_get_expected_length(ours, theirs)
    if frames != -1:
        _check_reshape_pixel_array(ours, theirs)


def test_zero_frames_warns_once_per_call():
    ours, _ = _both(**MONO, NumberOfFrames=0)
    with pytest.warns(UserWarning, match="Number of Frames"):
        assert our_utils.get_nr_frames(ours) == 1
    with pytest.warns(UserWarning, match="Number of Frames"):
        assert our_utils.as_pixel_options(ours)["number_of_frames"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert our_utils.get_nr_frames(ours, warn=False) == 1


def test_as_pixel_options_values_and_overrides():
    ours, theirs = _both(**MONO, PlanarConfiguration=0, NumberOfFrames=2)
    _check_as_pixel_options(ours, theirs)
    assert our_utils.as_pixel_options(ours, rows=64, foo="bar") == their_utils.as_pixel_options(
        theirs, rows=64, foo="bar"
    )
    assert our_utils.as_pixel_options(dicomcore.Dataset()) == their_utils.as_pixel_options(
        pydicom.Dataset()
    )
    assert dicomcore.pixels.as_pixel_options is our_utils.as_pixel_options


@pytest.mark.parametrize(
    ("photometric", "samples", "allocated", "rows", "columns", "frames"),
    [
        ("MONOCHROME2", 1, 8, 3, 5, None),
        ("MONOCHROME2", 1, 16, 3, 5, 3),
        ("MONOCHROME2", 1, 32, 2, 2, 2),
        ("MONOCHROME2", 1, 64, 2, 2, None),
        ("MONOCHROME2", 1, 1, 3, 5, None),
        ("MONOCHROME2", 1, 1, 3, 3, 2),
        ("MONOCHROME2", 1, 1, 7, 9, 5),
        ("RGB", 3, 8, 3, 5, None),
        ("RGB", 3, 16, 4, 4, 2),
        ("YBR_FULL", 3, 8, 4, 6, None),
        ("YBR_FULL_422", 3, 8, 4, 6, None),
        ("YBR_FULL_422", 3, 8, 1, 5, None),
        ("YBR_FULL_422", 3, 16, 3, 5, 2),
        ("YBR_FULL_422", 3, 1, 3, 5, None),
    ],
)
def test_expected_length(photometric, samples, allocated, rows, columns, frames):
    ours, theirs = _both(
        Rows=rows,
        Columns=columns,
        SamplesPerPixel=samples,
        PhotometricInterpretation=photometric,
        BitsAllocated=allocated,
        NumberOfFrames=frames,
    )
    _check_get_expected_length(ours, theirs)


def test_expected_length_ignores_the_transfer_syntax():
    """The YBR_FULL_422 rule holds for any transfer syntax, as in pydicom."""
    values = dict(MONO, SamplesPerPixel=3, PhotometricInterpretation="YBR_FULL_422")
    ours, theirs = _both("1.2.840.10008.1.2.4.50", **values)
    _check_get_expected_length(ours, theirs)


def test_expected_length_unknown_unit_is_bytes_as_in_pydicom():
    ours, theirs = _both(**MONO)
    _same(
        _outcome(our_utils.get_expected_length, ours, "frames"),
        _outcome(their_utils.get_expected_length, theirs, "frames"),
    )
    assert our_utils.get_expected_length(ours, "frames") == our_utils.get_expected_length(ours)


@pytest.mark.parametrize(
    "missing", ["Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "PhotometricInterpretation"]
)
def test_expected_length_missing_element(missing):
    ours, theirs = _both(**dict(MONO, **{missing: None}))
    _check_get_expected_length(ours, theirs)
    with pytest.raises(AttributeError, match=missing_description(missing)):
        our_utils.get_expected_length(ours)


def missing_description(keyword: str) -> str:
    """The dictionary name of ``keyword`` (how our messages name an element)."""
    from dicomcore.datadict import dictionary_description, tag_for_keyword

    return dictionary_description(tag_for_keyword(keyword))


SYNTAXES = [
    None,  # no file_meta
    "",  # file_meta without (0002,0010)
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.5",
    "1.2.3.4",  # not a transfer syntax
]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("allocated", [None, 1, 8, 12, 16, 24, 32, 40, 48, 64])
@pytest.mark.parametrize("representation", [None, 0, 1, 2])
def test_pixel_dtype(syntax, allocated, representation):
    ours, theirs = _both(
        syntax, **dict(MONO, BitsAllocated=allocated, PixelRepresentation=representation)
    )
    _check_pixel_dtype(ours, theirs)


def test_pixel_dtype_messages():
    ours, _ = _both(**dict(MONO, BitsAllocated=12))
    with pytest.raises(ValueError, match="Bits Allocated"):
        our_utils.pixel_dtype(ours)
    ours, _ = _both(**dict(MONO, BitsAllocated=24))
    with pytest.raises(NotImplementedError, match="uint24"):
        our_utils.pixel_dtype(ours)
    ours, _ = _both(**dict(MONO, PixelRepresentation=2))
    with pytest.raises(ValueError, match="Pixel Representation"):
        our_utils.pixel_dtype(ours)
    ours, _ = _both(**dict(MONO, PixelRepresentation=None))
    with pytest.raises(AttributeError, match="Pixel Representation"):
        our_utils.pixel_dtype(ours)
    ours, _ = _both(None, **MONO)
    with pytest.raises(AttributeError, match="Transfer Syntax UID"):
        our_utils.pixel_dtype(ours)
    ours, _ = _both("1.2.3.4", **MONO)
    with pytest.raises(AttributeError, match="1.2.3.4"):
        our_utils.pixel_dtype(ours)


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("samples", [1, 3])
@pytest.mark.parametrize("planar", [None, 0, 1, 2])
@pytest.mark.parametrize("frames", [None, 1, 2])
def test_reshape_pixel_array(syntax, samples, planar, frames):
    values = dict(
        MONO,
        SamplesPerPixel=samples,
        PhotometricInterpretation="RGB" if samples == 3 else "MONOCHROME2",
        PlanarConfiguration=planar,
        NumberOfFrames=frames,
    )
    ours, theirs = _both(syntax, **values)
    arr = np.arange(3 * 5 * samples * (frames or 1), dtype=np.uint16)
    _same(
        _outcome(our_utils.reshape_pixel_array, ours, arr),
        _outcome(their_utils.reshape_pixel_array, theirs, arr),
    )


@pytest.mark.parametrize("missing", ["Rows", "Columns", "SamplesPerPixel"])
def test_reshape_missing_element(missing):
    ours, theirs = _both(**dict(MONO, **{missing: None}))
    arr = np.arange(15)
    _same(
        _outcome(our_utils.reshape_pixel_array, ours, arr),
        _outcome(their_utils.reshape_pixel_array, theirs, arr),
    )
    with pytest.raises(AttributeError, match=missing_description(missing)):
        our_utils.reshape_pixel_array(ours, arr)


@pytest.mark.parametrize("samples", [0, 3])
def test_reshape_errors(samples):
    ours, theirs = _both(**dict(MONO, SamplesPerPixel=samples, PlanarConfiguration=2))
    arr = np.arange(15 * max(samples, 1))
    _same(
        _outcome(our_utils.reshape_pixel_array, ours, arr),
        _outcome(their_utils.reshape_pixel_array, theirs, arr),
    )
    keyword = "Samples per Pixel" if samples == 0 else "Planar Configuration"
    with pytest.raises(ValueError, match=keyword):
        our_utils.reshape_pixel_array(ours, arr)
    ours, theirs = _both(**MONO)
    _same(  # the wrong number of values
        _outcome(our_utils.reshape_pixel_array, ours, np.arange(16)),
        _outcome(their_utils.reshape_pixel_array, theirs, np.arange(16)),
    )


def test_image_pixel_ids_follow_replaced_values():
    ours, theirs = _both(**MONO, PixelData=b"\x00" * 30)
    before = our_utils.get_image_pixel_ids(ours)
    assert list(before) == list(their_utils.get_image_pixel_ids(theirs))
    ours.Rows = 5
    ours.PixelData = b"\x01" * 30
    after = our_utils.get_image_pixel_ids(ours)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"Rows", "PixelData"}


# -- YBR_FULL_422 ------------------------------------------------------------------------


def test_expand_ybr422_real_file():
    path = datafiles.get("SC_ybr_full_422_uncompressed.dcm")
    ours, theirs = _pair(path, False)
    mine = our_utils.expand_ybr422(ours.PixelData, ours.BitsAllocated)
    them = their_utils.expand_ybr422(theirs.PixelData, theirs.BitsAllocated)
    assert isinstance(mine, bytes)
    assert mine == them
    # The decoder upsamples the same way (as_rgb=False keeps YBR_FULL).
    decoded = dicomcore.pixels.pixel_array(path, as_rgb=False)
    assert decoded.tobytes() == mine[: decoded.nbytes]


@pytest.mark.parametrize("pairs", [1, 2, 37, 1000])
def test_expand_ybr422_16_bit(pairs):
    rng = np.random.default_rng(pairs)
    src = rng.integers(0, 1 << 16, size=pairs * 4, dtype="<u2").tobytes()
    mine = our_utils.expand_ybr422(src, 16)
    assert mine == their_utils.expand_ybr422(src, 16)
    assert len(mine) == len(src) * 3 // 2
    assert our_utils.expand_ybr422(bytearray(src), 16) == mine
    assert our_utils.expand_ybr422(memoryview(src), 16) == mine


def test_expand_ybr422_8_bit_generated():
    src = np.random.default_rng(8).integers(0, 256, size=4 * 257, dtype=np.uint8).tobytes()
    assert our_utils.expand_ybr422(src, 8) == their_utils.expand_ybr422(src, 8)
    assert our_utils.expand_ybr422(b"", 8) == their_utils.expand_ybr422(b"", 8) == b""


@pytest.mark.parametrize(("length", "allocated"), [(6, 8), (5, 8), (9, 16), (8, 32)])
def test_expand_ybr422_errors(length, allocated):
    src = bytes(range(length))
    _same(
        _outcome(our_utils.expand_ybr422, src, allocated),
        _outcome(their_utils.expand_ybr422, src, allocated),
    )
    with pytest.raises(ValueError, match=str(allocated) if allocated == 32 else str(length)):
        our_utils.expand_ybr422(src, allocated)


# -- JPEG 2000 ---------------------------------------------------------------------------


J2K_FILES = [
    (path, force)
    for path, force in IMAGE_FILES
    if _syntax(pydicom_read(path, defer_size=256, force=force)) in J2K
]


@pytest.mark.parametrize(
    ("path", "force"), J2K_FILES, ids=[datafiles.file_id(p) for p, _ in J2K_FILES]
)
def test_j2k_parameters_every_frame(path, force):
    ours, _ = _pair(path, force)
    frames = encaps.generate_frames(
        ours.PixelData, number_of_frames=our_utils.get_nr_frames(ours, warn=False)
    )
    count = 0
    for frame in frames:
        mine = our_utils.get_j2k_parameters(frame)
        assert mine == their_utils.get_j2k_parameters(bytes(frame))
        count += 1
        if not jpeg2000.is_available():
            continue
        try:
            header = jpeg2000.read_header(frame)
        except jpeg2000.JPEG2000Error:
            continue
        assert mine == {
            "jp2": header["format"] == "JP2",
            "precision": header["precision"],
            "is_signed": header["is_signed"],
        }
    assert count


def test_j2k_files_are_there():
    assert len(J2K_FILES) >= 10


def _siz(ssiz: int) -> bytes:
    """SOC then a one-component SIZ marker segment (ISO/IEC 15444-1 A.5.1)."""
    sizes = b"".join(v.to_bytes(4, "big") for v in (64, 32, 0, 0, 64, 32, 0, 0))
    segment = b"\x00\x00" + sizes + b"\x00\x01" + bytes([ssiz, 1, 1])
    return b"\xff\x4f\xff\x51" + (len(segment) + 2).to_bytes(2, "big") + segment


@pytest.mark.parametrize("ssiz", [0x00, 0x07, 0x0B, 0x0F, 0x8B, 0x8F, 0x97, 0xA5, 0xFF])
def test_j2k_parameters_every_precision(ssiz):
    codestream = _siz(ssiz) + b"\xff\x90"
    assert our_utils.get_j2k_parameters(codestream) == their_utils.get_j2k_parameters(
        codestream
    )


JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


def _box(kind: bytes, content: bytes) -> bytes:
    return (8 + len(content)).to_bytes(4, "big") + kind + content


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\x4f",
        b"\xff\x4f\xff\x51",
        _siz(0x8B)[:42],  # cut just before Ssiz
        _siz(0x8B)[:43],
        b"junk" + _siz(0x0B),
        b"\xff\x4f\xff\x52" + _siz(0x0B)[4:],
        JP2_SIGNATURE + _siz(0x0B),  # a signature but no boxes
        JP2_SIGNATURE + _box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ") + _box(b"jp2c", _siz(0x8F)),
        JP2_SIGNATURE + _box(b"jp2h", b"\x00" * 20) + _box(b"jp2c", _siz(0x07)),
        JP2_SIGNATURE[:-1] + b"\x0b" + _box(b"jp2c", _siz(0x07)),
        JP2_SIGNATURE + _box(b"jp2c", b"garbage"),
        bytes(range(256)) * 4,
        np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
    ],
    ids=lambda d: f"{len(d)}-bytes",
)
def test_j2k_parameters_edge_cases_and_garbage(data):
    assert our_utils.get_j2k_parameters(data) == their_utils.get_j2k_parameters(data)


def test_j2k_parameters_garbage_is_empty():
    assert our_utils.get_j2k_parameters(b"not JPEG 2000 at all" * 10) == {}
    assert our_utils.get_j2k_parameters(memoryview(_siz(0x8B))) == {
        "jp2": False,
        "precision": 12,
        "is_signed": True,
    }


# -- bit packing --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 17, 1001])
@pytest.mark.parametrize("pad", [True, False])
def test_pack_and_unpack_bits(size, pad):
    bits = np.random.default_rng(size).integers(0, 2, size, dtype=np.uint8)
    packed = our_utils.pack_bits(bits, pad=pad)
    assert packed == their_utils.pack_bits(bits, pad=pad)
    unpacked = our_utils.unpack_bits(packed)
    np.testing.assert_array_equal(unpacked, their_utils.unpack_bits(packed))
    np.testing.assert_array_equal(unpacked[:size], bits)
    assert our_utils.unpack_bits(packed, as_array=False) == their_utils.unpack_bits(
        packed, as_array=False
    )


# -- the names pydicom users import -------------------------------------------------------


def test_reexports_are_the_pipeline_functions():
    from dicomcore.pixels.utils import (
        compress,
        decompress,
        iter_pixels,
        pixel_array,
        set_pixel_data,
    )

    assert pixel_array is dicomcore.pixels.pixel_array
    assert iter_pixels is dicomcore.pixels.iter_pixels
    assert compress is dicomcore.pixels.compress
    assert decompress is dicomcore.pixels.decompress
    assert set_pixel_data is dicomcore.pixels.set_pixel_data


def test_public_names_cover_pydicoms():
    names = {
        "as_pixel_options",
        "compress",
        "decompress",
        "expand_ybr422",
        "get_expected_length",
        "get_image_pixel_ids",
        "get_j2k_parameters",
        "get_nr_frames",
        "iter_pixels",
        "pack_bits",
        "pixel_array",
        "pixel_dtype",
        "reshape_pixel_array",
        "set_pixel_data",
        "unpack_bits",
    }
    assert names <= set(our_utils.__all__)
    for name in names:
        assert hasattr(their_utils, name), name
        assert callable(getattr(our_utils, name))
