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
from harness.scoring.math_equiv import answer_key
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
    """Gold vs extracted answer by mathematical equivalence (see ``math_equiv``)."""

    name = "math_equiv"

    def __init__(self, pool: EquivPool):
        self.pool = pool

    def verify_many(self, items: list[tuple[str, ParsedOutput]]) -> list[Verdict]:
        """Verdicts for (gold, parsed output) pairs, in order."""
        pending = [(i, gold, p.extracted) for i, (gold, p) in enumerate(items) if p.extracted is not None]
        results = self.pool.check_many([(gold, pred) for _, gold, pred in pending])
        verdicts: list[Verdict] = [
            Verdict(False, 0.0, "truncated" if p.truncated else "no_answer") for _, p in items
        ]
        for (i, _, _), res in zip(pending, results):
            details = {"gold_parsed": res.gold_parsed, "pred_parsed": res.pred_parsed}
            if res.equivalent is None:
                verdicts[i] = Verdict(False, 0.0, res.reason or "undecided", details)
            else:
                verdicts[i] = Verdict(bool(res.equivalent), float(bool(res.equivalent)), res.reason, details)
        return verdicts

    def same(self, a: str, b: str) -> bool | None:
        """Whether two predicted answers are one vote in maj@k."""
        return self.pool.check(a, b).equivalent

    @staticmethod
    def key(answer: str) -> str:
        return answer_key(answer)


VERIFIERS = {"math_equiv": MathEquivVerifier}
