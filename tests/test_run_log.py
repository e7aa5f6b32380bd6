"""run.log: every line a run logs, timestamped, appended across resumes, secrets redacted,
never written by a refused invocation; vLLM's INFO chatter off the console unless -v (one
subprocess run each way, the tiny model on the CPU engine)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from run_helpers import replay_args, snapshot, usage_error

from harness.cli import main
from harness.testing.local_server import CPU_ENV

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 ")
SECRET_URL = "https://alice:hunter2pass@example.com/model"


@pytest.fixture
def preds(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps({"task": "amc23", "doc_id": f"amc23-{d}", "sample": 0, "output": "\\boxed{27}"}) + "\n"
                            for d in range(3)))
    return path


def test_run_log_holds_the_run_with_timestamps_and_no_secret(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(replay_args(preds, shared_data, run, "amc23", 2, "--model", SECRET_URL)) == 0
    out = capsys.readouterr().out
    log = (run / "run.log").read_text()
    lines = log.splitlines()
    assert all(STAMP.match(line) for line in lines), lines
    assert "eval: backend replay" in lines[0]
    assert any("task amc23: 2 documents, n=1" in line for line in lines)
    assert any("2 samples to generate for 2 documents" in line for line in lines)
    table = out.split("\n\nresults:")[0]
    assert table.strip() and all(row in log for row in table.splitlines() if row.strip())  # the final table
    assert "hunter2pass" not in log and "***@example.com" in log

    before = log
    assert main(replay_args(preds, shared_data, run, "amc23", 2, "--model", SECRET_URL)) == 0  # a resume appends
    log = (run / "run.log").read_text()
    assert log.startswith(before) and "nothing to generate" in log[len(before):]


def test_a_refused_invocation_writes_no_log(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(replay_args(preds, shared_data, run, "amc23", 2)) == 0
    before = snapshot(run)
    usage_error(capsys, replay_args(preds, shared_data, run, "amc23", 2, "--seed", "4"))
    assert snapshot(run) == before
    fresh = tmp_path / "fresh"
    usage_error(capsys, replay_args(preds, shared_data, fresh, "amc23", 2, "--top-p", "3"), alone=True)
    assert not fresh.exists()


def vllm_eval(model, data, out, *extra):
    cmd = [sys.executable, "-m", "harness.cli", "eval", "--backend", "vllm", "--model", str(model), "--tasks", "amc23",
           "--limit", "1", "-n", "1", "--max-tokens", "4", "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]
    env = {k: v for k, v in os.environ.items() if k != "VLLM_LOGGING_LEVEL"}
    env.update(CPU_ENV, HF_DATASETS_OFFLINE="1")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


VLLM_INFO = re.compile(r"\bINFO \d\d-\d\d \d\d:\d\d:\d\d")


@pytest.mark.slow
def test_vllm_info_logs_only_with_verbose(tmp_path, tiny_model_dir, shared_data):
    quiet = vllm_eval(tiny_model_dir, shared_data, tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert not VLLM_INFO.search(quiet.stderr), quiet.stderr[-3000:]
    assert "results:" in quiet.stdout and "amc23" in (tmp_path / "quiet" / "run.log").read_text()

    loud = vllm_eval(tiny_model_dir, shared_data, tmp_path / "loud", "-v")
    assert loud.returncode == 0, loud.stderr[-3000:]
    assert VLLM_INFO.search(loud.stderr)
