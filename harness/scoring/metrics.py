"""Aggregate metrics over sampled answers: unbiased pass@k, maj@k, rates, confidence intervals.

Pure code (stdlib + numpy). Every value is a float in [0, 1], never a percentage.

Metrics are registered by name (entry-point group ``harness.metrics``, built-ins in
:data:`METRICS`): a metric is a function ``(problems, *, resamples, seed, of, **params)
-> {name: METRIC}`` over the task's :class:`ProblemOutcome` s (per-sample ``passed``,
``clusters``, ``verdicts`` and ``extracted``), where METRIC is ``{"value", "ci",
"ci_method", "estimator", "n", "of", "partial"}`` as below. ``params`` come from the
task's declaration (``("verdict_rate", {"detail": "compiled"})``). A metric with
``needs_clusters = True`` reads ``clusters`` (maj@k); the others get none computed.
Built-ins: ``pass@k``, ``maj@k``, ``mean_score`` (mean ``verdict.score``),
``verdict_rate`` (rate of a boolean ``verdict.details[detail]``).

Estimators (named per metric in ``"estimator"``):

- ``pass@k``, ``"unbiased"``: the mean over problems of the unbiased pass@k of Chen et
  al. 2021 from all n samples of the problem.
- ``maj@k``, ``"disjoint_groups"``: a problem's samples, in sample index order, are cut
  into floor(n/k) disjoint groups ``[0, k), [k, 2k), ...`` (the n mod k left over are
  unused); each group votes (:func:`group_votes`) and the problem scores the mean over
  its groups. Samples are exchangeable, so this uses all whole groups without bias.

Intervals (95%, named per metric in ``"ci_method"``), over N problems with
per-problem scores in [0, 1] and mean p:

- ``"wilson"``: when every problem's score comes from a single unit (one sample per
  problem for pass@k, one group for maj@k): the Wilson score interval at N.
- ``"wilson+bootstrap2"``: otherwise, the hull of the Wilson interval at N and a
  two-level percentile bootstrap. The bootstrap resamples problems with replacement,
  then each drawn problem's m units (its n samples for pass@k, its groups for maj@k)
  as ``Binomial(m, rate)`` successes (probabilities rounded to multiples of 1/1024, see
  :func:`binomial_quantiles`), rescoring the problem from the drawn count
  (exact for 0/1 units; for fractional units, maj@k ties, the variance ``rate(1 -
  rate)`` bounds theirs). The Wilson part keeps the interval honest where the bootstrap
  collapses (all problems at 0 or at 1, few problems): any [0, 1] score with mean p
  has variance <= p(1 - p), so the mean over N problems has variance <= p(1 - p)/N.

The bootstrap is deterministic for a seed (the run seed).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import NormalDist

import numpy as np

CI_LEVEL = 0.95


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. 2021 (HumanEval) for n samples of which c passed.

    pass@k = 1 - C(n-c, k) / C(n, k), computed in the stable product form
    1 - prod_{i=n-c+1}^{n} (1 - k/i); it is 1.0 when n - c < k.
    """
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def cluster_answers(
    answers: Sequence[str | None],
    same: Callable[[str, str], bool | None],
    key: Callable[[str], str | None] | None = None,
    *,
    undecided: list[tuple[str, str]] | None = None,
) -> list[int | None]:
    """Group equivalent answers; cluster ids are numbered by first appearance (0, 1, 2...).

    The partition depends only on the set of distinct answers, never on their order.
    A ``None`` answer (nothing extracted) gets cluster ``None`` and casts no vote.
    Answers with equal strings, or equal non-``None`` ``key``, form one unit without
    calling ``same``. Units are taken in sorted order of their smallest string; each is
    compared, by that string, with every cluster's representative (its first unit's
    string), in cluster order, via ``same(rep, answer)``: the first ``True`` joins;
    ``False`` and ``None`` (undecidable, timeout) do not. No match opens a new cluster.
    If ``undecided`` is given, every pair ``same`` returned ``None`` for (and every
    answer whose ``key`` was ``None``, as ``(answer, answer)``) is appended to it.
    """
    units: dict[tuple[str, str], list[str]] = {}
    for a in sorted({a for a in answers if a is not None}):
        k = key(a) if key is not None else a
        if k is None and undecided is not None:
            undecided.append((a, a))
        units.setdefault(("k", k) if k is not None else ("s", a), []).append(a)
    reps: list[str] = []
    cluster_of: dict[str, int] = {}
    for members in sorted(units.values()):
        rep = members[0]
        cid = None
        for i, other in enumerate(reps):
            verdict = same(other, rep)
            if verdict is None and undecided is not None:
                undecided.append((other, rep))
            if verdict is True:
                cid = i
                break
        if cid is None:
            cid = len(reps)
            reps.append(rep)
        cluster_of.update((m, cid) for m in members)
    renumber: dict[int, int] = {}
    for a in answers:
        if a is not None:
            renumber.setdefault(cluster_of[a], len(renumber))
    return [None if a is None else renumber[cluster_of[a]] for a in answers]


