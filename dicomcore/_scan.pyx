# cython: freethreading_compatible = True
"""The element scanner: finds where each data element of an encoded dataset lies.

PS3.5 section 7.1 defines the encoding this walks: a tag, a VR (explicit VR
only), a length, and the value. The scan records, for every element at one
nesting level, its tag, VR, length and byte offsets into the caller's buffer.
It runs without the GIL, never copies a value and creates no Python object per
element: values are converted only when the Dataset is asked for them.

Undefined-length values (sequences, encapsulated pixel data, UN holding a
sequence) are skipped by walking their items (PS3.5 section 7.5) so that their
end is known; the items themselves are scanned only when the sequence is read.
Every read is checked against the end of its region, so no length field can
make the scanner read outside the buffer or allocate by an untrusted size.
"""

cimport cython
from cpython.object cimport PyObject, PyObject_GenericGetAttr, PyObject_GenericSetAttr
from cpython.weakref cimport PyWeakref_GetObject, PyWeakref_NewRef
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy

# Packed two-character VR codes: 'OB' -> 0x4F42.
cdef enum:
    VR_OB = 0x4F42
    VR_OD = 0x4F44
    VR_OF = 0x4F46
    VR_OL = 0x4F4C
    VR_OV = 0x4F56
    VR_OW = 0x4F57
    VR_SQ = 0x5351
    VR_SV = 0x5356
    VR_UC = 0x5543
    VR_UN = 0x554E
    VR_UR = 0x5552
    VR_UT = 0x5554
    VR_UV = 0x5556
    VR_SH = 0x5348
    VR_LO = 0x4C4F
    VR_ST = 0x5354
    VR_LT = 0x4C54
    VR_PN = 0x504E

cdef enum:
    MAX_DEPTH = 128
    FLAG_UNDEFINED_LENGTH = 1
    FLAG_TRUNCATED = 2
    FLAG_IMPLICIT = 4
    OK = 0
    ERR_NO_MEMORY = 1
    ERR_VALUE_PAST_END = 2
    ERR_HEADER_PAST_END = 3
    ERR_EXPECTED_ITEM = 4
    ERR_NO_DELIMITER = 5
    ERR_TOO_DEEP = 6
    ERR_ITEM_PAST_END = 7

# Tags and lengths with special meaning (PS3.5 section 7.5)
cdef uint32_t UNDEFINED_LENGTH = 0xFFFFFFFF
cdef uint32_t ITEM_TAG = 0xFFFEE000
cdef uint32_t ITEM_DELIMITER_TAG = 0xFFFEE00D
cdef uint32_t SEQUENCE_DELIMITER_TAG = 0xFFFEE0DD




ERROR_MESSAGES = {
    ERR_NO_MEMORY: "out of memory while scanning",
    ERR_VALUE_PAST_END: "value length runs past the end of its dataset",
    ERR_HEADER_PAST_END: "element header runs past the end of its dataset",
    ERR_EXPECTED_ITEM: "expected an item tag (FFFE,E000) or a sequence delimiter",
    ERR_NO_DELIMITER: "undefined-length value has no delimiter before the end of the data",
    ERR_TOO_DEEP: f"sequences nested more than {MAX_DEPTH} levels deep",
    ERR_ITEM_PAST_END: "item length runs past the end of its sequence",
}


cdef struct Record:
    uint32_t tag
    uint32_t length          # the length field as encoded (0xFFFFFFFF if undefined)
    uint16_t vr              # packed VR characters; 0 when implicit
    uint16_t flags
    Py_ssize_t header_offset
    Py_ssize_t value_offset
    Py_ssize_t value_end     # end of the value bytes (before any delimiter item)
    Py_ssize_t element_end   # end of the whole element, delimiter included


cdef struct ScanFailure:
    int code
    uint32_t tag
    Py_ssize_t offset


cdef struct Cursor:
    const uint8_t* buf
    bint little
    bint implicit


cdef inline uint16_t read16(const uint8_t* p, bint little) noexcept nogil:
    if little:
        return <uint16_t>(p[0] | (p[1] << 8))
    return <uint16_t>((p[0] << 8) | p[1])


cdef inline uint32_t read32(const uint8_t* p, bint little) noexcept nogil:
    if little:
        return (<uint32_t>p[0]) | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | (<uint32_t>p[3])


cdef inline uint32_t read_tag(const uint8_t* p, bint little) noexcept nogil:
    return (<uint32_t>read16(p, little) << 16) | read16(p + 2, little)


cdef inline bint is_vr_letter(uint8_t c) noexcept nogil:
    return 0x40 < c < 0x5B


cdef inline bint has_long_length(uint16_t vr) noexcept nogil:
    # PS3.5 Table 7.1-1: VRs with a reserved field and a 32-bit length.
    return (vr == VR_OB or vr == VR_OD or vr == VR_OF
            or vr == VR_OL or vr == VR_OV or vr == VR_OW
            or vr == VR_SQ or vr == VR_SV or vr == VR_UC
            or vr == VR_UN or vr == VR_UR or vr == VR_UT
            or vr == VR_UV)


cdef inline int read_header(const Cursor* c, Py_ssize_t pos, Py_ssize_t end, Record* rec) noexcept nogil:
    """Decode one element header at ``pos``; fills tag, vr, length, offsets."""
    cdef const uint8_t* p
    cdef uint16_t vr
    if end - pos < 8:
        return ERR_HEADER_PAST_END
    p = c.buf + pos
    rec.header_offset = pos
    rec.tag = read_tag(p, c.little)
    rec.flags = 0
    if c.implicit or (rec.tag >> 16) == 0xFFFE:
        # Items and delimiters never carry a VR (PS3.5 section 7.5).
        rec.vr = 0
        rec.length = read32(p + 4, c.little)
        rec.value_offset = pos + 8
        if c.implicit:
            rec.flags = FLAG_IMPLICIT
        return OK
    if not (is_vr_letter(p[4]) and is_vr_letter(p[5])):
        # Some writers switch to implicit VR inside explicit data; read the
        # element as implicit VR as other toolkits do.
        rec.vr = 0
        rec.flags = FLAG_IMPLICIT
        rec.length = read32(p + 4, c.little)
        rec.value_offset = pos + 8
        return OK
    vr = <uint16_t>((p[4] << 8) | p[5])
    rec.vr = vr
    if has_long_length(vr):
        if end - pos < 12:
            return ERR_HEADER_PAST_END
        rec.length = read32(p + 8, c.little)
        rec.value_offset = pos + 12
    else:
        rec.length = read16(p + 6, c.little)
        rec.value_offset = pos + 8
    return OK


