"""Hub and local copies of a task give the same documents and the same data hash.

The hub cannot be reached here, so ``datasets.load_dataset`` is replaced by hub-shaped
rows built from the local files (the hub datasets' own column names, value types and
extra columns), and the real loading path (``Task.load_docs(None)``) converts them.
"""
import json
import random

import datasets
import pytest

from harness.registry import get_tasks


def local(shared_data, rel):
    return [json.loads(line) for line in (shared_data / rel).read_text().splitlines()]


def hub_rows(shared_data) -> dict:
    """(hub path, config) -> rows as the hub serves them, from the local copies."""
    gsm8k = local(shared_data, "gsm8k/test.jsonl")
    math500 = local(shared_data, "math500/test.jsonl")
    aime24 = local(shared_data, "aime/aime2024.jsonl")
    aime25 = local(shared_data, "aime/aime2025.jsonl")
    amc = local(shared_data, "amc23/test.jsonl")
    aime24_hub = [{"ID": r["id"], "Problem": r["problem"], "Solution": r["solution"], "Answer": r["answer"]} for r in aime24]
    random.Random(0).shuffle(aime24_hub)  # the hub's row order is not the contest order
    return {
        ("openai/gsm8k", "main"): [{"question": r["question"], "answer": r["answer"]} for r in gsm8k],
        ("HuggingFaceH4/MATH-500", None): [{k: r[k] for k in ("problem", "solution", "answer", "subject", "level", "unique_id")}
                                           for r in math500],
        ("Maxwell-Jia/AIME_2024", None): aime24_hub,
        ("opencompass/AIME2025", "AIME2025-I"): [{"question": r["problem"], "answer": str(r["answer"])} for r in aime25[:15]],
        ("opencompass/AIME2025", "AIME2025-II"): [{"question": r["problem"], "answer": str(r["answer"])} for r in aime25[15:]],
        ("math-ai/amc23", None): [{"id": int(r["id"].split("-")[1]), "question": r["problem"], "answer": float(r["answer"]),
                                   "url": r["url"]} for r in amc],
    }


@pytest.fixture
def fake_hub(shared_data, monkeypatch):
    rows = hub_rows(shared_data)
    calls = []

    def load_dataset(path, name=None, split=None, revision=None):
        calls.append((path, name, split))
        return rows[(path, name)]

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    return calls


@pytest.mark.parametrize("name", ["gsm8k", "math500", "aime24", "aime25", "amc23"])
def test_hub_and_local_give_identical_documents_and_hash(name, shared_data, fake_hub):
    (task,) = get_tasks([name])
    local_docs, local_source, local_hash = task.load_docs(shared_data)
    hub_docs, hub_source, hub_hash = task.load_docs(None)
    assert fake_hub and hub_source.startswith("hf:") and local_source.endswith(task.dataset.local_path)
    assert [(d.id, d.problem, d.answer, d.attrs) for d in hub_docs] == [(d.id, d.problem, d.answer, d.attrs) for d in local_docs]
    assert hub_hash == local_hash


def test_hash_follows_what_a_task_uses_and_ignores_other_fields(shared_data, tmp_path):
    (task,) = get_tasks(["amc23"])
    rows = local(shared_data, "amc23/test.jsonl")
    _, _, reference = task.load_docs(shared_data)

    def hash_of(records):
        (tmp_path / "amc23").mkdir(exist_ok=True)
        (tmp_path / "amc23" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        return task.load_docs(tmp_path)[2]

    assert hash_of([{**r, "url": None, "note": "extra"} for r in rows]) == reference
    assert hash_of([{**r, "answer": str(r["answer"])} for r in rows]) == reference  # 27 and "27" are one answer
    assert hash_of([{**rows[0], "answer": 28}, *rows[1:]]) != reference
    assert hash_of([{**rows[0], "problem": rows[0]["problem"] + " "}, *rows[1:]]) != reference
    assert hash_of(rows[1:] + rows[:1]) != reference  # order decides --limit and --shard
