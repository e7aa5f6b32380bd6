"""``harness merge``: combine the run directories of ``--shard i/N`` runs into one run.

Shards must come from the same command but for ``--shard`` (same model, backend
options, seed, task versions, data, sampling and prompts) and cover every index
0..N-1 exactly once. The merged run lists each task's documents in the order an
unsharded run would have (shard i holds documents i, i+N, …), so its samples,
metrics and bootstrap intervals equal those of the unsharded run.
"""
from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError
from harness.runner import compute_run_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.score import VERIFIERS
from harness.store import SAMPLES, RunStore, iter_samples, sample_key


def _load_shards(dirs: list[Path]) -> list[tuple[int, dict, Path]]:
    shards = []
    for d in dirs:
        manifest = RunStore.peek_manifest(d)
        if manifest is None:
            raise UsageError(f"{d} is not a run directory (no manifest.json): give the --output folders of the shard runs")
        shard = manifest["run"].get("shard")
        if shard is None:
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


def _same_run(shards: list[tuple[int, dict, Path]]) -> None:
    def identity(m):
        return {k: v for k, v in m["run"].items() if k != "shard"}

    _, first, first_dir = shards[0]
    for _, m, d in shards[1:]:
        if identity(m) != identity(first):
            raise UsageError(f"{d} and {first_dir} were run with different settings ({identity(m)} vs {identity(first)}): merge only shards of one command")
        if set(m["tasks"]) != set(first["tasks"]):
            raise UsageError(f"{d} and {first_dir} hold different tasks: merge only shards of one command")
        for name, t in m["tasks"].items():
            if t["settings"] != first["tasks"][name]["settings"]:
                raise UsageError(f"task {name}: {d} and {first_dir} differ in settings: merge only shards of one command")
        fp, fp0 = m.get("backend", {}).get("weights_fingerprint"), first.get("backend", {}).get("weights_fingerprint")
        if fp and fp0 and fp != fp0:
            raise UsageError(f"{d} and {first_dir} used different model weights: merge only shards of one model")


def _interleave(slices: list[list[str]]) -> list[str]:
    """Undo ``items[i::N]``: shard i's k-th item is item k*N + i."""
    count = len(slices)
    total = sum(len(s) for s in slices)
    return [slices[j % count][j // count] for j in range(total)]


def merge_runs(shard_dirs: list[Path], output: Path) -> dict:
    """Write the merged run to ``output`` (which must not hold a run yet); return its results."""
    output = Path(output)
    if (output / SAMPLES).exists() or RunStore.peek_manifest(output) is not None:
        raise UsageError(f"{output} already holds a run: choose a new --output for the merge")
    shards = _load_shards([Path(d) for d in shard_dirs])
    _same_run(shards)
    manifests = [m for _, m, _ in shards]
    merged = dict(manifests[0])
    merged["run"] = {k: v for k, v in merged["run"].items() if k != "shard"}
    merged["merged_from"] = [str(d) for _, _, d in shards]
    merged["created_at"] = min(m["created_at"] for m in manifests)
    merged["updated_at"] = max(m["updated_at"] for m in manifests)
    merged["tasks"] = {
        name: {**task, "doc_ids": _interleave([m["tasks"][name]["doc_ids"] for m in manifests])}
        for name, task in merged["tasks"].items()
    }
    rows: dict = {}
    for _, _, d in shards:
        for r in iter_samples(d):
            key = sample_key(r)
            if key in rows and rows[key]["output"] != r["output"]:
                raise UsageError(f"{d} and another shard disagree on {key}: the shards do not come from one command")
            rows.setdefault(key, r)
    with RunStore(output) as store, EquivPool() as pool:
        store.write_manifest(merged)
        store.append(rows.values())
        results = compute_run_results(output, merged, VERIFIERS["math_equiv"](pool))
        store.write_results(results)
    return results