cdef int skip_item_sequence(const Cursor* c, Py_ssize_t pos, Py_ssize_t end, int depth,
                            Py_ssize_t* delimiter_offset, Py_ssize_t* after,
                            ScanFailure* err) noexcept nogil:
    """Walk the items of an undefined-length value up to its sequence delimiter."""
    cdef uint32_t tag, length
    cdef Py_ssize_t item_end
    cdef int status
    if depth > MAX_DEPTH:
        err.code = ERR_TOO_DEEP
        err.offset = pos
        return ERR_TOO_DEEP
    while True:
        if end - pos < 8:
            err.code = ERR_NO_DELIMITER
            err.offset = pos
            return ERR_NO_DELIMITER
        tag = read_tag(c.buf + pos, c.little)
        length = read32(c.buf + pos + 4, c.little)
        if tag == SEQUENCE_DELIMITER_TAG:
            delimiter_offset[0] = pos
            after[0] = pos + 8
            return OK
        if tag != ITEM_TAG:
            err.code = ERR_EXPECTED_ITEM
            err.tag = tag
            err.offset = pos
            return ERR_EXPECTED_ITEM
        pos += 8
        if length == UNDEFINED_LENGTH:
            status = skip_undefined_item(c, pos, end, depth + 1, &item_end, err)
            if status != OK:
                return status
            pos = item_end
        else:
            if <Py_ssize_t>length > end - pos:
                err.code = ERR_ITEM_PAST_END
                err.tag = ITEM_TAG
                err.offset = pos - 8
                return ERR_ITEM_PAST_END
            pos += length


cdef int skip_undefined_item(const Cursor* c, Py_ssize_t pos, Py_ssize_t end, int depth,
                             Py_ssize_t* after, ScanFailure* err) noexcept nogil:
    """Walk the elements of an undefined-length item up to its item delimiter."""
    cdef Record rec
    cdef Py_ssize_t delimiter, next_pos
    cdef int status
    cdef Cursor inner
    while True:
        status = read_header(c, pos, end, &rec)
        if status != OK:
            err.code = ERR_NO_DELIMITER
            err.offset = pos
            return ERR_NO_DELIMITER
        if rec.tag == ITEM_DELIMITER_TAG:
            after[0] = rec.value_offset
            return OK
        if rec.length == UNDEFINED_LENGTH:
            inner = c[0]
            if rec.vr == VR_UN:
                # PS3.5 section 6.2.2: UN of undefined length is implicit VR LE.
                inner.implicit = True
                inner.little = True
            status = skip_item_sequence(&inner, rec.value_offset, end, depth + 1,
                                        &delimiter, &next_pos, err)
            if status != OK:
                if err.tag == 0:
                    err.tag = rec.tag
                return status
            pos = next_pos
        else:
            if <Py_ssize_t>rec.length > end - rec.value_offset:
                err.code = ERR_VALUE_PAST_END
                err.tag = rec.tag
                err.offset = rec.header_offset
                return ERR_VALUE_PAST_END
            pos = rec.value_offset + rec.length


cdef struct RecordVector:
    Record* data
    Py_ssize_t count
    Py_ssize_t capacity


cdef inline int push(RecordVector* v, const Record* rec) noexcept nogil:
    cdef Py_ssize_t new_capacity
    cdef Record* grown
    if v.count == v.capacity:
        new_capacity = 64 if v.capacity == 0 else v.capacity * 2
        grown = <Record*>realloc(v.data, new_capacity * sizeof(Record))
        if grown == NULL:
            return ERR_NO_MEMORY
        v.data = grown
        v.capacity = new_capacity
    memcpy(&v.data[v.count], rec, sizeof(Record))
    v.count += 1
    return OK


cdef int scan_elements(const Cursor* c, Py_ssize_t pos, Py_ssize_t end, bint tolerant,
                       bint stop_at_pixels, bint group2_only, RecordVector* out,
                       Py_ssize_t* stopped_at, ScanFailure* err) noexcept nogil:
    """Record every element in ``[pos, end)``.

    ``tolerant`` is for a whole file: data that ends inside an element keeps
    what is there (the element is flagged truncated) instead of failing, as
    pydicom does for files that were cut short.
    """
    cdef Record rec
    cdef Py_ssize_t delimiter, after
    cdef int status
    cdef Cursor inner
    stopped_at[0] = pos
    while pos < end:
        status = read_header(c, pos, end, &rec)
        if status != OK:
            if tolerant:
                err.code = ERR_HEADER_PAST_END
                err.offset = pos
                stopped_at[0] = pos
                return OK
            err.code = status
            err.offset = pos
            return status
        if group2_only and (rec.tag >> 16) != 0x0002:
            break
        if stop_at_pixels and (rec.tag == 0x7FE00010 or rec.tag == 0x7FE00008
                               or rec.tag == 0x7FE00009):
            break
        if rec.tag == ITEM_DELIMITER_TAG or rec.tag == SEQUENCE_DELIMITER_TAG:
            # A stray delimiter ends the dataset (other readers stop here too).
            break
        if rec.length == UNDEFINED_LENGTH:
            rec.flags |= FLAG_UNDEFINED_LENGTH
            inner = c[0]
            if rec.vr == VR_UN:
                inner.implicit = True
                inner.little = True
            status = skip_item_sequence(&inner, rec.value_offset, end, 1, &delimiter, &after, err)
            if status != OK:
                if not tolerant or status == ERR_NO_MEMORY or status == ERR_TOO_DEEP:
                    if err.tag == 0:
                        err.tag = rec.tag
                    return status
                rec.flags |= FLAG_TRUNCATED
                delimiter = end
                after = end
                err.code = OK
            rec.value_end = delimiter
            rec.element_end = after
        elif <Py_ssize_t>rec.length > end - rec.value_offset:
            if not tolerant:
                err.code = ERR_VALUE_PAST_END
                err.tag = rec.tag
                err.offset = pos
                return ERR_VALUE_PAST_END
            rec.flags |= FLAG_TRUNCATED
            rec.value_end = end
            rec.element_end = end
        else:
            rec.value_end = rec.value_offset + rec.length
            rec.element_end = rec.value_end
        if push(out, &rec) != OK:
            err.code = ERR_NO_MEMORY
            return ERR_NO_MEMORY
        pos = rec.element_end
        stopped_at[0] = pos
    stopped_at[0] = pos
    return OK


