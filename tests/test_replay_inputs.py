"""Replay predictions that do not fit the run: one line and exit 2, or --allow-unmatched."""
import json

import pytest

from harness.cli import main
from harness.store import iter_samples


def write_preds(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def pred(doc, sample=0, output="\\boxed{27}", task="amc23", **extra):
    return {"task": task, "doc_id": doc, "sample": sample, "output": output, **extra}


def replay(preds, out, data, *extra):
    return ["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23",
            "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *expected):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("harness: error: "), err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


GOOD = pred("amc23-0")


@pytest.mark.parametrize("bad, expected", [
    (pred("amc23-0", sample=-1), "sample must be a whole number >= 0, got -1"),
    (pred("amc23-0", sample=True), "sample must be a whole number >= 0, got true"),
    (pred("amc23-0", sample=1.0), "sample must be a whole number >= 0, got 1.0"),
    (pred("amc23-0", sample="1"), 'sample must be a whole number >= 0, got "1"'),
    (pred("amc23-0", output=None), "output must be a string"),
    (pred("amc23-0", thinking=["x"]), "thinking must be a string or null"),
    (pred("amc23-0", finish_reason="exploded"), 'finish_reason must be one of stop, length or null, got "exploded"'),
    ({"task": "amc23", "sample": 0, "output": "x"}, "no doc_id"),
    ("[1, 2]", "not a JSON object"),
])
def test_malformed_prediction_names_file_and_line(tmp_path, shared_data, capsys, bad, expected):
    preds = write_preds(tmp_path / "p.jsonl", [GOOD, bad])
    before = preds.read_bytes()
    code, _, err = run_cli(replay(preds, tmp_path / "run", shared_data), capsys)
    assert_one_line_error(code, err, f"{preds} line 2: not a prediction", expected)
    assert not (tmp_path / "run").exists()
    assert preds.read_bytes() == before


def test_empty_predictions_file_is_refused(tmp_path, shared_data, capsys):
    preds = write_preds(tmp_path / "p.jsonl", ["", "  "])
    code, _, err = run_cli(replay(preds, tmp_path / "run", shared_data), capsys)
    assert_one_line_error(code, err, "holds no predictions")
    assert not (tmp_path / "run").exists()


def test_unknown_doc_ids_fail_with_count_and_three_examples(tmp_path, shared_data, capsys):
    rows = [pred("amc23-0"), *(pred(f"amc23-9{i}") for i in range(5))]
    preds = write_preds(tmp_path / "p.jsonl", rows)
    code, _, err = run_cli(replay(preds, tmp_path / "run", shared_data), capsys)
    assert_one_line_error(code, err, "5 prediction(s) match no document of their task",
                          "amc23 doc 'amc23-90' sample 0, amc23 doc 'amc23-91' sample 0, amc23 doc 'amc23-92' sample 0, …",
                          "pass --allow-unmatched")
    assert "amc23-93" not in err
    assert not (tmp_path / "run").exists()


def test_allow_unmatched_ignores_them_and_records_the_count(tmp_path, shared_data, capsys):
    preds = write_preds(tmp_path / "p.jsonl", [pred("amc23-0"), pred("amc23-1", output="\\boxed{36}"),
                                               pred("nope-1"), pred("nope-2", sample=3)])
    out = tmp_path / "run"
    code, _, err = run_cli(replay(preds, out, shared_data, "--limit", "2", "--allow-unmatched"), capsys)
    assert code == 0, err
    assert "ignored 2 prediction(s) match no document of their task" in err
    assert {(r["doc_id"], r["sample"]) for r in iter_samples(out)} == {("amc23-0", 0), ("amc23-1", 0)}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replay_predictions"]["unmatched"] == 2
    results = json.loads((out / "results.json").read_text())
    assert results["tasks"]["amc23"]["pass@1"]["value"] == 1.0


def test_samples_beyond_n_fail_unless_allowed(tmp_path, shared_data, capsys):
    rows = [pred("amc23-0", sample=s, output="\\boxed{27}" if s < 2 else "\\boxed{1}") for s in range(4)]
    preds = write_preds(tmp_path / "p.jsonl", rows)
    out = tmp_path / "run"
    code, _, err = run_cli(replay(preds, out, shared_data, "--limit", "1", "-n", "2"), capsys)
    assert_one_line_error(code, err, "2 have sample >= n (amc23 doc 'amc23-0' sample 2, n 2, amc23 doc 'amc23-0' sample 3, n 2)")
    assert not out.exists()

    code, _, err = run_cli(replay(preds, out, shared_data, "--limit", "1", "-n", "2", "--allow-unmatched"), capsys)
    assert code == 0, err
    assert sorted(r["sample"] for r in iter_samples(out)) == [0, 1]
    results = json.loads((out / "results.json").read_text())
    assert results["tasks"]["amc23"]["pass@1"]["value"] == 1.0  # the two ignored samples were wrong
    assert json.loads((out / "manifest.json").read_text())["replay_predictions"]["sample_beyond_n"] == 2


def test_docs_outside_limit_and_other_tasks_are_logged_not_errors(tmp_path, shared_data, capsys):
    preds = write_preds(tmp_path / "p.jsonl", [pred("amc23-0"), pred("amc23-5"), pred("amc23-7"),
                                               pred("2024-I-1", task="aime24")])
    out = tmp_path / "run"
    code, _, err = run_cli(replay(preds, out, shared_data, "--limit", "1"), capsys)
    assert code == 0, err
    assert "2 prediction(s) are for documents outside --limit/--shard: not scored in this run" in err
    assert "1 prediction(s) are for tasks not in --tasks (aime24)" in err
    assert [r["doc_id"] for r in iter_samples(out)] == ["amc23-0"]
    recorded = json.loads((out / "manifest.json").read_text())["replay_predictions"]
    assert recorded == {"unmatched": 0, "sample_beyond_n": 0, "not_selected": 2, "other_tasks": {"aime24": 1}}


def test_unmatched_predictions_leave_an_existing_run_unchanged(tmp_path, shared_data, capsys):
    out = tmp_path / "run"
    good = write_preds(tmp_path / "good.jsonl", [pred("amc23-0")])
    assert main(replay(good, out, shared_data, "--limit", "1")) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    bad = write_preds(tmp_path / "bad.jsonl", [pred("amc23-0"), pred("amc23-404")])
    capsys.readouterr()
    code, _, err = run_cli(replay(bad, out, shared_data, "--limit", "1"), capsys)
    assert_one_line_error(code, err, "1 prediction(s) match no document")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
