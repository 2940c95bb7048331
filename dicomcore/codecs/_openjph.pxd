# cython: language_level=3
"""Declarations of OpenJPH 0.9's C++ API and of dicomcore's C-callable layer over it.

OpenJPH (``/usr/include/openjph/*.h``) reports errors by throwing from a
global message handler, so its classes are declared ``except +``; the
decode/encode loops live in ``codecs/openjph/ojph_shim.h``, which catches
every exception itself and returns a status, so they can run without the GIL.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libcpp cimport bool as cbool


cdef extern from "<openjph/ojph_defs.h>" namespace "ojph" nogil:
    ctypedef uint32_t ui32
    ctypedef int32_t si32
    ctypedef uint64_t ui64


cdef extern from "<openjph/ojph_base.h>" namespace "ojph" nogil:
    cdef cppclass size:
        size()
        size(ui32 w, ui32 h)
        ui32 w
        ui32 h

    cdef cppclass point:
        point()
        point(ui32 x, ui32 y)
        ui32 x
        ui32 y


cdef extern from "<openjph/ojph_mem.h>" namespace "ojph" nogil:
    cdef cppclass line_buf:
        size_t size
        si32 *i32
        float *f32


cdef extern from "<openjph/ojph_file.h>" namespace "ojph" nogil:
    cdef cppclass outfile_base:
        pass

    cdef cppclass infile_base:
        pass

    cdef cppclass mem_outfile(outfile_base):
        mem_outfile() except +
        void open(size_t initial_size) except +
        const uint8_t *get_data()

    cdef cppclass mem_infile(infile_base):
        mem_infile() except +
        void open(const uint8_t *data, size_t size) except +


cdef extern from "<openjph/ojph_params.h>" namespace "ojph" nogil:
    cdef cppclass param_siz:
        void set_image_extent(point extent) except +
        void set_tile_size(size s) except +
        void set_image_offset(point offset) except +
        void set_num_components(ui32 num_comps) except +
        void set_component(ui32 comp_num, const point &downsampling, ui32 bit_depth,
                           cbool is_signed) except +
        point get_image_extent() except +
        point get_image_offset() except +
        size get_tile_size() except +
        ui32 get_num_components() except +
        ui32 get_bit_depth(ui32 comp_num) except +
        cbool is_signed(ui32 comp_num) except +
        point get_downsampling(ui32 comp_num) except +
        ui32 get_recon_width(ui32 comp_num) except +
        ui32 get_recon_height(ui32 comp_num) except +

    cdef cppclass param_cod:
        void set_num_decomposition(ui32 num_decompositions) except +
        void set_block_dims(ui32 width, ui32 height) except +
        void set_progression_order(const char *name) except +
        void set_color_transform(cbool color_transform) except +
        void set_reversible(cbool reversible) except +
        ui32 get_num_decompositions() except +
        size get_block_dims() except +
        cbool is_reversible() except +
        const char *get_progression_order_as_string() except +
        cbool is_using_color_transform() except +

    cdef cppclass param_qcd:
        void set_irrev_quant(float delta) except +


cdef extern from "<openjph/ojph_codestream.h>" namespace "ojph" nogil:
    cdef cppclass codestream:
        codestream() except +
        void set_planar(cbool planar) except +
        void write_headers(outfile_base *file) except +
        line_buf *exchange(line_buf *line, ui32 &next_component) except +
        void flush() except +
        void enable_resilience() except +
        void read_headers(infile_base *file) except +
        void restrict_input_resolution(ui32 skipped_res_for_data,
                                       ui32 skipped_res_for_recon) except +
        void create() except +
        line_buf *pull(ui32 &comp_num) except +
        void close() except +
        param_siz access_siz() except +
        param_cod access_cod() except +
        param_qcd access_qcd() except +
        cbool is_planar() except +


# dicomcore's layer (codecs/openjph/ojph_shim.h). The names are prefixed because
# the .pyx of the same name defines Python functions called decode, encode, ...
cdef extern from "../../codecs/openjph/ojph_shim.h" nogil:
    cdef enum:
        SHIM_OK "dicomcore_ojph::OK"
        SHIM_FAILED "dicomcore_ojph::FAILED"
        SHIM_NO_MEMORY "dicomcore_ojph::NO_MEMORY"
        SHIM_STORE_AS_IS "dicomcore_ojph::STORE_AS_IS"
        SHIM_STORE_LOW_BITS "dicomcore_ojph::STORE_LOW_BITS"
        SHIM_STORE_SIGN_EXTEND "dicomcore_ojph::STORE_SIGN_EXTEND"

    cdef enum:
        ROUTE_OPENJPH "dicomcore_ojph::ROUTE_OPENJPH"
        ROUTE_OPENJPEG "dicomcore_ojph::ROUTE_OPENJPEG"
        ROUTE_INVALID "dicomcore_ojph::ROUTE_INVALID"

    ctypedef struct ShimInspection "dicomcore_ojph::Inspection":
        int htj2k
        int has_tlm
        uint32_t tile_parts
        uint32_t decompositions
        size_t tlm_offset

    ctypedef struct ShimHeader "dicomcore_ojph::Header":
        uint32_t width
        uint32_t height
        uint32_t x0
        uint32_t y0
        uint32_t components
        uint32_t precision
        int is_signed
        int uniform
        uint32_t tile_width
        uint32_t tile_height
        uint32_t decompositions
        uint32_t block_width
        uint32_t block_height
        int reversible
        int color_transform
        int planar
        char progression[8]

    ctypedef struct ShimDecodeRequest "dicomcore_ojph::DecodeRequest":
        uint32_t reduce
        uint32_t row0
        uint32_t column0
        uint32_t rows
        uint32_t columns
        uint32_t components
        void *out
        int kind
        int itemsize
        int mode

    ctypedef struct ShimEncodeRequest "dicomcore_ojph::EncodeRequest":
        const void *pixels
        int kind
        int itemsize
        uint32_t rows
        uint32_t columns
        uint32_t components
        uint32_t precision
        int is_signed
        int reversible
        float quantization_step
        int color_transform
        uint32_t decompositions
        uint32_t block_width
        uint32_t block_height
        const char *progression
        int64_t low
        int64_t high
        int64_t bad_index

    void shim_install_handlers "dicomcore_ojph::install_handlers"() except +
    void shim_take_warnings "dicomcore_ojph::take_warnings"(char *target, size_t capacity)
    int shim_inspect "dicomcore_ojph::inspect"(
        const uint8_t *data, size_t size, ShimInspection *found, char *message,
        size_t capacity)
    int shim_read_header "dicomcore_ojph::read_header"(
        const uint8_t *data, size_t size, ShimHeader *header, char *error,
        size_t error_capacity)
    int shim_decode "dicomcore_ojph::decode"(
        const uint8_t *data, size_t size, const ShimDecodeRequest *request, char *error,
        size_t error_capacity)
    int shim_encode "dicomcore_ojph::encode"(
        ShimEncodeRequest *request, uint8_t **encoded, size_t *encoded_size,
        char *error, size_t error_capacity)
    const char *shim_version "dicomcore_ojph::version"()
