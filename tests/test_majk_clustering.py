"""maj@64 clustering over 500 problems x 64 realistic answers (real extracted answers of
the model outputs, ways of writing the gold such as ``0.5`` / ``\\frac{1}{2}`` /
``\\dfrac12``, wrong answers, ``None``).

Correctness only (the time is measured in ``bench/math_verify.py``): the fast path
(``prepare`` + parsed-form keys + fingerprint refutation) must give exactly the clusters
of the plain path (string keys + a full check per comparison) on a sample, and every way
of writing the gold must be one vote.
"""
from __future__ import annotations

import pytest

from harness.results import task_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.math_equiv import answer_key, is_equivalent
from harness.scoring.metrics import cluster_answers
from harness.scoring.score import MathEquivVerifier
from model_outputs_data import _variants, majk_answers


@pytest.fixture(scope="module")
def answer_sets(shared_data):
    return majk_answers(shared_data, problems=500, k=64, seed=0)


@pytest.fixture(scope="module")
def pool():
    with EquivPool(timeout_s=10.0) as p:
        yield p


def test_majk_clusters_500_by_64(answer_sets, pool):
    assert len(answer_sets) == 500 and all(len(a) == 64 for _, _, a in answer_sets)
    verifier = MathEquivVerifier(pool)
    verifier.prepare([a for _, _, answers in answer_sets for a in answers])
    fast = [cluster_answers(answers, verifier.same, verifier.key) for _, _, answers in answer_sets]
    assert pool.stats["timeout"] == 0

    sample = range(0, 500, 12)  # 42 problems: the plain path is slower
    for i in sample:
        _, gold, answers = answer_sets[i]
        plain = cluster_answers(answers, lambda a, b: pool.check(a, b).equivalent, answer_key)
        assert fast[i] == plain, answer_sets[i][0]

    for i in sample:
        _, gold, answers = answer_sets[i]
        clusters = fast[i]
        assert [c is None for c in clusters] == [a is None for a in answers]
        variants = set(_variants(gold))
        gold_votes = {c for a, c in zip(answers, clusters) if a in variants}
        assert len(gold_votes) <= 1, (gold, gold_votes)  # every way of writing the gold is one vote
        for a, c in zip(answers, clusters):  # and nothing unequal joins it
            if a is not None and c in gold_votes:
                assert is_equivalent(gold, a).equivalent is True, (gold, a)


def test_task_results_prepares_answers_once(pool):
    calls = []

    class Recording(MathEquivVerifier):
        def prepare(self, answers):
            calls.append(list(answers))
            super().prepare(answers)

    verifier = Recording(pool)
    samples = {"d1": [{"sample": i, "extracted": a, "verdict": {"passed": a == "1/2", "reason": "x"}}
                      for i, a in enumerate(["0.5", "\\frac{1}{2}", "\\sqrt{2}", None])],
               "d2": [{"sample": 0, "extracted": "\\frac{\\sqrt3}{2}", "verdict": {"passed": True, "reason": "x"}}]}
    res = task_results(samples, doc_ids=["d1", "d2"], n=4, attr_fields=[], same=verifier.same, key=verifier.key,
                       prepare=verifier.prepare, resamples=10)
    assert calls == [["0.5", "\\frac{1}{2}", "\\sqrt{2}", "\\frac{\\sqrt3}{2}"]]
    assert res["counts"]["samples"] == 5


def test_real_verifier_clusters_the_same_under_every_order(pool):
    import itertools

    verifier = MathEquivVerifier(pool)
    answers = ["\\frac{1}{2}", "0.5", "\\dfrac12", "2", "\\sqrt{4}", "3", None]
    verifier.prepare([a for a in answers if a is not None])
    partitions = set()
    for perm in itertools.permutations(answers):
        groups = {}
        for a, c in zip(perm, cluster_answers(perm, verifier.same, verifier.key)):
            groups.setdefault(c, set()).add(a)
        partitions.add(frozenset(frozenset(g) for g in groups.values()))
    assert partitions == {frozenset({frozenset({"\\frac{1}{2}", "0.5", "\\dfrac12"}), frozenset({"2", "\\sqrt{4}"}),
                                     frozenset({"3"}), frozenset({None})})}
