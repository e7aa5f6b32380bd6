"""``harness score RUN``: recompute results.json from a run directory alone.

With ``reverify``, every stored output is split, extracted and checked again with
the current verifier and ``samples.jsonl`` is rewritten atomically (under the
run lock), so an improved verifier can be applied to old runs without
regenerating anything. Each answer is checked with the context the eval checked it
with: the problem text of its document (format requests such as "Express your
answer in base 7", "to the nearest tenth" or multiple-choice options), read from the
run's ``docs.jsonl`` by (task, data hash of the row's config, doc id). A run made
before ``docs.jsonl`` existed (or merged from such shards) lacks it: re-verification
then refuses in one line unless ``data_dir`` gives the data the run used, whose
documents are loaded, checked against the run's data hash and added to
``docs.jsonl``. Rows are never verified without their problem.
"""
from __future__ import annotations

from pathlib import Path

from harness.data import resolve_data_dir
from harness.errors import UsageError
from harness.registry import get_tasks
from harness.runner import compute_run_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.score import VERIFIERS, parse_output
from harness.store import DOCS, DocKey, RunStore, iter_samples, read_docs, write_docs


def row_doc_key(record: dict, manifest: dict) -> DocKey:
    """The ``docs.jsonl`` key of a row of a manifest task: the data hash of the config the
    row was made under (rows without one: the task's current settings)."""
    config = manifest.get("configs", {}).get(record.get("config"))
    settings = config["settings"] if config else manifest["tasks"][record["task"]]["settings"]
    return (record["task"], str(settings.get("data_hash")), record["doc_id"])


def load_doc_entries(data_dir: str, wanted: set[DocKey]) -> dict[DocKey, dict]:
    """``docs.jsonl`` entries for the ``wanted`` keys, loaded from ``data_dir``; data whose
    hash is not the one a key names is a UsageError (one line)."""
    folder = resolve_data_dir(data_dir)
    found: dict[DocKey, dict] = {}
    for task in get_tasks(sorted({t for t, _, _ in wanted})):
        docs, source, data_hash = task.load_docs(folder)
        hashes = {h for t, h, _ in wanted if t == task.name}
        if data_hash not in hashes:
            raise UsageError(f"--data-dir {data_dir}: {source} is not the {task.name} data the run was made with "
                             f"(data hash {data_hash} is not {', '.join(sorted(hashes))}): give the data folder the run used")
        found.update({(task.name, data_hash, d.id): {"task": task.name, "data_hash": data_hash, "doc_id": d.id,
                                                     "problem": d.problem, "gold": d.answer} for d in docs})
    return {k: e for k, e in found.items() if k in wanted}


def problem_context(run_dir: Path, keys: set[DocKey], data_dir: str | None) -> dict[DocKey, str]:
    """The problem text of every document in ``keys``: from ``docs.jsonl``, else (and then
    stored there) from ``data_dir``; documents still without one are a UsageError."""
    docs = read_docs(run_dir) or {}
    missing = keys - docs.keys()
    if missing and data_dir is not None:
        loaded = load_doc_entries(data_dir, missing)
        write_docs(run_dir, loaded.values())
        docs = {**docs, **loaded}
        missing -= loaded.keys()
    if missing:
        what = f"has no {DOCS}" if not (run_dir / DOCS).exists() else f"{DOCS} lacks {len(missing)} of its documents"
        raise UsageError(f"{run_dir} {what} (made by an older harness or merged), so --reverify cannot check answers "
                         f"with their problem texts (base, rounding, options) as the eval did: add --data-dir DIR "
                         f"with the data the run used (checked against its data hash)")
    return {k: docs[k]["problem"] for k in keys}


def _reverify(records: list[dict], manifest: dict, verifier, problems: dict[DocKey, str]) -> list[dict]:
    """Re-split, re-extract and re-check every record of a known task with its problem, in
    one batch (so the checking pool works on them in parallel); records of unknown tasks
    are kept as they are."""
    todo = [(i, r) for i, r in enumerate(records) if r["task"] in manifest["tasks"]]
    parsed = [parse_output(r["output"], extractor=manifest["tasks"][r["task"]]["extractor"],
                           reasoning_content=r.get("thinking") if r.get("thinking_separate") else None,
                           prompt_text=r.get("prompt_text"), finish_reason=r.get("finish_reason"))
              for _, r in todo]
    verdicts = verifier.verify_many([(r["gold"], p, problems[row_doc_key(r, manifest)]) for (_, r), p in zip(todo, parsed)])
    out = list(records)
    for (i, r), p, v in zip(todo, parsed, verdicts):
        out[i] = {**r, "thinking": p.thinking, "answer_text": p.answer_text, "truncated": p.truncated,
                  "extracted": p.extracted, "verdict": v.to_dict()}
    return out


def rescore_run(run_dir: Path, *, reverify: bool = False, verify_timeout: float = 5.0, data_dir: str | None = None) -> dict:
    """Recompute (and with ``reverify`` re-check) a run's results; see the module docstring."""
    if data_dir is not None and not reverify:
        raise UsageError("--data-dir is read only by --reverify (for the problem texts of an older run): "
                         "add --reverify or drop it")
    run_dir = Path(run_dir)
    manifest = RunStore.peek_manifest(run_dir)
    if manifest is None:
        raise UsageError(f"{run_dir} is not a run directory (no manifest.json): give the --output folder of `harness eval`")
    with RunStore(run_dir) as store:
        if reverify:
            records = list(iter_samples(run_dir))
            keys = {row_doc_key(r, manifest) for r in records if r["task"] in manifest["tasks"]}
            problems = problem_context(run_dir, keys, data_dir)
        with EquivPool(timeout_s=verify_timeout) as pool:
            verifier = VERIFIERS["math_equiv"](pool)
            if reverify:
                store.replace_samples(_reverify(records, manifest, verifier, problems))
            results = compute_run_results(run_dir, manifest, verifier)
            store.write_results(results)
    return results
