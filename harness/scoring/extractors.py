"""Extractor pieces and chains: a task composes its answer extraction from named pieces.

A piece is a callable ``text -> answer | (answer, rule) | None | STOP`` with the
attributes ``name``, ``version`` (bumped when its answers change) and ``explicit``:

- an answer (a string) ends the chain; the row records the piece's ``rule`` (its name
  unless it says otherwise: ``answer_cue`` reports ``"cue"``), or the rule of an
  ``(answer, rule)`` pair (``boxed`` reports ``"boxed_list"`` for several boxes);
- ``None``: nothing found, the next piece is tried;
- :data:`STOP`: ends the chain with no answer (``cut_off_guard``: the text stops
  mid-formula, so a later fallback must not guess).

``explicit`` pieces state a final answer in so many words (a box, an answer cue, GSM8K's
``####``, a closed code fence); only they may grade an answer the token cap cut off (see
:mod:`harness.scoring.score`). A task declares its chain as piece names, e.g.
``("boxed", "answer_cue", "last_number")``; pieces are registered in the
``harness.extractors`` entry-point group (built-ins: :data:`EXTRACTORS`). A chain's
version derives from its pieces' names and versions.

The math tasks' chains are named in :data:`CHAINS` (``math_or_number``, ``gsm8k``,
``math``); :mod:`harness.scoring.extract`'s composite extractors of those names run them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

from harness.scoring import extract as ex

STOP = object()  # a piece's "end the chain with no answer"


def piece(name: str, *, version: str = "1", explicit: bool = False, rule: str | None = None):
    """Decorate a function ``text -> answer | (answer, rule) | None | STOP`` as a piece."""
    def wrap(fn):
        fn.name, fn.version, fn.explicit, fn.rule = name, version, explicit, rule or name
        return fn
    return wrap


@piece("boxed", explicit=True)
def boxed(text: str):
    """The last ``\\boxed{}`` (several boxes of one answer as a list, rule ``"boxed_list"``)."""
    answer, rule = ex.boxed_answer(text)
    return None if answer is None else (answer, rule)


@piece("answer_cue", explicit=True, rule="cue")
def answer_cue(text: str):
    """The answer after the last cue ("The final answer is X", "Answer: X", "答案是 X")."""
    return ex.answer_after_cue(text)


@piece("hashes", explicit=True)
def hashes(text: str):
    """GSM8K's last ``#### X``."""
    return ex.gsm8k_hashes(text)


@piece("whole_text")
def whole_text(text: str):
    """The whole text when it is one short line that is just an answer (``-\\frac{10}{9}``, ``Even``)."""
    return ex.bare_answer(text)


@piece("conclusion")
def conclusion(text: str):
    """The answer of a concluding sentence near the end ("Therefore, the value is $X$.")."""
    return ex.conclusion_answer(text) if text else None


@piece("cut_off_guard", rule="cut_off")
def cut_off_guard(text: str):
    """STOP when the text stops mid-formula (its last number is no answer)."""
    return STOP if text and ex.cut_off(text) else None


@piece("final_math_span")
def final_math_span(text: str):
    """The last math span of the last line when only words follow it."""
    return ex.final_math_span(text) if text else None


@piece("last_number")
def last_number(text: str):
    """The last number of the text."""
    return ex.last_number(text)


_FENCE_RE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)


def code_block_of(text: str, language: str | None = None) -> str | None:
    """The last closed fenced code block (```lang ... ```), optionally only of ``language``
    (case-insensitive; an untagged block matches any language)."""
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE_RE.finditer(text or "")]
    if language is not None:
        blocks = [b for b in blocks if b[0] in ("", language.lower())]
    return blocks[-1][1].rstrip("\n") if blocks else None


@piece("code_block", explicit=True)
def code_block(text: str):
    """The last closed fenced code block (any language); see :func:`code_block_of`."""
    return code_block_of(text)


@piece("python_block", explicit=True)
def python_block(text: str):
    """The last closed fenced code block tagged ``python`` (or untagged)."""
    return code_block_of(text, "python")


