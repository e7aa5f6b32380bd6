"""``harness merge``: combine the run directories of ``--shard i/N`` runs into one run.

Shards must come from the same command but for ``--shard`` (same model, backend
options, seed, task versions, data, sampling, prompts and ``--limit``; one line names
what differs) and cover every index 0..N-1 exactly once. Every valid row of every
shard is read (invalid lines are skipped and reported, the shards are never changed),
and so is every verdict set: the merged run holds, per set name, the union of the
shards' verdicts (a set some shard lacks is incomplete there, so results default to a
set every shard has). The merged run lists each task's documents in the order an
unsharded run would have (shard i holds documents i, i+N, …), so its samples,
metrics and bootstrap intervals equal those of the unsharded run.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from harness import selection
from harness.errors import UsageError
from harness.results import compute_results
from harness.run_config import settings_changes
from harness.store import (RunStore, check_run_dir, describe_lines, iter_samples, iter_verdicts, read_docs, read_manifest,
                           sample_key, verdict_set_path, verdict_sets, warn, write_docs)


def _load_shards(dirs: list[Path]) -> list[tuple[int, dict, Path]]:
    shards = []
    for d in dirs:
        manifest = read_manifest(d)
        if manifest is None:
            raise UsageError(f"{d} is not a run directory (no manifest.json): give the --output folders of the shard runs")
        shard = manifest["run"].get("shard")
        if not isinstance(shard, dict) or not isinstance(shard.get("index"), int) or not isinstance(shard.get("count"), int):
            raise UsageError(f"{d} is not a shard run (it was not made with --shard i/N)")
        shards.append((shard["index"], manifest, Path(d)))
    counts = {m["run"]["shard"]["count"] for _, m, _ in shards}
    if len(counts) != 1:
        raise UsageError(f"the shards were cut into different counts ({sorted(counts)}): merge the shards of one split")
    (count,) = counts
    indices = sorted(i for i, _, _ in shards)
    if indices != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        raise UsageError(f"shards must cover 0..{count - 1} exactly once; got {indices}"
                         + (f" (missing {', '.join(map(str, missing))})" if missing else ""))
    return sorted(shards, key=lambda s: s[0])


def _shard_changes(first: dict, other: dict) -> list[str]:
    """What differs between two shards' commands (run-wide settings, tasks, each task's
    settings and --limit), as short phrases; empty when they come from one command."""
    def run(m):
        return {k: v for k, v in m["run"].items() if k != "shard"}

    changes = [phrase for _, phrase in settings_changes(run(first), run(other))]
    if set(first["tasks"]) != set(other["tasks"]):
        changes.append(f"tasks {','.join(sorted(first['tasks']))} -> {','.join(sorted(other['tasks']))}")
    for name in sorted(set(first["tasks"]) & set(other["tasks"])):
        a, b = first["tasks"][name], other["tasks"][name]
        changes += [f"{name} {phrase}" for _, phrase in settings_changes(a["settings"], b["settings"])]
        if a.get("limit") != b.get("limit"):
            changes.append(f"{name} --limit {a.get('limit') or 'none'} -> {b.get('limit') or 'none'}")
        elif selection.recorded(a) != selection.recorded(b):  # --sample-docs, --doc-ids
            changes.append(f"{name} selection {selection.text(selection.recorded(a))} -> {selection.text(selection.recorded(b))}")
    fp, fp0 = other.get("backend", {}).get("weights_fingerprint"), first.get("backend", {}).get("weights_fingerprint")
    if fp and fp0 and fp != fp0 and "model weights (local folder) changed" not in changes:
        changes.append("model weights changed")
    return changes


def _same_run(shards: list[tuple[int, dict, Path]]) -> None:
    _, first, first_dir = shards[0]
    for _, m, d in shards[1:]:
        changes = _shard_changes(first, m)
        if changes:
            raise UsageError(f"{d} and {first_dir} were run with different settings ({'; '.join(changes[:4])}"
                             f"{'; …' if len(changes) > 4 else ''}): merge only shards of one command")


def _interleave(slices: list[list[str]]) -> list[str]:
    """Undo ``items[i::N]``: shard i's k-th item is item k*N + i. Slices of lengths no
    single list could have been cut into are a UsageError."""
    count = len(slices)
    total = sum(len(s) for s in slices)
    if [len(s) for s in slices] != [len(range(total)[i::count]) for i in range(count)]:
        raise UsageError(f"the shards hold {[len(s) for s in slices]} documents, which no one selection cut into "
                         f"{count} shards gives: merge only shards of one command (same --limit)")
    return [slices[j % count][j // count] for j in range(total)]


def _merged_rows(shards: list[tuple[int, dict, Path]], log) -> dict:
    """Every valid row of every shard by key; invalid lines are skipped and reported."""
    rows: dict = {}
    for _, _, d in shards:
        skipped: list[int] = []
        for r in iter_samples(d, skipped):
            key = sample_key(r)
            if key in rows and rows[key]["output"] != r["output"]:
                raise UsageError(f"{d} and another shard disagree on {key}: the shards do not come from one command")
            rows.setdefault(key, r)
        if skipped:
            log(f"{describe_lines(str(d / 'samples.jsonl'), skipped)}: skipped (the shard is left as it is)")
    return rows


def _merged_verdicts(shards: list[tuple[int, dict, Path]], log) -> dict[str, dict]:
    """Set name -> the union of the shards' verdict rows by key; invalid lines are skipped and reported."""
    sets: dict[str, dict] = {}
    for _, _, d in shards:
        for name in verdict_sets(d):
            skipped: list[int] = []
            rows = sets.setdefault(name, {})
            for r in iter_verdicts(d, name, skipped):
                rows[sample_key(r)] = r
            if skipped:
                log(f"{describe_lines(str(verdict_set_path(d, name)), skipped)}: skipped (the shard is left as it is)")
    return sets


def merge_runs(shard_dirs: list[Path], output: Path, *, log=warn) -> dict:
    """Write the merged run to ``output`` (new or empty); return its results. On any error
    the output directory is removed again if this call created it."""
    output = Path(output)
    if check_run_dir(output) is not None:
        raise UsageError(f"{output} already holds a run: choose a new --output for the merge")
    shards = _load_shards([Path(d) for d in shard_dirs])
    _same_run(shards)
    manifests = [m for _, m, _ in shards]
    merged = dict(manifests[0])
    merged.pop("schema_version", None)
    merged["run"] = {k: v for k, v in merged["run"].items() if k != "shard"}
    merged["merged_from"] = [str(d) for _, _, d in shards]
    merged["created_at"] = min(m["created_at"] for m in manifests)
    merged["updated_at"] = max(m["updated_at"] for m in manifests)
    merged["configs"] = {cid: c for m in manifests for cid, c in m.get("configs", {}).items()}
    merged["tasks"] = {
        name: {**task, "doc_ids": _interleave([m["tasks"][name]["doc_ids"] for m in manifests])}
        for name, task in merged["tasks"].items()
    }
    rows = _merged_rows(shards, log)
    verdicts = _merged_verdicts(shards, log)
    created = not output.exists()
    try:
        with RunStore(output, log=log) as store:
            store.write_manifest(merged)
            write_docs(output, (e for _, _, d in shards for e in (read_docs(d) or {}).values()))
            store.append(rows.values())
            for name, entries in verdicts.items():
                store.write_verdict_set(name, entries.values())
            results = compute_results(output, merged)
            store.write_results(results)
    except BaseException:
        if created:
            shutil.rmtree(output, ignore_errors=True)  # a merged run is derived: leave no partial one
        raise
    return results