cdef bint first_element_is_implicit(const uint8_t* buf, Py_ssize_t pos, Py_ssize_t end,
                                     bint assumed_implicit) noexcept nogil:
    """Whether the first element's VR bytes say implicit VR (two capitals mean explicit)."""
    if end - pos < 6:
        return assumed_implicit
    return not (is_vr_letter(buf[pos + 4]) and is_vr_letter(buf[pos + 5]))


cdef class ElementIndex:
    """The elements found at one level of an encoded dataset.

    Records are kept sorted by tag (a later duplicate replaces an earlier one),
    so look-ups are a binary search. Offsets index into ``buffer``.
    """

    cdef Record* records
    cdef Py_ssize_t count
    cdef readonly object buffer
    cdef readonly bint little_endian
    cdef readonly bint implicit_vr
    cdef readonly Py_ssize_t start
    cdef readonly Py_ssize_t end
    #: Offset just past the last element recorded (where the scan stopped).
    cdef readonly Py_ssize_t stopped_at
    #: Offset of an element header that the data ends inside (-1 if none).
    cdef readonly Py_ssize_t cut_header_offset
    #: True if the first element's encoding disagreed with the one assumed.
    cdef readonly bint switched_vr
    cdef readonly bint was_sorted
    #: A memoryview of ``buffer``, shared by the elements built from this index.
    cdef object view

    def __cinit__(self):
        self.records = NULL
        self.count = 0
        self.cut_header_offset = -1

    def __dealloc__(self):
        free(self.records)

    def __len__(self):
        return self.count

    cdef Py_ssize_t _find(self, uint32_t tag) noexcept nogil:
        cdef Py_ssize_t lo = 0, hi = self.count - 1, mid
        cdef uint32_t found
        while lo <= hi:
            mid = (lo + hi) >> 1
            found = self.records[mid].tag
            if found == tag:
                return mid
            if found < tag:
                lo = mid + 1
            else:
                hi = mid - 1
        return -1

    def find(self, uint32_t tag):
        """Position of ``tag`` in the index, or -1."""
        return self._find(tag)

    def tags(self):
        """Every tag, in ascending order."""
        return [self.records[i].tag for i in range(self.count)]

    def tag_at(self, Py_ssize_t i):
        return self.records[self._check(i)].tag

    cdef Py_ssize_t _check(self, Py_ssize_t i) except -1:
        if i < 0 or i >= self.count:
            raise IndexError(f"element index {i} out of range")
        return i

    def record(self, Py_ssize_t i):
        """``(tag, vr, length, value_offset, value_end, header_offset, element_end, flags)``.

        ``vr`` is the two-character VR, or None for implicit VR.
        """
        cdef Record* r = &self.records[self._check(i)]
        return (r.tag, vr_string(r.vr), r.length, r.value_offset, r.value_end,
                r.header_offset, r.element_end, r.flags)

    def write_plan(self, gone, list held_tags):
        """How to write this level again in the encoding it was read with, in tag order.

        ``held_tags`` are the sorted tags of the elements held outside the index
        (in the dataset's ``_dict``); ``gone`` the index entries they replaced or
        that were deleted. Returns a list of steps: a ``(start, end)`` range of
        ``buffer`` to copy as it is (consecutive untouched elements merged into
        one range), or an ``int`` tag whose element is encoded again. Index
        entries cut short, or reaching the end of the data (a sequence there may
        hide a cut), are encoded again too.
        """
        cdef list plan = []
        cdef Py_ssize_t data_end = len(memoryview(self.buffer))
        cdef Py_ssize_t i = 0, j = 0, held = len(held_tags)
        cdef Py_ssize_t run_start = -1, run_end = -1
        cdef uint32_t next_held
        cdef int64_t last_held = -1  # an index entry under a held tag is stale
        cdef Record* r
        cdef bint check_gone = bool(gone)
        while i < self.count or j < held:
            if j < held:
                next_held = <uint32_t>held_tags[j]
                if i >= self.count or next_held <= self.records[i].tag:
                    if run_start >= 0:
                        plan.append((run_start, run_end))
                        run_start = -1
                    plan.append(held_tags[j])
                    last_held = next_held
                    j += 1
                    continue
            r = &self.records[i]
            i += 1
            if r.tag == last_held or (check_gone and r.tag in gone):
                continue
            if r.flags & FLAG_TRUNCATED or r.element_end >= data_end:
                if run_start >= 0:
                    plan.append((run_start, run_end))
                    run_start = -1
                plan.append(r.tag)
            elif run_start >= 0 and r.header_offset == run_end:
                run_end = r.element_end
            else:
                if run_start >= 0:
                    plan.append((run_start, run_end))
                run_start, run_end = r.header_offset, r.element_end
        if run_start >= 0:
            plan.append((run_start, run_end))
        return plan

    def value_bytes(self, uint32_t tag):
        """The encoded value of ``tag`` as bytes, or None if it is not here."""
        cdef Py_ssize_t position = self._find(tag)
        if position < 0:
            return None
        return bytes(memoryview(self.buffer)[self.records[position].value_offset:
                                             self.records[position].value_end])

    @property
    def is_cut_short(self):
        """True if the data ends inside an element or an element header."""
        cdef Py_ssize_t i
        if self.cut_header_offset >= 0:
            return True
        for i in range(self.count):
            if self.records[i].flags & FLAG_TRUNCATED:
                return True
        return False

    def truncated(self):
        """Tags of the elements whose values the data ends inside."""
        return [self.records[i].tag for i in range(self.count)
                if self.records[i].flags & FLAG_TRUNCATED]


# Interned VR strings so that every element of one VR shares one str object;
# a list indexed by the two letters (each A-Z, checked by the scanner) makes
# the look-up an array access rather than a dict probe per element.
cdef list _VR_STRINGS = [None] * (26 * 26)


cdef object vr_string(uint16_t code):
    cdef int first = (code >> 8) - 0x41, second = (code & 0xFF) - 0x41
    cdef Py_ssize_t slot
    if code == 0:
        return None
    if not (0 <= first < 26 and 0 <= second < 26):
        return chr(code >> 8) + chr(code & 0xFF)
    slot = first * 26 + second
    vr = _VR_STRINGS[slot]
    if vr is None:
        vr = chr(code >> 8) + chr(code & 0xFF)
        _VR_STRINGS[slot] = vr
    return vr


