"""Shared test set-up: point dataset envs at ../shared/data unless the caller chose a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.setdefault("REASONING_GYM_DATA_DIR", str(REPO.parent / "shared" / "data")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "math500.jsonl").is_file():
        pytest.fail(f"Benchmark files not found in {DATA_DIR}. Set REASONING_GYM_DATA_DIR to the shared/data folder.")
    return DATA_DIR
