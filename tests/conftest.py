"""Shared fixtures. Real benchmark data is read from ../shared/data beside the repo root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real benchmark data: $HARNESS_SHARED_DATA or ../shared/data beside the repo root."""
    d = Path(os.environ.get("HARNESS_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
    if not (d / "PROVENANCE.md").is_file():
        raise RuntimeError(
            f"benchmark data not found at {d}: place the shared data folder beside the repo "
            "(../shared/data) or set HARNESS_SHARED_DATA to its path"
        )
    return d


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


from fixtures_models import smollm2_model_dir, tiny_model_dir  # noqa: E402,F401  (fixtures)
