# cython: language_level=3
"""Thin CharLS binding: owns the buffers, releases the GIL, turns CharLS errors into
:class:`JPEGLSError`.

The public, NumPy-friendly API lives in :mod:`dicomcore.codecs.jpegls`; this module
only does what needs C: one decoder or encoder handle per call (CharLS handles are
not shared, so any number of threads may call in at once), the codec call itself
without the GIL, and the sample loops that DICOM needs around it (component
reordering, widening to Bits Allocated, two's complement sign extension and
masking) also without the GIL.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.ref cimport Py_XDECREF, PyObject
from libc.stdint cimport (
    SIZE_MAX, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)
from libc.stdlib cimport free, malloc

cimport numpy as cnp

from dicomcore.codecs._charls cimport *

import numpy as np

cnp.import_array()


cdef extern from "Python.h":
    # Declared here with raw pointers so the result can be shrunk in place with
    # _PyBytes_Resize, which needs the only reference to the object.
    PyObject* PyBytes_FromStringAndSize_raw "PyBytes_FromStringAndSize" (
        const char* v, Py_ssize_t size) except NULL
    char* PyBytes_AS_STRING_raw "PyBytes_AS_STRING" (PyObject* string) nogil
    int _PyBytes_Resize(PyObject** string, Py_ssize_t newsize) except -1


class JPEGLSError(ValueError):
    """A JPEG-LS stream could not be decoded or an image could not be encoded.

    Attributes
    ----------
    code : int or None
        The CharLS error code (``charls_jpegls_errc``), None when the error was found by
        dicomcore rather than CharLS.
    frame : int or None
        The index of the frame in a batch call, None for single-frame calls.
    """

    def __init__(self, message, code=None, frame=None):
        super().__init__(message)
        self.code = code
        self.frame = frame


def charls_version():
    """The version string of the CharLS library this module is linked against."""
    return charls_get_version_string().decode("ascii", "replace")


cdef object _charls_error(charls_jpegls_errc code, str action):
    message = charls_get_error_message(code).decode("utf-8", "replace")
    return JPEGLSError(f"{action} failed: {message} (CharLS error {<int>code})", <int>code)


# ---------------------------------------------------------------------------
# Sample loops. All run without the GIL; the fused types give one specialised,
# vectorisable loop per (stream container, output container) pair.

ctypedef fused stream_t:
    uint8_t
    uint16_t

ctypedef fused wide_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused array_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t
    int8_t
    int16_t
    int32_t
    int64_t


cdef void _widen(const stream_t* src, wide_t* dst, size_t pixels, size_t components,
                 bint planar_source) noexcept nogil:
    """Copy decoded samples into the output container, interleaving planar scans."""
    cdef size_t i, c
    if planar_source and components > 1:
        for c in range(components):
            for i in range(pixels):
                dst[i * components + c] = src[c * pixels + i]
    else:
        for i in range(pixels * components):
            dst[i] = src[i]


cdef void _sign_extend(wide_t* samples, size_t count, int precision) noexcept nogil:
    """Reinterpret ``precision``-bit two's complement values in place (PS3.5 8.2.3).

    JPEG-LS has no notion of sign: a signed sample is coded as its two's complement
    bit pattern within the sample precision, so the decoded value has to be
    sign-extended to the output container.
    """
    cdef wide_t sign_bit = <wide_t>(<uint64_t>1 << (precision - 1))
    cdef size_t i
    for i in range(count):
        # (v ^ s) - s maps [0, 2**p) onto [-2**(p-1), 2**(p-1)) modulo the container.
        samples[i] = <wide_t>((samples[i] ^ sign_bit) - sign_bit)


cdef Py_ssize_t _first_out_of_range(const array_t* src, size_t count,
                                    int64_t lowest, int64_t highest) noexcept nogil:
    """Index of the first sample outside [lowest, highest], or -1 if there is none."""
    cdef size_t i
    cdef array_t low = <array_t>lowest
    cdef array_t high = <array_t>highest
    cdef bint bad = False
    # A branch-free pass finds out whether anything is wrong; only then is the
    # position looked for, so the common (valid) case stays vectorised.
    for i in range(count):
        bad |= (src[i] < low) | (src[i] > high)
    if not bad:
        return -1
    for i in range(count):
        if src[i] < low or src[i] > high:
            return <Py_ssize_t>i
    return -1


cdef void _narrow(const array_t* src, stream_t* dst, size_t pixels, size_t components,
                  bint planar_destination, uint64_t mask) noexcept nogil:
    """Copy samples into the encoder's container, keeping the low ``precision`` bits.

    Masking turns signed samples into their two's complement bit pattern within Bits
    Stored, which is how DICOM codes signed data in JPEG-LS (PS3.5 8.2.3); CharLS
    requires the unused high bits to be zero.
    """
    cdef size_t i, c
    if planar_destination and components > 1:
        for c in range(components):
            for i in range(pixels):
                dst[c * pixels + i] = <stream_t>(<uint64_t>src[i * components + c] & mask)
    else:
        for i in range(pixels * components):
            dst[i] = <stream_t>(<uint64_t>src[i] & mask)


# ---------------------------------------------------------------------------
# Decoding

cdef struct FrameHeader:
    uint32_t width
    uint32_t height
    int32_t bits_per_sample
    int32_t component_count
    int32_t near_lossless
    charls_interleave_mode interleave_mode
    charls_color_transformation color_transformation


cdef charls_jpegls_errc _read_header(charls_jpegls_decoder* decoder, const void* data,
                                     size_t size, FrameHeader* header) noexcept nogil:
    cdef charls_frame_info info
    cdef charls_jpegls_errc err
    err = charls_jpegls_decoder_set_source_buffer(decoder, data, size)
    if err:
        return err
    err = charls_jpegls_decoder_read_header(decoder)
    if err:
        return err
    err = charls_jpegls_decoder_get_frame_info(decoder, &info)
    if err:
        return err
    header.width = info.width
    header.height = info.height
    header.bits_per_sample = info.bits_per_sample
    header.component_count = info.component_count
    err = charls_jpegls_decoder_get_near_lossless(decoder, 0, &header.near_lossless)
    if err:
        return err
    err = charls_jpegls_decoder_get_interleave_mode(decoder, &header.interleave_mode)
    if err:
        return err
    return charls_jpegls_decoder_get_color_transformation(
        decoder, &header.color_transformation)


cdef size_t _length_through_last_eoi(const uint8_t* data, size_t size) noexcept nogil:
    """Length of ``data`` up to and including its last EOI marker (FF D9); 0 if none.

    Scan data cannot contain FF D9 (a coded FF is always followed by a byte below
    0x80, ISO/IEC 14495-1 A.1), so the last one ends the image and anything after it
    is padding. Valid streams end within a byte or two of it, so this is quick.
    """
    cdef size_t end = size
    while end >= 2:
        if data[end - 1] == 0xD9 and data[end - 2] == 0xFF:
            return end
        end -= 1
    return 0


cdef inline void _get_source(object src, Py_buffer* view) except *:
    try:
        PyObject_GetBuffer(src, view, PyBUF_SIMPLE)
    except BufferError as exc:
        raise TypeError(
            f"JPEG-LS source must be a C-contiguous bytes-like object, not "
            f"{type(src).__name__}: {exc}"
        ) from None


def read_header(src):
    """Parse the stream's headers (SOF, LSE, SOS) without decoding the scans.

    Returns ``(width, height, bits_per_sample, component_count, near_lossless,
    interleave_mode, color_transformation)``.
    """
    cdef Py_buffer view
    cdef FrameHeader header
    cdef charls_jpegls_errc err
    cdef charls_jpegls_decoder* decoder
    _get_source(src, &view)
    try:
        with nogil:
            decoder = charls_jpegls_decoder_create()
            if decoder != NULL:
                err = _read_header(decoder, view.buf, <size_t>view.len, &header)
                charls_jpegls_decoder_destroy(decoder)
        if decoder == NULL:
            raise MemoryError("CharLS could not create a JPEG-LS decoder")
        if err:
            raise _charls_error(err, "reading the JPEG-LS header")
    finally:
        PyBuffer_Release(&view)
    return (
        header.width,
        header.height,
        header.bits_per_sample,
        header.component_count,
        header.near_lossless,
        <int>header.interleave_mode,
        <int>header.color_transformation,
    )


cdef charls_jpegls_errc _decode_samples(
    charls_jpegls_decoder* decoder, const FrameHeader* header, char* destination,
    int out_itemsize, bint sign_extend, bint* out_of_memory,
) noexcept nogil:
    """Decode the frame whose header was read into ``destination``, in DICOM's layout."""
    cdef size_t pixels = <size_t>header.width * header.height
    cdef size_t components = <size_t>header.component_count
    cdef size_t stream_itemsize = 1 if header.bits_per_sample <= 8 else 2
    cdef size_t stream_bytes = pixels * components * stream_itemsize
    # CharLS 2 gives interleave mode NONE colour images as planes and LINE/SAMPLE
    # ones as pixel-interleaved triplets; DICOM wants pixels interleaved.
    cdef bint planar = components > 1 and header.interleave_mode == CHARLS_INTERLEAVE_MODE_NONE
    cdef bint direct = not planar and <size_t>out_itemsize == stream_itemsize
    cdef char* buffer = destination
    cdef charls_jpegls_errc err
    if not direct:
        buffer = <char*>malloc(stream_bytes if stream_bytes else 1)
        if buffer == NULL:
            out_of_memory[0] = True
            return CHARLS_JPEGLS_ERRC_NOT_ENOUGH_MEMORY
    err = charls_jpegls_decoder_decode_to_buffer(decoder, buffer, stream_bytes, 0)
    if not direct:
        if not err:
            if stream_itemsize == 1:
                if out_itemsize == 1:
                    _widen(<uint8_t*>buffer, <uint8_t*>destination, pixels, components, planar)
                elif out_itemsize == 2:
                    _widen(<uint8_t*>buffer, <uint16_t*>destination, pixels, components, planar)
                elif out_itemsize == 4:
                    _widen(<uint8_t*>buffer, <uint32_t*>destination, pixels, components, planar)
                else:
                    _widen(<uint8_t*>buffer, <uint64_t*>destination, pixels, components, planar)
            else:
                if out_itemsize == 2:
                    _widen(<uint16_t*>buffer, <uint16_t*>destination, pixels, components, planar)
                elif out_itemsize == 4:
                    _widen(<uint16_t*>buffer, <uint32_t*>destination, pixels, components, planar)
                else:
                    _widen(<uint16_t*>buffer, <uint64_t*>destination, pixels, components, planar)
        free(buffer)
    if err or not sign_extend or header.bits_per_sample >= 8 * out_itemsize:
        return err
    if out_itemsize == 1:
        _sign_extend(<uint8_t*>destination, pixels * components, header.bits_per_sample)
    elif out_itemsize == 2:
        _sign_extend(<uint16_t*>destination, pixels * components, header.bits_per_sample)
    elif out_itemsize == 4:
        _sign_extend(<uint32_t*>destination, pixels * components, header.bits_per_sample)
    else:
        _sign_extend(<uint64_t*>destination, pixels * components, header.bits_per_sample)
    return err


