"""Run :func:`is_equivalent` (and :func:`analyze`) under hard wall-clock limits enforced from outside.

Cheap pairs are decided in-process by :func:`quick_check` (string/rational/..., bounded
cost). The rest go to worker processes, one job in flight per worker. Each job has its
own deadline; a worker that misses it is SIGKILLed, reaped and replaced, and the pair
gets ``EquivResult(None, "timeout")``. Workers are started with the "forkserver" context
("spawn" where unavailable), never by forking the (possibly multi-threaded) parent.
Workers memoise parsed answers, so a gold answer is parsed once per worker.

Not thread-safe: use one pool per thread. As with any "spawn"/"forkserver" pool, a
script that creates one must guard its entry point with ``if __name__ == "__main__":``.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import OrderedDict, deque
from multiprocessing.connection import Connection, wait

from harness.scoring.math_equiv import (
    Analysis,
    EquivResult,
    Hints,
    analyze,
    answer_key,
    cheap_analysis,
    is_equivalent,
    normalize_answer,
    problem_hints,
    quick_check,
)

__all__ = ["EquivPool", "default_workers"]

_PRELOAD = ["harness.scoring.math_equiv", "sympy"]

# A job: ("eq", gold, pred, hints, describe) or ("an", answer). The job is also the cache key.
Job = tuple


def default_workers() -> int:
    """The CPUs this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _run_job(job: Job):
    """A job's result (workers always fill in the parsed forms: parsing is memoised)."""
    if job[0] == "eq":
        _, gold, pred, hints, _ = job
        return is_equivalent(gold, pred, hints=hints)
    return analyze(job[1])


