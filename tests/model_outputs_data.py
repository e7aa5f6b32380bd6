"""Real model outputs (``shared/data/model_outputs``) as the harness scores them, and
realistic maj@k answer sets built from them. Shared by tests and ``bench/math_verify.py``.

Gold answers: the Sky-T1/Qwen2.5 MATH-500 files carry a damaged ``gold_answer`` in 86
records (PROVENANCE.md, "Known defects"), so those records are matched to
``math500/test.jsonl`` by problem text and scored against the official ``answer``. The
other files' ``gold_answer`` is used as is (AIME/AMC integers; MATH answers for the
Qwen2.5-Math x8 file).
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from harness.scoring.score import parse_output

# file -> the task whose extractor scores it (tasks/math.py: "math_or_number" for all three)
FILES = {
    "qwen25math_math_cot_100_x8.jsonl": "math500",
    "skythought_Qwen2.5-14B-Instruct_math500.jsonl": "math500",
    "skythought_Sky-T1-math-correct-5K-27B_math500.jsonl": "math500",
    "skythought_Sky-T1-math-correct-5K-32B_aime24.jsonl": "aime24",
    "skythought_Sky-T1-math-correct-5K-14B_aime24.jsonl": "aime24",
    "skythought_Sky-T1-math-correct-5K-14B_amc23.jsonl": "amc23",
}
EXTRACTOR = "math_or_number"


@dataclass(frozen=True)
class Record:
    file: str
    id: str
    problem: str
    gold: str
    extracted: str | None
    truncated: bool
    label: bool  # the recorded ``correct`` (another rule grader's verdict)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(text.split())


def iter_outputs(data: Path):
    """``(file name, raw record, gold)`` for every model-output record, gold repaired as above."""
    official = {_norm(r["problem"]): r["answer"] for r in _read(data / "math500" / "test.jsonl")}
    for name in FILES:
        for r in _read(data / "model_outputs" / name):
            gold = r["gold_answer"]
            if name.startswith("skythought_") and name.endswith("_math500.jsonl"):
                gold = official[_norm(r["question"])]
            yield name, r, gold


def load_records(data: Path) -> list[Record]:
    """Every record of every model-output file, extracted with the task's real pipeline."""
    out = []
    for name, r, gold in iter_outputs(data):
        p = parse_output(r["response"], extractor=EXTRACTOR)
        out.append(Record(name, r["id"], r["question"], gold, p.extracted, p.truncated, bool(r["correct"])))
    return out


def math500_golds(data: Path) -> list[tuple[str, str]]:
    return [(r["unique_id"], r["answer"]) for r in _read(data / "math500" / "test.jsonl")]


def _variants(gold: str) -> list[str]:
    """Ways a model writes the same answer (all mathematically equal to ``gold``)."""
    out = [gold, f"\\boxed{{{gold}}}", f"${gold}$", f" {gold} ", gold.replace("\\frac", "\\dfrac")]
    m = re.fullmatch(r"-?\d+", gold.strip())
    if m:
        n = int(gold)
        out += [f"{n}.0", f"x = {n}", f"{n} \\text{{ units}}", f"\\frac{{{2 * n}}}{{2}}"]
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", gold.strip())
    if m:
        sign, a, b = m.groups()
        f = Fraction(int(a), int(b)) * (-1 if sign else 1)
        out += [f"{sign}{a}/{b}", f"{sign}\\tfrac{{{a}}}{{{b}}}", f"\\frac{{{sign}{2 * int(a)}}}{{{2 * int(b)}}}"]
        if 10 ** 6 % f.denominator == 0:
            out.append(str(f.numerator * 10 ** 6 // f.denominator / 10 ** 6) if abs(f) < 1e6 else gold)
        if len(a) == 1 and len(b) == 1:
            out.append(f"{sign}\\dfrac{a}{b}")
    m = re.fullmatch(r"(\d*)\\sqrt\{(\d+)\}", gold.strip())
    if m:
        c, r = m.groups()
        out += [f"{c}\\sqrt {r}" if len(r) == 1 else gold, f"\\sqrt{{{int(c or 1) ** 2 * int(r)}}}"]
    if gold.startswith("(") and gold.endswith(")"):
        out.append("\\left" + gold[:-1] + "\\right)")
    return out


def majk_answers(data: Path, *, problems: int = 500, k: int = 64, seed: int = 0) -> list[tuple[str, str, list[str | None]]]:
    """``(problem id, gold, k answers)`` per MATH-500 problem: about half are ways of writing
    the gold (``0.5`` / ``\\frac{1}{2}`` / ``\\dfrac12`` / boxed / with units), the rest are the
    real models' extracted answers to that problem, wrong answers (other problems' golds,
    off-by-one integers) and ``None`` (nothing extracted), shuffled with a fixed seed."""
    rng = random.Random(seed)
    golds = math500_golds(data)
    by_problem: dict[str, list[str]] = {}
    official = {_norm(r["problem"]): r["unique_id"] for r in _read(data / "math500" / "test.jsonl")}
    for name in FILES:
        if FILES[name] != "math500":
            continue
        for r in _read(data / "model_outputs" / name):
            uid = official.get(_norm(r["question"]))
            if uid is not None:
                p = parse_output(r["response"], extractor=EXTRACTOR)
                if p.extracted is not None:
                    by_problem.setdefault(uid, []).append(p.extracted)
    out = []
    for uid, gold in golds[:problems]:
        variants = _variants(gold)
        wrong = [g for _, g in rng.sample(golds, 4)]
        if re.fullmatch(r"-?\d+", gold.strip()):
            wrong += [str(int(gold) + 1), str(int(gold) - 1)]
        model = by_problem.get(uid, [])
        answers: list[str | None] = []
        for _ in range(k):
            x = rng.random()
            if x < 0.5:
                answers.append(rng.choice(variants))
            elif x < 0.7 and model:
                answers.append(rng.choice(model))
            elif x < 0.92:
                answers.append(rng.choice(wrong))
            else:
                answers.append(None)
        out.append((uid, gold, answers))
    return out
