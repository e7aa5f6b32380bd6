"""Metrics against hand-computed values (the arithmetic is in the comments)."""
from __future__ import annotations

import itertools
import math

import pytest

from harness.scoring.metrics import (
    ProblemOutcome,
    breakdown,
    cluster_answers,
    compute_metrics,
    default_ks,
    group_vote,
    maj_at_k_groups,
    pass_at_k,
)

# ---------------------------------------------------------------- pass@k


def test_pass_at_k_hand_values():
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # n=5, c=1, k=3: 1 - C(4,3)/C(5,3) = 1 - 4/10 = 0.6
    assert pass_at_k(5, 1, 3) == pytest.approx(0.6)
    # k=1 is the plain pass rate: 2/5
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)


def test_pass_at_k_edges():
    # k = n: any correct sample makes it certain (n-c=4 < 5), none makes it 1 - C(5,5)/C(5,5) = 0
    assert pass_at_k(5, 1, 5) == 1.0
    assert pass_at_k(5, 0, 5) == 0.0
    # c = 0 -> 0 for every k; c = n -> 1 for every k
    assert pass_at_k(5, 0, 2) == 0.0
    assert pass_at_k(5, 5, 1) == 1.0
    assert pass_at_k(5, 5, 3) == 1.0


def test_pass_at_k_matches_comb_formula():
    for n in range(1, 12):
        for c in range(n + 1):
            for k in range(1, n + 1):
                expected = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12), (n, c, k)


@pytest.mark.parametrize("n,c,k", [(3, 1, 4), (3, 1, 0), (3, 4, 1), (3, -1, 1)])
def test_pass_at_k_rejects_bad_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# ---------------------------------------------------------------- clustering


class Recorder:
    """A `same` that answers from a table of unordered pairs and records its calls."""

    def __init__(self, table):
        self.table = {frozenset(pair): v for pair, v in table.items()}
        self.calls = []

    def __call__(self, a, b):
        self.calls.append((a, b))
        return self.table.get(frozenset((a, b)), False)


def test_cluster_ids_by_first_appearance_and_none():
    same = Recorder({("1/2", "0.5"): True})
    # "3" opens cluster 0, "1/2" cluster 1, "0.5" joins 1 (same("0.5","1/2")), None casts no vote
    assert cluster_answers(["3", None, "1/2", "0.5", "3"], same) == [0, None, 1, 1, 0]


def test_identical_strings_skip_same():
    same = Recorder({("x", "y"): True})
    # "x" three times: one distinct answer, no calls at all
    assert cluster_answers(["x", "x", "x"], same) == [0, 0, 0]
    assert same.calls == []


def test_each_distinct_answer_is_compared_once():
    same = Recorder({("1/2", "0.5"): True})
    # distinct answers "0.5" < "1/2" (sorted): one call, whatever the order or repetitions
    assert cluster_answers(["1/2", "0.5", "0.5"], same) == [0, 0, 0]
    assert same.calls == [("0.5", "1/2")]


def test_same_returning_none_or_false_does_not_join_and_none_is_recorded():
    undecided = []
    same = Recorder({("a", "b"): None, ("a", "c"): None, ("b", "c"): False})
    assert cluster_answers(["c", "b", "a"], same, undecided=undecided) == [0, 1, 2]
    # sorted a, b, c: "b" is compared with rep "a"; "c" with rep "a", then with rep "b"
    assert same.calls == [("a", "b"), ("a", "c"), ("b", "c")]
    assert undecided == [("a", "b"), ("a", "c")]


def test_compared_with_representative_only():
    # not transitive: a~b and b~c but not a~c; "c" meets the rep "a" of cluster 0, so it opens 1
    same = Recorder({("a", "b"): True, ("b", "c"): True})
    assert cluster_answers(["a", "b", "c"], same) == [0, 0, 1]
    assert same.calls == [("a", "b"), ("a", "c")]


def test_key_short_circuits_same():
    same = Recorder({})
    # keys "x", "x", "y": the two x's are one unit (rep " x") although `same` would say False
    assert cluster_answers([" x", "x ", "y"], same, key=str.strip) == [0, 0, 1]
    assert same.calls == [(" x", "y")]


def test_key_none_means_no_key_and_is_recorded():
    undecided = []
    # a key that could not be computed never merges answers by itself
    assert cluster_answers(["p", "q"], Recorder({}), key=lambda a: None, undecided=undecided) == [0, 1]
    assert undecided == [("p", "p"), ("q", "q")]


def _partition(answers, clusters):
    groups = {}
    for a, c in zip(answers, clusters):
        groups.setdefault(c, set()).add(a)
    return {frozenset(g) for g in groups.values()}


