"""Re-score every record of ``shared/data/model_outputs`` and review every disagreement
with the recorded label.

Pipeline: the tasks' own (``parse_output`` with the ``math_or_number`` extractor of
tasks/math.py: reasoning split, then extraction), then :class:`EquivPool` with the
problem statement as context. Golds: see ``model_outputs_data`` (the official MATH-500
answer for the Sky-T1/Qwen2.5 MATH-500 files, whose ``gold_answer`` is damaged in 86
records; e.g. ``intermediate_algebra/662`` lost its ``\\pm``).

The recorded ``correct`` labels come from the Qwen2.5-Math rule grader, which has known
errors. The set of disagreements must equal ``REVIEWED``: each entry says why we are
right, or why the label is right and we are deliberately stricter. A new disagreement
(verifier change, data change) fails the test until someone reviews it.
"""
from __future__ import annotations

import pytest

from harness.scoring.equiv_pool import EquivPool
from model_outputs_data import FILES, load_records

QWEN_X8 = "qwen25math_math_cot_100_x8.jsonl"
QWEN14 = "skythought_Qwen2.5-14B-Instruct_math500.jsonl"
SKY27 = "skythought_Sky-T1-math-correct-5K-27B_math500.jsonl"
SKY14_AMC = "skythought_Sky-T1-math-correct-5K-14B_amc23.jsonl"

LABEL_GOLD_DAMAGED_TIME = ("label wrong: the grader's gold '4:30p..' is MATH's '4:30 p.m.' with its text stripped; "
                           "2:30 p.m. + 7200 s = 4:30 p.m., which the model boxed")
LABEL_UNIT_GLUED = "label wrong: the answer is the number; the grader glued the trailing words onto it ('{}')"
LABEL_FILLER = "label wrong: 'the answer is {} N.' gives N; the grader kept the filler word ('{}')"
LABEL_LAST_NUMBER = ("label wrong: the unboxed output concludes 'Therefore/So, ... is {}.' (the gold) near its end; "
                     "the grader took the last number ('{}')")
LABEL_PM = "label wrong: '3 \\pm 2\\sqrt{2}' is the two solutions 3+2\\sqrt{2}, 3-2\\sqrt{2}, which the model listed"
STRICT_TRUNCATED = ("we are stricter: the thought never closed (token cap hit mid-thought), so it is scored as no "
                    "answer; the grader took a number from inside the unfinished thought")
STRICT_CUT_SOLUTION = ("we are stricter: the thought closed but the solution part was cut off before any answer; we "
                       "grade only the answer part, the grader took the thought's answer")

