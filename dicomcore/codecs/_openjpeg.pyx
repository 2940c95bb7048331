# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Thin OpenJPEG wrapper: in-memory streams, messages, memory ownership.

Everything OpenJPEG allocates is released on every path by one cleanup
function per direction. OpenJPEG reports problems through per-codec message
callbacks that run on whatever thread is decoding, without the GIL, so they
only append to a fixed-size C buffer owned by the call; the Python exception
or warnings are raised from that buffer once OpenJPEG has returned.

The Python-facing API (argument checks, dtype choice, batches) is in
:mod:`dicomcore.codecs.jpeg2000`.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memset, strlen

from dicomcore.codecs._openjpeg cimport *

import numpy as np

from dicomcore.codecs._j2k_common import JPEG2000Error

cnp.import_array()

cdef enum:
    # Room for OpenJPEG's messages from one call; anything past it is cut off.
    MESSAGE_CAPACITY = 2048
    # OpenJPEG copies the input through an internal buffer of this many bytes at most.
    STREAM_CHUNK = 1 << 20

# How decoded int32 samples are stored into the output container.
cdef enum StoreMode:
    STORE_AS_IS = 0        # plain C conversion to the container type
    STORE_LOW_BITS = 1     # keep the low `precision` bits as an unsigned value
    STORE_SIGN_EXTEND = 2  # keep the low `precision` bits as a two's complement value


cdef struct MessageLog:
    char errors[MESSAGE_CAPACITY]
    size_t errors_length
    char warnings[MESSAGE_CAPACITY]
    size_t warnings_length


cdef struct MemoryReader:
    const uint8_t *data
    size_t size
    size_t position


cdef struct MemoryWriter:
    uint8_t *data
    size_t size       # bytes written so far (the end of the codestream)
    size_t position
    size_t capacity
    bint failed


ctypedef fused sample_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t


# ---------------------------------------------------------------------------
# Message callbacks (run without the GIL on OpenJPEG's thread)

cdef void _append_message(char *buffer, size_t *length, const char *message) noexcept nogil:
    cdef size_t room = MESSAGE_CAPACITY - 1 - length[0]
    cdef size_t count = strlen(message)
    if count > room:
        count = room
    memcpy(buffer + length[0], message, count)
    length[0] += count
    buffer[length[0]] = 0


cdef void _on_error(const char *message, void *client_data) noexcept nogil:
    cdef MessageLog *log = <MessageLog *>client_data
    _append_message(log.errors, &log.errors_length, message)


cdef void _on_warning(const char *message, void *client_data) noexcept nogil:
    cdef MessageLog *log = <MessageLog *>client_data
    _append_message(log.warnings, &log.warnings_length, message)


cdef void _on_info(const char *message, void *client_data) noexcept nogil:
    pass


cdef void _attach_log(opj_codec_t *codec, MessageLog *log) noexcept nogil:
    log.errors_length = 0
    log.errors[0] = 0
    log.warnings_length = 0
    log.warnings[0] = 0
    opj_set_error_handler(codec, _on_error, log)
    opj_set_warning_handler(codec, _on_warning, log)
    opj_set_info_handler(codec, _on_info, log)


cdef list _message_lines(const char *text, size_t length):
    if length == 0:
        return []
    decoded = text[:length].decode("utf-8", "replace")
    return [line.strip() for line in decoded.splitlines() if line.strip()]


cdef _raise_with_log(str what, MessageLog *log):
    details = _message_lines(log.errors, log.errors_length)
    if details:
        raise JPEG2000Error(f"{what}: {'; '.join(details)}")
    raise JPEG2000Error(what)


# ---------------------------------------------------------------------------
# In-memory input stream

cdef OPJ_SIZE_T _read(void *buffer, OPJ_SIZE_T count, void *user_data) noexcept nogil:
    cdef MemoryReader *reader = <MemoryReader *>user_data
    cdef size_t remaining = reader.size - reader.position
    if remaining == 0:
        return <OPJ_SIZE_T>-1  # OpenJPEG's end-of-stream value
    if count > remaining:
        count = remaining
    memcpy(buffer, reader.data + reader.position, count)
    reader.position += count
    return count


cdef OPJ_OFF_T _skip_input(OPJ_OFF_T count, void *user_data) noexcept nogil:
    cdef MemoryReader *reader = <MemoryReader *>user_data
    if count < 0:
        if <size_t>(-count) > reader.position:
            count = -<OPJ_OFF_T>reader.position
    elif <size_t>count > reader.size - reader.position:
        count = <OPJ_OFF_T>(reader.size - reader.position)
    reader.position += count
    return count


