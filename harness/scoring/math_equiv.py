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
  ``_MAX_POW_EXP`` / ``_MAX_FACTORIAL`` are ``too_complex``.
* **Delimiters and markup.** ``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``, ``\\boxed{}``
  are dropped on either side (several boxes joined by "," / "and": see "Several boxed
  answers"); a doubled backslash before a letter or bracket (``\\\\frac``, outside a
  matrix) is one; markdown emphasis around the whole answer (``**73**``, ``__73__``,
  ``*73*``) is dropped; a trailing approximation ``\\approx 0.33`` is dropped.
* **Labelled answers.** ``label = value`` is the value, in either role, when the label
  is a name: a variable (``x``, ``a_1``, ``\\theta``, ``f(x)``), a tuple of variables
  (``(p,q)=(3,2)``), or a geometric name (``AB``, ``|AB|``, ``\\overline{AB}``,
  ``\\angle ABC``, ``\\frac{NO}{BO}``, ``A:B``). Several labels (``AB=4, CD=5``) give a
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
* **Lists, sets, tuples.** A bare list (``3, 5``, "3 or 5", ``x=3, x=5``, ``1 \\pm \\sqrt 2``)
  and ``\\{3,5\\}`` are unordered multisets; ``(a, b)`` is ordered. Gold ``-2,1`` (the
  MATH form for "enter all solutions, separated by commas") also accepts pred ``(-2,1)``
  and ``(1,-2)``: a list of solutions wrapped in parentheses is still the list. Gold
  ``(-2,1)`` accepts ``-2,1`` but not ``1,-2``. ``x=3, y=5`` (distinct variables) is the
  tuple ``(3, 5)`` ordered by variable name.
* **Intervals and inequalities.** ``[2,\\infty)`` and ``(2,\\infty)`` differ; a one-variable
  inequality (``x \\ge 2``, ``-2 < x \\le 5``, ``x<-1`` or ``x>3``, ``x \\neq 3``) is compared
  with intervals, unions, ``\\mathbb{R}`` and ``\\emptyset`` as a set of reals. A gold
  ``(a, b)`` with ``a < b`` is read as an interval when the prediction is an inequality.
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
  letter B; when a prediction gives a letter and a value, the letter decides. With the
  problem's options, gold ``B`` also accepts the content of option B, and a gold value
  accepts the letter of the option holding it.
* **Text.** Plain-word answers (names, "even", Chinese words) compare case-insensitively
  after normalisation; "infinity" is ``\\infty``; "no solution", "none", ``\\varnothing``,
  "无解" are ``\\emptyset``.
