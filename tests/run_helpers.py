"""Helpers for tests that run `harness eval` as a subprocess and kill it."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from harness.store import iter_samples


def kill_after_rows(cmd: list[str], env: dict, samples: Path, rows: int, timeout_s: float = 300) -> int:
    """Start ``cmd``, SIGKILL its process group once ``samples`` holds ``rows`` lines, and
    return how many complete rows survived. Fails if the run ends before it is killed."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline and proc.poll() is None:
            if samples.exists() and samples.read_text().count("\n") >= rows:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished (or died) before it could be killed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return len(list(iter_samples(samples.parent)))


def sample_rows(run: Path) -> list[tuple]:
    """(task, doc, sample, output, passed) of every row, sorted; asserts no duplicate keys."""
    rows = sorted((r["task"], r["doc_id"], r["sample"], r["output"], r["verdict"]["passed"]) for r in iter_samples(run))
    duplicates = [k for k, c in Counter(r[:3] for r in rows).items() if c > 1]
    assert not duplicates, f"duplicate rows: {duplicates[:3]}"
    return rows
