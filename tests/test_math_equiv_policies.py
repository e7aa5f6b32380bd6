"""More hand-written equivalence cases, by category, including cases that need the problem
statement (requested base, rounding, multiple-choice options, log convention).

Each expectation follows from the mathematics and, where given, the problem text; the
one-line comments say why when it is not obvious. Policies are stated in the
``harness.scoring.math_equiv`` module docstring.
"""
from __future__ import annotations

import json

import pytest

from harness.scoring.math_equiv import (
    Hints,
    UNDECIDED_REASONS,
    analyze,
    is_equivalent,
    normalize_answer,
    problem_hints,
    quick_check,
    refutes,
)

# --- nested boxes and box variants -----------------------------------------------------------
BOXED = [
    ("5", "\\boxed{\\boxed{5}}", True),  # the innermost box is the answer
    ("\\frac{1}{2}", "\\fbox{\\frac12}", True),
    ("5", "\\boxed{5}\\text{ cm}", True),  # the box content is the answer; units outside are ignored
    ("(1,2)", "\\boxed{(1, 2)}", True),
    ("7", "The answer is $\\boxed{7}$.", True),  # a whole sentence around one box
    ("7", "$\\boxed{8}$", False),
]

# --- fraction commands, mixed numbers ------------------------------------------------------------
FRACTIONS = [
    ("\\frac{3}{4}", "\\tfrac34", True),
    ("\\frac{3}{4}", "\\dfrac{3}{4}", True),
    ("\\frac{3}{4}", "3/4", True),
    ("\\frac{3}{4}", "\\frac{4}{3}", False),  # reciprocal
    ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}2", True),  # one-token arguments without braces
    ("\\frac{\\sqrt{3}}{2}", "\\tfrac{\\sqrt{3}}{2}", True),
    ("2\\frac{1}{3}", "\\frac{7}{3}", True),  # mixed number: 2 + 1/3
    ("2\\frac{1}{3}", "2 \\frac{1}{3}", True),
    ("2\\frac{1}{3}", "\\frac{2}{3}", False),  # 2 * 1/3 would be 2/3; the mixed number is 7/3
    ("-1\\frac{1}{2}", "-1.5", True),  # a negative mixed number: -(1 + 1/2)
    ("\\frac{a+b}{2}", "\\dfrac{b+a}{2}", True),
    ("\\frac{1}{x}", "x^{-1}", True),
]

# --- repeating decimals (exact) and truncated decimals (approximations) ----------------------------
REPEATING = [
    ("\\frac{1}{3}", "0.\\overline{3}", True),  # 0.333... = 1/3
    ("0.\\overline{3}", "\\frac{1}{3}", True),
    ("\\frac{7}{12}", "0.58\\overline{3}", True),  # 0.58333... = 58/100 + 3/900 = 7/12
    ("\\frac{1}{7}", "0.\\overline{142857}", True),
    ("\\frac{4}{3}", "1.\\overline{3}", True),
    ("\\frac{1}{3}", "0.(3)", True),  # parenthesised repetend
    ("\\frac{1}{3}", "0.\\dot{3}", True),  # dot notation
    ("\\frac{1}{7}", "0.\\dot{1}4285\\dot{7}", True),  # dots over the first and last repeated digit
    ("\\frac{1}{3}", "0.333...", True),  # a digit shown three times then dots: repeating
    ("\\frac{1}{3}", "0.333\\ldots", True),
    ("\\frac{1}{6}", "0.1666...", True),
    ("\\frac{1}{3}", "0.3\\overline{4}", False),  # 0.3444... = 31/90
    ("\\pi", "3.14159...", False),  # no repeating block: a truncated decimal
    ("\\frac{1}{3}", "0.33...", False),  # a digit shown only twice: read as the decimal 0.33
    ("1", "0.\\overline{9}", True),  # 0.999... = 1
    ("\\frac{2}{11}", "0.\\overline{18}", True),
]

