"""Answers as reasoning models write them: one test per documented policy of
``math_equiv`` (module docstring), each with what is accepted and what stays refused."""
from __future__ import annotations

import pytest

from harness.scoring.math_equiv import UNDECIDED_REASONS, is_equivalent


def verdict(gold: str, pred: str):
    return is_equivalent(gold, pred).equivalent


@pytest.mark.parametrize("gold,pred,expected", [
    ("7/3", "2 1/3", True), ("7/3", "2\\frac13", True), ("7/3", "2 \\frac{1}{3}", True), ("-7/3", "-2 1/3", True),
    ("(7/3, 1)", "(2 1/3, 1)", True), ("7/3", "x = 2 1/3", True),
    ("7", "2 1/3", False), ("21/3", "2 1/3", False), ("2/3", "2\\frac{1}{3}", False),
    ("8/3", "2\\frac{4}{3}", None), ("10/3", "2 4/3", None), ("\\frac{2x}{3}", "2\\frac{1}{3}x", None),
])
def test_mixed_numbers(gold, pred, expected):
    assert verdict(gold, pred) is expected


@pytest.mark.parametrize("gold,pred", [
    ("(3,2)", "(p,q)=(3,2)"), ("(p,q)=(3,2)", "(3,2)"), ("(3,2,7)", "(p,q,r)=(3,2,7)"), ("11", "x = 11"), ("x = 11", "11"),
    ("4, 5", "AB=4, CD=5"), ("AB=4,CD=5", "4, 5"), ("1", "|AB|=1"), ("|AB|=1", "1"), ("1", "A:B=1"),
    ("\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{\\sqrt6}{6}"), ("30", "\\angle ABC = 30"),
    ("(5,8),(8,5)", "(x, y) = (5, 8) \\quad \\text{and} \\quad (8, 5)"),
])
def test_labelled_answers_are_their_value(gold, pred):
    assert verdict(gold, pred) is True


@pytest.mark.parametrize("gold,pred", [
    ("1", "x^2+y^2=1"), ("x^2+y^2=1", "1"), ("2x+3y=6", "6"), ("x+y=1", "1"), ("2", "x^2 = 2"), ("(3,2)", "(p,q)=(2,3)"),
    ("4, 5", "AB=4, CD=6"),
])
def test_one_side_of_an_equation_is_not_the_answer(gold, pred):
    assert verdict(gold, pred) is False


@pytest.mark.parametrize("gold,pred,expected", [
    ("11", "x = 5+5+1 = 11", True), ("20", "a + b + c = 11 + 9 + 0 = 20", True), ("2", "\\tan A = 2", True),
    ("5", "2+3=5", True), ("\\frac54", "\\sin^2 30^\\circ + 1 = \\frac{5}{4}", True), ("11", "m+n = 7+4 = 11", True),
    ("7", "x = 3 = 7", False), ("12", "x = 5+5+1 = 12", False), ("6", "2+3=6", False), ("11", "x = 5+5+1 = 12", False),
])
def test_chains_are_read_by_their_last_side_when_consistent(gold, pred, expected):
    assert verdict(gold, pred) is expected


@pytest.mark.parametrize("gold,pred", [
    ("$\\frac{\\sqrt{3}}{2}$", "\\frac{\\sqrt3}{2}"), ("$x = 2$", "2"), ("\\(\\frac12\\)", "0.5"), ("$$3$$", "3"),
    ("\\[(3,2)\\]", "(3,2)"), ("$\\{1,2\\}$", "2,1"), ("$x \\in [1,2]$", "[1,2]"), ("$-\\frac{1}{2}$", "-0.5"),
    ("\\left(\\frac45,\\frac15\\right)", "\\\\left(\\\\frac{4}{5},\\\\frac{1}{5}\\\\right)"),
    ("73", "**73**"), ("73", "__73__"), ("73", "*73*"), ("73", "**73**."),
    ("1/3", "\\frac{1}{3} \\approx 0.333"), ("1/3", "x=1/3\\approx0.33"),
])
def test_delimiters_and_markup_are_dropped(gold, pred):
    assert verdict(gold, pred) is True


@pytest.mark.parametrize("gold,pred,expected", [
    ("3.5", "3{,}5", True), ("10000", "10{,}000", True), ("0.144", "0{,}144", True), ("1234567", "1{,}234{,}567", True),
    ("3.5", "3,5", True), ("1000.99", "1000,99", True), ("0.111", "0,111", True),
    ("3,5", "3.5", False), ("1,22", "1.22", False),  # a gold "3,5" is the list of solutions 3 and 5
    ("35", "3,5", False), ("3.6", "3,5", False), ("3.5", "3, 5", False), ("\\{3,5\\}", "3.5", False),
    ("32349", "32, 349", False), ("32349", "32,349", True), ("3,5", "5,3", True),
    ("(0,0,6),(4,-2,6)", "(0;0;6),(4;-2;6)", True), ("\\{-12,-11,-10\\}", "-12;-11;-10", True),
    ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
])
def test_commas_decimal_commas_and_semicolons(gold, pred, expected):
    assert verdict(gold, pred) is expected


@pytest.mark.parametrize("gold,pred,expected", [
    ("\\{1,2\\}", "\\boxed{1}, \\boxed{2}", True), ("1,2", "\\boxed{1} and \\boxed{2}", True),
    ("2, 1", "$\\boxed{1}$ or $\\boxed{2}$", True), ("2", "\\boxed{1}, \\boxed{2}", False),
    ("\\frac{639}{40}", "\\boxed{15\\frac{39}{40}},$ or $\\boxed{\\frac{639}{40}}", True),
    ("2", "\\boxed{1} no, wait: \\boxed{2}", True), ("\\{1,2\\}", "\\boxed{1} no no no \\boxed{2}", False),
    ("\\{1,2,3\\}", "\\boxed{1}, \\boxed{2}", False),
])
def test_several_boxes_in_one_answer_are_one_list(gold, pred, expected):
    assert verdict(gold, pred) is expected


@pytest.mark.parametrize("gold,pred", [
    ("1,2", "1"), ("1,2", "2"), ("\\{1,2,3\\}", "\\{1,2\\}"), ("\\pm 2021", "2021"), ("\\pm 2021", "-2021"),
    ("x^2+y^2=1", "x^2+y^2"), ("y = 2x+1", "y"), ("\\frac13", "0.333"), ("\\pi", "3.14159"),
])
def test_still_refused(gold, pred):
    assert verdict(gold, pred) is False


def test_undecided_forms_say_why():
    res = is_equivalent("8/3", "2\\frac{4}{3}")
    assert res.equivalent is None and res.reason in UNDECIDED_REASONS
