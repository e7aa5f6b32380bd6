"""Problem hints: what the problem statement says about the expected answer.

:func:`problem_hints` reads a problem text once (memoised) into :class:`Hints`: the
requested base ("in base 7", "binary"), the requested rounding ("to the nearest
hundredth", "2 decimal places"), whether ``\\log`` is natural, and the multiple-choice
options ``(A) ...``. It never raises; an absent or silent problem gives :data:`NO_HINTS`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache


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
