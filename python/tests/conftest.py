"""Shared fixtures: the bundled sample store (read-only) and copies of it to write to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
SAMPLE_DATASET = "sample/BTCUSDT/1m"
SAMPLE_BARS = 45_031


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The bundled sample store."""
    assert (SAMPLE / "bars").is_dir(), f"bundled sample missing at {SAMPLE}"
    return SAMPLE


@pytest.fixture()
def store_copy(tmp_path: Path) -> Path:
    """A private copy of the sample store (for tests that write or build a catalog)."""
    target = tmp_path / "store"
    shutil.copytree(SAMPLE / "bars", target / "bars")
    return target
