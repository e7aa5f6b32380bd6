"""Aggregate metrics over sampled answers: unbiased pass@k, maj@k, bootstrap CIs.

Pure code (stdlib + numpy). Every value is a float in [0, 1], never a percentage.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


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
    key: Callable[[str], str] | None = None,
) -> list[int | None]:
    """Group equivalent answers; cluster ids are numbered by first appearance (0, 1, 2...).

    A ``None`` answer (nothing extracted) gets cluster ``None`` and casts no vote.
    An answer whose string, or ``key``, equals that of any earlier answer joins that
    answer's cluster without calling ``same``. Otherwise it is compared with each
    cluster's representative (first member), in cluster order, via ``same(rep, answer)``:
    the first ``True`` joins; ``False`` and ``None`` (undecidable, timeout) do not.
    No match opens a new cluster.
    """
    reps: list[str] = []
    seen: dict[tuple[str, str], int] = {}  # ("s", string) / ("k", key) -> cluster id
    out: list[int | None] = []
    for a in answers:
        if a is None:
            out.append(None)
            continue
        marks = [("s", a)] + ([("k", key(a))] if key is not None else [])
        cid = next((seen[m] for m in marks if m in seen), None)
        if cid is None:
            cid = next((i for i, rep in enumerate(reps) if same(rep, a) is True), None)
        if cid is None:
            cid = len(reps)
            reps.append(a)
        for m in marks:
            seen.setdefault(m, cid)
        out.append(cid)
    return out


def majority_vote(clusters: Sequence[int | None], k: int) -> int | None:
    """The winning cluster among the first k samples (sample index order).

    Most votes wins; a tie goes to the cluster voted for first (lowest sample index).
    ``None`` when none of the first k samples has an answer.
    """
    if not 1 <= k <= len(clusters):
        raise ValueError(f"need 1 <= k <= {len(clusters)}, got k={k}")
    votes: dict[int, int] = {}
    first: dict[int, int] = {}
    for i, c in enumerate(clusters[:k]):
        if c is not None:
            votes[c] = votes.get(c, 0) + 1
            first.setdefault(c, i)
    if not votes:
        return None
    return max(votes, key=lambda c: (votes[c], -first[c]))


@dataclass
class ProblemOutcome:
    """Per-sample results of one problem, in sample index order."""

    problem_id: str
    passed: list[bool]
    clusters: list[int | None]
    attrs: dict[str, str] = field(default_factory=dict)  # e.g. {"subject": "Algebra", "level": "3"}


def maj_at_k_correct(problem: ProblemOutcome, k: int) -> bool:
    """maj@k of one problem: the winning cluster's first member among the first k passed.

    No winner (no answer in the first k) counts as incorrect.
    """
    winner = majority_vote(problem.clusters, k)
    if winner is None:
        return False
    return bool(problem.passed[problem.clusters.index(winner, 0, k)])


def default_ks(n: int) -> list[int]:
    """Every power of two <= n (1, 2, 4, ...), plus n itself, so pass@n and maj@n always appear."""
    ks = [2**i for i in range(n.bit_length())] if n >= 1 else []
    return ks + [n] if ks and ks[-1] != n else ks


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = 2000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile bootstrap (1 - alpha) CI of the mean of per-problem values.

    Resamples problems with replacement; deterministic for a seed. The interval covers
    problem sampling only: generation noise enters only through the per-problem values.
    With one problem, or all values equal, returns (v, v).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if x.size == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def compute_metrics(
    problems: Sequence[ProblemOutcome],
    *,
    ks: Sequence[int] | None = None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, dict]:
    """``{"pass@1": {"value", "ci": [lo, hi], "n"}, ..., "maj@2": {...}, ...}``.

    pass@k averages each problem's unbiased pass@k (pass@1 is its pass rate); maj@k
    averages ``maj_at_k_correct``. maj@1 is not emitted. ``ks`` defaults to
    ``default_ks`` of the largest sample count. A problem with fewer than k samples is
    left out of the k metrics; ``n`` counts the problems that did count, and a metric
    no problem counts for is omitted. Keys: all pass@ (ascending k), then all maj@.
    """
    if not problems:
        return {}
    for p in problems:
        if len(p.passed) != len(p.clusters):
            raise ValueError(f"{p.problem_id}: {len(p.passed)} passed vs {len(p.clusters)} clusters")
    ks = sorted(set(ks if ks is not None else default_ks(max(len(p.passed) for p in problems))))
    per_metric: dict[str, list[float]] = {}
    for k in ks:
        per_metric[f"pass@{k}"] = [pass_at_k(len(p.passed), sum(p.passed), k) for p in problems if len(p.passed) >= k]
    for k in ks:
        if k >= 2:
            per_metric[f"maj@{k}"] = [float(maj_at_k_correct(p, k)) for p in problems if len(p.passed) >= k]
    return {
        name: {"value": float(np.mean(v)), "ci": list(bootstrap_ci(v, resamples=resamples, seed=seed)), "n": len(v)}
        for name, v in per_metric.items()
        if v
    }


def _attr_sort_key(value: str) -> tuple:
    try:
        num = float(value)
    except ValueError:
        return (1, 0.0, value)
    return (0, num, value) if math.isfinite(num) else (1, 0.0, value)


def breakdown(problems: Sequence[ProblemOutcome], attr: str, **kw) -> dict[str, dict]:
    """``compute_metrics`` per value of ``attrs[attr]``; problems lacking the attribute are skipped.

    Keys are sorted: numeric-looking values numerically ("2" before "10"), then the rest
    alphabetically. ``kw`` is passed to ``compute_metrics``.
    """
    groups: dict[str, list[ProblemOutcome]] = {}
    for p in problems:
        if attr in p.attrs:
            groups.setdefault(p.attrs[attr], []).append(p)
    return {v: compute_metrics(groups[v], **kw) for v in sorted(groups, key=_attr_sort_key)}
