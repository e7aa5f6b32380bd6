"""Data files without usable documents: one line, exit 2, no run directory, file untouched."""
import json

import pytest

from harness.cli import main
from harness.errors import UsageError
from harness.registry import get_tasks


def eval_with_data(tmp_path, lines, capsys, task="amc23", rel="amc23/test.jsonl"):
    data = tmp_path / "data"
    path = data / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    before = path.read_bytes()
    out = tmp_path / "run"
    code = main(["eval", "--model", "m", "--tasks", task, "--data-dir", str(data), "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("harness: error: ") and "Traceback" not in err
    assert not out.exists()
    assert path.read_bytes() == before
    return err, path


def test_empty_data_file_is_an_error_not_a_zero_of_zero_run(tmp_path, capsys):
    err, path = eval_with_data(tmp_path, ["", "   "], capsys)
    assert f"task amc23: {path} holds no records" in err


def rec(**fields):
    return json.dumps({"id": "amc23-0", "problem": "What is 1+1?", "answer": 2, **fields})


@pytest.mark.parametrize("bad, expected", [
    (rec(answer=None), "record 2 of {path} (id amc23-0) has no answer"),
    (rec(answer=""), "record 2 of {path} (id amc23-0) has no answer"),
    (rec(answer="  "), "record 2 of {path} (id amc23-0) has no answer"),
    (rec(problem=None), "record 2 of {path} (id amc23-0) has no problem"),
    (rec(problem=""), "record 2 of {path} (id amc23-0) has no problem"),
    (rec(id=None, answer=None), "record 2 of {path} has no id, answer"),
    (json.dumps({"id": "amc23-0", "problem": "p"}), "record 2 of {path} (id amc23-0) has no answer"),
    ("[1, 2]", "record 2 of {path} is not a JSON object"),
])
def test_record_without_problem_or_answer_names_task_file_and_record(tmp_path, capsys, bad, expected):
    good = json.dumps({"id": "amc23-9", "problem": "What is 2+2?", "answer": 4})
    err, path = eval_with_data(tmp_path, [good, bad], capsys)
    assert "task amc23: " + expected.format(path=path) in err
    assert "None" not in err


def test_null_answer_in_parquet_is_an_error_not_the_string_none(tmp_path):
    pd = pytest.importorskip("pandas")
    (tmp_path / "amc23").mkdir()
    pd.DataFrame([{"id": "amc23-0", "problem": "p", "answer": 1.0}, {"id": "amc23-1", "problem": "q", "answer": None}]
                 ).to_parquet(tmp_path / "amc23" / "test.parquet")
    (task,) = get_tasks(["amc23"])
    with pytest.raises(UsageError, match=r"record 2 of .*test.parquet \(id amc23-1\) has no answer"):
        task.load_docs(tmp_path)


def test_integral_float_answers_read_as_integers(tmp_path):
    (tmp_path / "amc23").mkdir()
    (tmp_path / "amc23" / "test.jsonl").write_text(json.dumps({"id": 7, "problem": "p", "answer": 27.0}) + "\n")
    (task,) = get_tasks(["amc23"])
    (doc,), _, _ = task.load_docs(tmp_path)
    assert (doc.id, doc.answer) == ("7", "27")
