"""A process pool that runs picklable calls under a hard wall-clock deadline per call.

Contract (:class:`DeadlinePool`):

* Each call ``fn(*args)`` (``fn`` and ``args`` picklable) runs in a worker process, one
  call in flight per worker, at most ``workers`` workers, started lazily with the
  "forkserver" context ("spawn" where unavailable): never a fork of the (possibly
  multi-threaded) parent.
* A call's deadline counts from its dispatch to a worker. A worker that misses it is
  SIGKILLed and reaped at once (``Process.join`` waits for its exit status, so it never
  stays a zombie) and replaced on demand; the call's result is ``status="timeout"``.
* A worker that dies during a call (``os._exit``, a signal, the memory limit) gives
  ``status="died"`` with its exit code, and is replaced. An exception raised by the call
  gives ``status="error"`` (``"Type: message"``); that worker keeps serving.
* A result whose pickle is larger than ``max_result_bytes`` is refused in the worker
  (``status="too_large"``): the parent never reads more than that from a worker (a
  longer message is refused there too and its worker is killed).
* ``memory_limit_mb`` caps each worker's address space (``RLIMIT_AS``).
* Results are structured (:class:`CallResult`), never raised: the caller decides what a
  timeout means. Ctrl-C is left to the parent: an interrupted :meth:`DeadlinePool.run_many`
  kills the workers still busy (their late answers would be stale).

Not thread-safe: use one pool per thread. As with any "spawn"/"forkserver" pool, a script
that creates one must guard its entry point with ``if __name__ == "__main__":``.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["CallResult", "DeadlinePool", "default_workers"]

STATUSES = ("ok", "timeout", "died", "error", "too_large")
_ENVELOPE = 4096  # bytes a worker's message may carry beyond the result itself


def default_workers() -> int:
    """The CPUs this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call: ``status`` is one of :data:`STATUSES`; ``value`` is the
    return value when ``ok``; ``error`` says what went wrong otherwise; ``elapsed_s`` is
    the wall-clock time from dispatch to outcome."""

    status: str
    value: Any = None
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _worker_main(conn: Connection, memory_limit_mb: int | None, max_result_bytes: int) -> None:
    """Worker loop: receive ``(fn, args)``, reply with a pickled ``(status, payload)``;
    ``None`` (or a closed pipe) stops it."""
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
            call = conn.recv()
        except (EOFError, OSError):
            return
        if call is None:
            return
        fn, args = call
        try:
            data = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
            if len(data) > max_result_bytes:
                data = pickle.dumps(("too_large", f"result of {len(data)} bytes > {max_result_bytes}"))
        except BaseException as exc:  # noqa: BLE001 - any failure of the call is reported, not fatal
            data = pickle.dumps(("error", f"{type(exc).__name__}: {str(exc)[:500]}"))
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx, memory_limit_mb: int | None, max_result_bytes: int):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_limit_mb, max_result_bytes), daemon=True)
        self.proc.start()
        child.close()

    def kill(self) -> None:
        """SIGKILL and reap (wait for the exit status)."""
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


def _context(preload: list[str]):
    try:
        ctx = mp.get_context("forkserver")
    except ValueError:
        return mp.get_context("spawn")
    if preload:
        ctx.set_forkserver_preload(preload)
    return ctx


class DeadlinePool:
    """Worker processes that run calls with a hard wall-clock deadline each (see the
    module docstring for the contract).

    ``workers``: max worker processes (default: the CPUs this process may use).
    ``timeout_s``: the default deadline per call. ``max_result_bytes``: cap on a pickled
    result. ``memory_limit_mb``: address-space limit per worker (``None``: none).
    ``preload``: modules the forkserver imports once, so workers start warm.
    """

    def __init__(self, workers: int | None = None, *, timeout_s: float = 5.0,
                 max_result_bytes: int = 16 * 1024 * 1024, memory_limit_mb: int | None = None,
                 preload: Iterable[str] = ()):
        self.workers = max(1, workers or default_workers())
        self.timeout_s = float(timeout_s)
        self.max_result_bytes = int(max_result_bytes)
        self.memory_limit_mb = memory_limit_mb
        self._ctx = _context(list(preload))
        self._idle: list[_Worker] = []
        self._n_alive = 0
        self.stats = {"calls": 0, "ok": 0, "timeout": 0, "died": 0, "error": 0, "too_large": 0, "restarts": 0}

    # -- lifecycle --
    def __enter__(self) -> "DeadlinePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop all idle workers. The pool can still be used afterwards (workers restart lazily)."""
        for w in self._idle:
            w.stop()
        self._n_alive -= len(self._idle)
        self._idle.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except (OSError, AttributeError):
            pass

    @property
    def live_workers(self) -> int:
        """Worker processes started and not yet retired (idle ones between calls)."""
        return self._n_alive

    def idle_pids(self) -> list[int]:
        """Process ids of the idle workers (for inspection and tests)."""
        return [w.proc.pid for w in self._idle]

    # -- work --
    def run(self, fn: Callable, *args, timeout_s: float | None = None) -> CallResult:
        """One call, under the deadline."""
        return next(self.run_many([(fn, args)], timeout_s=timeout_s))[1]

    def run_many(self, calls: Iterable[tuple[Callable, tuple]], *,
                 timeout_s: float | None = None) -> Iterator[tuple[int, CallResult]]:
        """Yield ``(index, CallResult)`` for each ``(fn, args)`` in ``calls`` as it
        finishes (not in input order), spreading the calls over the workers."""
        deadline = self.timeout_s if timeout_s is None else float(timeout_s)
        todo = deque(enumerate(calls))
        inflight: dict[Connection, tuple[_Worker, int, float]] = {}
        try:
            yield from self._loop(todo, inflight, deadline)
        finally:  # interrupted mid-run: busy workers hold stale answers, so retire them
            for w, _, _ in inflight.values():
                self._retire(w)

    def _take_worker(self) -> _Worker | None:
        if self._idle:
            return self._idle.pop()
        if self._n_alive < self.workers:
            self._n_alive += 1
            return _Worker(self._ctx, self.memory_limit_mb, self.max_result_bytes)
        return None

    def _outcome(self, status: str, start: float, value: Any = None, error: str | None = None) -> CallResult:
        self.stats[status] += 1
        return CallResult(status, value, error, time.monotonic() - start)

    def _receive(self, w: _Worker, start: float) -> CallResult:
        """Read one reply; a worker that died or sent an oversized message is retired."""
        try:
            data = w.conn.recv_bytes(self.max_result_bytes + _ENVELOPE)
        except (EOFError, OSError) as exc:
            oversized = isinstance(exc, OSError) and w.proc.is_alive()
            self._retire(w)
            if oversized:
                return self._outcome("too_large", start, error="message over the cap")
            return self._outcome("died", start, error=f"worker exited with code {w.proc.exitcode}")
        self._idle.append(w)
        status, payload = pickle.loads(data)
        return self._outcome(status, start, value=payload if status == "ok" else None,
                             error=None if status == "ok" else payload)

    def _loop(self, todo: deque, inflight: dict, deadline: float):
        while todo or inflight:
            while todo:
                w = self._take_worker()
                if w is None:
                    break
                i, (fn, args) = todo.popleft()
                start = time.monotonic()
                self.stats["calls"] += 1
                try:
                    w.conn.send((fn, tuple(args)))
                except (BrokenPipeError, OSError):  # died while idle
                    self._retire(w)
                    yield i, self._outcome("died", start, error="worker gone before the call")
                    continue
                except (pickle.PicklingError, TypeError, AttributeError) as exc:  # the call cannot be pickled
                    self._idle.append(w)  # pickling fails before anything is written: the worker is clean
                    yield i, self._outcome("error", start, error=f"{type(exc).__name__}: {exc}")
                    continue
                inflight[w.conn] = (w, i, start)
            if not inflight:
                continue
            next_deadline = min(s for _, _, s in inflight.values()) + deadline
            for conn in wait(list(inflight), timeout=max(0.0, next_deadline - time.monotonic())):
                w, i, start = inflight.pop(conn)  # type: ignore[index]
                yield i, self._receive(w, start)
            now = time.monotonic()
            for conn in [c for c, (_, _, s) in inflight.items() if s + deadline <= now]:
                w, i, start = inflight.pop(conn)
                self._retire(w)
                yield i, self._outcome("timeout", start, error=f"no result within {deadline:g} s")

    def _retire(self, w: _Worker) -> None:
        """Kill and reap a stuck or broken worker; a fresh one starts on next demand."""
        w.kill()
        self._n_alive -= 1
        self.stats["restarts"] += 1