# --- scientific notation -------------------------------------------------------------------------
SCIENTIFIC = [
    ("6.02\\times10^{23}", "6.02 \\times 10^{23}", True),
    ("6.02\\times10^{23}", "602000000000000000000000", True),
    ("6.02\\times10^{23}", "6.02e23", True),
    ("6.02\\times10^{23}", "6.02\\times10^23", True),  # braces forgotten: still the exponent 23
    ("1024", "2^10", True),
    ("6.02\\times10^{23}", "6.02 \u00d7 10\u00b2\u00b3", True),  # unicode times and superscript digits
    ("6.02\\times10^{23}", "6.02\\times10^{22}", False),
    ("3\\times10^{-4}", "0.0003", True),
    ("1.2\\cdot 10^{5}", "120{,}000", True),
    ("2.5\\times10^{-2}", "\\frac{1}{40}", True),
]

# --- radicals, pi, exact trigonometric values -------------------------------------------------------
RADICALS_TRIG = [
    ("\\sqrt{12}", "2\\sqrt{3}", True),
    ("\\sqrt{12}", "3\\sqrt{2}", False),  # sqrt 18
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True),
    ("\\sqrt[3]{54}", "3\\sqrt[3]{2}", True),  # 54 = 27 * 2
    ("\\sqrt{2}\\sqrt{3}", "\\sqrt{6}", True),
    ("2\\pi", "\\pi+\\pi", True),
    ("\\frac{\\pi}{4}", "45", False),  # degrees and radians are not converted outside trig functions
    ("\\frac{\\pi}{3}", "60^\\circ", False),  # a degree answer where radians were expected
    ("\\frac{\\sqrt{2}}{2}", "\\sin 45^\\circ", True),
    ("\\frac{1}{2}", "\\sin 30^\\circ", True),
    ("1", "\\tan \\frac{\\pi}{4}", True),
    ("\\sqrt{3}", "\\tan 60^{\\circ}", True),
    ("-1", "\\cos\\pi", True),
    ("\\frac{\\sqrt{3}}{2}", "\\cos\\frac{\\pi}{6}", True),
    ("\\frac{\\sqrt{3}}{2}", "\\sin\\frac{\\pi}{6}", False),  # sin(pi/6) = 1/2
    ("2-\\sqrt{3}", "\\tan 15^\\circ", True),  # tan(45 - 30) = 2 - sqrt 3
    ("\\frac{\\pi}{3}", "\\arccos\\frac{1}{2}", True),
    ("\\frac{\\pi}{2}", "\\frac{\\pi}{2}+2\\pi", False),  # a different number, though the same angle
]

# --- infinity ------------------------------------------------------------------------------------------
INFINITY = [
    ("\\infty", "\\infty", True),
    ("\\infty", "+\\infty", True),
    ("\\infty", "\\text{infinity}", True),
    ("\\infty", "\u221e", True),
    ("\\infty", "-\\infty", False),
    ("-\\infty", "-\\text{infinity}", True),
    ("\\infty", "10^{100}", False),  # a large number is not infinity
    ("(-\\infty,\\infty)", "(-\\infty, +\\infty)", True),
]

