"""Normalisation: one answer string to its canonical text.

:func:`_normalize` (memoised) strips delimiters, boxes, markup, units, percent signs,
labels and spacing by the package's policies, to a fixpoint (at most 4 passes), and
returns the text with the percent flag and the stripped label. Its work is linear in the
input (raw inputs over ``_MAX_RAW`` only lose whitespace). :func:`normalize_answer` is
the public view. Also the bracket-aware splitting helpers every
later stage uses (``_split_top``, ``_outer_pair``, ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from harness.scoring.extract import _matching_braces, boxed_answer
from harness.scoring.math_equiv.result import _MAX_RAW


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
# The label of a labelled answer "label = value" (see "Labelled answers" in the package docstring).
_LABEL = (r"(?:" + _NAME + r"(?:\^\{?-1\}?)?(?:\([A-Za-z](?:,[A-Za-z])*\))?"
          r"|\(" + _NAME + r"(?:," + _NAME + r")+\)"  # (p,q)
          r"|" + _SEGMENT + r"|\|" + _SEGMENT + r"\||\\overline\{" + _SEGMENT + r"\}|(?:m)?\\angle ?[A-Z]{1,3}"
          r"|\\frac\{[A-Z]{1,4}\}\{[A-Z]{1,4}\}|(?:[A-Z]{1,4}|" + _NAME + r"):(?:[A-Z]{1,4}|" + _NAME + r"))")
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
_CHOICE_PREFIX_RE = re.compile(r"^\(([A-H])\)\s*(?=\S)|^([A-H])\.\s+(?=\S)")
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
    if not keep and after.isdigit() and re.search(r"\^(?:\d+|\{[^{}]*\})$", s[:i]):
        return "*"  # "2^6 3^5 5^4" is a product (never the exponent 63)
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
    ``0.(3)`` / ``0.333...``, as exact fractions (see the package docstring)."""
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
    s = re.sub(r"(?i),\s*(?:or|and)\s+", ",", s)  # "7, -2, and -5"
    s = re.sub(r"(?i)\s+(?:or|and)\s+", ",", s)
    s = re.sub(r"(?<=[)\]])\s*(?:or|and)\s*(?=[(\[])", ",", s)  # "(11,7)or(7,11)"
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
    if m and not re.match(r"\([A-H]\)\s*(?:[-+*/^=,()\[\]]|\\cdot|\\times)", s):  # "(B) 12", "C. x = 42": the letter decides
        s = m.group(1) or m.group(2)
    s = _collapse_spaces(_mixed_numbers(s))
    s, assigned = _strip_assignments(s)
    s = s.strip().rstrip(".,;").strip()
    s = re.sub(r"(?<=[\w})\]])\s*\\+$", "", s)  # "185\\", "185\\\\": a trailing backslash (or row break) is noise
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