cdef OPJ_BOOL _seek_input(OPJ_OFF_T offset, void *user_data) noexcept nogil:
    cdef MemoryReader *reader = <MemoryReader *>user_data
    if offset < 0 or <size_t>offset > reader.size:
        return 0
    reader.position = <size_t>offset
    return 1


cdef opj_stream_t *_input_stream(MemoryReader *reader) noexcept nogil:
    cdef size_t chunk = reader.size if reader.size < STREAM_CHUNK else STREAM_CHUNK
    if chunk < 64:
        chunk = 64
    cdef opj_stream_t *stream = opj_stream_create(chunk, 1)
    if stream == NULL:
        return NULL
    opj_stream_set_read_function(stream, _read)
    opj_stream_set_skip_function(stream, _skip_input)
    opj_stream_set_seek_function(stream, _seek_input)
    opj_stream_set_user_data(stream, reader, NULL)
    opj_stream_set_user_data_length(stream, reader.size)
    return stream


# ---------------------------------------------------------------------------
# In-memory output stream

cdef bint _reserve(MemoryWriter *writer, size_t needed) noexcept nogil:
    cdef size_t capacity = writer.capacity
    cdef uint8_t *grown
    if needed <= capacity:
        return True
    if capacity < 65536:
        capacity = 65536
    while capacity < needed:
        capacity *= 2
    grown = <uint8_t *>realloc(writer.data, capacity)
    if grown == NULL:
        writer.failed = True
        return False
    writer.data = grown
    writer.capacity = capacity
    return True


cdef OPJ_SIZE_T _write(void *buffer, OPJ_SIZE_T count, void *user_data) noexcept nogil:
    cdef MemoryWriter *writer = <MemoryWriter *>user_data
    if not _reserve(writer, writer.position + count):
        return <OPJ_SIZE_T>-1
    memcpy(writer.data + writer.position, buffer, count)
    writer.position += count
    if writer.position > writer.size:
        writer.size = writer.position
    return count


cdef OPJ_OFF_T _skip_output(OPJ_OFF_T count, void *user_data) noexcept nogil:
    cdef MemoryWriter *writer = <MemoryWriter *>user_data
    cdef size_t target
    if count < 0:
        if <size_t>(-count) > writer.position:
            return -1
        writer.position -= <size_t>(-count)
        return count
    target = writer.position + <size_t>count
    if not _reserve(writer, target):
        return -1
    if target > writer.size:
        # Bytes skipped past the end are placeholders OpenJPEG fills in later.
        memset(writer.data + writer.size, 0, target - writer.size)
        writer.size = target
    writer.position = target
    return count


cdef OPJ_BOOL _seek_output(OPJ_OFF_T offset, void *user_data) noexcept nogil:
    cdef MemoryWriter *writer = <MemoryWriter *>user_data
    if offset < 0:
        return 0
    if <size_t>offset > writer.size:
        if not _reserve(writer, <size_t>offset):
            return 0
        memset(writer.data + writer.size, 0, <size_t>offset - writer.size)
        writer.size = <size_t>offset
    writer.position = <size_t>offset
    return 1


cdef opj_stream_t *_output_stream(MemoryWriter *writer) noexcept nogil:
    cdef opj_stream_t *stream = opj_stream_create(STREAM_CHUNK, 0)
    if stream == NULL:
        return NULL
    opj_stream_set_write_function(stream, _write)
    opj_stream_set_skip_function(stream, _skip_output)
    opj_stream_set_seek_function(stream, _seek_output)
    opj_stream_set_user_data(stream, writer, NULL)
    return stream


# ---------------------------------------------------------------------------
# Format detection

# The JP2 signature box (ISO/IEC 15444-1 Annex I.5.1) that starts every JP2 file.
cdef const char *JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


cdef OPJ_CODEC_FORMAT _codec_format(const uint8_t *data, size_t size) noexcept nogil:
    """J2K for a raw codestream (SOC then SIZ), JP2 for the JP2 file format."""
    if size >= 4 and data[0] == 0xFF and data[1] == 0x4F and data[2] == 0xFF and data[3] == 0x51:
        return OPJ_CODEC_J2K
    if size >= 12 and memcmp(data, JP2_SIGNATURE, 12) == 0:
        return OPJ_CODEC_JP2
    return OPJ_CODEC_UNKNOWN


cdef str _describe_start(const uint8_t[::1] src):
    cdef Py_ssize_t n = min(src.shape[0], 12)
    return bytes(src[:n]).hex(" ")


