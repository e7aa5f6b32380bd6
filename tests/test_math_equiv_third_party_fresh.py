"""Agreement with a second, untouched third-party set (other verifiers' own test cases).

``tests/third_party_fresh_cases.json`` holds 153 (gold, pred, expected) cases transcribed
from the test-suites of four other verifiers (repository, path, commit and licence of each
in its header): hendrycks/math ``is_equiv``, MARIO_EVAL ``is_equiv``, NeMo-Skills
``math_equal`` (asserted in both orders: each order is a case) and Trinity-RFT's
``verify_math_answer`` / ``compute_score_v0`` / ``is_equiv``. The set was frozen (its
sha256 is in the header and checked below) before the checker was first run on it.

How a case runs: the answer-level verifiers (all but Trinity's response graders) compare
two answer strings, so those cases go straight to :class:`EquivPool` (the scoring path:
a hard deadline per pair; undecided counts as "not accepted"); Trinity's response graders
take a whole model response, so those go through the math tasks' extraction first, as in
``test_math_equiv_third_party.py``.

Measured once on the frozen set, before any change made for it (every prediction sent
through extraction, as in the Math-Verify file): 84.3% (129/153) with all cases, 91.5%
(129/141) without the 12 disputed ones; read at the answer level as above, 86.9% (133/153)
and 94.3% (133/141) (extraction cuts four bare matrices to their last number). The real
checker defects it exposed were then fixed (a gold list with ``, \\text{ and }``,
juxtaposed powers ``2^6 3^5 5^4``, a trailing backslash ``185\\``, a choice letter written
``C. x = 42``), so the numbers below are no longer held-out: 90.8% (139/153) with all
cases, 98.6% (139/141) without the disputed ones; the floors below sit a case or two under.
Left (limitations, not disputes): a decimal exponent (``(\\frac{r_0}{r+r_0})^{0.5}``)
disables the numeric fallback and sympy cannot prove the identity; a gold matrix written
with doubled backslashes (``\\\\begin{matrix}``) is not read. The set also exposed a hang:
``2^{\\frac{1}{2^{1000}}}`` sent sympy after a minimal polynomial of degree 2^1000 (only
the pool's deadline stopped it); numeric roots of such degree are now ``too_complex``.

Run as a script to print every disagreement: ``.venv/bin/python tests/test_math_equiv_third_party_fresh.py``.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.scoring.equiv_pool import EquivPool
from harness.scoring.score import parse_output

DATA = json.loads(Path(__file__).with_name("third_party_fresh_cases.json").read_text())
CASES = DATA["cases"]
FROZEN_SHA256 = "31e03c3fa317ac6b6873503bb207abc6b6875c4ee8d0516b3bf99a39fdd4bf00"
RESPONSE_TESTS = {"test_verify_math_answer", "TestComputeScore"}  # graders of a whole response

# (gold, pred) -> why the third-party expected value contradicts our documented policies.
DISPUTED: dict[tuple[str, str], str] = {
    ("10, 4, -2", "4, 10, -2"): "lists: a bare list is an unordered multiset (MATH's 'enter all solutions')",
    ("0.1, 4, 2", "4, .1, 2"): "lists: a bare list is an unordered multiset",
    ("x + \\sqrt2I", "x + 1.414I"): "strict: 1.414 is a rounded approximation of sqrt(2)",
    ("\\frac13, \\sqrt3, \\pi", "1/3, 1.732, 3.1416"): "strict: 1.732 and 3.1416 are rounded approximations",
    ("40\\pi", "125.663"): "strict: 125.663 is a rounded approximation of 40 pi",
    ("\\frac{\\sqrt{3}}{2}", "0.8660254037844386"): "strict: a float is a rounded approximation of sqrt(3)/2",
    ("\\begin{cases} a+b=\\frac12 \\\\ a-b=\\sqrt3 \\end{cases}", "\\begin{cases} a+b=0.5\\\\ a-b=1.732\\end{cases}"):
        "strict: 1.732 is a rounded approximation of sqrt(3)",
    ("2.314814814815 \\times 10^{-3}", "\\frac{1}{432}"): "strict: the gold is a rounded approximation of 1/432",
    ("10cm", "10"): "units: a unit is dropped whatever its spacing (the other grader keeps a short unit without a space)",
    ("[1,+\\infty)", "[2^{\\frac{1}{2^{1000}}}, \\infty)"):
        "mathematics: 2^(2^-1000) > 1, so the intervals differ (the other grader rounds)",
    ("\\begin{matrix} \\frac12 \\\\ 1 \\end{matrix}", "[0.5, 1]"): "intervals: [0.5, 1] is a closed interval, not a vector",
    ("", "The answer is \\boxed{}"): "contract: an empty gold cannot be judged (undecided, never a verdict)",
}

FLOOR_ALL = 0.90  # measured 139/153 = 0.908 after the fixes (see the module docstring)
FLOOR_UNDISPUTED = 0.97  # measured 139/141 = 0.986


def verdicts() -> list[bool]:
    """Our verdict on every case, in order (see the module docstring for the two paths)."""
    pairs, where = [], []
    out: list[bool | None] = [None] * len(CASES)
    for i, c in enumerate(CASES):
        pred = c["pred"]
        if c["test"] in RESPONSE_TESTS:
            pred = parse_output(pred, extractor="math_or_number").extracted
            if pred is None:
                out[i] = False
                continue
        pairs.append((c["gold"], pred))
        where.append(i)
    with EquivPool(workers=2, timeout_s=20) as pool:
        for i, res in zip(where, pool.check_many(pairs)):
            out[i] = res.equivalent is True
    return out  # type: ignore[return-value]


@pytest.fixture(scope="module")
def measured() -> list[bool]:
    return verdicts()


def agreement(ours: list[bool], *, disputed: bool) -> tuple[float, list[dict]]:
    """(share of agreement, the disagreements); disputed cases left out unless ``disputed``."""
    keep = [(c, v) for c, v in zip(CASES, ours) if disputed or (c["gold"], c["pred"]) not in DISPUTED]
    wrong = [c for c, v in keep if v != c["expected"]]
    return 1 - len(wrong) / len(keep), wrong


def test_set_is_frozen_and_sourced():
    digest = hashlib.sha256(json.dumps(CASES, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert digest == DATA["sha256"] == FROZEN_SHA256
    assert len(CASES) == 153 and len({(c["gold"], c["pred"]) for c in CASES}) == len(CASES)
    assert all(len(s["commit"]) == 40 and s["licence"] and s["repo"] and s["path"] for s in DATA["sources"])
    assert {c["source"] for c in CASES} == {s["repo"] for s in DATA["sources"]}
    assert all((g, p) in {(c["gold"], c["pred"]) for c in CASES} for g, p in DISPUTED)


def test_no_false_accept_on_refusals(measured):
    """Every case the other verifiers refuse that our policies also refuse stays refused."""
    accepted = [c for c, v in zip(CASES, measured)
                if v and not c["expected"] and (c["gold"], c["pred"]) not in DISPUTED]
    assert not accepted, [(c["gold"], c["pred"]) for c in accepted]


def test_agreement_floors(measured):
    share, wrong = agreement(measured, disputed=True)
    assert share >= FLOOR_ALL, [(c["gold"][:60], c["pred"][:60], c["expected"]) for c in wrong]
    share, wrong = agreement(measured, disputed=False)
    assert share >= FLOOR_UNDISPUTED, [(c["gold"][:60], c["pred"][:60], c["expected"]) for c in wrong]


if __name__ == "__main__":
    ours = verdicts()
    for disputed in (True, False):
        share, wrong = agreement(ours, disputed=disputed)
        print(f"{'all cases' if disputed else 'without disputed'}: {share:.1%} ({len(wrong)} disagreements)")
    for c in agreement(ours, disputed=True)[1]:
        tag = "disputed" if (c["gold"], c["pred"]) in DISPUTED else "limitation"
        print(f"  [{tag}] expected={c['expected']} {c['source']} gold={c['gold']!r} pred={c['pred']!r}")