def test_clustering_is_the_same_under_every_order():
    # a~b, b~c (not a~c: not transitive), d~e, f undecided against d and e, a repeat and None
    table = {("a", "b"): True, ("b", "c"): True, ("d", "e"): True, ("e", "f"): None, ("d", "f"): None}
    answers = ["c", "a", "b", "d", "e", "f", "a", None]
    first = undecided0 = None
    for perm in itertools.permutations(answers):
        undecided = []
        part = _partition(perm, cluster_answers(perm, Recorder(table), undecided=undecided))
        if first is None:
            first, undecided0 = part, undecided
        assert part == first, perm
        assert undecided == undecided0, perm
    # sorted a, b, c, d, e, f: b joins a; c meets rep a (False) and opens; e joins d; f undecided vs d
    assert first == {frozenset("ab"), frozenset("c"), frozenset("de"), frozenset("f"), frozenset([None])}
    assert undecided0 == [("d", "f")]


# ---------------------------------------------------------------- maj@k


def test_group_vote_majority_ties_and_none():
    assert group_vote([0, 0, 1], [True, True, False]) == 1.0
    assert group_vote([0, 1, 1], [True, False, False]) == 0.0
    # a 2-2 tie between a right and a wrong cluster: expected value of a random tie-break
    assert group_vote([1, 0, 0, 1], [False, True, True, False]) == 0.5
    # a 3-way tie with one right cluster: 1/3, whatever the order
    assert group_vote([2, None, 0, 1], [False, False, True, False]) == pytest.approx(1 / 3)
    assert group_vote([None, None], [False, False]) == 0.0  # no vote at all
    # the winner scores the fraction of its members that passed (verifier disagreed with clustering)
    assert group_vote([0, 0, 0, 1], [True, True, False, False]) == pytest.approx(2 / 3)


def test_group_vote_does_not_depend_on_sample_order():
    clusters, passed = [0, 1, 2, 1, 0, None], [True, False, False, False, True, False]
    for perm in itertools.permutations(range(6)):
        assert group_vote([clusters[i] for i in perm], [passed[i] for i in perm]) == 0.5


# n = 8 per problem, hand-computed maj@2 and maj@4 (cluster 0 right in P1, cluster 1 right in P3)
P1 = ProblemOutcome("P1", passed=[True, True, False, False, True, False, False, False], clusters=[0, 0, 1, 1, 0, 2, None, 1])
P2 = ProblemOutcome("P2", passed=[False] * 8, clusters=[None] * 8)
P3 = ProblemOutcome("P3", passed=[False] + [True] * 7, clusters=[0] + [1] * 7)


def test_maj_at_k_uses_all_samples_in_disjoint_groups():
    # P1 k=2: [0,0] right 1; [1,1] wrong 0; [0,2] tie 1/2; [None,1] wrong 0
    assert maj_at_k_groups(P1, 2) == [1.0, 0.0, 0.5, 0.0]
    # P1 k=4: [0,0,1,1] tie 1/2; [0,2,None,1] three-way tie, one right: 1/3
    assert maj_at_k_groups(P1, 4) == [0.5, pytest.approx(1 / 3)]
    # P1 k=8: votes 0:3, 1:3, 2:1 -> tie between right 0 and wrong 1: 1/2
    assert maj_at_k_groups(P1, 8) == [0.5]
    # P3 k=2: [0,1] tie 1/2, then three [1,1] right
    assert maj_at_k_groups(P3, 2) == [0.5, 1.0, 1.0, 1.0]
    # n=5, k=2: floor(5/2) = 2 groups, the fifth sample unused
    assert len(maj_at_k_groups(ProblemOutcome("x", [True] * 5, [0] * 5), 2)) == 2


def test_maj_at_k_hand_values_n8():
    m = compute_metrics([P1, P2, P3], ks=[2, 4])
    # maj@2: P1 (1 + 0 + 1/2 + 0)/4 = 3/8; P2 0; P3 (1/2 + 3)/4 = 7/8 -> (3/8 + 7/8)/3 = 5/12
    assert m["maj@2"]["value"] == pytest.approx(5 / 12)
    # maj@4: P1 (1/2 + 1/3)/2 = 5/12; P2 0; P3 [0,1,1,1] -> 1 and [1,1,1,1] -> 1: 1 -> (5/12 + 1)/3 = 17/36
    assert m["maj@4"]["value"] == pytest.approx(17 / 36)
    assert m["maj@2"]["estimator"] == "disjoint_groups" and m["pass@2"]["estimator"] == "unbiased"


# ---------------------------------------------------------------- default ks


def test_default_ks():
    assert default_ks(0) == []
    assert default_ks(1) == [1]
    assert default_ks(4) == [1, 2, 4]
    assert default_ks(5) == [1, 2, 4, 5]
    assert default_ks(8) == [1, 2, 4, 8]
    assert default_ks(12) == [1, 2, 4, 8, 12]


# ---------------------------------------------------------------- compute_metrics

A = ProblemOutcome("A", passed=[True, False, True, False], clusters=[0, 1, 0, 1])
B = ProblemOutcome("B", passed=[False, False, False, True], clusters=[0, 0, None, 1])
C = ProblemOutcome("C", passed=[False, True, True, True], clusters=[0, 1, 1, 1])