# ---------------------------------------------------------------------------
# HT code-block check
#
# Debian's OpenJPEG 2.5.0 is built with assertions on, and its HT block
# decoder (ht_dec.c mel_init) aborts the process when a MEL stream byte 0xFF
# is followed by one above 0x8F. Conformant packet data never holds such a
# pair: it is a marker code, and every JPEG 2000 and HTJ2K coding pass is
# bit-stuffed to keep them out (15444-1 Annex A.1, 15444-15 7.1). Locating
# each MEL stream needs a full packet-header parse, so the check is on the
# whole tile-part body of codestreams with HT code-blocks.

cdef inline uint32_t _u16(const uint8_t *p) noexcept nogil:
    return (<uint32_t>p[0] << 8) | p[1]


cdef inline uint32_t _u32(const uint8_t *p) noexcept nogil:
    return (_u16(p) << 16) | _u16(p + 2)


cdef size_t _codestream_start(const uint8_t *data, size_t size) noexcept nogil:
    """Where the codestream starts: 0, or past the header of a JP2 file's jp2c box."""
    cdef size_t pos = 0, box, header
    if _codec_format(data, size) != OPJ_CODEC_JP2:
        return 0
    while pos + 8 <= size:
        box = _u32(data + pos)
        header = 8
        if box == 1:
            if pos + 16 > size or _u32(data + pos + 8) != 0:
                return size
            box = _u32(data + pos + 12)
            header = 16
        if memcmp(data + pos + 4, b"jp2c", 4) == 0:
            return pos + header
        if box < header or box > size - pos:
            return size
        pos += box
    return size


cdef void _note_coding_style(const uint8_t *segment, size_t length, uint32_t components,
                             bint *ht, bint *sop, bint *eph) noexcept nogil:
    """Record HT code-blocks and SOP/EPH use from a SIZ, CAP, COD or COC segment."""
    cdef uint32_t marker = _u16(segment)
    cdef size_t style_at
    if marker == 0xFF50:  # CAP: Part 15 capabilities
        ht[0] = True
    elif marker == 0xFF51 and length >= 6 and _u16(segment + 4) & 0x4000:
        ht[0] = True
    elif marker == 0xFF52 and length >= 13:
        sop[0] = sop[0] or (segment[4] & 0x02) != 0
        eph[0] = eph[0] or (segment[4] & 0x04) != 0
        ht[0] = ht[0] or (segment[12] & 0x40) != 0
    elif marker == 0xFF53:
        style_at = 8 + (1 if components < 257 else 2)
        if length > style_at and segment[style_at] & 0x40:
            ht[0] = True


cdef Py_ssize_t _find_marker_code(const uint8_t *data, size_t start, size_t end,
                                  bint sop, bint eph) noexcept nogil:
    """Offset of the first 0xFF byte followed by one above 0x8F, else -1."""
    cdef size_t i = start
    cdef uint8_t second
    while i + 1 < end:
        if data[i] != 0xFF:
            i += 1
            continue
        second = data[i + 1]
        if second <= 0x8F:
            i += 2
        elif sop and second == 0x91 and i + 6 <= end and _u16(data + i + 2) == 4:
            i += 6
        elif eph and second == 0x92:
            i += 2
        else:
            return <Py_ssize_t>i
    return -1


cdef inline bint _main_header_marker(uint32_t marker) noexcept nogil:
    """A marker OpenJPEG 2.5.0 reads in a main header (CAP to PPM, CRG, COM, MCT ...)."""
    return (0xFF50 <= marker <= 0xFF60 and marker not in (0xFF54, 0xFF56, 0xFF58, 0xFF5A,
                                                          0xFF5B)
            or marker in (0xFF63, 0xFF64, 0xFF74, 0xFF75, 0xFF77, 0xFF78))


cdef size_t _resync(const uint8_t *data, size_t pos, size_t size, bint *ht) noexcept nogil:
    """The offset of the next SOT marker (or ``size``), noting CAP or COD markers before it."""
    while pos + 1 < size:
        if data[pos] == 0xFF:
            if data[pos + 1] == 0x90:
                return pos
            if data[pos + 1] == 0x50 or data[pos + 1] == 0x52:
                ht[0] = True
        pos += 1
    return size


