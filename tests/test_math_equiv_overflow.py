"""No answer too large, too small or not finite is ever accepted against a different gold.

A seeded generator builds pairs whose values differ mathematically: one side is huge
(|value| >= 10^300: powers, factorials, towers, ``1e999``, roots of huge numbers, complex
multiples), tiny but non-zero (against 0), or a small gold plus a tiny non-zero
perturbation; the other side is a small gold. The verdict must never be ``True``, through
:func:`is_equivalent` (either role), through :class:`EquivPool`, and through a replay run
of ``harness eval``.
"""
from __future__ import annotations

import json
import random
import time

import pytest

from harness.cli import main
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.math_equiv import UNDECIDED_REASONS, is_equivalent

SMALL_GOLDS = ["0", "1", "7", "-3", "\\frac{1}{2}", "\\sqrt{2}", "\\pi", "2\\sqrt{3}", "e", "100", "0.5", "x", "x+1"]


def _huge(rng: random.Random) -> str:
    """An answer whose absolute value is at least 10^300."""
    n = rng.randint(300, 3000)
    k = rng.randint(2, 9)
    forms = [
        f"10^{{{n}}}", f"-10^{{{n}}}", f"{k}\\cdot 10^{{{n}}}", f"1e{n}", f"{k}e{n}", f"{k}^{{{4 * n}}}",
        f"{rng.randint(171, 2000)}!", f"\\sqrt{{10^{{{2 * n}}}}}", f"10^{{{n}}}i", f"10^{{{n}}}\\sqrt{{2}}",
        f"e^{{{3 * n}}}", f"\\frac{{10^{{{n + 5}}}}}{{{k}}}", f"10^{{{n}}}+{k}", f"{k}^{{{k}^{{{k}}}}}" if k >= 5 else f"{k}^{{1000}}",
        f"10^{{{n}}}\\pi", f"(10^{{{n}}})^{{2}}", f"\\binom{{{2 * n}}}{{{n}}}",
    ]
    return rng.choice(forms)


def _tiny(rng: random.Random) -> str:
    """A non-zero answer whose absolute value is at most 10^-300."""
    n = rng.randint(301, 3000)
    return rng.choice([f"10^{{-{n}}}", f"\\frac{{1}}{{10^{{{n}}}}}", f"1e-{n}", f"e^{{-{3 * n}}}",
                       f"\\frac{{1}}{{{rng.randint(171, 2000)}!}}", f"-10^{{-{n}}}", f"10^{{-{n}}}\\sqrt{{2}}"])


def _pairs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        gold = rng.choice(SMALL_GOLDS)
        kind = rng.random()
        if kind < 0.5:
            pred = _huge(rng)
        elif kind < 0.7:
            gold, pred = "0", _tiny(rng)
        else:  # gold plus a tiny non-zero perturbation (never equal to gold)
            pred = f"{gold}+{_tiny(rng)}" if not gold.startswith("-") else f"{gold}-{_tiny(rng)}"
        out.append((gold, pred))
    return out


PAIRS = _pairs(seed=20240607, count=300)

HAND_PICKED = [
    ("7", "10^{400}"), ("1", "171!"), ("0", "2000!"), ("7", "1e999"), ("0", "\\frac{1}{10^{400}}"),
    ("0", "e^{-1000}"), ("7", "\\sqrt{10^{800}}"), ("7", "(10^{400})i"), ("7", "7+e^{-2000}"),
    ("7", "7+\\frac{1}{171!}"), ("1", "1+10^{-400}"), ("7", "7+\\sqrt{10^{200}+1}-10^{100}"),
    ("7", "7+e^{-e^{10}}"), ("7", "\\infty"), ("7", "-\\infty"), ("0", "10^{-400}x"), ("x", "x+10^{-400}"),
    ("7", "9^{9^{9}}"), ("0", "0\\cdot\\infty"), ("1", "\\frac{\\infty}{\\infty}"), ("7", "10^{400}!"),
    ("1", "(1+10^{-400})^{10^{400}}"),  # about e, not 1
    ("7", "7+(1+10^{-200})^{2}-1-2\\cdot10^{-200}"),  # 7 + 10^-400
]


def _refused(res) -> bool:
    return res.equivalent is False or (res.equivalent is None and res.reason in UNDECIDED_REASONS)