# --- inequalities and intervals ---------------------------------------------------------------------
INEQUALITIES = [
    ("[2,\\infty)", "x \\ge 2", True),  # {x : x >= 2} = [2, oo)
    ("[2,\\infty)", "x\\geq 2", True),
    ("[2,\\infty)", "x > 2", False),  # 2 is in the gold set
    ("[2,\\infty)", "2 \\le x", True),  # mirrored
    ("x \\ge 2", "[2,\\infty)", True),
    ("(2,\\infty)", "x>2", True),
    ("(-\\infty,3)", "x<3", True),
    ("(-\\infty,3]", "x \\leq 3", True),
    ("(-2,5]", "-2<x\\le 5", True),  # a chain is an intersection
    ("(-2,5]", "-2\\le x\\le 5", False),
    ("(-2,1)", "-2<x<1", True),  # with an inequality on the other side, (a, b) is an interval
    ("(-\\infty,-1)\\cup(3,\\infty)", "x<-1 \\text{ or } x>3", True),
    ("(-\\infty,-1)\\cup(3,\\infty)", "x<-1 \\text{ or } x\\ge 3", False),
    ("(-\\infty,3)\\cup(3,\\infty)", "x \\neq 3", True),
    ("x<3", "3>x", True),
    ("x<3", "-x>-3", True),  # the same set of reals
    ("x \\geq 2", "2x-4 \\geq 0", True),  # 2x - 4 >= 0 iff x >= 2
    ("x > 3", "t > 3", True),  # the variable of a solution set is a dummy
    ("(-\\infty, 1] \\cup [2, \\infty)", "(-\\infty,1]\\cup[2,\\infty)", True),
    ("(-\\infty, 5]", "(-\\infty,2)\\cup[2,5]", True),  # the same set written as a union
    ("\\mathbb{R}", "(-\\infty,\\infty)", True),
    ("\\mathbb{R}", "\\text{all real numbers}", True),
    ("\\mathbb{R}", "x \\in \\mathbb{R}", True),
    ("[0,1]", "0\\le x\\le 1", True),
    ("[0,1]", "[0,1)", False),
    ("(1,3)", "x>1 \\text{ and } x<3", True),  # "and" intersects conditions
    ("(1,3)", "x>1 \\text{ or } x<3", False),  # "or" unites them: every real
    ("\\mathbb{R}", "x>1 \\text{ or } x<3", True),
]

# --- lists vs tuples (policy: a gold list of solutions is unordered, also in parentheses) -----------
LISTS_TUPLES = [
    ("-2,1", "(-2,1)", True),  # "enter all solutions, separated by commas": the pair of solutions
    ("-2,1", "(1,-2)", True),  # order of solutions does not matter
    ("-2,1", "\\{-2,1\\}", True),
    ("-2,1", "[-2,1]", False),  # square brackets make a closed interval, not a list
    ("-2,1", "x=-2 \\text{ or } x=1", True),
    ("-2,1", "x = 1, x = -2", True),
    ("(-2,1)", "-2,1", True),  # an ordered pair written without parentheses, same order
    ("(-2,1)", "1,-2", False),  # the pair's order matters
    ("(3,5)", "x=3, y=5", True),  # named coordinates: (x, y)
    ("(3,5)", "y=5, x=3", True),  # ordered by variable name
    ("(3,5)", "x=5, y=3", False),
    ("\\{1,2\\}", "(1,2)", False),  # a set is not an ordered pair
    ("(1,2,3)", "\\left\\langle 1,2,3 \\right\\rangle", True),  # angle-bracket vector
    ("0,144", "144,0", True),  # "0,144" is a list (a leading 0 is no thousands group)
    ("1,000", "1000", True),  # a thousands separator
    ("(1,000)", "(1,0)", True),  # in a tuple the comma separates components
]

# --- equations vs values -------------------------------------------------------------------------------
EQUATIONS_VALUES = [
    ("y = 2x+1", "2x+1", True),  # the value of y
    ("2x+1", "y=2x+1", True),
    ("y = 2x+1", "y-2x-1=0", True),  # the same line in another form
    ("y = 2x+1", "2x-y+1=0", True),
    ("y = 2x+1", "y=2x-1", False),
    ("y = 2x+1", "x=2y+1", False),  # a different line
    ("f(x) = x^2", "x^2", True),
    ("f^{-1}(x) = \\frac{x-3}{2}", "\\frac{x-3}{2}", True),
    ("x^2+y^2=25", "x^2+y^2-25=0", True),
    ("x^2+y^2=25", "x^2+y^2=5", False),
    ("k = 4", "4", True),
    ("\\alpha = \\frac{\\pi}{4}", "\\frac{\\pi}{4}", True),
    ("\\frac{1}{8}", "\\sin^3 18^\\circ + \\sin^2 18^\\circ = \\frac{1}{8}", True),  # a computation: its result
    ("5", "2+3=5", True),
    ("6", "2+3=5", False),  # the result is 5 (and the chain is false anyway)
    ("\\frac{14}{3}", "\\frac{14}{3} = 4.67", False),  # the last side is a rounded value
    ("4", "x+1=5", False),  # an equation in x is not a computation
]

