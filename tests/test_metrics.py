"""Metrics against hand-computed values (the arithmetic is in the comments)."""
from __future__ import annotations

import math

import pytest

from harness.scoring.metrics import (
    ProblemOutcome,
    bootstrap_ci,
    breakdown,
    cluster_answers,
    compute_metrics,
    default_ks,
    maj_at_k_correct,
    majority_vote,
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
    # "3" opens cluster 0, "1/2" cluster 1, "0.5" joins 1 (same("1/2","0.5")), None casts no vote
    assert cluster_answers(["3", None, "1/2", "0.5", "3"], same) == [0, None, 1, 1, 0]


def test_identical_strings_skip_same():
    same = Recorder({("x", "y"): True})
    # "x" opens 0, then "x" twice: identical strings, no calls at all
    assert cluster_answers(["x", "x", "x"], same) == [0, 0, 0]
    assert same.calls == []


def test_identical_to_a_non_representative_member_skips_same():
    same = Recorder({("1/2", "0.5"): True})
    # the second "0.5" matches a member (not the rep "1/2") exactly: one call only
    assert cluster_answers(["1/2", "0.5", "0.5"], same) == [0, 0, 0]
    assert same.calls == [("1/2", "0.5")]


def test_same_returning_none_or_false_does_not_join():
    undecided = Recorder({("a", "b"): None, ("a", "c"): None, ("b", "c"): False})
    assert cluster_answers(["a", "b", "c"], undecided) == [0, 1, 2]
    # "b" is compared with rep "a"; "c" with rep "a", then with rep "b"
    assert undecided.calls == [("a", "b"), ("a", "c"), ("b", "c")]


def test_compared_with_representative_only():
    # not transitive: a~b and b~c but not a~c; "c" meets the rep "a" of cluster 0, so it opens 1
    same = Recorder({("a", "b"): True, ("b", "c"): True})
    assert cluster_answers(["a", "b", "c"], same) == [0, 0, 1]
    assert same.calls == [("a", "b"), ("a", "c")]


def test_key_short_circuits_same():
    same = Recorder({})
    # keys "x", "x", "y": the second joins on its key although `same` would say False
    assert cluster_answers([" x", "x ", "y"], same, key=str.strip) == [0, 0, 1]
    assert same.calls == [(" x", "y")]


# ---------------------------------------------------------------- majority vote


def test_majority_vote_tie_goes_to_earliest_cluster():
    # 2-2 split: cluster 1 first voted at index 0, cluster 0 at index 1 -> 1
    assert majority_vote([1, 0, 0, 1], 4) == 1
    assert majority_vote([0, 1, 1, 0], 4) == 0


def test_majority_vote_uses_only_first_k():
    clusters = [0, 1, 1, 1]
    assert majority_vote(clusters, 4) == 1  # 3 votes to 1
    assert majority_vote(clusters, 3) == 1  # 2 votes to 1
    assert majority_vote(clusters, 2) == 0  # 1-1 tie, 0 came first
    assert majority_vote(clusters, 1) == 0


def test_majority_vote_none():
    assert majority_vote([None, None, 0], 2) is None  # no answer among the first 2
    assert majority_vote([None, 2, None, 2], 4) == 2  # Nones cast no vote
    with pytest.raises(ValueError):
        majority_vote([0, 1], 3)
    with pytest.raises(ValueError):
        majority_vote([0, 1], 0)


def test_maj_at_k_correct_follows_winner_not_any_correct_sample():
    # the winning cluster 0 (2 votes) is wrong, while the lone cluster-1 sample is right
    p = ProblemOutcome("p", passed=[False, False, True], clusters=[0, 0, 1])
    assert maj_at_k_correct(p, 3) is False
    # winner judged by its first member among the first k: cluster 1 at index 1
    q = ProblemOutcome("q", passed=[False, True, True], clusters=[0, 1, 1])
    assert maj_at_k_correct(q, 3) is True
    # no answer at all -> incorrect
    assert maj_at_k_correct(ProblemOutcome("r", [False, False], [None, None]), 2) is False


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
    # maj@2: A [0,1] tie -> 0, idx 0 right: 1; B [0,0] -> 0, idx 0 wrong: 0; C [0,1] tie -> 0, wrong: 0
    #        -> 1/3
    assert m["maj@2"]["value"] == pytest.approx(1 / 3)
    # maj@4: A 2-2 tie -> 0, right: 1; B cluster 0 (2 votes) wrong though idx 3 is right: 0;
    #        C cluster 1 (3 votes), first member idx 1 right: 1 -> 2/3
    assert m["maj@4"]["value"] == pytest.approx(2 / 3)
    for v in m.values():
        assert v["n"] == 3
        lo, hi = v["ci"]
        assert 0.0 <= lo <= v["value"] <= hi <= 1.0


def test_compute_metrics_excludes_problems_with_too_few_samples():
    D = ProblemOutcome("D", passed=[True, False], clusters=[0, 1])
    m = compute_metrics([A, B, C, D], ks=[2, 4, 1])
    assert list(m) == ["pass@1", "pass@2", "pass@4", "maj@2", "maj@4"]
    # D counts for k <= 2 only. pass@1: (0.5 + 0.25 + 0.75 + 0.5) / 4 = 0.5
    assert (m["pass@1"]["n"], m["pass@1"]["value"]) == (4, pytest.approx(0.5))
    # pass@2: D has n=2, c=1: 1 - C(1,2)/C(2,2) = 1 -> (5/6 + 1/2 + 1 + 1) / 4 = 5/6
    assert (m["pass@2"]["n"], m["pass@2"]["value"]) == (4, pytest.approx(5 / 6))
    # maj@2: D [0,1] tie -> 0, right -> (1 + 0 + 0 + 1) / 4 = 0.5
    assert (m["maj@2"]["n"], m["maj@2"]["value"]) == (4, pytest.approx(0.5))
    assert (m["pass@4"]["n"], m["maj@4"]["n"]) == (3, 3)


def test_compute_metrics_edges():
    assert compute_metrics([]) == {}
    # ks=[1] only: no maj@1; a k no problem reaches is omitted
    assert list(compute_metrics([A], ks=[1, 8])) == ["pass@1"]
    with pytest.raises(ValueError):
        compute_metrics([ProblemOutcome("bad", [True, False], [0])])


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_deterministic_and_contains_mean():
    values = [0.1, 0.9, 0.35, 0.7, 0.05, 0.6, 0.8, 0.2, 0.45, 0.55]  # mean 4.7 / 10 = 0.47
    ci = bootstrap_ci(values, seed=7)
    assert ci == bootstrap_ci(values, seed=7)
    assert ci != bootstrap_ci(values, seed=8)  # the seed is really used
    lo, hi = ci
    assert lo < 0.47 < hi


def test_bootstrap_width_is_about_normal_approximation():
    # 100 problems, half right: se = sqrt(0.25 / 100) = 0.05 -> 95% CI ~ 0.5 +- 1.96 * 0.05
    # = [0.402, 0.598]; bootstrap means are multiples of 0.01 (a 90% CI would be ~ +- 0.082)
    lo, hi = bootstrap_ci([1.0, 0.0] * 50, resamples=4000)
    assert lo == pytest.approx(0.402, abs=0.01)
    assert hi == pytest.approx(0.598, abs=0.01)


def test_bootstrap_degenerate():
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_ci([])


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
    assert out["2"]["pass@1"]["n"] == 2
    assert out["10"]["pass@1"]["value"] == 1.0
    assert out["1"]["pass@1"]["value"] == 0.0
