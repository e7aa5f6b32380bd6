"""Separate a model's chain of thought from its final answer, and say whether it is whole.

Styles recognised, tried in this order:

1. a separate ``reasoning_content`` field from the server (OpenAI-style APIs): that
   is the thinking, the text is the answer;
2. ``<think> … </think>`` in the output (DeepSeek-R1, QwQ, Qwen3);
3. chat templates that open ``<think>`` inside the prompt, so the output holds only
   the closing tag: everything before ``</think>`` is thinking;
4. ``<|begin_of_thought|> … <|end_of_thought|>`` (Sky-T1, Bespoke), with the answer
   optionally wrapped in ``<|begin_of_solution|> … <|end_of_solution|>``.

``status`` of a split (``finish_reason`` ``"length"`` means the output hit the token cap;
``"stop"``, ``None`` or anything else means it did not):

- ``"truncated"``: the cap was hit mid-thought (a thinking block opened and never
  closed, or a server-side split with an empty answer, with finish ``"length"``). The
  answer is empty: the sample is scored as no answer and counted, never graded on half
  a thought.
- ``"malformed"``: a thinking block opened and never closed although the model was not
  cut off (finish ``"stop"``, ``None`` or unknown): the output is broken, not cut. The
  answer is empty; scored as no answer and counted separately.
- ``"ok"``: otherwise. ``answer_capped`` then says that the answer part itself ended at
  the cap (finish ``"length"``): it may stop mid-sentence, and scoring reads only a
  complete final answer from it (see :func:`harness.scoring.score.parse_output`).
"""
from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("ok", "truncated", "malformed")
CAP_REACHED = "length"  # the finish_reason of an output that hit the token cap


@dataclass(frozen=True)
class ReasoningSplit:
    thinking: str | None
    answer: str
    status: str = "ok"
    style: str = "none"
    answer_capped: bool = False

    @property
    def truncated(self) -> bool:
        """The cap was hit mid-thought."""
        return self.status == "truncated"


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


def _answered(thinking: str | None, answer: str, style: str, capped: bool) -> ReasoningSplit:
    """A split whose thought (if any) closed: ``"truncated"`` only when the cap left no answer at all."""
    if capped and not answer:
        return ReasoningSplit(thinking, "", "truncated", style)
    return ReasoningSplit(thinking, answer, "ok", style, answer_capped=capped)


def split_reasoning(text: str, *, reasoning_content: str | None = None, prompt_text: str | None = None,
                    finish_reason: str | None = None) -> ReasoningSplit:
    """Split ``text`` (a raw completion) into thinking and answer, with its status
    (module docstring).

    ``prompt_text`` is the rendered prompt when known: if it ends with an opening
    tag, the completion starts inside the thinking block. ``finish_reason`` tells a
    thought cut by the token cap (``"length"``) from a malformed one, and an empty
    answer cut by the cap from one the model simply left empty.
    """
    capped = finish_reason == CAP_REACHED
    if reasoning_content is not None:
        return _answered(reasoning_content, text.strip(), "reasoning_content", capped)
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
            return _answered(thinking.strip(), _strip_answer_wrapper(tail, style), style.name, capped)
        # Opened (in the output or in the prompt) but never closed.
        thinking = text.split(style.open, 1)[1] if has_open else text
        return ReasoningSplit(thinking.strip(), "", "truncated" if capped else "malformed", style.name)
    return _answered(None, text.strip(), "none", capped)