def _worker_main(conn: Connection, memory_limit_mb: int | None) -> None:
    """Worker loop: receive a job, reply with its result; ``None`` stops.

    Ctrl-C is left to the parent (which retires busy workers); any other crash shows up
    in the parent as ``worker_error``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass  # a lower hard limit is already in place
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            res = _run_job(job)
        except (MemoryError, RecursionError):
            res = _undecided(job, "too_complex")
        try:
            conn.send(res)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx, memory_limit_mb: int | None):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_limit_mb), daemon=True)
        self.proc.start()
        child.close()

    def kill(self) -> None:
        """SIGKILL and reap."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        """Ask politely, then kill if it does not exit promptly."""
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(timeout=1)
        self.kill()


def _undecided(job: Job, reason: str):
    """The result of a job that did not finish: ``EquivResult(None, reason)`` with the
    (cheap, in-process) normalised forms, or an :class:`Analysis` without fingerprint."""
    if job[0] == "eq":
        return EquivResult(None, reason, None, None, normalize_answer(job[1]), normalize_answer(job[2]))
    return Analysis(answer_key(job[1]))


def _context():
    try:
        ctx = mp.get_context("forkserver")
    except ValueError:
        return mp.get_context("spawn")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


class EquivPool:
    """A pool of equivalence workers with per-job wall-clock deadlines.

    ``workers``: max worker processes (default: the CPUs this process may use), started
    lazily. ``timeout_s``: wall-clock limit per job, counted from dispatch to a worker.
    ``cache_size``: LRU bound of the result cache (timeouts are cached too).
    ``memory_limit_mb``: address-space limit per worker (``None``: no limit); a worker
    that runs out reports ``too_complex``.
    """

    def __init__(self, workers: int | None = None, timeout_s: float = 5.0, *,
                 cache_size: int = 100_000, memory_limit_mb: int | None = 4096):
        self.workers = max(1, workers or default_workers())
        self.timeout_s = float(timeout_s)
        self.cache_size = cache_size
        self.memory_limit_mb = memory_limit_mb
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._n_alive = 0
        self._cache: OrderedDict[Job, object] = OrderedDict()
        self.stats = {"quick": 0, "cache": 0, "worker": 0, "timeout": 0, "restarts": 0}

    # -- lifecycle --
    def __enter__(self) -> "EquivPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop all workers. The pool can still be used afterwards (workers restart lazily)."""
        for w in self._idle:
            w.stop()
        self._idle.clear()
        self._n_alive = 0

    def __del__(self) -> None:
        try:
            self.close()
        except (OSError, AttributeError):
            pass

    # -- cache --
    def _cache_get(self, key: Job):
        res = self._cache.get(key)
        if res is not None:
            self._cache.move_to_end(key)
        return res

    def _cache_put(self, key: Job, res) -> None:
        self._cache[key] = res
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    # -- work --
    def check(self, gold: str, pred: str, *, problem: str | None = None, hints: Hints | None = None,
              describe: bool = False) -> EquivResult:
        """Equivalence of one pair (see :meth:`check_many`)."""
        return self.check_many([(gold, pred)], problem=problem, hints=hints, describe=describe)[0]

    def check_many(self, pairs, *, problem: str | None = None, hints: Hints | None = None,
                   describe: bool = False) -> list[EquivResult]:
        """Equivalence of each ``(gold, pred)`` pair, in input order.

        ``problem`` (or ``hints``) applies to every pair; a pair may also be a triple
        ``(gold, pred, problem)``. Pairs decided in a worker come with their parsed
        canonical forms; ``describe=True`` sends every pair to a worker, so that pairs the
        cheap path could decide get them too (the CLI uses it).
        """
        shared = hints if hints is not None else problem_hints(problem)
        jobs = []
        for pair in pairs:
            h = problem_hints(pair[2]) if len(pair) > 2 else shared
            jobs.append(("eq", pair[0], pair[1], h, describe))

        def cheap(job: Job):
            return None if job[4] else quick_check(job[1], job[2], hints=job[3])

        return self._resolve(jobs, cheap)

    def analyze_many(self, answers: list[str]) -> list[Analysis]:
        """:func:`~harness.scoring.math_equiv.analyze` of each answer, in input order
        (cheap answers in-process, the rest in workers under the deadline)."""
        return self._resolve([("an", a) for a in answers], lambda job: cheap_analysis(job[1]))

    def _resolve(self, jobs: list[Job], cheap) -> list:
        results: list = [None] * len(jobs)
        waiting: dict[Job, list[int]] = {}
        for i, job in enumerate(jobs):
            if job in waiting:
                waiting[job].append(i)
                continue
            res = self._cache_get(job)
            if res is not None:
                self.stats["cache"] += 1
            else:
                res = cheap(job)
                if res is not None:
                    self.stats["quick"] += 1
                    self._cache_put(job, res)
            if res is None:
                waiting[job] = [i]
            else:
                results[i] = res
        for job, res in self._run(list(waiting)):
            self._cache_put(job, res)
            for i in waiting[job]:
                results[i] = res
        return results

    def _take_worker(self) -> _Worker | None:
        if self._idle:
            return self._idle.pop()
        if self._n_alive < self.workers:
            self._n_alive += 1
            return _Worker(self._ctx, self.memory_limit_mb)
        return None

    def _run(self, jobs: list[Job]):
        """Yield ``(job, result)`` for each job, using the workers with deadlines."""
        todo = deque(jobs)
        inflight: dict[Connection, tuple[_Worker, Job, float]] = {}
        try:
            yield from self._loop(todo, inflight)
        finally:  # interrupted mid-run: busy workers hold stale answers, so retire them
            for w, _, _ in inflight.values():
                self._retire(w)

    def _loop(self, todo: deque, inflight: dict):
        while todo or inflight:
            while todo:
                w = self._take_worker()
                if w is None:
                    break
                job = todo.popleft()
                try:
                    w.conn.send(job)
                except (BrokenPipeError, OSError):  # died while idle
                    self._retire(w)
                    yield job, _undecided(job, "worker_error")
                    continue
                inflight[w.conn] = (w, job, time.monotonic() + self.timeout_s)
            if not inflight:
                continue
            next_deadline = min(d for _, _, d in inflight.values())
            ready = wait(list(inflight), timeout=max(0.0, next_deadline - time.monotonic()))
            for conn in ready:
                w, job, _ = inflight.pop(conn)  # type: ignore[index]
                try:
                    res = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    self._retire(w)
                    res = _undecided(job, "worker_error")
                else:
                    self._idle.append(w)
                    self.stats["worker"] += 1
                yield job, res
            now = time.monotonic()
            for conn in [c for c, (_, _, d) in inflight.items() if d <= now]:
                w, job, _ = inflight.pop(conn)
                self._retire(w)
                self.stats["timeout"] += 1
                yield job, _undecided(job, "timeout")

    def _retire(self, w: _Worker) -> None:
        """Kill a stuck or broken worker; a fresh one is started on next demand."""
        w.kill()
        self._n_alive -= 1
        self.stats["restarts"] += 1