"""
from __future__ import annotations

import cmath
import hashlib
import itertools
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from harness.scoring.extract import _matching_braces, boxed_answer

__all__ = [
    "Analysis",
    "EquivResult",
    "Hints",
    "MAX_LEN",
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

MAX_LEN = 1000
REL_TOL = 1e-9
_MAX_POW_EXP = 10_000  # |exponent| above this on a numeric base: refused as too complex
_MAX_FACTORIAL = 2_000
_MAX_DEPTH = 60  # nesting depth of the LaTeX parser
_MAX_ITEMS = 64  # elements in a tuple/set/matrix
_SCI_EXP_LIMIT = 400  # |exponent| accepted by the cheap rational parser
_MAX_RAW = 2 * MAX_LEN  # raw inputs longer than this are not normalised beyond whitespace

#: ``EquivResult.reason`` values that come with ``equivalent is None``.
UNDECIDED_REASONS = frozenset({
    "empty_gold", "unparseable", "too_complex", "too_long", "undefined", "sympy_error", "timeout",
    "worker_error", "out_of_range",
})


@dataclass(frozen=True)
class EquivResult:
    """``equivalent``: True / False, or None when undecidable (``reason`` says why).

    ``reason`` is a short word saying what decided. Equal: ``equal_string``,
    ``equal_text``, ``equal_rational``, ``equal_percent``, ``equal_base``, ``equal_time``,
    ``equal_choice``, ``equal_rounded``, ``structure_equal``, ``set_equal``,
    ``equation_equal``, ``sympy_equal``, ``numeric_equal``. Not equal: ``not_equal``,
    ``not_equal_text``, ``not_equal_choice``, ``not_equal_rational``, ``not_equal_time``,
    ``structure_mismatch``, ``empty`` (no prediction). Undecided (``None``): see
    :data:`UNDECIDED_REASONS` (``out_of_range``: only a numeric comparison could decide,
    and a value overflows or underflows; ``timeout`` / ``worker_error`` come from
    :class:`~harness.scoring.equiv_pool.EquivPool`).

    ``gold_parsed`` / ``pred_parsed``: the parsed canonical forms (sympy ``str`` of the
    expression, ``Interval(2, oo)``, ``Tuple(3, pi/2)``, ``FiniteSet(1, -2)``,
    ``Eq(y, 2*x + 1)``, ``Matrix([[1, 2]])``, ``Text(evelyn)``, ``Time(16:30)``...), or
    ``None`` where a side was not (or could not be) parsed. ``gold_normalized`` /
    ``pred_normalized``: the normalised strings (:func:`normalize_answer`).
    """

    equivalent: bool | None
    reason: str
    gold_parsed: str | None = None
    pred_parsed: str | None = None
    gold_normalized: str | None = None
    pred_normalized: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Analysis:
    """One answer on its own, for clustering (:func:`analyze`). ``key``: equal keys imply
    equivalent answers. ``fingerprint``: the value at fixed sample points (scalars only)
    and ``shape``: the kind of structure; both refute equality cheaply (:func:`refutes`)."""

    key: str
    fingerprint: tuple[complex, ...] | None = None
    shape: str | None = None  # "scalar", "scalar=" (was "v = ..."), "rel=", "rel", "_Seq", ... or unknown


# ----------------------------------------------------------------------------
# Problem context
# ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Hints:
    """What the problem statement says about the expected answer (see :func:`problem_hints`).

    ``base``: the base the answer is asked in. ``decimal_places``: the rounding the
    problem asks for (0 for "nearest whole number"). ``natural_log``: a bare ``\\log``
    means ``\\ln``. ``choices``: ``(letter, option text)`` of a multiple-choice problem.
    """

    base: int | None = None
    decimal_places: int | None = None
    natural_log: bool = False
    choices: tuple[tuple[str, str], ...] = field(default=())


NO_HINTS = Hints()

_NUM_NAMES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen".split())}
_BASE_NUM = r"(\d{1,2}|" + "|".join(sorted(_NUM_NAMES, key=len, reverse=True)) + r")"
_BASE_ANSWER_RE = re.compile(r"(?i)\b(?:express|write|give|enter|answer)\w*\b[^.?!]{0,40}?\b(?:in|to|into)\s+base[\s\-]*"
                             r"\$?\s*\{?\s*" + _BASE_NUM + r"\b")
_BASE_IN_RE = re.compile(r"(?i)\b(?:in|to|into)\s+base[\s\-]*\$?\s*\{?\s*" + _BASE_NUM + r"\b")
_BASE_ADJ_RE = re.compile(r"(?i)\bbase[\s\-]*\$?\s*\{?\s*" + _BASE_NUM + r"\s*\}?\s*\$?\s+"
                          r"(?:equivalent|representation|numeral|number|expansion|expression|form)")
_BASE_NAMED_RE = re.compile(r"(?i)\b(?:(?:in|to|into)\s+(binary|octal|hexadecimal)\b"
                            r"|(binary|octal|hexadecimal)\s+(?:equivalent|representation|form|expansion))")
_BASE_NAMES = {"binary": 2, "octal": 8, "hexadecimal": 16}
_PLACES_WORDS = {"whole number": 0, "integer": 0, "dollar": 0, "tenth": 1, "cent": 2, "hundredth": 2,
                 "thousandth": 3, "ten-thousandth": 4, "ten thousandth": 4}
_NEAREST_RE = re.compile(r"(?i)\bto\s+the\s+nearest\s+(whole\s+number|integer|dollar|tenth|cent|hundredth|thousandth"
                         r"|ten[- ]thousandth)s?\b")
_PLACES_RE = re.compile(r"(?i)\b(\d|one|two|three|four|five|six)\s+decimal\s+places?\b")
_NATURAL_LOG_RE = re.compile(r"(?i)\blog\b\s*\$?\s*(?:function\s+)?(?:is|denotes|means|represents|refers\s+to)\s+"
                             r"(?:the\s+)?(?:natural|base[\s-]*\$?e\b)")
_OPTION_CMD_RE = re.compile(r"\\(?:textbf|mathrm|text|mathbf|textrm)\s*\{\s*\(([A-H])\)\s*\}")
_OPTION_RE = re.compile(r"(?<![A-Za-z\\])\(([A-H])\)")


def _base_number(word: str) -> int | None:
    value = int(word) if word.isdigit() else _NUM_NAMES.get(word.lower())
    return value if value is not None and 2 <= value <= 36 else None


def _problem_base(problem: str) -> int | None:
    """The base the answer is asked in: "Express your answer in base N" first, then any
    "(in|to) base N", then "base N representation" / "binary" phrases; ``None`` unless
    the phrases of the first kind found agree."""
    for found in ([m.group(1) for m in _BASE_ANSWER_RE.finditer(problem)],
                  [m.group(1) for m in _BASE_IN_RE.finditer(problem)],
                  [m.group(1) for m in _BASE_ADJ_RE.finditer(problem)]
                  + [str(_BASE_NAMES[(m.group(1) or m.group(2)).lower()]) for m in _BASE_NAMED_RE.finditer(problem)]):
        bases = {_base_number(w) for w in found} - {None}
        if len(bases) == 1:
            return bases.pop()
        if len(bases) > 1:
            return None
    return None


def _problem_places(problem: str) -> int | None:
    m = _NEAREST_RE.search(problem)
    if m:
        return _PLACES_WORDS[re.sub(r"\s+", " ", m.group(1).lower()).replace("ten thousandth", "ten-thousandth")]
    m = _PLACES_RE.search(problem)
    if m:
        w = m.group(1)
        return int(w) if w.isdigit() else _NUM_NAMES[w.lower()]
    return None


def _problem_choices(problem: str) -> tuple[tuple[str, str], ...]:
    """``(letter, text)`` of options ``(A) ... (B) ...`` (at least three, from A, in order)."""
    text = _OPTION_CMD_RE.sub(r" (\1) ", problem)
    marks = list(_OPTION_RE.finditer(text))
    start = next((i for i, m in enumerate(marks) if m.group(1) == "A"), None)
    if start is None:
        return ()
    run = [marks[start]]
    for m in marks[start + 1:]:
        if ord(m.group(1)) != ord(run[-1].group(1)) + 1:
            break
        run.append(m)
    if len(run) < 3:
        return ()
    out = []
    for i, m in enumerate(run):
        end = run[i + 1].start() if i + 1 < len(run) else len(text)
        body = text[m.end():end].split("\n\n")[0]
        body = re.sub(r"\\q?quad|\\\s|\$", " ", body).strip().rstrip(".,;").strip()
        out.append((m.group(1), body))
    return tuple(out)


@lru_cache(maxsize=4096)
def problem_hints(problem: str | None) -> Hints:
    """Read the answer format a problem asks for (cheap regular expressions, cached):
    the base ("Express your answer in base 7"), the rounding ("to the nearest tenth"),
    the log convention ("natural logarithm") and multiple-choice options."""
    if not problem:
        return NO_HINTS
    return Hints(base=_problem_base(problem), decimal_places=_problem_places(problem),
                 natural_log=bool(_NATURAL_LOG_RE.search(problem)), choices=_problem_choices(problem))


# ----------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}  # full-width ASCII forms -> ASCII
_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00d7": "\\times ", "\u00b7": "\\cdot ", "\u03c0": "\\pi ",
    "\u221e": "\\infty ", "\u221a": "\\sqrt", "\u00b0": "^\\circ", "\u2264": "\\leq ",
    "\u2265": "\\geq ", "\u00a0": " ", "\u3000": " ", "\u00f7": "\\div ", "\u3002": ".", "\u3001": ",",
    "\u2205": "\\emptyset ", "\u211d": "\\mathbb{R}", "\u27e8": "\\langle ", "\u27e9": "\\rangle ",
    "\u2026": "...", "<=": "\\leq ", ">=": "\\geq ", "!=": "\\neq ", "\u2260": "\\neq ",
}
_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-")
_SUPERSCRIPT_RE = re.compile("[\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b]+")
_GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi"
    "|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Phi|Psi|Omega"
)
_TEXT_CMDS = ("text", "textbf", "textit", "textrm", "textnormal", "mathrm", "mathbf", "mathit",
              "mbox", "operatorname", "boldsymbol", "mathsf", "texttt", "bf", "rm")
_TEXT_CMD_RE = re.compile(r"\\(?:" + "|".join(_TEXT_CMDS) + r")\s*(?=\{)")
_TRAILING_TEXT_RE = re.compile(
    r"^(?P<head>.*?\S)\s*\\(?:text|textbf|textit|textrm|mbox|mathrm)\s*\{(?P<t>[^{}]*)\}"
    r"\s*(?:\^\s*\{?\s*[23]\s*\}?)?\s*$", re.DOTALL)
_UNITS = (
    "mm|cm|km|meters?|metres?|kilometers?|inches|inch|in|feet|foot|ft|yards?|yd|miles?|mi"
    "|square|sq|cubic|units?|dollars?|cents?|euros?|pounds?|lbs?|kg|grams?|g|ounces?|oz"
    "|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|mph|degrees?"
    "|liters?|litres?|ml|gallons?|points?|people|persons?|times|ways"
)
_UNIT_RE = re.compile(r"(?<=[\d}.\s])\s*(?:(?:" + _UNITS + r")\b\.?\s*)+(?:\^\s*\{?[23]\}?)?$")
_ZH_UNITS = (
    "平方厘米|平方千米|平方米|立方厘米|立方米|厘米|毫米|千米|公里|米|千克|公斤|克|吨|毫升|升|小时|分钟|秒|"
    "元钱|元|角|个人|个|人|天|岁|次|种|本|只|条|块|度|倍|页|辆|件|棵|张|名|位|根|年|月|周|支|盒|箱|瓶|杯|份|组|"
    "场|道|题|步|颗|朵|头|匹|户|套|台|斤|圈|层|对|双|分|点"
)
_ZH_UNIT_RE = re.compile(r"(?<=[\d}a-zA-Z.)])\s*(?:" + _ZH_UNITS + r")$")
_ZH_PREFIX_RE = re.compile(r"^(?:所以|因此|故|则|即)?\s*,?\s*(?:最终|最后)?的?(?:答案|结果)\s*(?:应该是|应为|是|为)?\s*:?\s*")
_ZH_CHOICE_RE = re.compile(r"^(?:答案)?(?:应)?(?:选择|选)?(?:选项)?\s*\(?([A-H])\)?\s*(?:选项|项)?$")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_NUM_THEN_WORDS_RE = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)\s+([A-Za-z]{2,}(?:\s+[A-Za-z]{2,})*)\.?$")
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty").split()
_NUMBER_WORD_RE = re.compile(r"(?i)^(" + "|".join(_NUMBER_WORDS) + r")(?:\s+[A-Za-z]{2,})*\.?$")
_MATH_WORD_RE = re.compile(r"(?i)(?:arc)?(?:sin|cos|tan|cot|sec|csc)h?|log|ln|exp|sqrt|pi|inf|infinity")
_NAME = r"(?:[A-Za-z]|\\(?:" + _GREEK + r"))(?:_\{?\w+\}?)?"  # x, a_1, \theta, x_{12}
_SEGMENT = r"[A-Z]{2,4}"  # AB, ABC: a segment, angle or figure named by its points
# The label of a labelled answer "label = value" (see "Labelled answers" in the module docstring).
_LABEL = (r"(?:" + _NAME + r"(?:\^\{?-1\}?)?(?:\([A-Za-z](?:,[A-Za-z])*\))?"
          r"|\(" + _NAME + r"(?:," + _NAME + r")+\)"  # (p,q)
          r"|" + _SEGMENT + r"|\|" + _SEGMENT + r"\||\\overline\{" + _SEGMENT + r"\}|(?:m)?\\angle ?[A-Z]{1,3}"
          r"|\\frac\{[A-Z]{1,4}\}\{[A-Z]{1,4}\}|[A-Z]{1,4}:[A-Z]{1,4})")
_ASSIGN_RE = re.compile(r"^(?P<var>" + _LABEL + r")\s*(?P<op>=|\\in(?![a-zA-Z]))(?P<rhs>[^=]+)$")
_THOUSANDS_RE = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])(?!\.\d*,)")
_PERCENT_RE = re.compile(r"\s*(?:\\?%|\\text\{\s*percent\s*\}|percent)\s*$")
_DEGREE_RE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree")
_TRIG_RE = re.compile(r"\\(?:arc)?(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])")
_ORDINAL_RE = re.compile(r"(?<=\d)\s*(?:\^\s*\{?\s*(?:st|nd|rd|th)\s*\}?|(?:st|nd|rd|th)\b)$")
_MERIDIEM = r"(?:\\(?:text|mathrm|textrm|mbox)\s*\{\s*)?(?P<mer>[aApP])\.?\s*(?:[mM]\b\.?)?\.*\s*\}?"
_TIME_RE = re.compile(r"^(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\s*(?:" + _MERIDIEM + r")?\s*\.?$")
_HOUR_MER_RE = re.compile(r"^(?P<h>\d{1,2})\s*(?:\\(?:text|mathrm|textrm|mbox)\s*\{\s*)?(?P<mer>[aApP])\.?\s*[mM]\b\.?\s*\}?$")
_OVERLINE_RE = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\overline\s*(?:\{\s*(\d+)\s*\}|(\d))")
_DOT_RE = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\dot\s*(?:\{(\d)\}|(\d))(?:(\d*)\\dot\s*(?:\{(\d)\}|(\d)))?")
_PAREN_REPEAT_RE = re.compile(r"^([-+]?)(\d*)\.(\d*)\((\d+)\)$")
_ELLIPSIS_RE = re.compile(r"^([-+]?)(\d*)\.(\d+)\s*(?:\.{3,}|\\[lc]?dots)$")
_EMPTY_SET_RE = re.compile(r"(?i)^(?:\\emptyset|\\varnothing|\\\{\s*\\\}|\{\s*\}|no\s+(?:real\s+)?solutions?"
                           r"|there\s+(?:is|are)\s+no\s+(?:real\s+)?solutions?|none|无解|无实数解)$")
_REALS_RE = re.compile(r"(?i)^(?:\\mathbb\s*\{?\s*R\s*\}?|\\R|all\s+real\s+numbers|\\text\{all real numbers\}|全体实数)$")
_CHOICE_PREFIX_RE = re.compile(r"^\(([A-H])\)\s*(?=\S)")
_CHOICE_WORD_RE = re.compile(r"(?i)^(?:option|choice|answer)\s*:?\s*\(?([A-H])\)?$")
_SYMBOL_CMDS = re.compile(r"\\(?:pi|infty|" + _GREEK + r")(?![a-zA-Z])")


@dataclass(frozen=True)
class _Norm:
    text: str
    percent: bool
    assigned: str | None = None  # "y" when the whole answer was "y = <text>"


def _unwrap_command(s: str, pattern: re.Pattern[str]) -> str:
    """Replace ``\\cmd{X}`` by ``X`` for every match of ``pattern`` (brace-matched, linear)."""
    out, pos, braces = [], 0, None
    for m in pattern.finditer(s):
        if m.start() < pos:
            continue
        braces = braces if braces is not None else _matching_braces(s)
        close = braces.get(m.end())
        if close is None:
            continue
        out.append(s[pos:m.start()])
        out.append(s[m.end() + 1:close - 1])
        pos = close
    out.append(s[pos:])
    return "".join(out)


def _depths(s: str) -> list[int]:
    """Bracket depth before each character (``([{`` open, ``)]}`` close)."""
    d, out = 0, []
    for ch in s:
        out.append(d)
        if ch in "([{":
            d += 1
        elif ch in ")]}":
            d = max(d - 1, 0)
    return out


def _split_top(s: str, sep: str = ",") -> list[str]:
    """Split ``s`` on ``sep`` occurring outside any bracket."""
    parts, depth, start, i, n = [], 0, 0, 0, len(sep)
    while i < len(s):
        if depth == 0 and s.startswith(sep, i):
            parts.append(s[start:i])
            i += n
            start = i
            continue
        ch = s[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    parts.append(s[start:])
    return parts


def _balanced(s: str) -> bool:
    """Brackets in ``s`` never close below depth 0 and end at depth 0."""
    depth = 0
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _remove_thousands(s: str) -> str:
    """``1,000`` -> ``1000`` at bracket depth 0 (``(1,000)`` stays a tuple, ``0,144`` a list)."""
    if "," not in s:
        return s
    depth = _depths(s)
    return _THOUSANDS_RE.sub(lambda m: m.group(0).replace(",", "") if depth[m.start()] == 0 else m.group(0), s)


_MIXED_SPACE_RE = re.compile(r"(?:^|(?<=[,(\[=]))\s*([-+]?)(\d+)\s+(\d+)\s*/\s*(\d+)\s*(?=$|[,)\]])")


def _mixed_numbers(s: str) -> str:
    """``2 1/3`` -> ``2\\frac{1}{3}`` (a mixed number, 7/3: see "Mixed numbers" in the module
    docstring); with an improper fraction (``2 4/3``) the reading is ambiguous and the item
    becomes ``\\mixed{2}{4}{3}``, which nothing parses (undecided)."""
    def repl(m: re.Match) -> str:
        sign, w, a, b = m.groups()
        if int(a) < int(b):
            return f"{sign}{w}\\frac{{{a}}}{{{b}}}"
        return f"{sign}\\mixed{{{w}}}{{{a}}}{{{b}}}"
    return _MIXED_SPACE_RE.sub(repl, s) if "/" in s else s


_EMPHASIS_RE = re.compile(r"^(\*\*|__|\*(?!\*))(?!\s)([^*_]+?)(?<!\s)\1\s*\.?$")
_BRACED_COMMA_RE = re.compile(r"(?<![\d.])(\d+)((?:\{,\}\d+)+)")


def _braced_comma(m: re.Match) -> str:
    """``10{,}000`` is 10000 (groups of three after a 1-3 digit head without a leading 0);
    a single other ``{,}`` is a decimal comma (``3{,}5`` = 3.5, ``0{,}144`` = 0.144)."""
    head, groups = m.group(1), m.group(2).split("{,}")[1:]
    if len(head) <= 3 and not head.startswith("0") and all(len(g) == 3 for g in groups):
        return head + "".join(groups)
    return f"{head}.{groups[0]}" if len(groups) == 1 else head + "," + ",".join(groups)


def _semicolons(s: str) -> str:
    """Semicolons as separators: ``(0;-2;6)`` is the tuple (0, -2, 6) (no comma inside);
    at the top level ``-12;-11`` is a list, and with commas inside the groups
    (``p=5,q=2;p=7,q=2``) each group is one tuple: ``(5,2),(7,2)``."""
    s = re.sub(r"\(([^(),;]*(?:;[^(),;]*)+)\)", lambda m: "(" + m.group(1).replace(";", ",") + ")", s)
    groups = _split_top(s, ";")
    if len(groups) == 1:
        return s
    if any(len(_split_top(g, ",")) > 1 for g in groups):
        groups = [_strip_assignments(_collapse_spaces(g))[0] for g in groups]
        groups = [g if _outer_pair(g) is not None else f"({g})" for g in groups]
    return ",".join(g.strip() for g in groups)


def _collapse_spaces(s: str) -> str:
    """Drop whitespace except a single space between two letters (``\\cot x``, ``New York``)
    and after a comma between digits (``32, 349`` is a list: a thousands separator has no
    space after it)."""
    s = re.sub(r"\s+", " ", s.strip())
    return re.sub(" ", _space, s)


def _space(m: re.Match) -> str:
    """Keep a space between two letters, and between ``<digit>,`` and a digit."""
    s, i = m.string, m.start()
    before, after = s[i - 1] if i else "", s[i + 1] if i + 1 < len(s) else ""
    letters = "A" <= before.upper() <= "Z" or "\u4e00" <= before <= "\u9fff", \
        "A" <= after.upper() <= "Z" or "\u4e00" <= after <= "\u9fff"
    keep = all(letters) or before == "," and after.isdigit() and i >= 2 and s[i - 2].isdigit()
    return " " if keep else ""


def _strip_assignments(s: str) -> tuple[str, str | None]:
    """``x = 3`` -> ``3``, ``x=3,x=5`` -> ``3,5``, ``x \\in [a,b]`` -> ``[a,b]``,
    ``x=3,y=5`` -> ``(3,5)`` (distinct variables: a tuple ordered by name). Also returns
    the variable when the whole answer was one equation ``v = rhs``."""
    if "=" not in s and "\\in" not in s:
        return s, None
    parts = _split_top(s, ",")
    matches = [_ASSIGN_RE.match(p.strip()) for p in parts]
    if len(parts) == 1:
        m = matches[0]
        return (m.group("rhs").strip(), m.group("var") if m.group("op") == "=" else None) if m else (s, None)
    names = [m.group("var") if m and m.group("op") == "=" else None for m in matches]
    if all(names) and len(set(names)) == len(names) and all(len(n) == 1 for n in names):
        return "(" + ",".join(m.group("rhs").strip() for _, m in sorted(zip(names, matches))) + ")", None
    return ",".join(m.group("rhs").strip() if m else p for p, m in zip(parts, matches)), None


def _cut_suffix(s: str, pattern: re.Pattern[str], window: int = 120) -> tuple[str, bool]:
    """Remove a ``$``-anchored ``pattern`` match found in the last ``window`` characters
    (suffixes are short; searching only the tail keeps hostile inputs linear)."""
    start = max(0, len(s) - window)
    m = pattern.search(s, start)
    if m is None:
        return s, False
    return s[:m.start()], True


def _repeating(whole: str, fixed: str, rep: str) -> Fraction:
    """``whole.fixed(rep)(rep)...`` as an exact fraction."""
    value = Fraction(int(whole or "0"))
    if fixed:
        value += Fraction(int(fixed), 10 ** len(fixed))
    return value + Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))


def _frac_text(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"\\frac{{{f.numerator}}}{{{f.denominator}}}"


def _repeating_decimals(s: str) -> str:
    """``0.\\overline{3}``, ``0.1\\dot{6}``, ``0.\\dot{1}4285\\dot{7}`` anywhere, and whole answers
    ``0.(3)`` / ``0.333...``, as exact fractions (see the module docstring)."""
    if "\\overline" in s:
        s = _OVERLINE_RE.sub(lambda m: "{" + _frac_text(_repeating(m.group(1), m.group(2), m.group(3) or m.group(4))) + "}", s)
    if "\\dot" in s:
        def dots(m: re.Match) -> str:
            first = m.group(3) or m.group(4)
            rep = first + (m.group(5) or "") + (m.group(6) or m.group(7) or "") if (m.group(6) or m.group(7)) else first
            return "{" + _frac_text(_repeating(m.group(1), m.group(2), rep)) + "}"
        s = _DOT_RE.sub(dots, s)
    m = _PAREN_REPEAT_RE.match(s)
    if m:
        return m.group(1) + _frac_text(_repeating(m.group(2), m.group(3), m.group(4)))
    m = _ELLIPSIS_RE.match(s)
    if m:
        sign, whole, digits = m.groups()
        for n in range(1, 7):  # smallest block shown 3 times (1 digit) or twice (longer)
            times = 3 if n == 1 else 2
            if len(digits) >= n * times and digits[-n * times:] == digits[-n:] * times:
                fixed = digits[:len(digits) - n * times]
                return sign + _frac_text(_repeating(whole, fixed, digits[-n:]))
        return f"{sign}{whole}.{digits}"  # a truncated decimal: an approximation
    return s


def _brace_args(s: str) -> str:
    """Canonical braces for one-token arguments: ``\\frac12`` -> ``\\frac{1}{2}``,
    ``\\sqrt3`` -> ``\\sqrt{3}``, ``x^2`` -> ``x^{2}``, so more answers meet on the cheap
    string path. After a caret a whole number is the exponent (``2^10`` -> ``2^{10}``, the
    plain-text convention models follow), unlike LaTeX, which would read ``2^{1}0``."""
    if "\\frac" not in s and "\\sqrt" not in s and "^" not in s:
        return s
    inserts: list[tuple[int, int, str]] = []
    braces = _matching_braces(s)

    def wrap(j: int, caret: bool = False) -> int | None:
        """Brace the argument starting at ``j`` (after spaces); return the index after it."""
        while j < len(s) and s[j] == " ":
            j += 1
        if j >= len(s):
            return None
        if s[j] == "{":
            return braces.get(j)
        if s[j].isdigit() and caret:  # x^10: the caret convention takes the whole number
            end = re.match(r"\d+(?:\.\d+)?", s[j:]).end() + j
        elif s[j].isalnum():
            end = j + 1
        else:
            m = _SYMBOL_CMDS.match(s, j)
            if m is None:
                return None
            end = m.end()
        inserts.append((j, len(inserts), "{"))
        inserts.append((end, len(inserts), "}"))
        return end

    for m in re.finditer(r"\\frac(?![a-zA-Z])|\\sqrt(?![a-zA-Z])(?!\s*\[)|\^(?!\s*[{\\])|\^(?=\s*\\(?:pi|infty|"
                         + _GREEK + r")(?![a-zA-Z]))", s):
        j = wrap(m.end(), caret=m.group(0) == "^")
        if j is not None and m.group(0) == "\\frac":
            wrap(j)
    if not inserts:
        return s
    out, pos = [], 0
    for at, _, text in sorted(inserts):
        out.append(s[pos:at])
        out.append(text)
        pos = at
    out.append(s[pos:])
    return "".join(out)


def _canonical_time(s: str) -> str | None:
    """``4:30 \\text{ p.m.}`` / ``4:30p..`` / ``04:30 PM`` -> ``4:30pm``; ``10 a.m.`` -> ``10:00am``."""
    m = _TIME_RE.match(s) or _HOUR_MER_RE.match(s)
    if m is None:
        return None
    d = m.groupdict()
    h = int(d["h"])
    text = f"{h}:{d.get('m') or '00'}" + (f":{d['s']}" if d.get("s") else "")
    return text + (d["mer"].lower() + "m" if d.get("mer") else "")


def _normalize_once(s: str) -> tuple[str, bool, str | None]:
    """One pass of the normaliser; returns (text, had_percent, assigned variable)."""
    s = s.translate(_FULLWIDTH)
    if _SUPERSCRIPT_RE.search(s):
        s = _SUPERSCRIPT_RE.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    if "\\boxed" in s or "\\fbox" in s:
        s = boxed_answer(s)[0] or s
    s = s.replace("\\$", " ").replace("$", " ")
    if "\\\\" in s and "\\begin" not in s:  # \\frac: a doubled escape (outside a matrix, \\ is a row break)
        s = re.sub(r"\\\\(?=[A-Za-z()\[\]{}])", r"\\", s)
    s = re.sub(r"(?<!\\)\\[()\[\]]", " ", s)  # \( \) \[ \] display delimiters
    s = _EMPHASIS_RE.sub(r"\2", s.strip())  # **73**, __73__, *73*: markdown emphasis
    if "{,}" in s:
        s = _BRACED_COMMA_RE.sub(_braced_comma, s)
    s = re.sub(r"(?<=[A-Za-z\s])!=", r"\\neq ", s)
    s = re.sub(r",\s*\\!\s*", ",", s)  # 10,\!080 and 11,\! 111: thousands
    s = re.sub(r"(?<!\\)\\!", "", s)
    s = re.sub(r"(?<!\\)\\[,;:> ]|\\q?quad|~", " ", s)  # also "\\quadx_2" (a missing space)
    s = re.sub(r"\s*\\approx\s*[-+]?\d*\.?\d+\s*$", "", s) if "\\approx" in s else s  # "\\frac13 \\approx 0.33"
    s = re.sub(r"\s+", " ", s).strip()  # from here on a run of spaces is one space
    if _CJK_RE.search(s):
        s = _ZH_PREFIX_RE.sub("", s).strip()
        m = _ZH_CHOICE_RE.match(s)
        s = m.group(1) if m else s
        s = _cut_suffix(s, _ZH_UNIT_RE)[0].strip()
        s = re.sub(r"\s*(?:或者|或|和|及|与)\s*", ",", s)
    time = _canonical_time(s)
    if time is not None:
        return time, False, None
    s = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*", "", s)
    s = re.sub(r"\\(?:displaystyle|limits|nolimits)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\[dt]frac(?![a-zA-Z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![a-zA-Z])", r"\\binom", s)
    s = re.sub(r"\\(le|ge)(?![a-zA-Z])", r"\\\1q", s)
    s = re.sub(r"\\(le|ge)qslant(?![a-zA-Z])", r"\\\1q", s)
    s = re.sub(r"\\lt(?![a-zA-Z])", "<", s)
    s = re.sub(r"\\gt(?![a-zA-Z])", ">", s)
    s = re.sub(r"\\ne(?![a-zA-Z])", r"\\neq", s)
    s = re.sub(r"\\langle(?![a-zA-Z])\s*", "(", s)
    s = re.sub(r"\s*\\rangle(?![a-zA-Z])", ")", s)
    s = re.sub(r"\\[lr]vert(?![a-zA-Z])", "|", s)
    if "\\overline" in s or "\\dot" in s or "(" in s or "." in s:
        s = _repeating_decimals(s)
    m = re.match(r"^[(\[]\s*(\\begin\{(?:[pbBvV]?matrix|array)\}.*\\end\{(?:[pbBvV]?matrix|array)\})\s*[)\]]$", s, re.DOTALL)
    if m:
        s = m.group(1)
    if _TRIG_RE.search(s):  # \cos 60^\circ: degrees inside a trig function are pi/180 radians
        s = re.sub(r"(\d+(?:\.\d+)?)\s*(?:" + _DEGREE_RE.pattern + ")", r"(\1\\pi/180)", s)
    s = _DEGREE_RE.sub("", s)  # otherwise a degree sign is a unit
    s = re.sub(r"\s*\\?degrees?\b", "", s) if re.search(r"\d\s*\\?degrees?\b", s) else s
    head, percent = _cut_suffix(s, _PERCENT_RE)
    if percent and head.strip():
        s = head
    else:
        percent = False
    s = re.sub(r"\\?%", "", s)  # a percent sign elsewhere (inside a tuple): dropped as a unit
    for _ in range(3):  # trailing \text{ cm} / \mbox{ inches}^2 after some math: a unit
        m = _TRAILING_TEXT_RE.match(s)
        t = m.group("t") if m else ""
        if not m or not (len(t.strip()) > 1 or t[:1].isspace()) or not re.search(r"[\w}]", m.group("head")):
            break
        s = m.group("head")
    s = _unwrap_command(s, _TEXT_CMD_RE)
    if re.search(r"[<>]|\\[lg]eq?(?![a-zA-Z])|\\neq?(?![a-zA-Z])", s):  # "x > 1 and x < 3": an intersection
        s = re.sub(r"(?i)\s*,?\s+and\s+|\s*\\(?:land|wedge)(?![a-zA-Z])\s*|\s*且\s*", r"\\wedge ", s)
    s = re.sub(r"(?i)\s+(?:or|and)\s+", ",", s)
    s = re.sub(r",\s*(?:or|and)\s+", ",", s)
    s = _remove_thousands(s)
    s = _semicolons(s) if ";" in s else s
    s = _cut_suffix(s.strip(), _ORDINAL_RE)[0]
    s = _cut_suffix(s, _UNIT_RE)[0] if re.search(r"\d", s) else s
    m = _NUM_THEN_WORDS_RE.match(s.strip())
    if m and not any(_MATH_WORD_RE.fullmatch(w) for w in m.group(2).split()):
        s = m.group(1)
    m = _NUMBER_WORD_RE.match(s.strip())
    if m:  # "three boxes" -> 3 (number words up to twenty, alone or before unit words)
        s = str(_NUMBER_WORDS.index(m.group(1).lower()))
    s = s.strip()
    if re.fullmatch(r"(?i)\+?\s*(?:infinity|\\infty|inf)", s):
        s = "\\infty"
    elif re.fullmatch(r"(?i)-\s*(?:infinity|\\infty)", s):
        s = "-\\infty"
    s = re.sub(r"(?<=[(\[,])\s*\+\s*\\infty", "\\\\infty", s)
    if _EMPTY_SET_RE.match(s):
        s = "\\emptyset"
    elif _REALS_RE.match(s):
        s = "\\mathbb{R}"
    m = _CHOICE_WORD_RE.match(s)
    if m:
        s = m.group(1)
    m = _CHOICE_PREFIX_RE.match(s)
    if m and not re.match(r"\([A-H]\)\s*(?:[-+*/^=,()\[\]]|\\cdot|\\times)", s):  # "(B) 12": the letter decides
        s = m.group(1)
    s = _collapse_spaces(_mixed_numbers(s))
    s, assigned = _strip_assignments(s)
    s = s.strip().rstrip(".,;").strip()
    if s.startswith("{"):  # redundant outer braces {{5}} (matched once: linear)
        braces, i, j = _matching_braces(s), 0, len(s)
        while i < j and s[i] == "{" and braces.get(i) == j:
            i, j = i + 1, j - 1
            while i < j and s[i].isspace():
                i += 1
            while j > i and s[j - 1].isspace():
                j -= 1
        s = s[i:j]
    s = re.sub(r"^\(([A-Z])\)$|^([A-Z])\)$", lambda m: m.group(1) or m.group(2), s)  # choice
    s = re.sub(r"_\{(\d+)\}$", r"_\1", s)  # 4210_{5} -> 4210_5
    s = _brace_args(s)
    return s, percent, assigned


def _normalize(s: str | None) -> _Norm:
    """THE normaliser: the text of :func:`normalize_answer` plus the percent flag and the
    variable of a stripped ``v = ...``. Short inputs are memoised (bounded LRU)."""
    if s is not None and len(s) > 2000:
        return _normalize_uncached(s)
    return _normalize_cached(s)


@lru_cache(maxsize=65536)
def _normalize_cached(s: str | None) -> _Norm:
    return _normalize_uncached(s)


def _normalize_uncached(s: str | None) -> _Norm:
    """:func:`_normalize_once` applied until stable (at most 4 passes). Raw inputs longer
    than ``_MAX_RAW`` only get their whitespace collapsed: they are too long to be a
    final answer, and the normaliser's work must stay linear on hostile input."""
    if s is None:
        return _Norm("", False)
    text, percent, assigned = str(s), False, None
    if len(text) > _MAX_RAW:
        return _Norm(re.sub(r"\s+", "", text), False)
    for _ in range(4):
        new, pct, var = _normalize_once(text)
        percent = percent or pct
        assigned = assigned or var
        if new == text:
            break
        text = new
    return _Norm(text, percent, assigned)


