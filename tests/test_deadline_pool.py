"""The generic hard-deadline process pool (harness.deadline_pool): kill-and-reap on a
missed deadline, dead workers reported and replaced, oversized results refused, calls
spread over workers. The calls are builtins (time.sleep, os.getpid, os._exit, ...), so
workers need no test module to unpickle them."""
from __future__ import annotations

import os
import time

import pytest

from harness.deadline_pool import STATUSES, CallResult, DeadlinePool

DEADLINE = 1.0
SLACK = 2.0  # process kill, reap and scheduling on a loaded 2-core machine


def _state(pid: int) -> str | None:
    """The /proc state letter of a process (``Z``: zombie), ``None`` once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(line.split()[1] for line in f if line.startswith("State:"))
    except FileNotFoundError:
        return None


@pytest.fixture()
def pool():
    with DeadlinePool(workers=1, timeout_s=DEADLINE, max_result_bytes=1 << 16) as p:
        yield p


def test_a_call_that_never_returns_is_killed_and_its_worker_reaped(pool):
    pid = pool.run(os.getpid).value
    start = time.monotonic()
    out = pool.run(time.sleep, 10**6)
    elapsed = time.monotonic() - start
    assert out.status == "timeout" and not out.ok and "1 s" in out.error
    assert DEADLINE <= elapsed < DEADLINE + SLACK
    assert _state(pid) is None, f"worker {pid} still present ({_state(pid)})"  # reaped: no zombie left
    assert pool.stats["timeout"] == 1 and pool.stats["restarts"] == 1 and pool.live_workers == 0
    again = pool.run(os.getpid)  # a fresh worker serves the next call
    assert again.ok and again.value != pid and pool.live_workers == 1


def test_a_crashing_worker_is_reported_and_replaced(pool):
    pid = pool.run(os.getpid).value
    out = pool.run(os._exit, 3)
    assert out.status == "died" and "code 3" in out.error
    assert _state(pid) is None
    again = pool.run(os.getpid)
    assert again.ok and again.value != pid and pool.stats["died"] == 1


def test_an_oversized_result_is_refused_and_the_worker_serves_on(pool):
    pid = pool.run(os.getpid).value
    out = pool.run(os.urandom, (1 << 16) + 1)
    assert out.status == "too_large" and out.value is None and "bytes" in out.error
    small = pool.run(os.urandom, 1000)
    assert small.ok and len(small.value) == 1000
    assert pool.run(os.getpid).value == pid  # refused in the worker: no restart needed


def test_an_exception_is_a_structured_error_and_the_worker_serves_on(pool):
    pid = pool.run(os.getpid).value
    out = pool.run(int, "not a number")
    assert out.status == "error" and out.error.startswith("ValueError:")
    unpicklable = pool.run(lambda: 1)
    assert unpicklable.status == "error"
    assert unpicklable.error.startswith(("PicklingError", "AttributeError", "TypeError"))
    ok = pool.run(divmod, 7, 2)
    assert isinstance(ok, CallResult) and ok.ok and ok.value == (3, 1) and ok.error is None
    assert set(STATUSES) <= set(pool.stats) and pool.stats["error"] == 2
    assert pool.run(os.getpid).value == pid  # the exception did not cost the worker


def test_many_calls_run_in_parallel_across_workers():
    with DeadlinePool(workers=2, timeout_s=10) as p:
        p.run(os.getpid)  # forkserver warm-up
        start = time.monotonic()
        outs = dict(p.run_many([(time.sleep, (1.0,))] * 4))
        elapsed = time.monotonic() - start
        assert sorted(outs) == [0, 1, 2, 3] and all(o.ok for o in outs.values())
        # 4 one-second sleeps one after another take at least 4 s whatever the load: less is parallel
        assert elapsed < 4.0, elapsed
        pids = {o.value for _, o in p.run_many([(os.getpid, ())] * 4)}  # the first round uses both workers
        assert len(pids) == 2 and p.live_workers == 2


def test_each_call_has_its_own_deadline_and_late_calls_wait_for_a_worker():
    with DeadlinePool(workers=2, timeout_s=DEADLINE) as p:
        p.run(os.getpid)
        start = time.monotonic()
        outs = dict(p.run_many([(time.sleep, (10**6,)), (time.sleep, (0.1,)), (time.sleep, (0.1,))]))
        elapsed = time.monotonic() - start
    assert [outs[i].status for i in range(3)] == ["timeout", "ok", "ok"]
    assert elapsed < DEADLINE + SLACK


def test_closing_stops_the_workers():
    p = DeadlinePool(workers=2, timeout_s=5)
    pids = {o.value for _, o in p.run_many([(os.getpid, ())] * 2)}
    assert len(pids) == 2 and sorted(p.idle_pids()) == sorted(pids)
    p.close()
    assert p.live_workers == 0 and all(_state(pid) is None for pid in pids)

