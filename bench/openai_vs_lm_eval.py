"""``--backend openai`` vs lm-eval's ``local-chat-completions`` against one vLLM server.

One real vLLM OpenAI server (started here on 127.0.0.1) serves the model; both clients
send the same GSM8K chat prompts (the harness' own R1-protocol prompts) greedily with
the same max_tokens and the same concurrency, alternating, in one run:

* lm-eval: ``LocalChatCompletion(num_concurrent=C).generate_until`` on those prompts;
* harness backend: ``OpenAIBackend(concurrency=C).generate`` on the same requests;
* harness eval: the whole ``run_eval`` (data, prompts, backend, scoring, fsync'd writes).

Greedy decoding makes both clients ask the server for the same work (the script checks
that the texts agree), so the wall times compare the clients. Medians are printed with
the ratio lm-eval / harness (> 1 means the harness is faster).

    .venv/bin/python bench/openai_vs_lm_eval.py                       # SmolLM2-135M-Instruct
    .venv/bin/python bench/openai_vs_lm_eval.py --model tiny --prompts 256
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def build_requests(limit: int, max_tokens: int):
    """Exactly the requests ``harness eval`` sends (its prompts, seeds and order)."""
    from harness.runner import EvalConfig, pending_requests, plan_tasks

    cfg = EvalConfig(model="m", backend="openai", tasks=["gsm8k"], output=Path("unused"), limit=limit, n=1,
                     temperature=0.0, top_p=1.0, max_tokens=max_tokens, data_dir=str(DATA))
    return pending_requests(plan_tasks(cfg, default_n=lambda t: None), set(), cfg.seed)


def run_lm_eval(base_url: str, model: str, reqs, concurrency: int, max_tokens: int) -> tuple[float, list[str]]:
    from lm_eval.api.instance import Instance
    from lm_eval.models.api_models import JsonChatStr
    from lm_eval.models.openai_completions import LocalChatCompletion

    lm = LocalChatCompletion(base_url=f"{base_url}/chat/completions", model=model, num_concurrent=concurrency,
                             max_retries=3, tokenized_requests=False, max_gen_toks=max_tokens)
    gen_kwargs = {"until": [], "max_gen_toks": max_tokens, "temperature": 0, "do_sample": False}
    instances = [Instance(request_type="generate_until", doc={}, arguments=(JsonChatStr(json.dumps(list(r.messages))), dict(gen_kwargs)),
                          idx=0) for r in reqs]
    t = time.perf_counter()
    texts = lm.generate_until(instances, disable_tqdm=True)
    return time.perf_counter() - t, texts


def run_backend(base_url: str, model: str, reqs, concurrency: int) -> tuple[float, list[str]]:
    from harness.backends.openai_backend import OpenAIBackend

    backend = OpenAIBackend(model, base_url=base_url, concurrency=concurrency)
    t = time.perf_counter()
    out = {req.key: gens[0].text for req, gens in backend.generate(reqs)}
    elapsed = time.perf_counter() - t
    backend.close()
    return elapsed, [out[r.key] for r in reqs]


def run_harness(base_url: str, model: str, limit: int, concurrency: int, max_tokens: int, out: Path) -> float:
    from harness.runner import EvalConfig, run_eval

    cfg = EvalConfig(model=model, backend="openai", tasks=["gsm8k"], output=out, limit=limit, n=1, temperature=0.0,
                     top_p=1.0, max_tokens=max_tokens, data_dir=str(DATA),
                     model_args={"base_url": base_url, "concurrency": concurrency}, progress=False)
    t = time.perf_counter()
    run_eval(cfg, log=lambda m: None)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2", help="smollm2 | tiny | a local model folder")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not (DATA / "PROVENANCE.md").is_file():
        sys.exit(f"benchmark data not found at {DATA}: put shared/data beside the repo")
    from harness.local_models import resolve_local_model
    from harness.local_server import start_vllm_server

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = resolve_local_model(args.model, tmp)
        reqs = build_requests(args.prompts, args.max_tokens)
        server = start_vllm_server(model, tmp / "server.log", max_model_len=2048)
        times = {"lm-eval local-chat-completions": [], "harness OpenAIBackend": [], "harness eval (run_eval)": []}
        try:
            run_lm_eval(server.base_url, model, reqs[:8], args.concurrency, args.max_tokens)
            run_backend(server.base_url, model, reqs[:8], args.concurrency)
            for i in range(args.rounds):
                t_lm, lm_texts = run_lm_eval(server.base_url, model, reqs, args.concurrency, args.max_tokens)
                t_be, be_texts = run_backend(server.base_url, model, reqs, args.concurrency)
                t_ev = run_harness(server.base_url, model, len(reqs), args.concurrency, args.max_tokens, tmp / f"run{i}")
                times["lm-eval local-chat-completions"].append(t_lm)
                times["harness OpenAIBackend"].append(t_be)
                times["harness eval (run_eval)"].append(t_ev)
                same = sum(a == b for a, b in zip(lm_texts, be_texts))
        finally:
            server.stop()
    lm_median = statistics.median(times["lm-eval local-chat-completions"])
    print(f"model {args.model}, {len(reqs)} GSM8K chat prompts, greedy, max_tokens {args.max_tokens}, "
          f"concurrency {args.concurrency}, {args.rounds} rounds; identical texts: {same}/{len(reqs)}")
    print(f"{'client':32} {'median s':>9}  runs                    {'lm-eval / this':>14}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:32} {m:9.2f}  {', '.join(f'{t:.2f}' for t in ts):22}  {lm_median / m:14.3f}")


if __name__ == "__main__":
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