def normalize_answer(s: str | None) -> str:
    """The normalised form of an answer string (``None`` -> ``""``); idempotent.

    Strips ``$``, ``\\(..\\)``, ``\\boxed{}``, spacing commands (``\\!`` ``\\,`` ``\\;`` ``\\ ``),
    ``\\left``/``\\right``; ``\\dfrac``/``\\tfrac`` -> ``\\frac`` and one-token arguments get
    braces (``\\frac12`` -> ``\\frac{1}{2}``); unwraps ``\\text``, ``\\textbf``, ``\\mathrm``,
    ``\\mbox``...; drops units and trailing text (``5 \\text{ cm}``, ``10 dollars``, ``\\$5``,
    ``30^\\circ``, ``12^{th}``, ``5个``), except that inside a trig function ``60^\\circ``
    becomes ``(60\\pi/180)``; ``x = 3`` -> ``3`` (single variable or ``f(x)`` on the left,
    also per element: ``x=3, x=5`` -> ``3,5``; ``x=3, y=5`` -> ``(3,5)``; ``x \\in [a,b]`` ->
    ``[a,b]``); thousands separators ``1,000`` / ``1{,}000`` / ``10,\\!080`` -> ``1000``
    outside brackets; ``50\\%`` -> ``50`` (the percent policy lives in
    :func:`is_equivalent`); repeating decimals -> fractions; clock times -> ``4:30pm``;
    "3 or 5" / "3或5" -> ``3,5``; "three boxes" -> ``3``; ``(B)`` / "选B" -> ``B``;
    "infinity" -> ``\\infty``; "no solution" / ``\\varnothing`` -> ``\\emptyset``; Chinese
    answer phrases ("答案是") dropped; whitespace dropped except between two letters; a
    trailing ``.``.
    """
    return _normalize(s).text


