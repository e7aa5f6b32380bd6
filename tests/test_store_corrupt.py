"""A corrupt line in the middle of samples.jsonl: the rows after it count, the line is
quarantined with its line number, nothing is regenerated, and no command loses rows."""
import json
import tracemalloc

import pytest
from run_helpers import math500_preds, replay_args

from harness.cli import main
from harness.store import QUARANTINE, RunStore, iter_samples

GARBAGE = '{"task": "math500", "doc_id": "x", "sam\n'


@pytest.fixture
def preds(tmp_path, shared_data):
    return math500_preds(tmp_path / "preds.jsonl", shared_data, 5, 4, lambda r, i: f"\\boxed{{{r['answer'] if i else '0'}}}")


def eval_args(preds, data, out, *extra):
    return replay_args(preds, data, out, "math500", 5, *extra)


def corrupt_line_6(run):
    """Insert a garbage line after row 5 of 20; return the 20 good lines."""
    lines = (run / "samples.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 20
    (run / "samples.jsonl").write_text("".join(lines[:5]) + GARBAGE + "".join(lines[5:]))
    return lines


def quarantined(run):
    return [json.loads(line) for line in (run / QUARANTINE).read_text().splitlines()]


def test_eval_resume_quarantines_the_line_keeps_later_rows_and_generates_nothing(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    good = corrupt_line_6(run)
    capsys.readouterr()
    assert main(eval_args(preds, shared_data, run)) == 0
    err = capsys.readouterr().err
    assert f"{run / 'samples.jsonl'} line 6 is not a valid sample record (not JSON): moved to {QUARANTINE}" in err
    assert "nothing to generate" in err
    assert (run / "samples.jsonl").read_text() == "".join(good)  # no row lost, none regenerated
    assert [(q["line"], q["text"]) for q in quarantined(run)] == [(6, GARBAGE.rstrip("\n"))]
    assert json.loads((run / "results.json").read_text())["counts"]["math500"]["samples"] == 20
    assert not list(run.glob(".*.tmp"))
    # A second resume finds a clean file and reports nothing.
    assert main(eval_args(preds, shared_data, run)) == 0
    assert "not a valid sample record" not in capsys.readouterr().err
    assert (run / "samples.jsonl").read_text() == "".join(good)


def test_score_and_reverify_keep_every_row_after_a_corrupt_line(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    good = corrupt_line_6(run)
    capsys.readouterr()
    assert main(["score", str(run)]) == 0
    assert "line 6 is not a valid sample record" in capsys.readouterr().err
    assert json.loads((run / "results.json").read_text())["counts"]["math500"]["samples"] == 20
    assert main(["score", str(run), "--reverify"]) == 0
    assert len(list(iter_samples(run))) == 20
    assert sorted(r["doc_id"] for r in iter_samples(run)) == sorted(json.loads(line)["doc_id"] for line in good)


def test_rows_missing_fields_or_with_bad_sample_are_quarantined(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    lines = (run / "samples.jsonl").read_text().splitlines(keepends=True)
    no_output = {k: v for k, v in json.loads(lines[2]).items() if k != "output"}
    negative = {**json.loads(lines[9]), "sample": -1}
    text = "".join(lines[:2]) + json.dumps(no_output) + "\n" + "".join(lines[3:9]) + json.dumps(negative) + "\n" + "".join(lines[10:])
    (run / "samples.jsonl").write_text(text)
    capsys.readouterr()
    assert main(eval_args(preds, shared_data, run)) == 0
    err = capsys.readouterr().err
    assert "lines 3, 10 (2 lines) are not valid sample records" in err
    assert "2 samples to generate for 2 documents" in err  # exactly the two rows that were lost
    assert [q["line"] for q in quarantined(run)] == [3, 10]
    assert {q["reason"] for q in quarantined(run)} == {"missing output", "sample -1 is not an integer >= 0"}
    assert len(list(iter_samples(run))) == 20


def test_readers_without_the_lock_skip_bad_lines_and_say_which(tmp_path, preds, shared_data):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    corrupt_line_6(run)
    before = (run / "samples.jsonl").read_bytes()
    skipped = []
    assert len(list(iter_samples(run, skipped))) == 20
    assert skipped == [6]
    assert (run / "samples.jsonl").read_bytes() == before  # reading never repairs


def test_opening_streams_instead_of_reading_the_whole_file(tmp_path):
    run = tmp_path / "run"
    big = "y" * (1 << 19)
    with RunStore(run) as s:
        for i in range(60):
            s.append([{"task": "t", "doc_id": f"d{i}", "sample": 0, "output": big, "verdict": {"passed": True, "reason": "equal"}}])
    path = run / "samples.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:7]) + b"not json\n" + b"".join(lines[7:]))
    size = path.stat().st_size
    messages = []
    tracemalloc.start()
    try:
        with RunStore(run, log=messages.append) as s:
            assert len(s.done) == 60 and s.quarantined == [8]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 4, f"opening a {size} byte store peaked at {peak} bytes"
    assert len(messages) == 1 and "line 8" in messages[0]
    assert path.stat().st_size == size - len(b"not json\n")
