"""The run store: one directory per run, the only thing reports and tools read.

Layout of a run directory:

- ``manifest.json``: what was run (``schema_version``, model, backend, seed, tasks with
  versions, data hashes, settings and document ids, the ``configs`` every stored row
  was made under, harness version and commit, times). Replaced atomically (temp file,
  fsync, rename); read through :func:`read_manifest`, which refuses a manifest that is
  empty, not JSON, of the wrong shape or of a newer schema with one line.
- ``samples.jsonl``: generations only, one row per (task, doc_id, sample), appended as
  each request finishes with one ``write`` per request, fsync'd; never rewritten but to
  quarantine invalid lines. A row is valid when it is a JSON object with ``task`` and
  ``doc_id`` (strings), ``sample`` (an integer >= 0) and ``output`` (a string); a
  ``verdict``, if present (rows of schema-2 runs, which embedded their verdicts), must be
  a valid verdict. Each row made by ``harness eval`` also names the ``config`` (id into
  the manifest's ``configs``) it was made under and ``generated_at`` (epoch seconds).
- ``verdicts/<set>.jsonl``: verdict sets, one row per checked sample: ``task``,
  ``doc_id``, ``sample``, ``verdict`` (an object with a boolean ``passed`` and a string
  ``reason``: :class:`~harness.scoring.verdict.Verdict`), ``status``, ``extracted``,
  ``rule``, ``truncated``, ``verifier`` (``{"name", "version"}``) and ``verified_at``
  (epoch seconds). ``eval`` is appended while the eval runs (the verdicts of a schema-2
  run's rows read as set ``eval`` too); ``harness score --reverify`` writes a new complete
  set ``reverify-<UTC time>`` atomically. Sets are never rewritten but to quarantine.
- ``samples.quarantine.jsonl`` / ``verdicts/<set>.quarantine.jsonl``: lines taken out of
  ``samples.jsonl`` / a verdict set because they were not valid rows, each as ``{"line",
  "text", "reason", "quarantined_at"}`` (appended, never rewritten; line numbers count in
  the file as it was when it was quarantined).
- ``results.json``: metrics, rewritten atomically from the samples and one verdict set
  (named in it as ``verdict_set``).
- ``.lock``: ``flock``'d by the one process that may write the run.

Rules:

- Opening a :class:`RunStore` (the writer, under the lock) streams ``samples.jsonl``
  and the ``eval`` verdict set once each, in constant memory beside the set of stored keys. A torn last line (no
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
VERDICTS = "verdicts"
EVAL_SET = "eval"
MANIFEST_SCHEMA = 3  # 1: no "schema_version" (no per-row configs); 2: verdicts embedded in samples.jsonl

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

def _key_problem(record, required: tuple[str, ...]) -> str | None:
    """What is wrong with a row's shape: not an object, a ``required`` field missing, or a
    bad task, doc_id or sample; None if nothing."""
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = [f for f in required if f not in record]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(record["task"], str) or not isinstance(record["doc_id"], str):
        return "task and doc_id must be strings"
    sample = record["sample"]
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        return f"sample {sample!r} is not an integer >= 0"
    return None


def _verdict_problem(verdict) -> str | None:
    if not isinstance(verdict, dict) or not isinstance(verdict.get("passed"), bool) or not isinstance(verdict.get("reason"), str):
        return "verdict is not an object with passed and reason"
    return None


def row_problem(record) -> str | None:
    """Why ``record`` is not a valid sample row, or None if it is."""
    problem = _key_problem(record, ("task", "doc_id", "sample", "output"))
    if problem:
        return problem
    if not isinstance(record["output"], str):
        return "output is not a string"
    return _verdict_problem(record["verdict"]) if "verdict" in record else None


def verdict_row_problem(record) -> str | None:
    """Why ``record`` is not a valid verdict-set row, or None if it is."""
    return _key_problem(record, ("task", "doc_id", "sample", "verdict")) or _verdict_problem(record["verdict"])


def parse_row(line: bytes, problem_of: Callable = row_problem) -> tuple[dict | None, str | None]:
    """``(record, None)`` for a valid row line, ``(None, reason)`` otherwise."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None, "not JSON"
    problem = problem_of(record)
    return (None, problem) if problem else (record, None)


