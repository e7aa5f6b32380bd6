"""A tiny third-party task package, registered through real entry points
(``harness_testplugin-0.1.dist-info/entry_points.txt``: put ``tests/plugins`` on
PYTHONPATH). It uses no math code: its own extractor piece, verifiers and metric.

Data (``qa/qa.jsonl`` under ``--data-dir``): ``{"id", "question", "answer", "match"}``,
where ``match`` is the document's own normaliser (``exact``, ``casefold``, ``strip``).

- ``qa_exact``: exact match after the per-document normaliser (``doc_exact``).
- ``qa_batched``: the same check in batches of 8 that take a second each (``slow_batch``).
- ``qa_judged``: asks a judge model (``--judge-backend``) and records its words (``judge_echo``).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from harness.backends.base import GenerationRequest, SamplingParams
from harness.data import DatasetSpec
from harness.scoring.extractors import piece
from harness.scoring.metrics import rate_metric
from harness.scoring.verdict import Verdict
from harness.task import GenerationDefaults, PromptSpec, Task

NORMALISERS = {"exact": lambda s: s, "casefold": lambda s: s.strip().casefold(),
               "strip": lambda s: re.sub(r"[\W_]+", "", s).casefold()}


@piece("answer_line", explicit=True)
def answer_line(text: str):
    """The words after the last ``ANSWER:`` on its line."""
    found = re.findall(r"ANSWER:[ \t]*([^\n]*)", text or "")
    return found[-1].strip() or None if found else None


def _exact(item) -> Verdict:
    match = item.doc.record.get("match", "exact")
    normalise = NORMALISERS[match]
    got = item.parsed.extracted
    if got is None:
        return Verdict(False, 0.0, "no_answer" if item.parsed.status == "ok" else item.parsed.status,
                       {"answered": False, "normaliser": match})
    ok = normalise(got) == normalise(item.doc.answer)
    return Verdict(ok, float(ok), "equal" if ok else "not_equal", {"answered": True, "normaliser": match})


class DocExact:
    """Exact match under the document's own normaliser, one item per call."""

    name, version, batch_size = "doc_exact", "1", 1

    def __init__(self, ctx):
        self.ctx = ctx

    def verify(self, items):
        return [_exact(it) for it in items]


class SlowBatch(DocExact):
    """``doc_exact`` in batches of up to 8 that take one second each (a sandbox pool's shape)."""

    name, version, batch_size = "slow_batch", "1", 8

    def verify(self, items):
        time.sleep(1.0)
        return [_exact(it) for it in items]


class JudgeEcho(DocExact):
    """Asks the judge model about each answer, four per call, and keeps its words in the verdict."""

    name, version, batch_size = "judge_echo", "1", 4
    needs_judge = True

    def verify(self, items):
        requests = [GenerationRequest(key=("judge", str(i)), n=1, params=SamplingParams(temperature=0.0, max_tokens=6),
                                      seed=0, prompt=f"Is {it.parsed.extracted!r} the answer to {it.doc.problem!r}? ")
                    for i, it in enumerate(items)]
        said = {req.key[1]: gens[0].text for req, gens in self.ctx.judge.generate(requests)}
        out = []
        for i, it in enumerate(items):
            v = _exact(it)
            out.append(Verdict(v.passed, v.score, v.reason, {**v.details, "judge_output": said[str(i)]}))
        return out


def answer_rate(problems, *, name: str = "answer_rate", **kw) -> dict:
    """The share of samples with an extracted answer (mean over problems)."""
    return rate_metric(problems, lambda p: [float(a is not None) for a in p.extracted], name, "mean_rate", **kw)


def _task(name: str, verifier: str) -> Task:
    return Task(name=name, version="1", description=f"plugin QA ({verifier})",
                dataset=DatasetSpec("qa/qa.jsonl"), id_field="id", problem_field="question", answer_field="answer",
                prompt=PromptSpec(chat="question.jinja", base="question.jinja"), extractors=("answer_line",),
                verifier=verifier, metrics=("pass@k", "maj@k", "answer_rate", ("verdict_rate", {"detail": "answered"})),
                size=0, groups=("plugin_qa",), scored_fields=("match",), generation=GenerationDefaults(n=1, temperature=0.0, top_p=1.0, max_tokens=16),
                templates_dir=Path(__file__).parent / "templates")


TASKS = [_task("qa_exact", "doc_exact"), _task("qa_batched", "slow_batch"), _task("qa_judged", "judge_echo")]