cdef Py_ssize_t _ht_marker_code(const uint8_t *data, size_t size) noexcept nogil:
    """Offset of a marker code in the packet data of an HT codestream, else -1.

    Tile-part lengths running past the end are clipped (OpenJPEG decodes
    truncated data); tile-part headers are skipped by their segment lengths.
    The EOC marker ends the packet data, also when zero bytes follow it (DICOM
    pads an odd-length fragment with one, PS3.5 A.4).
    """
    cdef size_t start = _codestream_start(data, size)
    cdef size_t pos = start + 2, length, part_end, header_end, body, body_end
    cdef size_t end = size
    cdef uint32_t marker, psot, components = 0
    cdef bint ht = False, sop = False, eph = False
    cdef Py_ssize_t found = -1
    if size < start + 4 or _u16(data + start) != 0xFF4F:
        return -1
    # Zero bytes cannot be part of a marker code, so trimming them only moves
    # the end to where an EOC would be.
    while end > start + 2 and data[end - 1] == 0:
        end -= 1
    while pos + 4 <= size and _u16(data + pos) != 0xFF90:
        length = _u16(data + pos + 2)
        if length < 2 or length > size - pos - 2 or not _main_header_marker(_u16(data + pos)):
            # OpenJPEG skips unknown markers by looking for a known one, so
            # look for the first SOT, and count any CAP or COD on the way as HT.
            pos = _resync(data, pos, size, &ht)
            break
        if _u16(data + pos) == 0xFF51 and pos + 42 <= size:
            components = _u16(data + pos + 40)
        _note_coding_style(data + pos, min(length + 2, size - pos), components, &ht, &sop, &eph)
        pos += 2 + length
    while found < 0 and pos + 12 <= size and _u16(data + pos) == 0xFF90:
        psot = _u32(data + pos + 6)
        part_end = size if psot == 0 or psot > size - pos else pos + psot
        header_end = pos + 2 + _u16(data + pos + 2)
        body = 0
        while header_end + 2 <= part_end:
            marker = _u16(data + header_end)
            if marker == 0xFF93:  # SOD
                body = header_end + 2
                break
            if header_end + 4 > part_end or data[header_end] != 0xFF:
                break
            length = _u16(data + header_end + 2)
            if length < 2:
                break
            _note_coding_style(data + header_end, min(length + 2, part_end - header_end),
                               components, &ht, &sop, &eph)
            header_end += 2 + length
        body_end = min(part_end, end)
        if body_end == end and end - pos >= 2 and _u16(data + end - 2) == 0xFFD9:
            body_end = end - 2
        # No SOD found: scan what is there, since OpenJPEG may still read on.
        found = _find_marker_code(data, body if body else header_end, body_end, sop, eph)
        if psot == 0 or part_end <= pos:
            break
        pos = part_end
    if (found < 0 and pos + 2 <= end and _u16(data + pos) != 0xFF90
            and _u16(data + pos) != 0xFFD9):
        # Bytes after the tile-parts that OpenJPEG might take as packet data.
        found = _find_marker_code(data, pos, end, sop, eph)
        if found >= 0 and <size_t>found + 2 == end and _u16(data + found) == 0xFFD9:
            found = -1
    return found if ht else -1


# ---------------------------------------------------------------------------
# Decoding

cdef struct DecodeSession:
    opj_codec_t *codec
    opj_stream_t *stream
    opj_image_t *image
    MemoryReader reader
    MessageLog log


cdef void _destroy(opj_codec_t **codec, opj_stream_t **stream,
                   opj_image_t **image) noexcept nogil:
    """Free what a decode or encode session made, once: the pointers are cleared."""
    if image[0] != NULL:
        opj_image_destroy(image[0])
        image[0] = NULL
    if stream[0] != NULL:
        opj_stream_destroy(stream[0])
        stream[0] = NULL
    if codec[0] != NULL:
        opj_destroy_codec(codec[0])
        codec[0] = NULL


cdef void _close_session(DecodeSession *session) noexcept nogil:
    _destroy(&session.codec, &session.stream, &session.image)


cdef int _open_session(DecodeSession *session, const uint8_t *data, size_t size,
                       OPJ_UINT32 reduce, int threads) noexcept nogil:
    """Create the codec and stream and read the main header.

    Returns 0 on success, 1 when the data is neither J2K nor JP2, 2 when
    OpenJPEG could not be set up, 3 when the header could not be read.
    """
    cdef opj_dparameters_t parameters
    cdef OPJ_CODEC_FORMAT codec_format = _codec_format(data, size)
    session.codec = NULL
    session.stream = NULL
    session.image = NULL
    session.reader.data = data
    session.reader.size = size
    session.reader.position = 0
    session.log.errors_length = 0
    session.log.errors[0] = 0
    session.log.warnings_length = 0
    session.log.warnings[0] = 0
    if codec_format == OPJ_CODEC_UNKNOWN:
        return 1
    session.codec = opj_create_decompress(codec_format)
    if session.codec == NULL:
        return 2
    _attach_log(session.codec, &session.log)
    opj_set_default_decoder_parameters(&parameters)
    parameters.cp_reduce = reduce
    if not opj_setup_decoder(session.codec, &parameters):
        return 2
    if threads > 1 and opj_has_thread_support():
        opj_codec_set_threads(session.codec, threads)
    session.stream = _input_stream(&session.reader)
    if session.stream == NULL:
        return 2
    if not opj_read_header(session.stream, session.codec, &session.image):
        return 3
    return 0


