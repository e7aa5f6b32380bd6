"""Answer extraction: pull the final answer string out of a model's answer text.

Extractors return the raw answer text (``None`` when nothing answer-like is found);
normalisation and comparison live in :mod:`harness.scoring.math_equiv`.
"""
from __future__ import annotations

import re
from typing import Callable

__all__ = [
    "EXTRACTORS",
    "extract_gsm8k_answer",
    "extract_math_answer",
    "extract_math_or_number",
    "find_brace_group",
    "last_boxed",
    "last_number",
]

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


def find_brace_group(text: str, start: int) -> int | None:
    """Index just past the ``}`` matching the ``{`` at ``text[start]``; ``None`` if unbalanced.

    Escaped braces (``\\{`` / ``\\}``) are content, not delimiters.
    """
    if start >= len(text) or text[start] != "{":
        return None
    for open_at, end in _brace_pairs(text[start:]):
        if open_at == 0:
            return start + end
    return None


def _brace_pairs(text: str):
    """Yield ``(index of "{", index just past its "}")`` as each group closes (one linear pass)."""
    stack, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            yield stack.pop(), i + 1
        i += 1


def _matching_braces(text: str) -> dict[int, int]:
    """Index of each ``{`` -> index just past its matching ``}``."""
    return dict(_brace_pairs(text))


def _box_content(text: str, end_of_command: int, braces: dict[int, int]) -> str | None:
    """Content of one ``\\boxed`` occurrence whose command name ends at ``end_of_command``."""
    i = end_of_command
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == "{":
        close = braces.get(i)
        return None if close is None else text[i + 1 : close - 1].strip()
    if i == end_of_command:  # ``\boxed5`` is not valid LaTeX; ``\boxed 5`` is.
        return None
    m = re.match(r"[^\s$]+", text[i:])  # space form: ``\boxed 5$`` -> ``5``
    if m is None:
        return None
    return m.group(0).rstrip(".,;") or None


def last_boxed(text: str | None) -> str | None:
    """Content of the last well-formed ``\\boxed{...}`` / ``\\boxed X`` / ``\\fbox{...}``.

    Braces are matched with nesting. ``\\boxed{\\boxed{3}}`` gives ``3`` (the innermost
    box starts last). An unclosed box (truncated output) or an empty ``\\boxed{}`` (a quoted
    instruction) is skipped in favour of the previous well-formed one. ``None`` when
    there is none.
    """
    if not text:
        return None
    boxes = list(_BOX_RE.finditer(text))
    braces = _matching_braces(text) if boxes else {}
    for m in reversed(boxes):
        content = _box_content(text, m.end(), braces)
        if content:
            return content
    return None


# "... the final answer is X", "Final Answer: X", "the (correct/same) answer is X", line-initial
# "Answer: X", a "**Final Answer**" heading line, Chinese "答案是/答案为 X", "最终答案：X". The last match in the text wins.
_ANSWER_CUE_RE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)|the\s+(?:same\s+|correct\s+|right\s+)?answer\s+is|the\s+same\s+answer\s*:"
    r"|^[ \t*#]*answer\s*\**\s*[:：]"
    r"|^[ \t*#]*final\s+answer[ \t*]*$"
    r"|最终答案\s*(?:是|为|[:：])|答案\s*(?:是|为))[ \t*:：]*",
    re.IGNORECASE | re.MULTILINE,
)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


# "the answer is definitely \(8000\)": a filler word between the cue and the answer.
_FILLER_RE = re.compile(r"^(?:(?:definitely|indeed|clearly|exactly|therefore|thus|simply|just|then|now|still|actually"
                        r"|obviously|surely|certainly|precisely|correct|confirmed)\b[,:]?\s*)+(?=[-\d$\\])", re.IGNORECASE)


def _clean_cued_answer(rest: str) -> str | None:
    """The answer right after a cue (after a filler word such as "definitely"): the first
    math span if it starts with one, else the text up to the end of the sentence/line,
    without ``$``, ``**`` or a trailing period."""
    rest = rest.lstrip().lstrip("*").lstrip()
    rest = _FILLER_RE.sub("", rest, count=1)
    span = _MATH_SPAN_RE.match(rest)
    if span is not None:
        ans = next(g for g in span.groups() if g is not None)
    else:
        line = rest.split("\n", 1)[0]
        ans = re.split(r"(?<![\d\\])\.(?:\s|$)|。|\s+I hope it is correct", line, maxsplit=1)[0]
    ans = ans.replace("**", "").strip().strip("$").strip()
    ans = re.sub(r"[.。]+$", "", ans).strip()
    return ans or None


def extract_math_answer(text: str | None) -> str | None:
    """MATH-style extraction: the last boxed answer, else the last answer cue.

    Cues: "The final answer is X", "the answer is X", "Final Answer: X" (minerva's
    "Final Answer: The final answer is $X$. I hope it is correct." gives ``X``),
    line-initial "Answer: X", a "**Final Answer**" heading (the answer on the next line),
    "答案是 X", "答案为 X", "最终答案：X". Surrounding ``$`` and a
    trailing period are stripped. No "last number" fallback: ``None`` if no cue.
    """
    if not text:
        return None
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    for m in reversed(list(_ANSWER_CUE_RE.finditer(text))):
        ans = _clean_cued_answer(text[m.end() :])
        if ans is not None:
            return ans
    return None