def group_votes(clusters: Sequence[int | None], passed: Sequence[bool], k: int) -> np.ndarray:
    """The maj@k outcome of each disjoint group of k samples ``[0, k), [k, 2k), ...``
    (floor(n/k) groups, the rest unused): 1.0 if the group's majority answer is correct.

    The cluster with the most votes in the group wins (``None`` casts no vote; no vote at
    all scores 0.0). A cluster is as correct as the fraction of its members in the group
    that passed (1 or 0 unless the verifier disagrees with the clustering). A tie scores
    the mean correctness of the tied clusters: the expected outcome of a uniformly random
    tie-break, so the result never depends on the order of the samples within a group.
    """
    if not 1 <= k <= len(clusters):
        raise ValueError(f"need 1 <= k <= {len(clusters)}, got k={k}")
    groups = len(clusters) // k
    ids = np.array([-1 if c is None else c for c in clusters[:groups * k]]).reshape(groups, k)
    ok = np.asarray(passed[:groups * k], dtype=float).reshape(groups, k)
    member = ids[:, :, None] == np.arange(max(ids.max() + 1, 1))  # (group, sample, cluster)
    votes = member.sum(axis=1)
    right = (member * ok[:, :, None]).sum(axis=1) / np.maximum(votes, 1)
    top = votes.max(axis=1, keepdims=True)
    winners = (votes == top) & (votes > 0)
    return np.where(top[:, 0] > 0, (winners * right).sum(axis=1) / np.maximum(winners.sum(axis=1), 1), 0.0)


def group_vote(clusters: Sequence[int | None], passed: Sequence[bool]) -> float:
    """The :func:`group_votes` outcome of one group made of all the given samples."""
    return float(group_votes(clusters, passed, len(clusters))[0])


@dataclass
class ProblemOutcome:
    """Per-sample results of one problem, in sample index order."""

    problem_id: str
    passed: list[bool]
    clusters: list[int | None]
    attrs: dict[str, str] = field(default_factory=dict)  # e.g. {"subject": "Algebra", "level": "3"}
    verdicts: list[dict] = field(default_factory=list)  # Verdict.to_dict() per sample
    extracted: list[str | None] = field(default_factory=list)


def maj_at_k_groups(problem: ProblemOutcome, k: int) -> list[float]:
    """The :func:`group_votes` of one problem's samples: its floor(n/k) disjoint groups."""
    return group_votes(problem.clusters, problem.passed, k).tolist()


def default_ks(n: int) -> list[int]:
    """Every power of two <= n (1, 2, 4, ...), plus n itself, so pass@n and maj@n always appear."""
    ks = [2**i for i in range(n.bit_length())] if n >= 1 else []
    return ks + [n] if ks and ks[-1] != n else ks


@dataclass(frozen=True)
class Score:
    """One problem's score and how to redraw it: ``units`` 0/1-like outcomes with success
    ``rate``; ``table[j]`` is the score when ``j`` of the units succeed."""

    value: float
    units: int
    rate: float
    table: tuple[float, ...]


@lru_cache(maxsize=4096)
def _pass_table(n: int, k: int) -> tuple[float, ...]:
    return tuple(pass_at_k(n, c, k) for c in range(n + 1))


def pass_score(problem: ProblemOutcome, k: int) -> Score:
    """pass@k of one problem: units are its samples."""
    n, c = len(problem.passed), sum(problem.passed)
    table = _pass_table(n, k)
    return Score(table[c], n, c / n, table)