cdef _raise_open_failure(int status, const uint8_t[::1] src, DecodeSession *session):
    if status == 1:
        raise JPEG2000Error(
            "not a JPEG 2000 codestream: expected the SOC and SIZ markers (FF 4F FF 51) "
            f"or a JP2 signature box at offset 0, found {_describe_start(src)}"
        )
    if status == 2:
        _raise_with_log("OpenJPEG could not set up the decoder", &session.log)
    _raise_with_log("cannot read the JPEG 2000 main header", &session.log)


_PROGRESSIONS = {OPJ_LRCP: "LRCP", OPJ_RLCP: "RLCP", OPJ_RPCL: "RPCL",
                 OPJ_PCRL: "PCRL", OPJ_CPRL: "CPRL"}


def read_header(const uint8_t[::1] src not None):
    """Read a codestream's main header (or a JP2 file's header boxes) without decoding.

    Returns a dict; see :func:`dicomcore.codecs.jpeg2000.read_header`.
    """
    cdef DecodeSession session
    cdef int status
    cdef opj_codestream_info_v2_t *info = NULL
    cdef opj_image_t *image
    cdef opj_image_comp_t *comp
    cdef opj_tccp_info_t *tccp
    cdef OPJ_UINT32 i
    with nogil:
        status = _open_session(&session, &src[0] if src.shape[0] else NULL, src.shape[0], 0, 0)
        if status == 0:
            info = opj_get_cstr_info(session.codec)
    try:
        if status != 0:
            _raise_open_failure(status, src, &session)
        image = session.image
        if image.numcomps == 0:
            raise JPEG2000Error("the JPEG 2000 header declares no components")
        components = []
        for i in range(image.numcomps):
            comp = &image.comps[i]
            components.append({
                "precision": comp.prec,
                "is_signed": bool(comp.sgnd),
                "subsampling": (comp.dy, comp.dx),
            })
        header = {
            "format": "JP2" if _codec_format(&src[0], src.shape[0]) == OPJ_CODEC_JP2 else "J2K",
            "rows": image.y1 - image.y0,
            "columns": image.x1 - image.x0,
            "offset": (image.y0, image.x0),
            "components": image.numcomps,
            "precision": image.comps[0].prec,
            "is_signed": bool(image.comps[0].sgnd),
            "component_info": components,
            "color_space": int(image.color_space),
        }
        if info != NULL:
            tccp = info.m_default_tile_info.tccp_info
            header.update({
                "tile_size": (info.tdy, info.tdx),
                "tiles": (info.th, info.tw),
                "layers": info.m_default_tile_info.numlayers,
                "progression": _PROGRESSIONS.get(info.m_default_tile_info.prg, "unknown"),
                "mct": bool(info.m_default_tile_info.mct),
            })
            if tccp != NULL:
                header.update({
                    "decompositions": tccp.numresolutions - 1,
                    "reversible": tccp.qmfbid == 1,
                    "code_block_size": (1 << tccp.cblkh, 1 << tccp.cblkw),
                    # Code-block style bit 6 marks HT (Part 15) code-blocks.
                    "htj2k": bool(tccp.cblksty & 0x40),
                })
        header["warnings"] = _message_lines(session.log.warnings, session.log.warnings_length)
        return header
    finally:
        if info != NULL:
            opj_destroy_cstr_info(&info)
        _close_session(&session)


cdef void _store(opj_image_t *image, sample_t *out, StoreMode mode,
                 uint32_t precision) noexcept nogil:
    """Interleave the decoded components into ``out`` (rows, columns, components)."""
    cdef size_t count = <size_t>image.comps[0].w * image.comps[0].h
    cdef size_t components = image.numcomps
    cdef size_t i, c
    cdef const int32_t *plane
    cdef sample_t *target
    cdef uint64_t mask = (<uint64_t>1 << precision) - 1
    cdef int64_t sign = <int64_t>1 << (precision - 1)
    cdef int64_t value
    for c in range(components):
        plane = image.comps[c].data
        target = out + c
        if mode == STORE_AS_IS:
            for i in range(count):
                target[i * components] = <sample_t>plane[i]
        elif mode == STORE_LOW_BITS:
            for i in range(count):
                target[i * components] = <sample_t>(<uint64_t><int64_t>plane[i] & mask)
        else:
            for i in range(count):
                value = <int64_t>(<uint64_t><int64_t>plane[i] & mask)
                target[i * components] = <sample_t>((value ^ sign) - sign)