_GSM8K_HASH_RE = re.compile(r"####[ \t]*([^\n]+)")
_NUMBER_RE = re.compile(r"((?<![\w)\]}])-)?\\?\$?(\d{1,3}(?:,\d{3})+(?![\d])|\d+)(\.\d+)?")


def last_number(text: str | None) -> str | None:
    """The last number in ``text`` (``-``, thousands commas, decimals, ``$`` prefix allowed),
    returned without ``$`` and commas: ``"... $1,234.50 in total"`` -> ``"1234.50"``; a
    final fraction ``3/4`` is returned whole."""
    numbers = list(_NUMBER_RE.finditer(text or ""))
    if not numbers:
        return None
    last = numbers[-1]
    sign, whole, frac = last.groups()
    number = (sign or "") + whole.replace(",", "") + (frac or "")
    m = re.search(r"(?<![\w./])(-?\d+)/$", (text or "")[:last.start()])
    if m and not sign and not frac and "," not in whole:
        return f"{m.group(1)}/{number}"
    return number


def extract_gsm8k_answer(text: str | None) -> str | None:
    """GSM8K extraction: the last ``#### N``; else :func:`extract_math_answer`; else
    :func:`last_number`."""
    if not text:
        return None
    hashes = _GSM8K_HASH_RE.findall(text)
    if hashes:
        ans = hashes[-1].strip().rstrip(".").strip()
        if ans:
            return ans
    ans = extract_math_answer(text)
    return ans if ans is not None else last_number(text)


# A concluding sentence of an unboxed answer: "Therefore, the value of $x$ is $\frac{3}{4}$.",
# "So, the ratio is 3/4.", "Thus, the equation of the plane is:" followed by a display block.
_CONCLUSION_RE = re.compile(
    r"^[ \t*]*(?:therefore|thus|hence|so|finally|in\s+conclusion)\b[^\n]*?\b(?:is|are|equals|=)\s*(?:indeed\s+)?"
    r"(?:\$\$(?P<a>[^$]+)\$\$|\$(?P<b>[^$]+)\$|\\\((?P<c>.+?)\\\)|\\\[(?P<d>.+?)\\\]"
    r"|(?P<e>-?\d+(?:\.\d+)?(?:/\d+)?(?:_\{?\d+\}?)?|\(\s*-?\d[^()\n]*\)))[ \t*]*\.?[ \t*]*$",
    re.IGNORECASE)
_CONCLUSION_INTRO_RE = re.compile(r"^[ \t*]*(?:therefore|thus|hence|so|finally|in\s+conclusion)\b[^\n]*\b(?:is|are)\s*:?[ \t]*$",
                                  re.IGNORECASE)
_DISPLAY_END_RE = re.compile(r"(?:\\\[(?P<a>(?:(?!\\\[).)+?)\\\]|\$\$(?P<b>[^$]+)\$\$)\s*$", re.DOTALL)


def _conclusion(text: str) -> str | None:
    """The answer of a concluding sentence among the last three lines, when only closing
    remarks without digits follow it ("I think that's the answer."); or a display block
    ending the text right after "Thus, the equation is:"."""
    m = _DISPLAY_END_RE.search(text)
    if m is not None:
        before = [ln for ln in text[:m.start()].splitlines() if ln.strip()]
        if before and _CONCLUSION_INTRO_RE.match(before[-1]):
            return (m.group("a") or m.group("b")).strip() or None
    lines = [ln for ln in text.strip().splitlines() if ln.strip()][-3:]
    for i in range(len(lines) - 1, -1, -1):
        m = _CONCLUSION_RE.match(lines[i])
        if m is not None:
            ans = next(g for g in m.group("a", "b", "c", "d", "e") if g is not None).strip()
            return ans or None
        if re.search(r"\d", lines[i]):
            return None  # a later line with numbers: not a closing remark
    return None


def extract_math_or_number(text: str | None) -> str | None:
    """:func:`extract_math_answer`, else the answer of a concluding sentence near the end
    ("Therefore, the value is $X$.", "So, the ratio is 3/4."), else :func:`last_number`: a
    lenient variant for graders that credit an unboxed final answer (as the Qwen2.5-Math
    grader behind the recorded ``model_outputs`` labels does for numbers)."""
    ans = extract_math_answer(text)
    if ans is None and text:
        ans = _conclusion(text)
    if ans is None and text and _cut_off(text):
        return None  # the text stops mid-formula: its last number is not an answer
    return ans if ans is not None else last_number(text)


def _cut_off(text: str) -> bool:
    """The text stops inside a formula (an open bracket on the last line, or a trailing
    operator): the output was cut off, e.g. at the token limit."""
    last = text.rstrip().rsplit("\n", 1)[-1]
    return last.count("(") > last.count(")") or last.count("[") > last.count("]") or bool(re.search(r"[-+*/=^(\\]\s*$", last))


EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "math": extract_math_answer,
    "gsm8k": extract_gsm8k_answer,
    "boxed": last_boxed,
    "math_or_number": extract_math_or_number,
}
