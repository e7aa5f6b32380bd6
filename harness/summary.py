"""The terminal summary of a results dict (as written to results.json)."""
from __future__ import annotations


def _pct(metric: dict | None) -> str:
    """``value [lo, hi]`` in percent, with ``(n/of problems)`` when the metric is partial."""
    if not metric:
        return "-"
    lo, hi = metric["ci"]
    text = f"{100 * metric['value']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
    return text + (f" ({metric['n']}/{metric['of']} problems)" if metric.get("partial") else "")


def _largest(metrics: dict, prefix: str) -> tuple[str, dict | None]:
    keys = [k for k in metrics if k.startswith(prefix)]
    if not keys:
        return prefix + "k", None
    key = max(keys, key=lambda k: int(k.split("@")[1]))
    return key, metrics[key]


def _tokens(cost: dict | None) -> str:
    """Mean thinking + answer tokens per sample, or completion tokens when not split; "-" if unknown."""
    cost = cost or {}
    if cost.get("thinking_tokens") and cost.get("answer_tokens"):
        return f"{cost['thinking_tokens']['mean']:.0f}+{cost['answer_tokens']['mean']:.0f}"
    return f"{cost['completion_tokens']['mean']:.0f}" if cost.get("completion_tokens") else "-"


def _others(metrics: dict) -> str:
    """The task's other declared metrics (answer rates, per-test or per-constraint rates), value in percent."""
    shown = [f"{k} {100 * m['value']:.1f}" for k, m in metrics.items() if not k.startswith(("pass@", "maj@"))]
    return ", ".join(shown) or "-"


def format_table(results: dict) -> str:
    """One row per task: pass@1, the largest pass@k and maj@k with 95% CIs (marked when
    computed over fewer problems than selected), the task's other metrics, counts, and mean
    tokens per sample; then the verdict set the results come from when it is not ``eval``."""
    rows = [("task", "problems", "samples", "pass@1 % [95% CI]", "pass@k %", "maj@k %", "other metrics %", "no answer",
             "truncated", "malformed", "undecided", "undecided votes", "tokens (think+answer)")]
    for name, metrics in results["tasks"].items():
        c = results["counts"][name]
        pk_name, pk = _largest(metrics, "pass@")
        mk_name, mk = _largest(metrics, "maj@")
        rows.append((
            name,
            f"{c['problems'] - len(c['missing_docs'])}/{c['problems']}",
            f"{c['samples']}/{c['expected_samples']}",
            _pct(metrics.get("pass@1")),
            f"{pk_name} {_pct(pk)}" if pk and pk_name != "pass@1" else "-",
            f"{mk_name} {_pct(mk)}" if mk else "-",
            _others(metrics),
            str(c["no_answer"]),
            str(c["truncated"]),
            str(c.get("malformed", 0)),
            str(c["undecided"]),
            str(c.get("clustering_undecided", 0)),
            _tokens(results.get("cost", {}).get(name)),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    missing = {name: c["missing_docs"] for name, c in results["counts"].items() if c["missing_docs"]}
    for name, docs in missing.items():
        shown = ", ".join(docs[:5]) + (f", … ({len(docs)} in all)" if len(docs) > 5 else "")
        lines.append(f"{name}: no samples for {shown}")
    unverified = {name: c["unverified"] for name, c in results["counts"].items() if c.get("unverified")}
    for name, count in unverified.items():
        lines.append(f"{name}: {count} samples have no verdict in set {results.get('verdict_set', 'eval')} (not counted)")
    if results.get("verdict_set", "eval") != "eval":
        lines.append(f"verdicts: set {results['verdict_set']}")
    return "\n".join(lines)
