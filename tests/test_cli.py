"""Bad input: one line on stderr, exit code 2, nothing written."""
import json

import pytest

from harness.cli import main


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_tasks_lists_math_tasks_with_sizes(capsys):
    code, out, _ = run_cli(["tasks"], capsys)
    assert code == 0
    task_table, group_table = out.split("\n\n")
    rows = {line.split()[0]: line.split() for line in task_table.splitlines()[1:]}
    assert {"gsm8k", "math500", "aime24", "aime25", "amc23"} <= set(rows)
    assert rows["gsm8k"][1] == "1319" and rows["math500"][1] == "500" and rows["aime24"][1] == "30"
    assert rows["gsm8k"][3] == "math"
    groups = {line.split()[0]: line.split(None, 1)[1] for line in group_table.splitlines()[1:]}
    assert set(groups["math"].split(", ")) == {"gsm8k", "math500", "aime24", "aime25", "amc23"}


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--tasks", "nosuchtask"], "unknown task(s) nosuchtask"),
        (["--tasks", "gsm8k", "-n", "0"], "must be at least 1"),
        (["--tasks", "gsm8k", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
        (["--tasks", "gsm8k", "--temperature", "-1"], "--temperature must be a finite number >= 0"),
        (["--tasks", "gsm8k", "--backend", "nope"], "unknown backend 'nope'"),
        (["--tasks", "gsm8k", "--backend", "replay"], "--backend replay needs --predictions"),
        (["--tasks", "gsm8k", "--prompt-mode", "weird"], "unknown prompt mode"),
        (["--tasks", "gsm8k", "--data-dir", "/nonexistent/folder"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, extra, expected):
    out_dir = tmp_path / "run"
    code, _, err = run_cli(["eval", "--model", "m", "--output", str(out_dir), *extra], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("harness: error: ")
    assert expected in err
    assert not out_dir.exists()


def test_missing_dataset_names_it_and_how_to_supply_it(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    code, _, err = run_cli(["eval", "--model", "m", "--tasks", "aime24", "--data-dir", str(tmp_path / "data"),
                            "--output", str(tmp_path / "run")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "aime/aime2024.jsonl" in err and "task aime24" in err
    assert not (tmp_path / "run").exists()


def test_unreadable_data_is_reported_with_line(tmp_path, capsys):
    (tmp_path / "data" / "amc23").mkdir(parents=True)
    (tmp_path / "data" / "amc23" / "test.jsonl").write_text('{"id": "a", "problem": "p", "answer": "1"}\n{broken\n')
    code, _, err = run_cli(["eval", "--model", "m", "--tasks", "amc23", "--data-dir", str(tmp_path / "data"),
                            "--output", str(tmp_path / "run")], capsys)
    assert code == 2 and "line 2 is not valid JSON" in err
    assert not (tmp_path / "run").exists()


def test_bad_predictions_file_is_reported(tmp_path, capsys, shared_data):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"task": "amc23", "doc_id": "amc23-0"}) + "\n")
    code, _, err = run_cli(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23",
                            "--data-dir", str(shared_data), "--output", str(tmp_path / "run")], capsys)
    assert code == 2 and "line 1: not a prediction" in err
    assert not (tmp_path / "run").exists()