def _row_line(record: dict, problem_of: Callable = row_problem) -> str:
    """``record`` as one JSONL line; an invalid row is a programming error (ValueError)."""
    problem = problem_of(record)
    if problem:
        raise ValueError(f"refusing to store an invalid row ({problem})")
    return json.dumps(record, ensure_ascii=False) + "\n"


def sample_key(record: dict) -> SampleKey:
    return (record["task"], record["doc_id"], int(record["sample"]))


def _scan(path: Path, problem_of: Callable = row_problem) -> Iterator[tuple[int, bytes, dict | None, str | None]]:
    """Every complete line of ``path`` as ``(line number, raw, record or None, reason)``,
    streamed; a last line without newline (torn by a kill mid-write) is not yielded."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                return
            record, reason = parse_row(line, problem_of)
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


# --- verdict sets ----------------------------------------------------------------------

# Fields of a joined row that come from its verdict set, never from samples.jsonl.
SCORED_FIELDS = ("verdict", "extracted", "truncated", "status", "rule", "verifier", "verified_at")


def verdict_set_path(run_dir: str | os.PathLike, name: str) -> Path:
    return Path(run_dir) / VERDICTS / f"{name}.jsonl"


def _embedded_verdict(record: dict) -> dict:
    """The verdict row of a schema-2 sample row that embeds its verdict (set ``eval``)."""
    return {f: record[f] for f in ("task", "doc_id", "sample", "verdict", "extracted", "truncated") if f in record}


def verdict_sets(run_dir: str | os.PathLike) -> list[str]:
    """The names of the run's verdict sets, oldest first: ``eval`` (when it has a file or the
    samples embed verdicts), then the others sorted by name (``reverify-<UTC time>``)."""
    folder = Path(run_dir) / VERDICTS
    names = sorted(p.name[:-len(".jsonl")] for p in folder.glob("*.jsonl")
                   if not p.name.endswith(".quarantine.jsonl")) if folder.is_dir() else []
    has_eval = EVAL_SET in names or any("verdict" in r for r in iter_samples(run_dir))
    return ([EVAL_SET] if has_eval else []) + [n for n in names if n != EVAL_SET]


def iter_verdicts(run_dir: str | os.PathLike, name: str, skipped: list[int] | None = None) -> Iterator[dict]:
    """Every valid row of verdict set ``name``, streamed (for ``eval``: first the verdicts
    schema-2 sample rows embed); invalid lines are skipped and their line numbers appended to
    ``skipped``; a torn last line is neither yielded nor counted. Later rows of a key win."""
    if name == EVAL_SET:
        yield from (_embedded_verdict(r) for r in iter_samples(run_dir) if "verdict" in r)
    path = verdict_set_path(run_dir, name)
    if path.exists():
        for lineno, _, record, _ in _scan(path, verdict_row_problem):
            if record is None:
                if skipped is not None:
                    skipped.append(lineno)
            else:
                yield record


def read_verdicts(run_dir: str | os.PathLike, name: str) -> dict[SampleKey, dict]:
    """Verdict set ``name`` by sample key (see :func:`iter_verdicts`)."""
    return {sample_key(r): r for r in iter_verdicts(run_dir, name)}


def choose_verdict_set(run_dir: str | os.PathLike, keys: set[SampleKey], requested: str | None = None) -> str:
    """The verdict set to score with: ``requested`` (an unknown name is a UsageError listing
    the sets), else the newest set holding a verdict for every key in ``keys``, else ``eval``."""
    names = verdict_sets(run_dir)
    if requested is not None:
        if requested not in names:
            raise UsageError(f"{run_dir} has no verdict set {requested!r}: its sets are {', '.join(names) or 'none'}")
        return requested
    for name in reversed(names):
        if keys <= read_verdicts(run_dir, name).keys():
            return name
    return EVAL_SET


def scored_rows(run_dir: str | os.PathLike, name: str = EVAL_SET, skipped: list[int] | None = None) -> Iterator[dict]:
    """Every valid sample row joined with its row of verdict set ``name`` (the verdict,
    extraction and verifier fields of :data:`SCORED_FIELDS`); a sample without one has
    ``"verdict": None``. ``skipped``: as for :func:`iter_samples`."""
    verdicts = read_verdicts(run_dir, name)
    for r in iter_samples(run_dir, skipped):
        row = {k: v for k, v in r.items() if k not in SCORED_FIELDS}
        v = verdicts.get(sample_key(r))
        row.update({k: v[k] for k in SCORED_FIELDS if v is not None and k in v} if v is not None else {"verdict": None})
        yield row


def new_set_name(run_dir: str | os.PathLike, prefix: str = "reverify") -> str:
    """``<prefix>-<UTC time>`` (``-2``, ``-3``... when taken), which sorts after older sets."""
    base = f"{prefix}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    name, i = base, 1
    while verdict_set_path(run_dir, name).exists():
        i += 1
        name = f"{base}-{i}"
    return name


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
    if version > MANIFEST_SCHEMA:  # older schemas (1, 2) are read as they are
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

    On entry the samples and the ``eval`` verdict set are checked (see the module
    docstring): ``done`` holds the keys of the stored samples, ``verified`` those with an
    ``eval`` verdict, ``quarantined`` the line numbers moved out of ``samples.jsonl``
    (reported through ``log``, stderr by default). :meth:`append` and
    :meth:`append_verdicts` may be called from two threads (one each)."""

    def __init__(self, run_dir: str | os.PathLike, *, log: Callable[[str], None] | None = None):
        self.dir = Path(run_dir)
        self.log = log or warn
        self._lock_fh = None
        self._fds: dict[Path, int] = {}
        self.done: set[SampleKey] = set()
        self.verified: set[SampleKey] = set()
        self.quarantined: list[int] = []

    @property
    def samples_path(self) -> Path:
        return self.dir / SAMPLES

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    @property
    def eval_path(self) -> Path:
        return verdict_set_path(self.dir, EVAL_SET)

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
                self.quarantined = self._load(self.samples_path, row_problem, self.dir / QUARANTINE, self._note_sample)
            if self.eval_path.exists():
                self._load(self.eval_path, verdict_row_problem, self.eval_path.with_name(f"{EVAL_SET}.quarantine.jsonl"),
                           lambda r: self.verified.add(sample_key(r)))
            for path in (self.samples_path, self.eval_path):
                if path.exists():
                    self._append_fd(path)  # a file that cannot be appended to fails here, before anything is written
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._lock_fh:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def _note_sample(self, record: dict) -> None:
        self.done.add(sample_key(record))
        if "verdict" in record:  # a schema-2 row: its embedded verdict is in set "eval"
            self.verified.add(sample_key(record))

    def _load(self, path: Path, problem_of: Callable, quarantine: Path, note: Callable[[dict], None]) -> list[int]:
        """Cut a torn tail of ``path``, quarantine its invalid lines, ``note`` each valid
        row; return the quarantined line numbers."""
        bad: list[tuple[int, bytes, str]] = []
        end = 0
        for lineno, line, record, reason in _scan(path, problem_of):
            end += len(line)
            if record is None:
                bad.append((lineno, line, reason))
            else:
                note(record)
        if end != path.stat().st_size:
            try:
                os.truncate(path, end)
            except OSError as exc:
                raise _fault(path, exc) from None
        return self._quarantine(path, problem_of, quarantine, bad) if bad else []

    def _quarantine(self, path: Path, problem_of: Callable, quarantine: Path, bad: list[tuple[int, bytes, str]]) -> list[int]:
        """Append the bad lines to ``quarantine``, then rewrite ``path`` without them."""
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
        _write_atomic(path, (line for n, line, _, _ in _scan(path, problem_of) if n not in skip))
        reasons = sorted({why for _, _, why in bad})
        self.log(f"{describe_lines(str(path), sorted(skip))} "
                 f"({'; '.join(reasons[:3])}): moved to {quarantine.name}; the other rows are kept")
        return sorted(skip)

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
        """Append sample rows whose key is not yet stored, in one write; return how many.
        A failed write is cut back to the rows before it and raised as StoreError."""
        records = list(records)
        written = self._append(self.samples_path, records, row_problem, self.done)
        self.verified.update(sample_key(r) for r in records if "verdict" in r)  # schema-2 rows embed theirs
        return written

    def append_verdicts(self, records: Iterable[dict]) -> int:
        """Append rows of verdict set ``eval`` whose key has none yet (as :meth:`append`)."""
        self.eval_path.parent.mkdir(exist_ok=True)
        return self._append(self.eval_path, records, verdict_row_problem, self.verified)

    def _append(self, path: Path, records: Iterable[dict], problem_of: Callable, stored: set[SampleKey]) -> int:
        new, keys = [], set()
        for r in records:
            line = _row_line(r, problem_of)
            key = sample_key(r)
            if key not in stored and key not in keys:
                keys.add(key)
                new.append(line)
        if not new:
            return 0
        fd = self._append_fd(path)
        data = memoryview("".join(new).encode())
        size = os.fstat(fd).st_size
        try:
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, size)
            except OSError:  # left torn: the next open cuts the torn tail
                pass
            raise _fault(path, exc) from None
        stored.update(keys)
        return len(new)

    def _append_fd(self, path: Path) -> int:
        """The open append descriptor of ``path`` (opened, and created, on first use)."""
        fd = self._fds.get(path)
        if fd is None:
            try:
                fd = self._fds[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _fault(path, exc) from None
        return fd

    def write_verdict_set(self, name: str, records: Iterable[dict]) -> None:
        """Write the new, complete verdict set ``name`` atomically; an existing set is never replaced."""
        path = verdict_set_path(self.dir, name)
        if path.exists():
            raise ValueError(f"verdict set {name} exists: sets are never rewritten")
        try:
            path.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise _fault(path.parent, exc) from None
        _write_atomic(path, (_row_line(r, verdict_row_problem).encode() for r in records))

    def write_results(self, results: dict) -> None:
        write_json_atomic(self.dir / RESULTS, results)


# --- the documents a run used (docs.jsonl) --------------------------------------------
# One line per document a run selected: {"task", "data_hash", "doc_id", "problem", "gold"
# (null for tasks without one), "attrs", "record"}, so `harness score --reverify` gives the
# verifier the whole document the eval had (problem text, tests, constraints).
# Written when an eval starts (and on every resume, which adds what an older run lacks),
# atomically; entries of other tasks or data hashes are kept.

DOCS = "docs.jsonl"
DocKey = tuple[str, str, str]  # (task, data_hash, doc_id)
_DOC_FIELDS = ("task", "data_hash", "doc_id", "problem")  # strings; "gold" str or null; "attrs", "record" optional


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
                if (isinstance(entry, dict) and all(isinstance(entry.get(f), str) for f in _DOC_FIELDS)
                        and (entry.get("gold") is None or isinstance(entry["gold"], str))):
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
        merged[doc_key(e)] = {f: e[f] for f in (*_DOC_FIELDS, "gold", "attrs", "record") if f in e}
    if merged != old or not (Path(run_dir) / DOCS).exists():
        _write_atomic(Path(run_dir) / DOCS, ((json.dumps(e, ensure_ascii=False) + "\n").encode() for e in merged.values()))
