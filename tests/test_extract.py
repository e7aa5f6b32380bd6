"""Answer extraction from model output text."""
from __future__ import annotations

import pytest

from harness.scoring.extract import (
    EXTRACTORS,
    extract_gsm8k_answer,
    extract_math_answer,
    extract_math_or_number,
    find_brace_group,
    last_boxed,
    last_number,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("so the answer is $\\boxed{5}$.", "5"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}"),  # nested braces
    ("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
    ("first \\boxed{3} then \\boxed{4}", "4"),  # the last box wins
    ("\\boxed{\\boxed{3}}", "3"),  # nested box: the inner content
    ("$\\boxed 5$", "5"),  # space form
    ("the answer is \\boxed 12.", "12"),
    ("\\fbox{7}", "7"),
    ("\\boxed{ 7 }", "7"),
    ("\\boxed{\\{1,2\\}}", "\\{1,2\\}"),  # escaped braces are content
    ("\\boxed{\\text{(B)}}", "\\text{(B)}"),
    ("earlier \\boxed{3} and a truncated \\boxed{\\frac{1}{", "3"),  # unclosed box skipped
    ("answer \\boxed{9}; remember to use \\boxed{}", "9"),  # an empty box is skipped
    ("no box here", None),
    ("", None),
    (None, None),
    ("\\boxed{", None),
    ("\\boxeda", None),  # not the \boxed command
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_find_brace_group():
    assert find_brace_group("{a{b}c}d", 0) == 7
    assert find_brace_group("{a\\}b}", 0) == 6
    assert find_brace_group("{unclosed", 0) is None
    assert find_brace_group("x{}", 0) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Thus $x = \\boxed{3}$.", "3"),
    ("The final answer is 42.", "42"),
    ("The final answer is $\\frac{1}{2}$.", "\\frac{1}{2}"),
    ("Final Answer: The final answer is $17$. I hope it is correct.", "17"),  # minerva format
    ("Final Answer: The final answer is $(3, 4)$. I hope it is correct.", "(3, 4)"),
    ("Final Answer: 12", "12"),
    ("so the answer is 7", "7"),
    ("So the answer is $2\\sqrt{2}$ because the side is 2.", "2\\sqrt{2}"),
    ("The answer is 3.5.", "3.5"),  # a decimal point is not the sentence end
    ("the answer is **12**.", "12"),
    ("The final answer is:\n\\[\n5\n\\]", "5"),
    ("Answer: 8", "8"),
    ("**Final Answer**\n\n$$\\frac{3}{4}$$", "\\frac{3}{4}"),  # a markdown heading, answer below
    ("所以答案是 5。", "5"),
    ("答案为 $\\frac{3}{4}$", "\\frac{3}{4}"),
    ("最终答案：12", "12"),
    ("The answer is 4, not 5. Actually the answer is 6.", "6"),  # the last cue wins
    ("The answer is 3 but \\boxed{4}", "4"),  # a box beats a cue
    ("I computed 5 and then 6.", None),  # no last-number fallback for MATH
    ("", None),
])
def test_extract_math_answer(text, expected):
    assert extract_math_answer(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("She sells 9 eggs.\n#### 18", "18"),
    ("#### 1,000", "1,000"),  # raw; normalisation removes the comma
    ("#### -5", "-5"),
    ("work\n#### 3\nmore\n#### 4", "4"),
    ("####\nThe answer is 5", "5"),  # an empty #### line: fall back to the cue
    ("So she makes \\boxed{18} dollars.", "18"),
    ("The answer is 25.", "25"),
    ("She pays $1,234.50 in total", "1234.50"),  # last number: $ and commas dropped
    ("It goes from 10 to -3", "-3"),
    ("10-3 = 7", "7"),
    ("The temperature fell to -4 degrees.", "-4"),
    ("1, 2, 3 and then 40.", "40"),
    ("no digits", None),
    ("", None),
])
def test_extract_gsm8k_answer(text, expected):
    assert extract_gsm8k_answer(text) == expected


def test_last_number_and_lenient_math():
    assert last_number("from 3 to 4.25 then -1,000") == "-1000"
    assert last_number("from 3 to 4.25.") == "4.25"
    assert last_number("no digits") is None
    assert extract_math_or_number("Therefore the count is 9.") == "9"  # unboxed final number
    assert extract_math_or_number("so \\boxed{7}, not 8") == "7"  # a box still wins
    assert extract_math_answer("Therefore the count is 9.") is None  # the strict default
    # an unboxed output ending in a concluding sentence: its final math span, not its last number
    assert extract_math_or_number("Therefore, the value of \\( 9 \\& 2 \\) is \\( \\frac{3\\sqrt{3}}{4} \\).") == "\\frac{3\\sqrt{3}}{4}"
    assert extract_math_or_number("Thus the point is $(8, -2)$.\n") == "(8, -2)"
    assert extract_math_or_number("Therefore $x = 2$ and then we add 3 to get 5.") == "5"  # no span at the end
    assert extract_math_or_number("So, the value is \\(\\frac{7}{4}\\).\n\nI think that's the answer.") == "\\frac{7}{4}"
    assert extract_math_or_number("So the area is $12$.\nBut wait, 13 is bigger.") == "13"  # numbers follow it
    assert extract_math_or_number("Thus, the plane is:\n\\[\n5x - 7y = 0\n\\]") == "5x - 7y = 0"
    assert extract_math_or_number("So the base six equivalent is 4343_6.") == "4343_6"
    assert last_number("which simplifies to 3/4.") == "3/4"  # a final fraction, not its denominator
    assert extract_math_or_number("Expanding:\n\nx^2 + y^2 < x^2 + kx + (1/2") is None  # cut off mid-formula
    assert extract_math_or_number("so we get 5 +") is None
    assert last_number("it is 1.5/3") == "3" and last_number("on 2024/10/3") == "3"


@pytest.mark.parametrize(("text", "expected"), [
    ("I think the answer is definitely \\(8000\\).", "8000"),  # a filler word after the cue
    ("The answer is indeed 6.", "6"),
    ("So the final answer is clearly $\\frac{1}{2}$.", "\\frac{1}{2}"),
    ("The answer is just x.", "just x"),  # fillers are only dropped before a number or math
    ("I end up with the same answer: $-2 + 7i$.\n\nI think that's the correct result.", "-2 + 7i"),
    ("So the correct answer is \\(-125\\).", "-125"),
])
def test_cue_fillers(text, expected):
    assert extract_math_answer(text) == expected


def test_registry():
    assert EXTRACTORS["math"] is extract_math_answer
    assert EXTRACTORS["gsm8k"] is extract_gsm8k_answer
    assert EXTRACTORS["boxed"] is last_boxed
    assert EXTRACTORS["math_or_number"] is extract_math_or_number
    assert EXTRACTORS["boxed"]("the answer is 5") is None
    assert EXTRACTORS["gsm8k"]("the total is 5") == "5"
