"""Math reasoning tasks: GSM8K, MATH-500, AIME 2024/2025, AMC 2023.

All five share one shape (a problem, a reference answer, a final answer in
``\\boxed{}``, sympy-based equivalence, pass@k and maj@k); only the data, the
extractor chain and the token cap differ, so one factory builds them. They form the
task group ``math`` (``--tasks math``).

Token caps (``max_tokens``, thinking included): 32768 for the competition sets (MATH-500,
AIME, AMC), where reasoning models think for 10-30k tokens on hard problems; 8192 for
GSM8K, whose grade-school problems reasoning models solve in a few hundred to a few
thousand tokens: a longer cap only lets a looping model burn time before it is cut.

Local layout (``--data-dir DIR``) is that of ``shared/data``; the hub sources are
converted into records with the same ids, order and answers, so replay files and run
stores refer to the same ``doc_id`` whichever source was used, and the same texts give
the same data hash (it covers the documents, not the records' other fields).
"""
from __future__ import annotations

from pathlib import Path

from harness.data import DatasetSpec, HubSource
from harness.scoring.extractors import CHAINS
from harness.task import GenerationDefaults, PromptSpec, Task, field_text

TEMPLATES = Path(__file__).parent / "templates"

MATH_PROMPT = PromptSpec(chat="reason_boxed.jinja", base="math_base.jinja", base_stop=("\n\nProblem:",))
GSM8K_PROMPT = PromptSpec(chat="reason_boxed.jinja", base="gsm8k_base.jinja", base_stop=("\n\nQuestion:",))


def _gsm8k_from_hub(parts: list[list[dict]]) -> list[dict]:
    return [
        {
            "id": f"gsm8k-test-{i}",
            "question": r["question"],
            "answer": r["answer"],
            "final_answer": r["answer"].split("####")[-1].strip().replace(",", ""),
        }
        for i, r in enumerate(parts[0])
    ]


_ROMAN = {"I": 1, "II": 2}


def _aime_order(doc_id: str) -> tuple:
    """Sort key of an AIME id such as ``2024-II-7``: year, contest, number (unknown shapes last)."""
    year, _, rest = str(doc_id).partition("-")
    contest, _, number = rest.partition("-")
    if not (year.isdigit() and contest in _ROMAN and number.isdigit()):
        return (1, str(doc_id))
    return (0, int(year), _ROMAN[contest], int(number))


def _aime24_from_hub(parts: list[list[dict]]) -> list[dict]:
    """Maxwell-Jia/AIME_2024 (``ID`` such as ``2024-II-4``, ``Problem``, ``Answer``), in the
    local copy's order: contest I then II, by problem number."""
    rows = [{"id": r["ID"], "problem": r["Problem"], "answer": field_text(r["Answer"])} for r in parts[0]]
    return sorted(rows, key=lambda r: _aime_order(r["id"]))


def _aime25_from_hub(parts: list[list[dict]]) -> list[dict]:
    """opencompass/AIME2025 configs I and II, numbered by position as the local copy is."""
    return [
        {"id": f"2025-{contest}-{i + 1}", "problem": r["question"], "answer": field_text(r["answer"])}
        for contest, rows in zip(("I", "II"), parts)
        for i, r in enumerate(rows)
    ]


def _amc23_from_hub(parts: list[list[dict]]) -> list[dict]:
    """The hub copy numbers problems by Qwen2.5-Math's ``id`` (with gaps), as the local copy
    does; its float answers (``27.0``) become integers."""
    return [{"id": f"amc23-{r.get('id', i)}", "problem": r["question"], "answer": field_text(r["answer"])}
            for i, r in enumerate(parts[0])]


def math_task(name, *, description, size, dataset, id_field="id", problem_field="problem", answer_field="answer",
              extractors=CHAINS["math_or_number"], prompt=MATH_PROMPT, attr_fields=(), version="1",
              max_tokens=32768, groups=("math",)) -> Task:
    """A math task: the given extractor chain, the ``math_equiv`` verifier, pass@k and maj@k."""
    return Task(
        name=name,
        version=version,
        description=description,
        dataset=dataset,
        id_field=id_field,
        problem_field=problem_field,
        answer_field=answer_field,
        attr_fields=attr_fields,
        prompt=prompt,
        extractors=tuple(extractors),
        verifier="math_equiv",
        metrics=("pass@k", "maj@k"),
        size=size,
        groups=tuple(groups),
        generation=GenerationDefaults(n=1, temperature=0.6, top_p=0.95, max_tokens=max_tokens),
        templates_dir=TEMPLATES,
    )


TASKS = [
    math_task(
        "gsm8k",
        description="GSM8K test: grade-school word problems, integer answers",
        size=1319,
        dataset=DatasetSpec("gsm8k/test.jsonl", (HubSource("openai/gsm8k", "test", name="main"),), _gsm8k_from_hub),
        problem_field="question",
        answer_field="final_answer",
        extractors=CHAINS["gsm8k"],
        prompt=GSM8K_PROMPT,
        max_tokens=8192,
    ),
    math_task(
        "math500",
        description="MATH-500: the PRM800K test subset of MATH, with subject and level",
        size=500,
        dataset=DatasetSpec("math500/test.jsonl", (HubSource("HuggingFaceH4/MATH-500", "test"),)),
        id_field="unique_id",
        attr_fields=("subject", "level"),
    ),
    math_task(
        "aime24",
        description="AIME 2024 I and II, integer answers 0-999",
        size=30,
        dataset=DatasetSpec("aime/aime2024.jsonl", (HubSource("Maxwell-Jia/AIME_2024", "train"),), _aime24_from_hub),
    ),
    math_task(
        "aime25",
        description="AIME 2025 I and II, integer answers 0-999",
        size=30,
        dataset=DatasetSpec(
            "aime/aime2025.jsonl",
            (HubSource("opencompass/AIME2025", "test", name="AIME2025-I"), HubSource("opencompass/AIME2025", "test", name="AIME2025-II")),
            _aime25_from_hub,
        ),
    ),
    math_task(
        "amc23",
        description="AMC 2023 (AMC 12A/12B), integer answers",
        size=40,
        dataset=DatasetSpec("amc23/test.jsonl", (HubSource("math-ai/amc23", "test"),), _amc23_from_hub),
    ),
]
