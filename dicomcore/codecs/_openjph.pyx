# cython: language_level=3, boundscheck=False, wraparound=False
# distutils: language = c++
# distutils: libraries = openjph
"""Thin OpenJPH wrapper: HTJ2K (ISO/IEC 15444-15) decode and encode.

The work happens in ``codecs/openjph/ojph_shim.h`` without the GIL; this
module checks arguments, owns the output memory and turns the shim's status
and messages into Python exceptions and warning strings. (Debian's OpenJPH
0.9 ships an ``openjph.pc`` without ``Libs``, hence the ``libraries``
directive above.)

The Python-facing API is :mod:`dicomcore.codecs.htj2k`.
"""

cimport numpy as cnp
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport free

from dicomcore.codecs._j2k_common import JPEG2000Error

cnp.import_array()
shim_install_handlers()

cdef enum:
    MESSAGE_CAPACITY = 1024
    WARNINGS_CAPACITY = 4096


cdef list _warnings():
    cdef char text[WARNINGS_CAPACITY]
    shim_take_warnings(text, WARNINGS_CAPACITY)
    decoded = text.decode("utf-8", "replace")
    return [line.strip() for line in decoded.splitlines() if line.strip()]


cdef _fail(int status, const char *message, str what):
    text = message.decode("utf-8", "replace").strip()
    if status == SHIM_NO_MEMORY:
        raise MemoryError(f"{what}: OpenJPH ran out of memory")
    raise JPEG2000Error(f"{what}: {text}" if text else what)


class NeedsOpenJPEG(Exception):
    """The codestream is legal but outside what OpenJPH 0.9 decodes safely."""


cdef int _check(const uint8_t *data, size_t size, ShimInspection *found) except -1 nogil:
    cdef char message[MESSAGE_CAPACITY]
    cdef int route
    message[0] = 0
    route = shim_inspect(data, size, found, message, MESSAGE_CAPACITY)
    if route == ROUTE_OPENJPH:
        return 0
    with gil:
        text = message.decode("utf-8", "replace")
        if route == ROUTE_OPENJPEG:
            raise NeedsOpenJPEG(text)
        raise JPEG2000Error(text)


def inspect(const uint8_t[::1] src not None):
    """Check the marker segments of ``src`` (see ojph_shim.h's ``inspect``).

    Returns a dict (``htj2k``, ``tlm``, ``tile_parts``, ``tlm_offset``);
    raises NeedsOpenJPEG for codestreams OpenJPH should not see and
    JPEG2000Error for malformed or truncated ones.
    """
    cdef ShimInspection found
    cdef const uint8_t *data = &src[0] if src.shape[0] else NULL
    with nogil:
        _check(data, src.shape[0], &found)
    return {
        "htj2k": bool(found.htj2k),
        "tlm": bool(found.has_tlm),
        "tile_parts": found.tile_parts,
        "tlm_offset": found.tlm_offset,
    }


def read_header(const uint8_t[::1] src not None):
    """The main header of an HTJ2K codestream, read by OpenJPH; see htj2k.read_header."""
    cdef ShimHeader header
    cdef ShimInspection found
    cdef char message[MESSAGE_CAPACITY]
    cdef int status
    cdef const uint8_t *data = &src[0] if src.shape[0] else NULL
    message[0] = 0
    with nogil:
        _check(data, src.shape[0], &found)
        status = shim_read_header(data, src.shape[0], &header, message, MESSAGE_CAPACITY)
    warnings = _warnings()
    if status != SHIM_OK:
        _fail(status, message, "OpenJPH cannot read the HTJ2K main header")
    return {
        "htj2k": True,
        "tlm": bool(found.has_tlm),
        "tile_parts": found.tile_parts,
        "rows": header.height,
        "columns": header.width,
        "offset": (header.y0, header.x0),
        "components": header.components,
        "precision": header.precision,
        "is_signed": bool(header.is_signed),
        "uniform": bool(header.uniform),
        "tile_size": (header.tile_height, header.tile_width),
        "decompositions": header.decompositions,
        "code_block_size": (header.block_height, header.block_width),
        "reversible": bool(header.reversible),
        "mct": bool(header.color_transform),
        "progression": header.progression.decode("ascii", "replace"),
        "warnings": warnings,
    }