cdef uint16_t vr_code(str vr):
    """The packed code of a two-letter VR string; 0 for anything else ("US or SS")."""
    if len(vr) != 2:
        return 0
    return <uint16_t>((ord(vr[0]) << 8) | ord(vr[1]))


cdef inline bint uses_charset(uint16_t code) noexcept nogil:
    # PS3.5 section 6.1.2.3: the VRs whose text the Specific Character Set applies to.
    return (code == VR_SH or code == VR_LO or code == VR_ST or code == VR_LT
            or code == VR_UC or code == VR_UT or code == VR_PN)


cdef int compare_records(const void* a, const void* b) noexcept nogil:
    cdef const Record* x = <const Record*>a
    cdef const Record* y = <const Record*>b
    if x.tag != y.tag:
        return -1 if x.tag < y.tag else 1
    # Equal tags: keep file order so the later duplicate can win.
    if x.header_offset != y.header_offset:
        return -1 if x.header_offset < y.header_offset else 1
    return 0


cdef extern from "stdlib.h":
    void qsort(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*) noexcept nogil) nogil


cdef void sort_and_dedupe(RecordVector* v, bint* was_sorted) noexcept nogil:
    cdef Py_ssize_t i, kept
    cdef bint ascending = True
    for i in range(1, v.count):
        if v.data[i].tag <= v.data[i - 1].tag:
            ascending = False
            break
    was_sorted[0] = ascending
    if ascending:
        return
    qsort(v.data, v.count, sizeof(Record), compare_records)
    kept = 0
    for i in range(v.count):
        if i + 1 < v.count and v.data[i + 1].tag == v.data[i].tag:
            continue
        v.data[kept] = v.data[i]
        kept += 1
    v.count = kept


cdef raise_scan_error(ScanFailure err):
    from dicomcore.errors import DicomParseError
    raise DicomParseError(ERROR_MESSAGES.get(err.code, f"scan error {err.code}"),
                          tag=err.tag or None, offset=err.offset)


def scan_file_start(buffer, bint force):
    """The preamble, File Meta Information and transfer syntax of a DICOM file (PS3.10 7.1).

    One call for what every read of a file does first: find the 128-byte
    preamble and ``DICM`` (or ``DICM`` alone at the start), then index the
    group 0002 elements that follow (always explicit VR little endian).

    Returns
    -------
    tuple
        ``(preamble, position, meta_index, transfer_syntax)``: the preamble
        bytes or None; the offset after the File Meta Information, or -1 when
        there is no ``DICM`` and ``force`` is False; the meta's ElementIndex,
        or None if there is no group 0002 there; and the Transfer Syntax UID
        (trailing spaces and NULs removed), or None.
    """
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0], position
    cdef const uint8_t* base = &view[0] if size > 0 else NULL
    cdef ElementIndex meta
    cdef Py_ssize_t found
    preamble = None
    if size >= 132 and memcmp(base + 128, b"DICM", 4) == 0:
        preamble = bytes(view[:128])
        position = 132
    elif size >= 4 and memcmp(base, b"DICM", 4) == 0:
        position = 4
    elif not force:
        return None, -1, None, None
    else:
        position = 0
    if size - position < 8 or base[position] != 0x02 or base[position + 1] != 0x00:
        return preamble, position, None, None
    meta = _index_region(buffer, memoryview(buffer), base, size, position, size, True, False,
                         True, False, True, True)
    transfer_syntax = None
    found = meta._find(0x00020010)
    if found >= 0:
        raw = bytes(view[meta.records[found].value_offset:meta.records[found].value_end])
        transfer_syntax = raw.decode("ascii", "replace").strip(" \0") or None
    return preamble, meta.stopped_at, meta, transfer_syntax


def scan_dataset(buffer, Py_ssize_t start=0, Py_ssize_t end=-1, *, bint little_endian=True,
                 bint implicit_vr=False, bint tolerant=False, bint stop_at_pixels=False,
                 bint group2_only=False, bint detect_vr=True):
    """Index the elements of the dataset encoded in ``buffer[start:end]``.

    Parameters
    ----------
    buffer : bytes-like
        Any object with the buffer protocol (bytes, bytearray, mmap, memoryview).
    start, end : int
        The region holding the dataset; ``end=-1`` means the end of the buffer.
    little_endian, implicit_vr : bool
        The encoding assumed (from the transfer syntax, PS3.5 section 10).
    tolerant : bool
        For a whole file: data that stops inside an element keeps what is
        there instead of raising.
    stop_at_pixels : bool
        Stop before (7FE0,0008), (7FE0,0009) or (7FE0,0010), whichever comes first.
    group2_only : bool
        Stop at the first element outside group 0002 (the File Meta Information).
    detect_vr : bool
        Check the first element's VR bytes and switch between implicit and
        explicit VR if they disagree with ``implicit_vr``.

    Returns
    -------
    ElementIndex
    """
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0]
    if end < 0 or end > size:
        end = size
    return _index_region(buffer, memoryview(buffer), &view[0] if size > 0 else NULL, size,
                         start, end, little_endian, implicit_vr, tolerant, stop_at_pixels,
                         group2_only, detect_vr)


cdef ElementIndex _index_region(object buffer, object shared_view, const uint8_t* base,
                                Py_ssize_t size, Py_ssize_t start, Py_ssize_t end,
                                bint little_endian, bint implicit_vr, bint tolerant,
                                bint stop_at_pixels, bint group2_only, bint detect_vr):
    """Scan ``base[start:end]`` (already acquired) into a new ElementIndex."""
    cdef Cursor c
    cdef RecordVector records
    cdef ScanFailure err
    cdef Py_ssize_t stopped_at = start
    cdef int status = OK
    cdef bint was_sorted = True
    cdef ElementIndex index = ElementIndex.__new__(ElementIndex)
    if start < 0 or start > end or end > size:
        raise ValueError(f"scan region [{start}, {end}) is outside the {size}-byte buffer")
    records.data = NULL
    records.count = 0
    records.capacity = 0
    err.code = OK
    err.tag = 0
    err.offset = 0
    c.buf = base
    c.little = little_endian
    c.implicit = implicit_vr
    if size > 0:
        with nogil:
            if detect_vr:
                c.implicit = first_element_is_implicit(c.buf, start, end, implicit_vr)
            status = scan_elements(&c, start, end, tolerant, stop_at_pixels, group2_only,
                                   &records, &stopped_at, &err)
            if status == OK:
                sort_and_dedupe(&records, &was_sorted)
    if status != OK:
        free(records.data)
        raise_scan_error(err)
    index.records = records.data
    index.count = records.count
    index.buffer = buffer
    index.view = shared_view
    index.little_endian = little_endian
    index.implicit_vr = c.implicit
    index.switched_vr = c.implicit != implicit_vr
    index.start = start
    index.end = end
    index.stopped_at = stopped_at
    index.was_sorted = was_sorted
    if err.code == ERR_HEADER_PAST_END:
        index.cut_header_offset = err.offset
    return index


