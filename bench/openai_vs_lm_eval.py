"""``--backend openai`` vs lm-eval's ``local-chat-completions`` against one vLLM server.

One real vLLM OpenAI server (started here on 127.0.0.1) serves the model; both clients
send the same GSM8K chat prompts (the harness' own R1-protocol prompts) greedily with
the same max_tokens and the same concurrency, alternating, in one run:

* lm-eval: ``LocalChatCompletion(num_concurrent=C).generate_until`` on those prompts;
* harness backend: ``OpenAIBackend(concurrency=C).generate`` on the same requests;
* harness eval: the whole ``run_eval`` (data, prompts, backend, scoring, fsync'd writes).

Greedy decoding makes both clients ask the server for the same work (the script checks
that the texts agree every round, and prints the server's engine-step count per run from
its ``/metrics``), so the wall times compare the clients. An untimed warm-up round of
all three comes first (imports, first-use costs, every prompt in the server's prefix
cache); then each round runs the three in a rotated order, so each client is first,
second and third once in three rounds. Every round is printed with its ratios
lm-eval / harness (> 1 means the harness is faster), then the medians. The server, the
clients and the answer checking share the machine's cores: check the load average
printed with each round.

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


def engine_steps(base_url: str) -> float | None:
    """The server's engine-step count (``vllm:iteration_tokens_total`` histogram count) from
    ``/metrics``: the same count for two runs means the server did the same batching work."""
    import urllib.request

    try:
        text = urllib.request.urlopen(base_url.rsplit("/v1", 1)[0] + "/metrics", timeout=10).read().decode()
    except OSError:
        return None
    total = None
    for line in text.splitlines():
        if line.startswith("vllm:iteration_tokens_total_count"):
            total = (total or 0.0) + float(line.rsplit(" ", 1)[1])
    return total


CLIENTS = ("lm-eval", "backend", "eval")
LABELS = {"lm-eval": "lm-eval local-chat-completions", "backend": "harness OpenAIBackend",
          "eval": "harness eval (run_eval)"}


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
    from harness.testing.local_models import resolve_local_model
    from harness.testing.local_server import start_vllm_server

    rounds: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = resolve_local_model(args.model, tmp)
        reqs = build_requests(args.prompts, args.max_tokens)
        server = start_vllm_server(model, tmp / "server.log", max_model_len=2048)
        url = server.base_url

        def run(client: str, tag: str) -> tuple[float, list[str] | None]:
            if client == "lm-eval":
                return run_lm_eval(url, model, reqs, args.concurrency, args.max_tokens)
            if client == "backend":
                return run_backend(url, model, reqs, args.concurrency)
            return run_harness(url, model, len(reqs), args.concurrency, args.max_tokens, tmp / f"run-{tag}"), None

        try:
            # Untimed warm-up round: imports, each client's first-use costs, and every prompt
            # in the server's prefix cache, so no timed run pays for a cold cache.
            for client in CLIENTS:
                run(client, "warm-up")
            for i in range(args.rounds):
                order = CLIENTS[i % 3:] + CLIENTS[:i % 3]  # each client in each position once per 3 rounds
                r: dict = {"order": order, "load": os.getloadavg()[0], "s": {}, "steps": {}}
                texts = {}
                for client in order:
                    before = engine_steps(url)
                    r["s"][client], texts[client] = run(client, str(i))
                    after = engine_steps(url)
                    r["steps"][client] = None if before is None or after is None else after - before
                r["same"] = sum(a == b for a, b in zip(texts["lm-eval"], texts["backend"]))
                rounds.append(r)
                print(f"round {i + 1}: " + ", ".join(f"{c} {r['s'][c]:.2f} s ({r['steps'][c]:.0f} steps)"
                                                     if r["steps"][c] is not None else f"{c} {r['s'][c]:.2f} s"
                                                     for c in order) + f"; load {r['load']:.2f}", file=sys.stderr,
                      flush=True)
        finally:
            server.stop()
    same = ", ".join(f"{r['same']}/{len(reqs)}" for r in rounds)
    loads = ", ".join(f"{r['load']:.2f}" for r in rounds)
    print(f"model {args.model}, {len(reqs)} GSM8K chat prompts, greedy, max_tokens {args.max_tokens}, concurrency "
          f"{args.concurrency}, {args.rounds} rounds after a warm-up round; identical texts (lm-eval vs backend) per "
          f"round: {same}; load average (1 min) at each round's start: {loads}")
    print(f"{'round':>5}  {'order':24} {'lm-eval s':>9} {'backend s':>9} {'eval s':>9}  {'lm/backend':>10} {'lm/eval':>8}"
          f"  {'engine steps lm/backend/eval':>28}")
    for i, r in enumerate(rounds, 1):
        s, st = r["s"], r["steps"]
        steps = "/".join("?" if st[c] is None else f"{st[c]:.0f}" for c in CLIENTS)
        print(f"{i:>5}  {' > '.join(r['order']):24} {s['lm-eval']:9.2f} {s['backend']:9.2f} {s['eval']:9.2f}  "
              f"{s['lm-eval'] / s['backend']:10.3f} {s['lm-eval'] / s['eval']:8.3f}  {steps:>28}")
    med = {c: statistics.median(r["s"][c] for r in rounds) for c in CLIENTS}
    print(f"{'med':>5}  {'':24} {med['lm-eval']:9.2f} {med['backend']:9.2f} {med['eval']:9.2f}  "
          f"{med['lm-eval'] / med['backend']:10.3f} {med['lm-eval'] / med['eval']:8.3f}")
    print("ratios are lm-eval's time / the harness' time in the same round (> 1: the harness is faster); "
          f"lowest: backend {min(r['s']['lm-eval'] / r['s']['backend'] for r in rounds):.3f}, "
          f"eval {min(r['s']['lm-eval'] / r['s']['eval'] for r in rounds):.3f}")


if __name__ == "__main__":
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
