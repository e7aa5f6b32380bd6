"""The run store: one directory per run, the only thing reports and tools read.

Layout of a run directory:

- ``manifest.json``: what was run (``schema_version``, model, backend, seed, tasks with
  versions, data hashes, settings and document ids, the ``configs`` every stored row
  was made under, harness version and commit, times). Replaced atomically (temp file,
  fsync, rename); read through :func:`read_manifest`, which refuses a manifest that is
  empty, not JSON, of the wrong shape or of a newer schema with one line.
- ``samples.jsonl``: one row per (task, doc_id, sample), appended as samples finish
  with one ``write`` per request, fsync'd. Append-only in normal operation. A row is
  valid when it is a JSON object with ``task`` and ``doc_id`` (strings), ``sample`` (an
  integer >= 0), ``output`` (a string) and ``verdict`` (an object with a boolean
  ``passed`` and a string ``reason``). Each row made by ``harness eval`` also names the
  ``config`` (id into the manifest's ``configs``) it was made under.
- ``samples.quarantine.jsonl``: lines taken out of ``samples.jsonl`` because they were
  not valid rows, each as ``{"line", "text", "reason", "quarantined_at"}`` (appended,
  never rewritten; line numbers count in the file as it was when it was quarantined).
- ``results.json``: metrics, rewritten atomically from the samples.
- ``.lock``: ``flock``'d by the one process that may write the run.

Rules:

- Opening a :class:`RunStore` (the writer, under the lock) streams ``samples.jsonl``
  once, in constant memory beside the set of stored keys. A torn last line (no
  newline: a run killed mid-write) is cut off silently; its request is generated
  again. Any other invalid line is moved to the quarantine file (good lines streamed
  to a temp file, fsync, rename) and reported in one line naming its line number;
  the rows after it count, and nothing is regenerated for rows that are there.
- Readers without the lock (:func:`iter_samples`: score, merge, reports) skip invalid
  lines without stopping and can tell the caller which line numbers they skipped.
- A directory that exists, is not empty and holds no ``manifest.json`` is not a run:
  :func:`check_run_dir` refuses it untouched (``.lock`` and leftover ``.*.tmp`` files of
  a harness that died before writing its manifest do not count).
- A write that fails (read-only directory or file, full disk, quota, file size limit)
  raises :class:`StoreError` (one line): temp files are removed and a partly appended
  write is cut back, so the rows written before stay intact and no file is torn.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from harness.errors import UsageError

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
QUARANTINE = "samples.quarantine.jsonl"
RESULTS = "results.json"
LOCK = ".lock"
MANIFEST_SCHEMA = 2  # 1: manifests without "schema_version" (no per-row configs)

SampleKey = tuple[str, str, int]


class StoreError(UsageError):
    """The run directory cannot be read or written (permissions, full disk): one line, exit 2."""


def _fault(path: Path, exc: OSError) -> StoreError:
    """The one-line error for an OS error while writing ``path``."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free space (or choose another --output) and rerun; rows already written are kept"
    elif exc.errno == errno.EFBIG:
        fix = "raise the file size limit (ulimit -f) and rerun; rows already written are kept"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make it writable or choose another --output"
    else:
        fix = "check the path and the disk, or choose another --output"
    return StoreError(f"cannot write {path} ({reason}): {fix}")


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _write_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` through a temp file + fsync + rename; on an OS error
    remove the temp file, leave ``path`` as it was and raise :class:`StoreError`."""
    tmp = _tmp_path(path)
    try:
        with tmp.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            _unlink_quietly(tmp)
        except OSError:  # e.g. a read-only directory, where the temp file was never made
            pass
        raise _fault(path, exc) from None


def write_json_atomic(path: Path, data) -> None:
    _write_atomic(Path(path), [(json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()])


def read_json(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} ({getattr(exc, 'strerror', None) or exc}): the run directory is damaged") from None
    if not text.strip():
        raise UsageError(f"{path} is empty: the run directory is damaged; restore it or choose a new --output")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON ({exc.msg}): the run directory is damaged") from None


# --- rows ------------------------------------------------------------------------------

def row_problem(record) -> str | None:
    """Why ``record`` is not a valid sample row, or None if it is."""
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = [f for f in ("task", "doc_id", "sample", "output", "verdict") if f not in record]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(record["task"], str) or not isinstance(record["doc_id"], str):
        return "task and doc_id must be strings"
    sample = record["sample"]
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        return f"sample {sample!r} is not an integer >= 0"
    if not isinstance(record["output"], str):
        return "output is not a string"
    verdict = record["verdict"]
    if not isinstance(verdict, dict) or not isinstance(verdict.get("passed"), bool) or not isinstance(verdict.get("reason"), str):
        return "verdict is not an object with passed and reason"
    return None


def parse_row(line: bytes) -> tuple[dict | None, str | None]:
    """``(record, None)`` for a valid row line, ``(None, reason)`` otherwise."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None, "not JSON"
    problem = row_problem(record)
    return (None, problem) if problem else (record, None)


def _row_line(record: dict) -> str:
    """``record`` as one samples.jsonl line; an invalid row is a programming error (ValueError)."""
    problem = row_problem(record)
    if problem:
        raise ValueError(f"refusing to store an invalid sample row ({problem})")
    return json.dumps(record, ensure_ascii=False) + "\n"


def sample_key(record: dict) -> SampleKey:
    return (record["task"], record["doc_id"], int(record["sample"]))


def _scan(path: Path) -> Iterator[tuple[int, bytes, dict | None, str | None]]:
    """Every complete line of ``path`` as ``(line number, raw, record or None, reason)``,
    streamed; a last line without newline (torn by a kill mid-write) is not yielded."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                return
            record, reason = parse_row(line)
            yield lineno, line, record, reason


def iter_samples(run_dir: Path, skipped: list[int] | None = None) -> Iterator[dict]:
    """Every valid row of a run, streamed; invalid lines are skipped (never stop the
    read) and their line numbers appended to ``skipped`` when given. A torn last line
    is neither yielded nor counted (a writer may be appending it)."""
    path = Path(run_dir) / SAMPLES
    if not path.exists():
        return
    for lineno, _, record, _ in _scan(path):
        if record is None:
            if skipped is not None:
                skipped.append(lineno)
        else:
            yield record


def describe_lines(name: str, lines: list[int]) -> str:
    """``samples.jsonl line 7 is not a valid sample record`` or, for several,
    ``samples.jsonl lines 7, 9 (2 lines) are not valid sample records``."""
    if len(lines) == 1:
        return f"{name} line {lines[0]} is not a valid sample record"
    shown = ", ".join(map(str, lines[:5])) + (", …" if len(lines) > 5 else "")
    return f"{name} lines {shown} ({len(lines)} lines) are not valid sample records"


def warn(message: str) -> None:
    """Print a one-line warning for the user on stderr."""
    print(f"harness: warning: {message}", file=sys.stderr)


# --- the run directory -----------------------------------------------------------------

def _is_own_leftover(name: str) -> bool:
    return name == LOCK or (name.startswith(".") and name.endswith(".tmp"))


def check_run_dir(run_dir: str | os.PathLike) -> dict | None:
    """The manifest of the run in ``run_dir``, or None when the directory is new or empty.
    A file, or a non-empty directory without ``manifest.json``, is refused untouched."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        return None
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is a file, not a run directory: choose a new --output")
    if (run_dir / MANIFEST).exists():
        return read_manifest(run_dir)
    try:
        foreign = [p.name for p in run_dir.iterdir() if not _is_own_leftover(p.name)]
    except OSError as exc:
        raise UsageError(f"cannot read {run_dir} ({exc.strerror}): choose another --output") from None
    if foreign:
        raise UsageError(f"{run_dir} is not an empty directory and holds no harness run (no {MANIFEST}): choose a new --output")
    return None


def _shape_problem(m) -> str | None:
    """What is wrong with the shape of a manifest, or None."""
    if not isinstance(m, dict):
        return "not a JSON object"
    version = m.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        return f"schema_version {version!r} is not an integer"
    if version > MANIFEST_SCHEMA:
        return f"schema_version {version} is newer than this harness reads ({MANIFEST_SCHEMA}): upgrade harness"
    for key, kind in (("run", dict), ("tasks", dict), ("harness", dict), ("created_at", str), ("updated_at", str)):
        if not isinstance(m.get(key), kind):
            return f"{key!r} is missing or not a {kind.__name__}"
    if version >= 2 and not isinstance(m.get("configs"), dict):
        return "'configs' is missing or not a dict"
    for name, t in m["tasks"].items():
        if not (isinstance(t, dict) and isinstance(t.get("settings"), dict) and isinstance(t.get("doc_ids"), list)):
            return f"task {name!r} lacks settings or doc_ids"
        n = t["settings"].get("n")
        if not isinstance(n, int) or n < 1:
            return f"task {name!r} has no valid n"
    return None


def read_manifest(run_dir: str | os.PathLike) -> dict | None:
    """The manifest of ``run_dir`` (None if it has none); a damaged one is a one-line UsageError."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return None
    manifest = read_json(path)
    problem = _shape_problem(manifest)
    if problem:
        raise UsageError(f"{path} is not a harness manifest ({problem}): the run directory is damaged; "
                         "restore it or choose a new --output")
    return manifest


class RunStore:
    """Read and append one run directory. Use as a context manager (holds the lock).

    On entry the samples are checked (see the module docstring): ``done`` holds the keys
    of the stored rows, ``quarantined`` the line numbers moved to the quarantine file
    (reported through ``log``, stderr by default)."""

    def __init__(self, run_dir: str | os.PathLike, *, log: Callable[[str], None] | None = None):
        self.dir = Path(run_dir)
        self.log = log or warn
        self._lock_fh = None
        self._fd: int | None = None
        self.done: set[SampleKey] = set()
        self.quarantined: list[int] = []

    @property
    def samples_path(self) -> Path:
        return self.dir / SAMPLES

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def __enter__(self) -> "RunStore":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._lock_fh = (self.dir / LOCK).open("w")
        except OSError as exc:
            raise _fault(self.dir, exc) from None
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            self._lock_fh = None
            raise UsageError(f"run directory {self.dir} is in use by another harness process: wait for it or choose another --output") from None
        try:
            if self.samples_path.exists():
                self._load()
                self._open_for_append()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fh:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def _load(self) -> None:
        """Cut a torn tail, quarantine invalid lines, and collect the stored keys."""
        bad: list[tuple[int, bytes, str]] = []
        end = 0
        for lineno, line, record, reason in _scan(self.samples_path):
            end += len(line)
            if record is None:
                bad.append((lineno, line, reason))
            else:
                self.done.add(sample_key(record))
        if end != self.samples_path.stat().st_size:
            try:
                os.truncate(self.samples_path, end)
            except OSError as exc:
                raise _fault(self.samples_path, exc) from None
        if bad:
            self._quarantine(bad)

    def _quarantine(self, bad: list[tuple[int, bytes, str]]) -> None:
        """Append the bad lines to the quarantine file, then rewrite samples.jsonl without them."""
        quarantine = self.dir / QUARANTINE
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entries = "".join(json.dumps({"line": n, "text": raw.decode("utf-8", "replace").rstrip("\n"), "reason": why,
                                      "quarantined_at": now}, ensure_ascii=False) + "\n" for n, raw, why in bad)
        try:
            with quarantine.open("ab") as fh:
                fh.write(entries.encode())
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise _fault(quarantine, exc) from None
        skip = {n for n, _, _ in bad}
        _write_atomic(self.samples_path, (line for n, line, _, _ in _scan(self.samples_path) if n not in skip))
        self.quarantined = sorted(skip)
        reasons = sorted({why for _, _, why in bad})
        self.log(f"{describe_lines(str(self.samples_path), self.quarantined)} "
                 f"({'; '.join(reasons[:3])}): moved to {QUARANTINE}; the other rows are kept")

    def _open_for_append(self) -> None:
        try:
            self._fd = os.open(self.samples_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _fault(self.samples_path, exc) from None

    @staticmethod
    def peek_manifest(run_dir: str | os.PathLike) -> dict | None:
        """The manifest of an existing run, without locking or creating anything."""
        return read_manifest(run_dir)

    def read_manifest(self) -> dict | None:
        return read_manifest(self.dir)

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest atomically, stamped with this harness's ``schema_version``."""
        write_json_atomic(self.manifest_path, {"schema_version": MANIFEST_SCHEMA, **manifest})

    def append(self, records: Iterable[dict]) -> int:
        """Append records whose key is not yet stored, in one write; return how many.
        A failed write is cut back to the rows before it and raised as StoreError."""
        new, keys = [], set()
        for r in records:
            line = _row_line(r)
            key = sample_key(r)
            if key not in self.done and key not in keys:
                keys.add(key)
                new.append(line)
        if not new:
            return 0
        if self._fd is None:
            self._open_for_append()
        data = memoryview("".join(new).encode())
        size = os.fstat(self._fd).st_size
        try:
            while data:
                data = data[os.write(self._fd, data):]
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, size)
            except OSError:  # left torn: the next open cuts the torn tail
                pass
            raise _fault(self.samples_path, exc) from None
        self.done.update(keys)
        return len(new)

    def replace_samples(self, records: Iterable[dict]) -> None:
        """Rewrite ``samples.jsonl`` with ``records`` atomically (``score --reverify``)."""
        records = list(records)
        lines = [_row_line(r).encode() for r in records]
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        _write_atomic(self.samples_path, lines)
        self.done = {sample_key(r) for r in records}

    def write_results(self, results: dict) -> None:
        write_json_atomic(self.dir / RESULTS, results)


# --- the documents a run used (docs.jsonl) --------------------------------------------
# One line per document a run selected: {"task", "data_hash", "doc_id", "problem", "gold"},
# so `harness score --reverify` checks answers with the problem text the eval had.
# Written when an eval starts (and on every resume, which adds what an older run lacks),
# atomically; entries of other tasks or data hashes are kept.

DOCS = "docs.jsonl"
DocKey = tuple[str, str, str]  # (task, data_hash, doc_id)
_DOC_FIELDS = ("task", "data_hash", "doc_id", "problem", "gold")


def doc_key(entry: dict) -> DocKey:
    return (entry["task"], entry["data_hash"], entry["doc_id"])


def read_docs(run_dir: str | os.PathLike) -> dict[DocKey, dict] | None:
    """The entries of ``docs.jsonl`` by (task, data_hash, doc_id); None when the run has
    no such file. Lines that are not entries (damaged by hand) are skipped: the documents
    they held count as missing."""
    path = Path(run_dir) / DOCS
    if not path.exists():
        return None
    docs: dict[DocKey, dict] = {}
    try:
        with path.open("rb") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(entry, dict) and all(isinstance(entry.get(f), str) for f in _DOC_FIELDS):
                    docs[doc_key(entry)] = entry
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}): make it readable") from None
    return docs


def write_docs(run_dir: str | os.PathLike, entries: Iterable[dict]) -> None:
    """Add ``entries`` (dicts with the ``docs.jsonl`` fields) to the run's ``docs.jsonl``,
    replacing stored entries with the same key; rewritten atomically, and only when
    something changed. A failed write is a :class:`StoreError` and leaves the file as it was."""
    old = read_docs(run_dir) or {}
    merged = dict(old)
    for e in entries:
        merged[doc_key(e)] = {f: e[f] for f in _DOC_FIELDS}
    if merged != old or not (Path(run_dir) / DOCS).exists():
        _write_atomic(Path(run_dir) / DOCS, ((json.dumps(e, ensure_ascii=False) + "\n").encode() for e in merged.values()))
