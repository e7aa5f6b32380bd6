"""Equivalence of two math answer strings (gold vs prediction).

Contract of :func:`is_equivalent` (in the spirit of Math-Verify's ``verify()``):

* **Asymmetric.** ``gold`` is trusted (a reference answer); ``pred`` is untrusted model
  output. A few rules only fire in one direction: gold ``204_5`` accepts pred ``204``
  (not the reverse), a gold tuple accepts its elements written without parentheses,
  and a decimal literal in the prediction disables the numeric fallback. Gold that
  cannot be judged (unparseable, ``1/0``) gives ``None``, never a verdict.
* **Strict.** Rounded approximations are never accepted: decimals are read as exact
  rationals, so ``3.14`` is not ``\\pi`` and ``0.333`` is not ``1/3``. The numeric
  fallback (relative tolerance ``REL_TOL = 1e-9``, evaluated at 40 digits, symbols
  replaced by fixed real rational sample points of both signs, so variables are
  treated as real) is only used when the prediction has no decimal literal and sympy
  could not prove equality; it can refute at any time.
* **Honest.** ``equivalent is None`` means undecidable (``"unparseable"``,
  ``"too_complex"``); there is never a silent fallback to string equality after a
  failure. Answers longer than ``MAX_LEN`` characters after normalisation skip sympy
  (``"too_long"``: not equivalent unless the normalised strings are equal).
* **No time limit inside.** Sympy can hang on hostile input (``10^{10^{10}}`` is
  refused early, but ``simplify`` has no bound); run untrusted pairs through
  :class:`harness.scoring.equiv_pool.EquivPool`, which enforces a wall-clock limit
  from outside the worker process.

Percent policy (see :func:`normalize_answer`): ``%`` is stripped and remembered. The
stripped numbers are compared first, so gold ``50\\%`` matches pred ``50`` and
``50\\%`` (and gold ``50`` matches pred ``50\\%``). In addition, when exactly one side has
a percent sign, it is also read as its value: gold ``50\\%`` matches pred ``0.5``, and
pred ``50\\%`` matches gold ``0.5``. Gold ``50`` does *not* match pred ``0.5`` (no percent
anywhere), and gold ``50\\%`` does not match pred ``0.5\\%``.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from harness.scoring.extract import find_brace_group, last_boxed

__all__ = [
    "EquivResult",
    "MAX_LEN",
    "REL_TOL",
    "answer_key",
    "is_equivalent",
    "normalize_answer",
    "parse_rational",
    "quick_check",
]

MAX_LEN = 1000
REL_TOL = 1e-9
_MAX_POW_EXP = 10_000  # |exponent| above this on a numeric base: refused as too complex
_MAX_FACTORIAL = 2_000
_MAX_DEPTH = 60  # nesting depth of the LaTeX parser
_MAX_ITEMS = 64  # elements in a tuple/set/matrix
_SCI_EXP_LIMIT = 400  # |exponent| accepted by the cheap rational parser


@dataclass(frozen=True)
class EquivResult:
    """``equivalent``: True / False, or None when undecidable (``reason`` says why).

    ``reason`` is a short word saying what decided. Equal: ``equal_string``,
    ``equal_text``, ``equal_rational``, ``equal_percent``, ``equal_base``,
    ``structure_equal``, ``equation_equal``, ``sympy_equal``, ``numeric_equal``.
    Not equal: ``not_equal``, ``not_equal_text``, ``not_equal_choice``,
    ``not_equal_rational``, ``structure_mismatch``, ``empty`` (no prediction),
    ``too_long``. Undecided (``None``): ``empty`` (no gold), ``unparseable``,
    ``too_complex``, ``undefined`` (gold is e.g. ``1/0``), ``sympy_error``, and from
    :class:`~harness.scoring.equiv_pool.EquivPool` ``timeout`` / ``worker_error``.
    ``gold_parsed`` / ``pred_parsed``: the normalised forms.
    """

    equivalent: bool | None
    reason: str
    gold_parsed: str | None = None
    pred_parsed: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00d7": "\\times ", "\u00b7": "\\cdot ", "\u03c0": "\\pi ",
    "\u221e": "\\infty ", "\u221a": "\\sqrt", "\u00b0": "^\\circ", "\u2264": "\\leq ",
    "\u2265": "\\geq ", "\u00a0": " ", "\uff0c": ",", "\u00f7": "\\div ", "\u00b2": "^2", "\u00b3": "^3",
    "<=": "\\leq ", ">=": "\\geq ", "!=": "\\neq ", "\u2260": "\\neq ",
}
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
_NUM_THEN_WORDS_RE = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)\s+([A-Za-z]{2,}(?:\s+[A-Za-z]{2,})*)\.?$")
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty").split()
_NUMBER_WORD_RE = re.compile(r"(?i)^(" + "|".join(_NUMBER_WORDS) + r")(?:\s+[A-Za-z]{2,})*\.?$")
_MATH_WORD_RE = re.compile(r"(?i)(?:arc)?(?:sin|cos|tan|cot|sec|csc)h?|log|ln|exp|sqrt|pi|inf|infinity")
_ASSIGN_RE = re.compile(r"^(?:[A-Za-z]|\\(?:" + _GREEK + r"))(?:_\{?\w+\}?)?\s*(?:=|\\in(?![a-zA-Z]))(?P<rhs>[^=]+)$")
_THOUSANDS_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])(?!\.\d*,)")
_PERCENT_RE = re.compile(r"\s*(?:\\?%|\\text\{\s*percent\s*\}|percent)\s*$")
_DEGREE_RE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree")
_TRIG_RE = re.compile(r"\\(?:arc)?(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])")
_ORDINAL_RE = re.compile(r"(?<=\d)\s*(?:\^\s*\{?\s*(?:st|nd|rd|th)\s*\}?|(?:st|nd|rd|th)\b)$")


@dataclass(frozen=True)
class _Norm:
    text: str
    percent: bool


def _unwrap_command(s: str, pattern: re.Pattern[str]) -> str:
    """Replace ``\\cmd{X}`` by ``X`` for every match of ``pattern`` (brace-matched)."""
    out, pos = [], 0
    for m in pattern.finditer(s):
        if m.start() < pos:
            continue
        close = find_brace_group(s, m.end())
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
    """``1,000`` -> ``1000`` at bracket depth 0 (``(1,000)`` stays a tuple)."""
    if "," not in s:
        return s
    depth = _depths(s)
    return _THOUSANDS_RE.sub(lambda m: m.group(0).replace(",", "") if depth[m.start()] == 0 else m.group(0), s)


def _collapse_spaces(s: str) -> str:
    """Drop whitespace except a single space between two letters (``\\cot x``, ``New York``)."""
    s = re.sub(r"\s+", " ", s.strip())
    return re.sub(r"(?<![A-Za-z]) | (?![A-Za-z])", "", s)


def _strip_assignments(s: str) -> str:
    """``x = 3`` -> ``3``, ``x=3,x=5`` -> ``3,5``, ``x \\in [a,b]`` -> ``[a,b]``."""
    if "=" not in s and "\\in" not in s:
        return s
    parts = _split_top(s, ",")
    out = []
    for p in parts:
        m = _ASSIGN_RE.match(p.strip())
        out.append(m.group("rhs").strip() if m else p)
    return ",".join(out)


def _cut_suffix(s: str, pattern: re.Pattern[str], window: int = 120) -> tuple[str, bool]:
    """Remove a ``$``-anchored ``pattern`` match found in the last ``window`` characters
    (suffixes are short; searching only the tail keeps hostile inputs linear)."""
    start = max(0, len(s) - window)
    m = pattern.search(s, start)
    if m is None:
        return s, False
    return s[:m.start()], True


def _normalize_once(s: str) -> tuple[str, bool]:
    """One pass of the normaliser; returns (text, had_percent)."""
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    if "\\boxed" in s or "\\fbox" in s:
        s = last_boxed(s) or s
    s = s.replace("\\$", " ").replace("$", " ")
    s = re.sub(r"(?<!\\)\\[()\[\]]", " ", s)  # \( \) \[ \] display delimiters
    s = re.sub(r"\{,\}", ",", s)
    s = re.sub(r",\s*\\!\s*", ",", s)  # 10,\!080 and 11,\! 111: thousands
    s = re.sub(r"(?<!\\)\\!", "", s)
    s = re.sub(r"(?<!\\)\\[,;:> ]|\\q?quad(?![a-zA-Z])|~", " ", s)
    s = re.sub(r"\s+", " ", s)  # from here on a run of spaces is one space
    s = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*", "", s)
    s = re.sub(r"\\(?:displaystyle|limits|nolimits)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\[dt]frac(?![a-zA-Z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![a-zA-Z])", r"\\binom", s)
    s = re.sub(r"\\(le|ge)(?![a-zA-Z])", r"\\\1q", s)
    s = re.sub(r"\\(le|ge)qslant(?![a-zA-Z])", r"\\\1q", s)
    s = re.sub(r"\\ne(?![a-zA-Z])", r"\\neq", s)
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
    s = re.sub(r"(?i)\s+(?:or|and)\s+", ",", s)
    s = re.sub(r",\s*(?:or|and)\s+", ",", s)
    s = _remove_thousands(s)
    s = _cut_suffix(s.strip(), _ORDINAL_RE)[0]
    s = _cut_suffix(s, _UNIT_RE)[0] if re.search(r"\d", s) else s
    m = _NUM_THEN_WORDS_RE.match(s.strip())
    if m and not any(_MATH_WORD_RE.fullmatch(w) for w in m.group(2).split()):
        s = m.group(1)
    m = _NUMBER_WORD_RE.match(s.strip())
    if m:  # "three boxes" -> 3 (number words up to twenty, alone or before unit words)
        s = str(_NUMBER_WORDS.index(m.group(1).lower()))
    s = _collapse_spaces(s)
    s = _strip_assignments(s)
    s = s.strip().rstrip(".,;").strip()
    while s.startswith("{") and find_brace_group(s, 0) == len(s):
        s = s[1:-1].strip()
    s = re.sub(r"^\(([A-Z])\)$|^([A-Z])\)$", lambda m: m.group(1) or m.group(2), s)  # choice
    s = re.sub(r"_\{(\d+)\}$", r"_\1", s)  # 4210_{5} -> 4210_5
    return s, percent


def _normalize(s: str | None) -> _Norm:
    """THE normaliser: the text of :func:`normalize_answer` plus the percent flag.
    Short inputs are memoised (bounded LRU)."""
    if s is not None and len(s) > 2000:
        return _normalize_uncached(s)
    return _normalize_cached(s)


@lru_cache(maxsize=16384)
def _normalize_cached(s: str | None) -> _Norm:
    return _normalize_uncached(s)


def _normalize_uncached(s: str | None) -> _Norm:
    """:func:`_normalize_once` applied until stable (at most 4 passes)."""
    if s is None:
        return _Norm("", False)
    text, percent = str(s), False
    for _ in range(4):
        new, pct = _normalize_once(text)
        percent = percent or pct
        if new == text:
            break
        text = new
    return _Norm(text, percent)


def normalize_answer(s: str | None) -> str:
    """The normalised form of an answer string (``None`` -> ``""``); idempotent.

    Strips ``$``, ``\\(..\\)``, ``\\boxed{}``, spacing commands (``\\!`` ``\\,`` ``\\;`` ``\\ ``),
    ``\\left``/``\\right``; ``\\dfrac``/``\\tfrac`` -> ``\\frac``; unwraps ``\\text``,
    ``\\textbf``, ``\\mathrm``, ``\\mbox``...; drops units and trailing text (``5 \\text{ cm}``,
    ``10 dollars``, ``\\$5``, ``30^\\circ``, ``12^{th}``), except that inside a trig function
    ``60^\\circ`` becomes ``(60\\pi/180)``; ``x = 3`` -> ``3`` (single variable on the left,
    also per element: ``x=3, x=5`` -> ``3,5``; ``x \\in [a,b]`` -> ``[a,b]``); thousands
    separators ``1,000`` / ``1{,}000`` / ``10,\\!080`` -> ``1000`` outside brackets (``(1,000)``
    stays a tuple); ``50\\%`` -> ``50`` (the percent policy lives in :func:`is_equivalent`);
    "3 or 5" -> ``3,5``; "three boxes" -> ``3`` (number words up to twenty); ``(B)`` -> ``B``; whitespace dropped except between two letters;
    a trailing ``.``.
    """
    return _normalize(s).text


_TEXTUAL_RE = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)*$")


def _is_textual(s: str) -> bool:
    """A plain-words answer (a name, "even", "north east"): letters only, some word has
    >= 3 letters, no word is a function name (``sin x`` is math)."""
    words = s.split(" ")
    return (bool(_TEXTUAL_RE.match(s)) and any(len(w) >= 3 for w in words)
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
            if b == 0:
                return None
            return (-1 if m.group("s") == "-" else 1) * (int(m.group("w")) + Fraction(a, b))
        m = _SLASH_RE.match(s)
        if m:
            b = Fraction(m.group("b"))
            return None if b == 0 else Fraction(m.group("a")) / b
    except (ValueError, ZeroDivisionError):
        return None
    return None


_BASE_RE = re.compile(r"^(?=[A-Z]*\d)([0-9A-Z]+)_(\d{1,2})$")


def _base_value(s: str) -> tuple[str, int, int] | None:
    """``"204_5"`` -> ``("204", 5, 54)``; ``None`` if not a valid base-b numeral."""
    m = _BASE_RE.match(s)
    if not m:
        return None
    base = int(m.group(2))
    if not 2 <= base <= 36:
        return None
    try:
        return m.group(1), base, int(m.group(1), base)
    except ValueError:
        return None


# ----------------------------------------------------------------------------
# Cheap decisions (no sympy): used in-process by EquivPool
# ----------------------------------------------------------------------------

def _rational_verdict(g: _Norm, p: _Norm, rg: Fraction, rp: Fraction) -> EquivResult:
    """Exact comparison under the percent policy (module docstring)."""
    if rg == rp:
        return EquivResult(True, "equal_rational", g.text, p.text)
    if (g.percent and not p.percent and rp == rg / 100) or (p.percent and not g.percent and rp / 100 == rg):
        return EquivResult(True, "equal_percent", g.text, p.text)
    return EquivResult(False, "not_equal_rational", g.text, p.text)


def _cheap_scalar(g: _Norm, p: _Norm) -> EquivResult | None:
    """String / text / choice / rational / base-numeral decisions, or None if undecided."""
    gt, pt = g.text, p.text
    if not pt:
        return EquivResult(False if gt else None, "empty", gt, pt)
    if gt == pt:
        return EquivResult(True, "equal_string", gt, pt)
    if not gt:
        return EquivResult(None, "empty", gt, pt)
    if _is_textual(gt) or _is_textual(pt):
        same = gt.casefold() == pt.casefold()
        return EquivResult(same, "equal_text" if same else "not_equal_text", gt, pt)
    if re.fullmatch(r"[A-Z]", gt) and re.fullmatch(r"[A-Za-z]", pt):
        return EquivResult(False, "not_equal_choice", gt, pt)
    if len(gt) > MAX_LEN or len(pt) > MAX_LEN:
        return EquivResult(False, "too_long", gt, pt)
    rg, rp = parse_rational(gt), parse_rational(pt)
    if rg is not None and rp is not None:
        return _rational_verdict(g, p, rg, rp)
    bg = _base_value(gt)
    if bg is not None:
        bp = _base_value(pt)
        if pt == bg[0] or (bp is not None and bp[2] == bg[2]) or (bp is None and rp == bg[2] and bg[1] == 10):
            return EquivResult(True, "equal_base", gt, pt)
        if bp is not None or re.fullmatch(r"[0-9A-Za-z]+", pt):
            return EquivResult(False, "not_equal", gt, pt)
    return None


def quick_check(gold: str | None, pred: str | None) -> EquivResult | None:
    """Decide cheaply without sympy (linear in the input length), or return ``None``.

    Decides: empty prediction, equal normalised strings, plain-word answers
    (case-insensitive), multiple-choice letters, too-long answers, two exact rationals
    (percent policy applied) and base-b numerals (gold ``204_5`` vs pred ``204``/``54``).
    """
    if gold is not None and pred is not None and len(gold) + len(pred) > 40 * MAX_LEN:
        same = gold.strip() == pred.strip()
        return EquivResult(True if same else False, "equal_string" if same else "too_long")
    return _cheap_scalar(_normalize(gold), _normalize(pred))


# ----------------------------------------------------------------------------
# Structure: tuples, intervals, sets, unions, matrices, equations
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
class _Matrix:
    rows: tuple


@dataclass(frozen=True)
class _Rel:  # lhs op rhs, op in = < > \leq \geq \neq
    op: str
    lhs: str
    rhs: str


class _Unparseable(Exception):
    """Raised when an answer cannot be converted to a comparable form."""


class _TooComplex(Exception):
    """Raised when an answer would need unbounded work (huge powers, deep nesting)."""


_MATRIX_RE = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_REL_OPS = ("\\leq", "\\geq", "\\neq", "<", ">", "=")
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


def _parse_structure(s: str) -> Any:
    """Turn a normalised answer into _Scalar / _Seq / _Set / _Union / _Matrix / _Rel."""
    m = _MATRIX_RE.match(s)
    if m:
        rows = [r for r in _split_top(m.group(2), "\\\\") if r.strip()]
        cells = tuple(tuple(_Scalar(c.strip()) for c in _split_top(r, "&")) for r in rows)
        if not cells or len({len(r) for r in cells}) != 1:
            raise _Unparseable("ragged matrix")
        return _Matrix(cells)
    parts = _split_top(s, "\\cup")
    if len(parts) > 1:
        return _Union(tuple(_parse_structure(p) for p in parts))
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
    for op in _REL_OPS:
        sides = _split_top(s, op)
        if len(sides) == 2 and sides[0] and sides[1]:
            return _Rel(op, sides[0], sides[1])
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
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<func>(?:arc)?(?:sin|cos|tan|cot|sec|csc)h?(?![a-zA-Z])|ln(?![a-zA-Z])"
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

    def __init__(self, text: str):
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
            base = self.make_pow(base, self.script())
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

    def script(self):
        """A ``^``/``_``/``\\frac`` argument: ``{expr}``, one digit, a letter or a command atom."""
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
            if t[1][0] == ".":
                return self.number(t[1])
            if len(t[1]) > 1:  # x^23 is x^2 * 3 in LaTeX: push the rest back
                self.toks.insert(self.i, ("num", t[1][1:]))
            return sp.Integer(int(t[1][0]))
        if t[1] == "-":
            self.take()
            return -self.script()
        return self.atom()

    def number(self, text: str):
        sp = _sympy()
        if "." in text:
            self.has_decimal = True
        return sp.Rational(text)

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
                    if not (base.is_Integer and 2 <= base <= 36) or "." in v:
                        raise _Unparseable("bad base")
                    try:
                        return sp.Integer(int(v, int(base)))
                    except ValueError as exc:
                        raise _Unparseable("bad digits") from exc
                return self.number(v)
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


def _to_sympy(text: str) -> tuple[Any, bool]:
    """Parse normalised LaTeX to a sympy expression; returns (expr, has_decimal_literal).

    Raises _Unparseable / _TooComplex.
    """
    p = _LatexParser(text)
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


def _sample_points(symbols) -> list[dict]:
    """Four deterministic rational assignments for the free symbols (no 0/±1/integers):
    one positive and one negative point of each magnitude, distinct per symbol."""
    sp = _sympy()
    ordered = sorted(symbols, key=str)
    return [{s: sp.Rational(p, q) * (1 + sp.Rational(k, 7)) for k, s in enumerate(ordered)} for p, q in _SAMPLES]


def _as_complex(x) -> complex | None:
    try:
        return complex(x)
    except (TypeError, ValueError, OverflowError):
        return None


def _exprs_equal(a, b, approximate: bool) -> tuple[bool, str]:
    """Exact symbolic equality, with a numeric fallback (see module docstring)."""
    sp = _sympy()
    if a == b:
        return True, "sympy_equal"
    if a.has(sp.oo, -sp.oo) or b.has(sp.oo, -sp.oo):  # infinities: structural equality only
        return False, "not_equal"
    diff = a - b
    syms = diff.free_symbols
    points = _sample_points(syms) if syms else [{}]
    all_close, evaluated = True, 0
    for pt in points:
        av = _as_complex(a.subs(pt).evalf(40)) if pt else _as_complex(a.evalf(40))
        bv = _as_complex(b.subs(pt).evalf(40)) if pt else _as_complex(b.evalf(40))
        dv = _as_complex(diff.subs(pt).evalf(40)) if pt else _as_complex(diff.evalf(40))
        if av is None or bv is None or dv is None or any(z != z for z in (av, bv, dv)):
            continue
        evaluated += 1
        scale = max(abs(av), abs(bv))
        if abs(dv) > max(REL_TOL * scale, 1e-20 * max(1.0, scale)):
            return False, "not_equal"
        all_close = all_close and abs(dv) <= REL_TOL * scale
    if sp.expand(diff) == 0 or sp.simplify(diff) == 0:
        return True, "sympy_equal"
    if evaluated and all_close and not approximate:
        return True, "numeric_equal"
    return False, "not_equal"


class _Ctx:
    """Per-call state: sympy parses memoised by text (set matching re-reads elements)."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[Any, bool]] = {}

    def expr(self, text: str) -> tuple[Any, bool]:
        if text not in self.cache:
            self.cache[text] = _to_sympy(text)
        return self.cache[text]


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


