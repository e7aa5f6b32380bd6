"""A run killed with SIGKILL mid-way, then rerun, equals an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from harness.store import iter_samples


def harness_cmd(model, data, out, *extra):
    return [sys.executable, "-m", "harness.cli", "eval", "--model", str(model), "--backend", "transformers",
            "--tasks", "gsm8k,aime24", "--limit", "14", "-n", "3", "--seed", "7", "--temperature", "1.0",
            "--max-tokens", "24", "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def rows(run):
    return [(r["task"], r["doc_id"], r["sample"], r["output"], r["verdict"]["passed"]) for r in iter_samples(run)]


def test_sigkill_then_rerun_equals_uninterrupted(tmp_path, tiny_model, shared_data):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run(harness_cmd(tiny_model, shared_data, full), check=True, env=env, capture_output=True)

    proc = subprocess.Popen(harness_cmd(tiny_model, shared_data, killed), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    samples = killed / "samples.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if samples.exists() and samples.read_text().count("\n") >= 10:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list(iter_samples(killed)))
    assert 10 <= partial < 84

    done = subprocess.run(harness_cmd(tiny_model, shared_data, killed), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    keys = [r[:3] for r in rows(killed)]
    assert not [k for k, c in Counter(keys).items() if c > 1], "duplicate rows after resume"
    assert sorted(rows(killed)) == sorted(rows(full))  # same rows, same outputs, same verdicts
    res_full = json.loads((full / "results.json").read_text())
    res_killed = json.loads((killed / "results.json").read_text())
    assert res_killed["tasks"] == res_full["tasks"]
    assert res_killed["counts"] == res_full["counts"]

    # A third run generates nothing and leaves the samples untouched.
    before = (killed / "samples.jsonl").read_bytes()
    again = subprocess.run(harness_cmd(tiny_model, shared_data, killed), env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "nothing to generate" in again.stderr
    assert (killed / "samples.jsonl").read_bytes() == before
