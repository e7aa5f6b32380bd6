"""The reference solutions must score as correct against their own answers.

MATH-500: the boxed answer of each worked solution vs the ``answer`` field.
GSM8K: the ``#### N`` line of each worked solution vs ``final_answer``.
A shifted pairing (record i's answer vs record i+1's) is the negative control: it
shows the checks can fail.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scoring.equiv_pool import EquivPool
from harness.scoring.extract import extract_gsm8k_answer, extract_math_answer
from harness.scoring.math_equiv import answer_key

# unique_id -> why the solution's boxed answer does not match the answer field.
# Empty: all 500 MATH-500 solutions agree with their answers.
MATH500_EXCEPTIONS: dict[str, str] = {}


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def pool():
    with EquivPool(timeout_s=5.0) as p:
        yield p


def test_math500_solutions_match_answers(shared_data, pool):
    recs = _read(shared_data / "math500" / "test.jsonl")
    assert len(recs) == 500
    results = pool.check_many([(r["answer"], extract_math_answer(r["solution"]) or "") for r in recs])
    failures = {r["unique_id"]: res for r, res in zip(recs, results) if res.equivalent is not True}
    assert set(failures) == set(MATH500_EXCEPTIONS), failures
    assert len(recs) - len(failures) >= 499


def test_gsm8k_solutions_match_final_answers(shared_data, pool):
    recs = _read(shared_data / "gsm8k" / "test.jsonl")
    assert len(recs) == 1319
    results = pool.check_many([(r["final_answer"], extract_gsm8k_answer(r["answer"]) or "") for r in recs])
    failures = {r["id"]: res for r, res in zip(recs, results) if res.equivalent is not True}
    assert not failures, failures


def test_shifted_pairs_mostly_differ(shared_data, pool):
    """Negative control: a neighbour's answer is accepted only when it is the same value."""
    recs = _read(shared_data / "math500" / "test.jsonl")
    pairs = [(a["answer"], b["answer"]) for a, b in zip(recs, recs[1:])]
    results = pool.check_many(pairs)
    accepted = [(g, p) for (g, p), res in zip(pairs, results) if res.equivalent]
    assert all(answer_key(g) == answer_key(p) for g, p in accepted), accepted
    assert len(accepted) < 25
    gsm = _read(shared_data / "gsm8k" / "test.jsonl")
    results = pool.check_many([(a["final_answer"], extract_gsm8k_answer(b["answer"]) or "") for a, b in zip(gsm, gsm[1:])])
    same_value = sum(a["final_answer"] == b["final_answer"] for a, b in zip(gsm, gsm[1:]))
    assert sum(bool(r.equivalent) for r in results) == same_value
