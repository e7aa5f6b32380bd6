"""From stored samples to ``results.json``: metrics, breakdowns, counts and cost per task.

Reads only sample records (as the run store holds them) and the manifest, so
``harness score`` and reports can recompute everything from a run directory alone.

``results.json``, ``schema_version`` 2::

    {"schema_version": 2,
     "tasks": {task: {"pass@1": METRIC, ..., "maj@2": METRIC, ...}},
     "breakdowns": {task: {attr: {value: {"pass@1": METRIC, ...}}}},
     "counts": {task: COUNTS},
     "cost": {task: COST},
     "intervals": {"level": 0.95, "resamples": 2000, "seed": run seed},
     "run": {backend, model, model_args, seed, ..., harness_version, git_commit}}

METRIC: ``value`` in [0, 1]; ``ci`` [lo, hi] and ``ci_method`` (``"wilson"`` or
``"wilson+bootstrap2"``); ``estimator`` (``"unbiased"`` pass@k, ``"disjoint_groups"``
maj@k); ``n`` problems it is computed over, ``of`` problems the task selected,
``partial`` when n < of (see ``harness.scoring.metrics``). In breakdowns ``of`` counts
the group's problems that have samples (missing documents have no known attributes).

COUNTS: ``problems`` selected, ``samples`` / ``expected_samples`` (index < n),
``missing_docs`` (ids without samples), ``incomplete_docs``; per sample: ``no_answer``,
``truncated`` (thought cut off), ``malformed`` (unclosed thought although the model
stopped), ``hit_token_limit``, ``undecided`` (verification not decided, timeouts
included) of which ``timeout``; ``clustering_undecided``: maj@k comparisons between
answers that could not be decided (timeouts included): those answers stay apart.

COST (token fields ``null`` when no counted sample has them, e.g. replay): for
``prompt_tokens``, ``thinking_tokens``, ``answer_tokens``, ``completion_tokens``:
``{"mean", "median", "p90", "total", "samples"}`` over the samples that report it;
``latency_s``: ``{"mean", "median", "p90", "samples"}``; ``tokens_per_second``: completion
tokens over latency, summed over samples with both; ``completion_tokens_per_correct``:
completion tokens of all samples with a count over the number of those that passed.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import numpy as np

from harness.scoring.metrics import CI_LEVEL, ProblemOutcome, breakdown, cluster_answers, compute_metrics

SCHEMA_VERSION = 2
TOKEN_FIELDS = ("prompt_tokens", "thinking_tokens", "answer_tokens", "completion_tokens")


def group_samples(records: Iterable[dict]) -> dict[str, dict[str, list[dict]]]:
    """task -> doc_id -> records sorted by sample index."""
    grouped: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        grouped[r["task"]][r["doc_id"]].append(r)
    for docs in grouped.values():
        for recs in docs.values():
            recs.sort(key=lambda r: int(r["sample"]))
    return grouped


def count_sample(counts: dict, r: dict) -> None:
    """Add one sample row's verdict reasons and flags to ``counts``."""
    verdict = r["verdict"]
    reason = verdict["reason"]
    counts["samples"] += 1
    counts["no_answer"] += reason == "no_answer"
    counts["truncated"] += bool(r.get("truncated"))
    counts["malformed"] += reason == "malformed"
    counts["hit_token_limit"] += r.get("finish_reason") == "length"
    counts["undecided"] += bool(verdict.get("details", {}).get("undecided")) or reason in ("timeout", "undecided")
    counts["timeout"] += reason == "timeout"


def _stats(values: list[float], *, total: bool = True) -> dict | None:
    if not values:
        return None
    x = np.asarray(values, dtype=float)
    out = {"mean": float(x.mean()), "median": float(np.median(x)), "p90": float(np.percentile(x, 90))}
    return {**out, "total": float(x.sum()), "samples": len(values)} if total else {**out, "samples": len(values)}


