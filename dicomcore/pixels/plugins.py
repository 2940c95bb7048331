"""The codec plugins the registry starts with.

dicomcore's own codecs come first: RLE Lossless and Deflated Image Frame
Compression (our C / zlib), JPEG-LS (CharLS), JPEG 2000 (OpenJPEG) and HTJ2K
(OpenJPH, falling back to OpenJPEG). The JPEG family (ISO/IEC 10918) has no
codec of ours: pylibjpeg with its pylibjpeg-libjpeg plugin is registered as an
external plugin, imported only when a JPEG frame is decoded.

Each adapter turns the dataset's Image Pixel values into its codec's arguments
and reports what the decoded or encoded samples are (their photometric
interpretation, whether the coding was lossy).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore._workers import run_all, thread_count
from dicomcore.pixels.layout import PixelLayout
from dicomcore.pixels.registry import EncodeResult

__all__ = ["PylibjpegPlugin", "builtin_plugins"]

_JPEG_SYNTAXES = (
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
)
_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
_JPEGLS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
_J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
_J2K = "1.2.840.10008.1.2.4.91"
_HTJ2K = "1.2.840.10008.1.2.4.203"
# Samples in a frame from which a lone JPEG 2000 frame is decoded with codec threads.
_THREADED_FRAME_SAMPLES = 1 << 20


def _module(name: str) -> Any:
    return importlib.import_module(name)


def _unused_bits_fixed(out: np.ndarray, layout: PixelLayout, options: dict[str, Any]) -> None:
    """Clear or sign-fill the bits above Bits Stored in place (PS3.5 Section 8.1.1)."""
    shift = 8 * out.dtype.itemsize - layout.bits_stored
    if shift > 0 and options.get("correct_unused_bits", True) and out.dtype.kind in "iu":
        np.left_shift(out, shift, out=out)
        np.right_shift(out, shift, out=out)


class _Builtin:
    """Common parts of the adapters for dicomcore's codec modules."""

    name = ""
    module_name = ""
    decodes: tuple[str, ...] = ()
    encodes: tuple[str, ...] = ()
    install_hint = ""
    # About a millisecond of decoding: less is quicker on one thread than handed out.
    # Memory-speed codecs (RLE, zlib) keep this; the entropy coders lower it.
    threaded_bytes = 512 << 10

    def _codec(self) -> Any:
        # Kept once imported: every decode asks twice (is_available, decode).
        module = self.__dict__.get("_module")
        if module is None:
            module = self.__dict__["_module"] = _module(self.module_name)
        return module

    def is_available(self) -> bool:
        try:
            return bool(self._codec().is_available())
        except ImportError:
            return False

    def __repr__(self) -> str:
        return f"<pixel plugin '{self.name}' ({self.module_name})>"


class RLEPlugin(_Builtin):
    name = "dicomcore"
    module_name = "dicomcore.codecs.rle"
    decodes = ("1.2.840.10008.1.2.5",)
    encodes = ("1.2.840.10008.1.2.5",)
    install_hint = (
        "dicomcore's RLE extension was not built; on Debian: apt-get install "
        "build-essential python3-dev, then reinstall dicomcore"
    )

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        codec_options = {}
        if options.get("correct_unused_bits", True) and layout.bits_stored < layout.bits_allocated:
            codec_options["bits_stored"] = layout.bits_stored
        if "rle_segment_order" in options:
            codec_options["segment_order"] = options["rle_segment_order"]
        self._codec().decode_frames(
            frames,
            rows=layout.rows,
            columns=layout.columns,
            samples_per_pixel=layout.samples_per_pixel,
            bits_allocated=layout.bits_allocated,
            pixel_representation=layout.pixel_representation,
            out=out,
            threads=threads,
            **codec_options,
        )
        return layout.photometric_interpretation

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        frames = self._codec().encode_frames(
            arr,
            threads=threads,
            bits_stored=layout.bits_stored,
            pixel_representation=layout.pixel_representation,
            photometric_interpretation=layout.photometric_interpretation,
        )
        return EncodeResult(frames, layout.photometric_interpretation)


class DeflatePlugin(_Builtin):
    name = "zlib"
    module_name = "dicomcore.codecs.deflate"
    decodes = ("1.2.840.10008.1.2.8.1",)
    encodes = ("1.2.840.10008.1.2.8.1",)
    install_hint = "zlib is part of Python; this plugin is always available"

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        self._codec().decode_frames(
            frames,
            rows=layout.rows,
            columns=layout.columns,
            samples_per_pixel=layout.samples_per_pixel,
            bits_allocated=layout.bits_allocated,
            pixel_representation=layout.pixel_representation,
            planar_configuration=layout.planar_configuration,
            out=out,
            threads=threads,
        )
        if layout.bits_allocated > 1:
            _unused_bits_fixed(out, layout, options)
        return layout.photometric_interpretation

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        extra = {}
        if "deflate_level" in options:
            extra["level"] = options["deflate_level"]
        frames = self._codec().encode_frames(
            arr, bits_allocated=layout.bits_allocated, threads=threads, **extra
        )
        return EncodeResult(frames, layout.photometric_interpretation)


