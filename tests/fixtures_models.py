"""Session-scoped model folders for tests. conftest.py re-exports them; a test module may also import them.

``tiny_model_dir``: the tiny random Llama, built once per session in pytest's temp dir.
``smollm2_model_dir``: real SmolLM2-135M-Instruct from the harness cache (converted on first use, ~30 s).
"""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from harness.testing.local_models import tiny_llama_dir

    # A fixed path in the session's base temp: every module that imports this shares one build.
    return tiny_llama_dir(tmp_path_factory.getbasetemp() / "tiny-llama")


@pytest.fixture(scope="session")
def smollm2_model_dir() -> Path:
    from harness.testing.local_models import smollm2_dir

    return smollm2_dir()