_TEXTUAL_RE = re.compile(r"^[A-Za-z\u4e00-\u9fff]+(?: [A-Za-z\u4e00-\u9fff]+)*$")


def _is_textual(s: str) -> bool:
    """A plain-words answer (a name, "even", "north east", "甲"): letters only, some word
    has >= 3 letters (or is Chinese), no word is a function name (``sin x`` is math)."""
    words = s.split(" ")
    return (bool(_TEXTUAL_RE.match(s)) and any(len(w) >= 3 or _CJK_RE.search(w) for w in words)
            and not any(_MATH_WORD_RE.fullmatch(w) for w in words))


def answer_key(s: str | None) -> str:
    """A cheap canonical string for clustering: exact rationals as ``p/q``, plain-word
    answers case-folded, otherwise the normalised text. Equal keys imply equivalence
    except for the percent policy (``50\\%`` and ``50`` share the key ``50``)."""
    text = normalize_answer(s)
    r = parse_rational(text)
    if r is not None:
        return str(r)
    return text.casefold() if _is_textual(text) else text


# ----------------------------------------------------------------------------
# Exact rationals (cheap and bounded: never evaluates a power tower)
# ----------------------------------------------------------------------------

_DEC = r"(?:\d+(?:\.\d*)?|\.\d+)"
_SIGNED_DEC_RE = re.compile(rf"^[-+]?{_DEC}$")
_SCI_RE = re.compile(rf"^(?P<m>[-+]?{_DEC})(?:[eE]|\*10\^|\\times10\^|\\cdot10\^)\{{?(?P<e>[-+]?\d{{1,4}})\}}?$")
_FRAC_RE = re.compile(r"^(?P<s>[-+]?)\\frac(?:\{(?P<a>[-+]?" + _DEC + r")\}|(?P<a1>\d))"
                      r"(?:\{(?P<b>[-+]?" + _DEC + r")\}|(?P<b1>\d))$")
_MIXED_RE = re.compile(r"^(?P<s>[-+]?)(?P<w>\d+)\\frac(?:\{(?P<a>\d+)\}|(?P<a1>\d))(?:\{(?P<b>\d+)\}|(?P<b1>\d))$")
_SLASH_RE = re.compile(rf"^(?P<a>[-+]?{_DEC})/(?P<b>[-+]?{_DEC})$")


def parse_rational(s: str) -> Fraction | None:
    """An exact rational for a *normalised* plain number, else ``None``.

    Accepts integers, decimals, ``a/b``, ``\\frac{a}{b}`` (also ``\\frac34``), mixed numbers
    ``2\\frac{1}{3}`` (= 7/3) and scientific notation ``1.5e3`` / ``1.5\\times10^{3}``
    with ``|exponent| <= 400``. Cost is linear in ``len(s)``; no powers are evaluated.
    """
    if not s or len(s) > MAX_LEN:
        return None
    try:
        if _SIGNED_DEC_RE.match(s):
            return Fraction(s)
        m = _SCI_RE.match(s)
        if m:
            e = int(m.group("e"))
            return None if abs(e) > _SCI_EXP_LIMIT else Fraction(m.group("m")) * Fraction(10) ** e
        m = _FRAC_RE.match(s)
        if m:
            a, b = Fraction(m.group("a") or m.group("a1")), Fraction(m.group("b") or m.group("b1"))
            return None if b == 0 else (-1 if m.group("s") == "-" else 1) * a / b
        m = _MIXED_RE.match(s)
        if m:
            a, b = int(m.group("a") or m.group("a1")), int(m.group("b") or m.group("b1"))
            if not 0 <= a < b:
                raise ValueError("not a mixed number: the fraction is improper (ambiguous)")
            return (-1 if m.group("s") == "-" else 1) * (int(m.group("w")) + Fraction(a, b))
        m = _SLASH_RE.match(s)
        if m:
            b = Fraction(m.group("b"))
            return None if b == 0 else Fraction(m.group("a")) / b
    except (ValueError, ZeroDivisionError):
        return None
    return None


_BASE_RE = re.compile(r"^(?=[A-Z]*\d)([0-9A-Z]+)_(\d{1,2})$")
_DIGITS_RE = re.compile(r"^(?=[A-Z]*\d)[0-9A-Z]+$")


@dataclass(frozen=True)
class _Numeral:
    digits: str
    base: int
    value: int
    subscripted: bool


def _numeral(s: str, default_base: int | None) -> _Numeral | None:
    """``"204_5"`` -> 204 in base 5; a plain ``"204"`` in ``default_base`` (if given)."""
    m = _BASE_RE.match(s)
    if m:
        digits, base, sub = m.group(1), int(m.group(2)), True
    elif default_base and _DIGITS_RE.match(s):
        digits, base, sub = s, default_base, False
    else:
        return None
    if not 2 <= base <= 36:
        return None
    try:
        return _Numeral(digits, base, int(digits, base), sub)
    except ValueError:
        return None


_TIME_NORM_RE = re.compile(r"^(\d{1,2}):(\d\d)(?::(\d\d))?([ap]m)?$")


def _time(s: str) -> tuple[int, int, int, str | None] | None:
    """A normalised clock time ``4:30pm`` -> (4, 30, 0, "pm")."""
    m = _TIME_NORM_RE.match(s)
    if m is None:
        return None
    h, mi, sec, mer = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), m.group(4)
    if h > 23 or (mer and not 1 <= h <= 12):
        return None
    return h, mi, sec, mer


def _time_24(t: tuple[int, int, int, str | None]) -> tuple[int, int, int]:
    h, mi, sec, mer = t
    if mer:
        h = h % 12 + (12 if mer == "pm" else 0)
    return h, mi, sec


_RATIO_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$")


def _ratio(s: str) -> Fraction | None:
    """A ratio ``3:2`` (not a clock time) as the fraction 3/2."""
    m = _RATIO_RE.match(s)
    if m is None or _time(s) is not None:
        return None
    b = Fraction(m.group(2))
    return None if b == 0 else Fraction(m.group(1)) / b


def _times_equal(g, p) -> bool:
    """Same clock reading; a meridiem on one side only is not a contradiction."""
    if g[3] and p[3] or (not g[3] and not p[3]):
        return _time_24(g) == _time_24(p)
    plain = p if g[3] else g
    if plain[0] == 0 or plain[0] > 12:  # 24-hour clock
        return _time_24(g) == _time_24(p)
    return (g[0] % 12, g[1], g[2]) == (p[0] % 12, p[1], p[2])


def _choice_letter(s: str, letters: str = "ABCDEFGH") -> str | None:
    return s.upper() if len(s) == 1 and s.upper() in letters else None


# ----------------------------------------------------------------------------
# Cheap decisions (no sympy): used in-process by EquivPool
# ----------------------------------------------------------------------------

def _result(ok: bool | None, why: str, g: _Norm, p: _Norm) -> EquivResult:
    return EquivResult(ok, why, _cheap_describe(g), _cheap_describe(p), g.text, p.text)


_PLAIN_DECIMAL_RE = re.compile(r"^[-+]?\d+(?:\.(\d+))?$")


def _rounded_ok(pt: str, gold_value: Fraction | float, hints: Hints) -> bool:
    """The problem asks for ``d`` decimal places and ``pt`` is the gold value rounded to d.
    Exact arithmetic (no overflow); a float gold (an evaluated expression) gets a
    relative slack of 1e-12 for its own rounding."""
    d = hints.decimal_places
    m = _PLAIN_DECIMAL_RE.match(pt)
    if d is None or m is None or len(m.group(1) or "") != d:
        return False
    half = Fraction(1, 2 * 10 ** d)
    gold = Fraction(gold_value)
    slack = 0 if isinstance(gold_value, Fraction) else half * Fraction(1, 10 ** 12) + abs(gold) / 10 ** 15
    return abs(Fraction(pt) - gold) <= half + slack


def _rational_verdict(g: _Norm, p: _Norm, rg: Fraction, rp: Fraction, hints: Hints) -> EquivResult:
    """Exact comparison under the percent policy (module docstring)."""
    if rg == rp:
        return _result(True, "equal_rational", g, p)
    if (g.percent and not p.percent and rp == rg / 100) or (p.percent and not g.percent and rp / 100 == rg):
        return _result(True, "equal_percent", g, p)
    if not g.percent and not p.percent and _rounded_ok(p.text, rg, hints):
        return _result(True, "equal_rounded", g, p)
    return _result(False, "not_equal_rational", g, p)


def _base_verdict(g: _Norm, p: _Norm, hints: Hints) -> EquivResult | None:
    """Numerals in the requested base (see "Bases" in the module docstring)."""
    gold_sub = _numeral(g.text, None)
    requested = hints.base or (gold_sub.base if gold_sub else None)
    if requested is None:
        return None
    ng, np_ = _numeral(g.text, requested), _numeral(p.text, requested)
    if ng is None or not (ng.subscripted or np_ is not None and np_.subscripted):
        return None  # nothing written in a base: ordinary numbers
    if np_ is None:
        return _result(False, "not_equal", g, p) if re.fullmatch(r"[0-9A-Za-z]+", p.text) else None
    if hints.base and np_.subscripted and np_.base != hints.base:
        return _result(False, "not_equal", g, p)  # not written in the base the problem asks for
    return _result(ng.value == np_.value, "equal_base" if ng.value == np_.value else "not_equal", g, p)


_DECIMAL_COMMA_RE = re.compile(r"^[-+]?\d+,\d+$")


def _decimal_comma(s: str, other: str) -> Fraction | None:
    """A prediction ``s`` = ``3,5`` read as 3.5 when the gold ``other`` is a decimal number
    written with a point: the list reading {3, 5} could never equal it, so the locale
    reading is unambiguous. ``None`` otherwise."""
    if not (_DECIMAL_COMMA_RE.match(s) and _SIGNED_DEC_RE.match(other) and "." in other):
        return None
    return Fraction(s.replace(",", "."))


