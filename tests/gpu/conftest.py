"""Fixtures for the GPU path's tests.

``engine`` runs a test twice: on the CPU kernel emulation (always, see
gpu_emulation.py) and on a real CUDA device through CuPy. The CUDA runs skip
only on machines without an NVIDIA GPU; on one with a GPU but no working CuPy
they fail, saying what is missing (``pip install dicomcore[cuda12]``).
"""

from __future__ import annotations

from pathlib import Path

import gpu_emulation
import pytest

from dicomcore.gpu import device as gpu_device


@pytest.fixture(scope="session")
def host_engine(tmp_path_factory: pytest.TempPathFactory) -> gpu_emulation.HostEngine:
    return gpu_emulation.HostEngine(gpu_emulation.build(tmp_path_factory.mktemp("kernels")))


def _nvidia_gpus() -> list[str]:
    """NVIDIA GPUs the kernel driver reports, whether or not CuPy is installed."""
    root = Path("/proc/driver/nvidia/gpus")
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


@pytest.fixture(scope="session")
def cuda_engine():
    if not gpu_device.is_available():
        gpus = _nvidia_gpus()
        if gpus:
            # GPU tests skip only where there is no GPU: with one, a missing CuPy fails.
            try:
                gpu_device.resolve_device(None)
            except (ImportError, RuntimeError) as exc:
                pytest.fail(
                    f"this machine has NVIDIA GPU(s) {gpus} but the GPU path cannot use them: {exc}"
                )
        pytest.skip("no CUDA device here; these assertions run on a GPU machine")
    from dicomcore.gpu.engine import CupyEngine

    return CupyEngine()


@pytest.fixture(params=["host", "cuda"])
def engine(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_engine")
