"""Task plugins: data from every source gives the same records, prompts follow the protocol."""
import json

import pandas as pd
import pytest

from harness.data import content_hash
from harness.registry import get_tasks
from harness.task import PromptChoice, render_prompt
from harness_tasks import math as math_tasks

R1_SUFFIX = "Please reason step by step, and put your final answer within \\boxed{}."


def local(shared_data, rel):
    return [json.loads(line) for line in (shared_data / rel).read_text().splitlines()]


def test_task_sizes_match_local_data(shared_data):
    for task in get_tasks(["gsm8k", "math500", "aime24", "aime25", "amc23"]):
        docs, source, data_hash = task.load_docs(shared_data)
        assert len(docs) == task.size, task.name
        assert data_hash.startswith("sha256:") and source.endswith(task.dataset.local_path)


def test_math500_docs_carry_subject_and_level(shared_data):
    (task,) = get_tasks(["math500"])
    docs, _, _ = task.load_docs(shared_data)
    assert docs[0].id == "test/precalculus/807.json"
    assert docs[0].attrs == {"subject": "Precalculus", "level": "2"}


def test_gsm8k_hub_rows_become_the_local_records(shared_data):
    rows = local(shared_data, "gsm8k/test.jsonl")
    hub_rows = [{"question": r["question"], "answer": r["answer"]} for r in rows]
    assert math_tasks._gsm8k_from_hub([hub_rows]) == rows


def test_aime_and_amc_hub_rows_get_local_ids_and_integer_answers(shared_data):
    aime24 = local(shared_data, "aime/aime2024.jsonl")
    converted = math_tasks._aime24_from_hub([[{"ID": r["id"], "Problem": r["problem"], "Answer": r["answer"]} for r in aime24]])
    assert [(c["id"], c["answer"]) for c in converted] == [(r["id"], str(r["answer"])) for r in aime24]

    aime25 = local(shared_data, "aime/aime2025.jsonl")
    parts = [[{"question": r["problem"], "answer": str(r["answer"])} for r in aime25[:15]],
             [{"question": r["problem"], "answer": str(r["answer"])} for r in aime25[15:]]]
    assert [c["id"] for c in math_tasks._aime25_from_hub(parts)] == [r["id"] for r in aime25]

    amc = local(shared_data, "amc23/test.jsonl")
    converted = math_tasks._amc23_from_hub([[{"id": int(r["id"].split("-")[1]), "question": r["problem"], "answer": float(r["answer"])} for r in amc]])
    assert [(c["id"], c["answer"]) for c in converted] == [(r["id"], str(r["answer"])) for r in amc]


def test_parquet_copy_gives_same_docs_and_hash(shared_data, tmp_path):
    (task,) = get_tasks(["amc23"])
    docs, _, h = task.load_docs(shared_data)
    (tmp_path / "amc23").mkdir()
    pd.DataFrame(local(shared_data, "amc23/test.jsonl")).to_parquet(tmp_path / "amc23" / "test.parquet")
    docs2, source, h2 = task.load_docs(tmp_path)
    assert source.endswith("test.parquet")
    assert [(d.id, d.problem, d.answer) for d in docs2] == [(d.id, d.problem, d.answer) for d in docs]
    assert h2 == h


def test_content_hash_changes_with_content():
    assert content_hash([{"a": 1}]) != content_hash([{"a": 2}])
    assert content_hash([{"a": 1, "b": 2}]) == content_hash([{"b": 2, "a": 1}])


def test_chat_prompt_is_the_r1_protocol(shared_data):
    (task,) = get_tasks(["aime24"])
    doc = task.load_docs(shared_data)[0][0]
    messages, prompt = render_prompt(task, doc, PromptChoice())
    assert prompt is None
    assert [m["role"] for m in messages] == ["user"]  # no system prompt
    assert messages[0]["content"] == doc.problem + "\n" + R1_SUFFIX


def test_base_prompt_is_few_shot_completion_without_chat(shared_data):
    (task,) = get_tasks(["math500"])
    doc = task.load_docs(shared_data)[0][0]
    messages, prompt = render_prompt(task, doc, PromptChoice(mode="base"))
    assert messages is None
    assert prompt.count("Problem:") == 5 and prompt.rstrip().endswith(doc.problem + "\n\nSolution:")


def test_system_prompt_and_template_override(shared_data, tmp_path):
    (task,) = get_tasks(["gsm8k"])
    doc = task.load_docs(shared_data)[0][0]
    tpl = tmp_path / "t.jinja"
    tpl.write_text("Q: {{ problem }} (id {{ doc.id }})")
    messages, _ = render_prompt(task, doc, PromptChoice(system="Be brief.", template=str(tpl)))
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[1]["content"] == f"Q: {doc.problem} (id {doc.id})"


def test_template_with_unknown_variable_is_a_usage_error(shared_data, tmp_path):
    from harness.errors import UsageError

    (task,) = get_tasks(["gsm8k"])
    doc = task.load_docs(shared_data)[0][0]
    tpl = tmp_path / "bad.jinja"
    tpl.write_text("{{ nosuch }}")
    with pytest.raises(UsageError, match="prompt template failed"):
        render_prompt(task, doc, PromptChoice(template=str(tpl)))