def decode(const uint8_t[::1] src not None, cnp.ndarray out not None, *, int reduce=0,
           int row0=0, int column0=0, int mode=0):
    """Decode ``src`` into ``out`` (rows, columns[, components]), C-contiguous.

    ``row0`` and ``column0`` place ``out`` on the image at 1 / 2**reduce
    resolution; ``mode`` is a StoreMode of the shim. Returns OpenJPH's warnings.
    """
    cdef ShimDecodeRequest request
    cdef ShimInspection found
    cdef char message[MESSAGE_CAPACITY]
    cdef int status
    cdef const uint8_t *data = &src[0] if src.shape[0] else NULL
    if not out.flags.c_contiguous or out.dtype.kind not in "iu" or out.dtype.itemsize not in (1, 2, 4, 8):
        raise ValueError("'out' must be a C-contiguous integer array")
    if out.ndim not in (2, 3) or reduce < 0 or row0 < 0 or column0 < 0:
        raise ValueError("invalid output layout")
    if mode not in (SHIM_STORE_AS_IS, SHIM_STORE_LOW_BITS, SHIM_STORE_SIGN_EXTEND):
        raise ValueError(f"unknown store mode {mode}")
    request.reduce = reduce
    request.row0 = row0
    request.column0 = column0
    request.rows = out.shape[0]
    request.columns = out.shape[1]
    request.components = out.shape[2] if out.ndim == 3 else 1
    request.out = cnp.PyArray_DATA(out)
    request.kind = 1 if out.dtype.kind == "i" else 0
    request.itemsize = out.dtype.itemsize
    request.mode = mode
    message[0] = 0
    with nogil:
        _check(data, src.shape[0], &found)
        status = shim_decode(data, src.shape[0], &request, message, MESSAGE_CAPACITY)
    warnings = _warnings()
    if status != SHIM_OK:
        _fail(status, message, "OpenJPH failed to decode the HTJ2K codestream")
    return warnings


def encode(cnp.ndarray arr not None, *, int precision, bint is_signed, bint reversible,
           float quantization_step=0.0, bint color_transform=False, int decompositions=5,
           block_size=(64, 64), str progression="RPCL"):
    """Encode a C-contiguous (rows, columns[, components]) integer array to HTJ2K.

    The caller has checked the arguments; a sample outside ``precision``
    bits raises ValueError naming its row and column. Returns (codestream
    bytes, warnings list).
    """
    cdef ShimEncodeRequest request
    cdef char message[MESSAGE_CAPACITY]
    cdef int status
    cdef uint8_t *encoded = NULL
    cdef size_t encoded_size = 0
    progression_bytes = progression.encode("ascii")
    if not arr.flags.c_contiguous or arr.dtype.kind not in "iu" or arr.ndim not in (2, 3):
        raise ValueError("the array to encode must be a C-contiguous integer array")
    request.pixels = cnp.PyArray_DATA(arr)
    request.kind = 1 if arr.dtype.kind == "i" else 0
    request.itemsize = arr.dtype.itemsize
    request.rows = arr.shape[0]
    request.columns = arr.shape[1]
    request.components = arr.shape[2] if arr.ndim == 3 else 1
    request.precision = precision
    request.is_signed = is_signed
    request.reversible = reversible
    request.quantization_step = quantization_step
    request.color_transform = color_transform
    request.decompositions = decompositions
    request.block_height = block_size[0]
    request.block_width = block_size[1]
    request.progression = progression_bytes
    if is_signed:
        request.low = -(<int64_t>1 << (precision - 1))
        request.high = (<int64_t>1 << (precision - 1)) - 1
    else:
        request.low = 0
        request.high = (<int64_t>1 << precision) - 1
    message[0] = 0
    with nogil:
        status = shim_encode(&request, &encoded, &encoded_size, message, MESSAGE_CAPACITY)
    warnings = _warnings()
    if request.bad_index >= 0:
        value = arr.reshape(-1)[request.bad_index]
        pixel = request.bad_index // request.components
        raise ValueError(
            f"sample value {value} at row {pixel // request.columns}, column "
            f"{pixel % request.columns} does not fit in {precision} "
            f"{'signed' if is_signed else 'unsigned'} bits (Bits Stored / Pixel Representation)"
        )
    if status != SHIM_OK:
        _fail(status, message, "OpenJPH failed to encode the image")
    try:
        return (<char *>encoded)[:encoded_size], warnings
    finally:
        free(encoded)


def version():
    """OpenJPH's version, from the headers dicomcore was built with."""
    return shim_version().decode("ascii")