# --- matrices ---------------------------------------------------------------------------------------------
MATRICES = [
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", True),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", False),  # transpose
    ("\\begin{pmatrix}\\frac12\\\\0\\end{pmatrix}", "\\begin{pmatrix}0.5\\\\0\\end{pmatrix}", True),
    ("\\begin{pmatrix}\\sqrt{2}\\\\1\\end{pmatrix}", "\\begin{bmatrix}\\sqrt2\\\\1\\end{bmatrix}", True),
    ("\\begin{pmatrix}2\\\\-1\\end{pmatrix}", "\\langle 2,-1\\rangle", True),  # a column vector as a tuple
    ("\\begin{pmatrix}2\\\\-1\\end{pmatrix}", "(2,1)", False),
]

# --- clock times and ratios ---------------------------------------------------------------------------------
CLOCK = [
    ("4:30", "4:30", True),
    ("4:30 \\text{ p.m.}", "4:30 PM", True),
    ("4:30p..", "4:30", True),  # a damaged gold "4:30 p.m." (MATH): still 4:30 in the afternoon
    ("4:30 p.m.", "16:30", True),  # 24-hour clock
    ("4:30 p.m.", "4:30 a.m.", False),
    ("4:30", "4:35", False),
    ("10:00 a.m.", "10 a.m.", True),
    ("12:15 a.m.", "0:15", True),  # 12 a.m. is hour 0
    ("4:30", "4.5", False),  # a number is not a clock time
    ("3:2", "\\frac{3}{2}", True),  # a ratio 3:2 is 3/2
    ("3:2", "6:4", True),  # equal ratios
    ("3:2", "2:3", False),
]

# --- logarithms -------------------------------------------------------------------------------------------
LOGS = [
    ("2", "\\log 100", True),  # a bare log is base 10
    ("2", "\\log_{10} 100", True),
    ("3", "\\log_2 8", True),
    ("\\log_2 8", "\\frac{\\ln 8}{\\ln 2}", True),  # change of base
    ("1", "\\ln e", True),
    ("\\ln 2", "\\log 2", False),  # base 10 and natural logs differ
    ("3\\log 2", "\\log 8", True),  # log 8 = 3 log 2 in any base
    ("\\ln 6", "\\ln 2 + \\ln 3", True),
]

# --- Chinese answer phrasing -------------------------------------------------------------------------
CHINESE = [
    ("5", "答案是 5", True),
    ("5", "答案：5", True),
    ("5", "最终答案为5", True),
    ("5", "5个", True),  # a counting unit
    ("12", "12 元", True),  # currency
    ("3", "3厘米", True),
    ("\\frac{1}{2}", "答案是$\\frac{1}{2}$", True),
    ("3,5", "x=3或x=5", True),  # "or"
    ("B", "选B", True),  # "choose B"
    ("B", "B项", True),
    ("B", "选C", False),
    ("\\emptyset", "无解", True),  # "no solution": the empty set
    ("甲", "甲", True),
    ("甲", "乙", False),
    ("6", "６", True),  # full-width digit
    ("(1,2)", "（1，2）", True),  # full-width parentheses and comma
    ("(1,3)", "x>1且x<3", True),  # "and" between conditions
]

# --- plain text and named sets ------------------------------------------------------------------------
TEXT = [
    ("\\text{Monday}", "monday", True),
    ("\\text{Monday}", "\\textbf{Monday}", True),
    ("\\text{Monday}", "Tuesday", False),
    ("\\text{John}", "John.", True),
    ("\\text{New York}", "new york", True),
    ("\\text{yes}", "\\text{no}", False),
    ("\\text{odd}", "odd", True),
    ("\\emptyset", "\\varnothing", True),
    ("\\emptyset", "\\{\\}", True),
    ("\\emptyset", "\\text{no solution}", True),
    ("\\emptyset", "\\{0\\}", False),  # the set containing 0 is not empty
]