def decode(
    src,
    cnp.ndarray out=None,
    *,
    Py_ssize_t rows=0,
    Py_ssize_t columns=0,
    Py_ssize_t samples_per_pixel=0,
    int itemsize=0,
    bint signed=False,
    Py_ssize_t max_unconfirmed_bytes=0,
):
    """Decode one JPEG-LS stream into ``out`` (allocated when None) and return it.

    ``rows``, ``columns`` and ``samples_per_pixel`` (0: take the stream's) must match
    the stream's header, checked before any allocation; ``itemsize`` (0: the
    stream's container) is the output container in bytes; ``signed`` sign-extends
    from the stream precision. When the caller confirmed none of the dimensions, an
    output larger than ``max_unconfirmed_bytes`` (0: no limit) is refused, so that a
    forged header cannot make us allocate gigabytes.
    """
    cdef Py_buffer view
    cdef FrameHeader header
    cdef charls_jpegls_errc err = CHARLS_JPEGLS_ERRC_SUCCESS
    cdef charls_jpegls_decoder* decoder
    cdef bint out_of_memory = False
    cdef size_t out_bytes, stream_length = 0
    cdef char* destination

    _get_source(src, &view)
    decoder = charls_jpegls_decoder_create()
    if decoder == NULL:
        PyBuffer_Release(&view)
        raise MemoryError("CharLS could not create a JPEG-LS decoder")
    try:
        with nogil:
            stream_length = _length_through_last_eoi(<const uint8_t*>view.buf, <size_t>view.len)
            err = _read_header(
                decoder, view.buf, stream_length if stream_length else <size_t>view.len, &header
            )
        if err:
            raise _charls_error(err, "reading the JPEG-LS header")
        if not stream_length:
            # CharLS 2.4 can spin for seconds on scan data that simply stops (its bit
            # reader keeps "reading" past the end), so a stream without its EOI is
            # refused before the scan is decoded. Streams that end with a marker
            # fail fast, and CharLS needs the EOI anyway.
            raise JPEGLSError(
                f"JPEG-LS stream truncated: its {view.len} bytes hold no EOI marker "
                "(FF D9) after the scan data",
                CHARLS_JPEGLS_ERRC_SOURCE_BUFFER_TOO_SMALL,
            )

        stream_itemsize = 1 if header.bits_per_sample <= 8 else 2
        if itemsize == 0:
            itemsize = stream_itemsize
        if itemsize not in (1, 2, 4, 8):
            raise ValueError(f"output itemsize must be 1, 2, 4 or 8 bytes, not {itemsize}")
        if itemsize < stream_itemsize:
            raise ValueError(
                f"the JPEG-LS stream has {header.bits_per_sample} bits per sample, which "
                f"does not fit the {8 * itemsize}-bit output (Bits Allocated too small)"
            )
        mismatches = []
        if rows and rows != header.height:
            mismatches.append(f"{header.height} rows, expected {rows}")
        if columns and columns != header.width:
            mismatches.append(f"{header.width} columns, expected {columns}")
        if samples_per_pixel and samples_per_pixel != header.component_count:
            mismatches.append(
                f"{header.component_count} components, expected {samples_per_pixel}"
            )
        if mismatches:
            raise JPEGLSError(
                "the JPEG-LS header does not match the expected image: "
                + "; ".join(mismatches)
            )

        if header.component_count == 1:
            shape = (header.height, header.width)
        else:
            shape = (header.height, header.width, header.component_count)
        # Python integers: a forged header cannot overflow the size computation.
        total = int(header.width) * int(header.height) * int(header.component_count) * itemsize
        if total > (SIZE_MAX >> 1):
            raise JPEGLSError(
                f"the JPEG-LS header declares a {header.width} x {header.height} x "
                f"{header.component_count} image, too large to decode"
            )
        out_bytes = <size_t>total
        if out is None:
            confirmed = rows or columns or samples_per_pixel
            limit = <size_t>max_unconfirmed_bytes
            if not confirmed and limit and out_bytes > limit:
                raise JPEGLSError(
                    f"the JPEG-LS header declares a {header.width} x {header.height} x "
                    f"{header.component_count} image ({out_bytes} bytes decoded), more than "
                    f"the {max_unconfirmed_bytes} bytes allowed without the caller "
                    "confirming the dimensions (pass rows and columns)"
                )
            out = np.empty(shape, dtype=f"{'i' if signed else 'u'}{itemsize}")
        else:
            if not cnp.PyArray_IS_C_CONTIGUOUS(out) or not cnp.PyArray_ISWRITEABLE(out):
                raise ValueError("'out' must be a writeable C-contiguous ndarray")
            expected_dtype = np.dtype(f"{'i' if signed else 'u'}{itemsize}")
            if (<object>out).shape != shape or out.dtype != expected_dtype:
                raise ValueError(
                    f"'out' has shape {(<object>out).shape} and dtype {out.dtype}, but the "
                    f"JPEG-LS frame decodes to shape {shape} and dtype {expected_dtype}"
                )

        destination = <char*>cnp.PyArray_DATA(out)
        with nogil:
            err = _decode_samples(
                decoder, &header, destination, itemsize, signed, &out_of_memory
            )
        if out_of_memory:
            raise MemoryError(f"no memory for a {out_bytes}-byte JPEG-LS decode buffer")
        if err:
            raise _charls_error(err, "JPEG-LS decoding")
        return out
    finally:
        charls_jpegls_decoder_destroy(decoder)
        PyBuffer_Release(&view)