class JPEGLSPlugin(_Builtin):
    name = "charls"
    module_name = "dicomcore.codecs.jpegls"
    threaded_bytes = 64 << 10  # CharLS decodes about 100 MB/s
    decodes = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
    encodes = decodes
    install_hint = (
        "dicomcore was built without CharLS; on Debian: apt-get install libcharls-dev, "
        "then reinstall dicomcore"
    )

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        self._codec().decode_frames(
            frames,
            rows=layout.rows,
            columns=layout.columns,
            samples_per_pixel=layout.samples_per_pixel,
            bits_allocated=layout.bits_allocated,
            pixel_representation=layout.pixel_representation,
            bits_stored=layout.bits_stored,
            out=out,
            threads=threads,
            apply_jls_sign_correction=options.get("apply_jls_sign_correction", True),
        )
        return layout.photometric_interpretation

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        near = int(options.get("jls_error") or 0)
        extra = {}
        if "interleave_mode" in options:
            extra["interleave_mode"] = options["interleave_mode"]
        frames = self._codec().encode_frames(
            arr,
            bits_stored=layout.bits_stored,
            pixel_representation=layout.pixel_representation,
            photometric_interpretation=layout.photometric_interpretation,
            threads=threads,
            jls_error=near,
            transfer_syntax_uid=transfer_syntax,
            **extra,
        )
        lossy = "ISO_14495_1" if near else None
        return EncodeResult(frames, layout.photometric_interpretation, lossy)


class _JPEG2000Family(_Builtin):
    """The decode step both JPEG 2000 plugins share: the codec modules take the same arguments."""

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        codec = self._codec()
        arguments = {
            "rows": layout.rows,
            "columns": layout.columns,
            "samples_per_pixel": layout.samples_per_pixel,
            "bits_allocated": layout.bits_allocated,
            "pixel_representation": layout.pixel_representation,
            "apply_j2k_sign_correction": options.get("apply_j2k_sign_correction", True),
            "photometric_interpretation": layout.photometric_interpretation,
        }
        if len(frames) == 1:
            # One frame: OpenJPEG's own threads pay off only on large images; starting
            # them costs more than decoding a small one.
            large = layout.samples_per_frame >= _THREADED_FRAME_SAMPLES
            codec.decode_frame(frames[0], out=out[0], threads=(threads or 0) if large else 0,
                               **arguments)
        else:
            codec.decode_frames(frames, out=out, threads=threads, **arguments)
        # The decoders undo the multiple-component transform (PS3.5 Section 8.2.4).
        if layout.photometric_interpretation in ("YBR_ICT", "YBR_RCT"):
            return "RGB"
        return layout.photometric_interpretation


def _mct_photometric(layout: PixelLayout, options: dict[str, Any], reversible: bool) -> str:
    """PS3.5 Section 8.2.4 and A.4.4: RGB coded with a colour transform is YBR_RCT/ICT."""
    if layout.photometric_interpretation == "RGB" and options.get("use_mct", True):
        return "YBR_RCT" if reversible else "YBR_ICT"
    return layout.photometric_interpretation


class OpenJPEGPlugin(_JPEG2000Family):
    name = "openjpeg"
    module_name = "dicomcore.codecs.jpeg2000"
    threaded_bytes = 32 << 10  # OpenJPEG decodes J2K at about 40 MB/s
    decodes = (
        _J2K_LOSSLESS,
        _J2K,
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
        _HTJ2K,
    )
    encodes = (_J2K_LOSSLESS, _J2K)
    install_hint = (
        "dicomcore was built without OpenJPEG; on Debian: apt-get install "
        "libopenjp2-7-dev, then reinstall dicomcore"
    )

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        extra = {
            k: options[k]
            for k in ("use_mct", "resolutions", "progression", "code_block_size")
            if k in options
        }
        lossy = transfer_syntax == _J2K
        frames = self._codec().encode_frames(
            arr,
            threads=threads,
            bits_stored=layout.bits_stored,
            pixel_representation=layout.pixel_representation,
            photometric_interpretation=layout.photometric_interpretation,
            transfer_syntax_uid=transfer_syntax,
            j2k_cr=options.get("j2k_cr") if lossy else None,
            j2k_psnr=options.get("j2k_psnr") if lossy else None,
            **extra,
        )
        photometric = _mct_photometric(layout, options, reversible=not lossy)
        return EncodeResult(frames, photometric, "ISO_15444_1" if lossy else None)


class OpenJPHPlugin(_JPEG2000Family):
    name = "openjph"
    module_name = "dicomcore.codecs.htj2k"
    threaded_bytes = 256 << 10  # OpenJPH decodes about 500 MB/s
    decodes = ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", _HTJ2K)
    encodes = decodes
    install_hint = (
        "dicomcore was built without OpenJPH; on Debian: apt-get install libopenjph-dev, "
        "then reinstall dicomcore"
    )

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        extra = {
            k: options[k]
            for k in ("use_mct", "decompositions", "progression", "code_block_size", "tlm")
            if k in options
        }
        step = options.get("quantization_step")
        frames = self._codec().encode_frames(
            arr,
            threads=threads,
            bits_stored=layout.bits_stored,
            pixel_representation=layout.pixel_representation,
            photometric_interpretation=layout.photometric_interpretation,
            transfer_syntax_uid=transfer_syntax,
            quantization_step=step,
            **extra,
        )
        photometric = _mct_photometric(layout, options, reversible=step is None)
        return EncodeResult(frames, photometric, None if step is None else "ISO_15444_15")


