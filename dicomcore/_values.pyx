# cython: language_level=3
"""Fast paths of :mod:`dicomcore.values` (raw element bytes <-> values).

Every function here gives exactly what the pure-Python code in
``dicomcore.values`` gives; it only takes over the common, clean cases
(binary numbers, default-repertoire text, DS, IS, UI, single-byte or UTF-8
text, PN) and hands anything unusual (escape sequences, invalid values that
need a warning, configuration switches such as ``use_DS_decimal``) to the
Python implementation, so the two can never disagree on the rare cases.

Byte scanning (splitting at backslashes, trimming padding, checking the
characters of DS/IS/UI/PN values) runs in ``noexcept nogil`` C functions,
called inside ``with nogil:`` for values of at least ``_NOGIL_MIN_BYTES``.
Shorter values are scanned with the GIL held on purpose: releasing and
taking it back costs ~20 ns, more than scanning a short value, and while
other threads run, a thread that gives the GIL up may wait a whole switch
interval (5 ms) to get it back, so releasing it for every 10-byte value
would make multi-threaded readers crawl.
"""

from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.float cimport PyFloat_FromDouble
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.object cimport PyObject, PyTypeObject
from cpython.long cimport (
    PyLong_FromLong,
    PyLong_FromLongLong,
    PyLong_FromUnsignedLong,
    PyLong_FromUnsignedLongLong,
)
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_DecodeLatin1, PyUnicode_DecodeUTF8
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.float cimport FLT_MAX
from libc.math cimport fabs, isinf
from libc.string cimport memchr, memcpy

import codecs

from dicomcore import config as _config
from dicomcore.multival import MultiValue
from dicomcore.valuerep import DSfloat, IS, PersonName

cdef extern from "Python.h":
    PyObject* PyDict_GetItem(object, object)
    ctypedef struct PyFloatObject:
        double ob_fval
    object PyType_GenericAlloc(PyTypeObject*, Py_ssize_t)
    double PyOS_string_to_double(const char*, char**, PyObject*) except? -1.0
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    Py_UCS4 PyUnicode_READ_CHAR(object, Py_ssize_t)
    bint PyUnicode_Check(object)
    bint PyLong_CheckExact(object)
    bint PyFloat_CheckExact(object)
    bint PyList_CheckExact(object)
    double PyFloat_AS_DOUBLE(object)
    object PyUnicode_AsLatin1String(object)
    object PyUnicode_AsUTF8String(object)
    long long PyLong_AsLongLongAndOverflow(object, int*) except? -1
    Py_ssize_t PyList_GET_SIZE(object)
    object PyList_GET_ITEM_NEW "__Pyx_PyList_GET_ITEM_NEW" (object, Py_ssize_t)

cdef extern from *:
    """
    static PyObject* __Pyx_PyList_GET_ITEM_NEW(PyObject* list, Py_ssize_t i) {
        PyObject* item = PyList_GET_ITEM(list, i);
        Py_INCREF(item);
        return item;
    }
    """

# Values at least this long are scanned with the GIL released.
DEF _NOGIL_MIN_BYTES = 4096
# Most values have few items: their bounds live on the stack.
DEF _STACK_PIECES = 32

cdef enum:
    VR_AE = 0x4145
    VR_AS = 0x4153
    VR_AT = 0x4154
    VR_CS = 0x4353
    VR_DA = 0x4441
    VR_DS = 0x4453
    VR_DT = 0x4454
    VR_FD = 0x4644
    VR_FL = 0x464C
    VR_IS = 0x4953
    VR_LO = 0x4C4F
    VR_LT = 0x4C54
    VR_OB = 0x4F42
    VR_OD = 0x4F44
    VR_OF = 0x4F46
    VR_OL = 0x4F4C
    VR_OV = 0x4F56
    VR_OW = 0x4F57
    VR_PN = 0x504E
    VR_SH = 0x5348
    VR_SL = 0x534C
    VR_SQ = 0x5351
    VR_SS = 0x5353
    VR_ST = 0x5354
    VR_SV = 0x5356
    VR_TM = 0x544D
    VR_UC = 0x5543
    VR_UI = 0x5549
    VR_UL = 0x554C
    VR_UN = 0x554E
    VR_UR = 0x5552
    VR_US = 0x5553
    VR_UT = 0x5554
    VR_UV = 0x5556

# How the bytes of a value are cut into items (PS3.5 section 6.2).
cdef enum Trim:
    TRIM_MULTI_STRING   # value rstrip(" \0"), split; items kept as they are
    TRIM_AE             # split; items strip() (AE spaces are not significant)
    TRIM_TEXT           # split; items rstrip("\0 ") (SH, LO, UC)
    TRIM_DS             # value strip(), rstrip(" \0"), split; items strip()
    TRIM_SINGLE         # no split; rstrip("\0 ") (ST, LT, UT)

# Codec families with a C fast path.
cdef enum CodecKind:
    CODEC_OTHER = 0          # Python decodes it
    CODEC_LATIN1 = 1         # every byte is one character
    CODEC_UTF8 = 2
    CODEC_ASCII_SUPERSET = 3  # ASCII bytes are ASCII characters (fast only if all < 0x80)

cdef dict _config_dict = _config.__dict__
cdef object _settings = _config.settings

# Instances are made through the base types' tp_new, as float.__new__(DSfloat, x)
# would, without the argument re-packing of the Python-level __new__ wrapper;
# the classes' own __new__/__init__ are what these fast paths replace.
cdef PyTypeObject* _INT_TP = <PyTypeObject*>int
cdef PyTypeObject* _OBJECT_TP = <PyTypeObject*>object
cdef PyTypeObject* _STR_TP = <PyTypeObject*>str
cdef object _DSFLOAT = DSfloat
cdef object _IS = IS
cdef object _PERSON_NAME = PersonName
cdef object _MULTI_VALUE = MultiValue
cdef tuple _NO_ARGS = ()

