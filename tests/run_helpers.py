"""Helpers for tests that run `harness eval` as a subprocess and kill it."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from harness.store import iter_samples, scored_rows


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
    rows = sorted((r["task"], r["doc_id"], r["sample"], r["output"], r["verdict"]["passed"]) for r in scored_rows(run))
    duplicates = [k for k, c in Counter(r[:3] for r in rows).items() if c > 1]
    assert not duplicates, f"duplicate rows: {duplicates[:3]}"
    return rows


def snapshot(folder: Path) -> dict[str, bytes]:
    """Name -> bytes of every file in ``folder`` (but the lock file), to show nothing changed."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != ".lock"}


def usage_error(capsys, argv: list[str], *, alone: bool = False) -> str:
    """Run ``harness argv``; assert exit 2 with one error line (the last on stderr; with
    ``alone`` the only one) and no traceback; return that line."""
    from harness.cli import main

    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith("harness: error: ") and err.count("harness: error") == 1 and "Traceback" not in err, err
    assert not alone or err.count("\n") == 1, err
    return last


def replay_args(preds: Path, data: Path, out: Path, tasks: str, limit: int, *extra: str) -> list[str]:
    """``harness eval`` argv for a replay run."""
    return ["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", tasks, "--limit", str(limit),
            "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def math500_preds(path: Path, data: Path, docs: int, samples: int, output) -> Path:
    """A predictions file for the first ``docs`` math500 problems, ``samples`` each, the
    output of sample i of record r being ``output(r, i)``."""
    import json

    recs = [json.loads(line) for line in (data / "math500" / "test.jsonl").read_text().splitlines()[:docs]]
    rows = [{"task": "math500", "doc_id": r["unique_id"], "sample": i, "output": output(r, i)} for r in recs for i in range(samples)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
