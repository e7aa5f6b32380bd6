"""From a raw completion to what a verifier reads: reasoning split -> answer extraction.

The task's extractor chain (:mod:`harness.scoring.extractors`) reads the answer part;
verifiers (:mod:`harness.scoring.verifier`) then judge the parsed output. A sample is
never graded on a thought that was cut off, nor on the last number of an answer that
the token cap cut off.

What is graded, by the output's status (see :mod:`harness.reasoning`):

- thought cut by the cap (``"truncated"``) or left open although the model stopped
  (``"malformed"``): no answer; the verdict's reason is the status.
- answer part cut by the cap (finish ``"length"`` after the thought closed, or with no
  thought): only a complete final answer counts. The last ``\\boxed{...}`` counts
  wherever it stands (its braces show it is whole: ``\\boxed{7} and then more`` is the
  answer 7) unless a later box was cut open (``\\boxed{7} ... \\boxed{1``: the final answer
  was being written). Otherwise the task's extractor chain is read from the lines the cap did
  not cut (the text before the last newline), and only its explicit pieces count (a
  box, a list of boxes, an answer cue such as "The final answer is X", GSM8K's ``####
  X``, a closed code fence); the fallbacks (concluding sentence, last math span, last number) never grade a
  cut answer ("... where n is 7 and" is not the answer 7). Nothing found: no answer,
  status and reason ``"truncated"``.
- otherwise: the task's extractor chain on the answer part, all pieces.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.reasoning import split_reasoning
from harness.scoring.extract import last_boxed
from harness.scoring.extractors import Chain, chain_of


@dataclass(frozen=True)
class ParsedOutput:
    """What scoring reads from one completion. ``status``: ``"ok"``, ``"truncated"``
    (cut by the token cap before a final answer) or ``"malformed"`` (a thought left
    open although the model stopped); ``extracted`` is None unless ``"ok"``; ``rule``:
    the extraction rule that fired (the piece's rule, ``"none"``, or the status)."""

    thinking: str | None
    answer_text: str
    status: str
    extracted: str | None
    rule: str = "none"

    @property
    def truncated(self) -> bool:
        return self.status == "truncated"


def capped_answer(answer: str, extractor) -> tuple[str | None, str]:
    """The final answer of an answer part the token cap cut off and its rule, or
    ``(None, "truncated")`` (module docstring): nothing when the last box command was cut
    open; else the chain's answer if it is a single box; else an explicit piece's answer
    on the lines before the cut one."""
    chain = chain_of(extractor)
    last_box = max(answer.rfind("\\boxed"), answer.rfind("\\fbox"))
    if last_box >= 0 and last_boxed(answer[last_box:]) is None:
        return None, "truncated"  # cut while writing a box: the final answer is unfinished
    found, rule, _ = chain.explain(answer)
    if rule == "boxed":
        return found, rule
    found, rule, explicit = chain.explain(answer.rpartition("\n")[0])
    return (found, rule) if explicit and found is not None else (None, "truncated")


def parse_output(text: str, *, extractor: str | tuple | Chain, reasoning_content: str | None = None, prompt_text: str | None = None,
                 finish_reason: str | None = None) -> ParsedOutput:
    """Split, classify and extract one completion (module docstring). ``extractor``: the
    task's chain (piece names, a chain name such as ``"math_or_number"``, or a Chain)."""
    split = split_reasoning(text, reasoning_content=reasoning_content, prompt_text=prompt_text, finish_reason=finish_reason)
    if split.status != "ok":
        return ParsedOutput(split.thinking, split.answer, split.status, None, split.status)
    if split.answer_capped:
        extracted, rule = capped_answer(split.answer, extractor)
        return ParsedOutput(split.thinking, split.answer, "ok" if extracted is not None else "truncated", extracted, rule)
    extracted, rule, _ = chain_of(extractor).explain(split.answer)
    return ParsedOutput(split.thinking, split.answer, "ok", extracted, rule)


def __getattr__(name: str):
    """``MathEquivVerifier`` moved to :mod:`harness.scoring.math_verifier` (imported on
    demand, so scoring a non-math task never loads the math checker)."""
    if name == "MathEquivVerifier":
        from harness.scoring.math_verifier import MathEquivVerifier

        return MathEquivVerifier
    raise AttributeError(name)