cdef object _python_values = None
cdef dict _codec_kinds = {}
cdef list _last_encodings = None
cdef tuple _last_encodings_tuple = None
cdef tuple _DEFAULT_ENCODINGS = ("iso8859",)

cdef bint _HOST_LITTLE
cdef uint16_t _probe = 1
_HOST_LITTLE = (<uint8_t*>&_probe)[0] == 1


cdef object _py():
    """dicomcore.values (imported late: it imports this module)."""
    global _python_values
    if _python_values is None:
        import dicomcore.values as module
        _python_values = module
    return _python_values


cdef inline object _fallback(object vr, object raw, bint little, object encodings):
    return _py().convert_value_py(vr, raw, little, encodings)


cdef inline bint _config_flag(str name) except -1:
    cdef PyObject* value = PyDict_GetItem(_config_dict, name)  # borrowed
    if value == NULL or value == <PyObject*>False:
        return False
    if value == <PyObject*>True:
        return True
    return bool(<object>value)


# ---------------------------------------------------------------------------
# Byte scanning (no Python objects)
# ---------------------------------------------------------------------------

# The Latin-1 characters str.strip() removes: 0x09-0x0D, 0x1C-0x20, 0x85, 0xA0.
cdef bint _PY_SPACE[256]
for _c in range(256):
    _PY_SPACE[_c] = 0x09 <= _c <= 0x0D or 0x1C <= _c <= 0x20 or _c == 0x85 or _c == 0xA0


cdef inline bint _is_py_space(uint8_t c) noexcept nogil:
    return _PY_SPACE[c]


cdef inline Py_ssize_t _count_byte(const uint8_t* p, Py_ssize_t n, uint8_t byte) noexcept nogil:
    cdef Py_ssize_t count = 0
    cdef const uint8_t* found
    cdef const uint8_t* end = p + n
    while p < end:
        found = <const uint8_t*>memchr(p, byte, end - p)
        if found == NULL:
            break
        count += 1
        p = found + 1
    return count


cdef inline bint _has_high_or_escape(const uint8_t* p, Py_ssize_t n, bint* has_escape) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint high = False
    for i in range(n):
        if p[i] >= 0x80:
            high = True
        elif p[i] == 0x1B:
            has_escape[0] = True
    return high


cdef Py_ssize_t _split(const uint8_t* p, Py_ssize_t n, Trim trim,
                       Py_ssize_t* starts, Py_ssize_t* ends) noexcept nogil:
    """Item bounds of the value; returns the number of items."""
    cdef Py_ssize_t begin = 0, end = n, count = 0, i, a, b
    if trim == TRIM_DS:
        while begin < end and _is_py_space(p[begin]):
            begin += 1
        while end > begin and _is_py_space(p[end - 1]):
            end -= 1
    if trim == TRIM_MULTI_STRING or trim == TRIM_DS or trim == TRIM_SINGLE:
        while end > begin and (p[end - 1] == 0x20 or p[end - 1] == 0x00):
            end -= 1
    if trim == TRIM_SINGLE:
        starts[0] = begin
        ends[0] = end
        return 1
    cdef const uint8_t* separator
    a = begin
    while True:
        separator = <const uint8_t*>memchr(p + a, 0x5C, end - a)
        if separator == NULL:
            starts[count] = a
            ends[count] = end
            count += 1
            break
        starts[count] = a
        ends[count] = separator - p
        count += 1
        a = separator - p + 1
    for i in range(count):
        a = starts[i]
        b = ends[i]
        if trim == TRIM_AE or trim == TRIM_DS:
            while a < b and _is_py_space(p[a]):
                a += 1
            while b > a and _is_py_space(p[b - 1]):
                b -= 1
        elif trim == TRIM_TEXT:
            while b > a and (p[b - 1] == 0x20 or p[b - 1] == 0x00):
                b -= 1
        starts[i] = a
        ends[i] = b
    return count


cdef inline bint _is_digit(uint8_t c) noexcept nogil:
    return 0x30 <= c <= 0x39


