"""What every benchmark script needs before it imports NumPy, dicomcore or a peer.

Each script imports this module first (``import bench_setup``): Python puts the
script's folder on ``sys.path``, so it is found when a script is run as
``python3 benchmarks/bench_<name>.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# numpy's OpenBLAS threads busy-wait for a while after any BLAS call (a colour
# conversion while loading test frames) and steal a core from the threaded runs.
# Read when NumPy is first imported, so it is set before that.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]

# The checkout's dicomcore (also when it is not installed) and the test helpers
# (datafiles, for the real test files).
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
