"""Answer extraction: pull the final answer string out of a model's answer text.

Extractors return the raw answer text (``None`` when nothing answer-like is found);
normalisation and comparison live in :mod:`harness.scoring.math_equiv`. This module holds
the pieces; the composite extractors (``math``, ``gsm8k``, ``math_or_number``) are the
chains of those pieces declared in :data:`harness.scoring.extractors.CHAINS`. Each has an
``explain_*`` twin returning ``(answer, rule)``, the rule that fired (see :data:`RULES`);
the plain extractor is its first element (one implementation).
"""
from __future__ import annotations

import re
from typing import Callable

__all__ = [
    "EXPLAINERS",
    "EXTRACTORS",
    "RULES",
    "boxed_answer",
    "explain_gsm8k_answer",
    "explain_math_answer",
    "explain_math_or_number",
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


# Between two boxes of one answer: spacing, $ and \( \) delimiters, "," ";" "and" "or" (also in \text{}).
_BOX_JOINER_RE = re.compile(r"^(?:[ \t]|\$|\\[()\[\]]|\\q?quad(?![A-Za-z])|\\[,;: !]|~|[,;&]|\b(?:and|or)\b"
                            r"|\b[A-Za-z](?:_\{?\w+\}?)?[ \t]*=[ \t]*"  # "y_1 = \boxed{..} and y_2 = \boxed{..}"
                            r"|\\(?:text|mbox|textrm|mathrm)\s*\{\s*(?:and|or|,)?\s*\})*$")


def boxed_answer(text: str | None) -> tuple[str | None, str]:
    """``(answer, rule)`` from the boxes of ``text``: the last well-formed box (rule
    ``"boxed"``, see :func:`last_boxed`), or, when boxes right before it are joined to it
    only by spaces on one line, ``$``, commas, semicolons, "and", "or" or a label
    ``y_2 =`` (``\\boxed{1}, \\boxed{2}``,
    ``\\boxed{1} and \\boxed{2}``), their contents as one list ``"1, 2"`` (rule
    ``"boxed_list"``). ``(None, "none")`` without a box."""
    if not text:
        return None, "none"
    boxes = list(_BOX_RE.finditer(text))
    braces = _matching_braces(text) if boxes else {}
    found: list[tuple[int, int, str]] = []  # (start, end, content) of the boxes of the answer, last first
    for m in reversed(boxes):
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        content = _box_content(text, m.end(), braces)
        end = braces.get(i, m.end()) if i < len(text) and text[i] == "{" else m.end()
        if not content:
            if found:
                break
            continue
        if found and (end > found[-1][0] or not _BOX_JOINER_RE.match(text[end:found[-1][0]])):
            break  # a nested box, or words between the boxes: not one answer
        found.append((m.start(), end, content))
    if not found:
        return None, "none"
    if len(found) == 1:
        return found[0][2], "boxed"
    return ", ".join(c for _, _, c in reversed(found)), "boxed_list"


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
        ans = re.split(r"(?<!\\)\.(?:\s|$)|。|\s+I hope it is correct|<\|", line, maxsplit=1)[0]
    ans = ans.replace("**", "").strip().strip("$").strip()
    if span is None and _is_prose(ans):  # "Final Answer: The number of points is 19."
        m = re.search(r"\b(?:is|are|equals)\s+(?!.*\b(?:is|are|equals)\s)(.+)$", ans)
        ans = m.group(1).strip().strip("$").strip() if m else ans
    ans = re.sub(r"[.。]+$", "", ans).strip()
    return ans or None


def _is_prose(text: str) -> bool:
    """Words of three or more letters outside LaTeX commands and ``\\text{}``: a sentence."""
    bare = re.sub(r"\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}|\\[A-Za-z]+", " ", text)
    return re.search(r"[A-Za-z]{3,}", bare) is not None


def explain_math_answer(text: str | None) -> tuple[str | None, str]:
    """MATH-style extraction with its rule: the boxed answer (:func:`boxed_answer`: rules
    ``"boxed"`` / ``"boxed_list"``), else the last answer cue (``"cue"``), else
    ``(None, "none")``.

    Cues: "The final answer is X", "the answer is X", "Final Answer: X" (minerva's
    "Final Answer: The final answer is $X$. I hope it is correct." gives ``X``),
    line-initial "Answer: X", a "**Final Answer**" heading (the answer on the next line),
    "答案是 X", "答案为 X", "最终答案：X". Surrounding ``$`` and a
    trailing period are stripped. No "last number" fallback.
    """
    return _explain_chain("math", text)


def answer_after_cue(text: str | None) -> str | None:
    """The answer after the last answer cue that has one (see :func:`explain_math_answer`)."""
    for m in reversed(list(_ANSWER_CUE_RE.finditer(text or ""))):
        ans = _clean_cued_answer(text[m.end() :])
        if ans is not None:
            return ans
    return None


def extract_math_answer(text: str | None) -> str | None:
    """The answer of :func:`explain_math_answer`."""
    return explain_math_answer(text)[0]


_GSM8K_HASH_RE = re.compile(r"####[ \t]*([^\n]+)")
_NUMBER_RE = re.compile(r"((?<![\w)\]}])-)?\\?\$?(\d{1,3}(?:,\d{3})+(?![\d])|\d+)(\.\d+|,(?:\d{1,2}|\d{4,})(?![\d,]))?")


def last_number(text: str | None) -> str | None:
    """The last number in ``text`` (``-``, thousands commas, decimals, ``$`` prefix allowed),
    returned without ``$`` and thousands commas: ``"... $1,234.50 in total"`` -> ``"1234.50"``;
    a final fraction ``3/4`` is returned whole. A comma followed by other than three digits
    (``2,74``) is kept: the checker reads it as a decimal comma only where unambiguous."""
    numbers = list(_NUMBER_RE.finditer(text or ""))
    if not numbers:
        return None
    last = numbers[-1]
    sign, whole, frac = last.groups()
    if frac and frac.startswith(",") and (re.search(r"[\d,(\[{]\s*$", (text or "")[:last.start()])
                                         or (text or "")[last.end():].lstrip()[:1] in (")", "]", "}")):
        return frac[1:]  # "(1,2)", "1,2,3": a list, not a decimal comma; its last number
    number = (sign or "") + whole.replace(",", "") + (frac or "")
    m = re.search(r"(?<![\w./])(-?\d+)/$", (text or "")[:last.start()])
    if m and not sign and not frac and "," not in whole:
        return f"{m.group(1)}/{number}"
    return number


def explain_gsm8k_answer(text: str | None) -> tuple[str | None, str]:
    """GSM8K extraction with its rule: the last ``#### N`` (``"hashes"``); else
    :func:`explain_math_answer`; else :func:`last_number` (``"last_number"``)."""
    return _explain_chain("gsm8k", text)


def gsm8k_hashes(text: str | None) -> str | None:
    """The answer after the last ``####`` (GSM8K's reference format), or None."""
    hashes = _GSM8K_HASH_RE.findall(text or "")
    ans = hashes[-1].strip().rstrip(".").strip() if hashes else ""
    return ans or None


def extract_gsm8k_answer(text: str | None) -> str | None:
    """The answer of :func:`explain_gsm8k_answer`."""
    return explain_gsm8k_answer(text)[0]


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


def conclusion_answer(text: str) -> str | None:
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


def final_math_span(text: str) -> str | None:
    """The last math span (``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``) of the last
    non-empty line when only words without digits follow it there ("We find that
    $x \\neq 3$.", "The identity matrix is $\\begin{pmatrix}..\\end{pmatrix}$."): kept
    whole, so a relation, matrix or tuple keeps its structure."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    spans = list(_MATH_SPAN_RE.finditer(lines[-1]))
    if not spans or re.search(r"\d", lines[-1][spans[-1].end():]):
        return None
    ans = next(g for g in spans[-1].groups() if g is not None).strip()
    return ans or None


def explain_math_or_number(text: str | None) -> tuple[str | None, str]:
    """:func:`explain_math_answer`, else the whole text when it is one short line without
    words, or of at most three words, and without math delimiters (``"-\\frac{10}{9}"``,
    ``"Even"``: rule ``"whole_text"``), else the answer of a concluding sentence near the end
    ("Therefore, the value is $X$.", "So, the ratio is 3/4.": rule ``"conclusion"``), else
    the last math span of the last line (:func:`final_math_span`: ``"final_math_span"``),
    else :func:`last_number` (``"last_number"``), unless the text stops mid-formula
    (``(None, "cut_off")``): a lenient variant for graders that credit an unboxed final
    answer (as the Qwen2.5-Math grader behind the recorded ``model_outputs`` labels does
    for numbers)."""
    return _explain_chain("math_or_number", text)


def bare_answer(text: str | None) -> str | None:
    """The whole text when it is one short line without words, or of at most three words,
    and without math delimiters: the output is just the answer ("-\\frac{10}{9}", "Even")."""
    bare = (text or "").strip()
    if bare and "\n" not in bare and len(bare) <= 200 and not re.search(r"\$|\\[(\[]", bare) \
            and (not _is_prose(bare) or len(bare.split()) <= 3 and len(bare) <= 40):
        return bare
    return None


def extract_math_or_number(text: str | None) -> str | None:
    """The answer of :func:`explain_math_or_number`."""
    return explain_math_or_number(text)[0]


def cut_off(text: str) -> bool:
    """The text stops inside a formula (more opening than closing brackets on the last
    line, ``(`` and ``[`` counted together, or a trailing operator): the output was cut
    off, e.g. at the token limit."""
    last = text.rstrip().rsplit("\n", 1)[-1]
    opened = last.count("(") + last.count("[")  # together: [0,1) and (0,1] are closed intervals
    return opened > last.count(")") + last.count("]") or bool(re.search(r"[-+*/=^(\\]\s*$", last))


def _explain_chain(name: str, text: str | None) -> tuple[str | None, str]:
    """``(answer, rule)`` of the named chain of :data:`harness.scoring.extractors.CHAINS`: the
    composites above are those chains of this module's pieces, declared once there."""
    chain = _CHAINS.get(name)
    if chain is None:
        from harness.scoring.extractors import chain_of  # the chains are built from this module

        chain = _CHAINS[name] = chain_of(name)
    answer, rule, _ = chain.explain(text)
    return answer, rule


_CHAINS: dict = {}  # name -> Chain, built on first use


def _explain_boxed(text: str | None) -> tuple[str | None, str]:
    ans = last_boxed(text)
    return ans, "boxed" if ans is not None else "none"


#: Rules an ``explain_*`` extractor reports.
RULES = ("boxed", "boxed_list", "cue", "hashes", "whole_text", "conclusion", "final_math_span", "last_number", "cut_off", "none")

EXPLAINERS: dict[str, Callable[[str | None], tuple[str | None, str]]] = {
    "math": explain_math_answer,
    "gsm8k": explain_gsm8k_answer,
    "boxed": _explain_boxed,
    "math_or_number": explain_math_or_number,
}

EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "math": extract_math_answer,
    "gsm8k": extract_gsm8k_answer,
    "boxed": last_boxed,
    "math_or_number": extract_math_or_number,
}
# Behaviour changes of an extractor bump its version (recorded in run manifests).
extract_math_answer.version = extract_gsm8k_answer.version = extract_math_or_number.version = "2"  # type: ignore[attr-defined]
