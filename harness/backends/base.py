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
from typing import Iterable, Iterator, Protocol


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings shared by every request of a task."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt, ``n`` samples.

    Exactly one of ``messages`` (chat: the backend applies the model's chat
    template) or ``prompt`` (raw completion text, no template) is set.
    ``key`` identifies the request to the caller, e.g. ``("math500", "test/algebra/1.json")``.
    """

    key: tuple[str, str]
    n: int
    params: SamplingParams
    seed: int
    messages: tuple[dict, ...] | None = None
    prompt: str | None = None

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
    """

    text: str
    finish_reason: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    thinking: str | None = None
    prompt_text: str | None = None
    latency_s: float | None = None
    extra: dict = field(default_factory=dict)


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
