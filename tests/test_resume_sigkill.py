"""A run killed with SIGKILL mid-way, then rerun, equals an uninterrupted run (per backend)."""
import json
import os
import subprocess
import sys

import pytest
from run_helpers import kill_after_rows, sample_rows

from harness.testing.local_server import CPU_ENV

BACKENDS = {
    # backend: (environment, max_tokens)
    "transformers": ({}, "24"),
    "vllm": (CPU_ENV, "200"),
}


def harness_cmd(backend, model, data, out):
    return [sys.executable, "-m", "harness.cli", "eval", "--model", str(model), "--backend", backend,
            "--tasks", "gsm8k,aime24", "--limit", "14", "-n", "3", "--seed", "7", "--temperature", "1.0",
            "--max-tokens", BACKENDS[backend][1], "--data-dir", str(data), "--output", str(out), "--no-progress"]


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_sigkill_then_rerun_equals_uninterrupted(backend, tmp_path, tiny_model_dir, shared_data):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **BACKENDS[backend][0]}
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run(harness_cmd(backend, tiny_model_dir, shared_data, full), check=True, env=env, capture_output=True)

    survived = kill_after_rows(harness_cmd(backend, tiny_model_dir, shared_data, killed), env, killed / "samples.jsonl", 10)
    assert 10 <= survived < 84

    done = subprocess.run(harness_cmd(backend, tiny_model_dir, shared_data, killed), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(sample_rows(killed)) == 84
    assert sample_rows(killed) == sample_rows(full)  # same rows, same outputs, same verdicts
    res_full = json.loads((full / "results.json").read_text())
    res_killed = json.loads((killed / "results.json").read_text())
    assert res_killed["tasks"] == res_full["tasks"]
    assert res_killed["counts"] == res_full["counts"]

    # A third run generates nothing and leaves the samples untouched.
    before = (killed / "samples.jsonl").read_bytes()
    again = subprocess.run(harness_cmd(backend, tiny_model_dir, shared_data, killed), env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "nothing to generate" in again.stderr
    assert (killed / "samples.jsonl").read_bytes() == before
