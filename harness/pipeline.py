"""Scoring as its own phase: generations are verified on worker threads beside the engine.

The runner's generation loop only appends each finished request's rows to
``samples.jsonl`` and hands them to a :class:`ScoringStage`. The stage runs one thread
per verifier (tasks sharing a verifier share its thread, so a verifier is never called
from two threads at once); each pulls up to its verifier's ``batch_size`` rows at a time
(whatever is waiting, never waiting for a batch to fill; a batch may hold several tasks'
rows), parses them (reasoning split, extractor
chain: :func:`harness.scoring.score.parse_output`), verifies them with the whole
document (:class:`~harness.scoring.verifier.VerifyItem`) and appends the verdict rows to
the ``eval`` verdict set, each stamped with ``verified_at``. A slow verifier (sympy, a
sandbox, a judge model) therefore never stalls the engine, which waits only when a
verifier's bounded queue is full.

A verifier that raises stops the run: :meth:`ScoringStage.submit` and
:meth:`ScoringStage.finish` raise :class:`VerifierError` (one line); the samples are kept
and a resume verifies those without a verdict. :func:`verdict_rows` is the same
parse-and-verify step for ``harness score --reverify``.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from harness.errors import UsageError
from harness.scoring.extractors import Chain
from harness.scoring.score import parse_output
from harness.scoring.verifier import VerifyItem, check_verdicts
from harness.task import Doc

_END = object()


class VerifierError(UsageError):
    """A verifier raised: the run stops with one line; the samples written so far are kept."""


@dataclass
class TaskScoring:
    """What scoring one task's rows needs: its chain, its verifier and its documents by id."""

    task: str
    chain: Chain
    verifier: Any
    docs: dict[str, Doc]


def parse_row(row: dict, chain: Chain):
    """The parsed output of a stored generation row."""
    return parse_output(row["output"], extractor=chain, reasoning_content=row.get("thinking") if row.get("thinking_separate") else None,
                        prompt_text=row.get("prompt_text"), finish_reason=row.get("finish_reason"))


def verdict_rows(scoring: TaskScoring | list[TaskScoring], rows: list[dict]) -> list[dict]:
    """Parse and verify generation ``rows`` in one call of their verifier; their verdict-set
    rows. ``scoring``: the rows' task, or one per row (tasks sharing one verifier)."""
    if not rows:
        return []
    tasks = scoring if isinstance(scoring, list) else [scoring] * len(rows)
    items = [VerifyItem(t.docs[r["doc_id"]], parse_row(r, t.chain), r) for t, r in zip(tasks, rows)]
    verifier = tasks[0].verifier
    verdicts = check_verdicts(verifier, items, verifier.verify(items))
    now = time.time()
    stamp = {"name": str(verifier.name), "version": str(verifier.version)}
    return [{"task": r["task"], "doc_id": r["doc_id"], "sample": r["sample"], **({"config": r["config"]} if "config" in r else {}),
             "status": it.parsed.status, "extracted": it.parsed.extracted, "rule": it.parsed.rule,
             "truncated": it.parsed.truncated, "verdict": v.to_dict(), "verifier": stamp, "verified_at": now}
            for r, it, v in zip(rows, items, verdicts)]


def _failure(scoring: list[TaskScoring], exc: BaseException) -> VerifierError:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    names = ", ".join(dict.fromkeys(t.task for t in scoring))
    return VerifierError(f"verifier {getattr(scoring[0].verifier, 'name', '?')!r} failed on task {names} "
                         f"({type(exc).__name__}: {text}): the samples are saved; fix it and rerun the same command "
                         "to verify them")


class ScoringStage:
    """Verify submitted generation rows on one worker thread per verifier (module docstring).

    ``append(verdict_rows)`` stores results (the run store's ``append_verdicts``);
    ``queue_rows``: the bound of each task's queue (at least twice the verifier's batch)."""

    def __init__(self, tasks: dict[str, TaskScoring], append, *, queue_rows: int = 256):
        self.tasks = tasks
        self._append = append
        verifiers = {id(s.verifier): s.verifier for s in tasks.values()}
        queues = {v: queue.Queue(maxsize=max(queue_rows, 2 * verifiers[v].batch_size)) for v in verifiers}
        self._queues = {t: queues[id(s.verifier)] for t, s in tasks.items()}  # task -> its verifier's queue
        self._threads = [threading.Thread(target=self._work, args=(queues[v], verifiers[v].batch_size),
                                          name=f"verify-{getattr(verifiers[v], 'name', v)}", daemon=True) for v in verifiers]
        self._distinct = list(queues.values())
        self.error: VerifierError | None = None
        self._stop = threading.Event()
        self._ended = False

    def __enter__(self) -> "ScoringStage":
        for th in self._threads:
            th.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:  # the run failed: stop verifying (unverified samples are verified on resume)
            self._stop.set()
            self._end()

    def submit(self, rows: list[dict]) -> None:
        """Queue generation rows for verification (blocks while a task's queue is full);
        raises the :class:`VerifierError` of a verifier that failed."""
        for r in rows:
            self._put(self._queues[r["task"]], (self.tasks[r["task"]], r))
        if self.error is not None:
            raise self.error

    def finish(self) -> None:
        """Verify everything submitted, stop the workers; raise a verifier's failure."""
        self._end()
        if self.error is not None:
            raise self.error

    def _end(self) -> None:
        """Stop every worker once they drained their queue (idempotent)."""
        if not self._ended:
            self._ended = True
            for q in self._distinct:
                self._put(q, _END)
        for th in self._threads:
            th.join()

    def _put(self, q: queue.Queue, item) -> None:
        while True:
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                if self.error is not None and item is not _END:
                    raise self.error from None

    def _work(self, q: queue.Queue, size: int) -> None:
        ended = False
        while not ended:
            first = q.get()
            if first is _END:
                return
            batch = [first]
            while len(batch) < size:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    ended = True
                    break
                batch.append(item)
            if self.error is not None or self._stop.is_set():
                continue  # drain without verifying: the run is stopping
            tasks = [t for t, _ in batch]
            try:
                self._append(verdict_rows(tasks, [r for _, r in batch]))
            except Exception as exc:  # any verifier failure stops the run in one line (StoreError included)
                self.error = exc if isinstance(exc, UsageError) and not isinstance(exc, VerifierError) else _failure(tasks, exc)
