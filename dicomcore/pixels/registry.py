"""One registry from transfer syntax to the plugins that decode and encode it.

A *plugin* is an object that decodes and/or encodes the frames of some transfer
syntaxes (the :class:`Plugin` protocol). dicomcore's own codecs are registered
first; anything else (pylibjpeg for the JPEG family, or a user's plugin) is
registered after them with :func:`register_plugin`, so ours are tried first
unless ``decoding_plugin`` / ``encoding_plugin`` names another. A plugin that
is registered but cannot run (its library is not installed or was not built)
says what to install.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dicomcore.uid import UID

if TYPE_CHECKING:
    import numpy as np

    from dicomcore.pixels.layout import PixelLayout

__all__ = [
    "EncodeResult",
    "Plugin",
    "available_plugins",
    "get_decoding_plugin",
    "get_encoding_plugin",
    "plugins_for",
    "register_plugin",
    "registered_plugins",
    "unregister_plugin",
]


class EncodeResult:
    """Frames encoded by a plugin, and what the dataset must say about them.

    Attributes
    ----------
    frames : list of bytes-like
        One codestream per frame.
    photometric_interpretation : str
        (0028,0004) for the encoded data, e.g. YBR_RCT for RGB coded with the
        JPEG 2000 reversible colour transform (PS3.5 Section 8.2.4).
    lossy_method : str or None
        The (0028,2114) Lossy Image Compression Method defined term when the
        coding lost information (PS3.3 C.7.6.1.1.5.1), else None.
    """

    __slots__ = ("frames", "lossy_method", "photometric_interpretation")

    def __init__(
        self,
        frames: list[Any],
        photometric_interpretation: str,
        lossy_method: str | None = None,
    ) -> None:
        self.frames = frames
        self.photometric_interpretation = photometric_interpretation
        self.lossy_method = lossy_method


@runtime_checkable
class Plugin(Protocol):
    """What the pixel pipeline needs from a codec plugin.

    Attributes
    ----------
    name : str
        The name ``decoding_plugin`` / ``encoding_plugin`` select it by.
    decodes, encodes : tuple of str
        Transfer syntax UIDs it decodes / encodes.
    install_hint : str
        What to install when :meth:`is_available` is False.
    threaded_bytes : int, optional
        Decoded bytes (all frames together) from which frames are handed to
        threads: about a millisecond of the plugin's work. Without it, 512 KiB.
    """

    name: str
    decodes: tuple[str, ...]
    encodes: tuple[str, ...]
    install_hint: str

    def is_available(self) -> bool:
        """Whether the plugin's libraries can be used now."""

    def decode(
        self,
        frames: Sequence[Any],
        layout: PixelLayout,
        out: np.ndarray,
        options: dict[str, Any],
        threads: int | None,
    ) -> str:
        """Decode ``frames`` into ``out`` (shape ``(len(frames), *frame_shape)``).

        Returns the photometric interpretation of the decoded samples.
        """

    def encode(
        self,
        arr: np.ndarray,
        layout: PixelLayout,
        transfer_syntax: str,
        options: dict[str, Any],
        threads: int | None,
    ) -> EncodeResult:
        """Encode each frame of ``arr`` (shape ``(frames, *frame_shape)``)."""


_plugins: list[Plugin] = []
_lock = threading.Lock()
_defaults_loaded = False


def _ensure_defaults() -> None:
    global _defaults_loaded
    if _defaults_loaded:
        return
    with _lock:
        if _defaults_loaded:
            return
        from dicomcore.pixels.plugins import builtin_plugins

        _plugins[:0] = builtin_plugins()
        _defaults_loaded = True


def register_plugin(plugin: Plugin, *, first: bool = False) -> None:
    """Add a codec plugin to the registry.

    Parameters
    ----------
    plugin : Plugin
        An object with ``name``, ``decodes``, ``encodes``, ``install_hint``,
        ``is_available()``, ``decode(...)`` and ``encode(...)`` (see
        :class:`Plugin`). A plugin with the same name is replaced.
    first : bool
        Try this plugin before the ones already registered (default: after).
    """
    for attribute in ("name", "decodes", "encodes", "install_hint", "is_available"):
        if not hasattr(plugin, attribute):
            raise TypeError(f"a pixel plugin needs a '{attribute}' attribute")
    _ensure_defaults()
    with _lock:
        _plugins[:] = [p for p in _plugins if p.name != plugin.name]
        if first:
            _plugins.insert(0, plugin)
        else:
            _plugins.append(plugin)


def unregister_plugin(name: str) -> None:
    """Remove the plugin called ``name`` (no error if there is none)."""
    _ensure_defaults()
    with _lock:
        _plugins[:] = [p for p in _plugins if p.name != name]


def registered_plugins() -> list[Plugin]:
    """Every registered plugin, in the order they are tried."""
    _ensure_defaults()
    return list(_plugins)


def plugins_for(transfer_syntax: str, *, encode: bool = False) -> list[Plugin]:
    """The plugins registered to decode (or encode) ``transfer_syntax``, available or not."""
    _ensure_defaults()
    return [p for p in _plugins if transfer_syntax in (p.encodes if encode else p.decodes)]


def available_plugins(transfer_syntax: str, *, encode: bool = False) -> list[str]:
    """Names of the plugins that can decode (or encode) ``transfer_syntax`` now."""
    return [p.name for p in plugins_for(transfer_syntax, encode=encode) if p.is_available()]


def _choose(transfer_syntax: str, name: str, encode: bool) -> Plugin:
    uid = UID(transfer_syntax)
    action = "encode" if encode else "decode"
    candidates = plugins_for(uid, encode=encode)
    if not candidates:
        known = sorted({u for p in _plugins for u in (p.encodes if encode else p.decodes)})
        raise NotImplementedError(
            f"No pixel data {action}r is registered for '{uid.name}' ({uid}); plugins "
            f"{action} {', '.join(UID(u).name for u in known)}"
        )
    if name:
        chosen = [p for p in candidates if p.name == name.lower()]
        if not chosen:
            raise ValueError(
                f"No plugin named '{name}' can {action} '{uid.name}': use one of "
                f"{', '.join(repr(p.name) for p in candidates)}"
            )
        plugin = chosen[0]
        if not plugin.is_available():
            raise RuntimeError(
                f"The '{plugin.name}' plugin to {action} '{uid.name}' is not available: "
                f"{plugin.install_hint}"
            )
        return plugin
    for plugin in candidates:
        if plugin.is_available():
            return plugin
    hints = "; ".join(f"'{p.name}': {p.install_hint}" for p in candidates)
    raise RuntimeError(
        f"Unable to {action} '{uid.name}' pixel data: none of its plugins is available "
        f"({hints})"
    )


def get_decoding_plugin(transfer_syntax: str, name: str = "") -> Plugin:
    """The plugin to decode ``transfer_syntax`` with.

    Parameters
    ----------
    transfer_syntax : str
        The (0002,0010) Transfer Syntax UID of the pixel data.
    name : str, optional
        A plugin name (``decoding_plugin``); by default the first available one.

    Raises
    ------
    NotImplementedError
        If no plugin is registered for the transfer syntax.
    ValueError
        If ``name`` is not a plugin for it.
    RuntimeError
        If the plugin (or, without a name, every plugin) is unavailable; the
        message says what to install.
    """
    return _choose(transfer_syntax, name, encode=False)


def get_encoding_plugin(transfer_syntax: str, name: str = "") -> Plugin:
    """The plugin to encode to ``transfer_syntax`` with; as :func:`get_decoding_plugin`."""
    return _choose(transfer_syntax, name, encode=True)