def test_compute_metrics_three_problems():
    m = compute_metrics([A, B, C])
    assert list(m) == ["pass@1", "pass@2", "pass@4", "maj@2", "maj@4"]
    # pass@1: A 2/4, B 1/4, C 3/4 -> (0.5 + 0.25 + 0.75) / 3 = 0.5
    assert m["pass@1"]["value"] == pytest.approx(0.5)
    # pass@2: A 1 - C(2,2)/C(4,2) = 5/6; B 1 - C(3,2)/C(4,2) = 1/2; C n-c=1<2 -> 1
    #         (5/6 + 3/6 + 6/6) / 3 = 7/9
    assert m["pass@2"]["value"] == pytest.approx(7 / 9)
    # pass@4: every problem has a correct sample -> 1
    assert m["pass@4"]["value"] == pytest.approx(1.0)
    # maj@2 groups: A [0,1] tie 1/2, [0,1] tie 1/2 -> 1/2; B [0,0] wrong 0, [None,1] right 1 -> 1/2;
    #               C [0,1] tie 1/2, [1,1] right 1 -> 3/4; (1/2 + 1/2 + 3/4) / 3 = 7/12
    assert m["maj@2"]["value"] == pytest.approx(7 / 12)
    # maj@4: A 2-2 tie 1/2; B cluster 0 (2 votes) wrong though idx 3 is right: 0; C cluster 1 (3 votes) right: 1
    #        -> (1/2 + 0 + 1) / 3 = 1/2
    assert m["maj@4"]["value"] == pytest.approx(1 / 2)
    for v in m.values():
        assert (v["n"], v["of"], v["partial"]) == (3, 3, False)
        lo, hi = v["ci"]
        assert 0.0 <= lo <= v["value"] <= hi <= 1.0
    # maj@4 of 4 samples is one group per problem: a single outcome each, so plain Wilson
    assert [v["ci_method"] for v in m.values()] == ["wilson+bootstrap2"] * 4 + ["wilson"]


def test_compute_metrics_marks_metrics_over_fewer_problems():
    D = ProblemOutcome("D", passed=[True, False], clusters=[0, 1])
    m = compute_metrics([A, B, C, D], ks=[2, 4, 1], of=5)
    assert list(m) == ["pass@1", "pass@2", "pass@4", "maj@2", "maj@4"]
    # D counts for k <= 2 only. pass@1: (0.5 + 0.25 + 0.75 + 0.5) / 4 = 0.5
    assert (m["pass@1"]["n"], m["pass@1"]["value"]) == (4, pytest.approx(0.5))
    # pass@2: D has n=2, c=1: 1 - C(1,2)/C(2,2) = 1 -> (5/6 + 1/2 + 1 + 1) / 4 = 5/6
    assert (m["pass@2"]["n"], m["pass@2"]["value"]) == (4, pytest.approx(5 / 6))
    # maj@2: D [0,1] tie 1/2 -> (1/2 + 1/2 + 3/4 + 1/2) / 4 = 9/16
    assert (m["maj@2"]["n"], m["maj@2"]["value"]) == (4, pytest.approx(9 / 16))
    assert (m["pass@4"]["n"], m["maj@4"]["n"]) == (3, 3)
    # 5 problems selected, one without samples at all: every metric is partial
    assert all(v["of"] == 5 and v["partial"] for v in m.values())
    assert compute_metrics([A, B, C, D], ks=[2, 4])["maj@4"]["partial"] is True  # D lacks 4 samples
    assert compute_metrics([A, B, C, D], ks=[2, 4])["maj@2"]["partial"] is False


def test_compute_metrics_edges():
    assert compute_metrics([]) == {}
    # ks=[1] only: no maj@1; a k no problem reaches is omitted
    assert list(compute_metrics([A], ks=[1, 8])) == ["pass@1"]
    with pytest.raises(ValueError):
        compute_metrics([ProblemOutcome("bad", [True, False], [0])])


# ---------------------------------------------------------------- breakdown


def test_breakdown_sort_order_and_groups():
    def prob(pid, level, ok):
        return ProblemOutcome(pid, [ok], [0], {"level": level})

    problems = [prob("a", "10", True), prob("b", "2", False), prob("c", "Level ?", True),
                prob("d", "2", True), prob("e", "1", False), ProblemOutcome("f", [True], [0])]
    out = breakdown(problems, "level", ks=[1])
    # numeric-looking values numerically ("2" before "10"), then the rest; "f" lacks the attribute
    assert list(out) == ["1", "2", "10", "Level ?"]
    # level "2": b wrong, d right -> 1/2 over 2 problems
    assert out["2"]["pass@1"]["value"] == pytest.approx(0.5)
    assert (out["2"]["pass@1"]["n"], out["2"]["pass@1"]["of"]) == (2, 2)
    assert out["10"]["pass@1"]["value"] == 1.0
    assert out["1"]["pass@1"]["value"] == 0.0