cdef void _store_any(opj_image_t *image, void *out, int kind, int itemsize, StoreMode mode,
                     uint32_t precision) noexcept nogil:
    if kind == 0:
        if itemsize == 1:
            _store(image, <uint8_t *>out, mode, precision)
        elif itemsize == 2:
            _store(image, <uint16_t *>out, mode, precision)
        elif itemsize == 4:
            _store(image, <uint32_t *>out, mode, precision)
        else:
            _store(image, <uint64_t *>out, mode, precision)
    else:
        if itemsize == 1:
            _store(image, <int8_t *>out, mode, precision)
        elif itemsize == 2:
            _store(image, <int16_t *>out, mode, precision)
        elif itemsize == 4:
            _store(image, <int32_t *>out, mode, precision)
        else:
            _store(image, <int64_t *>out, mode, precision)


def decode(const uint8_t[::1] src not None, cnp.ndarray out not None, *,
           int reduce=0, region=None, int threads=0, int pixel_representation=-1,
           bint sign_correction=True):
    """Decode ``src`` into the preallocated C-contiguous array ``out``.

    ``out`` must already have the decoded shape (rows, columns[, components])
    at the requested resolution and region; the caller computes it from
    :func:`read_header`. ``region`` is (top, left, bottom, right) on the
    full-resolution image. With ``pixel_representation`` 0 or 1 differing from
    the codestream's signedness and ``sign_correction``, single-component
    samples are reinterpreted from their low ``precision`` bits (pydicom 3's
    J2K sign correction); otherwise samples are stored as decoded.

    Returns the list of OpenJPEG's warnings.
    """
    cdef DecodeSession session
    cdef int status
    cdef OPJ_BOOL ok = 1
    cdef opj_image_t *image
    cdef OPJ_UINT32 i
    cdef int top = 0, left = 0, bottom = 0, right = 0
    cdef bint has_region = region is not None
    cdef StoreMode mode = STORE_AS_IS
    cdef int kind = 1 if out.dtype.kind == "i" else 0
    cdef int itemsize = out.dtype.itemsize
    cdef void *target = cnp.PyArray_DATA(out)
    cdef uint32_t precision
    cdef Py_ssize_t components
    cdef Py_ssize_t marker_at
    if not out.flags.c_contiguous or out.dtype.kind not in "iu" or itemsize not in (1, 2, 4, 8):
        raise ValueError("'out' must be a C-contiguous integer array")
    if reduce < 0:
        raise ValueError(f"reduce must be 0 or more, not {reduce}")
    if has_region:
        top, left, bottom, right = region
    with nogil:
        marker_at = _ht_marker_code(&src[0] if src.shape[0] else NULL, src.shape[0])
    if marker_at >= 0:
        raise JPEG2000Error(
            f"corrupt HT code-block data: the marker code 0xFF{src[marker_at + 1]:02X} at offset "
            f"{marker_at} lies inside a tile-part's packet data (15444-15 7.1 forbids it, and "
            "OpenJPEG 2.5.0 would abort the process on it)"
        )
    with nogil:
        status = _open_session(&session, &src[0] if src.shape[0] else NULL, src.shape[0],
                               <OPJ_UINT32>reduce, threads)
    try:
        if status != 0:
            _raise_open_failure(status, src, &session)
        image = session.image
        if has_region:
            with nogil:
                ok = opj_set_decode_area(session.codec, image,
                                         <OPJ_INT32>(image.x0 + left), <OPJ_INT32>(image.y0 + top),
                                         <OPJ_INT32>(image.x0 + right),
                                         <OPJ_INT32>(image.y0 + bottom))
            if not ok:
                _raise_with_log(f"cannot decode the region {tuple(region)}", &session.log)
        with nogil:
            ok = opj_decode(session.codec, session.stream, image)
            if ok:
                ok = opj_end_decompress(session.codec, session.stream)
        if not ok:
            _raise_with_log("OpenJPEG failed to decode the JPEG 2000 codestream", &session.log)

        for i in range(image.numcomps):
            if image.comps[i].data == NULL:
                _raise_with_log(f"OpenJPEG returned no data for component {i}", &session.log)
            if image.comps[i].dx != 1 or image.comps[i].dy != 1:
                raise JPEG2000Error(
                    f"component {i} is subsampled ({image.comps[i].dx}x{image.comps[i].dy}); "
                    "DICOM JPEG 2000 images have full-resolution components"
                )
            if (image.comps[i].w != image.comps[0].w or image.comps[i].h != image.comps[0].h
                    or image.comps[i].prec != image.comps[0].prec
                    or image.comps[i].sgnd != image.comps[0].sgnd):
                raise JPEG2000Error(
                    f"component {i} differs from component 0 in size, precision or signedness"
                )
        components = image.numcomps
        decoded_shape = (int(image.comps[0].h), int(image.comps[0].w))
        if components > 1:
            decoded_shape += (int(components),)
        out_shape = (<object>out).shape
        if out_shape != decoded_shape:
            raise JPEG2000Error(
                f"the decoded image has shape {decoded_shape} but the output array has "
                f"shape {out_shape}"
            )
        precision = image.comps[0].prec
        if precision < 1 or precision > 32:
            raise JPEG2000Error(f"unsupported JPEG 2000 precision {precision}")
        if (sign_correction and components == 1 and pixel_representation in (0, 1)
                and pixel_representation != <int>image.comps[0].sgnd):
            mode = STORE_SIGN_EXTEND if pixel_representation == 1 else STORE_LOW_BITS
        with nogil:
            _store_any(image, target, kind, itemsize, mode, precision)
        return _message_lines(session.log.warnings, session.log.warnings_length)
    finally:
        _close_session(&session)