_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HEADING_RE = re.compile(r"^\s*(?:#+\s|\*\*[^*]+\*\*\s*$|《[^》]*》\s*$|[-=*_]{3,}\s*$|```)")


def _mostly_cjk(line: str) -> bool:
    chars = [c for c in line if not c.isspace() and c not in "，。！？、；：,.!?;:\"'“”‘’()（）"]
    return bool(chars) and sum(bool(_CJK_RE.match(c)) for c in chars) >= 0.6 * len(chars)


@piece("poem_block")
def poem_block(text: str):
    """The poem lines of an answer: inside the last closed markdown fence when there is
    one; headings and titles (``# 静夜思``, ``《春晓》``, ``**title**``), blank lines and
    lines introducing the poem (ending in a colon) dropped; then the first run of lines
    that are mostly CJK, joined by newlines (trailing commentary ends it). None without such lines."""
    fenced = code_block_of(text)
    lines: list[str] = []
    for raw in (fenced if fenced is not None else text or "").splitlines():
        line = raw.strip()
        if not line or _HEADING_RE.match(line) or line.endswith((":", "：")):
            continue
        if _mostly_cjk(line):
            lines.append(line.strip("*_ "))
        elif lines:
            break
    return "\n".join(lines) or None


EXTRACTORS = {p.name: p for p in (boxed, answer_cue, hashes, whole_text, conclusion, cut_off_guard, final_math_span,
                                  last_number, code_block, python_block, poem_block)}

# The math tasks' chains (harness.scoring.extract's composites of these names run them),
# and the version those composites had before they were chains.
LEGACY_VERSION = "2"
CHAINS = {
    "math": ("boxed", "answer_cue"),
    "gsm8k": ("hashes", "boxed", "answer_cue", "last_number"),
    "math_or_number": ("boxed", "answer_cue", "whole_text", "conclusion", "cut_off_guard", "final_math_span", "last_number"),
}


@dataclass(frozen=True)
class Chain:
    """Pieces tried in order; the first answer wins (see the module docstring)."""

    pieces: tuple[Callable, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pieces)

    @property
    def version(self) -> str:
        """A short hash of the pieces' names and versions (changes when any piece's answers
        do); a chain of :data:`CHAINS` whose pieces are all at version 1 keeps the version of
        the composite it reproduces (``"2"``), so runs made before chains keep their config ids."""
        if self.label in CHAINS and all(p.version == "1" for p in self.pieces):
            return LEGACY_VERSION
        text = ",".join(f"{p.name}:{p.version}" for p in self.pieces)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """The chain's name in :data:`CHAINS` when it is one of those, else its piece names joined by commas."""
        return next((name for name, pieces in CHAINS.items() if pieces == self.names), ",".join(self.names))

    def describe(self) -> dict:
        """``{"name", "version"}``: what a task's config records."""
        return {"name": self.label, "version": self.version}

    def explain(self, text: str | None) -> tuple[str | None, str, bool]:
        """``(answer, rule, explicit)``: the first piece's answer, its rule and whether the
        piece is explicit; ``(None, rule, False)`` when a piece stops the chain;
        ``(None, "none", False)`` when no piece finds one."""
        if not text:
            return None, "none", False
        for p in self.pieces:
            found = p(text)
            if found is STOP:
                return None, p.rule, False
            if found is not None:
                answer, rule = found if isinstance(found, tuple) else (found, p.rule)
                return answer, rule, p.explicit
        return None, "none", False

    def __call__(self, text: str | None) -> str | None:
        return self.explain(text)[0]


def chain_of(spec) -> Chain:
    """The chain of a task's ``extractors`` spec: a tuple of piece names, a chain name of
    :data:`CHAINS` or a :class:`Chain`; an unknown piece is a UsageError."""
    from harness.registry import EXTRACTORS as REGISTRY

    if isinstance(spec, Chain):
        return spec
    names = CHAINS.get(spec, (spec,)) if isinstance(spec, str) else tuple(spec)
    return _chain(names, REGISTRY)


def _chain(names: tuple[str, ...], registry) -> Chain:
    return Chain(tuple(registry.find(n) or EXTRACTORS.get(n) or registry.get(n) for n in names))
