"""Overhead of ``harness eval --backend vllm`` over a bare ``vllm.LLM`` call, in one process.

Both sides run the same GSM8K prompts (the harness' own chat prompts) with the same
sampling on the same, already started engine, so engine start is excluded from both:

* harness: ``harness.runner.run_eval`` (what ``harness eval`` calls) into a fresh output
  directory; the runner's ``build_backend`` is pointed at the started engine. Everything
  else is timed: task and data loading, manifest, the answer-checking worker pool,
  rendering, generation, scoring, ``samples.jsonl`` writes with fsync, results.
* bare: one ``LLM.chat`` call (vLLM renders the chat template and runs
  ``LLM.generate``'s engine loop) with a ``vllm.SamplingParams`` per prompt equal to
  what the backend sends: n, temperature, top_p, top_k off, max_tokens, the request seed.

The prefix cache is reset before every timed run, one untimed warm-up run of each side
comes first, and the sides alternate (bare, harness, harness, bare, ...) so drift
cancels; medians and best runs are compared. The outputs of the two sides are checked
to be identical, so both did the same work. The backend's weights fingerprint (for the
manifest) is computed once per engine, like engine start, so the warm-up pays it.

    .venv/bin/python bench/vllm_overhead.py                 # SmolLM2-135M-Instruct
    .venv/bin/python bench/vllm_overhead.py --model tiny    # the tiny random Llama

CPU settings (set here unless already in the environment): ``VLLM_CPU_KVCACHE_SPACE=1``,
``VLLM_ENABLE_V1_MULTIPROCESSING=0``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]


class SharedEngine:
    """The started backend, handed to the runner; the runner's ``close`` is ignored so
    the next round reuses the engine."""

    def __init__(self, backend):
        self.backend = backend
        self.name = backend.name

    def describe(self):
        return self.backend.describe()

    def generate(self, requests):
        return self.backend.generate(requests)

    def close(self):
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2", help="smollm2 | tiny | a model folder (default smollm2)")
    ap.add_argument("--prompts", type=int, default=64, help="GSM8K problems (default 64)")
    ap.add_argument("-n", type=int, default=2, help="samples per problem (default 2)")
    ap.add_argument("--max-tokens", type=int, default=64, help="default 64")
    ap.add_argument("--rounds", type=int, default=2, help="timed runs per side (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("HARNESS_SHARED_DATA") or str(REPO.parent / "shared" / "data"))
    args = ap.parse_args()

    import vllm

    import harness.runner as runner
    from harness.backends.vllm_backend import VLLMBackend
    from harness.testing.local_models import resolve_local_model
    from harness.store import iter_samples

    work = Path(tempfile.mkdtemp(prefix="vllm-overhead-"))
    model = resolve_local_model(args.model, work)
    cfg_base = dict(model=model, backend="vllm", tasks=["gsm8k"], n=args.n, limit=args.prompts, seed=args.seed,
                    max_tokens=args.max_tokens, data_dir=args.data_dir, progress=False)

    # The exact requests the runner will send (same planning code, same seeds).
    plans = runner.plan_tasks(runner.EvalConfig(output=work / "plan", **cfg_base), default_n=lambda t: None)
    requests = runner.pending_requests(plans, set(), args.seed)
    conversations = [list(r.messages) for r in requests]

    start = time.perf_counter()
    backend = VLLMBackend(model)
    engine_start = time.perf_counter() - start
    llm = backend.llm
    runner.build_backend = lambda cfg: SharedEngine(backend)

    def bare_params():
        return [vllm.SamplingParams(n=r.n, temperature=r.params.temperature, top_p=r.params.top_p, top_k=0,
                                    max_tokens=r.params.max_tokens, seed=r.seed) for r in requests]

    def run_bare():
        llm.reset_prefix_cache()
        params = bare_params()
        t = time.perf_counter()
        outputs = llm.chat(conversations, params, use_tqdm=False)
        elapsed = time.perf_counter() - t
        return elapsed, {(r.key[1], c.index): c.text for r, o in zip(requests, outputs) for c in o.outputs}

    def run_harness(i):
        llm.reset_prefix_cache()
        out = work / f"run-{i}"
        cfg = runner.EvalConfig(output=out, **cfg_base)
        t = time.perf_counter()
        runner.run_eval(cfg, log=lambda msg: None)
        elapsed = time.perf_counter() - t
        return elapsed, {(row["doc_id"], row["sample"]): row["output"] for row in iter_samples(out)}

    # Warm-up (untimed): first forward passes, worker pool code paths, imports.
    llm.chat(conversations[:2], bare_params()[:2], use_tqdm=False)
    runner.run_eval(runner.EvalConfig(output=work / "warmup", **{**cfg_base, "limit": 2}), log=lambda msg: None)

    bare_times, harness_times, same = [], [], True
    reference = None
    for i in range(args.rounds):
        order = ("bare", "harness") if i % 2 == 0 else ("harness", "bare")
        for side in order:
            elapsed, outputs = run_bare() if side == "bare" else run_harness(i)
            (bare_times if side == "bare" else harness_times).append(elapsed)
            reference = reference or outputs
            same = same and outputs == reference
            print(f"round {i + 1} {side:8s} {elapsed:8.2f} s", file=sys.stderr)
    backend.close()

    bare, harness = statistics.median(bare_times), statistics.median(harness_times)
    samples = len(requests) * args.n
    print(f"model {model}: {len(requests)} GSM8K prompts x n={args.n}, max_tokens {args.max_tokens}, "
          f"temperature {requests[0].params.temperature}, top_p {requests[0].params.top_p}; "
          f"vLLM {vllm.__version__}; engine start {engine_start:.1f} s (excluded from both sides)")
    print(f"bare LLM.chat        median {bare:8.2f} s  runs {', '.join(f'{t:.2f}' for t in bare_times)}")
    print(f"harness eval (vllm)  median {harness:8.2f} s  runs {', '.join(f'{t:.2f}' for t in harness_times)}")
    print(f"ratio harness/bare   {harness / bare:.3f} of medians, {min(harness_times) / min(bare_times):.3f} of best runs"
          f"  (target <= 1.05); {samples} samples; identical outputs: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
