"""The backend contract: generation only, nothing about scoring.

A backend receives a batch of :class:`GenerationRequest` (one per document, each
asking for ``n`` samples) and yields ``(request, [Generation, ...])`` pairs as
they finish, in any order. The runner writes each finished request to the run
store at once, so a killed run loses only what was in flight.

Reproducibility: a request carries its own ``seed``; a backend must make the
samples of a request depend only on (model, prompt, sampling params, seed),
never on which other requests share the batch, so a resumed run regenerates
exactly what an uninterrupted run would have produced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from harness.reasoning import _STYLES, split_reasoning


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings shared by every request of a task. ``extra``: ``--gen-kwargs``, the
    backend's own sampling options beyond these (vLLM ``SamplingParams`` fields, transformers
    ``generate`` arguments, OpenAI request-body fields), applied on top of the backend's defaults."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt, ``n`` samples.

    Exactly one of ``messages`` (chat: the backend applies the model's chat
    template) or ``prompt`` (raw completion text, no template) is set.
    ``key`` identifies the request to the caller, e.g. ``("math500", "test/algebra/1.json")``.
    For ``messages`` only: ``chat_template`` (jinja2 source) replaces the model's chat
    template, and ``chat_template_kwargs`` are extra variables for it (e.g. Qwen3's
    ``enable_thinking``).
    """

    key: tuple[str, str]
    n: int
    params: SamplingParams
    seed: int
    messages: tuple[dict, ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None
    chat_template_kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("GenerationRequest needs exactly one of messages or prompt")


@dataclass
class Generation:
    """One sample as the model produced it.

    ``text`` is the raw completion; ``thinking`` is set only when the server
    returned reasoning separately (OpenAI-style ``reasoning_content``).
    ``prompt_text`` is the fully rendered prompt when the backend knows it (used to
    detect chat templates that open ``<think>`` inside the prompt).
    ``finish_reason`` is ``"stop"`` or ``"length"`` (token cap hit).
    Token counts are ``None`` when the backend does not know them (never a guess).
    ``thinking_tokens`` counts the completion's tokens up to and including the one that
    closes the thought (all of them if the thought never closes, 0 without one),
    ``answer_tokens`` the rest: ``thinking_tokens + answer_tokens == completion_tokens``
    when both are known (see :func:`thinking_token_count`).
    """

    text: str
    finish_reason: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    thinking_tokens: int | None = None
    answer_tokens: int | None = None
    thinking: str | None = None
    prompt_text: str | None = None
    latency_s: float | None = None
    extra: dict = field(default_factory=dict)


def thinking_token_count(ids: Sequence[int], decode: Callable[[Sequence[int]], str], prompt_text: str | None = None,
                         text: str | None = None) -> int:
    """How many of the completion token ``ids`` belong to the thought, found from the ids.

    The style comes from :func:`harness.reasoning.split_reasoning` on ``decode(ids)``: no
    thinking tag -> 0; a thought opened (in the output or at the end of ``prompt_text``)
    but never closed -> ``len(ids)``; else the thought ends with the token that completes
    the last closing tag (``</think>`` / ``<|end_of_thought|>``). That token is found by
    decoding suffixes: galloping back from the end to the last suffix that still holds the
    tag, then forward over the tag's own tokens, so the cost grows with the answer's
    length, not the thought's. ``decode`` must be the decoding the stored text came from;
    ``text`` is ``decode(ids)`` when the caller already has it.
    """
    text = decode(ids) if text is None else text
    split = split_reasoning(text, prompt_text=prompt_text)
    if split.style == "none":
        return 0
    close = next(s.close for s in _STYLES if s.name == split.style)
    if close not in text:
        return len(ids)
    holds = lambda start: close in decode(ids[start:])  # noqa: E731  (True at 0, False at len(ids))
    lo, hi, step = 0, len(ids), 1  # holds(lo), not holds(hi)
    while hi - step > lo and not holds(hi - step):
        hi, step = hi - step, step * 2
    lo = max(lo, hi - step)
    while hi - lo > 1:  # the last suffix start that holds the tag: where its first token is
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if holds(mid) else (lo, mid)
    end = lo + 1
    while end < len(ids) and close not in decode(ids[lo:end]):
        end += 1
    return end


class BackendError(RuntimeError):
    """Generation failed for good (a server down after all retries, a request rejected).

    The message is one line naming what failed and how; requests a backend already
    yielded are complete and saved, so rerunning the same command resumes.
    """


class Backend(Protocol):
    """Anything that turns requests into generations."""

    name: str

    def describe(self) -> dict:
        """Facts for the manifest: model id, revision or weight hash, dtype, device."""

    def generate(self, requests: Iterable[GenerationRequest]) -> Iterator[tuple[GenerationRequest, list[Generation]]]:
        """Yield each request with its ``n`` generations as soon as they are done."""

    def close(self) -> None:
        """Release the model / connections."""