def read_items(object source, object encodings, object dataset_class, dict template):
    """The items of a sequence read from a file, as datasets (PS3.5 section 7.5).

    ``source`` is the element's SequenceSource; each item becomes a
    ``dataset_class`` whose state is ``template`` plus its own index, parent and
    inherited character set. A sequence that reaches the end of the data may
    have been cut short, so its items are read tolerantly. Returns
    ``(items, cut)``: the datasets, and the item header offsets and indexes of
    those the data ends inside (for the caller's warnings).
    """
    buffer = source.buffer
    cdef Py_ssize_t start = source.start, end = source.end
    cdef bint little = source.little_endian, implicit = source.implicit_vr
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0]
    cdef const uint8_t* base = &view[0] if size > 0 else NULL
    cdef bint tolerant = end >= size
    cdef ElementIndex index
    cdef dict state
    shared_view = memoryview(buffer)
    # SequenceSource.parent is already a weak reference (or None): an item
    # never keeps its parent alive, so a read dataset has no reference cycle
    # and is freed as soon as it is dropped.
    parent_ref = source.parent
    items = []
    cut = []
    for header, item_start, item_end, undefined, truncated in scan_items(
            buffer, start, end, little_endian=little, implicit_vr=implicit, tolerant=tolerant):
        index = _index_region(buffer, shared_view, base, size, item_start, item_end,
                              little, implicit, tolerant and item_end >= end, False, False, True)
        item = dataset_class.__new__(dataset_class)
        state = template.copy()
        state["_dict"] = {}
        state["_index"] = index if index.count else None
        state["_parent_ref"] = parent_ref
        state["_read_implicit"] = index.implicit_vr
        state["_read_little"] = little
        state["_read_charset"] = encodings
        state["is_undefined_length_sequence_item"] = undefined
        # Straight to the instance dict: Dataset.__setattr__ would first
        # look the name up as a keyword.
        PyObject_GenericSetAttr(item, "__dict__", state)
        items.append(item)
        if truncated or index.cut_header_offset >= 0 or index.is_cut_short:
            cut.append((header if truncated else None, index))
    return items, cut


def scan_sequence(buffer, Py_ssize_t start, Py_ssize_t end, *, bint little_endian=True,
                  bint implicit_vr=False, bint tolerant=False, object shared_view=None):
    """The items of a sequence value, each already indexed: one call per sequence.

    Returns a list of ``(header_offset, index, undefined_length, truncated)``
    where ``index`` is the :class:`ElementIndex` of the item's dataset. With
    ``tolerant``, an item the data ends inside is kept and flagged, and its
    own elements are scanned tolerantly.
    """
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0]
    cdef const uint8_t* base = &view[0] if size > 0 else NULL
    if shared_view is None:
        shared_view = memoryview(buffer)
    result = []
    for header, item_start, item_end, undefined, truncated in scan_items(
            buffer, start, end, little_endian=little_endian, implicit_vr=implicit_vr,
            tolerant=tolerant):
        index = _index_region(buffer, shared_view, base, size, item_start, item_end,
                              little_endian, implicit_vr, tolerant and item_end >= end,
                              False, False, True)
        result.append((header, index, undefined, truncated))
    return result


def scan_items(buffer, Py_ssize_t start, Py_ssize_t end, *, bint little_endian=True,
               bint implicit_vr=False, bint tolerant=False):
    """The items of a sequence value in ``buffer[start:end]`` (PS3.5 section 7.5).

    ``end`` is the end of the value: for an undefined-length sequence, the
    offset of its sequence delimiter. Returns a list of
    ``(header_offset, value_offset, value_end, undefined_length, truncated)``;
    for an undefined-length item ``value_end`` is the offset of its item
    delimiter. With ``tolerant`` (the data was cut short inside this
    sequence), an item that runs past ``end`` is kept up to ``end`` and flagged
    truncated instead of raising.
    """
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0]
    cdef Cursor c
    cdef ScanFailure err
    cdef Py_ssize_t pos = start, after, item_start
    cdef uint32_t tag, length
    cdef int status
    items = []
    if end > size or start < 0 or start > end:
        raise ValueError(f"sequence region [{start}, {end}) is outside the {size}-byte buffer")
    if start == end:
        return items
    err.code = OK
    err.tag = 0
    err.offset = 0
    c.buf = &view[0]
    c.little = little_endian
    c.implicit = implicit_vr
    while pos < end:
        if end - pos < 8:
            if tolerant:
                break
            err.code = ERR_HEADER_PAST_END
            err.offset = pos
            raise_scan_error(err)
        tag = read_tag(c.buf + pos, little_endian)
        length = read32(c.buf + pos + 4, little_endian)
        if tag == SEQUENCE_DELIMITER_TAG:
            break
        if tag != ITEM_TAG:
            err.code = ERR_EXPECTED_ITEM
            err.tag = tag
            err.offset = pos
            raise_scan_error(err)
        item_start = pos + 8
        if length == UNDEFINED_LENGTH:
            with nogil:
                status = skip_undefined_item(&c, item_start, end, 1, &after, &err)
            if status != OK:
                if tolerant and status == ERR_NO_DELIMITER:
                    items.append((pos, item_start, end, True, True))
                    break
                raise_scan_error(err)
            # The item delimiter is the 8 bytes before ``after``.
            items.append((pos, item_start, after - 8, True, False))
            pos = after
        else:
            if <Py_ssize_t>length > end - item_start:
                if tolerant:
                    items.append((pos, item_start, end, False, True))
                    break
                err.code = ERR_ITEM_PAST_END
                err.tag = ITEM_TAG
                err.offset = pos
                raise_scan_error(err)
            items.append((pos, item_start, item_start + length, False, False))
            pos = item_start + length
    return items


#: scan_fragments' reasons for stopping early; encaps words the errors.
FRAGMENTS_STRAY_BYTES = 1
FRAGMENTS_NOT_AN_ITEM = 2
FRAGMENTS_UNDEFINED_LENGTH = 3
FRAGMENTS_PAST_END = 4