# --- multiple choice without the problem ------------------------------------------------------------------
CHOICES = [
    ("B", "(B) 12", True),  # a letter with its value: the letter decides
    ("C", "\\text{(C) } 7", True),
    ("C", "\\textbf{(C)}", True),
    ("C", "option C", True),
    ("C", "c", True),  # lower-case letter
    ("C", "(D) 7", False),
    ("D", "7", False),  # without the options a value cannot be matched to a letter
]

# --- defects found by the third-party sets (each with its refusal) ---------------------------------------
M12 = "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}"
M56 = "\\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}"
THIRD_PARTY_FIXES = [
    ("\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}", f"{M12} + {M56}", True),  # a matrix sum is evaluated
    ("\\begin{pmatrix}6 & 8 \\\\ 10 & 13\\end{pmatrix}", f"{M12} + {M56}", False),
    ("\\begin{pmatrix}-4 & -4 \\\\ -4 & -4\\end{pmatrix}", f"{M12} - {M56}", True),
    ("\\begin{pmatrix}19 & 22 \\\\ 43 & 50\\end{pmatrix}", f"{M12} {M56}", True),  # a product, row by column
    ("\\begin{pmatrix}23 & 34 \\\\ 31 & 46\\end{pmatrix}", f"{M12} \\cdot {M56}", False),  # that is M56 M12
    ("\\begin{pmatrix}1 & 2\\end{pmatrix}", "\\begin{pmatrix}1 & 2\\end{pmatrix}\\begin{pmatrix}5 & 6\\end{pmatrix}", None),
    ("V_{1}:V_{2}=11:21", "11:21", True),  # a ratio label with subscripts
    ("V_{1}:V_{2}=11:21", "21:11", False),
    ("(11,7)or(7,11)", "(7,11),\\ (11,7)", True),  # "or" without spaces between brackets
    ("(11,7)or(7,12)", "(7,11),(11,7)", False),
    ("0<f(x)<1", "(0,1)", True),  # an inequality in f(x) is a set of reals
    ("0<f(x)<1", "[0,1]", False),
    ("7, -2, \\text{ and } -5", "-5,-2,7", True),  # ", and" in a gold list
    ("7, -2, \\text{ and } -5", "-5,7", False),
    ("2^6 \\cdot 3^5 \\cdot 5^4", "2^6 3^5 5^4", True),  # juxtaposed powers are a product
    ("2^{63}", "2^6 3^5", False),  # never the exponent 63
    ("1000", "1 000", True),  # a space inside a number is still a thousands space
    ("185", "185\\", True),  # a trailing backslash is noise
    ("185", "18\\", False),
    ("C", "C. x = 42", True),  # a choice letter with a period: the letter decides
    ("D", "C. x = 42", False),
]

CASES = (BOXED + FRACTIONS + REPEATING + SCIENTIFIC + RADICALS_TRIG + INFINITY + INEQUALITIES + LISTS_TUPLES
         + EQUATIONS_VALUES + MATRICES + CLOCK + LOGS + CHINESE + TEXT + CHOICES + THIRD_PARTY_FIXES)


@pytest.mark.parametrize(("gold", "pred", "expected"), CASES)
def test_equivalence(gold: str, pred: str, expected: bool | None):
    res = is_equivalent(gold, pred)
    assert res.equivalent is expected, res


