"""Agreement with third-party cases written for another verifier (Math-Verify's own tests).

``tests/math_verify_cases.json`` holds the (gold, pred, expected) cases of Math-Verify
0.9.0's test-suite (source and licence in its header), split by a seeded hash into a
``dev`` half (looked at while working on the checker) and a ``heldout`` half (only
measured). Each case runs the whole user path: the prediction text goes through the math
tasks' reasoning split and ``math_or_number`` extractor, then :func:`is_equivalent`
against the gold (undecided counts as "not accepted").

``DISPUTED`` lists the cases whose expected value is wrong by our documented policies
(with the reason); they are reported but not counted. Measured (Math-Verify 0.9.0 cases,
248 after de-duplication: 112 dev, 136 held-out): before this work 59.8% dev / 48.5%
held-out (all cases); then 90.2% / 86.8% with all cases, 100% / 92.9% without the
disputed ones. Fixing the checker defects behind the held-out misses (matrix sums and
products are now evaluated, ratio labels ``V_1:V_2=11:21`` are labels, ``(11,7)or(7,11)``
is a list, an inequality in ``f(x)`` is a set of reals) makes it 90.2% / 91.2% with all
cases, 100% / 97.6% without: the held-out half was looked at for those fixes, so
``tests/test_math_equiv_third_party_fresh.py`` measures on a second, untouched set.
Held-out disagreements left are all extraction (``harness.scoring.extract``): an earlier
box wins over a later "final answer is" cue, a cue followed by a plain sentence, and a
case holding a form feed. Run this file as a script to print
the agreement of each half and every disagreement:

    .venv/bin/python tests/test_math_equiv_third_party.py [--heldout]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from harness.scoring.extract import _is_prose, extract_math_or_number
from harness.scoring.math_equiv import is_equivalent
from harness.scoring.score import parse_output

CASES = json.loads((Path(__file__).with_name("math_verify_cases.json")).read_text())["cases"]

# (gold, pred) -> why Math-Verify's expected value contradicts our policies.
DISPUTED: dict[tuple[str, str], str] = {
    ('$9$',
     'Answer $ \n 9 \n $'):
        "a math span may span lines: 'Answer $ 9 $' states 9, the gold",
    ('$9$',
     'Answer \\( \n 9 \n \\)'):
        "a math span may span lines: 'Answer \\( 9 \\)' states 9, the gold",
    ('$10/9$',
     'Answer $ \\frac{1}{2} \\$ = \\frac{10}{9} $'):
        "chains: '1/2 = 10/9' is inconsistent, so it is not one answer",
    ('$x = 11$',
     '$x = 5+5+1 = 7 =11$'):
        "chains: 'x = 5+5+1 = 7 = 11' is inconsistent (11 != 7), so it is not one answer",
    ('$x = 1/3$',
     '$x = 5+5+1 = 1/3 \\approx 11$'):
        "chains: 'x = 5+5+1 = 1/3' is inconsistent (11 != 1/3), so it is not one answer",
    ('$1 = \\zzz = x = 0$',
     '$0$'):
        'the gold is no answer: an unknown command \\zzz in a chain of unequal numbers',
    ('$(\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5} \\end{pmatrix})$',
     '$\\begin{pmatrix}0.33\\\\0.2 \\end{pmatrix}$'):
        'strict: 0.33 is a rounded approximation of 1/3',
    ('$x \\in [-2,7]$',
     '$-2 \\\\le x \\\\le 7$'):
        'inequalities and intervals compare as sets of reals in both roles: -2 <= x <= 7 is [-2, 7]',
    ('$(37,3,3,13),(17,3,3,7),(3,37,3,13),(3,17,3,7),(3,3,2,3)$',
     '$\\boxed{(3, 37, 3, 13), (3, 17, 3, 7), (3, 3, 2, 3), (3,17,3,7), (17,3,3,7), (37,3,3,13)}$'):
        'bare lists are multisets: the prediction lists (3,17,3,7) twice, six answers for five',
    ('\\\\boxed{W(n) = 1 \\\\text{ and } W(n) = -1',
     'W(x)=1orW(x)=-1'):
        'the gold is malformed (an unclosed \\boxed, doubled backslashes) and names W(n), the prediction W(x)',
    ('0,111',
     '0.111'):
        "commas: a gold '0,111' is a list (0 and 111); decimal commas are read only in predictions",
    # held-out cases, classified after the checker was frozen (the checker was not changed for them):
    ('1,22',
     '1.22'):
        "commas: a gold '1,22' is a list (1 and 22); decimal commas are read only in predictions",
    ('$11$',
     '$x\\approx11$'):
        "strict: 'x \\approx 11' states an approximation, not the value",
    ('$z = 1 + 1 = 2$',
     '$z = 3+3 = 2$'):
        "chains: 'z = 3+3 = 2' is inconsistent (6 != 2), so it is not one answer",
    ('$\\frac{1}{12}$',
     '$0.0833333333333333$'):
        'strict: 0.0833333333333333 is a rounded approximation of 1/12',
    ('$(\\frac{3}{5},\\frac{8}{3}]$',
     '$(0.6,2.6667]$'):
        'strict: 2.6667 is a rounded approximation of 8/3',
    ('\\boxed{x = -5,\\ p = \\frac{14}{3}} ',
     '$\\boxed{-5, \\frac{14}{3}}$'):
        'labelled answers: distinct one-letter variables form a tuple ordered by name, (p, x) = (14/3, -5); the bare prediction is read in that order',
    ('$$(3, 3), (1, 1)$$',
     '$$\\boxed{(3, 3)} \\text{ for part (a) and } \\boxed{(1, 1)}$$'):
        'several boxes: boxes separated by words are not one answer; the last box (1, 1) is the answer',
    ('\\boxed{1} papers and \\boxed{2} bins',
     '$\\boxed{1,2}$'):
        "several boxes: boxes separated by words are not one answer; the gold's last box is 2",
    ('$\\\\boxed{35 cm} ++++++ \\\\boxed{4}$',
     '${35 cm,4}$'):
        "several boxes: boxes separated by '++++++' are not one answer; the gold's last box is 4",
}

DEV_ALL_MIN = 0.90  # measured 101/112 = 0.902 with the disputed cases
HELDOUT_ALL_MIN = 0.91  # measured 124/136 = 0.912 with the disputed cases
HELDOUT_MIN = 0.97  # measured 124/127 = 0.976 without them


def verdict(gold: str, pred: str) -> bool:
    """Our verdict on one case: extract the prediction's answer, then compare. A gold that
    is a whole worked solution (prose, as some of these cases give) has its answer
    extracted the same way: Math-Verify parses both sides alike."""
    answer = parse_output(pred, extractor="math_or_number").extracted
    if len(gold) > 150 and _is_prose(gold):
        gold = extract_math_or_number(gold) or gold
    return answer is not None and is_equivalent(gold, answer, describe=False).equivalent is True


def agreement(split: str, *, disputed: bool = False) -> tuple[float, list[dict]]:
    """(share of the cases of ``split`` where we agree, the disagreements); disputed cases
    are left out unless ``disputed``."""
    cases = [c for c in CASES if c["split"] == split and (disputed or (c["gold"], c["pred"]) not in DISPUTED)]
    wrong = [c for c in cases if verdict(c["gold"], c["pred"]) != c["expected"]]
    return 1 - len(wrong) / len(cases), wrong


def test_cases_are_split_and_sourced():
    assert {c["split"] for c in CASES} == {"dev", "heldout"}
    assert sum(c["split"] == "heldout" for c in CASES) >= 100
    assert all((g, p) in {(c["gold"], c["pred"]) for c in CASES} for g, p in DISPUTED)


def test_dev_agreement_is_complete_but_for_reviewed_disputes():
    share, wrong = agreement("dev")
    assert share == 1.0, [(c["gold"][:60], c["pred"][-60:], c["expected"]) for c in wrong]


def test_heldout_agreement_floor():
    share, wrong = agreement("heldout")
    assert share >= HELDOUT_MIN, [(c["gold"][:60], c["pred"][:60], c["expected"]) for c in wrong]


def test_agreement_floors_with_disputed_cases():
    assert agreement("dev", disputed=True)[0] >= DEV_ALL_MIN
    assert agreement("heldout", disputed=True)[0] >= HELDOUT_ALL_MIN


if __name__ == "__main__":
    for split in ("dev", "heldout") if "--heldout" in sys.argv else ("dev",):
        share, wrong = agreement(split)
        raw, _ = agreement(split, disputed=True)
        print(f"{split}: {share:.1%} agreement without disputed cases ({len(wrong)} disagreements), {raw:.1%} with them")
        if split == "dev":
            for c in wrong:
                print(f"  expected={c['expected']}  gold={c['gold'][:80]!r}  pred={c['pred'][-100:]!r}")
