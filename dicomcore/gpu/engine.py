"""Where GPU work runs: a small interface over CuPy that the pixel modules use.

The decoding and processing modules never call CuPy directly; they ask an
:class:`Engine` for arrays (``engine.xp``), kernel launches, pinned host
buffers and copies. :class:`CupyEngine` is the real thing: one CUDA device and
one stream (by default CuPy's current stream, so work is ordered with the
caller's own CuPy work). Keeping the interface this small lets the test suite
run the whole GPU pipeline, kernels included, on the CPU with an engine whose
kernels are the same ``.cu`` sources compiled as plain C++.

Any function taking ``device=`` accepts an engine there as well as a device.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from dicomcore.gpu import kernels
from dicomcore.gpu.device import require_cupy, resolve_device

__all__ = ["CupyEngine", "Engine", "get_engine"]

# Threads per block for every launch; kernels are grid-stride loops, so the grid
# is capped at a few waves of blocks per multiprocessor.
_BLOCK = 256
_BLOCKS_PER_SM = 32


@runtime_checkable
class Engine(Protocol):
    """What the GPU modules need from a device.

    ``xp`` is the array module of device arrays (``cupy``). Arrays made with
    ``xp`` and kernels launched by :meth:`launch` inside :meth:`activate` run
    on the engine's device and stream, in order. Copies to the device are
    asynchronous; :meth:`synchronize` waits for everything queued.
    """

    xp: Any

    def activate(self) -> contextlib.AbstractContextManager[Any]:
        """Make the engine's device and stream current."""
        ...

    def launch(
        self, module: str, kernel: str, count: int, args: Sequence[Any], block: int | None = None
    ) -> None:
        """Run ``kernel`` of ``codecs/cuda/<module>.cu`` over ``count`` indices.

        ``block`` (threads per block) is a performance hint only: every kernel is a
        grid-stride loop, correct for any grid.
        """
        ...

    def pinned_empty(self, nbytes: int) -> np.ndarray:
        """A uint8 host array in page-locked memory, for fast asynchronous copies."""
        ...

    def to_device(self, host: np.ndarray, out: Any = None) -> Any:
        """Queue a copy of ``host`` to the device (into ``out`` if given); return it.

        ``host`` is kept alive until the next :meth:`synchronize`.
        """
        ...

    def to_host(self, arr: Any) -> np.ndarray:
        """Copy a device array to a NumPy array, waiting for queued work."""
        ...

    def record_event(self) -> Any:
        """Mark the current point of the stream."""
        ...

    def wait_event(self, event: Any) -> None:
        """Block the host until the stream has passed ``event``."""
        ...

    def synchronize(self) -> None:
        """Block until all queued work is done."""
        ...

    def is_device_array(self, obj: Any) -> bool:
        """True if ``obj`` is an array on this engine's device."""
        ...


class CupyEngine:
    """An :class:`Engine` on one CUDA device through CuPy.

    Parameters
    ----------
    device : None, str, int or cupy.cuda.Device
        The device (see :func:`dicomcore.gpu.device.resolve_device`).
    stream : cupy.cuda.Stream, optional
        The stream to queue work on; default CuPy's current stream of that
        device at construction.
    """

    def __init__(self, device: Any = None, stream: Any = None) -> None:
        self.xp = require_cupy()
        self.device = resolve_device(device)
        with self.device:
            self.stream = stream if stream is not None else self.xp.cuda.get_current_stream()
            attributes = self.xp.cuda.runtime.getDeviceProperties(self.device.id)
        self._max_blocks = max(1, int(attributes["multiProcessorCount"]) * _BLOCKS_PER_SM)
        self._pending: list[Any] = []

    def __repr__(self) -> str:
        return f"CupyEngine(device={self.device.id}, stream={self.stream!r})"

    @contextlib.contextmanager
    def activate(self) -> Iterator[None]:
        with self.device, self.stream:
            yield

    def launch(
        self, module: str, kernel: str, count: int, args: Sequence[Any], block: int | None = None
    ) -> None:
        if count <= 0:
            return
        block = block or _BLOCK
        blocks = min(-(-count // block), self._max_blocks)
        with self.activate():
            # Compiled and loaded for the current device, hence inside activate().
            function = kernels.get_function(module, kernel, self.device.id)
            function((blocks,), (block,), tuple(args))

    def pinned_empty(self, nbytes: int) -> np.ndarray:
        memory = self.xp.cuda.alloc_pinned_memory(max(1, nbytes))
        return np.frombuffer(memory, dtype=np.uint8, count=nbytes)

    def to_device(self, host: np.ndarray, out: Any = None) -> Any:
        with self.activate():
            if out is None:
                out = self.xp.empty(host.shape, dtype=host.dtype)
            out.set(host, stream=self.stream)
        self._pending.append(host)
        return out

    def to_host(self, arr: Any) -> np.ndarray:
        with self.activate():
            host = arr.get(stream=self.stream)
        self.stream.synchronize()
        return host

    def record_event(self) -> Any:
        with self.device:
            event = self.xp.cuda.Event(disable_timing=True)
            event.record(self.stream)
        return event

    def wait_event(self, event: Any) -> None:
        event.synchronize()

    def synchronize(self) -> None:
        self.stream.synchronize()
        self._pending.clear()

    def is_device_array(self, obj: Any) -> bool:
        return isinstance(obj, self.xp.ndarray) and obj.device.id == self.device.id


def get_engine(device: Any = None, *, like: Any = None) -> Engine:
    """Return the engine for ``device``.

    Parameters
    ----------
    device : None, str, int, cupy.cuda.Device or Engine
        An engine is returned as it is; anything else names a CUDA device
        (None: the device of ``like`` if that is a CuPy array, else the current
        device).
    like : array, optional
        An input array whose device is used when ``device`` is None.

    Raises
    ------
    ImportError
        If CuPy is missing.
    RuntimeError
        If no CUDA device is usable.
    """
    if isinstance(device, Engine):
        return device
    if device is None and like is not None:
        array_device = getattr(like, "device", None)
        if isinstance(getattr(array_device, "id", None), int) and not isinstance(like, np.ndarray):
            device = array_device
    return CupyEngine(device)