# --- cases that need the problem statement --------------------------------------------------------------
BASE2 = "Convert $11_{10}$ to base 2."
BASE5 = "Express the quotient $413_5 \\div 2_5$ in base 5."
BASE10 = "What's the largest eight-digit base 2 integer?  Express your answer in base 10."
BASE_EIGHT = "The binary number $10101001110_{2}$ is equal to what number in base eight?"
BASE_SIX = "What is the base six equivalent of $999_{10}$?"
NO_BASE = "What is 5 + 6?"
TENTH = "Round your answer to the nearest tenth."
HUNDREDTH = "What is $\\frac{1}{3}$ as a decimal to the nearest hundredth?"
WHOLE = "What is $10.0000198\\cdot 5.9999985401\\cdot 6.9999852$ to the nearest whole number?"
NATURAL = "Simplify $\\log 8 - \\log 4$, where $\\log$ denotes the natural logarithm."
SHAPES = ("For a constant $c,$ in cylindrical coordinates $(r,\\theta,z),$ find the shape described by the "
          "equation\n\\[z = c.\\](A) Line\n(B) Circle\n(C) Plane\n(D) Sphere\n(E) Cylinder\n(F) Cone\n\n"
          "Enter the letter of the correct option.")
AMC = ("What is $1+1$? $\\textbf{(A)}\\ 1\\qquad \\textbf{(B)}\\ 2\\qquad \\textbf{(C)}\\ 3\\qquad "
       "\\textbf{(D)}\\ 4\\qquad \\textbf{(E)}\\ 5$")

PROBLEM_CASES = [
    # bases: the requested base decides how a plain numeral is read
    (BASE2, "1011_2", "1011", True),  # asked for base 2: the digits without the subscript
    (BASE2, "1011_2", "11", False),  # the decimal value is not the base-2 numeral asked for
    (BASE2, "1011_2", "1011_{2}", True),
    (BASE2, "1011", "1011_2", True),  # a plain gold is read in the requested base too
    (BASE10, "1011_2", "1011", False),  # asked for base 10: 1011 is one thousand and eleven
    (BASE10, "1011_2", "11", True),
    (BASE10, "255", "11111111_2", False),  # asked for base 10, answered in base 2
    (BASE10, "255", "255", True),
    (BASE5, "204_5", "204", True),
    (BASE5, "204_5", "54", False),  # 54 is 204_5 in base 10, not the base-5 numeral
    (BASE_EIGHT, "2516_8", "2516", True),  # "in base eight"
    (BASE_EIGHT, "2516_8", "1358", False),  # the decimal value
    (BASE_SIX, "4343_6", "4343", True),  # "base six equivalent"
    (NO_BASE, "11", "11", True),
    (NO_BASE, "11", "1011_2", True),  # no base requested: the same number
    # rounding: only when the problem asks for a rounded decimal
    (HUNDREDTH, "\\frac{1}{3}", "0.33", True),  # 1/3 to the nearest hundredth
    (HUNDREDTH, "\\frac{1}{3}", "0.3", False),  # not to the hundredth
    (HUNDREDTH, "\\frac{1}{3}", "0.34", False),  # wrongly rounded
    (HUNDREDTH, "\\frac{1}{3}", "0.333", False),  # more places than asked
    (NO_BASE, "\\frac{1}{3}", "0.33", False),  # no rounding asked: 0.33 is not 1/3
    (TENTH, "\\sqrt{2}", "1.4", True),  # sqrt 2 = 1.414...
    (TENTH, "\\pi", "3.1", True),
    (TENTH, "\\pi", "3.2", False),
    (TENTH, "2.2", "2.2", True),
    (WHOLE, "420", "420", True),
    (WHOLE, "420", "419.99", False),
    # multiple choice with the problem's options
    (SHAPES, "\\text{(C)}", "C", True),
    (SHAPES, "\\text{(C)}", "\\text{Plane}", True),  # the content of option C
    (SHAPES, "\\text{(C)}", "plane", True),
    (SHAPES, "\\text{(C)}", "\\text{Cylinder}", False),  # option E's content
    (SHAPES, "\\text{(C)}", "(E)", False),
    (AMC, "B", "2", True),  # option B is 2
    (AMC, "B", "3", False),
    (AMC, "2", "B", True),  # a value gold: the letter of the option holding it
    (AMC, "2", "(B)", True),
    (AMC, "2", "C", False),
    # log convention
    (NATURAL, "\\ln 2", "\\log 2", True),  # log is the natural log in this problem
    (NO_BASE, "\\ln 2", "\\log 2", False),
]