def scan_fragments(buffer, Py_ssize_t start, Py_ssize_t stop=-1, *, bint little_endian=True):
    """The fragment items of encapsulated pixel data from ``start`` (PS3.5 A.4).

    Walks items until the Sequence Delimitation Item, the end of ``buffer``,
    or the first item at or after ``stop`` (when ``stop`` >= 0). Returns
    ``(fragments, problem, offset, tag, length)``: ``fragments`` lists
    ``(item offset, data offset, data length)``; ``problem`` is 0, or one of
    the FRAGMENTS_* reasons for the item header at ``offset`` (whose ``tag``
    and ``length`` are given), which ends the walk.
    """
    cdef const uint8_t[::1] view = memoryview(buffer).cast("B")
    cdef Py_ssize_t size = view.shape[0], offset = start, i
    cdef uint32_t tag = 0, length = 0
    cdef int problem = 0
    fragments = []
    while stop < 0 or offset < stop:
        if size - offset < 8:
            for i in range(offset, size):
                if view[i]:
                    problem = FRAGMENTS_STRAY_BYTES
                    break
            break
        tag = read_tag(&view[offset], little_endian)
        length = read32(&view[offset + 4], little_endian)
        if tag == SEQUENCE_DELIMITER_TAG:
            break
        if tag != ITEM_TAG:
            problem = FRAGMENTS_NOT_AN_ITEM
            break
        if length == UNDEFINED_LENGTH:
            problem = FRAGMENTS_UNDEFINED_LENGTH
            break
        if <Py_ssize_t>length > size - offset - 8:
            problem = FRAGMENTS_PAST_END
            break
        fragments.append((offset, offset + 8, length))
        offset += 8 + length
    return fragments, problem, offset, tag, length


# -- elements built straight from the index -------------------------------------

cdef object _UNDECODED = object()
cdef object _convert_value = None
cdef object _sequence_source = None
cdef object _element_class = None
cdef object _resolve_vr = None
cdef dict _implicit_vrs = {}
cdef object _dictionary_vr = None
cdef object _base_tag = None
cdef frozenset _CHARSET_VRS = frozenset({"SH", "LO", "ST", "LT", "UC", "UT", "PN"})
cdef frozenset _RAW_BYTES_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})

#: Marks an element whose value has not been decoded from its bytes yet.
UNDECODED = _UNDECODED


def configure(element_class, sequence_source, convert_value, resolve_vr, dictionary_vr, base_tag):
    """Tell the scanner which Python types to build (called once by dicomcore.dataset)."""
    global _element_class, _sequence_source, _convert_value, _resolve_vr, _dictionary_vr
    global _base_tag
    _element_class = element_class
    _sequence_source = sequence_source
    _convert_value = convert_value
    _resolve_vr = resolve_vr
    _dictionary_vr = dictionary_vr
    _base_tag = base_tag


cdef class ElementCore:
    """The fields of a data element, as C slots so the reader can fill them cheaply.

    :class:`dicomcore.dataelem.DataElement` derives from this and adds the
    Python-level API. An element built by the reader points into the file's
    buffer (``_buffer[_start:_end]``) instead of holding a copy; ``_raw`` gives
    that encoded value (or a SequenceSource for a sequence), and ``_value`` the
    decoded one, :data:`UNDECODED` until it is first read. The tag is kept as a
    C integer and made a BaseTag only when asked for.
    """

    cdef uint32_t _tag_number
    cdef object _tag_object
    cdef public object VR
    cdef public object _value
    cdef object _raw_object
    cdef object _buffer
    cdef Py_ssize_t _start
    cdef Py_ssize_t _end
    cdef public bint _raw_little_endian
    cdef public object _encodings
    cdef public object file_tell
    cdef public bint is_undefined_length
    cdef public object private_creator
    cdef public object validation_mode

    @property
    def tag(self):
        tag = self._tag_object
        if tag is None:
            tag = self._tag_object = _base_tag(self._tag_number)
        return tag

    @tag.setter
    def tag(self, tag):
        self._tag_object = tag
        self._tag_number = tag

    @property
    def _raw(self):
        """The encoded value: bytes-like, a SequenceSource, or None."""
        if self._buffer is not None:
            return self._buffer[self._start:self._end]
        return self._raw_object

    @_raw.setter
    def _raw(self, raw):
        self._buffer = None
        self._raw_object = raw

    @property
    def value(self):
        """The element's value, decoded from the file on first access."""
        value = self._value
        if value is _UNDECODED:
            if self._buffer is not None:
                value = self._decode_buffer()
            else:
                value = self._decode_other()
            self._value = value
        return value

    @value.setter
    def value(self, value):
        self._set_value(value)

    cdef object _decode_buffer(self):
        raw = self._buffer[self._start:self._end]
        if self._end > self._start and self.VR in _RAW_BYTES_VRS:
            return bytes(raw)
        try:
            return _convert_value(self.VR, raw, self._raw_little_endian, self._encodings)
        except Exception as exc:
            # Say where: the conversion itself only knows the bytes.
            if hasattr(exc, "add_note"):
                exc.add_note(f"while decoding element ({self._tag_number >> 16:04X},"
                             f"{self._tag_number & 0xFFFF:04X}) {self.VR} at offset {self._start}")
            raise

    def _decode(self):
        """Decode the value from the encoded bytes (without caching it)."""
        if self._buffer is not None:
            return self._decode_buffer()
        return self._decode_other()

    @property
    def is_decoded(self):
        """False while the value is still only the encoded bytes from the file."""
        return self._value is not _UNDECODED


cdef object _private_creator(ElementIndex index, uint32_t tag, dict creators, object charset):
    """The private creator of a private element, read from the same index (PS3.5 7.8.1)."""
    cdef uint32_t creator_tag = (tag & 0xFFFF0000) | ((tag >> 8) & 0xFF)
    cdef Py_ssize_t position
    cdef Record* r
    creator = creators.get(creator_tag, _UNDECODED) if creators is not None else _UNDECODED
    if creator is _UNDECODED:
        creator = None
        position = index._find(creator_tag)
        if position >= 0:
            r = &index.records[position]
            raw = index.view[r.value_offset:r.value_end]
            value = _convert_value("LO", raw, index.little_endian, charset)
            if isinstance(value, str):
                creator = value
        if creators is not None:
            creators[creator_tag] = creator
    return creator


