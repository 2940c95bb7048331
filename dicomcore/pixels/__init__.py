"""The pixel pipeline: pixel data to arrays and back, with pydicom 3's names.

``pixel_array`` and ``iter_pixels`` decode a file or dataset; ``compress``,
``decompress`` and ``set_pixel_data`` change a dataset's pixel data (leaving it
untouched when they fail); :mod:`~dicomcore.pixels.processing` holds the LUT and
colour space operations. Codecs are found through one registry
(:mod:`~dicomcore.pixels.registry`) where external plugins can be added.
"""

from dicomcore.pixels.coders import get_decoder, get_encoder
from dicomcore.pixels.decode import iter_pixels, pixel_array
from dicomcore.pixels.encode import compress, decompress, set_pixel_data
from dicomcore.pixels.layout import PixelLayout
from dicomcore.pixels.processing import (
    apply_color_lut,
    apply_modality_lut,
    apply_presentation_lut,
    apply_rescale,
    apply_voi,
    apply_voi_lut,
    apply_windowing,
    convert_color_space,
)
from dicomcore.pixels.registry import (
    EncodeResult,
    Plugin,
    available_plugins,
    get_decoding_plugin,
    get_encoding_plugin,
    register_plugin,
    registered_plugins,
    unregister_plugin,
)
from dicomcore.pixels.utils import as_pixel_options, pack_bits, unpack_bits

__all__ = [
    "EncodeResult",
    "PixelLayout",
    "Plugin",
    "apply_color_lut",
    "apply_modality_lut",
    "apply_presentation_lut",
    "apply_rescale",
    "apply_voi",
    "apply_voi_lut",
    "apply_windowing",
    "as_pixel_options",
    "available_plugins",
    "compress",
    "convert_color_space",
    "decompress",
    "get_decoder",
    "get_decoding_plugin",
    "get_encoding_plugin",
    "get_encoder",
    "iter_pixels",
    "pack_bits",
    "pixel_array",
    "register_plugin",
    "registered_plugins",
    "set_pixel_data",
    "unpack_bits",
    "unregister_plugin",
]