@pytest.mark.parametrize(("problem", "gold", "pred", "expected"), PROBLEM_CASES)
def test_equivalence_with_problem(problem: str, gold: str, pred: str, expected: bool | None):
    res = is_equivalent(gold, pred, problem=problem)
    assert res.equivalent is expected, res


def test_case_count_and_categories():
    import test_math_equiv as base

    assert len(base.CASES) + len(CASES) + len(PROBLEM_CASES) >= 300
    for name, cases in [("boxed", BOXED), ("repeating", REPEATING), ("inequalities", INEQUALITIES),
                        ("clock", CLOCK), ("logs", LOGS), ("chinese", CHINESE), ("lists", LISTS_TUPLES)]:
        assert len(cases) >= 6, name


# --- problem hints ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("problem", "base"), [
    (BASE2, 2), (BASE5, 5), (BASE10, 10), (BASE_EIGHT, 8), (BASE_SIX, 6), (NO_BASE, None),
    ("Express your answer in base $8$.", 8), ("Write 100 in binary.", 2),
    ("If the sum of the base-2 logarithms of the roots is 5, what is $a$?", None),  # a log base, not a numeral base
    ("How many digits are the same in the base 7 and base 8 representations of $629_{10}$?", 8),
    ("Convert 100 to base 3 and to base 4.", None),  # two different bases: no single request
    ("In base 7, the number $52_7$ is written. Express your answer in base 10.", 10),  # the answer's base wins
])
def test_problem_base(problem, base):
    assert problem_hints(problem).base == base


@pytest.mark.parametrize(("problem", "places"), [
    (TENTH, 1), (HUNDREDTH, 2), (WHOLE, 0), ("Give your answer to 3 decimal places.", 3),
    ("Express your answer as a common fraction.", None), ("How many cents? Round to the nearest cent.", 2),
    ("Let $\\langle n \\rangle$ denote the nearest integer to $\\sqrt{n}$. Find the sum.", None),  # not a request
])
def test_problem_rounding(problem, places):
    assert problem_hints(problem).decimal_places == places


def test_problem_natural_log():
    assert problem_hints(NATURAL).natural_log
    assert not problem_hints("Compute $\\ln 2 + \\log 8$, where $\\ln$ is the natural log.").natural_log
    assert not problem_hints(NO_BASE).natural_log


def test_problem_choices():
    assert problem_hints(SHAPES).choices == (("A", "Line"), ("B", "Circle"), ("C", "Plane"), ("D", "Sphere"),
                                             ("E", "Cylinder"), ("F", "Cone"))
    assert dict(problem_hints(AMC).choices) == {"A": "1", "B": "2", "C": "3", "D": "4", "E": "5"}
    assert problem_hints("Compute (A) and then (B).").choices == ()  # fewer than three options
    assert problem_hints(None) == Hints() == problem_hints("")


# --- parsed canonical forms -------------------------------------------------------------------------------

@pytest.mark.parametrize(("gold", "pred", "gold_parsed", "pred_parsed"), [
    ("[2,\\infty)", "x \\ge 2", "Interval(2, oo)", "Interval(2, oo)"),
    ("(-\\infty,3)\\cup(3,\\infty)", "x\\ne3", "Union(Interval.open(-oo, 3), Interval.open(3, oo))",
     "Union(Interval.open(-oo, 3), Interval.open(3, oo))"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)", "Tuple(3, pi/2)", "Tuple(3, pi/2)"),
    ("-2,1", "\\{1,-2\\}", "FiniteSet(-2, 1)", "FiniteSet(1, -2)"),
    ("\\frac{\\sqrt{3}}{2}", "0.5\\sqrt3", "sqrt(3)/2", "sqrt(3)/2"),
    ("\\dfrac{1}{2}", "0.5", "1/2", "1/2"),
    ("y = 2x+1", "2x-y+1=0", "Eq(y, 2*x + 1)", "Eq(2*x - y + 1, 0)"),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}",
     "Matrix([[1, 2], [3, 4]])", "Matrix([[1, 2], [3, 4]])"),
    ("\\text{Evelyn}", "evelyn", "Text(evelyn)", "Text(evelyn)"),
    ("4:30 \\text{ p.m.}", "16:30", "Time(16:30)", "Time(16:30)"),
    ("50\\%", "0.5", "50%", "1/2"),
    ("52_8", "42_{10}", "Numeral(52, base=8) = 42", "Numeral(42, base=10) = 42"),
])
def test_parsed_forms(gold, pred, gold_parsed, pred_parsed):
    res = is_equivalent(gold, pred)
    assert res.equivalent is True, res
    assert (res.gold_parsed, res.pred_parsed) == (gold_parsed, pred_parsed)