cdef ElementCore _build_one(ElementIndex index, Py_ssize_t position, object charset,
                            object parent, object buffer_view, dict creators):
    """The DataElement for one record (charset None means: ask ``parent`` if needed)."""
    cdef Record* r = &index.records[position]
    cdef ElementCore elem
    cdef bint implicit
    cdef uint16_t code = r.vr
    cdef bint private = (r.tag >> 16) & 1 and (r.tag & 0xFFFF) >= 0x1000
    if code == 0:
        vr = _implicit_vrs.get(r.tag)
        if vr is None:
            vr = _resolve_vr(parent, r.tag, None, r.flags, r.length)
            # The dictionary's answer for a public tag never changes; UN
            # depends on the element's length, so it is not cached.
            if not (r.tag >> 16) & 1 and vr != "UN" and len(_implicit_vrs) < 8192:
                _implicit_vrs[r.tag] = vr
        code = vr_code(vr)
    elif code == VR_UN:
        vr = _resolve_vr(parent, r.tag, "UN", r.flags, r.length)
        code = vr_code(vr)
    else:
        vr = vr_string(code)
    # The subclass inherits ElementCore's tp_new: no bound __new__ per element.
    elem = ElementCore.__new__(_element_class)
    elem._tag_number = r.tag
    elem.VR = vr
    elem._value = _UNDECODED
    elem._raw_little_endian = index.little_endian
    elem.file_tell = r.value_offset
    elem.is_undefined_length = (r.flags & FLAG_UNDEFINED_LENGTH) != 0
    # Specific Character Set itself never needs one (and asking would recurse).
    if (charset is None and parent is not None and r.tag != 0x00080005
            and (code == VR_SQ or uses_charset(code) or private)):
        charset = parent._character_set
    if code == VR_SQ:
        implicit = index.implicit_vr or (r.flags & FLAG_IMPLICIT) != 0
        # Weak: the element is held by ``parent``, which must not be kept
        # alive by it (no cycle, freed without the cyclic GC).
        parent_ref = PyWeakref_NewRef(parent, None) if parent is not None else None
        if r.vr == VR_UN:
            # PS3.5 section 6.2.2: a sequence encoded as UN is implicit VR LE.
            elem._raw_object = _sequence_source(index.buffer, r.value_offset, r.value_end,
                                                True, True, parent_ref)
        else:
            elem._raw_object = _sequence_source(index.buffer, r.value_offset, r.value_end,
                                                index.little_endian, implicit, parent_ref)
        elem._encodings = charset
    else:
        elem._buffer = buffer_view
        elem._start = r.value_offset
        elem._end = r.value_end
        elem._encodings = charset if uses_charset(code) else None
    if private:
        elem.private_creator = _private_creator(index, r.tag, creators, charset)
    return elem


def element_for(ElementIndex index, uint32_t tag, object parent):
    """The DataElement for ``tag`` in ``index``, or None; ``parent`` is its Dataset.

    The character set is asked of ``parent`` only for elements that need one.
    The caller settles ambiguous VRs (``len(element.VR) > 2``).
    """
    cdef Py_ssize_t position = index._find(tag)
    if position < 0:
        return None
    return _build_one(index, position, None, parent, index.view, None)


def build_elements(ElementIndex index, positions, object charset, object parent):
    """DataElements for the records at ``positions`` (all if None).

    Returns ``(tags, elements, ambiguous)``: the tags and elements in tag
    order, and the elements whose VR the dictionary leaves open (``US or SS``
    and the like), which the dataset must settle. Implicit VR and UN elements
    get the VR that ``resolve_vr`` gives; private elements get their private
    creator.
    """
    cdef Py_ssize_t position
    cdef ElementCore elem
    cdef dict creators = {}
    cdef list tags = [], elements = [], ambiguous = []
    buffer_view = index.view
    if positions is None:
        positions = range(index.count)
    for position in positions:
        if position < 0 or position >= index.count:
            raise IndexError(f"element index {position} out of range")
        elem = _build_one(index, position, charset, parent, buffer_view, creators)
        if len(elem.VR) > 2:
            ambiguous.append(elem)
        tags.append(elem._tag_number)
        elements.append(elem)
    return tags, elements, ambiguous


# -- the look-up half of Dataset, in C ------------------------------------------

#: keyword -> tag (int), from the data dictionary; set by configure_dataset.
cdef dict _keyword_tags = {}
cdef object _SPECIFIC_CHARACTER_SET_TAG = 0x00080005


def configure_dataset(dict keyword_tags):
    """Tell DatasetCore the dictionary's keywords (called once by dicomcore.dataset)."""
    global _keyword_tags
    _keyword_tags = keyword_tags


cdef extern from "Python.h":
    PyObject** _PyObject_GetDictPtr(object obj)
    object PyObject_GenericGetDict(object obj, void* context)


cdef inline dict _instance_dict(object obj):
    cdef PyObject** slot = _PyObject_GetDictPtr(obj)
    if slot != NULL and slot[0] != NULL:
        return <dict>slot[0]
    return PyObject_GenericGetDict(obj, NULL)


cdef inline object _element_value(object elem):
    """``elem.value`` without the property call when it is one of ours."""
    cdef ElementCore core
    if isinstance(elem, ElementCore):
        core = <ElementCore>elem
        value = core._value
        if value is not _UNDECODED:
            return value
        if core._buffer is not None:
            value = core._decode_buffer()
        else:
            value = core._decode_other()
        core._value = value
        return value
    return elem.value