def _cheap_scalar(g: _Norm, p: _Norm, hints: Hints = NO_HINTS) -> EquivResult | None:
    """String / choice / text / time / rational / base-numeral decisions, or None if undecided."""
    gt, pt = g.text, p.text
    if not pt:
        return _result(False if gt else None, "empty" if gt else "empty_gold", g, p)
    if gt == pt:
        return _result(True, "equal_string", g, p)
    if not gt:
        return _result(None, "empty_gold", g, p)
    if len(gt) > MAX_LEN or len(pt) > MAX_LEN:
        return _result(None, "too_long", g, p)
    if hints.choices:
        letters = "".join(letter for letter, _ in hints.choices)
        gl, pl = _choice_letter(gt, letters) if gt.isupper() else None, _choice_letter(pt, letters)
        if gl and pl:
            return _result(gl == pl, "equal_choice" if gl == pl else "not_equal_choice", g, p)
        if gl or pl:
            return _choice_verdict(g, p, hints, full=False)
    if re.fullmatch(r"[A-H]", gt) and (_choice_letter(pt) or parse_rational(pt) is not None):
        same = pt.upper() == gt
        return _result(same, "equal_choice" if same else "not_equal_choice", g, p)
    if _is_textual(gt) or _is_textual(pt):
        same = gt.casefold() == pt.casefold()
        return _result(same, "equal_text" if same else "not_equal_text", g, p)
    tg, tp = _time(gt), _time(pt)
    if tg is not None and tp is not None:
        same = _times_equal(tg, tp)
        return _result(same, "equal_time" if same else "not_equal_time", g, p)
    rg, rp = parse_rational(gt), parse_rational(pt)
    if rp is None and rg is not None:  # pred "3,5" against gold "3.5": a decimal comma (see "Commas")
        rp = _decimal_comma(pt, gt)
    qg, qp = _ratio(gt), _ratio(pt)
    if (qg is not None or qp is not None) and (qg if qg is not None else rg) is not None \
            and (qp if qp is not None else rp) is not None:
        same = (qg if qg is not None else rg) == (qp if qp is not None else rp)
        return _result(same, "equal_rational" if same else "not_equal_rational", g, p)
    if tg is not None or tp is not None:  # a clock time against something else
        return _result(False, "not_equal_time", g, p)
    if rg is not None and rp is not None:
        return _rational_verdict(g, p, rg, rp, hints)
    return _base_verdict(g, p, hints)


def _choice_verdict(g: _Norm, p: _Norm, hints: Hints, *, full: bool) -> EquivResult | None:
    """Exactly one side is an option letter: compare the other side with that option's
    text. ``full=False``: cheap checks only (``None`` when they cannot decide)."""
    options = dict(hints.choices)
    letter = g.text if g.text in options else p.text.upper()
    gold, pred = (options[letter], p.text) if g.text in options else (g.text, options[letter])
    res = (is_equivalent(gold, pred, describe=False) if full else quick_check(gold, pred))
    if res is None:
        return None
    if res.equivalent is None:
        return _result(None, res.reason, g, p)
    return _result(res.equivalent, "equal_choice" if res.equivalent else "not_equal_choice", g, p)


def quick_check(gold: str | None, pred: str | None, *, problem: str | None = None,
                hints: Hints | None = None) -> EquivResult | None:
    """Decide cheaply without sympy (linear in the input length), or return ``None``.

    Decides: empty prediction or gold, equal normalised strings, too-long answers
    (undecided), multiple-choice letters, plain-word answers (case-insensitive), clock
    times, two exact rationals (percent and rounding policies applied) and base-b
    numerals.
    """
    hints = hints if hints is not None else problem_hints(problem)
    if gold is not None and pred is not None and len(gold) + len(pred) > 40 * MAX_LEN:
        if gold.strip() == pred.strip():
            return EquivResult(True, "equal_string")
        return EquivResult(None, "too_long")
    return _cheap_scalar(_normalize(gold), _normalize(pred), hints)


def _cheap_describe(n: _Norm) -> str | None:
    """The parsed form of a side when it is cheap to tell (else ``None``)."""
    t = n.text
    if not t or len(t) > MAX_LEN:
        return None
    tm = _time(t)
    if tm is not None:
        h, mi, sec, mer = tm
        hh = _time_24(tm)[0] if mer else h
        return f"Time({hh}:{mi:02d}" + (f":{sec:02d}" if sec else "") + ")"
    if _is_textual(t):
        return f"Text({t.casefold()})"
    if re.fullmatch(r"[A-H]", t):
        return f"Choice({t})"
    r = parse_rational(t)
    if r is not None:
        return str(r) + ("%" if n.percent else "")
    q = _ratio(t)
    if q is not None:
        return f"Ratio({t.replace(':', ', ')}) = {q}"
    num = _numeral(t, None)
    if num is not None:
        return f"Numeral({num.digits}, base={num.base}) = {num.value}"
    if t == "\\emptyset":
        return "EmptySet"
    if t == "\\mathbb{R}":
        return "Reals"
    return None


# ----------------------------------------------------------------------------
# Structure: tuples, intervals, sets, unions, matrices, equations, inequalities
# ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Scalar:
    text: str


@dataclass(frozen=True)
class _Seq:  # (a,b) tuple/open interval, [a,b) interval, ...
    open: str
    close: str
    items: tuple


@dataclass(frozen=True)
class _Set:  # \{a,b\}, "a, b", "a or b", a \pm b: unordered
    items: tuple
    braced: bool


@dataclass(frozen=True)
class _Union:
    items: tuple


@dataclass(frozen=True)
class _Inter:  # conditions joined by "and"
    items: tuple


@dataclass(frozen=True)
class _Matrix:
    rows: tuple


@dataclass(frozen=True)
class _Rel:  # sides[0] ops[0] sides[1] ops[1] ...; ops in = < > \leq \geq \neq
    ops: tuple
    sides: tuple


@dataclass(frozen=True)
class _Const:  # the empty set or the reals
    name: str


class _Unparseable(Exception):
    """Raised when an answer cannot be converted to a comparable form."""


class _TooComplex(Exception):
    """Raised when an answer would need unbounded work (huge powers, deep nesting)."""


_MATRIX_RE = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_REL_TOKEN_RE = re.compile(r"\\leq(?![a-zA-Z])|\\geq(?![a-zA-Z])|\\neq(?![a-zA-Z])|<|>|=")
_INEQ_OPS = frozenset({"<", ">", "\\leq", "\\geq", "\\neq"})
_FLIP = {"<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq"}


def _outer_pair(s: str) -> tuple[str, str, str] | None:
    """``(a,b]`` -> ``("(", "a,b", "]")`` when the first bracket closes at the very end."""
    if len(s) < 2 or s[0] not in "([" or s[-1] not in ")]":
        return None
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return None
    return (s[0], s[1:-1], s[-1]) if depth == 0 else None


def _expand_pm(s: str) -> list[str]:
    """``1\\pm\\sqrt{5}`` -> ``["1+\\sqrt{5}", "1-\\sqrt{5}"]`` (all sign choices, <= 3 signs)."""
    pieces = re.split(r"\\(pm|mp)(?![a-zA-Z])", s)
    k = (len(pieces) - 1) // 2
    if k == 0:
        return [s]
    if k > 3:
        raise _TooComplex("too many \\pm")
    out = []
    for signs in itertools.product((0, 1), repeat=k):
        buf = [pieces[0]]
        for j, sgn in enumerate(signs):
            op = pieces[2 * j + 1]
            buf.append("+-"[sgn] if op == "pm" else "-+"[sgn])
            buf.append(pieces[2 * j + 2])
        out.append("".join(buf))
    return out


def _split_relations(s: str) -> tuple[list[str], list[str]]:
    """Top-level relation operators: ``-2<x\\leq5`` -> (["-2", "x", "5"], ["<", "\\leq"])."""
    sides, ops, depth, start, i = [], [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in "<>=\\":
            m = _REL_TOKEN_RE.match(s, i)
            if m:
                sides.append(s[start:i])
                ops.append(m.group(0))
                i = start = m.end()
                continue
        i += 1
    sides.append(s[start:])
    return sides, ops


def _parse_structure(s: str) -> Any:
    """Turn a normalised answer into _Scalar / _Seq / _Set / _Union / _Matrix / _Rel / _Const."""
    if s == "\\emptyset":
        return _Const("empty")
    if s == "\\mathbb{R}":
        return _Const("reals")
    m = _MATRIX_RE.match(s)
    if m:
        rows = [r for r in _split_top(m.group(2), "\\\\") if r.strip()]
        cells = tuple(tuple(_Scalar(c.strip()) for c in _split_top(r, "&")) for r in rows)
        if not cells or len({len(r) for r in cells}) != 1:
            raise _Unparseable("ragged matrix")
        return _Matrix(cells)
    for sep, kind in (("\\cup", _Union), ("\\wedge", _Inter)):
        parts = _split_top(s, sep)
        if len(parts) > 1:
            if len(parts) > _MAX_ITEMS:
                raise _TooComplex("too many elements")
            return kind(tuple(_parse_structure(p.strip()) for p in parts))
    if s.startswith("\\{") and s.endswith("\\}") and _balanced(s[2:-2]):
        items = [x for part in _split_top(s[2:-2], ",") for x in _expand_pm(part)]
        return _Set(tuple(_parse_structure(x) for x in items if x), braced=True)
    parts = [x for p in _split_top(s, ",") for x in _expand_pm(p)]
    if len(parts) > _MAX_ITEMS:
        raise _TooComplex("too many elements")
    if len(parts) > 1:
        return _Set(tuple(_parse_structure(p) for p in parts), braced=False)
    pair = _outer_pair(s)
    if pair is not None:
        items = _split_top(pair[1], ",")
        if len(items) > 1:
            return _Seq(pair[0], pair[2], tuple(_parse_structure(x) for x in items))
        if pair[0] + pair[2] == "()":
            return _parse_structure(pair[1])
    sides, ops = _split_relations(s)
    if ops and all(sides):
        if len(ops) == 1 or set(ops) in ({"="}, {"<"}, {"<", "\\leq"}, {"\\leq"}, {">"}, {">", "\\geq"}, {"\\geq"}):
            return _Rel(tuple(ops), tuple(sides))
    return _Scalar(s)


# ----------------------------------------------------------------------------
# LaTeX -> sympy (a small recursive-descent parser; no eval, no antlr)
# ----------------------------------------------------------------------------

_sp = None


def _sympy():
    global _sp
    if _sp is None:
        import sympy

        _sp = sympy
    return _sp


_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)|(?P<func>(?:arc)?(?:sin|cos|tan|cot|sec|csc)h?(?![a-zA-Z])|ln(?![a-zA-Z])"
    r"|log(?![a-zA-Z])|exp(?![a-zA-Z])|sqrt(?![a-zA-Z])|pi(?![a-zA-Z]))|(?P<cmd>\\[a-zA-Z]+|\\[{}|])|(?P<letter>[a-zA-Z])"
    r"|(?P<op>[-+*/^_!(){}\[\]|,'&<>=]))"
)
_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arccot": "acot", "arcsec": "asec",
    "arccsc": "acsc", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "coth": "coth",
    "ln": "log", "log": "log", "exp": "exp",
}
_MUL_CMDS = ("\\cdot", "\\times", "\\ast")
_NON_ATOM_CMDS = _MUL_CMDS + ("\\div", "\\pm", "\\mp", "\\cup", "\\cap", "\\rfloor", "\\rceil",
                              "\\leq", "\\geq", "\\neq", "\\to", "\\}")


