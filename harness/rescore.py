"""``harness score RUN``: recompute results.json from a run directory alone.

Results come from one verdict set (:func:`harness.results.compute_results`): by default
the newest set with a verdict for every sample, ``verdict_set`` picks one by name.

With ``reverify``, every stored output is parsed and checked again with the task's
current extractor chain and verifier, and the verdicts are written as a new complete set
``reverify-<UTC time>`` (each row stamped with the verifier's name and version), which
the results then use. ``samples.jsonl`` and the older sets (the eval-time verdicts) are
never rewritten, so an improved verifier can be applied to old runs without
regenerating or losing anything. Each answer is checked with the document the eval
checked it with (problem text, gold, record with tests or constraints), read from the
run's ``docs.jsonl`` by (task, data hash of the row's config, doc id). A run made before
``docs.jsonl`` existed (or merged from such shards) lacks it: re-verification then
refuses in one line unless ``data_dir`` gives the data the run used, whose documents are
loaded, checked against the run's data hash and added to ``docs.jsonl``. Rows are never
verified without their document. A verifier that needs a judge gets ``judge``.
"""
from __future__ import annotations

from pathlib import Path

from harness.backend_builder import JudgeSpec
from harness.data import resolve_data_dir
from harness.errors import UsageError
from harness.pipeline import TaskScoring, verdict_rows
from harness.registry import all_tasks, get_tasks
from harness.results import compute_results
from harness.scoring.extractors import chain_of
from harness.scoring.verifier import VerifierContext, verifiers_for
from harness.store import DOCS, DocKey, RunStore, iter_samples, new_set_name, read_docs, write_docs
from harness.task import Doc, doc_entry, entry_doc


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
        found.update({(task.name, data_hash, d.id): doc_entry(task.name, data_hash, d) for d in docs})
    return {k: e for k, e in found.items() if k in wanted}


def problem_context(run_dir: Path, keys: set[DocKey], data_dir: str | None) -> dict[DocKey, Doc]:
    """The document of every key in ``keys``: from ``docs.jsonl``, else (and then stored
    there) from ``data_dir``; documents still without one are a UsageError."""
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
    return {k: entry_doc(docs[k]) for k in keys}


def _reverify(run_dir: Path, manifest: dict, ctx: VerifierContext, data_dir: str | None) -> list[dict]:
    """Verdict rows for every sample of a manifest task, from the installed task's current
    chain and verifier, each batch as large as the verifier takes (rows of tasks the run
    does not list are left out)."""
    records = [r for r in iter_samples(run_dir) if r["task"] in manifest["tasks"]]
    installed = all_tasks()
    missing = sorted({r["task"] for r in records} - installed.keys())
    if missing:
        raise UsageError(f"task(s) {', '.join(missing)} of {run_dir} are not installed: install the package that "
                         "provides them to re-verify (or score without --reverify)")
    docs = problem_context(run_dir, {row_doc_key(r, manifest) for r in records}, data_dir)
    groups: dict[tuple[str, str], list[dict]] = {}  # (task, data hash) -> rows: one document per doc id
    for r in records:
        groups.setdefault(row_doc_key(r, manifest)[:2], []).append(r)
    out: list[dict] = []
    with verifiers_for({t: installed[t].verifier for t, _ in groups}, ctx) as verifiers:
        for (t, _), rows in sorted(groups.items()):
            scoring = TaskScoring(t, chain_of(installed[t].extractors), verifiers[t],
                                  {r["doc_id"]: docs[row_doc_key(r, manifest)] for r in rows})
            size = verifiers[t].batch_size
            for i in range(0, len(rows), size):
                out += verdict_rows(scoring, rows[i:i + size])
    return out


def rescore_run(run_dir: Path, *, reverify: bool = False, verify_timeout: float = 5.0, data_dir: str | None = None,
                verdict_set: str | None = None, judge: JudgeSpec | None = None, workers: int | None = None) -> dict:
    """Recompute (and with ``reverify`` re-check into a new verdict set) a run's results;
    see the module docstring."""
    if data_dir is not None and not reverify:
        raise UsageError("--data-dir is read only by --reverify (for the problem texts of an older run): "
                         "add --reverify or drop it")
    if verdict_set is not None and reverify:
        raise UsageError("--verdict-set picks an existing set; --reverify writes a new one: give one of them")
    if judge is not None:
        judge.check()
    run_dir = Path(run_dir)
    manifest = RunStore.peek_manifest(run_dir)
    if manifest is None:
        raise UsageError(f"{run_dir} is not a run directory (no manifest.json): give the --output folder of `harness eval`")
    backend = None
    try:
        with RunStore(run_dir) as store:
            backend = judge.build() if judge is not None and reverify else None
            ctx = VerifierContext(timeout_s=verify_timeout, workers=workers, judge=backend)
            if reverify:
                verdict_set = new_set_name(run_dir)
                store.write_verdict_set(verdict_set, _reverify(run_dir, manifest, ctx, data_dir))
            results = compute_results(run_dir, manifest, verdict_set=verdict_set, ctx=ctx)
            store.write_results(results)
    finally:
        if backend is not None:
            backend.close()
    return results
