"""The math tasks' verifier: gold vs extracted answer by mathematical equivalence.

Registered as ``math_equiv`` (entry-point group ``harness.verifiers``); see
:mod:`harness.scoring.verifier` for the contract. The checker itself is
:mod:`harness.scoring.math_equiv`, run in an :class:`EquivPool` of processes with a
hard wall-clock limit per check.
"""
from __future__ import annotations

from harness.scoring.equiv_pool import EquivPool
from harness.scoring.math_equiv import Analysis, answer_key, quick_check, refutes
from harness.scoring.verdict import Verdict


class MathEquivVerifier:
    """Gold vs extracted answer by mathematical equivalence (see ``math_equiv``).

    ``verify`` checks each item's answer against its document's gold with the problem
    statement as context, so format requests in it ("Express your answer in base 7", "to
    the nearest tenth", multiple-choice options) are honoured. ``same``/``key``/``prepare``
    serve maj@k clustering, which compares predictions with each other and has no problem
    context. Built from a pool (``MathEquivVerifier(pool)``) or, as a registered factory,
    from a :class:`~harness.scoring.verifier.VerifierContext` (it then owns its pool).
    """

    name = "math_equiv"
    # Bumped whenever a verdict can change (recorded in each run's config id): 2 = issue-7
    # checker (no numeric accept out of float range, labelled answers, chains, several boxes)
    # and the truncation / malformed policy of ``parse_output``.
    version = "2"
    needs_judge = False
    batch_size = 256  # the pool checks a batch's hard pairs in parallel

    def __init__(self, pool):
        self._owned = None
        if not isinstance(pool, EquivPool):  # a VerifierContext
            pool = self._owned = EquivPool(workers=pool.workers, timeout_s=pool.timeout_s)
        self.pool = pool
        self._analysis: dict[str, Analysis] = {}

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def verify(self, items) -> list[Verdict]:
        """Verdicts of :class:`~harness.scoring.verifier.VerifyItem` s, in order."""
        return self.verify_many([(it.doc.answer, it.parsed, it.doc.problem) for it in items])

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
