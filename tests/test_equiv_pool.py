"""EquivPool: hard wall-clock limits from outside the worker, survival after hostile input."""
from __future__ import annotations

import time

import pytest

from harness.results import task_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.math_equiv import UNDECIDED_REASONS
from harness.scoring.score import MathEquivVerifier, ParsedOutput

TIMEOUT = 1.5
SLACK = 2.0

# A pair that is true (both sides are (a+b+c+d)^40) but whose proof needs a
# multi-million-term expansion: sympy cannot finish it within TIMEOUT.
SLOW_GOLD = "(a+b+c+d)^{40}"
SLOW_PRED = "(a^2+b^2+c^2+d^2+2ab+2ac+2ad+2bc+2bd+2cd)^{20}"

# 20 pathological (gold, pred) pairs: each must come back undecided (``None``: refused as
# too complex or too long, or killed at the deadline) within the time limit.
PATHOLOGICAL = [
    ("10^{10^{10^{10}}}", "1"),
    ("1", "10^{10^{10^{10}}}"),
    ("99999!", "5"),
    ("5", "9^{9^{9^{9}}}"),
    ("2^{2^{2^{2^{2^{2}}}}}", "4"),
    ("(10^{100})!", "1"),
    ("10^{-10^{10}}", "0"),
    ("1" + "+1" * 5000, "5001"),  # 10,001 characters
    ("x" + "+x" * 5000, "5001x"),
    ("\\frac{1}{" * 200 + "2" + "}" * 200, "2"),  # 200-deep nested \frac
    ("\\sqrt{" * 300 + "2" + "}" * 300, "2"),
    ("(" * 500 + "1" + ")" * 500, "1"),
    ("9" * 10_000, "9" * 9_999 + "8"),
    ("x^{x^{x^{x^{x}}}}", "x"),
    (SLOW_GOLD, SLOW_PRED),
    ("(x+1)^{100000}", "(x+1)^{99999}(x+2)"),
    ("\\frac{1}{0}", "0^{-1}"),  # both undefined
    ("{" * 3000, "}" * 3000),
    ("\\boxed{" * 100, "5"),
    ("1e99999", "1e99998"),
]

NORMAL = [
    ("\\frac{1}{2}", "0.5", True),
    ("\\sqrt{8}", "2\\sqrt{2}", True),
    ("x+1", "1+x", True),
    ("3", "4", False),
    ("\\pi", "3.14", False),
    ("(2,\\infty)", "[2,\\infty)", False),
    ("1 \\pm \\sqrt{19}", "1-\\sqrt{19},1+\\sqrt{19}", True),
]


@pytest.fixture(scope="module")
def pool():
    with EquivPool(workers=2, timeout_s=TIMEOUT) as p:
        yield p


def test_pathological_inputs_are_bounded(pool):
    assert len(PATHOLOGICAL) == 20
    for gold, pred in PATHOLOGICAL:
        start = time.monotonic()
        res = pool.check(gold, pred)
        elapsed = time.monotonic() - start
        assert elapsed < TIMEOUT + SLACK, (gold[:40], elapsed)
        assert res.equivalent is None and res.reason in UNDECIDED_REASONS, (gold[:40], res)
    # afterwards the pool still answers normal pairs correctly, with live workers
    for gold, pred, expected in NORMAL:
        assert pool.check(gold, pred).equivalent is expected, (gold, pred)
    assert pool.stats["timeout"] >= 1 and pool._pool.live_workers <= pool.workers
    assert all(w.proc.is_alive() for w in pool._pool._idle)


def test_results_count_undecided_checks():
    """Pathological answers end up as counted undecided verdicts in results.json."""
    with EquivPool(workers=2, timeout_s=TIMEOUT) as p:
        verifier = MathEquivVerifier(p)
        hostile = [g for g, _ in PATHOLOGICAL if g not in ("1", "5")][:8]
        outs = [ParsedOutput(None, pred, False, pred) for pred in hostile] + [ParsedOutput(None, "", False, "5")]
        verdicts = verifier.verify_many([("5", o) for o in outs[:-1]] + [("5", outs[-1])])
        records = [{"sample": i, "extracted": o.extracted, "verdict": v.to_dict()} for i, (o, v) in enumerate(zip(outs, verdicts))]
        res = task_results({"d": records}, doc_ids=["d"], n=len(records), attr_fields=[], same=verifier.same,
                           key=verifier.key, resamples=10)
    assert res["counts"]["undecided"] == 8  # the ninth ("5" vs "5") is decided
    assert all(v.details.get("undecided") for v in verdicts[:8]) and verdicts[8].passed


def test_slow_pair_is_killed_and_pool_recovers():
    with EquivPool(workers=1, timeout_s=TIMEOUT) as p:
        start = time.monotonic()
        res = p.check(SLOW_GOLD, SLOW_PRED)
        assert time.monotonic() - start < TIMEOUT + SLACK
        assert res.equivalent is None and res.reason == "timeout"
        assert res.gold_normalized == SLOW_GOLD  # the normalised forms are still reported
        assert p.stats["timeout"] == 1 and p.stats["restarts"] == 1
        assert [r.equivalent for r in p.check_many([(g, q) for g, q, _ in NORMAL])] == [e for _, _, e in NORMAL]


def test_deadlines_run_in_parallel():
    # two stuck pairs on two workers cost about one timeout, not two
    with EquivPool(workers=2, timeout_s=TIMEOUT) as p:
        p.check("\\sqrt{8}", "2\\sqrt{2}")  # start a worker process (forkserver warm-up)
        start = time.monotonic()
        res = p.check_many([(SLOW_GOLD, SLOW_PRED), (SLOW_GOLD + "+0", SLOW_PRED)])
        elapsed = time.monotonic() - start
    assert [r.reason for r in res] == ["timeout", "timeout"]
    assert elapsed < 2 * TIMEOUT - 0.2


def test_check_many_keeps_input_order_and_caches(pool):
    pairs = [(g, q) for g, q, _ in NORMAL] * 2
    res = pool.check_many(pairs)
    assert [r.equivalent for r in res] == [e for _, _, e in NORMAL] * 2
    before = dict(pool.stats)
    again = pool.check_many(pairs)
    assert again == res
    assert pool.stats["cache"] - before["cache"] == len(pairs)
    assert pool.stats["worker"] == before["worker"]


def test_cheap_pairs_never_reach_a_worker():
    with EquivPool(workers=1, timeout_s=TIMEOUT) as p:
        res = p.check_many([("\\frac12", "0.5"), ("10,\\!080", "10080"), ("\\text{Evelyn}", "evelyn"), ("3", "4")])
        assert [r.equivalent for r in res] == [True, True, True, False]
        assert p.stats["worker"] == 0 and p.stats["quick"] == 4


def test_cache_is_bounded():
    with EquivPool(workers=1, timeout_s=TIMEOUT, cache_size=3) as p:
        p.check_many([(str(i), str(i)) for i in range(10)])
        p.check("9", "9")  # among the 3 most recent: cached
        assert p.stats["cache"] == 1
        p.check("0", "0")  # evicted long ago: decided again
        assert p.stats["cache"] == 1 and p.stats["quick"] == 11