def task_cost(recs: list[dict]) -> dict:
    """The COST block (module docstring) of the counted sample rows ``recs``."""
    out: dict = {f: _stats([r[f] for r in recs if r.get(f) is not None]) for f in TOKEN_FIELDS}
    out["latency_s"] = _stats([r["latency_s"] for r in recs if r.get("latency_s") is not None], total=False)
    timed = [r for r in recs if r.get("completion_tokens") is not None and r.get("latency_s")]
    out["tokens_per_second"] = (sum(r["completion_tokens"] for r in timed) / sum(r["latency_s"] for r in timed)
                                if timed else None)
    counted = [r for r in recs if r.get("completion_tokens") is not None]
    correct = sum(bool(r["verdict"]["passed"]) for r in counted)
    out["completion_tokens_per_correct"] = sum(r["completion_tokens"] for r in counted) / correct if correct else None
    return out


def task_results(
    samples_by_doc: dict[str, list[dict]],
    *,
    doc_ids: list[str],
    n: int,
    attr_fields: Iterable[str],
    same,
    key,
    prepare=None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict:
    """Metrics, breakdowns, counts and cost of one task over the selected documents.

    Only samples with index < ``n`` count. ``same``/``key`` cluster predicted
    answers into votes for maj@k (see ``metrics.cluster_answers``); ``prepare``, if
    given, first receives every answer to be clustered (one batch, so a verifier can
    work on them in parallel). ``seed`` seeds the bootstrap intervals (the run seed).
    Returns ``{"metrics", "breakdowns", "counts", "cost"}`` (module docstring).
    """
    problems, counted = [], []
    counts = {"problems": len(doc_ids), "samples": 0, "expected_samples": len(doc_ids) * n, "no_answer": 0, "truncated": 0,
              "malformed": 0, "hit_token_limit": 0, "undecided": 0, "timeout": 0, "clustering_undecided": 0,
              "missing_docs": [], "incomplete_docs": 0}
    if prepare is not None:
        prepare([r.get("extracted") for doc_id in doc_ids for r in samples_by_doc.get(doc_id, [])
                 if int(r["sample"]) < n and r.get("extracted") is not None])
    for doc_id in doc_ids:
        recs = [r for r in samples_by_doc.get(doc_id, []) if int(r["sample"]) < n]
        if not recs:
            counts["missing_docs"].append(doc_id)
            continue
        counts["incomplete_docs"] += len(recs) < n
        for r in recs:
            count_sample(counts, r)
        counted += recs
        undecided: list[tuple[str, str]] = []
        problems.append(ProblemOutcome(
            problem_id=doc_id,
            passed=[bool(r["verdict"]["passed"]) for r in recs],
            clusters=cluster_answers([r.get("extracted") for r in recs], same, key, undecided=undecided),
            attrs=dict(recs[0].get("attrs") or {}),
        ))
        counts["clustering_undecided"] += len(undecided)
    metrics = compute_metrics(problems, resamples=resamples, seed=seed, of=len(doc_ids))
    breakdowns = {attr: breakdown(problems, attr, resamples=resamples, seed=seed) for attr in attr_fields}
    breakdowns = {attr: b for attr, b in breakdowns.items() if b}
    return {"metrics": metrics, "breakdowns": breakdowns, "counts": counts, "cost": task_cost(counted)}


def run_results(records: Iterable[dict], manifest: dict, verifier, task_names: list[str] | None = None,
                *, resamples: int = 2000) -> dict:
    """The whole results.json dict (module docstring) of a run's sample rows; intervals
    are seeded from the manifest's run seed."""
    grouped = group_samples(records)
    seed = int(manifest["run"].get("seed", 0))
    out: dict = {"schema_version": SCHEMA_VERSION, "tasks": {}, "breakdowns": {}, "counts": {}, "cost": {},
                 "intervals": {"level": CI_LEVEL, "resamples": resamples, "seed": seed}}
    for name in task_names or list(manifest["tasks"]):
        info = manifest["tasks"][name]
        res = task_results(grouped.get(name, {}), doc_ids=info["doc_ids"], n=info["settings"]["n"],
                           attr_fields=info.get("attr_fields", []), same=verifier.same, key=verifier.key,
                           prepare=getattr(verifier, "prepare", None), resamples=resamples, seed=seed)
        out["tasks"][name] = res["metrics"]
        if res["breakdowns"]:
            out["breakdowns"][name] = res["breakdowns"]
        out["counts"][name] = res["counts"]
        out["cost"][name] = res["cost"]
    out["run"] = {**manifest["run"], "model_args": manifest["run"].get("model_args", {}),
                  "harness_version": manifest["harness"]["version"], "git_commit": manifest["harness"].get("commit")}
    return out
