"""Confidence intervals: honest at 0 and 1 and for few problems, seeded, and covering the
true rate in simulation."""
from __future__ import annotations


import numpy as np
import pytest

from harness.scoring.metrics import ProblemOutcome, bootstrap2_ci, compute_metrics, pass_score, wilson_ci


def problems(rows):
    """One ProblemOutcome per list of 0/1 outcomes (each sample its own answer cluster)."""
    return [ProblemOutcome(f"p{i}", [bool(x) for x in r], list(range(len(r)))) for i, r in enumerate(rows)]


def test_wilson_known_values():
    # 0 of 5: [0, z^2 / (5 + z^2)] = [0, 3.8415 / 8.8415] = [0, 0.4345]
    lo, hi = wilson_ci(0.0, 5)
    assert lo == 0.0 and hi == pytest.approx(0.4345, abs=1e-4)
    # 50 of 100: 0.5 +- 1.96 * sqrt(0.25/100 + 1.96^2/40000) / (1 + 1.96^2/100) = [0.4038, 0.5962]
    assert wilson_ci(0.5, 100) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    lo, hi = wilson_ci(1.0, 5)
    assert (lo, hi) == (pytest.approx(1 - 0.4345, abs=1e-4), 1.0)
    with pytest.raises(ValueError):
        wilson_ci(0.5, 0)


def test_all_failed_with_one_sample_is_not_a_point():
    m = compute_metrics(problems([[0]] * 5))["pass@1"]
    assert m["value"] == 0.0 and m["ci_method"] == "wilson"
    assert m["ci"][0] == 0.0 and m["ci"][1] == pytest.approx(0.4345, abs=1e-4)


def test_all_failed_or_all_passed_with_n_samples_is_not_a_point():
    for outcome, edge in ((0, 0), (1, 1)):
        m = compute_metrics(problems([[outcome] * 8] * 5))
        for name in ("pass@1", "pass@8", "maj@2", "maj@8"):
            lo, hi = m[name]["ci"]
            assert m[name]["value"] == edge
            assert hi - lo >= 0.43, (name, m[name])  # at least the Wilson interval at 5 problems
            assert lo <= edge <= hi


def test_one_problem_is_not_a_point():
    lo, hi = compute_metrics(problems([[1, 0, 1, 1]]))["pass@1"]["ci"]
    assert lo < 0.75 < hi and hi - lo > 0.5


def test_two_level_bootstrap_counts_sampling_noise_within_problems():
    # 100 problems, each 4 of 8 samples right: every problem scores 0.5, so resampling problems
    # alone gives [0.5, 0.5]; redrawing the 8 samples adds se = sqrt(0.25 / 800) = 0.0177
    # -> 95% about 0.5 +- 0.035
    scores = [pass_score(p, 1) for p in problems([[1, 0] * 4] * 100)]
    lo, hi = bootstrap2_ci(scores, resamples=4000)
    assert lo == pytest.approx(0.465, abs=0.01) and hi == pytest.approx(0.535, abs=0.01)


def test_bootstrap_is_seeded():
    scores = [pass_score(p, 3) for p in problems(np.random.default_rng(0).random((20, 7)) < 0.3)]
    assert bootstrap2_ci(scores, seed=7) == bootstrap2_ci(scores, seed=7)
    assert bootstrap2_ci(scores, seed=7) != bootstrap2_ci(scores, seed=8)
    assert bootstrap2_ci(scores, seed=-3) == bootstrap2_ci(scores, seed=-3)  # any int seed


@pytest.mark.parametrize("n_problems,n_samples,alpha,beta", [(10, 4, 0.2, 5.0), (30, 8, 1.0, 1.0), (5, 16, 0.1, 10.0)])
def test_intervals_cover_the_true_rate(n_problems, n_samples, alpha, beta):
    # problems' true rates from Beta(alpha, beta); the pass@1 interval must cover the population
    # mean alpha / (alpha + beta) in at least ~95% of 200 simulated runs (allow 90%: binomial noise)
    rng = np.random.default_rng(0)
    truth = alpha / (alpha + beta)
    hits = 0
    for run in range(200):
        rates = rng.beta(alpha, beta, size=n_problems)
        rows = [rng.random(n_samples) < r for r in rates]
        lo, hi = compute_metrics(problems(rows), ks=[1], resamples=400, seed=run)["pass@1"]["ci"]
        hits += lo <= truth <= hi
    assert hits >= 180, hits


def test_math500_by_64_reports_every_k_with_intervals():
    rng = np.random.default_rng(1)
    probs = [ProblemOutcome(f"p{i}", list(rng.random(64) < r), list(rng.integers(0, 4, 64)))
             for i, r in enumerate(rng.random(500))]
    m = compute_metrics(probs, seed=3)
    assert list(m)[-1] == "maj@64"
    assert all(m[k]["ci"][0] <= m[k]["value"] <= m[k]["ci"][1] and m[k]["n"] == 500 for k in m)
