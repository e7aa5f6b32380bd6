"""Our math verifier vs the ``math-verify`` package on the real model outputs, in one run.

Pairs: every record of ``shared/data/model_outputs`` (1900 generations of Sky-T1 and
Qwen2.5 models on MATH-500, AIME 2024, AMC 2023 and 100 MATH problems x 8), each checked
against its gold answer (the official MATH-500 answer where the files' gold is damaged,
see tests/model_outputs_data.py). Both sides do the whole job a user gets:

* ours: ``parse_output`` (reasoning split + the tasks' ``math_or_number`` extractor), then
  :meth:`EquivPool.check_many` with the problem statement as context: cheap paths
  in-process, the rest in worker processes with a hard time limit, a pool sized to the
  machine. Measured cold: a fresh pool (workers started and warmed on other pairs, empty
  result cache, in-process memo tables cleared). Repeated (gold, answer) pairs in the data
  (the same answer from 8 samples or 2 models) are decided once: that cache is part of
  the design.
* math-verify: ``verify(parse(gold), parse(response))`` with its default configuration
  (``parse`` extracts the answer from the whole response itself; its timeouts use SIGALRM
  in this process).

Printed: both throughputs (pairs per second), their ratio, the agreement of the verdicts
and a sample of disagreements (each side's accuracy against the recorded labels too).
Then maj@64 clustering of 500 problems x 64 answers (tests/model_outputs_data.py) with
``MathEquivVerifier`` (prepare + keys + same), and with plain string keys + a full check
per comparison for reference.

    .venv/bin/python bench/math_verify.py            # needs: pip install -e '.[bench]'
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# This file's name would shadow the math_verify package: drop bench/ from the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO / "tests"))

from harness.scoring import math_equiv  # noqa: E402
from harness.scoring.equiv_pool import EquivPool, default_workers  # noqa: E402
from harness.scoring.math_equiv import answer_key  # noqa: E402
from harness.scoring.metrics import cluster_answers  # noqa: E402
from harness.scoring.score import MathEquivVerifier, parse_output  # noqa: E402
from model_outputs_data import EXTRACTOR, FILES, iter_outputs, majk_answers  # noqa: E402


def load_pairs(data: Path) -> list[dict]:
    return [{"file": name, "id": r["id"], "gold": gold, "response": r["response"], "problem": r["question"],
             "label": bool(r["correct"])} for name, r, gold in iter_outputs(data)]


def cold_caches() -> None:
    """Forget the in-process memo tables, so every measured run starts cold."""
    math_equiv._normalize_cached.cache_clear()
    math_equiv.problem_hints.cache_clear()


def run_ours(pairs: list[dict], workers: int, timeout: float) -> tuple[float, list[bool], list[str | None], dict]:
    with EquivPool(workers=workers, timeout_s=timeout) as pool:
        pool.check_many([(f"\\sqrt{{{i + 2}}}", f"\\sqrt{{{i + 2}}}+0") for i in range(2 * workers)])  # start workers
        pool._cache.clear()
        cold_caches()
        start = time.perf_counter()
        parsed = [parse_output(p["response"], extractor=EXTRACTOR) for p in pairs]
        todo = [(i, p["gold"], q.extracted, p["problem"]) for i, (p, q) in enumerate(zip(pairs, parsed)) if q.extracted is not None]
        results = pool.check_many([(g, x, prob) for _, g, x, prob in todo])
        elapsed = time.perf_counter() - start
        stats = dict(pool.stats)
    verdicts = [False] * len(pairs)
    for (i, *_), res in zip(todo, results):
        verdicts[i] = res.equivalent is True
    return elapsed, verdicts, [q.extracted for q in parsed], stats


def run_math_verify(pairs: list[dict]) -> tuple[float, list[bool], list[str]]:
    from math_verify import parse, verify

    verify(parse("$\\frac{1}{2}$"), parse("so \\boxed{0.5}"))  # warm-up: imports, parser tables
    start = time.perf_counter()
    verdicts, answers = [], []
    for p in pairs:
        gold = parse(f"${p['gold']}$")
        answer = parse(p["response"])
        verdicts.append(bool(verify(gold, answer)))
        answers.append(answer[-1] if answer else None)
    return time.perf_counter() - start, verdicts, [str(a) for a in answers]


def time_majk(data: Path, workers: int, timeout: float, plain_problems: int) -> None:
    sets = majk_answers(data, problems=500, k=64, seed=0)
    n_answers = sum(len(a) for _, _, a in sets)
    distinct = sum(len({x for x in a if x is not None}) for _, _, a in sets)
    with EquivPool(workers=workers, timeout_s=timeout) as pool:
        pool.check_many([(f"\\sqrt{{{i + 2}}}", f"\\sqrt{{{i + 2}}}+0") for i in range(2 * workers)])
        pool._cache.clear()
        verifier = MathEquivVerifier(pool)
        cold_caches()
        start = time.perf_counter()
        verifier.prepare([a for _, _, answers in sets for a in answers])
        prepared = time.perf_counter() - start
        fast = [cluster_answers(answers, verifier.same, verifier.key) for _, _, answers in sets]
        elapsed = time.perf_counter() - start
        worker_jobs = pool.stats["worker"]
    print(f"\nmaj@64 clustering, 500 problems x 64 answers ({n_answers} answers, {distinct} distinct per-problem strings):")
    print(f"  MathEquivVerifier (prepare + keys + same): {elapsed:.2f} s  (prepare {prepared:.2f} s, "
          f"{worker_jobs} worker jobs, {workers} workers)")
    with EquivPool(workers=workers, timeout_s=timeout) as pool:
        pool.check_many([(f"\\sqrt{{{i + 2}}}", f"\\sqrt{{{i + 2}}}+0") for i in range(2 * workers)])
        pool._cache.clear()
        cold_caches()
        start = time.perf_counter()
        plain = [cluster_answers(answers, lambda a, b: pool.check(a, b).equivalent, answer_key)
                 for _, _, answers in sets[:plain_problems]]
        elapsed_plain = time.perf_counter() - start
    same = sum(x == y for x, y in zip(fast, plain))
    print(f"  plain (string keys + one full check per comparison), first {plain_problems} problems: "
          f"{elapsed_plain:.2f} s (~{elapsed_plain * 500 / plain_problems:.1f} s for 500); "
          f"clusters identical on {same}/{plain_problems}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("HARNESS_SHARED_DATA") or REPO.parent / "shared" / "data"))
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3, help="runs of our verifier (best and median reported)")
    ap.add_argument("--show", type=int, default=15, help="disagreements to list")
    ap.add_argument("--plain-problems", type=int, default=100, help="problems for the plain clustering reference")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N pairs (smoke test)")
    args = ap.parse_args()

    pairs = load_pairs(args.data)[:args.limit]
    print(f"{len(pairs)} (gold, model output) pairs from {len(FILES)} files; {args.workers} workers, "
          f"timeout {args.timeout:g} s")
    mv_time, mv_verdicts, mv_answers = run_math_verify(pairs)
    ours_runs = [run_ours(pairs, args.workers, args.timeout) for _ in range(args.rounds)]
    ours_time = sorted(r[0] for r in ours_runs)
    _, ours_verdicts, ours_answers, stats = ours_runs[0]
    one_worker = run_ours(pairs, 1, args.timeout)[0]

    n = len(pairs)
    best, median = ours_time[0], ours_time[len(ours_time) // 2]
    print(f"\nmath-verify parse+verify : {mv_time:7.2f} s  {n / mv_time:8.1f} pairs/s")
    print(f"ours ({args.workers} workers, best)  : {best:7.2f} s  {n / best:8.1f} pairs/s  "
          f"(median of {args.rounds}: {median:.2f} s; in-process {stats['quick']}, cached {stats['cache']}, "
          f"worker {stats['worker']}, timeouts {stats['timeout']})")
    print(f"ours (1 worker)          : {one_worker:7.2f} s  {n / one_worker:8.1f} pairs/s")
    print(f"speed-up: {mv_time / best:.1f}x ({args.workers} workers), {mv_time / one_worker:.1f}x (1 worker)")

    agree = sum(a == b for a, b in zip(ours_verdicts, mv_verdicts))
    print(f"\nagreement: {agree}/{n} = {100 * agree / n:.1f}%  "
          f"(ours correct {sum(ours_verdicts)}, math-verify correct {sum(mv_verdicts)})")
    labels = [p["label"] for p in pairs]
    for name, v in (("ours", ours_verdicts), ("math-verify", mv_verdicts)):
        print(f"  {name} vs recorded labels: {sum(a == b for a, b in zip(v, labels))}/{n} agree")
    diffs = [i for i in range(n) if ours_verdicts[i] != mv_verdicts[i]]
    no_answer = sum(ours_answers[i] is None for i in diffs)
    print(f"\n{len(diffs)} disagreements ({no_answer} where our pipeline extracts no answer: a thought that "
          f"never closed, or no answer after it; math-verify takes one from anywhere in the text); "
          f"first {min(args.show, len(diffs))}:")
    for i in diffs[:args.show]:
        p = pairs[i]
        print(f"  {p['file'][:34]:34} {p['id']:12} gold={p['gold'][:28]!r:30} ours={ours_verdicts[i]!s:5} "
              f"({(ours_answers[i] or '')[:24]!r}) math-verify={mv_verdicts[i]!s:5} ({mv_answers[i][:24]!r})")

    time_majk(args.data, args.workers, args.timeout, args.plain_problems)
    return 0


if __name__ == "__main__":
    sys.exit(main())
