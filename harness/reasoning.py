"""Separate a model's chain of thought from its final answer.

Styles recognised, tried in this order:

1. a separate ``reasoning_content`` field from the server (OpenAI-style APIs): that
   is the thinking, the text is the answer;
2. ``<think> … </think>`` in the output (DeepSeek-R1, QwQ, Qwen3);
3. chat templates that open ``<think>`` inside the prompt, so the output holds only
   the closing tag: everything before ``</think>`` is thinking;
4. ``<|begin_of_thought|> … <|end_of_thought|>`` (Sky-T1, Bespoke), with the answer
   optionally wrapped in ``<|begin_of_solution|> … <|end_of_solution|>``.

A thinking block that opened but never closed (the token cap was hit mid-thought)
gives ``truncated=True`` and an empty answer: the sample is scored as no answer
and counted, never graded on half a thought.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReasoningSplit:
    thinking: str | None
    answer: str
    truncated: bool = False
    style: str = "none"


@dataclass(frozen=True)
class _TagStyle:
    name: str
    open: str
    close: str
    answer_open: str | None = None
    answer_close: str | None = None


_STYLES = (
    _TagStyle("think", "<think>", "</think>"),
    _TagStyle("thought", "<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>"),
)


def _strip_answer_wrapper(text: str, style: _TagStyle) -> str:
    if style.answer_open and style.answer_open in text:
        text = text.split(style.answer_open, 1)[1]
        if style.answer_close and style.answer_close in text:
            text = text.split(style.answer_close, 1)[0]
    return text.strip()


def split_reasoning(text: str, *, reasoning_content: str | None = None, prompt_text: str | None = None,
                    finish_reason: str | None = None) -> ReasoningSplit:
    """Split ``text`` (a raw completion) into thinking and answer.

    ``prompt_text`` is the rendered prompt when known: if it ends with an opening
    tag, the completion starts inside the thinking block. ``finish_reason`` tells a
    server-side split whose answer is empty because the cap hit mid-thought
    (``"length"``) from one that simply answered nothing.
    """
    if reasoning_content is not None:
        truncated = finish_reason == "length" and not text.strip()
        return ReasoningSplit(thinking=reasoning_content, answer=text.strip(), truncated=truncated, style="reasoning_content")
    prompt_tail = (prompt_text or "").rstrip()
    for style in _STYLES:
        opened_in_prompt = prompt_tail.endswith(style.open)
        has_open = style.open in text
        has_close = style.close in text
        if not (has_open or has_close or opened_in_prompt):
            continue
        if has_close:
            head, tail = text.rsplit(style.close, 1)
            thinking = head.split(style.open, 1)[1] if style.open in head else head
            return ReasoningSplit(thinking=thinking.strip(), answer=_strip_answer_wrapper(tail, style), style=style.name)
        # Opened (in the output or in the prompt) but never closed: the cap was hit mid-thought.
        thinking = text.split(style.open, 1)[1] if has_open else text
        return ReasoningSplit(thinking=thinking.strip(), answer="", truncated=True, style=style.name)
    return ReasoningSplit(thinking=None, answer=text.strip())
