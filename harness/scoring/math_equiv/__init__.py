"""Equivalence of two math answer strings (gold vs prediction), optionally in the context
of the problem statement.

Contract of :func:`is_equivalent` (in the spirit of Math-Verify's ``verify()``):

* **Asymmetric.** ``gold`` is trusted (a reference answer); ``pred`` is untrusted model
  output. A few rules only fire in one direction: a gold tuple accepts its elements
  written without parentheses, a gold bare list accepts the same elements in parentheses,
  and a decimal literal in the prediction disables the numeric fallback. Gold that
  cannot be judged (unparseable, ``1/0``, empty) gives ``None``, never a verdict.
* **Strict.** Rounded approximations are never accepted: decimals are read as exact
  rationals, so ``3.14`` is not ``\\pi`` and ``0.333`` is not ``1/3``. The one exception
  is a problem that asks for a rounded decimal ("to the nearest hundredth", "to 2
  decimal places"): then a decimal with exactly that many places is accepted when it is
  the gold value correctly rounded (``|pred - gold| <= 0.5 * 10^-d``, reason
  ``equal_rounded``). Two exact rationals are compared exactly, whatever their size
  (``10^{400}-10^{400}+7`` is 7; ``10^{400}``, ``171!``, ``10^{-400}`` are not 7, 1, 0).
  The numeric fallback (symbols replaced by fixed real rational sample points of both
  signs that depend only on the symbol's name, so variables are treated as real; values
  by sympy ``evalf`` with arbitrary exponents, 40 digits, up to 600 digits to tell a
  difference from zero) refutes when the difference is non-zero at a sample point (by
  more than ``REL_TOL = 1e-9`` relative, or at all once sympy could not prove equality).
  It accepts (``numeric_equal``) only when the prediction has no decimal literal, sympy
  could not prove equality, the difference cannot be told from zero at any point, and
  every sub-expression of both sides is finite and within ``[1e-300, 1e300]`` (or 0).
  Anything else is undecided (``out_of_range``): an answer that overflows, underflows
  or is not finite is never accepted by rounding.
* **Honest.** ``equivalent is None`` means undecidable (``reason`` in
  :data:`UNDECIDED_REASONS`); there is never a silent fallback to string equality after
  a failure. Answers longer than ``MAX_LEN`` characters after normalisation are not
  worked on (``"too_long"``, undecided unless the normalised strings are equal).
* **No time limit inside.** Sympy can hang on hostile input (``10^{10^{10}}`` is refused
  early, but ``simplify`` has no bound); run untrusted pairs through
  :class:`harness.scoring.equiv_pool.EquivPool`, which enforces a wall-clock limit from
  outside the worker process.

Policies (each has cases in ``tests/test_math_equiv*.py``):

* **Percent.** ``%`` is stripped and remembered. The stripped numbers are compared first,
  so gold ``50\\%`` matches pred ``50`` and ``50\\%`` (and gold ``50`` matches pred
  ``50\\%``). When exactly one side has a percent sign it is also read as its value: gold
  ``50\\%`` matches pred ``0.5`` and pred ``50\\%`` matches gold ``0.5``. Gold ``50`` does
  *not* match pred ``0.5``, and gold ``50\\%`` does not match pred ``0.5\\%``.
* **Units and degrees.** Units and trailing words are dropped (``5 \\text{ cm}``, ``\\$5``,
  ``9 customers``, ``5个``); a degree sign is a unit (``30^\\circ`` = ``30``) and there is
  no degree/radian conversion, except inside a trig function (``\\cos 60^\\circ`` = 1/2).
* **Commas.** ``1,000`` is one thousand (a thousands separator outside brackets, first
  group without a leading zero, no space after the comma); ``(1,000)`` is the pair
  (1, 0); ``0,144`` and ``32, 349`` are lists. Decimal commas only where unambiguous:
  ``3{,}5`` (LaTeX's decimal comma) is 3.5 unless groups of three follow a 1-3 digit head
  (``10{,}000`` = 10000); a bare ``3,5`` is the list {3, 5}, except a prediction against
  a gold decimal written with a point (``3.5``), which the list could never equal: then
  it is read as 3.5 (a gold ``3,5`` stays a list: ``3.5`` does not match it). ``;`` separates like ``,``: ``(0;-2;6)`` is a triple, ``1;2``
  a list, and ``p=5,q=2;p=7,q=2`` the tuples ``(5,2),(7,2)``.
* **Mixed numbers.** An integer followed by a proper fraction of integer literals is a
  mixed number: ``2\\frac{1}{3}``, ``2\\frac13`` and ``2 1/3`` are 7/3 (never 21/3 or 2/3).
  With an improper fraction (``2\\frac{4}{3}``, ``2 4/3``) or a factor after it
  (``2\\frac{1}{3}x``) it could be a product: undecided (``unparseable``).
* **Overflow.** See "Strict": no answer is accepted by a float comparison; sizes beyond
  ``_MAX_POW_EXP`` / ``_MAX_FACTORIAL``, and numeric roots of degree beyond ``_MAX_ROOT``
  (``2^{\\frac{1}{2^{1000}}}``), are ``too_complex``.
* **Delimiters and markup.** ``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``, ``\\boxed{}``
  are dropped on either side (several boxes joined by "," / "and": see "Several boxed
  answers"); a doubled backslash before a letter or bracket (``\\\\frac``, outside a
  matrix) is one; markdown emphasis around the whole answer (``**73**``, ``__73__``,
  ``*73*``) is dropped; a trailing approximation ``\\approx 0.33`` is dropped; a trailing
  backslash (``185\\``) is dropped. Powers written side by side (``2^6 3^5 5^4``) are a
  product, never a longer exponent.
* **Labelled answers.** ``label = value`` is the value, in either role, when the label
  is a name: a variable (``x``, ``a_1``, ``\\theta``, ``f(x)``), a tuple of variables
  (``(p,q)=(3,2)``), or a geometric name (``AB``, ``|AB|``, ``\\overline{AB}``,
  ``\\angle ABC``, ``\\frac{NO}{BO}``, ``A:B``, ``V_1:V_2``). Several labels (``AB=4, CD=5``) give a
  list (a tuple ordered by name for distinct one-letter variables: ``x=3, y=5``).
  ``x^2+y^2=1``, ``2x+3y=6`` are equations, never the value of one side.
* **Chains.** A prediction ``first = e1 = ... = v`` whose sides after the first are
  numbers, and whose first side is a number or a label (also ``m+n``, ``\\tan A``), is
  the answer ``v``: accepted when every number side equals the gold (``x = 5+5+1 = 11``
  for 11); an inconsistent chain (``x = 3 = 7``) is not accepted.
* **Several boxed answers** (extraction, :func:`harness.scoring.extract.boxed_answer`):
  boxes joined only by spacing, ``$``, commas, "and", "or" or labels
  (``\\boxed{1}, \\boxed{2}``, ``\\boxed{1} and \\boxed{2}``) are one list ``1, 2``: it
  matches a gold list or set; against a single gold it is accepted only when every
  element equals the gold (``\\boxed{\\frac{639}{40}}`` or ``\\boxed{15\\frac{39}{40}}``).
  Boxes separated by words are not joined: the last one is the answer.
* **Relations and matrices in a final sentence** (extraction): "We find that
  $x \\neq 3$." and "The matrix is $\\begin{pmatrix}..\\end{pmatrix}$." give the whole span.
* **Still refused:** a subset of a "find all" list (``1`` for ``1,2``), one of ``\\pm``
  (``2021`` for ``\\pm 2021``), one side of an equation for the equation, a rounded
  decimal for an exact value, a list for a single value.
* **Lists, sets, tuples.** A bare list (``3, 5``, "3 or 5", "3, 5, and 7", ``(1,2)or(3,4)``,
  ``x=3, x=5``, ``1 \\pm \\sqrt 2``)
  and ``\\{3,5\\}`` are unordered multisets; ``(a, b)`` is ordered. Gold ``-2,1`` (the
  MATH form for "enter all solutions, separated by commas") also accepts pred ``(-2,1)``
  and ``(1,-2)``: a list of solutions wrapped in parentheses is still the list. Gold
  ``(-2,1)`` accepts ``-2,1`` but not ``1,-2``. ``x=3, y=5`` (distinct variables) is the
  tuple ``(3, 5)`` ordered by variable name.
* **Intervals and inequalities.** ``[2,\\infty)`` and ``(2,\\infty)`` differ; a one-variable
  inequality (``x \\ge 2``, ``-2 < x \\le 5``, ``x<-1`` or ``x>3``, ``x \\neq 3``) is compared
  with intervals, unions, ``\\mathbb{R}`` and ``\\emptyset`` as a set of reals. A gold
  ``(a, b)`` with ``a < b`` is read as an interval when the prediction is an inequality.
  A function value is an unknown like a variable: ``0 < f(x) < 1`` is the set ``(0, 1)``.
* **Matrix arithmetic.** A sum, difference or product of matrix literals (``A + B``,
  ``A - B``, ``A B``, ``A \\cdot B``) is the matrix of its entry expressions, compared
  entry by entry like any matrix; shapes that do not conform are ``unparseable``.
* **Equations.** ``y = 2x+1`` matches ``2x+1`` (a single variable or ``f(x)`` on the left is
  dropped) and also ``y - 2x - 1 = 0``: equations are equal up to a non-zero factor.
* **Bases.** The requested base is the one the problem names ("Express your answer in
  base 7", "in base eight", "base six equivalent", "binary"); when the problem names none
  (or is not given), a gold written ``1011_2`` names it. A plain prediction is read in the
  requested base (gold ``1011_2`` matches ``1011``, not ``11``); when the problem names a
  base, a prediction subscripted with another base is not accepted.
* **Clock times.** ``4:30``, ``4:30 p.m.``, ``4:30p..``, ``16:30`` are times; a meridiem on
  one side only is not a contradiction (``4:30 p.m.`` = ``4:30`` = ``16:30``), but
  ``4:30 a.m.`` is not ``4:30 p.m.``.
* **Repeating decimals** are exact: ``0.\\overline{3}`` = ``0.(3)`` = ``0.\\dot{3}`` = 1/3,
  and ``0.333...`` (a digit shown three times, or a longer block twice, before the dots)
  too; ``3.14159...`` is a truncated decimal, i.e. an approximation.
* **Logarithms.** ``\\ln`` is natural, ``\\log_b`` has base b, and a bare ``\\log`` is base
  10 (the school and competition convention) unless the problem says "natural log".
* **Multiple choice.** ``(B)``, ``\\text{(B)}``, ``\\textbf{(B) } 12``, "option B", "选B" are the
  letter B, and so is ``B. 12``; when a prediction gives a letter and a value, the letter decides. With the
  problem's options, gold ``B`` also accepts the content of option B, and a gold value
  accepts the letter of the option holding it.
* **Text.** Plain-word answers (names, "even", Chinese words) compare case-insensitively
  after normalisation; "infinity" is ``\\infty``; "no solution", "none", ``\\varnothing``,
  "无解" are ``\\emptyset``.

Modules (each states its own contract; this package re-exports the public names):
``result`` (EquivResult, limits), ``hints`` (problem hints), ``normalize``
(normalisation), ``numbers`` (exact rationals, bases, times), ``cheap`` (sympy-free
decisions, :func:`quick_check`), ``structures`` (tuples, sets, intervals, matrices,
relations), ``latex`` (the LaTeX parser), ``compare`` (sympy comparison), ``canonical``
(parsed forms), ``checker`` (:func:`is_equivalent`), ``clustering`` (:func:`analyze`,
:func:`refutes`).
"""
from __future__ import annotations

from harness.scoring.math_equiv.result import EquivResult, MAX_LEN, REL_TOL, UNDECIDED_REASONS
from harness.scoring.math_equiv.hints import Hints, NO_HINTS, problem_hints
from harness.scoring.math_equiv.normalize import _normalize_cached, normalize_answer  # noqa: F401 (the cache, for bench/)
from harness.scoring.math_equiv.numbers import parse_rational
from harness.scoring.math_equiv.cheap import quick_check
from harness.scoring.math_equiv.checker import is_equivalent
from harness.scoring.math_equiv.clustering import (
    Analysis,
    analyze,
    answer_key,
    cheap_analysis,
    fingerprints_differ,
    refutes,
)

__all__ = [
    "Analysis",
    "EquivResult",
    "Hints",
    "MAX_LEN",
    "NO_HINTS",
    "REL_TOL",
    "UNDECIDED_REASONS",
    "analyze",
    "answer_key",
    "cheap_analysis",
    "fingerprints_differ",
    "is_equivalent",
    "normalize_answer",
    "parse_rational",
    "problem_hints",
    "quick_check",
    "refutes",
]