# ---------------------------------------------------------------------------
# Encoding

cdef Py_ssize_t _check_range(cnp.ndarray arr, int64_t lowest, int64_t highest) except -2:
    cdef void* data = cnp.PyArray_DATA(arr)
    cdef size_t count = <size_t>cnp.PyArray_SIZE(arr)
    cdef int typenum = cnp.PyArray_TYPE(arr)
    cdef Py_ssize_t bad = -1
    with nogil:
        if typenum == cnp.NPY_UINT8:
            bad = _first_out_of_range(<const uint8_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_UINT16:
            bad = _first_out_of_range(<const uint16_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_UINT32:
            bad = _first_out_of_range(<const uint32_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_UINT64:
            bad = _first_out_of_range(<const uint64_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_INT8:
            bad = _first_out_of_range(<const int8_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_INT16:
            bad = _first_out_of_range(<const int16_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_INT32:
            bad = _first_out_of_range(<const int32_t*>data, count, lowest, highest)
        elif typenum == cnp.NPY_INT64:
            bad = _first_out_of_range(<const int64_t*>data, count, lowest, highest)
    return bad


cdef void _narrow_any(cnp.ndarray arr, char* dst, int stream_itemsize, size_t pixels,
                      size_t components, bint planar, uint64_t mask):
    cdef void* data = cnp.PyArray_DATA(arr)
    cdef int typenum = cnp.PyArray_TYPE(arr)
    with nogil:
        if stream_itemsize == 1:
            if typenum == cnp.NPY_UINT8:
                _narrow(<const uint8_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT16:
                _narrow(<const uint16_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT32:
                _narrow(<const uint32_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT64:
                _narrow(<const uint64_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT8:
                _narrow(<const int8_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT16:
                _narrow(<const int16_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT32:
                _narrow(<const int32_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
            else:
                _narrow(<const int64_t*>data, <uint8_t*>dst, pixels, components, planar, mask)
        else:
            if typenum == cnp.NPY_UINT8:
                _narrow(<const uint8_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT16:
                _narrow(<const uint16_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT32:
                _narrow(<const uint32_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_UINT64:
                _narrow(<const uint64_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT8:
                _narrow(<const int8_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT16:
                _narrow(<const int16_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            elif typenum == cnp.NPY_INT32:
                _narrow(<const int32_t*>data, <uint16_t*>dst, pixels, components, planar, mask)
            else:
                _narrow(<const int64_t*>data, <uint16_t*>dst, pixels, components, planar, mask)


cdef charls_jpegls_errc _encode_samples(
    charls_jpegls_encoder* encoder, const charls_frame_info* info, int near_lossless,
    charls_interleave_mode interleave_mode, const void* source, size_t source_bytes,
    char* destination, size_t capacity, size_t* written,
) noexcept nogil:
    cdef charls_jpegls_errc err
    err = charls_jpegls_encoder_set_frame_info(encoder, info)
    if err:
        return err
    err = charls_jpegls_encoder_set_near_lossless(encoder, near_lossless)
    if err:
        return err
    if info.component_count > 1:
        err = charls_jpegls_encoder_set_interleave_mode(encoder, interleave_mode)
        if err:
            return err
    # DICOM needs even-length fragments (PS3.5 A.4): CharLS pads with an 0xFF fill
    # byte before EOI. The explicit default preset parameters above 12 bits keep
    # the stream readable by decoders with the JAI defect (CharLS's own default).
    err = charls_jpegls_encoder_set_encoding_options(
        encoder,
        <charls_encoding_options>(
            CHARLS_ENCODING_OPTIONS_EVEN_DESTINATION_SIZE
            | CHARLS_ENCODING_OPTIONS_INCLUDE_PC_PARAMETERS_JAI
        ),
    )
    if err:
        return err
    err = charls_jpegls_encoder_set_destination_buffer(encoder, destination, capacity)
    if err:
        return err
    err = charls_jpegls_encoder_encode_from_buffer(encoder, source, source_bytes, 0)
    if err:
        return err
    return charls_jpegls_encoder_get_bytes_written(encoder, written)


def encode(
    cnp.ndarray arr,
    *,
    int bits_stored,
    bint signed=False,
    int near_lossless=0,
    int interleave_mode=CHARLS_INTERLEAVE_MODE_SAMPLE,
):
    """Encode a C-contiguous (rows, columns[, components]) integer array as JPEG-LS.

    Samples must lie in the range of ``bits_stored`` (signed or not); they are coded
    with ``bits_stored`` bits per sample. Colour input is pixel-interleaved whatever
    ``interleave_mode`` the stream uses.
    """
    cdef charls_frame_info info
    cdef charls_jpegls_errc err = CHARLS_JPEGLS_ERRC_SUCCESS
    cdef charls_jpegls_encoder* encoder
    cdef size_t pixels, components, source_bytes, capacity, written = 0
    cdef int stream_itemsize
    cdef char* scratch = NULL
    cdef const void* source
    cdef PyObject* result = NULL
    cdef uint64_t mask
    cdef int64_t lowest, highest
    cdef bint planar, needs_copy
    cdef Py_ssize_t bad

    if arr.ndim not in (2, 3):
        raise ValueError(
            f"expected a (rows, columns[, samples]) array, not shape {(<object>arr).shape}"
        )
    if not cnp.PyArray_IS_C_CONTIGUOUS(arr):
        raise ValueError("the array to encode must be C-contiguous")
    if arr.dtype.kind not in "iu" or arr.dtype.itemsize not in (1, 2, 4, 8):
        raise ValueError(f"JPEG-LS encodes integer samples, not {arr.dtype}")
    if not 2 <= bits_stored <= 16:
        raise ValueError(f"JPEG-LS codes 2 to 16 bits per sample, not Bits Stored {bits_stored}")
    if interleave_mode not in (0, 1, 2):
        raise ValueError(f"interleave mode must be 0, 1 or 2, not {interleave_mode}")
    rows, columns = arr.shape[0], arr.shape[1]
    components = arr.shape[2] if arr.ndim == 3 else 1
    if not (1 <= rows <= 65535 and 1 <= columns <= 65535):
        raise ValueError(f"JPEG-LS images are 1 to 65535 pixels a side, not {rows} x {columns}")
    if not 1 <= components <= 255:
        raise ValueError(f"JPEG-LS images have 1 to 255 components, not {components}")
    pixels = <size_t>rows * columns

    if signed:
        lowest = -(<int64_t>1 << (bits_stored - 1))
        highest = (<int64_t>1 << (bits_stored - 1)) - 1
    else:
        lowest = 0
        highest = (<int64_t>1 << bits_stored) - 1
    # Compare in the array's own type: clamp the range to what the dtype can hold.
    limits = np.iinfo(arr.dtype)
    lowest = max(lowest, int(limits.min))
    highest = min(highest, int(limits.max))
    # An unchecked value above the precision would index past CharLS's tables.
    covers_dtype = (
        (arr.dtype.kind == "u" and not signed and bits_stored >= 8 * arr.dtype.itemsize)
        or (arr.dtype.kind == "i" and signed and bits_stored >= 8 * arr.dtype.itemsize)
    )
    if not covers_dtype:
        bad = _check_range(arr, lowest, highest)
        if bad >= 0:
            flat = bad // components
            raise ValueError(
                f"sample {arr.reshape(-1)[bad]} at (row {flat // columns}, column "
                f"{flat % columns}"
                + (f", sample {bad % components}" if components > 1 else "")
                + f") is outside the range [{lowest}, {highest}] of "
                f"{'signed' if signed else 'unsigned'} Bits Stored {bits_stored}"
            )

    stream_itemsize = 1 if bits_stored <= 8 else 2
    planar = components > 1 and interleave_mode == CHARLS_INTERLEAVE_MODE_NONE
    needs_copy = (
        planar
        or arr.dtype.itemsize != stream_itemsize
        or (arr.dtype.kind == "i" and bits_stored < 8 * stream_itemsize)
    )
    source_bytes = pixels * components * stream_itemsize
    mask = (<uint64_t>1 << bits_stored) - 1

    info.width = columns
    info.height = rows
    info.bits_per_sample = bits_stored
    info.component_count = <int32_t>components

    encoder = charls_jpegls_encoder_create()
    if encoder == NULL:
        raise MemoryError("CharLS could not create a JPEG-LS encoder")
    try:
        if needs_copy:
            scratch = <char*>malloc(source_bytes)
            if scratch == NULL:
                raise MemoryError(f"no memory for a {source_bytes}-byte JPEG-LS encode buffer")
            _narrow_any(arr, scratch, stream_itemsize, pixels, components, planar, mask)
            source = scratch
        else:
            source = cnp.PyArray_DATA(arr)

        # CharLS's estimate is a worst case (raw size plus headers); the result is
        # shrunk in place afterwards, so no second copy of the stream is made.
        err = charls_jpegls_encoder_set_frame_info(encoder, &info)
        if err:
            raise _charls_error(err, "JPEG-LS encoding")
        err = charls_jpegls_encoder_get_estimated_destination_size(encoder, &capacity)
        if err:
            raise _charls_error(err, "JPEG-LS encoding")
        capacity += 16
        result = PyBytes_FromStringAndSize_raw(NULL, <Py_ssize_t>capacity)
        with nogil:
            err = _encode_samples(
                encoder, &info, near_lossless, <charls_interleave_mode>interleave_mode,
                source, source_bytes, PyBytes_AS_STRING_raw(result), capacity, &written,
            )
        if err:
            raise _charls_error(err, "JPEG-LS encoding")
        _PyBytes_Resize(&result, <Py_ssize_t>written)
        encoded = <object>result
        return encoded
    finally:
        Py_XDECREF(result)
        free(scratch)
        charls_jpegls_encoder_destroy(encoder)