@pytest.mark.parametrize("gold,pred", HAND_PICKED)
def test_hand_picked_overflow_cases_are_never_accepted(gold, pred):
    for g, p in ((gold, pred), (pred, gold)):
        res = is_equivalent(g, p)
        assert _refused(res), (g, p, res)


def test_generated_huge_and_tiny_answers_are_never_accepted():
    accepted = [(g, p, r.reason) for g, p in PAIRS for g2, p2 in ((g, p), (p, g))
                for r in [is_equivalent(g2, p2, describe=False)] if r.equivalent]
    assert not accepted, accepted[:5]


def test_exact_comparison_decides_huge_but_equal_values():
    # 10^400 - 10^400 + 7 is exactly 7: exact arithmetic accepts it, no float involved.
    assert is_equivalent("7", "10^{400}-10^{400}+7").equivalent is True
    assert is_equivalent("10^{400}", "10^{400}").equivalent is True
    assert is_equivalent("10^{400}+1", "10^{400}").equivalent is False
    assert is_equivalent("171!", "171\\cdot 170!").equivalent is True
    assert is_equivalent("\\frac{10^{400}}{10^{399}}", "10").equivalent is True


def test_roots_of_huge_degree_are_refused_quickly():
    # 2^{2^{-1000}} exceeds 1 by about 10^{-301}: sympy would build a minimal polynomial of
    # degree 2^{1000}, so such roots are too_complex (never a verdict, never a hang).
    for gold, pred in (("[1,+\\infty)", "[2^{\\frac{1}{2^{1000}}}, \\infty)"), ("1", "2^{\\frac{1}{2^{1000}}}"),
                       ("1", "\\sqrt[10^{6}]{2}")):
        start = time.monotonic()
        res = is_equivalent(gold, pred)
        assert res.equivalent is None and res.reason == "too_complex", (gold, pred, res)
        assert time.monotonic() - start < 5
    assert is_equivalent("2^{\\frac{1}{12}}", "\\sqrt[12]{2}").equivalent is True  # ordinary roots still work


def test_numeric_fallback_still_accepts_identities_in_range():
    # sympy cannot always prove these; the numeric fallback may, within [1e-300, 1e300].
    assert is_equivalent("\\frac{\\sqrt6+\\sqrt2}{2}", "\\sqrt{2+\\sqrt3}").equivalent is True
    assert is_equivalent("\\sin^2 x+\\cos^2 x", "1").equivalent is True


def test_pool_never_accepts_overflow_pairs():
    pairs = HAND_PICKED + PAIRS[:80]
    with EquivPool(workers=1, timeout_s=10) as pool:
        results = pool.check_many(pairs + [(p, g) for g, p in pairs])
    accepted = [(pair, r) for pair, r in zip(pairs + [(p, g) for g, p in pairs], results) if r.equivalent]
    assert not accepted, accepted[:5]


@pytest.fixture
def aime24(shared_data):
    return [json.loads(line) for line in (shared_data / "aime" / "aime2024.jsonl").read_text().splitlines() if line]


@pytest.mark.parametrize("answer", ["\\boxed{10^{400}}", "\\boxed{2000!}", "\\boxed{1e999}"])
def test_replay_of_a_huge_answer_for_every_aime_problem_scores_zero(tmp_path, shared_data, aime24, answer, capsys):
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "aime24", "doc_id": d["id"], "sample": 0, "output": answer}) + "\n"
                             for d in aime24))
    out = tmp_path / "run"
    argv = ["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "aime24",
            "--data-dir", str(shared_data), "--output", str(out), "--no-progress"]
    assert main(argv) == 0
    m = json.loads((out / "results.json").read_text())["tasks"]["aime24"]
    assert m["pass@1"]["n"] == len(aime24) == 30
    assert m["pass@1"]["value"] == 0.0


@pytest.mark.parametrize("gold,pred", [
    ("1" + "0" * 400, "5"), ("5", "1" + "0" * 400 + ".0"), ("7.0", "7" + "0" * 400 + ".0"), ("7", "1e999"),
    ("e^{1000}", "1" + "0" * 434 + ".0"),
])
def test_rounding_requests_compare_huge_numbers_exactly(gold, pred):
    # "to the nearest tenth" used to convert both sides to floats (OverflowError, or inf == inf)
    res = is_equivalent(gold, pred, problem="Give your answer to the nearest tenth.")
    assert _refused(res), res