# -- pylibjpeg (external) ------------------------------------------------------------------


def jpeg_colour_hint(src: Any) -> str | None:
    """What a JPEG codestream's markers say its colour space is, without decoding it.

    Returns "RGB" when the frame header's component identifiers are "R", "G", "B"
    (ISO/IEC 10918-6 Annex A), "YBR" when a JFIF APP0 segment is present (JFIF
    images are YCbCr), or None.
    """
    data = memoryview(src).cast("B")
    size = len(data)
    offset = 2 if size >= 2 and data[0] == 0xFF and data[1] == 0xD8 else size
    jfif = False
    while offset + 4 <= size:
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        length = (data[offset + 2] << 8) | data[offset + 3]
        body = data[offset + 4 : offset + 2 + length]
        if marker == 0xE0 and bytes(body[:4]) == b"JFIF":
            jfif = True
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            count = body[5] if len(body) > 5 else 0
            ids = [body[6 + 3 * i] for i in range(count) if 6 + 3 * i < len(body)]
            if ids in ([82, 71, 66], [114, 103, 98]):
                return "RGB"
            return "YBR" if jfif else None
        elif marker == 0xDA:
            break
        offset += 2 + length
    return "YBR" if jfif else None


class PylibjpegPlugin:
    """JPEG (ISO/IEC 10918) decoding through pylibjpeg and its pylibjpeg-libjpeg plugin.

    pylibjpeg is imported only when a frame is decoded. Decoded samples are what
    the codestream holds (no colour conversion), so the photometric
    interpretation is settled from the codestream's markers as pydicom 3 does:
    component identifiers "RGB" mean RGB, a JFIF marker means YCbCr.
    """

    name = "pylibjpeg"
    decodes = _JPEG_SYNTAXES
    encodes: tuple[str, ...] = ()
    install_hint = "pip install pylibjpeg pylibjpeg-libjpeg"

    def is_available(self) -> bool:
        return (
            importlib.util.find_spec("pylibjpeg") is not None
            and importlib.util.find_spec("libjpeg") is not None
        )

    def _decoder(self, transfer_syntax: str) -> Any:
        utils = _module("pylibjpeg.utils")
        decoders = utils.get_pixel_data_decoders()
        if transfer_syntax not in decoders:
            raise RuntimeError(
                f"pylibjpeg has no decoder for {transfer_syntax}: {self.install_hint}"
            )
        return decoders[transfer_syntax]

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        decode = self._decoder(str(layout.transfer_syntax))
        photometric = layout.photometric_interpretation
        if layout.samples_per_pixel == 3 and frames:
            hint = jpeg_colour_hint(frames[0])
            if hint == "RGB":
                photometric = "RGB"
            elif hint == "YBR" and "YBR" not in photometric:
                photometric = (
                    "YBR_FULL_422" if layout.transfer_syntax == _JPEG_BASELINE else "YBR_FULL"
                )
        dtype = out.dtype

        def one(index: int) -> None:
            try:
                decoded = decode(bytes(frames[index]), version=2)
            except Exception as exc:
                raise RuntimeError(f"frame {index}: pylibjpeg could not decode it: {exc}") from exc
            samples = layout.samples_per_frame
            size = len(decoded)
            # libjpeg sizes its samples by the codestream's precision (8 or 16 bits),
            # which may be smaller than Bits Allocated: widen into the output.
            if size == samples * dtype.itemsize:
                values = np.frombuffer(decoded, dtype=dtype)
            elif size == samples:
                values = np.frombuffer(decoded, dtype=np.uint8)
            elif size == 2 * samples:
                values = np.frombuffer(decoded, dtype="u2").view(f"{dtype.kind}2")
            else:
                raise ValueError(
                    f"frame {index}: pylibjpeg decoded {size} bytes, the frame needs "
                    f"{samples} samples"
                )
            out[index].reshape(-1)[...] = values

        run_all(len(frames), thread_count(threads or 1, len(frames)), one)
        _unused_bits_fixed(out, layout, options)
        return "YBR_FULL" if photometric == "YBR_FULL_422" else photometric

    def encode(self, *args: Any, **kwargs: Any) -> EncodeResult:
        raise NotImplementedError("pylibjpeg's JPEG plugin does not encode")

    def __repr__(self) -> str:
        return "<pixel plugin 'pylibjpeg' (external)>"


def builtin_plugins() -> list[Any]:
    """The plugins registered when the registry is first used, in the order tried."""
    return [
        RLEPlugin(),
        DeflatePlugin(),
        JPEGLSPlugin(),
        OpenJPHPlugin(),
        OpenJPEGPlugin(),
        PylibjpegPlugin(),
    ]
