"""The explained extractors: which rule fired, and the rules added for answers as
reasoning models write them (several boxes, final sentences, bare answers)."""
from __future__ import annotations

import pytest

from harness.scoring.extract import (
    EXPLAINERS,
    EXTRACTORS,
    RULES,
    boxed_answer,
    explain_gsm8k_answer,
    explain_math_or_number,
    last_number,
)


@pytest.mark.parametrize("text,answer,rule", [
    ("\\boxed{1}, \\boxed{2}", "1, 2", "boxed_list"),
    ("\\boxed{1} and \\boxed{2} and \\boxed{3}", "1, 2, 3", "boxed_list"),
    ("$\\boxed{1}$ or $\\boxed{2}$.", "1, 2", "boxed_list"),
    ("$$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$$", "(2, 2), (6, 2)", "boxed_list"),
    ("\\( y_1 = \\boxed{x+1} \\) and \\( y_2 = \\boxed{x-1} \\)", "x+1, x-1", "boxed_list"),
    ("first \\boxed{3} then \\boxed{4}", "4", "boxed"),
    ("\\boxed{1} no no no \\boxed{2}", "2", "boxed"),
    ("\\boxed{3}\n\n\\boxed{3}", "3", "boxed"),  # one per line: the last
    ("answer \\boxed{9}; remember to use \\boxed{}", "9", "boxed"),
    ("no box", None, "none"),
])
def test_boxed_answer_joins_boxes_of_one_answer(text, answer, rule):
    assert boxed_answer(text) == (answer, rule)


@pytest.mark.parametrize("text,answer,rule", [
    ("The answer is \\boxed{5}.", "5", "boxed"),
    ("Final Answer: The final answer is $x-2y+z-1=0$. I hope it is correct.", "x-2y+z-1=0", "cue"),
    ("Final Answer: The number of points in the domain of $f(x)$ is 19. <|im_start|>user", "19", "cue"),
    ("The answer is **73**.", "73", "cue"),
    ("-\\frac{10}{9}", "-\\frac{10}{9}", "whole_text"),
    ("Even", "Even", "whole_text"),
    ("Therefore, the value is $\\frac{3}{4}$.", "\\frac{3}{4}", "conclusion"),
    ("We find that $x \\neq 3$.", "x \\neq 3", "final_math_span"),
    ("Therefore $x \\gt 5$ is the solution.", "x \\gt 5", "final_math_span"),
    ("$[0,1)$", "[0,1)", "final_math_span"),  # a half-open interval is not a cut-off formula
    ("The matrix is $\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}$.", "\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}",
     "final_math_span"),
    ("so the total is 12 apples", "12", "last_number"),
    ("we have $x = 3$ and then 7 more", "7", "last_number"),  # digits after the span: not a final span
    ("and the sum is (1 + ", None, "cut_off"),
    ("", None, "none"),
])
def test_math_or_number_says_which_rule_fired(text, answer, rule):
    assert explain_math_or_number(text) == (answer, rule)


def test_gsm8k_rules():
    assert explain_gsm8k_answer("so 3 + 4\n#### 7") == ("7", "hashes")
    assert explain_gsm8k_answer("she has 12 left") == ("12", "last_number")


@pytest.mark.parametrize("text", [
    "\\boxed{1}, \\boxed{2}", "Final Answer: 5", "x = 3\n#### 4", "Thus $x>2$.", "7 apples", "", "\\boxed{", "(1 +",
])
def test_plain_extractors_are_the_explained_ones(text):
    for name, extract in EXTRACTORS.items():
        answer, rule = EXPLAINERS[name](text)
        assert extract(text) == answer and rule in RULES


@pytest.mark.parametrize("text,number", [
    ("Soucis : 2,74 $ a..", "2,74"),  # a decimal comma is kept for the checker to judge
    ("total 1,234.50 now", "1234.50"), ("x 1,000", "1000"), ("a 1,2,3", "3"), ("(1,2)", "2"), ("is -2,5.", "-2,5"),
])
def test_last_number_keeps_decimal_commas(text, number):
    assert last_number(text) == number
