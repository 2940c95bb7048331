"""pydicom 3's deprecated ``pixel_data_handlers`` package, for code written before ``pixels``.

pydicom 3 keeps the package until its v4.0 and warns on use; so does
dicomcore. Only :mod:`~dicomcore.pixel_data_handlers.util` is provided: its
old names lead to their :mod:`dicomcore.pixels` equivalents. The per-library
handler modules (``numpy_handler``, ``rle_handler``, ...) have no equivalent:
codecs are plugins of :mod:`dicomcore.pixels.registry`.
"""

from dicomcore.pixel_data_handlers import util

__all__ = ["util"]
