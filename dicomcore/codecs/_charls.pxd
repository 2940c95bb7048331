# cython: language_level=3
"""Declarations of the CharLS 2.x C API (``charls/charls.h``) used by ``_jpegls.pyx``.

CharLS is the reference implementation of JPEG-LS (ISO/IEC 14495-1, ITU-T T.87),
the codec of DICOM's JPEG-LS Lossless and Near-Lossless transfer syntaxes
(PS3.5 Section 8.2.3 and Annex A.4.3). Only the stable C entry points are declared;
the C++ wrapper classes in the same headers are not used, so the extension can be
compiled as C.

Every function is declared ``nogil``: the CharLS C API touches no Python state, and
the caller decides where to release the GIL.
"""

from libc.stdint cimport int32_t, uint32_t


cdef extern from "charls/charls.h" nogil:
    # -- Error codes (public_types.h). Codes 1..29 describe the stream or the call
    # sequence, 100..113 invalid arguments passed by the caller, 200..206 invalid
    # values found in the stream's headers.
    ctypedef enum charls_jpegls_errc:
        CHARLS_JPEGLS_ERRC_SUCCESS
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT
        CHARLS_JPEGLS_ERRC_PARAMETER_VALUE_NOT_SUPPORTED
        CHARLS_JPEGLS_ERRC_DESTINATION_BUFFER_TOO_SMALL
        CHARLS_JPEGLS_ERRC_SOURCE_BUFFER_TOO_SMALL
        CHARLS_JPEGLS_ERRC_INVALID_ENCODED_DATA
        CHARLS_JPEGLS_ERRC_TOO_MUCH_ENCODED_DATA
        CHARLS_JPEGLS_ERRC_INVALID_OPERATION
        CHARLS_JPEGLS_ERRC_BIT_DEPTH_FOR_TRANSFORM_NOT_SUPPORTED
        CHARLS_JPEGLS_ERRC_COLOR_TRANSFORM_NOT_SUPPORTED
        CHARLS_JPEGLS_ERRC_ENCODING_NOT_SUPPORTED
        CHARLS_JPEGLS_ERRC_UNKNOWN_JPEG_MARKER_FOUND
        CHARLS_JPEGLS_ERRC_JPEG_MARKER_START_BYTE_NOT_FOUND
        CHARLS_JPEGLS_ERRC_NOT_ENOUGH_MEMORY
        CHARLS_JPEGLS_ERRC_UNEXPECTED_FAILURE
        CHARLS_JPEGLS_ERRC_START_OF_IMAGE_MARKER_NOT_FOUND
        CHARLS_JPEGLS_ERRC_UNEXPECTED_MARKER_FOUND
        CHARLS_JPEGLS_ERRC_INVALID_MARKER_SEGMENT_SIZE
        CHARLS_JPEGLS_ERRC_DUPLICATE_START_OF_IMAGE_MARKER
        CHARLS_JPEGLS_ERRC_DUPLICATE_START_OF_FRAME_MARKER
        CHARLS_JPEGLS_ERRC_DUPLICATE_COMPONENT_ID_IN_SOF_SEGMENT
        CHARLS_JPEGLS_ERRC_UNEXPECTED_END_OF_IMAGE_MARKER
        CHARLS_JPEGLS_ERRC_INVALID_JPEGLS_PRESET_PARAMETER_TYPE
        CHARLS_JPEGLS_ERRC_JPEGLS_PRESET_EXTENDED_PARAMETER_TYPE_NOT_SUPPORTED
        CHARLS_JPEGLS_ERRC_MISSING_END_OF_SPIFF_DIRECTORY
        CHARLS_JPEGLS_ERRC_UNEXPECTED_RESTART_MARKER
        CHARLS_JPEGLS_ERRC_RESTART_MARKER_NOT_FOUND
        CHARLS_JPEGLS_ERRC_CALLBACK_FAILED
        CHARLS_JPEGLS_ERRC_END_OF_IMAGE_MARKER_NOT_FOUND
        CHARLS_JPEGLS_ERRC_INVALID_SPIFF_HEADER
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_WIDTH
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_HEIGHT
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_COMPONENT_COUNT
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_BITS_PER_SAMPLE
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_INTERLEAVE_MODE
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_NEAR_LOSSLESS
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_JPEGLS_PC_PARAMETERS
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_SIZE
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_COLOR_TRANSFORMATION
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_STRIDE
        CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT_ENCODING_OPTIONS
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_WIDTH
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_HEIGHT
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_COMPONENT_COUNT
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_BITS_PER_SAMPLE
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_INTERLEAVE_MODE
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_NEAR_LOSSLESS
        CHARLS_JPEGLS_ERRC_INVALID_PARAMETER_JPEGLS_PRESET_PARAMETERS

    # -- Interleave modes (ISO/IEC 14495-1 ILV): how the components of a colour
    # image are ordered in the scan(s).
    ctypedef enum charls_interleave_mode:
        CHARLS_INTERLEAVE_MODE_NONE      # one scan per component: RRR...GGG...BBB
        CHARLS_INTERLEAVE_MODE_LINE      # one line of each component in turn
        CHARLS_INTERLEAVE_MODE_SAMPLE    # RGBRGB...

    ctypedef enum charls_encoding_options:
        CHARLS_ENCODING_OPTIONS_NONE
        CHARLS_ENCODING_OPTIONS_EVEN_DESTINATION_SIZE
        CHARLS_ENCODING_OPTIONS_INCLUDE_VERSION_NUMBER
        CHARLS_ENCODING_OPTIONS_INCLUDE_PC_PARAMETERS_JAI

    # HP colour transformations: an HP extension, not part of JPEG-LS and not
    # allowed by DICOM; declared so that a stream using one can be reported.
    ctypedef enum charls_color_transformation:
        CHARLS_COLOR_TRANSFORMATION_NONE
        CHARLS_COLOR_TRANSFORMATION_HP1
        CHARLS_COLOR_TRANSFORMATION_HP2
        CHARLS_COLOR_TRANSFORMATION_HP3

    # The frame's SOF values, shared by all scans.
    ctypedef struct charls_frame_info:
        uint32_t width
        uint32_t height
        int32_t bits_per_sample
        int32_t component_count

    # Preset coding parameters (ISO/IEC 14495-1 C.2.4.1.1); zero means "default".
    ctypedef struct charls_jpegls_pc_parameters:
        int32_t maximum_sample_value
        int32_t threshold1
        int32_t threshold2
        int32_t threshold3
        int32_t reset_value

    const char* charls_get_error_message(charls_jpegls_errc error_value)
    const char* charls_get_version_string()
    void charls_get_version_number(int32_t* major, int32_t* minor, int32_t* patch)

    # -- Decoder
    ctypedef struct charls_jpegls_decoder:
        pass

    charls_jpegls_decoder* charls_jpegls_decoder_create()
    void charls_jpegls_decoder_destroy(const charls_jpegls_decoder* decoder)
    charls_jpegls_errc charls_jpegls_decoder_set_source_buffer(
        charls_jpegls_decoder* decoder, const void* source_buffer, size_t source_size_bytes)
    charls_jpegls_errc charls_jpegls_decoder_read_header(charls_jpegls_decoder* decoder)
    charls_jpegls_errc charls_jpegls_decoder_get_frame_info(
        const charls_jpegls_decoder* decoder, charls_frame_info* frame_info)
    charls_jpegls_errc charls_jpegls_decoder_get_near_lossless(
        const charls_jpegls_decoder* decoder, int32_t component, int32_t* near_lossless)
    charls_jpegls_errc charls_jpegls_decoder_get_interleave_mode(
        const charls_jpegls_decoder* decoder, charls_interleave_mode* interleave_mode)
    charls_jpegls_errc charls_jpegls_decoder_get_preset_coding_parameters(
        const charls_jpegls_decoder* decoder, int32_t reserved,
        charls_jpegls_pc_parameters* preset_coding_parameters)
    charls_jpegls_errc charls_jpegls_decoder_get_color_transformation(
        const charls_jpegls_decoder* decoder, charls_color_transformation* color_transformation)
    charls_jpegls_errc charls_jpegls_decoder_get_destination_size(
        const charls_jpegls_decoder* decoder, uint32_t stride, size_t* destination_size_bytes)
    charls_jpegls_errc charls_jpegls_decoder_decode_to_buffer(
        charls_jpegls_decoder* decoder, void* destination_buffer,
        size_t destination_size_bytes, uint32_t stride)

    # -- Encoder
    ctypedef struct charls_jpegls_encoder:
        pass

    charls_jpegls_encoder* charls_jpegls_encoder_create()
    void charls_jpegls_encoder_destroy(const charls_jpegls_encoder* encoder)
    charls_jpegls_errc charls_jpegls_encoder_set_frame_info(
        charls_jpegls_encoder* encoder, const charls_frame_info* frame_info)
    charls_jpegls_errc charls_jpegls_encoder_set_near_lossless(
        charls_jpegls_encoder* encoder, int32_t near_lossless)
    charls_jpegls_errc charls_jpegls_encoder_set_encoding_options(
        charls_jpegls_encoder* encoder, charls_encoding_options encoding_options)
    charls_jpegls_errc charls_jpegls_encoder_set_interleave_mode(
        charls_jpegls_encoder* encoder, charls_interleave_mode interleave_mode)
    charls_jpegls_errc charls_jpegls_encoder_set_preset_coding_parameters(
        charls_jpegls_encoder* encoder,
        const charls_jpegls_pc_parameters* preset_coding_parameters)
    charls_jpegls_errc charls_jpegls_encoder_set_color_transformation(
        charls_jpegls_encoder* encoder, charls_color_transformation color_transformation)
    charls_jpegls_errc charls_jpegls_encoder_get_estimated_destination_size(
        const charls_jpegls_encoder* encoder, size_t* size_in_bytes)
    charls_jpegls_errc charls_jpegls_encoder_set_destination_buffer(
        charls_jpegls_encoder* encoder, void* destination_buffer, size_t destination_size_bytes)
    charls_jpegls_errc charls_jpegls_encoder_encode_from_buffer(
        charls_jpegls_encoder* encoder, const void* source_buffer,
        size_t source_size_bytes, uint32_t stride)
    charls_jpegls_errc charls_jpegls_encoder_get_bytes_written(
        const charls_jpegls_encoder* encoder, size_t* bytes_written)
    charls_jpegls_errc charls_jpegls_encoder_rewind(charls_jpegls_encoder* encoder)