class _LatexParser:
    """expr := term (('+'|'-') term)*; term := unary ((op|implicit) power)*;
    unary := ('-'|'+') unary | power; power := postfix ('^' script)*; postfix := atom '!'*."""

    def __init__(self, text: str, natural_log: bool = False):
        self.natural_log = natural_log
        self.toks = self._tokenize(text)
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.has_decimal = False

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        toks, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m or m.end() == pos:
                raise _Unparseable(f"bad character {text[pos]!r}")
            kind = m.lastgroup
            toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return toks

    # -- token helpers --
    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, value: str) -> bool:
        t = self.peek()
        return t is not None and t[1] == value

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise _Unparseable("unexpected end")
        self.i += 1
        return t

    def expect(self, value: str) -> None:
        t = self.take()
        if t[1] != value:
            raise _Unparseable(f"expected {value!r}, got {t[1]!r}")

    def parse(self):
        e = self.expr()
        if self.peek() is not None:
            raise _Unparseable(f"trailing {self.peek()[1]!r}")
        return e

    # -- grammar --
    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _TooComplex("nesting too deep")

    def expr(self):
        self.enter()
        sp = _sympy()
        left = self.term()
        while self.at("+") or self.at("-"):
            op = self.take()[1]
            right = self.term()
            left = sp.Add(left, right) if op == "+" else sp.Add(left, -right)
        self.depth -= 1
        return left

    def starts_atom(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        kind, v = t
        if kind in ("num", "letter", "func"):
            return True
        if kind == "cmd":
            return v not in _NON_ATOM_CMDS
        if v == "|":
            return self.abs_depth == 0
        return v in ("(", "{", "[")

    def term(self):
        sp = _sympy()
        left = self.unary()
        while True:
            t = self.peek()
            if t is not None and (t[1] in ("*", "/") or t[1] in _MUL_CMDS or t[1] == "\\div"):
                op = self.take()[1]
                right = self.unary()
                left = sp.Mul(left, sp.Pow(right, -1)) if op in ("/", "\\div") else sp.Mul(left, right)
            elif self.starts_atom():
                left = sp.Mul(left, self.power())
            else:
                return left

    def unary(self):
        if self.at("-"):
            self.take()
            return -self.unary()
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        base = self.postfix()
        while self.at("^"):
            self.take()
            base = self.make_pow(base, self.script(whole_number=True))
        return base

    def make_pow(self, base, exp):
        sp = _sympy()
        if exp.is_Number and base.is_number:
            if abs(exp) > _MAX_POW_EXP and base not in (sp.Integer(0), sp.Integer(1), sp.Integer(-1)):
                raise _TooComplex("huge power")
            if base.is_Number and abs(exp) > 1 and abs(base) > 1:
                bits = abs(float(exp)) * max(1.0, float(sp.log(abs(base), 2).evalf(5)))
                if bits > 200_000:
                    raise _TooComplex("huge power")
        return sp.Pow(base, exp)

    def postfix(self):
        sp = _sympy()
        a = self.atom()
        while self.at("!") or self.at("'"):
            if self.take()[1] == "'":
                raise _Unparseable("derivative prime")
            if a.is_Number and a > _MAX_FACTORIAL:
                raise _TooComplex("huge factorial")
            a = sp.factorial(a)
        return a

    def script(self, whole_number: bool = False):
        """A ``^``/``_``/``\\frac`` argument: ``{expr}``, one digit (a whole number after ``^``),
        a letter or a command atom."""
        sp = _sympy()
        t = self.peek()
        if t is None:
            raise _Unparseable("missing argument")
        if t[1] == "{":
            self.take()
            e = self.expr()
            self.expect("}")
            return e
        if t[0] == "num":
            self.take()
            if t[1][0] == "." or whole_number:
                return self.number(t[1])
            if len(t[1]) > 1:  # x^23 is x^2 * 3 in LaTeX: push the rest back
                self.toks[self.i:self.i] = self._tokenize(t[1][1:])
            return sp.Integer(int(t[1][0]))
        if t[1] == "-":
            self.take()
            return -self.script()
        return self.atom()

    def number(self, text: str):
        """A decimal literal, read exactly; ``1.5e3`` is scientific notation (a digit must
        follow the ``e``: ``2e`` is 2 times Euler's number)."""
        sp = _sympy()
        mantissa, _, exponent = text.lower().partition("e")
        if "." in mantissa:
            self.has_decimal = True
        value = sp.Rational(mantissa)
        return value * self.make_pow(sp.Integer(10), sp.Integer(int(exponent))) if exponent else value

    def mixed_number(self, whole: str):
        """``2\\frac{1}{3}`` (an integer, then ``\\frac`` of two integer literals) is the mixed
        number 7/3; with an improper fraction (``2\\frac{4}{3}``), or followed by a factor or
        exponent (``2\\frac{1}{3}x``), it is ambiguous (mixed number or product) and refused.
        ``None`` when the integer is not followed so."""
        t = self.toks[self.i:self.i + 7]
        shape = [(k if k == "num" else v) for k, v in t]
        if not whole.isdigit() or shape != ["\\frac", "{", "num", "}", "{", "num", "}"] \
                or not (t[2][1].isdigit() and t[5][1].isdigit()):
            return None
        a, b = int(t[2][1]), int(t[5][1])
        self.i += 7
        if not 0 <= a < b or self.starts_atom() or self.at("^") or self.at("!"):
            raise _Unparseable("an integer before a fraction: mixed number or product?")
        return _sympy().Rational(int(whole) * b + a, b)

    def group(self, close: str):
        e = self.expr()
        self.expect(close)
        return e

    def atom(self):
        sp = _sympy()
        self.enter()
        kind, v = self.take()
        try:
            if kind == "num":
                if self.at("_"):  # 204_5: a base-5 numeral
                    self.take()
                    base = self.script()
                    if not (base.is_Integer and 2 <= base <= 36) or not v.isdigit():
                        raise _Unparseable("bad base")
                    try:
                        return sp.Integer(int(v, int(base)))
                    except ValueError as exc:
                        raise _Unparseable("bad digits") from exc
                mixed = self.mixed_number(v)
                return mixed if mixed is not None else self.number(v)
            if kind == "letter":
                return self.subscripted(v)
            if kind == "func":
                return self.function(v)
            if v == "(":
                return self.group(")")
            if v == "[":
                return self.group("]")
            if v == "{":
                return self.group("}")
            if v == "|":
                self.abs_depth += 1
                e = self.expr()
                self.abs_depth -= 1
                self.expect("|")
                return sp.Abs(e)
            if kind == "cmd":
                return self.command(v)
            raise _Unparseable(f"unexpected {v!r}")
        finally:
            self.depth -= 1

    def subscripted(self, name: str):
        sp = _sympy()
        if self.at("_"):
            self.take()
            t = self.take()
            if t[1] == "{":
                sub = []
                while not self.at("}"):
                    sub.append(self.take()[1])
                self.take()
                name = f"{name}_{''.join(sub)}"
            else:
                name = f"{name}_{t[1]}"
            return sp.Symbol(name)
        if name == "i":
            return sp.I
        if name == "e":
            return sp.E
        return sp.Symbol(name)

    def function(self, name: str):
        sp = _sympy()
        name = name.lstrip("\\")
        if name == "sqrt":
            return self.sqrt()
        if name == "pi":
            return sp.pi
        base = None
        if name == "log" and self.at("_"):
            self.take()
            base = self.script()
        if name == "log" and base is None and not self.natural_log:
            base = sp.Integer(10)  # a bare \log is base 10 (module docstring)
        power = None
        if self.at("^"):
            self.take()
            power = self.script()
        arg = self.func_arg()
        fn = getattr(sp, _FUNCS[name])
        val = sp.log(arg, base) if base is not None else fn(arg)
        if power is not None:
            if power == -1 and name in ("sin", "cos", "tan"):
                val = getattr(sp, "a" + name)(arg)
            else:
                val = self.make_pow(val, power)
        return val

    def func_arg(self):
        """``(x)``, ``{x}`` or an implicit product of atoms (``\\sin 2x`` = sin(2x))."""
        sp = _sympy()
        if self.at("(") or self.at("{"):
            return self.atom()
        if self.at("-"):
            self.take()
            return -self.func_arg()
        val = self.power()
        while self.starts_atom() and (self.peek()[0] in ("num", "letter") or self.peek()[1] == "\\pi"):
            val = sp.Mul(val, self.power())
        return val

    def sqrt(self):
        sp = _sympy()
        n = None
        if self.at("["):
            self.take()
            n = self.group("]")
        x = self.script()
        if n is None:
            return sp.sqrt(x)
        if n.is_Integer and n % 2 == 1 and x.is_number and x.is_negative:
            return -sp.root(-x, n)
        return sp.root(x, n)

    def command(self, v: str):
        sp = _sympy()
        name = v[1:]
        if name in ("frac", "cfrac"):
            a, b = self.script(), self.script()
            return sp.Mul(a, sp.Pow(b, -1))
        if name == "binom":
            a, b = self.script(), self.script()
            return sp.binomial(a, b)
        if name == "sqrt":
            return self.sqrt()
        if name in _FUNCS:
            return self.function(name)
        if name == "pi":
            return sp.pi
        if name == "infty":
            return sp.oo
        if name in ("lfloor", "lceil"):
            e = self.expr()
            self.expect("\\r" + name[1:])
            return sp.floor(e) if name == "lfloor" else sp.ceiling(e)
        if name == "{":
            e = self.expr()
            self.expect("\\}")
            return e
        if name == "|":
            e = self.expr()
            self.expect("\\|")
            return sp.Abs(e)
        if re.fullmatch(_GREEK, name):
            return sp.Symbol(name)
        raise _Unparseable(f"unknown command {v}")



def _sympy_errors() -> tuple[type[BaseException], ...]:
    """Exceptions sympy raises on odd input (evaluated lazily: sympy is imported on demand)."""
    sp = _sympy()
    from sympy.polys.polyerrors import BasePolynomialError

    return (sp.SympifyError, TypeError, ValueError, AttributeError, NotImplementedError,
            ZeroDivisionError, OverflowError, IndexError, KeyError, BasePolynomialError)


@lru_cache(maxsize=4096)
def _to_sympy(text: str, natural_log: bool = False) -> tuple[Any, bool]:
    """Parse normalised LaTeX to a sympy expression; returns (expr, has_decimal_literal).
    Memoised: a worker parses each gold answer once. Raises _Unparseable / _TooComplex.
    """
    p = _LatexParser(text, natural_log)
    try:
        return p.parse(), p.has_decimal
    except RecursionError as exc:
        raise _TooComplex("recursion") from exc
    except (TypeError, ValueError, ZeroDivisionError, AttributeError) as exc:
        raise _Unparseable(str(exc)) from exc


# ----------------------------------------------------------------------------
# Sympy comparison
# ----------------------------------------------------------------------------

_SAMPLES = ((37, 11), (-29, 13), (5, 17), (-7, 19))  # both signs, both sides of 1 in size


@lru_cache(maxsize=1024)
def _symbol_factor(name: str):
    """A factor in [1, 2) that depends only on the symbol's name, so a symbol gets the same
    sample values whichever other symbols share the expression (needed by fingerprints)."""
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") % 999_983
    return _sympy().Rational(999_983 + h, 999_983)


def _sample_points(symbols) -> list[dict]:
    """Four deterministic rational assignments for the free symbols (no 0/±1/integers):
    one positive and one negative point of each magnitude, distinct per symbol."""
    sp = _sympy()
    return [{s: sp.Rational(p, q) * _symbol_factor(str(s)) for s in symbols} for p, q in _SAMPLES]


def _as_complex(x) -> complex | None:
    """A Python complex for a finite value that fits a float, else ``None`` (never inf)."""
    try:
        z = complex(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return z if cmath.isfinite(z) else None


def _values(e, points: list[dict]) -> list[complex | None]:
    return [_as_complex(e.subs(pt).evalf(40) if pt else e.evalf(40)) for pt in points]


_SAFE_MAX = 1e300  # the numeric fallback only accepts values in [1e-300, 1e300] (or 0)
_SAFE_MIN = 1e-300
_MAXN = 600  # digits evalf may use to tell a value from zero


def _evaluate(e, dps: int = 40):
    """``e`` at ``dps`` significant digits as an mpmath ``mpc``; ``0`` when evalf cannot
    tell it from zero with ``_MAXN`` digits; ``None`` when it is not a finite number."""
    sp = _sympy()
    from sympy.core.evalf import PrecisionExhausted

    try:
        v = e.evalf(dps, maxn=_MAXN, strict=True)
    except PrecisionExhausted:
        return 0
    except _sympy_errors():
        return None
    if not v.is_number or v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    re_, im_ = v.as_real_imag()
    if not (re_.is_Number and im_.is_Number):
        return None
    import mpmath

    z = mpmath.mpc(mpmath.mpf(sp.Float(re_, dps)._mpf_), mpmath.mpf(sp.Float(im_, dps)._mpf_))
    return z if mpmath.isfinite(z.real) and mpmath.isfinite(z.imag) else None


def _in_safe_range(z) -> bool:
    return z == 0 or _SAFE_MIN <= abs(z) <= _SAFE_MAX


def _numerically_safe(e) -> bool:
    """Every numeric sub-expression of ``e`` (symbols already substituted) is finite, is
    told apart from zero by evalf, and lies in ``[1e-300, 1e300]`` or is exactly 0: no
    overflow, underflow or unresolved cancellation that a float-like check could miss."""
    sp = _sympy()
    for node in sp.preorder_traversal(e):
        if not getattr(node, "is_number", False):
            continue
        v = node if node.is_Rational else _evaluate(node, 15)
        if v is None or not _in_safe_range(v) or v == 0 and node.is_zero is not True:
            return False
    return True


def _exprs_equal(a, b, approximate: bool) -> tuple[bool | None, str]:
    """Exact symbolic equality, with a numeric fallback (see module docstring).

    Two exact rationals are decided exactly. The numeric fallback evaluates the
    difference at each sample point with evalf (arbitrary exponents, ``_MAXN`` digits to
    resolve cancellation): a clearly non-zero difference refutes; it accepts only when the
    difference is zero at every point *and* every sub-expression of both sides is finite
    and within ``[1e-300, 1e300]`` (:func:`_numerically_safe`). Otherwise ``None``
    (``out_of_range``): never an accept by float rounding."""
    sp = _sympy()
    if a == b:
        return True, "sympy_equal"
    if a.has(sp.oo, -sp.oo) or b.has(sp.oo, -sp.oo):  # infinities: structural equality only
        return False, "not_equal"
    if a.is_Rational and b.is_Rational:  # exact numbers: a == b already decided
        return False, "not_equal"
    diff = a - b
    syms = a.free_symbols | b.free_symbols
    points = _sample_points(syms) if syms else [{}]
    subs = [(a.subs(pt), b.subs(pt), diff.subs(pt)) if pt else (a, b, diff) for pt in points]
    zero_everywhere, proven_nonzero = True, False
    for ea, eb, ed in subs:
        av, bv, dv = _evaluate(ea), _evaluate(eb), _evaluate(ed)
        if dv is None or dv != 0:
            zero_everywhere = False
        if av is None or bv is None or dv is None or dv == 0:
            continue
        proven_nonzero = True
        if abs(dv) > REL_TOL * max(abs(av), abs(bv)):
            return False, "not_equal"
    if sp.expand(diff) == 0 or sp.simplify(diff) == 0:
        return True, "sympy_equal"
    if proven_nonzero or approximate:
        return False, "not_equal"
    if zero_everywhere and all(_numerically_safe(x) for ea, eb, _ in subs for x in (ea, eb)):
        return True, "numeric_equal"
    return None, "out_of_range"


class _Ctx:
    """Per-call state: the problem hints (choices dropped below the top level)."""

    def __init__(self, hints: Hints) -> None:
        self.hints = hints
        self.inner = Hints(base=hints.base, decimal_places=hints.decimal_places, natural_log=hints.natural_log)

    def expr(self, text: str) -> tuple[Any, bool]:
        return _to_sympy(text, self.hints.natural_log)


class _SideError(Exception):
    """An undecidable element: ``side`` (gold/pred/both) and the EquivResult reason."""

    def __init__(self, side: str, reason: str):
        super().__init__(f"{side}: {reason}")
        self.side, self.reason = side, reason


def _side_expr(ctx, text: str, side: str):
    """``ctx.expr(text)``, with a failure attributed to ``side`` ("gold" or "pred")."""
    try:
        return ctx.expr(text)
    except _TooComplex as exc:
        raise _SideError(side, "too_complex") from exc
    except _Unparseable as exc:
        raise _SideError(side, "unparseable") from exc


def _real_value(e) -> float | None:
    v = _as_complex(e.evalf(30)) if e.is_number else None
    return v.real if v is not None and abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)) else None


