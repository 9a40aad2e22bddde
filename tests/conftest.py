"""Shared test set-up: point dataset envs at ../shared/data unless the caller chose a folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.setdefault("REASONING_GYM_DATA_DIR", str(REPO.parent / "shared" / "data")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "math500.jsonl").is_file():
        pytest.fail(f"Benchmark files not found in {DATA_DIR}. Set REASONING_GYM_DATA_DIR to the shared/data folder.")
    return DATA_DIR


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread for every test that uses torch (those that never import it are left alone).

    On a shared 2-core machine, 2 spinning OpenMP threads make tiny matmuls ~30x slower than 1 thread.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