cdef bint _valid_ds(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """[+-]digits[.digits] or [+-].digits, optional exponent; at most 16 characters."""
    cdef Py_ssize_t i = a, digits = 0
    if b - a > 16 or b <= a:
        return False
    if p[i] == 0x2B or p[i] == 0x2D:
        i += 1
    while i < b and _is_digit(p[i]):
        i += 1
        digits += 1
    if i < b and p[i] == 0x2E:
        i += 1
        while i < b and _is_digit(p[i]):
            i += 1
            digits += 1
    if digits == 0:
        return False
    if i < b and (p[i] == 0x45 or p[i] == 0x65):
        i += 1
        if i < b and (p[i] == 0x2B or p[i] == 0x2D):
            i += 1
        if i >= b or not _is_digit(p[i]):
            return False
        while i < b and _is_digit(p[i]):
            i += 1
    return i == b


cdef bint _parse_is(const uint8_t* p, Py_ssize_t a, Py_ssize_t b, int64_t* out) noexcept nogil:
    """[+-]digits in the signed 32-bit range (PS3.5 Table 6.2-1)."""
    cdef Py_ssize_t i = a
    cdef int64_t value = 0
    cdef bint negative = False
    if b <= a:
        return False
    if p[i] == 0x2B or p[i] == 0x2D:
        negative = p[i] == 0x2D
        i += 1
    if i >= b:
        return False
    while i < b:
        if not _is_digit(p[i]):
            return False
        value = value * 10 + (p[i] - 0x30)
        i += 1
    if negative:
        value = -value
    if value < -2147483648 or value > 2147483647:
        return False
    out[0] = value
    return True


cdef bint _is_item_form_ok(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """IS items as read: optional spaces around [+-]digits, at most 12 characters."""
    cdef Py_ssize_t i
    if b - a > 12:
        return False
    for i in range(a, b):
        if not (_is_digit(p[i]) or p[i] == 0x20 or p[i] == 0x2B or p[i] == 0x2D):
            return False
    return True


cdef bint _valid_uid(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """Digits in dot-separated components without leading zeros; at most 64
    characters (PS3.5 section 9.1)."""
    cdef Py_ssize_t i, component_start = a
    if b - a > 64 or b <= a:
        return False
    for i in range(a, b + 1):
        if i == b or p[i] == 0x2E:
            if i == component_start:
                return False
            if p[component_start] == 0x30 and i - component_start > 1:
                return False
            component_start = i + 1
        elif not _is_digit(p[i]):
            return False
    return True


cdef bint _pn_groups_ok(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """At most three '='-separated groups of at most 64 bytes each."""
    cdef Py_ssize_t i, groups = 1, group_start = a
    for i in range(a, b + 1):
        if i == b or p[i] == 0x3D:
            if i - group_start > 64:
                return False
            if i < b:
                groups += 1
                if groups > 3:
                    return False
            group_start = i + 1
    return True


# ---------------------------------------------------------------------------
# Binary numbers (PS3.5 Table 6.2-1: US SS UL SL UV SV FL FD)
# ---------------------------------------------------------------------------

cdef inline uint16_t _load16(const uint8_t* p, bint swap) noexcept nogil:
    cdef uint16_t v
    memcpy(&v, p, 2)
    if swap:
        v = <uint16_t>((v >> 8) | (v << 8))
    return v


cdef inline uint32_t _load32(const uint8_t* p, bint swap) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    if swap:
        v = ((v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24))
    return v


cdef inline uint64_t _load64(const uint8_t* p, bint swap) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    if swap:
        v = ((<uint64_t>_load32(<const uint8_t*>&v, True) << 32)
             | _load32((<const uint8_t*>&v) + 4, True))
    return v


cdef object _number(int code, const uint8_t* p, bint swap):
    cdef uint32_t u32
    cdef uint64_t u64
    cdef float f32
    cdef double f64
    if code == VR_US:
        return PyLong_FromLong(_load16(p, swap))
    if code == VR_SS:
        return PyLong_FromLong(<int16_t>_load16(p, swap))
    if code == VR_UL:
        return PyLong_FromUnsignedLong(_load32(p, swap))
    if code == VR_SL:
        return PyLong_FromLong(<int32_t>_load32(p, swap))
    if code == VR_UV:
        return PyLong_FromUnsignedLongLong(_load64(p, swap))
    if code == VR_SV:
        return PyLong_FromLongLong(<int64_t>_load64(p, swap))
    if code == VR_FL:
        u32 = _load32(p, swap)
        memcpy(&f32, &u32, 4)
        return PyFloat_FromDouble(f32)
    u64 = _load64(p, swap)
    memcpy(&f64, &u64, 8)
    return PyFloat_FromDouble(f64)


cdef inline Py_ssize_t _number_size(int code) noexcept nogil:
    if code == VR_US or code == VR_SS:
        return 2
    if code == VR_UL or code == VR_SL or code == VR_FL:
        return 4
    return 8


cdef object _convert_numbers(object vr, int code, const uint8_t* p, Py_ssize_t n,
                             bint little, object raw):
    cdef Py_ssize_t size = _number_size(code)
    cdef Py_ssize_t count, i
    cdef bint swap = little != _HOST_LITTLE
    cdef list items
    if n % size:
        # The Python code words the error; it raises the same exception.
        return _fallback(vr, raw, little, None)
    count = n // size
    if count == 1:
        return _number(code, p, swap)
    items = PyList_New(count)
    for i in range(count):
        item = _number(code, p + i * size, swap)
        Py_INCREF(item)
        PyList_SET_ITEM(items, i, item)
    return items


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

cdef int _codec_kind(object name) except -1:
    kind = _codec_kinds.get(name)
    if kind is not None:
        return kind
    result = CODEC_OTHER
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, TypeError):
        canonical = None
    if canonical == "iso8859-1":
        result = CODEC_LATIN1
    elif canonical == "utf-8":
        result = CODEC_UTF8
    elif canonical is not None:
        ascii_bytes = bytes([c for c in range(128) if c != 0x1B])
        try:
            if ascii_bytes.decode(name) == ascii_bytes.decode("ascii"):
                result = CODEC_ASCII_SUPERSET
        except Exception:
            pass
    _codec_kinds[name] = result
    return result


cdef inline object _first_codec(object encodings):
    if encodings is None:
        return "iso8859"
    if PyList_CheckExact(encodings) and PyList_GET_SIZE(encodings) > 0:
        return PyList_GET_ITEM_NEW(encodings, 0)
    if isinstance(encodings, str):
        return encodings
    for codec in encodings:
        return codec
    return "iso8859"


cdef tuple _encodings_tuple(object encodings):
    global _last_encodings, _last_encodings_tuple
    if encodings is None:
        return _DEFAULT_ENCODINGS
    if isinstance(encodings, str):
        return (encodings,)
    if _last_encodings is not None and encodings == _last_encodings:
        return _last_encodings_tuple
    result = tuple(encodings) or _DEFAULT_ENCODINGS
    _last_encodings = list(encodings)
    _last_encodings_tuple = result
    return result


cdef inline object _new_is(object number, object text):
    """IS(text) for a checked text whose value is `number`."""
    cdef tuple args = (number,)
    instance = _INT_TP.tp_new(<type>_IS, <PyObject*>args, NULL)
    instance.original_string = text
    return instance


cdef double[23] _POWERS_OF_TEN = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]


cdef inline bint _exact_decimal(const uint8_t* p, Py_ssize_t a, Py_ssize_t b,
                                double* out) noexcept nogil:
    """Parse a checked DS text when one IEEE operation gives the exact result.

    With at most 15 significant digits the mantissa is an exact double, and
    so is 10**k for k <= 22; a single multiplication or division of the two
    is correctly rounded, i.e. identical to float(text). Other texts return
    False and go to the general parser.
    """
    cdef uint64_t mantissa = 0
    cdef int significant = 0, scale = 0, exponent = 0, exponent_sign = 1
    cdef bint negative = False, after_point = False
    cdef Py_ssize_t i = a
    cdef uint8_t c
    if p[i] == 0x2B or p[i] == 0x2D:
        negative = p[i] == 0x2D
        i += 1
    while i < b:
        c = p[i]
        if c == 0x2E:
            after_point = True
        elif c == 0x45 or c == 0x65:
            break
        else:
            if mantissa or c != 0x30:
                significant += 1
                if significant > 15:
                    return False
            mantissa = mantissa * 10 + (c - 0x30)
            if after_point:
                scale -= 1
        i += 1
    if i < b:  # exponent
        i += 1
        if p[i] == 0x2B or p[i] == 0x2D:
            exponent_sign = -1 if p[i] == 0x2D else 1
            i += 1
        while i < b:
            exponent = exponent * 10 + (p[i] - 0x30)
            if exponent > 400:
                return False
            i += 1
    scale += exponent_sign * exponent
    if scale > 22 or scale < -22:
        return False
    if scale >= 0:
        out[0] = <double>mantissa * _POWERS_OF_TEN[scale]
    else:
        out[0] = <double>mantissa / _POWERS_OF_TEN[-scale]
    if negative:
        out[0] = -out[0]
    return True


cdef inline object _new_ds(const uint8_t* p, Py_ssize_t a, Py_ssize_t b,
                           double number, bint parsed):
    """DSfloat(text) for a checked text of at most 16 characters, whose value
    is `number` if `parsed`."""
    cdef char digits[17]
    if not parsed:
        memcpy(digits, p + a, b - a)
        digits[b - a] = 0
        # float(text) parses with this very function once the text is ASCII.
        number = PyOS_string_to_double(digits, NULL, NULL)
    instance = PyType_GenericAlloc(<PyTypeObject*>_DSFLOAT, 0)
    (<PyFloatObject*>instance).ob_fval = number
    instance.original_string = _latin1(p, a, b)
    return instance


cdef inline object _bare(object cls):
    """An instance of a slotted class without running its __new__/__init__."""
    return _OBJECT_TP.tp_new(<type>cls, <PyObject*>_NO_ARGS, NULL)


cdef inline object _latin1(const uint8_t* p, Py_ssize_t a, Py_ssize_t b):
    return PyUnicode_DecodeLatin1(<const char*>p + a, b - a, NULL)


cdef inline object _multi(list items, object constructor):
    multi = _bare(_MULTI_VALUE)
    multi._constructor = constructor
    multi._list = items
    return multi


cdef struct Pieces:
    Py_ssize_t count
    Py_ssize_t* starts
    Py_ssize_t* ends
    Py_ssize_t stack_starts[_STACK_PIECES]
    Py_ssize_t stack_ends[_STACK_PIECES]


cdef int _scan(const uint8_t* p, Py_ssize_t n, Trim trim, Pieces* pieces) except -1:
    """Fill `pieces` with the item bounds; _release() must follow."""
    cdef Py_ssize_t separators
    pieces.starts = pieces.stack_starts
    pieces.ends = pieces.stack_ends
    pieces.count = 0
    if trim == TRIM_SINGLE:
        separators = 0
    elif n >= _NOGIL_MIN_BYTES:
        with nogil:
            separators = _count_byte(p, n, 0x5C)
    else:
        separators = _count_byte(p, n, 0x5C)
    if separators >= _STACK_PIECES:
        pieces.starts = <Py_ssize_t*>malloc((separators + 1) * sizeof(Py_ssize_t))
        pieces.ends = <Py_ssize_t*>malloc((separators + 1) * sizeof(Py_ssize_t))
        if pieces.starts == NULL or pieces.ends == NULL:
            _release(pieces)
            raise MemoryError(f"cannot hold the bounds of {separators + 1} values")
    if n >= _NOGIL_MIN_BYTES:
        with nogil:
            pieces.count = _split(p, n, trim, pieces.starts, pieces.ends)
    else:
        pieces.count = _split(p, n, trim, pieces.starts, pieces.ends)
    return 0


cdef inline void _release(Pieces* pieces) noexcept:
    if pieces.starts != pieces.stack_starts:
        free(pieces.starts)
        free(pieces.ends)
    pieces.starts = pieces.stack_starts
    pieces.ends = pieces.stack_ends


cdef bint _parse_ds_items(const uint8_t* p, Pieces* pieces, double* numbers,
                          bint* parsed) noexcept nogil:
    """Check every DS item; parse those the exact fast path can."""
    cdef Py_ssize_t i
    for i in range(pieces.count):
        if not _valid_ds(p, pieces.starts[i], pieces.ends[i]):
            return False
        parsed[i] = _exact_decimal(p, pieces.starts[i], pieces.ends[i], &numbers[i])
    return True


cdef bint _all_valid_uids(const uint8_t* p, Pieces* pieces) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(pieces.count):
        if not _valid_uid(p, pieces.starts[i], pieces.ends[i]):
            return False
    return True


cdef bint _all_pn_groups_ok(const uint8_t* p, Pieces* pieces) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(pieces.count):
        if not _pn_groups_ok(p, pieces.starts[i], pieces.ends[i]):
            return False
    return True


cdef object _texts(const uint8_t* p, Pieces* pieces):
    """The items as Latin-1 text: one str, or a MultiValue of str."""
    cdef Py_ssize_t i
    if pieces.count == 1:
        return _latin1(p, pieces.starts[0], pieces.ends[0])
    items = PyList_New(pieces.count)
    for i in range(pieces.count):
        item = _latin1(p, pieces.starts[i], pieces.ends[i])
        Py_INCREF(item)
        PyList_SET_ITEM(items, i, item)
    return _multi(items, str)


cdef object _convert_default_text(int code, const uint8_t* p, Py_ssize_t n):
    """CS, AS, AE and (as text) DA, DT, TM: Latin-1, split at backslashes."""
    cdef Pieces pieces
    _scan(p, n, TRIM_AE if code == VR_AE else TRIM_MULTI_STRING, &pieces)
    try:
        return _texts(p, &pieces)
    finally:
        _release(&pieces)


cdef object _uid_class = None
cdef bint _uid_is_str_subclass = False


cdef object _convert_ui(const uint8_t* p, Py_ssize_t n):
    global _uid_class, _uid_is_str_subclass
    cdef Pieces pieces
    cdef Py_ssize_t i
    cdef bint valid
    cdef tuple args
    uid = _uid_class
    if uid is None or uid is str:
        # Looked up until dicomcore.uid is importable, then kept.
        uid = _py().uid_class()
        _uid_class = uid
        _uid_is_str_subclass = uid is not str and isinstance(uid, type) and issubclass(uid, str)
    if uid is str:
        return _convert_default_text(VR_UI, p, n)
    _scan(p, n, TRIM_MULTI_STRING, &pieces)
    try:
        if n >= _NOGIL_MIN_BYTES:
            with nogil:
                valid = _all_valid_uids(p, &pieces)
        else:
            valid = _all_valid_uids(p, &pieces)
        items = PyList_New(pieces.count)
        for i in range(pieces.count):
            text = _latin1(p, pieces.starts[i], pieces.ends[i])
            if valid and _uid_is_str_subclass:
                # A conformant UID needs nothing from the constructor (no
                # padding to strip, nothing to warn about): build it directly.
                args = (text,)
                text = _STR_TP.tp_new(<type>uid, <PyObject*>args, NULL)
            else:
                text = uid(text)  # pads, warnings: the UID class knows best
            Py_INCREF(text)
            PyList_SET_ITEM(items, i, text)
        if pieces.count == 1:
            return items[0]
        return _multi(items, uid)
    finally:
        _release(&pieces)


cdef object _convert_ds(object vr, const uint8_t* p, Py_ssize_t n, object raw, bint little,
                        object encodings):
    cdef Pieces pieces
    cdef Py_ssize_t i
    cdef bint all_valid
    cdef double stack_numbers[_STACK_PIECES]
    cdef bint stack_parsed[_STACK_PIECES]
    cdef double* numbers = stack_numbers
    cdef bint* parsed = stack_parsed
    _scan(p, n, TRIM_DS, &pieces)
    try:
        if pieces.count > _STACK_PIECES:
            numbers = <double*>malloc(pieces.count * sizeof(double))
            parsed = <bint*>malloc(pieces.count * sizeof(bint))
            if numbers == NULL or parsed == NULL:
                raise MemoryError(f"cannot hold {pieces.count} DS values")
        if n >= _NOGIL_MIN_BYTES:
            with nogil:
                all_valid = _parse_ds_items(p, &pieces, numbers, parsed)
        else:
            all_valid = _parse_ds_items(p, &pieces, numbers, parsed)
        if not all_valid:
            # Blank items, over-long or malformed numbers: what happens then
            # depends on the validation mode, which the Python code handles.
            return _fallback(vr, raw, little, encodings)
        if pieces.count == 1:
            return _new_ds(p, pieces.starts[0], pieces.ends[0], numbers[0], parsed[0])
        items = PyList_New(pieces.count)
        for i in range(pieces.count):
            number = _new_ds(p, pieces.starts[i], pieces.ends[i], numbers[i], parsed[i])
            Py_INCREF(number)
            PyList_SET_ITEM(items, i, number)
    finally:
        if numbers != stack_numbers:
            free(numbers)
        if parsed != stack_parsed:
            free(parsed)
        _release(&pieces)
    return _multi(items, DSfloat)


cdef bint _parse_is_items(const uint8_t* p, Pieces* pieces, int64_t* numbers) noexcept nogil:
    """Check and parse the IS items; their bounds become the stripped text."""
    cdef Py_ssize_t i, a, b
    for i in range(pieces.count):
        a = pieces.starts[i]
        b = pieces.ends[i]
        # The item as read: spaces around [+-]digits, at most 12 characters.
        if not _is_item_form_ok(p, a, b):
            return False
        while a < b and p[a] == 0x20:
            a += 1
        while b > a and p[b - 1] == 0x20:
            b -= 1
        if not _parse_is(p, a, b, &numbers[i]):
            return False
        pieces.starts[i] = a
        pieces.ends[i] = b
    return True


cdef object _convert_is(object vr, const uint8_t* p, Py_ssize_t n, object raw, bint little,
                        object encodings):
    cdef Pieces pieces
    cdef Py_ssize_t i
    cdef bint all_valid
    cdef int64_t stack_numbers[_STACK_PIECES]
    cdef int64_t* numbers = stack_numbers
    _scan(p, n, TRIM_MULTI_STRING, &pieces)
    if pieces.count > _STACK_PIECES:
        numbers = <int64_t*>malloc(pieces.count * sizeof(int64_t))
    try:
        if numbers == NULL:
            raise MemoryError(f"cannot hold {pieces.count} IS values")
        if n >= _NOGIL_MIN_BYTES:
            with nogil:
                all_valid = _parse_is_items(p, &pieces, numbers)
        else:
            all_valid = _parse_is_items(p, &pieces, numbers)
        if not all_valid:
            # Blank, fractional, out of range or malformed items: the Python
            # code warns, raises or keeps them as pydicom does.
            return _fallback(vr, raw, little, encodings)
        if pieces.count == 1:
            return _new_is(PyLong_FromLongLong(numbers[0]),
                           _latin1(p, pieces.starts[0], pieces.ends[0]))
        items = PyList_New(pieces.count)
        for i in range(pieces.count):
            number = _new_is(PyLong_FromLongLong(numbers[i]),
                             _latin1(p, pieces.starts[i], pieces.ends[i]))
            Py_INCREF(number)
            PyList_SET_ITEM(items, i, number)
    finally:
        if numbers != stack_numbers:
            free(numbers)
        _release(&pieces)
    return _multi(items, IS)


cdef Py_ssize_t _max_length(int code) noexcept nogil:
    if code == VR_SH:
        return 16
    if code == VR_LO:
        return 64
    if code == VR_ST:
        return 1024
    if code == VR_LT:
        return 10240
    return -1  # UC, UT: unlimited


cdef bint _items_within(const uint8_t* p, Py_ssize_t n, Py_ssize_t limit, bint split) noexcept nogil:
    """Every item, padding included, has at most `limit` bytes."""
    cdef Py_ssize_t i, start = 0
    if not split:
        return n <= limit
    for i in range(n + 1):
        if i == n or p[i] == 0x5C:
            if i - start > limit:
                return False
            start = i + 1
    return True


cdef object _convert_customizable(object vr, int code, const uint8_t* p, Py_ssize_t n,
                                  object raw, bint little, object encodings):
    """SH, LO, UC, ST, LT, UT and PN, when the character set has a fast path;
    returns None to hand the value to the Python code."""
    cdef bint has_escape = False
    cdef bint has_high, fits = True
    cdef bint single = code == VR_ST or code == VR_LT or code == VR_UT
    cdef int kind = _codec_kind(_first_codec(encodings))
    cdef Py_ssize_t i, limit = _max_length(code)
    cdef Pieces pieces
    # Byte counts bound character counts, so items within the length limit
    # in bytes are valid; otherwise Python counts characters and warns.
    if n >= _NOGIL_MIN_BYTES:
        with nogil:
            has_high = _has_high_or_escape(p, n, &has_escape)
            fits = limit < 0 or _items_within(p, n, limit, not single)
    else:
        has_high = _has_high_or_escape(p, n, &has_escape)
        fits = limit < 0 or _items_within(p, n, limit, not single)
    if has_escape or not fits or kind == CODEC_OTHER or (kind == CODEC_ASCII_SUPERSET and has_high):
        return None
    if kind == CODEC_ASCII_SUPERSET or not has_high:
        kind = CODEC_LATIN1  # only ASCII bytes: Latin-1 decodes them alike
    if code == VR_PN:
        return _convert_pn(p, n, encodings)
    _scan(p, n, TRIM_SINGLE if single else TRIM_TEXT, &pieces)
    try:
        if kind == CODEC_LATIN1:
            return _texts(p, &pieces)
        items = PyList_New(pieces.count)
        for i in range(pieces.count):
            try:
                text = PyUnicode_DecodeUTF8(<const char*>p + pieces.starts[i],
                                            pieces.ends[i] - pieces.starts[i], NULL)
            except UnicodeDecodeError:
                return None  # Python warns and replaces
            Py_INCREF(text)
            PyList_SET_ITEM(items, i, text)
    finally:
        _release(&pieces)
    if PyList_GET_SIZE(items) == 1:
        return items[0]
    return _multi(items, str)


cdef object _convert_pn(const uint8_t* p, Py_ssize_t n, object encodings):
    cdef Pieces pieces
    cdef Py_ssize_t i
    cdef bint ok = True
    _scan(p, n, TRIM_MULTI_STRING, &pieces)
    try:
        if n >= _NOGIL_MIN_BYTES:
            with nogil:
                ok = _all_pn_groups_ok(p, &pieces)
        else:
            ok = _all_pn_groups_ok(p, &pieces)
        if not ok:
            return None
        codecs_ = _encodings_tuple(encodings)
        items = PyList_New(pieces.count)
        for i in range(pieces.count):
            # The name decodes its bytes (its original_string) when first used;
            # its validation mode is the reading mode at that time.
            name = _bare(_PERSON_NAME)
            name.original_string = PyBytes_FromStringAndSize(
                <const char*>p + pieces.starts[i], pieces.ends[i] - pieces.starts[i])
            name._components = None
            name.encodings = codecs_
            name._validation_mode = None
            Py_INCREF(name)
            PyList_SET_ITEM(items, i, name)
    finally:
        _release(&pieces)
    if PyList_GET_SIZE(items) == 1:
        return items[0]
    return _multi(items, PersonName)


# ---------------------------------------------------------------------------
# convert_value
# ---------------------------------------------------------------------------

cdef inline int _vr_code(object vr):
    if not PyUnicode_Check(vr) or PyUnicode_GET_LENGTH(vr) != 2:
        return -1
    return (<int>PyUnicode_READ_CHAR(vr, 0) << 8) | <int>PyUnicode_READ_CHAR(vr, 1)


cdef inline bint _is_number_vr(int code) noexcept nogil:
    return (code == VR_US or code == VR_UL or code == VR_SS or code == VR_SL or code == VR_FL
            or code == VR_FD or code == VR_UV or code == VR_SV)


cdef inline bint _is_bytes_vr(int code) noexcept nogil:
    return (code == VR_OB or code == VR_OW or code == VR_UN or code == VR_OD or code == VR_OF
            or code == VR_OL or code == VR_OV)


cdef inline bint _is_text_vr(int code) noexcept nogil:
    # Text VRs whose empty value is "" (DS and IS are empty as None).
    return (code == VR_AE or code == VR_AS or code == VR_CS or code == VR_DA or code == VR_DT
            or code == VR_TM or code == VR_UI or code == VR_UR or code == VR_LO
            or code == VR_LT or code == VR_SH or code == VR_ST or code == VR_UC
            or code == VR_UT)


cdef object _empty_value(int code):
    if _config_flag("use_none_as_empty_text_VR_value"):
        return None
    if code == VR_PN:
        # PersonName("") without running the constructor's checks.
        name = _bare(_PERSON_NAME)
        name.original_string = None
        name._components = ()
        name.encodings = None
        name._validation_mode = None
        return name
    if _is_text_vr(code):
        return ""
    return None


cdef object _convert(object vr, int code, const uint8_t* p, Py_ssize_t n,
                     object raw, bint little, object encodings):
    if _is_number_vr(code):
        return _convert_numbers(vr, code, p, n, little, raw)
    if _is_bytes_vr(code):
        if PyBytes_CheckExact(raw):
            return raw
        return PyBytes_FromStringAndSize(<const char*>p, n)
    if code == VR_CS or code == VR_AS or code == VR_AE:
        return _convert_default_text(code, p, n)
    if code == VR_DA or code == VR_TM or code == VR_DT:
        if _config_flag("datetime_conversion"):
            return _fallback(vr, raw, little, encodings)
        return _convert_default_text(code, p, n)
    if code == VR_UI:
        return _convert_ui(p, n)
    if code == VR_DS:
        if _config_flag("use_DS_numpy") or _config_flag("use_DS_decimal"):
            return _fallback(vr, raw, little, encodings)
        return _convert_ds(vr, p, n, raw, little, encodings)
    if code == VR_IS:
        if _config_flag("use_IS_numpy"):
            return _fallback(vr, raw, little, encodings)
        return _convert_is(vr, p, n, raw, little, encodings)
    value = _convert_customizable(vr, code, p, n, raw, little, encodings)
    if value is None:
        return _fallback(vr, raw, little, encodings)
    return value


cdef inline bint _has_fast_path(int code) noexcept nogil:
    return (_is_number_vr(code) or _is_bytes_vr(code) or code == VR_CS or code == VR_AS
            or code == VR_AE or code == VR_DA or code == VR_TM or code == VR_DT
            or code == VR_UI or code == VR_DS or code == VR_IS or code == VR_SH
            or code == VR_LO or code == VR_UC or code == VR_ST or code == VR_LT
            or code == VR_UT or code == VR_PN)


def convert_value(vr, raw, bint is_little_endian=True, encodings=None):
    """Return the Python value of an element's encoded bytes; see
    :func:`dicomcore.values.convert_value` (PS3.5 section 6.2)."""
    cdef int code = _vr_code(vr)
    cdef Py_buffer view
    if not _has_fast_path(code):
        # AT, UR, SQ, ambiguous and unknown VRs.
        return _fallback(vr, raw, is_little_endian, encodings)
    if PyBytes_CheckExact(raw):
        if PyBytes_GET_SIZE(raw) == 0:
            return _empty_value(code)
        return _convert(vr, code, <const uint8_t*>PyBytes_AS_STRING(raw),
                        PyBytes_GET_SIZE(raw), raw, is_little_endian, encodings)
    try:
        PyObject_GetBuffer(raw, &view, PyBUF_SIMPLE)
    except (TypeError, BufferError):
        return _fallback(vr, raw, is_little_endian, encodings)
    try:
        if view.len == 0:
            return _empty_value(code)
        return _convert(vr, code, <const uint8_t*>view.buf, view.len, raw,
                        is_little_endian, encodings)
    finally:
        PyBuffer_Release(&view)


# ---------------------------------------------------------------------------
# encode_value
# ---------------------------------------------------------------------------

cdef inline object _padded(object data, bint nul):
    if PyBytes_GET_SIZE(data) % 2:
        return data + (b"\x00" if nul else b" ")
    return data


cdef inline bint _is_default_text_vr(int code) noexcept nogil:
    return (code == VR_AE or code == VR_AS or code == VR_CS or code == VR_DA or code == VR_DT
            or code == VR_TM or code == VR_UR or code == VR_UI or code == VR_DS
            or code == VR_IS)


cdef inline bint _is_customizable_text_vr(int code) noexcept nogil:
    return (code == VR_SH or code == VR_LO or code == VR_UC or code == VR_ST or code == VR_LT
            or code == VR_UT)


cdef object _number_text(object item, int code):
    """The text of a DS or IS item that keeps its original text, else None."""
    cls = type(item)
    if cls is str:
        return item
    if (code == VR_DS and cls is DSfloat) or (code == VR_IS and cls is IS):
        return getattr(item, "original_string", None)
    return None


cdef object _encode_number_list(int code, list items, bint little):
    """Binary numbers from a list of Python ints or floats, else None."""
    cdef Py_ssize_t count = PyList_GET_SIZE(items), size = _number_size(code), i
    cdef bint swap = little != _HOST_LITTLE
    data = PyBytes_FromStringAndSize(NULL, count * size)
    cdef uint8_t* out = <uint8_t*>PyBytes_AS_STRING(data)
    for i in range(count):
        if not _store_number(code, PyList_GET_ITEM_NEW(items, i), out + i * size, swap):
            return None
    return data


cdef bint _store_number(int code, object item, uint8_t* out, bint swap) except -1:
    """Write one number; False if it is not a plain int/float in range."""
    cdef int overflow = 0
    cdef long long v
    cdef uint64_t u64
    cdef uint32_t u32
    cdef uint16_t u16
    cdef float f32
    cdef double f64
    if code == VR_FL or code == VR_FD:
        if PyFloat_CheckExact(item):
            f64 = PyFloat_AS_DOUBLE(item)
        elif PyLong_CheckExact(item):
            try:
                f64 = item
            except OverflowError:
                return False  # Python words the error
        else:
            return False
        if code == VR_FL:
            if fabs(f64) > FLT_MAX and not isinf(f64):
                return False  # too large for float32: Python raises the error
            f32 = <float>f64
            memcpy(&u32, &f32, 4)
            u32 = _load32(<const uint8_t*>&u32, swap)
            memcpy(out, &u32, 4)
        else:
            memcpy(&u64, &f64, 8)
            u64 = _load64(<const uint8_t*>&u64, swap)
            memcpy(out, &u64, 8)
        return True
    if not PyLong_CheckExact(item) or code == VR_UV:
        return False
    v = PyLong_AsLongLongAndOverflow(item, &overflow)
    if overflow:
        return False
    if code == VR_US and 0 <= v <= 0xFFFF:
        u16 = <uint16_t>v
        u16 = _load16(<const uint8_t*>&u16, swap)
        memcpy(out, &u16, 2)
    elif code == VR_SS and -0x8000 <= v <= 0x7FFF:
        u16 = <uint16_t><int16_t>v
        u16 = _load16(<const uint8_t*>&u16, swap)
        memcpy(out, &u16, 2)
    elif code == VR_UL and 0 <= v <= 0xFFFFFFFF:
        u32 = <uint32_t>v
        u32 = _load32(<const uint8_t*>&u32, swap)
        memcpy(out, &u32, 4)
    elif code == VR_SL and -0x80000000 <= v <= 0x7FFFFFFF:
        u32 = <uint32_t><int32_t>v
        u32 = _load32(<const uint8_t*>&u32, swap)
        memcpy(out, &u32, 4)
    elif code == VR_SV:
        u64 = <uint64_t>v
        u64 = _load64(<const uint8_t*>&u64, swap)
        memcpy(out, &u64, 8)
    else:
        return False  # out of range: Python says which value and why
    return True


cdef object _encode_fast(int code, object value, bint little, object encodings):
    """The encoded value for the common cases, or None for the Python code."""
    cls = type(value)
    if _is_number_vr(code):
        if cls is list:
            return _encode_number_list(code, value, little)
        if cls is int or cls is float:
            data = PyBytes_FromStringAndSize(NULL, _number_size(code))
            if _store_number(code, value, <uint8_t*>PyBytes_AS_STRING(data), little != _HOST_LITTLE):
                return data
        return None
    if _is_bytes_vr(code):
        if cls is bytes:
            return _padded(value, True)
        return None
    if _is_default_text_vr(code):
        if cls is MultiValue:
            texts = [_number_text(item, code) if code == VR_DS or code == VR_IS else item
                     for item in value._list]
            if not all(type(text) is str for text in texts):
                return None
            value = "\\".join(texts)
        elif code == VR_DS or code == VR_IS:
            value = _number_text(value, code)
        if type(value) is not str:
            return None
        try:
            return _padded(PyUnicode_AsLatin1String(value), code == VR_UI)
        except UnicodeEncodeError:
            return None  # Python names the character that cannot be written
    if _is_customizable_text_vr(code):
        if cls is not str:
            return None
        first = _first_codec(encodings)
        kind = _codec_kind(first)
        extended = encodings is not None and not isinstance(encodings, str) and len(encodings) > 1
        try:
            if kind == CODEC_LATIN1 and not (extended and first == "iso8859"):
                return _padded(PyUnicode_AsLatin1String(value), False)
            if kind == CODEC_UTF8 and not extended:
                return _padded(PyUnicode_AsUTF8String(value), False)
        except UnicodeEncodeError:
            return None  # other character sets or replacement: Python
        return None
    if code == VR_PN and cls is PersonName:
        encoded = value.original_string
        if type(encoded) is bytes and value.encodings is not None \
                and value.encodings == _encodings_tuple(encodings):
            return _padded(encoded, False)
    return None


def encode_value(vr, value, bint is_little_endian=True, encodings=None):
    """Return the bytes that encode `value` as an element of `vr`; see
    :func:`dicomcore.values.encode_value` (PS3.5 sections 6.2 and 7.1)."""
    cdef int code = _vr_code(vr)
    if _has_fast_path(code) and value is not None:
        data = _encode_fast(code, value, is_little_endian, encodings)
        if data is not None:
            return data
    return _py().encode_value_py(vr, value, is_little_endian, encodings)