def maj_score(problem: ProblemOutcome, k: int) -> Score:
    """maj@k of one problem: units are its disjoint groups of k samples."""
    groups = maj_at_k_groups(problem, k)
    value = sum(groups) / len(groups)
    return Score(value, len(groups), value, tuple(j / len(groups) for j in range(len(groups) + 1)))


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_ci(p: float, n: int, *, level: float = CI_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` observed over ``n`` trials; never
    [p, p], also at p = 0 or 1 (5 of 5 failed: about [0, 0.43])."""
    if n < 1 or not 0 <= p <= 1:
        raise ValueError(f"need n >= 1 and 0 <= p <= 1, got n={n}, p={p}")
    z2 = _z(level) ** 2
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2) / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


QUANTILES = 1024


@lru_cache(maxsize=65536)
def binomial_quantiles(m: int, p: float) -> np.ndarray:
    """The counts of ``Binomial(m, p)`` at the ``QUANTILES`` evenly spaced probabilities
    (q + 0.5) / QUANTILES: a uniform pick among them is a binomial draw whose probabilities
    are rounded to multiples of 1 / QUANTILES (exact for p = 0 or 1)."""
    if p <= 0 or p >= 1:
        return np.full(QUANTILES, 0 if p <= 0 else m)
    j = np.arange(m + 1)
    log_comb = np.array([math.lgamma(m + 1) - math.lgamma(i + 1) - math.lgamma(m - i + 1) for i in range(m + 1)])
    cdf = np.cumsum(np.exp(log_comb + j * math.log(p) + (m - j) * math.log1p(-p)))
    grid = (np.arange(QUANTILES) + 0.5) / QUANTILES * cdf[-1]
    return np.minimum(np.searchsorted(cdf, grid), m)


def bootstrap2_ci(scores: Sequence[Score], *, resamples: int = 2000, seed: int = 0,
                  level: float = CI_LEVEL) -> tuple[float, float]:
    """Two-level percentile bootstrap of the mean score: problems with replacement, then
    ``Binomial(units, rate)`` successes per drawn problem (via :func:`binomial_quantiles`),
    rescored by its table. Deterministic for a seed (any int)."""
    if not scores:
        raise ValueError("bootstrap2_ci needs at least one score")
    units = np.array([s.units for s in scores])
    offsets = np.concatenate(([0], np.cumsum(units + 1)[:-1]))
    flat = np.concatenate([s.table for s in scores])
    bank = np.stack([binomial_quantiles(s.units, s.rate) for s in scores])
    rng = np.random.default_rng(seed % 2**64)
    idx = rng.integers(0, len(scores), size=(resamples, len(scores)))
    counts = bank[idx, rng.integers(0, QUANTILES, size=idx.shape)]
    means = flat[offsets[idx] + counts].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def interval(scores: Sequence[Score], *, resamples: int = 2000, seed: int = 0) -> tuple[tuple[float, float], str]:
    """``((lo, hi), method)``: see the module docstring for the two methods."""
    mean = float(np.mean([s.value for s in scores]))
    wilson = wilson_ci(min(1.0, max(0.0, mean)), len(scores))
    if all(s.units == 1 for s in scores):
        return wilson, "wilson"
    lo, hi = bootstrap2_ci(scores, resamples=resamples, seed=seed)
    return (min(lo, wilson[0]), max(hi, wilson[1])), "wilson+bootstrap2"


_ESTIMATORS: dict[str, tuple[str, Callable[[ProblemOutcome, int], Score]]] = {
    "pass": ("unbiased", pass_score),
    "maj": ("disjoint_groups", maj_score),
}


def _kind_metrics(kind: str, problems: Sequence[ProblemOutcome], *, ks: Sequence[int] | None = None,
                  resamples: int = 2000, seed: int = 0, of: int | None = None) -> dict[str, dict]:
    """pass@k or maj@k (``kind`` ``"pass"`` / ``"maj"``) for every k (see :func:`compute_metrics`)."""
    if not problems:
        return {}
    for p in problems:
        if len(p.passed) != len(p.clusters):
            raise ValueError(f"{p.problem_id}: {len(p.passed)} passed vs {len(p.clusters)} clusters")
    of = len(problems) if of is None else of
    ks = sorted(set(ks if ks is not None else default_ks(max(len(p.passed) for p in problems))))
    estimator, score = _ESTIMATORS[kind]
    out = {}
    for k in ks:
        scores = [score(p, k) for p in problems if len(p.passed) >= k]
        if not scores or (kind == "maj" and k < 2):
            continue
        out[f"{kind}@{k}"] = metric_entry(scores, estimator, of, resamples=resamples, seed=seed)
    return out


def metric_entry(scores: Sequence[Score], estimator: str, of: int, *, resamples: int = 2000, seed: int = 0) -> dict:
    """One METRIC (module docstring) of per-problem ``scores``."""
    ci, method = interval(scores, resamples=resamples, seed=seed)
    return {"value": float(np.mean([s.value for s in scores])), "ci": list(ci), "ci_method": method,
            "estimator": estimator, "n": len(scores), "of": of, "partial": len(scores) < of}


def pass_at(problems: Sequence[ProblemOutcome], **kw) -> dict[str, dict]:
    """Unbiased pass@k for k in ``ks`` (default :func:`default_ks`)."""
    return _kind_metrics("pass", problems, **kw)


def maj_at(problems: Sequence[ProblemOutcome], **kw) -> dict[str, dict]:
    """maj@k over disjoint groups for k >= 2 in ``ks`` (default :func:`default_ks`)."""
    return _kind_metrics("maj", problems, **kw)


maj_at.needs_clusters = True  # type: ignore[attr-defined]


def rate_score(values: Sequence[float]) -> Score:
    """One problem's mean of per-sample values in [0, 1], redrawn as ``len(values)`` units
    at that rate (exact for 0/1 values; the bound of the module docstring otherwise)."""
    m = len(values)
    value = float(np.mean(values))
    return Score(value, m, value, tuple(j / m for j in range(m + 1)))


def rate_metric(problems, per_sample: Callable[[ProblemOutcome], list[float]], name: str, estimator: str, *,
                resamples: int = 2000, seed: int = 0, of: int | None = None) -> dict[str, dict]:
    """``{name: METRIC}`` of the mean over problems of ``per_sample(problem)`` (values in
    [0, 1]; problems with no values are left out), or ``{}`` when no problem has any: the
    building block of rate metrics (plugins use it too)."""
    scores = [rate_score(v) for v in map(per_sample, problems) if v]
    if not scores:
        return {}
    return {name: metric_entry(scores, estimator, len(problems) if of is None else of, resamples=resamples, seed=seed)}


def mean_score(problems: Sequence[ProblemOutcome], *, name: str = "mean_score", **kw) -> dict[str, dict]:
    """The mean over problems of the mean ``verdict.score`` of their samples."""
    return rate_metric(problems, lambda p: [min(1.0, max(0.0, float(v.get("score", 0.0)))) for v in p.verdicts],
                        name, "mean", **kw)


def verdict_rate(problems: Sequence[ProblemOutcome], *, detail: str, name: str | None = None, **kw) -> dict[str, dict]:
    """The mean over problems of the share of samples whose ``verdict.details[detail]`` is
    true, among the samples whose verdict has that detail (named ``rate:<detail>`` unless
    ``name`` is given): per-test-set pass rates, per-constraint rates, answer rates."""
    def values(p: ProblemOutcome) -> list[float]:
        return [float(bool(v["details"][detail])) for v in p.verdicts if detail in (v.get("details") or {})]

    return rate_metric(problems, values, name or f"rate:{detail}", "mean_rate", **kw)


METRICS = {"pass@k": pass_at, "maj@k": maj_at, "mean_score": mean_score, "verdict_rate": verdict_rate}


def compute_metrics(
    problems: Sequence[ProblemOutcome],
    *,
    ks: Sequence[int] | None = None,
    resamples: int = 2000,
    seed: int = 0,
    of: int | None = None,
) -> dict[str, dict]:
    """``{"pass@1": {"value", "ci": [lo, hi], "ci_method", "estimator", "n", "of", "partial"}, ...}``.

    pass@k and maj@k as in the module docstring; maj@1 is not emitted. ``ks`` defaults
    to ``default_ks`` of the largest sample count. A problem with fewer than k samples
    is left out of the k metrics. ``n`` counts the problems a metric is computed over,
    ``of`` the problems it should cover (default: all given), ``partial`` is ``n < of``;
    a metric no problem counts for is omitted. Keys: all pass@ (ascending k), then all maj@.
    """
    kw = {"ks": ks, "resamples": resamples, "seed": seed, "of": of}
    return {**pass_at(problems, **kw), **maj_at(problems, **kw)}


def _attr_sort_key(value: str) -> tuple:
    try:
        num = float(value)
    except ValueError:
        return (1, 0.0, value)
    return (0, num, value) if math.isfinite(num) else (1, 0.0, value)


def breakdown(problems: Sequence[ProblemOutcome], attr: str, compute: Callable | None = None, **kw) -> dict[str, dict]:
    """``compute`` (default :func:`compute_metrics`) per value of ``attrs[attr]``; problems
    lacking the attribute are skipped.

    Keys are sorted: numeric-looking values numerically ("2" before "10"), then the rest
    alphabetically. ``kw`` is passed to ``compute`` (without ``of``: a group's
    coverage counts its problems that have samples, the only ones whose attributes are known).
    """
    compute = compute or compute_metrics
    groups: dict[str, list[ProblemOutcome]] = {}
    for p in problems:
        if attr in p.attrs:
            groups.setdefault(p.attrs[attr], []).append(p)
    return {v: compute(groups[v], **kw) for v in sorted(groups, key=_attr_sort_key)}
