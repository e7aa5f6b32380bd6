"""The run store: one directory per run, the only thing reports and tools read.

- ``manifest.json``: what was run (model, backend, sampling, seed, tasks with
  versions and data hashes, harness version and commit, times). Rewritten
  atomically (temp file + rename).
- ``samples.jsonl``: one line per (task, doc_id, sample), appended as samples
  finish, flushed and fsync'd per write. A run killed mid-write leaves at most
  one torn last line; opening the store cuts it off, so the file is never
  corrupt and nothing finished is lost.
- ``results.json``: metrics, rewritten atomically from the samples.

A lock file keeps two processes from writing one run at the same time.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from harness.errors import UsageError

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
RESULTS = "results.json"
LOCK = ".lock"

SampleKey = tuple[str, str, int]


def write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON ({exc.msg}): the run directory is damaged") from None


def sample_key(record: dict) -> SampleKey:
    return (record["task"], record["doc_id"], int(record["sample"]))


def _repair_tail(path: Path) -> None:
    """Cut a torn last line (no trailing newline, or not JSON) left by a kill mid-write."""
    with path.open("rb+") as fh:
        data = fh.read()
        if not data:
            return
        end = len(data)
        if not data.endswith(b"\n"):
            end = data.rfind(b"\n") + 1
        else:
            last_start = data.rfind(b"\n", 0, len(data) - 1) + 1
            try:
                json.loads(data[last_start:])
            except ValueError:
                end = last_start
        if end != len(data):
            fh.truncate(end)


def iter_samples(run_dir: Path) -> Iterator[dict]:
    """Every complete sample record of a run (a torn last line is skipped, not repaired)."""
    path = Path(run_dir) / SAMPLES
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                break


class RunStore:
    """Read and append one run directory. Use as a context manager (holds the lock)."""

    def __init__(self, run_dir: str | os.PathLike):
        self.dir = Path(run_dir)
        self._lock_fh = None
        self._samples_fh = None
        self.done: set[SampleKey] = set()

    def __enter__(self) -> "RunStore":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create run directory {self.dir}: {exc.strerror}: choose another --output") from None
        self._lock_fh = (self.dir / LOCK).open("w")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            raise UsageError(f"run directory {self.dir} is in use by another harness process: wait for it or choose another --output") from None
        samples = self.dir / SAMPLES
        if samples.exists():
            _repair_tail(samples)
            self.done = {sample_key(r) for r in iter_samples(self.dir)}
        return self

    def __exit__(self, *exc) -> None:
        if self._samples_fh:
            self._samples_fh.close()
        if self._lock_fh:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()

    @staticmethod
    def peek_manifest(run_dir: str | os.PathLike) -> dict | None:
        """The manifest of an existing run, without locking or creating anything."""
        path = Path(run_dir) / MANIFEST
        return read_json(path) if path.exists() else None

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def read_manifest(self) -> dict | None:
        return read_json(self.manifest_path) if self.manifest_path.exists() else None

    def write_manifest(self, manifest: dict) -> None:
        write_json_atomic(self.manifest_path, manifest)

    def append(self, records: Iterable[dict]) -> int:
        """Append records whose key is not yet stored, in one write; return how many."""
        new = []
        for r in records:
            key = sample_key(r)
            if key not in self.done:
                self.done.add(key)
                new.append(json.dumps(r, ensure_ascii=False) + "\n")
        if new:
            if self._samples_fh is None:
                self._samples_fh = (self.dir / SAMPLES).open("a", encoding="utf-8")
            self._samples_fh.write("".join(new))
            self._samples_fh.flush()
            os.fsync(self._samples_fh.fileno())
        return len(new)

    def write_results(self, results: dict) -> None:
        write_json_atomic(self.dir / RESULTS, results)
