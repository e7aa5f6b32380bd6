"""From stored samples to ``results.json``: metrics, breakdowns and counts per task.

Reads only sample records (as the run store holds them), so ``harness score`` and
reports can recompute everything from a run directory alone.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from harness.scoring.metrics import ProblemOutcome, breakdown, cluster_answers, compute_metrics


def group_samples(records: Iterable[dict]) -> dict[str, dict[str, list[dict]]]:
    """task -> doc_id -> records sorted by sample index."""
    grouped: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        grouped[r["task"]][r["doc_id"]].append(r)
    for docs in grouped.values():
        for recs in docs.values():
            recs.sort(key=lambda r: int(r["sample"]))
    return grouped


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
    """Metrics, breakdowns and counts of one task over the selected documents.

    Only samples with index < ``n`` count. ``same``/``key`` cluster predicted
    answers into votes for maj@k (see ``metrics.cluster_answers``); ``prepare``, if
    given, first receives every answer to be clustered (one batch, so a verifier can
    work on them in parallel). ``undecided`` counts verdicts the verifier could not
    decide (timeouts included), ``timeout`` the checks cut off by the time limit.
    """
    problems = []
    counts = {"problems": len(doc_ids), "samples": 0, "expected_samples": len(doc_ids) * n, "no_answer": 0, "truncated": 0,
              "hit_token_limit": 0, "undecided": 0, "timeout": 0, "missing_docs": [], "incomplete_docs": 0}
    if prepare is not None:
        prepare([r.get("extracted") for doc_id in doc_ids for r in samples_by_doc.get(doc_id, [])
                 if int(r["sample"]) < n and r.get("extracted") is not None])
    for doc_id in doc_ids:
        recs = [r for r in samples_by_doc.get(doc_id, []) if int(r["sample"]) < n]
        if not recs:
            counts["missing_docs"].append(doc_id)
            continue
        if len(recs) < n:
            counts["incomplete_docs"] += 1
        counts["samples"] += len(recs)
        for r in recs:
            reason = r["verdict"]["reason"]
            counts["no_answer"] += reason == "no_answer"
            counts["truncated"] += bool(r.get("truncated"))
            counts["hit_token_limit"] += r.get("finish_reason") == "length"
            counts["undecided"] += bool(r["verdict"].get("details", {}).get("undecided")) or reason in ("timeout", "undecided")
            counts["timeout"] += reason == "timeout"
        answers = [r.get("extracted") for r in recs]
        problems.append(
            ProblemOutcome(
                problem_id=doc_id,
                passed=[bool(r["verdict"]["passed"]) for r in recs],
                clusters=cluster_answers(answers, same, key),
                attrs=dict(recs[0].get("attrs") or {}),
            )
        )
    metrics = compute_metrics(problems, resamples=resamples, seed=seed)
    breakdowns = {attr: breakdown(problems, attr, resamples=resamples, seed=seed) for attr in attr_fields}
    breakdowns = {attr: b for attr, b in breakdowns.items() if b}
    return {"metrics": metrics, "breakdowns": breakdowns, "counts": counts}
