"""Run :func:`is_equivalent` (and :func:`analyze`) under hard wall-clock limits enforced from outside.

The math-specific layer over :class:`harness.deadline_pool.DeadlinePool`. Cheap pairs
are decided in-process by :func:`quick_check` (string/rational/..., bounded cost); the
rest go to the pool's worker processes, each job under its own deadline. A job that
misses it gets ``EquivResult(None, "timeout")`` (its worker is killed, reaped and
replaced by the pool); a worker that dies or fails gets ``worker_error``; a worker that
runs out of memory or recursion reports ``too_complex``. Results are cached (LRU), and
workers memoise parsed answers, so a gold answer is parsed once per worker.

Not thread-safe: use one pool per thread. As with any "spawn"/"forkserver" pool, a
script that creates one must guard its entry point with ``if __name__ == "__main__":``.
"""
from __future__ import annotations

from collections import OrderedDict

from harness.deadline_pool import DeadlinePool, default_workers
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


def _run_job(job: Job):
    """A job's result, run in a worker (which always fills in the parsed forms: parsing
    is memoised); running out of memory or recursion is ``too_complex``."""
    try:
        if job[0] == "eq":
            _, gold, pred, hints, _ = job
            return is_equivalent(gold, pred, hints=hints)
        return analyze(job[1])
    except (MemoryError, RecursionError):
        return _undecided(job, "too_complex")


def _undecided(job: Job, reason: str):
    """The result of a job that did not finish: ``EquivResult(None, reason)`` with the
    (cheap, in-process) normalised forms, or an :class:`Analysis` without fingerprint."""
    if job[0] == "eq":
        return EquivResult(None, reason, None, None, normalize_answer(job[1]), normalize_answer(job[2]))
    return Analysis(answer_key(job[1]))


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
        self._pool = DeadlinePool(self.workers, timeout_s=self.timeout_s, memory_limit_mb=memory_limit_mb,
                                  preload=_PRELOAD)
        self._cache: OrderedDict[Job, object] = OrderedDict()
        self.stats = {"quick": 0, "cache": 0, "worker": 0, "timeout": 0, "restarts": 0}

    # -- lifecycle --
    def __enter__(self) -> "EquivPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop all workers. The pool can still be used afterwards (workers restart lazily)."""
        self._pool.close()

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

    def _run(self, jobs: list[Job]):
        """Yield ``(job, result)`` for each job, from the deadline pool's workers."""
        outcomes = self._pool.run_many([(_run_job, (job,)) for job in jobs])
        try:
            for i, out in outcomes:
                if out.ok:
                    self.stats["worker"] += 1
                    yield jobs[i], out.value
                elif out.status == "timeout":
                    self.stats["timeout"] += 1
                    yield jobs[i], _undecided(jobs[i], "timeout")
                else:  # died, error, too_large
                    yield jobs[i], _undecided(jobs[i], "worker_error")
        finally:  # interrupted: the deadline pool retires the workers still busy
            outcomes.close()
            self.stats["restarts"] = self._pool.stats["restarts"]
