"""From stored samples and verdicts to ``results.json``: metrics, breakdowns, counts and cost per task.

The one place results are computed: :func:`compute_results` reads a run directory alone
(manifest, ``samples.jsonl``, one verdict set) and uses each task's declared metrics
(:mod:`harness.scoring.metrics`) and its verifier's maj@k clustering hooks; ``harness
eval``, ``harness score`` and ``harness merge`` all call it.

``results.json``, ``schema_version`` 3 (2: no ``verdict_set``)::

    {"schema_version": 3,
     "verdict_set": "eval" | "reverify-<UTC time>",
     "tasks": {task: {"pass@1": METRIC, ..., "maj@2": METRIC, ..., other declared metrics}},
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

COUNTS: ``problems`` selected, ``samples`` / ``expected_samples`` (index < n; samples
without a verdict in the set are not counted but reported as ``unverified``),
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
from pathlib import Path
from typing import Iterable

import numpy as np

from harness.scoring.metrics import CI_LEVEL, METRICS as BUILTIN_METRICS, ProblemOutcome, breakdown, cluster_answers

SCHEMA_VERSION = 3
TOKEN_FIELDS = ("prompt_tokens", "thinking_tokens", "answer_tokens", "completion_tokens")
DEFAULT_METRICS = (("pass@k", {}), ("maj@k", {}))


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


def metric_function(name: str):
    """The metric registered as ``name`` (the built-ins also when the package metadata is stale)."""
    from harness.registry import METRICS

    return METRICS.find(name) or BUILTIN_METRICS.get(name) or METRICS.get(name)


def _compute(specs: list[tuple[str, dict]]):
    """One function computing every declared metric of a task over a list of problems."""
    functions = [(metric_function(name), params) for name, params in specs]

    def compute(problems, **kw) -> dict:
        out: dict = {}
        for fn, params in functions:
            out.update(fn(problems, **kw, **params) if problems else {})
        return out
    return compute


def task_results(
    samples_by_doc: dict[str, list[dict]],
    *,
    doc_ids: list[str],
    n: int,
    attr_fields: Iterable[str],
    same=None,
    key=None,
    prepare=None,
    metrics: list[tuple[str, dict]] | None = None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict:
    """Metrics, breakdowns, counts and cost of one task over the selected documents.

    Only samples with index < ``n`` and a verdict count. ``metrics``: the task's declared
    metrics as ``(name, params)`` (default pass@k and maj@k). When one of them reads
    clusters (maj@k), ``same``/``key`` cluster predicted answers into votes (see
    ``metrics.cluster_answers``; without ``same``, equal strings are one vote) after
    ``prepare``, if given, received every answer to be clustered (one batch, so a verifier
    can work on them in parallel). ``seed`` seeds the bootstrap intervals (the run seed).
    Returns ``{"metrics", "breakdowns", "counts", "cost"}`` (module docstring).
    """
    specs = list(metrics or DEFAULT_METRICS)
    clustering = any(getattr(metric_function(name), "needs_clusters", False) for name, _ in specs)
    same = same or (lambda a, b: False)  # distinct strings are distinct votes
    problems, counted = [], []
    counts = {"problems": len(doc_ids), "samples": 0, "expected_samples": len(doc_ids) * n, "unverified": 0, "no_answer": 0,
              "truncated": 0, "malformed": 0, "hit_token_limit": 0, "undecided": 0, "timeout": 0, "clustering_undecided": 0,
              "missing_docs": [], "incomplete_docs": 0}
    selected = {d: [r for r in samples_by_doc.get(d, []) if int(r["sample"]) < n] for d in doc_ids}
    counts["unverified"] = sum(r.get("verdict") is None for recs in selected.values() for r in recs)
    selected = {d: [r for r in recs if r.get("verdict") is not None] for d, recs in selected.items()}
    if prepare is not None and clustering:
        prepare([r.get("extracted") for recs in selected.values() for r in recs if r.get("extracted") is not None])
    for doc_id in doc_ids:
        recs = selected[doc_id]
        if not recs:
            counts["missing_docs"].append(doc_id)
            continue
        counts["incomplete_docs"] += len(recs) < n
        for r in recs:
            count_sample(counts, r)
        counted += recs
        undecided: list[tuple[str, str]] = []
        answers = [r.get("extracted") for r in recs]
        problems.append(ProblemOutcome(
            problem_id=doc_id,
            passed=[bool(r["verdict"]["passed"]) for r in recs],
            clusters=cluster_answers(answers, same, key, undecided=undecided) if clustering else [None] * len(recs),
            attrs=dict(recs[0].get("attrs") or {}),
            verdicts=[r["verdict"] for r in recs],
            extracted=answers,
        ))
        counts["clustering_undecided"] += len(undecided)
    compute = _compute(specs)
    values = compute(problems, resamples=resamples, seed=seed, of=len(doc_ids))
    breakdowns = {attr: breakdown(problems, attr, compute, resamples=resamples, seed=seed) for attr in attr_fields}
    breakdowns = {attr: b for attr, b in breakdowns.items() if b}
    return {"metrics": values, "breakdowns": breakdowns, "counts": counts, "cost": task_cost(counted)}


def manifest_metrics(info: dict) -> list[tuple[str, dict]] | None:
    """The metric declarations a manifest task entry records (names or ``[name, params]``)."""
    declared = info.get("metrics")
    if not isinstance(declared, list):
        return None
    return [(m, {}) if isinstance(m, str) else (m[0], dict(m[1])) for m in declared]


def run_results(records: Iterable[dict], manifest: dict, verifiers=None, task_names: list[str] | None = None,
                *, resamples: int = 2000, metrics: dict[str, list] | None = None, verdict_set: str = "eval") -> dict:
    """The whole results.json dict (module docstring) of a run's joined rows (samples with
    their verdicts); ``verifiers``: one object or ``{task: object}`` with the clustering
    hooks (``same``, ``key``, ``prepare``; None: exact strings); ``metrics``: ``{task:
    [(name, params)]}`` (default: what the manifest records, else pass@k and maj@k).
    Intervals are seeded from the manifest's run seed."""
    grouped = group_samples(records)
    seed = int(manifest["run"].get("seed", 0))
    out: dict = {"schema_version": SCHEMA_VERSION, "verdict_set": verdict_set, "tasks": {}, "breakdowns": {}, "counts": {},
                 "cost": {}, "intervals": {"level": CI_LEVEL, "resamples": resamples, "seed": seed}}
    for name in task_names or list(manifest["tasks"]):
        info = manifest["tasks"][name]
        hooks = verifiers.get(name) if isinstance(verifiers, dict) else verifiers
        specs = (metrics or {}).get(name) or manifest_metrics(info)
        res = task_results(grouped.get(name, {}), doc_ids=info["doc_ids"], n=info["settings"]["n"],
                           attr_fields=info.get("attr_fields", []), same=getattr(hooks, "same", None),
                           key=getattr(hooks, "key", None), prepare=getattr(hooks, "prepare", None), metrics=specs,
                           resamples=resamples, seed=seed)
        out["tasks"][name] = res["metrics"]
        if res["breakdowns"]:
            out["breakdowns"][name] = res["breakdowns"]
        out["counts"][name] = res["counts"]
        out["cost"][name] = res["cost"]
    out["run"] = {**manifest["run"], "model_args": manifest["run"].get("model_args", {}),
                  "harness_version": manifest["harness"]["version"], "git_commit": manifest["harness"].get("commit")}
    return out