# (file, id) -> (our verdict, recorded label, why)
REVIEWED: dict[tuple[str, str], tuple[bool, bool, str]] = {
    **{(QWEN_X8, f"math-3-s{i}"): (True, False, LABEL_GOLD_DAMAGED_TIME) for i in range(8)},
    (QWEN_X8, "math-72-s7"): (True, False, "label wrong: gold '10{,}000' is 10000 ({,} is a thousands separator); "
                                           "49994/7 + 20006/7 = 70000/7 = 10000"),
    (QWEN14, "math500-184"): (False, True, "label wrong: for positive reals the sum is always > 2 and 2 is never "
                                           "attained, so the set is (2, oo); [2, oo) wrongly includes 2"),
    (QWEN14, "math500-198"): (True, False, "label wrong: gold '10,\\!080' is 10080 (\\! is LaTeX spacing in a "
                                           "thousands separator); 7! * 2 = 10080"),
    (QWEN14, "math500-217"): (True, False, "label wrong: gold '11,\\! 111,\\! 111,\\! 100' is 11111111100, the "
                                           "model's answer"),
    (QWEN14, "math500-284"): (True, False, LABEL_PM),
    (SKY27, "math500-284"): (True, False, LABEL_PM),
    (SKY27, "math500-113"): (True, False, LABEL_FILLER.format("definitely", "definitely8000")),
    (SKY27, "math500-455"): (True, False, LABEL_FILLER.format("indeed", "indeed6")),
    (SKY27, "math500-278"): (True, False, "label wrong: the unboxed final answer is 255 (2^8 - 1); the grader "
                                          "extracted '255Ithinkthat'prettymuchit...'"),
    (SKY27, "math500-73"): (True, False, LABEL_LAST_NUMBER.format("\\frac{3\\sqrt{3}}{4}", "4")),
    (SKY27, "math500-376"): (True, False, LABEL_LAST_NUMBER.format("(8, -2)", "-2")),
    (SKY27, "math500-144"): (True, False, LABEL_LAST_NUMBER.format("(15, -29)", "-29")),
    (SKY27, "math500-360"): (True, False, LABEL_LAST_NUMBER.format("\\frac{7}{4}", "4")),
    (SKY27, "math500-338"): (True, False, LABEL_LAST_NUMBER.format("4343_6", "6")),
    (SKY27, "math500-179"): (True, False, "label wrong: the output ends 'Thus, the equation of the plane is:' and the "
                                          "gold equation in display math; the grader took the last number ('0')"),
    (SKY27, "math500-28"): (True, False, "label wrong: the unboxed output says 'I end up with the same answer: "
                                         "$-2 + 7i$' (the gold); the grader took the last number ('7')"),
    (SKY27, "math500-416"): (True, False, "label wrong: the answer '\\sin^3 18^\\circ + \\sin^2 18^\\circ = \\frac{1}{8}' "
                                          "is a computation whose result is the gold 1/8 (sin 18 = (sqrt5 - 1)/4)"),
    (SKY27, "math500-393"): (True, False, "label wrong: the output's last number is the fraction 3/4 ('150/200, which "
                                          "simplifies to 3/4'), the gold; the grader took its denominator ('4')"),
    (SKY27, "math500-122"): (True, False, LABEL_UNIT_GLUED.format("9customers")),
    (SKY27, "math500-207"): (True, False, LABEL_UNIT_GLUED.format("28differentpizzas")),
    (SKY27, "math500-447"): (True, False, LABEL_UNIT_GLUED.format("9boys")),
    (SKY14_AMC, "amc23-7"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-57"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-88"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-163"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-332"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-355"): (False, True, STRICT_TRUNCATED),
    (SKY27, "math500-195"): (False, True, "we are stricter: the output stops mid-formula ('... = 24 - 12*(-6) = 24 +'), "
                                          "so its last number is not an answer; the grader's '24' matches the gold by chance"),
    (SKY27, "math500-25"): (False, True, STRICT_CUT_SOLUTION),
    (SKY27, "math500-428"): (False, True, STRICT_CUT_SOLUTION),
}


@pytest.fixture(scope="module")
def rescored(shared_data):
    records = load_records(shared_data)
    todo = [r for r in records if r.extracted is not None]
    with EquivPool(timeout_s=10.0) as pool:
        results = pool.check_many([(r.gold, r.extracted, r.problem) for r in todo])
    by_key = {(r.file, r.id): res for r, res in zip(todo, results)}
    return records, by_key


def test_every_record_is_rescored(rescored):
    records, by_key = rescored
    assert {r.file for r in records} == set(FILES)
    assert len(records) == 800 + 500 + 500 + 30 + 30 + 40
    assert len({(r.file, r.id) for r in records}) == len(records)
    undecided = {k: res for k, res in by_key.items() if res.equivalent is None}
    assert not undecided, undecided  # every real answer gets a verdict


def test_disagreements_are_exactly_the_reviewed_ones(rescored):
    records, by_key = rescored
    found = {}
    for r in records:
        res = by_key.get((r.file, r.id))
        ours = bool(res is not None and res.equivalent)
        if ours != r.label:
            found[(r.file, r.id)] = (ours, r.label, r.gold, r.extracted, res.reason if res else "no_answer")
    new = {k: v for k, v in found.items() if k not in REVIEWED or REVIEWED[k][:2] != v[:2]}
    gone = {k: v for k, v in REVIEWED.items() if k not in found}
    assert not new, f"disagreements to review (ours, label, gold, extracted, reason): {new}"
    assert not gone, f"reviewed disagreements that no longer occur: {gone}"


def test_reviewed_entries_are_explained():
    for key, (ours, label, why) in REVIEWED.items():
        assert ours != label and why.startswith(("label wrong:", "we are stricter:")), key
    # the known grader errors named in the issue are among them
    assert REVIEWED[(SKY27, "math500-113")][0] is True  # "definitely8000"
    assert REVIEWED[(QWEN_X8, "math-3-s0")][0] is True  # gold "4:30p.."


def test_damaged_math500_gold_is_not_used(rescored, shared_data):
    """intermediate_algebra/662: the files' gold lost its \\pm; the official answer is used."""
    records, by_key = rescored
    recs = [r for r in records if r.file == QWEN14 and r.id == "math500-96"]
    assert recs and recs[0].gold == "1 \\pm \\sqrt{19}"
    assert by_key[(QWEN14, "math500-96")].equivalent is False  # the model gave only the root 1
