"""Running code in a fresh child Python that imports this checkout.

For code that may crash the process (a native abort or segfault: the test that
ran it then fails with its return code, instead of pytest), and for what only a
fresh interpreter shows (import-time behaviour, a codec library missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_DECODE_HTJ2K = textwrap.dedent(
    r"""
    import sys
    from dicomcore.codecs import htj2k
    try:
        htj2k.decode_frame(open(sys.argv[1], "rb").read(), decoder=sys.argv[2])
        print("decoded")
    except Exception as exc:
        print(type(exc).__name__, exc)
    """
)


#: Code for a child script that defines ``bytes_in_use()``: the heap bytes malloc
#: has handed out. Unlike RSS it does not move when freed memory is kept, so
#: its growth over many failed decodes shows a leak.
BYTES_IN_USE = textwrap.dedent(
    r"""
    import ctypes

    class _MallocInfo(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallinfo2.restype = _MallocInfo

    def bytes_in_use():
        info = _libc.mallinfo2()
        return info.uordblks + info.hblkhd
    """
)


def run_python(code: str, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` with ``arguments`` in a child Python that imports this checkout."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=path))


def decode_htj2k_in_child(folder: Path, data: bytes, decoder: str) -> subprocess.CompletedProcess:
    """``htj2k.decode_frame(data, decoder=decoder)`` in a child: it prints "decoded", or the
    exception's type and message."""
    path = folder / "frame.j2c"
    path.write_bytes(data)
    return run_python(_DECODE_HTJ2K, str(path), decoder)
