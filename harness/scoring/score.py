"""From a raw completion to a verdict: reasoning split -> answer extraction -> verifier.

Verifiers are registered by name and checked in batches (the math verifier sends
the hard pairs to a process pool with a hard wall-clock limit per pair). Every
verdict is structured; a sample is never graded on a thought that was cut off.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.reasoning import split_reasoning
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.extract import EXTRACTORS
from harness.scoring.math_equiv import Analysis, answer_key, quick_check, refutes
from harness.scoring.verdict import Verdict


@dataclass(frozen=True)
class ParsedOutput:
    """What scoring reads from one completion."""

    thinking: str | None
    answer_text: str
    truncated: bool
    extracted: str | None


def parse_output(text: str, *, extractor: str, reasoning_content: str | None = None, prompt_text: str | None = None,
                 finish_reason: str | None = None) -> ParsedOutput:
    split = split_reasoning(text, reasoning_content=reasoning_content, prompt_text=prompt_text, finish_reason=finish_reason)
    extracted = None if split.truncated else EXTRACTORS[extractor](split.answer)
    return ParsedOutput(thinking=split.thinking, answer_text=split.answer, truncated=split.truncated, extracted=extracted)


class MathEquivVerifier:
    """Gold vs extracted answer by mathematical equivalence (see ``math_equiv``).

    ``verify_many`` takes the problem statement (``problem=``) so format requests in it
    ("Express your answer in base 7", "to the nearest tenth", multiple-choice options)
    are honoured. ``same``/``key``/``prepare`` serve maj@k clustering, which compares
    predictions with each other and has no problem context.
    """

    name = "math_equiv"

    def __init__(self, pool: EquivPool):
        self.pool = pool
        self._analysis: dict[str, Analysis] = {}

    def verify_many(self, items: list[tuple[str, ParsedOutput]], *, problem: str | None = None) -> list[Verdict]:
        """Verdicts for (gold, parsed output) pairs, in order; ``problem``: the statement
        the pairs answer (``None``: no problem context)."""
        pending = [(i, gold, p.extracted) for i, (gold, p) in enumerate(items) if p.extracted is not None]
        results = self.pool.check_many([(gold, pred) for _, gold, pred in pending], problem=problem)
        verdicts: list[Verdict] = [
            Verdict(False, 0.0, "truncated" if p.truncated else "no_answer") for _, p in items
        ]
        for (i, _, _), res in zip(pending, results):
            details = {"gold_parsed": res.gold_parsed, "pred_parsed": res.pred_parsed,
                       "gold_normalized": res.gold_normalized, "pred_normalized": res.pred_normalized}
            if res.equivalent is None:
                verdicts[i] = Verdict(False, 0.0, res.reason or "undecided", {**details, "undecided": True})
            else:
                verdicts[i] = Verdict(bool(res.equivalent), float(bool(res.equivalent)), res.reason, details)
        return verdicts

    # -- maj@k clustering --
    def prepare(self, answers) -> None:
        """Analyse the distinct answers about to be clustered, in parallel in the pool:
        afterwards ``key`` merges answers with the same parsed form and ``same`` refutes
        most unequal pairs from their fingerprints without a worker round trip."""
        todo = list(dict.fromkeys(a for a in answers if a is not None and a not in self._analysis))
        if len(self._analysis) + len(todo) > 200_000:
            self._analysis.clear()
        for a, res in zip(todo, self.pool.analyze_many(todo)):
            self._analysis[a] = res

    def same(self, a: str, b: str) -> bool | None:
        """Whether two predicted answers are one vote in maj@k: cheap checks, then a
        refutation from the prepared analyses, then the full check in the pool."""
        quick = quick_check(a, b)
        if quick is not None:
            return quick.equivalent
        fa, fb = self._analysis.get(a), self._analysis.get(b)
        if fa is not None and fb is not None and refutes(fa, fb):
            return False
        return self.pool.check(a, b).equivalent

    def key(self, answer: str) -> str:
        """Equal keys are one vote without calling ``same``: the parsed form's key for
        prepared answers, else :func:`answer_key`."""
        res = self._analysis.get(answer)
        return res.key if res is not None else answer_key(answer)


VERIFIERS = {"math_equiv": MathEquivVerifier}
