"""Fixtures for the GPU path's tests.

``engine`` runs a test twice: on the CPU kernel emulation (always, see
gpu_emulation.py) and on a real CUDA device through CuPy (skipped when no
CUDA device with CuPy is present, so the same assertions run on a GPU machine).
"""

from __future__ import annotations

import gpu_emulation
import pytest

from dicomcore.gpu import device as gpu_device


@pytest.fixture(scope="session")
def host_engine(tmp_path_factory: pytest.TempPathFactory) -> gpu_emulation.HostEngine:
    return gpu_emulation.HostEngine(gpu_emulation.build(tmp_path_factory.mktemp("kernels")))


@pytest.fixture(scope="session")
def cuda_engine():
    if not gpu_device.is_available():
        pytest.skip("no CUDA device with CuPy here; these assertions run on a GPU machine")
    from dicomcore.gpu.engine import CupyEngine

    return CupyEngine()


@pytest.fixture(params=["host", "cuda"])
def engine(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_engine")
