"""Run :func:`is_equivalent` under hard wall-clock limits enforced from outside.

Cheap pairs are decided in-process by :func:`quick_check` (string/rational, bounded cost).
The rest go to worker processes, one pair in flight per worker. Each pair has its own
deadline; a worker that misses it is SIGKILLed, reaped and replaced, and the pair gets
``EquivResult(None, "timeout")``. Workers are started with the "forkserver" context
("spawn" where unavailable), never by forking the (possibly multi-threaded) parent.

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

from harness.scoring.math_equiv import EquivResult, is_equivalent, normalize_answer, quick_check

__all__ = ["EquivPool"]

_PRELOAD = ["harness.scoring.math_equiv", "sympy"]


def _worker_main(conn: Connection, memory_limit_mb: int | None) -> None:
    """Worker loop: receive ``(gold, pred)``, reply with an :class:`EquivResult`; ``None`` stops.

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
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        gold, pred = msg
        try:
            res = is_equivalent(gold, pred)
        except (MemoryError, RecursionError):
            res = EquivResult(None, "too_complex")
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


def _undecided(key: tuple[str, str], reason: str) -> EquivResult:
    """``EquivResult(None, reason)`` with the (cheap, in-process) normalised forms."""
    return EquivResult(None, reason, normalize_answer(key[0]), normalize_answer(key[1]))


def _context():
    try:
        ctx = mp.get_context("forkserver")
    except ValueError:
        return mp.get_context("spawn")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


class EquivPool:
    """A pool of equivalence workers with per-pair wall-clock deadlines.

    ``workers``: max worker processes (default ``os.cpu_count()``), started lazily.
    ``timeout_s``: wall-clock limit per pair, counted from dispatch to a worker.
    ``cache_size``: LRU bound of the ``(gold, pred)`` result cache (timeouts are cached too).
    ``memory_limit_mb``: address-space limit per worker (``None``: no limit); a worker
    that runs out reports ``too_complex``.
    """

    def __init__(self, workers: int | None = None, timeout_s: float = 5.0, *,
                 cache_size: int = 100_000, memory_limit_mb: int | None = 4096):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s = float(timeout_s)
        self.cache_size = cache_size
        self.memory_limit_mb = memory_limit_mb
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._n_alive = 0
        self._cache: OrderedDict[tuple[str, str], EquivResult] = OrderedDict()
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
    def _cache_get(self, key: tuple[str, str]) -> EquivResult | None:
        res = self._cache.get(key)
        if res is not None:
            self._cache.move_to_end(key)
        return res

    def _cache_put(self, key: tuple[str, str], res: EquivResult) -> None:
        self._cache[key] = res
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    # -- work --
    def check(self, gold: str, pred: str) -> EquivResult:
        """Equivalence of one pair (see :meth:`check_many`)."""
        return self.check_many([(gold, pred)])[0]

    def check_many(self, pairs: list[tuple[str, str]]) -> list[EquivResult]:
        """Equivalence of each ``(gold, pred)`` pair, in input order."""
        results: list[EquivResult | None] = [None] * len(pairs)
        waiting: dict[tuple[str, str], list[int]] = {}
        for i, (gold, pred) in enumerate(pairs):
            key = (gold, pred)
            if key in waiting:
                waiting[key].append(i)
                continue
            res = self._cache_get(key)
            if res is not None:
                self.stats["cache"] += 1
            else:
                res = quick_check(gold, pred)
                if res is not None:
                    self.stats["quick"] += 1
                    self._cache_put(key, res)
            if res is None:
                waiting[key] = [i]
            else:
                results[i] = res
        for key, res in self._run(list(waiting)):
            self._cache_put(key, res)
            for i in waiting[key]:
                results[i] = res
        return results  # type: ignore[return-value]

    def _take_worker(self) -> _Worker | None:
        if self._idle:
            return self._idle.pop()
        if self._n_alive < self.workers:
            self._n_alive += 1
            return _Worker(self._ctx, self.memory_limit_mb)
        return None

    def _run(self, keys: list[tuple[str, str]]):
        """Yield ``(key, result)`` for each key, using the workers with deadlines."""
        todo = deque(keys)
        inflight: dict[Connection, tuple[_Worker, tuple[str, str], float]] = {}
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
                key = todo.popleft()
                try:
                    w.conn.send(key)
                except (BrokenPipeError, OSError):  # died while idle
                    self._retire(w)
                    yield key, _undecided(key, "worker_error")
                    continue
                inflight[w.conn] = (w, key, time.monotonic() + self.timeout_s)
            if not inflight:
                continue
            next_deadline = min(d for _, _, d in inflight.values())
            ready = wait(list(inflight), timeout=max(0.0, next_deadline - time.monotonic()))
            for conn in ready:
                w, key, _ = inflight.pop(conn)  # type: ignore[index]
                try:
                    res = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    self._retire(w)
                    res = _undecided(key, "worker_error")
                else:
                    self._idle.append(w)
                    self.stats["worker"] += 1
                yield key, res
            now = time.monotonic()
            for conn in [c for c, (_, _, d) in inflight.items() if d <= now]:
                w, key, _ = inflight.pop(conn)
                self._retire(w)
                self.stats["timeout"] += 1
                yield key, _undecided(key, "timeout")

    def _retire(self, w: _Worker) -> None:
        """Kill a stuck or broken worker; a fresh one is started on next demand."""
        w.kill()
        self._n_alive -= 1
        self.stats["restarts"] += 1
