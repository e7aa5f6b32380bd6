"""From a raw completion to a verdict: reasoning split -> answer extraction -> verifier.

Verifiers are registered by name and checked in batches (the math verifier sends
the hard pairs to a process pool with a hard wall-clock limit per pair). Every
verdict is structured; a sample is never graded on a thought that was cut off, nor
on the last number of an answer that the token cap cut off.

What is graded, by the output's status (see :mod:`harness.reasoning`):

- thought cut by the cap (``"truncated"``) or left open although the model stopped
  (``"malformed"``): no answer; the verdict's reason is the status.
- answer part cut by the cap (finish ``"length"`` after the thought closed, or with no
  thought): only a complete final answer counts. The last ``\\boxed{...}`` counts
  wherever it stands (its braces show it is whole: ``\\boxed{7} and then more`` is the
  answer 7) unless a later box was cut open (``\\boxed{7} ... \\boxed{1``: the final answer
  was being written). Otherwise the task's extractor is read from the lines the cap did
  not cut (the text before the last newline), and only its explicit rules count (a
  box, a list of boxes, an answer cue such as "The final answer is X", GSM8K's ``####
  X``); the fallbacks (concluding sentence, last math span, last number) never grade a
  cut answer ("... where n is 7 and" is not the answer 7). Nothing found: no answer,
  status and reason ``"truncated"``.
- otherwise: the task's extractor on the answer part, all rules.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.reasoning import split_reasoning
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.extract import EXPLAINERS, EXTRACTORS, explain_math_answer, last_boxed
from harness.scoring.math_equiv import Analysis, answer_key, quick_check, refutes
from harness.scoring.verdict import Verdict

# Extractor rules that state a final answer explicitly (a cut answer is graded only by these).
EXPLICIT_RULES = frozenset({"boxed", "boxed_list", "cue", "hashes"})


@dataclass(frozen=True)
class ParsedOutput:
    """What scoring reads from one completion. ``status``: ``"ok"``, ``"truncated"``
    (cut by the token cap before a final answer) or ``"malformed"`` (a thought left
    open although the model stopped); ``extracted`` is None unless ``"ok"``."""

    thinking: str | None
    answer_text: str
    status: str
    extracted: str | None

    @property
    def truncated(self) -> bool:
        return self.status == "truncated"


def capped_answer(answer: str, extractor: str) -> str | None:
    """The final answer of an answer part the token cap cut off, or None (module
    docstring): None when the last box command was cut open; else the task's extractor
    if it finds a single box; else an explicit rule of the extractor on the lines before
    the cut one. An extractor without an ``explain`` twin is read as ``math`` (box or cue)."""
    explain = EXPLAINERS.get(extractor, explain_math_answer)
    last_box = max(answer.rfind("\\boxed"), answer.rfind("\\fbox"))
    if last_box >= 0 and last_boxed(answer[last_box:]) is None:
        return None  # cut while writing a box: the final answer is unfinished
    found, rule = explain(answer)
    if rule == "boxed":
        return found
    found, rule = explain(answer.rpartition("\n")[0])
    return found if rule in EXPLICIT_RULES else None


def parse_output(text: str, *, extractor: str, reasoning_content: str | None = None, prompt_text: str | None = None,
                 finish_reason: str | None = None) -> ParsedOutput:
    """Split, classify and extract one completion (module docstring)."""
    split = split_reasoning(text, reasoning_content=reasoning_content, prompt_text=prompt_text, finish_reason=finish_reason)
    if split.status != "ok":
        return ParsedOutput(split.thinking, split.answer, split.status, None)
    if split.answer_capped:
        extracted = capped_answer(split.answer, extractor)
        return ParsedOutput(split.thinking, split.answer, "ok" if extracted is not None else "truncated", extracted)
    return ParsedOutput(split.thinking, split.answer, "ok", EXTRACTORS[extractor](split.answer))


class MathEquivVerifier:
    """Gold vs extracted answer by mathematical equivalence (see ``math_equiv``).

    ``verify_many`` takes the problem statement (``problem=``) so format requests in it
    ("Express your answer in base 7", "to the nearest tenth", multiple-choice options)
    are honoured. ``same``/``key``/``prepare`` serve maj@k clustering, which compares
    predictions with each other and has no problem context.
    """

    name = "math_equiv"
    # Bumped whenever a verdict can change (recorded in each run's config id): 2 = issue-7
    # checker (no numeric accept out of float range, labelled answers, chains, several boxes)
    # and the truncation / malformed policy of ``parse_output``.
    version = "2"

    def __init__(self, pool: EquivPool):
        self.pool = pool
        self._analysis: dict[str, Analysis] = {}

    def verify_many(self, items: list[tuple], *, problem: str | None = None) -> list[Verdict]:
        """Verdicts for ``(gold, parsed output)`` pairs, in order; ``problem``: the statement
        the pairs answer (``None``: no problem context). An item may also be a triple
        ``(gold, parsed output, problem)`` with its own statement (one batch over many
        problems). Without an extracted answer the reason is the output's status
        (``"truncated"``, ``"malformed"``) or ``"no_answer"``."""
        pending = [(i, (gold, p.extracted, *own)) for i, (gold, p, *own) in enumerate(items) if p.extracted is not None]
        results = self.pool.check_many([pair for _, pair in pending], problem=problem)
        verdicts: list[Verdict] = [
            Verdict(False, 0.0, "no_answer" if item[1].status == "ok" else item[1].status) for item in items
        ]
        for (i, _), res in zip(pending, results):
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