# ---------------------------------------------------------------------------
# Encoding

cdef struct EncodeSession:
    opj_codec_t *codec
    opj_stream_t *stream
    opj_image_t *image
    MemoryWriter writer
    MessageLog log


cdef void _close_encode(EncodeSession *session) noexcept nogil:
    _destroy(&session.codec, &session.stream, &session.image)
    if session.writer.data != NULL:
        free(session.writer.data)
        session.writer.data = NULL


cdef int64_t _load(const sample_t *pixels, opj_image_t *image, int64_t low,
                   int64_t high) noexcept nogil:
    """Split interleaved ``pixels`` into the image's component planes.

    Returns -1 when every sample lies in [low, high], else the index of the
    first sample outside it (such a sample cannot be coded at the precision).
    """
    cdef size_t components = image.numcomps
    cdef size_t count = <size_t>image.comps[0].w * image.comps[0].h
    cdef size_t i, c
    cdef int32_t *plane
    cdef int64_t value
    for c in range(components):
        plane = image.comps[c].data
        for i in range(count):
            value = <int64_t>pixels[i * components + c]
            if value < low or value > high:
                return <int64_t>(i * components + c)
            plane[i] = <int32_t>value
    return -1


cdef int64_t _load_any(const void *pixels, int kind, int itemsize, opj_image_t *image,
                       int64_t low, int64_t high) noexcept nogil:
    if kind == 0:
        if itemsize == 1:
            return _load(<const uint8_t *>pixels, image, low, high)
        if itemsize == 2:
            return _load(<const uint16_t *>pixels, image, low, high)
        if itemsize == 4:
            return _load(<const uint32_t *>pixels, image, low, high)
        return _load(<const uint64_t *>pixels, image, low, high)
    if itemsize == 1:
        return _load(<const int8_t *>pixels, image, low, high)
    if itemsize == 2:
        return _load(<const int16_t *>pixels, image, low, high)
    if itemsize == 4:
        return _load(<const int32_t *>pixels, image, low, high)
    return _load(<const int64_t *>pixels, image, low, high)


