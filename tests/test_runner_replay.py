"""The runner end to end through the replay backend (no model needed)."""
import json

import pytest

from harness.cli import main
from harness.store import iter_samples, scored_rows


def write_preds(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def amc_preds(tmp_path):
    # amc23-0 gold 27; amc23-1 gold 36 (see shared/data/amc23/test.jsonl)
    return write_preds(tmp_path / "preds.jsonl", [
        {"task": "amc23", "doc_id": "amc23-0", "sample": 0, "output": "<think>27?</think> so \\boxed{27}"},
        {"task": "amc23", "doc_id": "amc23-0", "sample": 1, "output": "\\boxed{27.0}"},
        {"task": "amc23", "doc_id": "amc23-0", "sample": 2, "output": "\\boxed{26}"},
        {"task": "amc23", "doc_id": "amc23-0", "sample": 3, "output": "<think>never closed \\boxed{27}",
         "finish_reason": "length"},
        {"task": "amc23", "doc_id": "amc23-1", "sample": 0, "output": "\\boxed{35}"},
        {"task": "amc23", "doc_id": "amc23-1", "sample": 1, "output": "\\boxed{35}"},
        {"task": "amc23", "doc_id": "amc23-1", "sample": 2, "output": "\\boxed{36}"},
        {"task": "amc23", "doc_id": "amc23-1", "sample": 3, "output": "I could not work this one out, sorry."},
    ])


def eval_args(preds, out, data, *extra):
    return ["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23", "--limit", "3",
            "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def test_replay_scores_counts_and_reports_missing(tmp_path, amc_preds, shared_data, capsys):
    out = tmp_path / "run"
    assert main(eval_args(amc_preds, out, shared_data)) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    m = results["tasks"]["amc23"]
    # doc0: 2 of 4 pass (27, 27.0), doc1: 1 of 4 -> pass@1 = (0.5 + 0.25) / 2
    assert m["pass@1"]["value"] == pytest.approx(0.375)
    assert m["pass@1"]["n"] == 2
    # maj@4: doc0 votes {27: 2 (27 and 27.0 are one vote), 26: 1} -> right; doc1 {35: 2, 36: 1} -> wrong
    assert m["maj@4"]["value"] == pytest.approx(0.5)
    c = results["counts"]["amc23"]
    assert c["missing_docs"] == ["amc23-2"]
    assert c["truncated"] == 1 and c["no_answer"] == 1
    assert "amc23: no samples for amc23-2" in printed
    rows = {(r["doc_id"], r["sample"]): r for r in scored_rows(out)}
    assert rows[("amc23-0", 3)]["verdict"]["reason"] == "truncated"
    assert (rows[("amc23-0", 0)]["extracted"], rows[("amc23-0", 0)]["rule"]) == ("27", "boxed")
    assert "verdict" not in next(iter_samples(out))  # samples.jsonl holds generations only
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tasks"]["amc23"]["settings"]["data_hash"].startswith("sha256:")
    assert manifest["tasks"]["amc23"]["settings"]["n"] == 4


def test_rerun_adds_nothing_and_keeps_results(tmp_path, amc_preds, shared_data, capsys):
    out = tmp_path / "run"
    assert main(eval_args(amc_preds, out, shared_data)) == 0
    first = (out / "samples.jsonl").read_text()
    res1 = json.loads((out / "results.json").read_text())
    assert main(eval_args(amc_preds, out, shared_data)) == 0
    assert (out / "samples.jsonl").read_text() == first
    assert json.loads((out / "results.json").read_text())["tasks"] == res1["tasks"]


def test_changed_settings_refuse_to_mix_unless_asked(tmp_path, amc_preds, shared_data, capsys):
    out = tmp_path / "run"
    assert main(eval_args(amc_preds, out, shared_data)) == 0
    capsys.readouterr()
    before = (out / "samples.jsonl").read_text()
    assert main(eval_args(amc_preds, out, shared_data, "--seed", "1")) == 2
    err = capsys.readouterr().err
    assert "other settings" in err and "seed 0 -> 1" in err
    assert (out / "samples.jsonl").read_text() == before
    assert main(eval_args(amc_preds, out, shared_data, "--seed", "1", "--allow-config-change")) == 0


def test_score_recomputes_results_from_samples(tmp_path, amc_preds, shared_data, capsys):
    out = tmp_path / "run"
    assert main(eval_args(amc_preds, out, shared_data)) == 0
    expected = json.loads((out / "results.json").read_text())
    (out / "results.json").unlink()
    assert main(["score", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["tasks"] == expected["tasks"]
    assert main(["score", str(out), "--reverify"]) == 0
    assert json.loads((out / "results.json").read_text())["tasks"] == expected["tasks"]


def test_math500_results_break_down_by_subject_and_level(tmp_path, shared_data):
    recs = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()[:6]]
    preds = write_preds(tmp_path / "p.jsonl", [
        {"task": "math500", "doc_id": r["unique_id"], "sample": 0, "output": f"\\boxed{{{r['answer']}}}"} for r in recs
    ])
    out = tmp_path / "run"
    assert main(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "math500", "--limit", "6",
                 "--data-dir", str(shared_data), "--output", str(out), "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["tasks"]["math500"]["pass@1"]["value"] == 1.0
    b = results["breakdowns"]["math500"]
    assert set(b) == {"subject", "level"}
    assert set(b["subject"]) == {r["subject"] for r in recs}
    assert sum(v["pass@1"]["n"] for v in b["level"].values()) == 6