cdef extern from *:
    """
    /* tp_getattro of DatasetCore, in plain C so that a missing attribute
       raises straight from PyObject_GenericGetAttr: no Cython traceback
       frame is made for the AttributeError that getattr(ds, name, None)
       throws away. */
    static PyObject *(*dicomcore_keyword_value)(PyObject *self, PyObject *name);
    static PyObject *dicomcore_not_an_element;
    static PyObject *dicomcore_dataset_getattro(PyObject *self, PyObject *name) {
        PyObject *value = dicomcore_keyword_value(self, name);
        if (value != dicomcore_not_an_element)
            return value;  /* the value, or NULL with the exception set */
        Py_DECREF(value);
        return PyObject_GenericGetAttr(self, name);
    }
    static int dicomcore_install_getattro(PyTypeObject *type,
                                          PyObject *(*keyword_value)(PyObject *, PyObject *),
                                          PyObject *not_an_element) {
        /* Python subclasses take tp_getattro from the nearest __getattribute__
           wrapper in their MRO, so the type gets one wrapping the C function
           (the slot description is borrowed from object's own wrapper). */
        PyObject *generic = PyDict_GetItemString(PyBaseObject_Type.tp_dict, "__getattribute__");
        PyObject *wrapper;
        if (generic == NULL || !PyObject_TypeCheck(generic, &PyWrapperDescr_Type)) {
            PyErr_SetString(PyExc_RuntimeError, "object.__getattribute__ is not a slot wrapper");
            return -1;
        }
        wrapper = PyDescr_NewWrapper(type, ((PyWrapperDescrObject *)generic)->d_base,
                                     (void *)dicomcore_dataset_getattro);
        if (wrapper == NULL)
            return -1;
        if (PyDict_SetItemString(type->tp_dict, "__getattribute__", wrapper) < 0) {
            Py_DECREF(wrapper);
            return -1;
        }
        Py_DECREF(wrapper);
        dicomcore_keyword_value = keyword_value;
        Py_INCREF(not_an_element);
        dicomcore_not_an_element = not_an_element;
        type->tp_getattro = dicomcore_dataset_getattro;
        PyType_Modified(type);
        return 0;
    }
    """
    ctypedef object (*KeywordValueFunction)(object, object)
    int dicomcore_install_getattro(type t, KeywordValueFunction keyword_value,
                                   object not_an_element) except -1


#: What _keyword_attribute returns for a name that is no element here.
cdef object _NOT_AN_ELEMENT = object()


cdef object _keyword_attribute(object dataset, object name):
    """``dataset.<keyword>`` answered from the elements; _NOT_AN_ELEMENT otherwise.

    A keyword attribute (``ds.Rows``) is answered before the normal attribute
    look-up, which is what ``__getattr__`` would do after a failed one, without
    the failed look-up's AttributeError. Anything else, and a keyword with no
    element, takes the normal look-up, whose AttributeError names the class
    and the attribute as pydicom's does.
    """
    tag = _keyword_tags.get(name)
    if tag is None:
        return _NOT_AN_ELEMENT
    elem = (<DatasetCore>dataset)._lookup_element(tag)
    if elem is None:
        return _NOT_AN_ELEMENT
    if not isinstance(elem, ElementCore):
        # A RawDataElement the user stored: converted on first use.
        elem = dataset._convert_raw(elem)
    return _element_value(elem)


@cython.auto_pickle(False)
cdef class DatasetCore:
    """The hot look-up paths of :class:`dicomcore.dataset.Dataset`, in C.

    The state stays in the instance ``__dict__`` (``_dict``, ``_index``,
    ``_index_gone``, ...), as pydicom's Dataset keeps arbitrary attributes
    there and other modules read it; this class only reads it faster. A
    keyword attribute (``ds.Rows``) is answered here before the normal
    attribute look-up, which is what ``__getattr__`` would do after a failed
    one, without the failed look-up's AttributeError.
    """

    cdef object _lookup_element(self, object tag):
        cdef dict state = _instance_dict(self)
        cdef dict elements = <dict>state["_dict"]
        cdef ElementIndex index
        elem = elements.get(tag)
        if elem is not None:
            return elem
        found = state.get("_index")
        if found is None:
            return None
        index = <ElementIndex>found
        gone = state.get("_index_gone")
        if gone is not None and tag in <set>gone:
            return None
        cdef Py_ssize_t position = index._find(<uint32_t>tag)
        if position < 0:
            return None
        elem = _build_one(index, position, None, self, index.view, None)
        if len((<ElementCore>elem).VR) > 2:
            self._correct_ambiguous(elem)
        elements[tag] = elem
        # Building the element may have taken others out (and made the set).
        gone = state.get("_index_gone")
        if gone is None:
            gone = set()
            state["_index_gone"] = gone
        (<set>gone).add(tag)
        return elem

    @property
    def _parent(self):
        """The dataset holding the sequence this item is in, or None (held weakly)."""
        ref = _instance_dict(self).get("_parent_ref")
        if ref is None:
            return None
        parent = <object>PyWeakref_GetObject(ref)
        return parent

    @_parent.setter
    def _parent(self, parent):
        _instance_dict(self)["_parent_ref"] = (
            PyWeakref_NewRef(parent, None) if parent is not None else None)

    def _lookup(self, tag):
        """The element for ``tag`` (taking it out of the index if needed), or None."""
        return self._lookup_element(tag)

    cdef list _realize_into(self, dict state):
        """Move every element still in the index into ``_dict``.

        Returns the elements in tag order when ``_dict`` held nothing before
        (the common case: a dataset iterated once), else None.
        """
        index = state.get("_index")
        if index is None:
            return None
        gone = state.get("_index_gone")
        positions = None
        if gone:
            positions = [i for i, tag in enumerate(index.tags()) if tag not in gone]
        cdef dict elements_by_tag = <dict>state["_dict"]
        charset = state.get("_charset")
        if charset is None:
            # The common case for a sequence item, as Dataset._character_set
            # has it: no Specific Character Set of its own, so the inherited one.
            charset = state.get("_read_charset")
            if (charset is not None and _SPECIFIC_CHARACTER_SET_TAG not in elements_by_tag
                    and (<ElementIndex>index)._find(0x00080005) < 0):
                state["_charset"] = charset
            else:
                charset = self._character_set
        tags, elements, ambiguous = build_elements(index, positions, charset, self)
        cdef bint was_empty = not elements_by_tag
        elements_by_tag.update(zip(tags, elements))
        state["_index"] = None
        state["_index_gone"] = None
        for elem in ambiguous:
            self._correct_ambiguous(elem)
        if was_empty and len(elements_by_tag) == len(<list>elements):
            return <list>elements
        return None

    def _realize(self):
        """Move every element still in the index into ``_dict``."""
        self._realize_into(_instance_dict(self))

    def __iter__(self):
        cdef dict state = _instance_dict(self)
        cdef list ordered = self._realize_into(state)
        cdef Py_ssize_t i
        if ordered is None:
            elements = <dict>state["_dict"]
            ordered = [elements[tag] for tag in sorted(elements)]
        for i in range(len(ordered)):
            if not isinstance(ordered[i], ElementCore):
                # A RawDataElement the user stored: converted on first use.
                ordered[i] = self._convert_raw(ordered[i])
        return iter(ordered)


dicomcore_install_getattro(DatasetCore, _keyword_attribute, _NOT_AN_ELEMENT)