def _scalar_equal(ctx: _Ctx, g: str, p: str, gn: _Norm | None = None, pn: _Norm | None = None) -> tuple[bool, str]:
    """Two normalised scalars: cheap checks, then sympy. ``gn``/``pn`` carry the percent
    flags (top level only). Raises _SideError when undecidable."""
    gn = gn or _Norm(g, False)
    pn = pn or _Norm(p, False)
    cheap = _cheap_scalar(gn, pn)
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
    if ok or not (gn.percent or pn.percent):
        return ok, why
    if gn.percent != pn.percent:  # exactly one side wrote a percent: also compare its value
        scaled = (ga / 100, pa) if gn.percent else (ga, pa / 100)
        if _exprs_equal(*scaled, approx)[0]:
            return True, "equal_percent"
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


def _rel_equal(ctx: _Ctx, g: _Rel, p: _Rel) -> tuple[bool, str]:
    """Same relation (or its mirror image); equations also up to a non-zero factor."""
    if p.op == g.op and _scalar_equal(ctx, g.lhs, p.lhs)[0] and _scalar_equal(ctx, g.rhs, p.rhs)[0]:
        return True, "equation_equal"
    if p.op == _FLIP[g.op] and _scalar_equal(ctx, g.lhs, p.rhs)[0] and _scalar_equal(ctx, g.rhs, p.lhs)[0]:
        return True, "equation_equal"
    if g.op == p.op == "=":
        sp = _sympy()
        gl, _ = ctx.expr(g.lhs)
        gr, _ = ctx.expr(g.rhs)
        pl, _ = ctx.expr(p.lhs)
        pr, _ = ctx.expr(p.rhs)
        gd, pd = sp.expand(gl - gr), sp.expand(pl - pr)
        if pd == 0 or gd == 0:
            return (gd == pd), "equation_equal" if gd == pd else "not_equal"
        ratio = sp.simplify(gd / pd)
        if ratio.is_number and ratio != 0 and ratio.is_finite:
            return True, "equation_equal"
    return False, "not_equal"


