"""`harness tasks`: the table with groups, `-v` (each task in full: prompt template text,
extractor chain, verifier, metrics, generation defaults) and `--json`."""
import json
from pathlib import Path

import pytest

from harness import task_listing
from harness.cli import main
from harness.registry import all_tasks

MATH = {"gsm8k", "math500", "aime24", "aime25", "amc23"}


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def chat_template_text(task) -> str:
    """The chat template file's text, found independently of harness.task_listing."""
    return (Path(task.templates_dir) / task.prompt.chat).read_text(encoding="utf-8")


def test_verbose_shows_prompt_extractors_verifier_metrics_and_generation(capsys):
    code, out, _ = run_cli(["tasks", "-v", "gsm8k"], capsys)
    assert code == 0
    task = all_tasks()["gsm8k"]
    info = task.describe()
    assert out.startswith(f"gsm8k (version {task.version}): {task.description}")
    for line in chat_template_text(task).rstrip("\n").splitlines():
        assert f"    | {line}" in out
    assert f"  verifier: name={info['verifier']['name']}" in out
    assert f"  generation: n={task.generation.n}, temperature={task.generation.temperature}, " \
           f"top_p={task.generation.top_p}, max_tokens={task.generation.max_tokens}" in out
    assert "  extractor:" in out and "  metrics: " in out and "  groups: math" in out
    assert "math500" not in out


def test_a_group_name_shows_its_tasks(capsys):
    code, out, _ = run_cli(["tasks", "-v", "math"], capsys)
    assert code == 0
    headings = {line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")}
    assert headings == MATH


def test_json_is_every_description_plus_template_text_and_groups(capsys):
    code, out, _ = run_cli(["tasks", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    tasks = {t["name"]: t for t in data["tasks"]}
    assert MATH <= set(tasks) and set(data["groups"]["math"]) == MATH
    for name in MATH:
        task = all_tasks()[name]
        assert {k: v for k, v in tasks[name].items() if k != "prompt_text"} == json.loads(json.dumps(task.describe()))
        assert tasks[name]["prompt_text"]["chat"] == chat_template_text(task)


def test_unknown_name_is_one_line(capsys):
    code, out, err = run_cli(["tasks", "-v", "nosuch"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "unknown task(s) nosuch" in err


def test_fields_added_to_describe_later_are_rendered(monkeypatch):
    task = all_tasks()["amc23"]
    original = type(task).describe
    monkeypatch.setattr(type(task), "describe", lambda self: {**original(self), "judge": {"model": "j-1", "rubric": ["a", "b"]},
                                                              "notes": "two  words"})
    text = task_listing.verbose(task)
    assert "  judge: model=j-1" not in text  # a nested list: not a flat line
    assert "  judge:\n    model: j-1\n    rubric: a, b" in text
    assert '  notes: two  words' in text


@pytest.mark.parametrize("names", [[], ["amc23"]])
def test_table_lists_groups(capsys, names):
    code, out, _ = run_cli(["tasks", *names], capsys)
    assert code == 0
    table, groups = out.split("\n\n")
    assert table.splitlines()[0].split()[:4] == ["task", "size", "version", "groups"]
    assert groups.splitlines()[1].split()[0] == "math"
