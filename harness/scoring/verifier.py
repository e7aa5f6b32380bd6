"""The verifier contract: what every task kind's checker receives and returns.

A verifier is registered (entry-point group ``harness.verifiers``) as a *factory*:
a callable ``(ctx: VerifierContext) -> verifier``, usually the verifier class itself.
The factory carries, as attributes read before anything is built:

- ``name``, ``version``: recorded in the config id of every task using it (bump
  ``version`` whenever a verdict can change);
- ``needs_judge`` (default False): the task cannot run without ``--judge-backend``.

The verifier it builds has ``name``, ``version``, ``batch_size`` (1: one item per call;
k > 1: up to k items per call, for a judge model or a sandbox pool), and
``verify(items: list[VerifyItem]) -> list[Verdict]`` (one verdict per item, in order).
Optional: ``close()`` (called once when scoring ends) and the maj@k clustering hooks
``same(a, b) -> bool | None``, ``key(answer) -> str | None`` and ``prepare(answers)``
(see :func:`harness.scoring.metrics.cluster_answers`); without them maj@k clusters
answers by their exact extracted string.

Verification runs on worker threads beside generation (:mod:`harness.pipeline`); a
verifier that raises stops the run (the samples are kept; a resume re-verifies).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from harness.errors import UsageError
from harness.scoring.score import ParsedOutput
from harness.scoring.verdict import Verdict
from harness.task import Doc


@dataclass(frozen=True)
class VerifierContext:
    """What a verifier factory may use: ``timeout_s`` per check, ``workers`` (processes or
    threads it may start; None: its default) and ``judge`` (a backend, see
    :mod:`harness.backends.base`, or None when the run has no ``--judge-backend``)."""

    timeout_s: float = 5.0
    workers: int | None = None
    judge: Any = None


@dataclass(frozen=True)
class VerifyItem:
    """One sample to check: its whole document (problem, gold ``answer`` or None, the
    record with tests / source text / constraints), the parsed output and the stored
    generation row (output, finish_reason, tokens...)."""

    doc: Doc
    parsed: ParsedOutput
    row: dict


def factory_info(factory) -> dict:
    """``{"name", "version"}`` of a registered verifier factory (manifest, config ids)."""
    return {"name": str(getattr(factory, "name", getattr(factory, "__name__", "verifier"))),
            "version": str(getattr(factory, "version", "1"))}


def verifier_factory(name: str):
    """The factory registered as ``name`` (one-line UsageError when unknown)."""
    from harness.registry import VERIFIERS

    return VERIFIERS.get(name)


def needs_judge(name: str) -> bool:
    return bool(getattr(verifier_factory(name), "needs_judge", False))


def build_verifier(name: str, ctx: VerifierContext):
    """A verifier built by the factory registered as ``name``; a task whose verifier needs a
    judge and a run without one is a one-line UsageError."""
    factory = verifier_factory(name)
    if getattr(factory, "needs_judge", False) and ctx.judge is None:
        raise UsageError(f"verifier {name!r} needs a judge model: add --judge-backend KIND --judge-model MODEL")
    verifier = factory(ctx)
    size = getattr(verifier, "batch_size", 1)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise UsageError(f"verifier {name!r} declares batch_size {size!r}: it must be a whole number >= 1")
    return verifier


@contextmanager
def verifiers_for(names: dict[str, str], ctx: VerifierContext) -> Iterator[dict[str, Any]]:
    """``{task: verifier}`` for ``{task: verifier name}`` (tasks sharing a name share one
    verifier), each closed when the block ends."""
    built: dict[str, Any] = {}
    try:
        for name in dict.fromkeys(names.values()):
            built[name] = build_verifier(name, ctx)
        yield {task: built[name] for task, name in names.items()}
    finally:
        for v in built.values():
            close = getattr(v, "close", None)
            if close is not None:
                close()


def check_verdicts(verifier, items: list, verdicts) -> list[Verdict]:
    """``verdicts`` as a list of one :class:`Verdict` per item, or a RuntimeError naming the verifier."""
    verdicts = list(verdicts)
    if len(verdicts) != len(items) or not all(isinstance(v, Verdict) for v in verdicts):
        raise RuntimeError(f"verifier {getattr(verifier, 'name', verifier)!r} returned {len(verdicts)} results for "
                           f"{len(items)} items (it must return one Verdict per item)")
    return verdicts
