"""Replay real reasoning-model generations and compare with their recorded labels.

The labels come from another rule grader with known errors (see PROVENANCE.md),
so a disagreement is a case to read, not a target: every one is written to
``build/test-artifacts/replay_disagreements.jsonl`` with both answers. The test
asserts that pooled accuracy over all records is within 1.5 points of the labels.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.runner import EvalConfig, run_eval
from harness.store import scored_rows

ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts"

# file -> (task, local data file, field holding the problem text in that file)
FILES = {
    "skythought_Sky-T1-math-correct-5K-27B_math500.jsonl": ("math500", "math500/test.jsonl", "unique_id"),
    "skythought_Qwen2.5-14B-Instruct_math500.jsonl": ("math500", "math500/test.jsonl", "unique_id"),
    "qwen25math_math_cot_100_x8.jsonl": ("math500", "math500/test.jsonl", "unique_id"),
    "skythought_Sky-T1-math-correct-5K-32B_aime24.jsonl": ("aime24", "aime/aime2024.jsonl", "id"),
    "skythought_Sky-T1-math-correct-5K-14B_aime24.jsonl": ("aime24", "aime/aime2024.jsonl", "id"),
    "skythought_Sky-T1-math-correct-5K-14B_amc23.jsonl": ("amc23", "amc23/test.jsonl", "id"),
}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _predictions(data: Path, name: str) -> tuple[str, list[dict], dict]:
    """Predictions in replay format and the recorded label per (doc_id, sample)."""
    task, data_file, id_field = FILES[name]
    by_problem = {}
    for line in (data / data_file).read_text().splitlines():
        r = json.loads(line)
        by_problem[_norm(r["problem"])] = str(r[id_field])
    preds, labels, per_doc = [], {}, {}
    for line in (data / "model_outputs" / name).read_text().splitlines():
        r = json.loads(line)
        doc_id = by_problem.get(_norm(r["question"]))
        if doc_id is None:
            continue  # a MATH problem outside MATH-500: no task to score it against
        sample = per_doc.get(doc_id, 0)
        per_doc[doc_id] = sample + 1
        preds.append({"task": task, "doc_id": doc_id, "sample": sample, "output": r["response"]})
        labels[(doc_id, sample)] = (bool(r["correct"]), r["pred_answer"])
    return task, preds, labels


def test_replay_matches_recorded_labels_within_1_5_points(shared_data, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    disagreements, ours_total, theirs_total, count = [], 0, 0, 0
    for name in FILES:
        task, preds, labels = _predictions(shared_data, name)
        assert preds, f"no record of {name} matched a {task} problem"
        pred_file = tmp_path / f"{name}.pred.jsonl"
        pred_file.write_text("".join(json.dumps(p) + "\n" for p in preds))
        run = tmp_path / name
        run_eval(EvalConfig(model=None, backend="replay", tasks=[task], output=run, predictions=str(pred_file),
                            data_dir=str(shared_data), progress=False), log=lambda m: None)
        for r in scored_rows(run):
            label, their_answer = labels[(r["doc_id"], r["sample"])]
            ours = r["verdict"]["passed"]
            ours_total += ours
            theirs_total += label
            count += 1
            if ours != label:
                disagreements.append({"file": name, "doc_id": r["doc_id"], "sample": r["sample"], "gold": r["gold"],
                                      "ours": ours, "our_answer": r["extracted"], "our_reason": r["verdict"]["reason"],
                                      "label": label, "their_answer": their_answer, "truncated": r["truncated"]})
    (ARTIFACTS / "replay_disagreements.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in disagreements))
    ours_acc, their_acc = 100 * ours_total / count, 100 * theirs_total / count
    print(f"replayed {count} records: ours {ours_acc:.2f}%, labels {their_acc:.2f}%, {len(disagreements)} disagreements")
    assert count >= 1100  # 500 + 500 + 40 (MATH-500 part of the x8 file) + 30 + 30 + 40
    assert abs(ours_acc - their_acc) <= 1.5, f"ours {ours_acc:.2f} vs labels {their_acc:.2f}; see {ARTIFACTS}"