def encode(cnp.ndarray arr not None, *, int precision, bint is_signed, bint reversible,
           rates=(), psnrs=(), bint mct=False, int resolutions=6, str progression="LRCP",
           code_block=(64, 64), int threads=0, bint tlm=False):
    """Encode a C-contiguous (rows, columns[, components]) integer array to a J2K codestream.

    Returns (codestream bytes, warnings list). The caller has checked the
    arguments; this function checks the samples against ``precision``.
    """
    cdef EncodeSession session
    cdef opj_cparameters_t parameters
    cdef opj_image_cmptparm_t component_parameters[4]
    cdef Py_ssize_t rows = arr.shape[0]
    cdef Py_ssize_t columns = arr.shape[1]
    cdef Py_ssize_t components = arr.shape[2] if arr.ndim == 3 else 1
    cdef int kind = 1 if arr.dtype.kind == "i" else 0
    cdef int itemsize = arr.dtype.itemsize
    cdef const void *pixels = cnp.PyArray_DATA(arr)
    cdef int64_t low, high, bad
    cdef Py_ssize_t c
    cdef OPJ_BOOL ok = 1
    cdef const char *options[2]
    cdef int layer
    if not arr.flags.c_contiguous or arr.dtype.kind not in "iu":
        raise ValueError("the array to encode must be a C-contiguous integer array")
    if components < 1 or components > 4:
        raise ValueError(f"JPEG 2000 encoding supports 1 to 4 samples per pixel, not {components}")
    if rows < 1 or columns < 1:
        raise ValueError(f"cannot encode an empty image of {rows} x {columns}")
    if precision < 1 or precision > 31:
        raise ValueError(f"precision must be 1 to 31 bits, not {precision}")
    if len(rates) > 100 or len(psnrs) > 100:
        raise ValueError("OpenJPEG supports at most 100 quality layers")
    if is_signed:
        low = -(<int64_t>1 << (precision - 1))
        high = (<int64_t>1 << (precision - 1)) - 1
    else:
        low = 0
        high = (<int64_t>1 << precision) - 1

    session.codec = NULL
    session.stream = NULL
    session.image = NULL
    session.writer.data = NULL
    session.writer.size = 0
    session.writer.position = 0
    session.writer.capacity = 0
    session.writer.failed = False
    try:
        memset(component_parameters, 0, sizeof(component_parameters))
        for c in range(components):
            component_parameters[c].dx = 1
            component_parameters[c].dy = 1
            component_parameters[c].w = <OPJ_UINT32>columns
            component_parameters[c].h = <OPJ_UINT32>rows
            component_parameters[c].prec = <OPJ_UINT32>precision
            component_parameters[c].sgnd = 1 if is_signed else 0
        with nogil:
            session.image = opj_image_create(
                <OPJ_UINT32>components, component_parameters,
                OPJ_CLRSPC_SRGB if components >= 3 else OPJ_CLRSPC_GRAY)
        if session.image == NULL:
            raise MemoryError(f"OpenJPEG could not allocate a {rows} x {columns} image")
        session.image.x0 = 0
        session.image.y0 = 0
        session.image.x1 = <OPJ_UINT32>columns
        session.image.y1 = <OPJ_UINT32>rows
        with nogil:
            bad = _load_any(pixels, kind, itemsize, session.image, low, high)
        if bad >= 0:
            value = arr.reshape(-1)[bad]
            pixel = bad // components
            raise ValueError(
                f"sample value {value} at row {pixel // columns}, column {pixel % columns} "
                f"does not fit in {precision} {'signed' if is_signed else 'unsigned'} bits "
                "(Bits Stored / Pixel Representation)"
            )

        opj_set_default_encoder_parameters(&parameters)
        parameters.cod_format = 0  # J2K codestream: DICOM forbids the JP2 wrapper
        parameters.numresolution = resolutions
        parameters.cblockh_init = code_block[0]
        parameters.cblockw_init = code_block[1]
        parameters.prog_order = {
            "LRCP": OPJ_LRCP, "RLCP": OPJ_RLCP, "RPCL": OPJ_RPCL,
            "PCRL": OPJ_PCRL, "CPRL": OPJ_CPRL}[progression]
        parameters.irreversible = 0 if reversible else 1
        parameters.tcp_mct = 1 if mct else 0
        if psnrs:
            parameters.tcp_numlayers = len(psnrs)
            for layer, value in enumerate(psnrs):
                parameters.tcp_distoratio[layer] = value
            parameters.cp_fixed_quality = 1
        elif rates:
            parameters.tcp_numlayers = len(rates)
            for layer, value in enumerate(rates):
                parameters.tcp_rates[layer] = value
            parameters.cp_disto_alloc = 1
        else:
            # One layer with every bit-plane: rate 0 means "no rate limit".
            parameters.tcp_numlayers = 1
            parameters.tcp_rates[0] = 0
            parameters.cp_disto_alloc = 1

        session.codec = opj_create_compress(OPJ_CODEC_J2K)
        if session.codec == NULL:
            raise MemoryError("OpenJPEG could not create an encoder")
        _attach_log(session.codec, &session.log)
        with nogil:
            ok = opj_setup_encoder(session.codec, &parameters, session.image)
        if not ok:
            _raise_with_log("OpenJPEG rejected the encoding parameters", &session.log)
        if tlm:
            options[0] = b"TLM=YES"
            options[1] = NULL
            if not opj_encoder_set_extra_options(session.codec, options):
                _raise_with_log("OpenJPEG cannot write TLM markers", &session.log)
        if threads > 1 and opj_has_thread_support():
            opj_codec_set_threads(session.codec, threads)
        session.stream = _output_stream(&session.writer)
        if session.stream == NULL:
            raise MemoryError("OpenJPEG could not create an output stream")
        with nogil:
            ok = opj_start_compress(session.codec, session.image, session.stream)
            if ok:
                ok = opj_encode(session.codec, session.stream)
            if ok:
                ok = opj_end_compress(session.codec, session.stream)
        if session.writer.failed:
            raise MemoryError("out of memory while writing the JPEG 2000 codestream")
        if not ok:
            _raise_with_log("OpenJPEG failed to encode the image", &session.log)
        encoded = (<char *>session.writer.data)[:session.writer.size]
        return encoded, _message_lines(session.log.warnings, session.log.warnings_length)
    finally:
        _close_encode(&session)


def version():
    """OpenJPEG's version string."""
    return opj_version().decode("ascii")