def _scalar_equal(ctx: _Ctx, g: str, p: str, gn: _Norm | None = None, pn: _Norm | None = None) -> tuple[bool, str]:
    """Two normalised scalars: cheap checks, then sympy. ``gn``/``pn`` carry the percent
    flags (top level only). Raises _SideError when undecidable."""
    gn = gn or _Norm(g, False)
    pn = pn or _Norm(p, False)
    cheap = _cheap_scalar(gn, pn, ctx.inner)
    if cheap is not None:
        if cheap.equivalent is None:
            raise _SideError("both", cheap.reason)
        return cheap.equivalent, cheap.reason
    ga, _ = _side_expr(ctx, g, "gold")
    pa, approx = _side_expr(ctx, p, "pred")
    sp = _sympy()
    if ga.has(sp.zoo, sp.nan):  # e.g. \frac{1}{0}: a broken reference cannot be judged
        raise _SideError("gold", "undefined")
    if pa.has(sp.zoo, sp.nan):
        return False, "not_equal"
    ok, why = _exprs_equal(ga, pa, approx)
    if ok:
        return True, why
    if gn.percent != pn.percent:  # exactly one side wrote a percent: also compare its value
        scaled = (ga / 100, pa) if gn.percent else (ga, pa / 100)
        if _exprs_equal(*scaled, approx)[0]:
            return True, "equal_percent"
    if ctx.hints.decimal_places is not None and not (gn.percent or pn.percent):
        gv = _real_value(ga)
        if gv is not None and _rounded_ok(p, gv, ctx.hints):
            return True, "equal_rounded"
    if ok is None:
        raise _SideError("both", why)
    return False, why


def _match_unordered(ctx: _Ctx, gs: tuple, ps: tuple) -> bool:
    """Multiset equality: every gold element pairs with a distinct equal pred element."""
    if len(gs) != len(ps):
        return False
    used = [False] * len(ps)
    for g in gs:
        for j, p in enumerate(ps):
            if not used[j] and _struct_equal(ctx, g, p)[0]:
                used[j] = True
                break
        else:
            return False
    return True


def _is_ineq(s: Any) -> bool:
    return isinstance(s, _Rel) and all(op in _INEQ_OPS for op in s.ops)


def _setlike(s: Any) -> bool:
    """Answers that only make sense as sets of reals: inequalities, unions, R, the empty set."""
    return (_is_ineq(s) or isinstance(s, (_Const, _Union, _Inter))
            or isinstance(s, _Set) and not s.braced and bool(s.items) and all(_is_ineq(x) for x in s.items))


def _interval(ctx: _Ctx, s: _Seq):
    """``(a, b]`` with real numbers ``a < b`` as a sympy Interval, else ``None``."""
    sp = _sympy()
    if len(s.items) != 2 or not all(isinstance(x, _Scalar) for x in s.items):
        return None
    a, b = (ctx.expr(x.text)[0] for x in s.items)
    if a.free_symbols or b.free_symbols or not (a.is_extended_real and b.is_extended_real):
        return None
    if (a < b) is not sp.true:
        return None
    return sp.Interval(a, b, s.open == "(", s.close == ")")


def _ineq_set(ctx: _Ctx, rel: _Rel):
    """The set of reals satisfying a one-variable inequality (chain), else ``None``."""
    sp = _sympy()
    exprs = [ctx.expr(t)[0] for t in rel.sides]
    syms = set().union(*(e.free_symbols for e in exprs))
    if len(syms) != 1:
        return None
    x = syms.pop()
    funcs = {"<": sp.Lt, ">": sp.Gt, "\\leq": sp.Le, "\\geq": sp.Ge, "\\neq": sp.Ne}
    result = sp.S.Reals
    for lhs, op, rhs in zip(exprs, rel.ops, exprs[1:]):
        if rhs == x and not lhs.free_symbols:
            lhs, op, rhs = rhs, _FLIP[op], lhs
        if lhs == x and not rhs.free_symbols and rhs.is_extended_real:
            piece = {"<": sp.Interval.open(-sp.oo, rhs), "\\leq": sp.Interval(-sp.oo, rhs),
                     ">": sp.Interval.open(rhs, sp.oo), "\\geq": sp.Interval(rhs, sp.oo),
                     "\\neq": sp.Union(sp.Interval.open(-sp.oo, rhs), sp.Interval.open(rhs, sp.oo))}[op]
        else:
            piece = sp.solveset(funcs[op](lhs, rhs), x, sp.S.Reals)
            if not isinstance(piece, sp.Set) or isinstance(piece, sp.ConditionSet):
                return None
        result = sp.Intersection(result, piece)
    return result


def _as_set(ctx: _Ctx, s: Any):
    """A set of reals for interval-like answers, else ``None``."""
    sp = _sympy()
    if isinstance(s, _Const):
        return sp.S.EmptySet if s.name == "empty" else sp.S.Reals
    if isinstance(s, _Seq):
        return _interval(ctx, s)
    if isinstance(s, _Inter):
        parts = [_as_set(ctx, x) for x in s.items]
        return None if any(x is None for x in parts) else sp.Intersection(*parts)
    if isinstance(s, (_Union, _Set)) and not (isinstance(s, _Set) and s.braced):
        parts = [_as_set(ctx, x) for x in s.items]
        return None if any(x is None for x in parts) else sp.Union(*parts)
    if isinstance(s, _Set):  # \{1, 2\}: a finite set of reals
        if not all(isinstance(x, _Scalar) for x in s.items):
            return None
        values = [ctx.expr(x.text)[0] for x in s.items]
        return sp.FiniteSet(*values) if all(v.is_number and v.is_extended_real for v in values) else None
    if _is_ineq(s):
        return _ineq_set(ctx, s)
    return None


def _sets_equal(a, b) -> bool:
    sp = _sympy()
    return a == b or a.symmetric_difference(b) == sp.S.EmptySet


def _rel_equal(ctx: _Ctx, g: _Rel, p: _Rel) -> tuple[bool, str]:
    """Same relation (or its mirror image); equations also up to a non-zero factor;
    inequalities also as sets of reals."""
    if len(g.ops) == 1 and len(p.ops) == 1:
        go, po = g.ops[0], p.ops[0]
        (gl, gr), (pl, pr) = g.sides, p.sides
        if po == go and _scalar_equal(ctx, gl, pl)[0] and _scalar_equal(ctx, gr, pr)[0]:
            return True, "equation_equal"
        if po == _FLIP[go] and _scalar_equal(ctx, gl, pr)[0] and _scalar_equal(ctx, gr, pl)[0]:
            return True, "equation_equal"
        if go == po == "=":
            sp = _sympy()
            gd = sp.expand(ctx.expr(gl)[0] - ctx.expr(gr)[0])
            pd = sp.expand(ctx.expr(pl)[0] - ctx.expr(pr)[0])
            if pd == 0 or gd == 0:
                return (gd == pd), "equation_equal" if gd == pd else "not_equal"
            ratio = sp.simplify(gd / pd)
            if ratio.is_number and ratio != 0 and ratio.is_finite:
                return True, "equation_equal"
            return False, "not_equal"
    if _is_ineq(g) and _is_ineq(p):
        a, b = _as_set(ctx, g), _as_set(ctx, p)
        if a is not None and b is not None:
            ok = _sets_equal(a, b)
            return ok, "set_equal" if ok else "not_equal"
    return False, "not_equal"


def _struct_equal(ctx: _Ctx, g: Any, p: Any) -> tuple[bool, str]:
    """Compare parsed structures (gold first)."""
    if isinstance(g, _Scalar) and isinstance(p, _Scalar):
        return _scalar_equal(ctx, g.text, p.text)
    if isinstance(g, _Rel) and isinstance(p, _Rel):
        return _rel_equal(ctx, g, p)
    if _setlike(g) or _setlike(p):
        if isinstance(g, _Union) and isinstance(p, _Union) and _match_unordered(ctx, g.items, p.items):
            return True, "structure_equal"
        a, b = _as_set(ctx, g), _as_set(ctx, p)
        if a is not None and b is not None:
            ok = _sets_equal(a, b)
            return ok, "set_equal" if ok else "not_equal"
        if isinstance(g, _Union) and isinstance(p, _Union):
            return False, "not_equal"
    if isinstance(g, _Scalar) and isinstance(p, _Set) and not p.braced and p.items:
        ok = all(_struct_equal(ctx, g, x)[0] for x in p.items)  # "639/40, 15\frac{39}{40}": one value twice
        return ok, "structure_equal" if ok else "structure_mismatch"
    if isinstance(g, _Seq) and isinstance(p, _Seq):
        if (g.open, g.close) != (p.open, p.close) or len(g.items) != len(p.items):
            return False, "structure_mismatch"
        ok = all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Seq) and isinstance(p, _Set) and not p.braced and (g.open, g.close) == ("(", ")"):
        ok = len(g.items) == len(p.items) and all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Set) and not g.braced and isinstance(p, _Seq) and (p.open, p.close) == ("(", ")"):
        ok = _match_unordered(ctx, g.items, p.items)  # a list of solutions in parentheses
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Set) and isinstance(p, _Set) or isinstance(g, _Union) and isinstance(p, _Union):
        ok = _match_unordered(ctx, g.items, p.items)
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Matrix) and isinstance(p, _Matrix):
        if len(g.rows) != len(p.rows) or len(g.rows[0]) != len(p.rows[0]):
            return False, "structure_mismatch"
        ok = all(_struct_equal(ctx, a, b)[0] for ra, rb in zip(g.rows, p.rows) for a, b in zip(ra, rb))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Matrix) and isinstance(p, _Seq) or isinstance(g, _Seq) and isinstance(p, _Matrix):
        mat, seq = (g, p) if isinstance(g, _Matrix) else (p, g)
        flat = [c for r in mat.rows for c in r]
        vector = min(len(mat.rows), len(mat.rows[0])) == 1 and (seq.open, seq.close) == ("(", ")")
        if not vector or len(flat) != len(seq.items):
            return False, "structure_mismatch"
        pairs = zip(flat, seq.items) if mat is g else zip(seq.items, flat)
        ok = all(_struct_equal(ctx, a, b)[0] for a, b in pairs)
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Const) and isinstance(p, _Const):
        return g.name == p.name, "structure_equal" if g.name == p.name else "not_equal"
    return False, "structure_mismatch"


