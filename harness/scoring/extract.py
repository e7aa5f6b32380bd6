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


# "... the final answer is X", "Final Answer: X", "the answer is X", line-initial
# "Answer: X", a "**Final Answer**" heading line, Chinese "答案是/答案为 X", "最终答案：X". The last match in the text wins.
_ANSWER_CUE_RE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)|the\s+answer\s+is|^[ \t*#]*answer\s*\**\s*[:：]"
    r"|^[ \t*#]*final\s+answer[ \t*]*$"
    r"|最终答案\s*(?:是|为|[:：])|答案\s*(?:是|为))[ \t*:：]*",
    re.IGNORECASE | re.MULTILINE,
)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


def _clean_cued_answer(rest: str) -> str | None:
    """The answer right after a cue: the first math span if it starts with one, else the
    text up to the end of the sentence/line, without ``$``, ``**`` or a trailing period."""
    rest = rest.lstrip().lstrip("*").lstrip()
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
    returned without ``$`` and commas: ``"... $1,234.50 in total"`` -> ``"1234.50"``."""
    numbers = list(_NUMBER_RE.finditer(text or ""))
    if not numbers:
        return None
    sign, whole, frac = numbers[-1].groups()
    return (sign or "") + whole.replace(",", "") + (frac or "")


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


def extract_math_or_number(text: str | None) -> str | None:
    """:func:`extract_math_answer`, else :func:`last_number`: a lenient variant for graders
    that credit an unboxed final number (as the Qwen2.5-Math grader behind the recorded
    ``model_outputs`` labels does). Not the default for MATH-style tasks."""
    ans = extract_math_answer(text)
    return ans if ans is not None else last_number(text)


EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "math": extract_math_answer,
    "gsm8k": extract_gsm8k_answer,
    "boxed": last_boxed,
    "math_or_number": extract_math_or_number,
}
