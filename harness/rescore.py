"""``harness score RUN``: recompute results.json from a run directory alone.

With ``reverify``, every stored output is split, extracted and checked again with
the current verifier and ``samples.jsonl`` is rewritten atomically (under the
run lock), so an improved verifier can be applied to old runs without
regenerating anything. Sample rows do not store the problem statement, so
re-verification runs without problem context: format requests in the problem
("Express your answer in base 7", "to the nearest tenth", multiple-choice option
texts) are not read, and a gold written ``1011_2`` names the base by itself.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import UsageError
from harness.runner import compute_run_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.score import VERIFIERS, parse_output
from harness.store import SAMPLES, RunStore, iter_samples


def _reverify(records: list[dict], manifest: dict, verifier) -> list[dict]:
    """Re-split, re-extract and re-check every record of a known task, in one batch (so the
    checking pool works on them in parallel); records of unknown tasks are kept as they are."""
    todo = [(i, r) for i, r in enumerate(records) if r["task"] in manifest["tasks"]]
    parsed = [parse_output(r["output"], extractor=manifest["tasks"][r["task"]]["extractor"],
                           reasoning_content=r.get("thinking") if r.get("thinking_separate") else None,
                           prompt_text=r.get("prompt_text"), finish_reason=r.get("finish_reason"))
              for _, r in todo]
    verdicts = verifier.verify_many([(r["gold"], p) for (_, r), p in zip(todo, parsed)])
    out = list(records)
    for (i, r), p, v in zip(todo, parsed, verdicts):
        out[i] = {**r, "thinking": p.thinking, "answer_text": p.answer_text, "truncated": p.truncated,
                  "extracted": p.extracted, "verdict": v.to_dict()}
    return out


def rescore_run(run_dir: Path, *, reverify: bool = False, verify_timeout: float = 5.0) -> dict:
    run_dir = Path(run_dir)
    manifest = RunStore.peek_manifest(run_dir)
    if manifest is None:
        raise UsageError(f"{run_dir} is not a run directory (no manifest.json): give the --output folder of `harness eval`")
    with RunStore(run_dir) as store, EquivPool(timeout_s=verify_timeout) as pool:
        verifier = VERIFIERS["math_equiv"](pool)
        if reverify:
            records = _reverify(list(iter_samples(run_dir)), manifest, verifier)
            tmp = run_dir / f".{SAMPLES}.tmp"
            with tmp.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, run_dir / SAMPLES)
        results = compute_run_results(run_dir, manifest, verifier)
        store.write_results(results)
    return results