# ----------------------------------------------------------------------------
# Parsed canonical forms
# ----------------------------------------------------------------------------

def _desc(ctx: _Ctx, s: Any) -> str:
    """Canonical form of a structure (raises on unparseable parts)."""
    sp = _sympy()
    if isinstance(s, _Scalar):
        return sp.sstr(ctx.expr(s.text)[0])
    if isinstance(s, _Seq):
        if (s.open, s.close) != ("(", ")"):
            iv = _interval(ctx, s)
            if iv is not None:
                return str(iv)
            return s.open + ", ".join(_desc(ctx, x) for x in s.items) + s.close
        iv = _interval(ctx, s) if any(x.text in ("\\infty", "-\\infty") for x in s.items if isinstance(x, _Scalar)) else None
        if iv is not None:  # (2, \infty) can only be an interval
            return str(iv)
        return "Tuple(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Set):
        if _setlike(s):
            st = _as_set(ctx, s)
            if st is not None:
                return str(st)
        return "FiniteSet(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, (_Union, _Inter)):
        st = _as_set(ctx, s)
        name = type(s).__name__.strip("_").replace("Inter", "Intersection")
        return str(st) if st is not None else name + "(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Matrix):
        return "Matrix([" + ", ".join("[" + ", ".join(_desc(ctx, c) for c in r) + "]" for r in s.rows) + "])"
    if isinstance(s, _Rel):
        if s.ops == ("=",):
            return f"Eq({_desc(ctx, _Scalar(s.sides[0]))}, {_desc(ctx, _Scalar(s.sides[1]))})"
        st = _as_set(ctx, s) if _is_ineq(s) else None
        if st is not None:
            return str(st)
        ops = {"\\leq": "<=", "\\geq": ">=", "\\neq": "!="}
        out = _desc(ctx, _Scalar(s.sides[0]))
        for op, side in zip(s.ops, s.sides[1:]):
            out += f" {ops.get(op, op)} {_desc(ctx, _Scalar(side))}"
        return out
    if isinstance(s, _Const):
        return "EmptySet" if s.name == "empty" else "Reals"
    raise _Unparseable(f"cannot describe {type(s).__name__}")


def _describe(ctx: _Ctx, n: _Norm, s: Any | None) -> str | None:
    """The parsed canonical form of one side, or ``None`` if it cannot be parsed."""
    cheap = _cheap_describe(n)
    if cheap is not None or not n.text or len(n.text) > MAX_LEN:
        return cheap
    try:
        if s is None:
            s = _parse_structure(n.text)
        d = _desc(ctx, s)
    except (_Unparseable, _TooComplex, _SideError, RecursionError):
        return None
    except _sympy_errors():
        return None
    if isinstance(s, _Scalar) and n.assigned:
        d = f"Eq({n.assigned}, {d})"
    return d + "%" if n.percent else d


# ----------------------------------------------------------------------------
# The checker
# ----------------------------------------------------------------------------

def _with_assignment(s: Any, n: _Norm, other: Any) -> Any:
    """``y = 2x+1`` was stripped to ``2x+1``; put the equation back when the other side is one."""
    if isinstance(s, _Scalar) and n.assigned and "(" not in n.assigned and isinstance(other, _Rel) and other.ops == ("=",):
        return _Rel(("=",), (n.assigned, n.text))
    return s


# A quantity named on the left of a prediction's chain "m + n = 7 + 4 = 11": letters, names
# and segment names joined by + - * : (no digits, no powers), also \tan A, \frac{NO}{BO}, |AB|, f(x).
_CHAIN_LABEL_RE = re.compile(r"^(?:" + _LABEL + r"|\\(?:sin|cos|tan|cot|sec|csc) ?" + _NAME + r"|[-+*:]|\\cdot)+$")


def _chain_values(ctx: _Ctx, s: Any) -> list[str] | None:
    """The value sides of a prediction written as a chain of equalities whose sides after
    the first are numbers and whose first side is a number or a label (``2+3=5``,
    ``x = 5+5+1 = 11``, ``a+b+c = 11+9+0 = 20``, ``\\tan A = 2``): the chain stands for its
    last side, and is that answer only if every number side equals it. ``None`` for
    anything else (``x^2 = 2`` is an equation, not a labelled value)."""
    if not (isinstance(s, _Rel) and set(s.ops) == {"="}):
        return None
    first = s.sides[0].replace(" ", "")
    try:
        if any(ctx.expr(side)[0].free_symbols for side in s.sides[1:]):
            return None
        if _CHAIN_LABEL_RE.match(first):
            return list(s.sides[1:])
        if ctx.expr(s.sides[0])[0].free_symbols:
            return None
    except (_Unparseable, _TooComplex):
        return None
    return list(s.sides)


def _decide(ctx: _Ctx, g: _Norm, p: _Norm) -> tuple[bool, str, Any, Any]:
    """(equivalent, reason, gold structure, pred structure); raises when undecidable."""
    letters = "".join(letter for letter, _ in ctx.hints.choices)
    if letters and (g.text in letters and len(g.text) == 1) != bool(_choice_letter(p.text, letters)):
        res = _choice_verdict(g, p, ctx.hints, full=True)
        if res.equivalent is None:
            raise _SideError("both", res.reason)
        return res.equivalent, res.reason, None, None
    gs, ps = _parse_structure(g.text), _parse_structure(p.text)
    gs, ps = _with_assignment(gs, g, ps), _with_assignment(ps, p, gs)
    values = _chain_values(ctx, ps) if isinstance(gs, _Scalar) and not g.assigned else None
    if values:  # "\sin^2 30^\circ + 1 = \frac{5}{4}", "x = 5+5+1 = 11": every value side is the gold
        ok, why = True, "equal_string"
        for value in values:
            ok, why = _scalar_equal(ctx, g.text, value, g, _Norm(value, p.percent))
            if not ok:
                break
    elif isinstance(gs, _Scalar) and isinstance(ps, _Scalar):
        ok, why = _scalar_equal(ctx, g.text, p.text, g, p)
    else:
        ok, why = _struct_equal(ctx, gs, ps)
    return ok, why, gs, ps


def is_equivalent(gold: str | None, pred: str | None, *, problem: str | None = None,
                  hints: Hints | None = None, describe: bool = True) -> EquivResult:
    """Is ``pred`` (untrusted) the same answer as ``gold`` (trusted)? Pure; no time limit.

    ``problem``: the problem statement, read by :func:`problem_hints` (or pass ``hints``)
    for the requested base, rounding, log convention and multiple-choice options.
    ``describe``: fill ``gold_parsed``/``pred_parsed`` with the parsed canonical forms.

    Order: cheap decisions (normalised strings, choices, text, clock times, exact
    rationals with the percent and rounding policies, base numerals) -> structure
    (ordered tuples and intervals with their bracket types, unordered sets/lists/unions
    including ``a \\pm b``, matrices, equations up to a non-zero factor, inequalities and
    intervals as sets of reals) -> sympy (``expand``/``simplify`` of the difference, numeric
    fallback with ``REL_TOL``). See the module docstring for the policies.
    """
    hints = hints if hints is not None else problem_hints(problem)
    quick = quick_check(gold, pred, hints=hints)
    if quick is not None and (quick.gold_normalized is None or not describe):
        return quick
    g, p = _normalize(gold), _normalize(pred)
    ctx = _Ctx(hints)
    gs = ps = None
    if quick is not None:
        ok, why = quick.equivalent, quick.reason
    else:
        try:
            ok, why, gs, ps = _decide(ctx, g, p)
        except _SideError as exc:
            ok, why = None, exc.reason
        except (_TooComplex, RecursionError):
            ok, why = None, "too_complex"
        except _Unparseable:
            ok, why = None, "unparseable"
        except _sympy_errors():
            ok, why = None, "sympy_error"
    if not describe:
        return EquivResult(ok, why, _cheap_describe(g), _cheap_describe(p), g.text, p.text)
    return EquivResult(ok, why, _describe(ctx, g, gs), _describe(ctx, p, ps), g.text, p.text)


# ----------------------------------------------------------------------------
# Answers on their own: clustering keys and fingerprints
# ----------------------------------------------------------------------------

def _struct_key(ctx: _Ctx, s: Any) -> str:
    """An exact key: equal keys mean the structures compare equal element by element."""
    sp = _sympy()
    if isinstance(s, _Scalar):
        e = ctx.expr(s.text)[0]
        if e.has(sp.zoo, sp.nan):
            raise _Unparseable("undefined")
        return "e:" + sp.srepr(e)
    if isinstance(s, _Seq):
        return s.open + "|".join(_struct_key(ctx, x) for x in s.items) + s.close
    if isinstance(s, _Set):
        return ("{" if s.braced else "L{") + "|".join(_struct_key(ctx, x) for x in s.items) + "}"
    if isinstance(s, (_Union, _Inter)):
        return type(s).__name__ + "(" + "|".join(_struct_key(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Matrix):
        return "M[" + "/".join("|".join(_struct_key(ctx, c) for c in r) for r in s.rows) + "]"
    if isinstance(s, _Rel):
        return "R(" + "|".join(s.ops) + ":" + "|".join(_struct_key(ctx, _Scalar(x)) for x in s.sides) + ")"
    if isinstance(s, _Const):
        return "C:" + s.name
    raise _Unparseable("no key")


def cheap_analysis(answer: str | None) -> Analysis | None:
    """:func:`analyze` for answers the cheap path decides on its own (numbers, words,
    times, numerals, empty or too long): no sympy, linear cost. ``None`` otherwise."""
    n = _normalize(answer)
    r = parse_rational(n.text)
    if r is not None:
        try:
            fp = None if n.percent else (complex(float(r)),)
        except OverflowError:
            fp = None
        return Analysis(str(r), fp, "scalar=" if n.assigned else "scalar")
    if (not n.text or len(n.text) > MAX_LEN or _is_textual(n.text) or _time(n.text) is not None
            or _numeral(n.text, None) is not None or re.fullmatch(r"[A-H]", n.text)):
        return Analysis(answer_key(answer))
    return None


def analyze(answer: str | None) -> Analysis:
    """Clustering data for one (predicted) answer; pure, no time limit (the pool runs it
    with one). ``key``: :func:`answer_key` for cheap answers, else an exact key of the
    parsed form (``0.5\\sqrt{3}`` and ``\\frac{\\sqrt3}{2}`` share one). ``fingerprint``: for
    a scalar expression, its values at the sample points of the numeric check."""
    cheap = cheap_analysis(answer)
    if cheap is not None:
        return cheap
    n = _normalize(answer)
    cheap_key = answer_key(answer)
    ctx = _Ctx(NO_HINTS)
    try:
        s = _parse_structure(n.text)
        key = "\x1f" + _struct_key(ctx, s)  # a prefix no normalised answer starts with
        fp = None
        if isinstance(s, _Scalar):
            shape = "scalar=" if n.assigned else "scalar"
        else:
            shape = ("rel=" if s.ops == ("=",) else "rel") if isinstance(s, _Rel) else type(s).__name__
        if isinstance(s, _Scalar) and not n.percent:
            e = ctx.expr(s.text)[0]
            sp = _sympy()
            if not e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
                syms = e.free_symbols
                vals = _values(e, _sample_points(syms) if syms else [{}])
                if all(v is not None and v == v for v in vals):
                    fp = tuple(vals)  # type: ignore[arg-type]
    except (_Unparseable, _TooComplex, RecursionError):
        return Analysis(cheap_key)
    except _sympy_errors():
        return Analysis(cheap_key)
    return Analysis(key, fp, shape)


def refutes(a: Analysis, b: Analysis) -> bool:
    """True when two analyses prove the answers unequal without a full check: two
    scalars whose fingerprints differ, or a scalar against a structure (a tuple, set,
    interval, matrix or relation is never one number; only ``y = ...`` can equal an
    equation). Only valid for pairs :func:`quick_check` could not decide."""
    if a.shape is None or b.shape is None:
        return False
    sa, sb = a.shape.startswith("scalar"), b.shape.startswith("scalar")
    if sa and sb:
        return fingerprints_differ(a.fingerprint, b.fingerprint)
    if sa != sb:
        scalar, other = (a.shape, b.shape) if sa else (b.shape, a.shape)
        return not (scalar == "scalar=" and other == "rel=")
    return False


def fingerprints_differ(a: tuple[complex, ...] | None, b: tuple[complex, ...] | None) -> bool:
    """True when two fingerprints prove the answers unequal: some sample value differs by
    far more than ``REL_TOL`` (so the full check would also say "not equal")."""
    if a is None or b is None:
        return False
    if len(a) != len(b):
        if len(a) == 1:
            a = a * len(b)
        elif len(b) == 1:
            b = b * len(a)
        else:
            return False
    for x, y in zip(a, b):
        d = abs(x - y)
        if d > 1e-6 * max(abs(x), abs(y)) and d > 1e-15:
            return True
    return False
