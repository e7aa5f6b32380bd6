"""``harness math-equiv``: one pair, a whole model output (--output / --output-file, --task), --batch."""
from __future__ import annotations

import json

import pytest

from harness.cli import main
from run_helpers import usage_error


def run_json(capsys, argv: list[str]) -> list[dict]:
    capsys.readouterr()
    assert main(["math-equiv", *argv]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_pair_refuses_overflow_and_reads_mixed_numbers(capsys):
    [huge] = run_json(capsys, ["7", "10^{400}"])
    assert huge["equivalent"] is False
    [mixed] = run_json(capsys, ["7", "2 1/3"])
    assert mixed["equivalent"] is False and mixed["pred_parsed"] == "7/3"
    [same] = run_json(capsys, ["7/3", "2 1/3"])
    assert same["equivalent"] is True


@pytest.mark.parametrize("output,gold,extracted,rule", [
    ("Thus the identity matrix is $\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}$.", "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}",
     "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "conclusion"),
    ("Multiplying out, the product matrix is $\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}$ as expected.",
     "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "final_math_span"),
    ("Therefore, $x \\neq 3$.", "x \\neq 3", "x \\neq 3", "final_math_span"),
    ("<think>5+5+1</think> The solutions are \\boxed{1} and \\boxed{2}.", "\\{1,2\\}", "1, 2", "boxed_list"),
    ("so \\boxed{x = 5+5+1 = 11}", "11", "x = 5+5+1 = 11", "boxed"),
    ("The answer is **73**.", "73", "73", "cue"),
])
def test_output_prints_what_was_extracted_by_which_rule(capsys, output, gold, extracted, rule):
    [row] = run_json(capsys, [gold, "--output", output])
    assert (row["extracted"], row["rule"], row["equivalent"]) == (extracted, rule, True), row
    assert row["extractor"] == "math_or_number"


def test_output_of_an_unfinished_thought_is_truncated(capsys):
    [row] = run_json(capsys, ["3", "--output", "<think>the answer is \\boxed{3} but", "--problem", "x"])
    assert row["reasoning"]["status"] in ("truncated", "malformed")
    assert row["equivalent"] is False and row["reason"] in ("truncated", "no_answer")


def test_output_file_and_task_extractor(tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text("Natalia sold 48 clips.\n#### 72\n", encoding="utf-8")
    [row] = run_json(capsys, ["72", "--output-file", str(f), "--task", "gsm8k"])
    assert (row["extractor"], row["rule"], row["extracted"], row["equivalent"]) == ("gsm8k", "hashes", "72", True)


def test_batch_prints_one_verdict_per_row_in_order(tmp_path, capsys):
    rows = [{"gold": "7", "pred": "10^{400}"}, {"gold": "11", "output": "So $x = 5+5+1 = 11$."},
            {"gold": "\\{1,2\\}", "output": "\\boxed{1}, \\boxed{2}", "problem": "Find all x."}, {"gold": 5, "pred": "5"}]
    f = tmp_path / "batch.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n\n" + "\n".join(json.dumps(r) for r in rows[2:]) + "\n")
    out = run_json(capsys, ["--batch", str(f)])
    assert [r["line"] for r in out] == [1, 2, 4, 5]
    assert [r["equivalent"] for r in out] == [False, True, True, True]
    assert out[1]["rule"] == "final_math_span" and "rule" not in out[0]


@pytest.mark.parametrize("content,message", [
    ('{"gold": "1", "pred": "1"}\n{"gold": "1", "pred": \n', "line 2: not valid JSON"),
    ('{"pred": "1"}\n', "line 1: 'gold' must be a string"),
    ('{"gold": "1", "pred": "1", "output": "1"}\n', "line 1: give exactly one of 'pred'"),
    ('{"gold": "1"}\n', "line 1: give exactly one of 'pred'"),
    ('{"gold": "1", "answer": "1"}\n', "line 1: unknown field(s) answer"),
    ('[1, 2]\n', "line 1: expected a JSON object"),
    ('{"gold": 0.1, "pred": "1"}\n', "line 1: 'gold' must be a string"),
    ('\n\n', "has no rows"),
])
def test_bad_batch_rows_are_one_line_errors_and_print_nothing(tmp_path, capsys, content, message):
    f = tmp_path / "batch.jsonl"
    f.write_text(content)
    line = usage_error(capsys, ["math-equiv", "--batch", str(f)], alone=True)
    assert message in line, line


@pytest.mark.parametrize("argv,message", [
    (["1", "2", "--timeout", "nan"], "--timeout: 'nan' must be a finite number of seconds"),
    (["1", "2", "--timeout", "0"], "must be a finite number of seconds greater than 0"),
    (["1"], "give exactly one of PRED, --output or --output-file"),
    (["1", "2", "--output", "x"], "give exactly one of PRED, --output or --output-file"),
    ([], "give GOLD and PRED"),
    (["1", "--output", "x", "--task", "nope"], "unknown task(s) nope"),
    (["1", "--output-file", "/nonexistent/out.txt"], "cannot read --output-file"),
    (["--batch", "/nonexistent/b.jsonl"], "cannot read batch file"),
    (["1", "--batch", "b.jsonl"], "--batch reads gold/pred/output from the file"),
])
def test_bad_arguments_are_one_line_errors(capsys, argv, message):
    line = usage_error(capsys, ["math-equiv", *argv])
    assert message in line, line
    assert capsys.readouterr().out == ""
