"""Pixel codecs: one module per codec, each with NumPy in and NumPy (or bytes) out.

The native parts are Cython extensions (``_rle``, ``_jpegls``, ``_openjpeg``,
``_openjph``); an extension that was not built because its library was missing
raises an ImportError naming the Debian package to install.
"""