def test_cli_prints_parsed_forms(capsys):
    from harness.cli import main

    assert main(["math-equiv", "[2,\\infty)", "x \\ge 2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"equivalent": True, "reason": "set_equal", "gold_parsed": "Interval(2, oo)",
                   "pred_parsed": "Interval(2, oo)", "gold_normalized": "[2,\\infty)", "pred_normalized": "x\\geq2"}
    assert main(["math-equiv", "5", "5"]) == 0  # decided on the cheap path, parsed forms still filled
    assert json.loads(capsys.readouterr().out)["gold_parsed"] == "5"
    assert main(["math-equiv", "1011_2", "1011", "--problem", BASE10]) == 0
    assert json.loads(capsys.readouterr().out)["equivalent"] is False
    assert main(["math-equiv", "5", "10^{10^{10^{10}}}"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["equivalent"] is None and out["reason"] in UNDECIDED_REASONS


# --- normaliser details ----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "norm"), [
    ("\\frac12", "\\frac{1}{2}"),
    ("\\sqrt3x", "\\sqrt{3}x"),
    ("x^23", "x^{23}"),  # after a caret a whole number is the exponent (plain-text convention)
    ("x^\\pi", "x^{\\pi}"),
    ("0.\\overline{3}", "\\frac{1}{3}"),
    ("4:30 \\text{ p.m.}", "4:30pm"),
    ("4:30p..", "4:30pm"),
    ("答案是 5", "5"),
    ("5个", "5"),
    ("\\text{infinity}", "\\infty"),
    ("no solution", "\\emptyset"),
    ("x=3, y=5", "(3,5)"),
    ("(B) 12", "B"),
    ("0,144", "0,144"),
    ("\\left\\langle 1,2 \\right\\rangle", "(1,2)"),
])
def test_normalize_answer(raw, norm):
    assert normalize_answer(raw) == norm


def test_quick_check_with_problem():
    assert quick_check("1011_2", "1011", problem=BASE2).equivalent is True
    assert quick_check("1011_2", "1011", problem=BASE10).equivalent is False
    assert quick_check("\\text{(C)}", "Plane", problem=SHAPES).equivalent is True  # option text, no sympy
    assert quick_check("B", "2", problem=AMC).equivalent is True


# --- clustering analyses ----------------------------------------------------------------------------

def test_analysis_keys_and_refutation():
    a, b, c = analyze("\\frac{\\sqrt3}{2}"), analyze("0.5\\sqrt{3}"), analyze("\\frac{\\sqrt{2}}{2}")
    assert a.key == b.key  # the same parsed expression: one vote without a full check
    assert a.key != c.key and refutes(a, c)  # different values at the sample points
    assert not refutes(a, b)
    assert refutes(analyze("5"), analyze("\\sqrt{2}"))  # a rational against an irrational
    assert refutes(analyze("\\sqrt{2}"), analyze("(1,2)"))  # a number is never a tuple
    assert not refutes(analyze("y=2x+1"), analyze("2x-y+1=0"))  # an assignment may equal an equation
    assert not refutes(analyze("50\\%"), analyze("\\frac{1}{2}"))  # percent: no fingerprint
    x, y = analyze("x+1"), analyze("1+x")
    assert x.key == y.key and not refutes(x, y)
    assert refutes(analyze("x+1"), analyze("y+1"))  # different symbols get different sample values