def _struct_equal(ctx: _Ctx, g: Any, p: Any) -> tuple[bool, str]:
    """Compare parsed structures (gold first)."""
    if isinstance(g, _Scalar) and isinstance(p, _Scalar):
        return _scalar_equal(ctx, g.text, p.text)
    if isinstance(g, _Seq) and isinstance(p, _Seq):
        if (g.open, g.close) != (p.open, p.close) or len(g.items) != len(p.items):
            return False, "structure_mismatch"
        ok = all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Seq) and isinstance(p, _Set) and not p.braced and (g.open, g.close) == ("(", ")"):
        ok = len(g.items) == len(p.items) and all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
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
    if isinstance(g, _Rel) and isinstance(p, _Rel):
        return _rel_equal(ctx, g, p)
    return False, "structure_mismatch"


def is_equivalent(gold: str | None, pred: str | None) -> EquivResult:
    """Is ``pred`` (untrusted) the same answer as ``gold`` (trusted)? Pure; no time limit.

    Order: normalised string equality -> exact rationals (percent policy) -> structure
    (ordered tuples and intervals with their bracket types, unordered sets/lists/unions
    including ``a \\pm b``, matrices, equations up to a non-zero factor) -> sympy
    (``expand``/``simplify`` of the difference, numeric fallback with ``REL_TOL``).
    See the module docstring for strictness, asymmetry and the timeout caveat.
    """
    quick = quick_check(gold, pred)
    if quick is not None:
        return quick
    g, p = _normalize(gold), _normalize(pred)
    ctx = _Ctx()
    try:
        gs, ps = _parse_structure(g.text), _parse_structure(p.text)
        if isinstance(gs, _Scalar) and isinstance(ps, _Scalar):
            ok, why = _scalar_equal(ctx, g.text, p.text, g, p)
        else:
            ok, why = _struct_equal(ctx, gs, ps)
    except _SideError as exc:
        return EquivResult(None, exc.reason, g.text, p.text)
    except _TooComplex:
        return EquivResult(None, "too_complex", g.text, p.text)
    except _Unparseable:
        return EquivResult(None, "unparseable", g.text, p.text)
    except RecursionError:
        return EquivResult(None, "too_complex", g.text, p.text)
    except _sympy_errors():
        return EquivResult(None, "sympy_error", g.text, p.text)
    return EquivResult(ok, why, g.text, p.text)