def compute_results(run_dir: Path, manifest: dict, *, verdict_set: str | None = None, verifiers: dict | None = None,
                    ctx=None) -> dict:
    """results.json of a run directory: its samples joined with ``verdict_set`` (default: the
    newest set with a verdict for every sample of the manifest's tasks, else ``eval``; see
    :func:`harness.store.choose_verdict_set`). ``verifiers``: ``{task: verifier}`` already
    built (the runner's); tasks without one that need maj@k clustering get their registered
    verifier built from ``ctx`` when it has clustering hooks (a task no longer installed
    clusters by exact strings)."""
    from harness.registry import all_tasks
    from harness.scoring.verifier import VerifierContext, verifiers_for
    from harness.store import choose_verdict_set, iter_samples, sample_key, scored_rows

    keys = {sample_key(r) for r in iter_samples(run_dir) if r["task"] in manifest["tasks"]}
    name = choose_verdict_set(run_dir, keys, verdict_set)
    installed = all_tasks()
    specs = {t: installed[t].metric_specs() if t in installed else manifest_metrics(info) or list(DEFAULT_METRICS)
             for t, info in manifest["tasks"].items()}
    given = dict(verifiers or {})
    ctx = ctx or VerifierContext()
    wanted = {t: installed[t].verifier for t in manifest["tasks"] if t not in given and t in installed
              and _clusters(specs[t]) and _has_hooks(installed[t].verifier, ctx)}
    with verifiers_for(wanted, ctx) as built:
        return run_results(scored_rows(run_dir, name), manifest, {**built, **given}, metrics=specs, verdict_set=name)


def _clusters(specs) -> bool:
    return any(getattr(metric_function(n), "needs_clusters", False) for n, _ in specs)


def _has_hooks(verifier_name: str, ctx) -> bool:
    """Whether the verifier has clustering hooks and can be built here (a judge verifier
    without a judge clusters by exact strings)."""
    from harness.scoring.verifier import verifier_factory

    factory = verifier_factory(verifier_name)
    buildable = ctx.judge is not None or not getattr(factory, "needs_judge", False)
    return buildable and any(hasattr(factory, hook) for hook in ("same", "key"))
