"""Client overhead of ``--backend openai`` against a server that answers instantly.

A local aiohttp server (its own process, so it does not share the client's GIL) answers
every chat completion at once with a fixed boxed answer. Three clients send the same
GSM8K chat prompts (the harness' own) at the same concurrency, measured in one run:

* bare: a minimal aiohttp loop (semaphore, POST, parse JSON): the floor;
* backend: ``OpenAIBackend.generate`` (bounded concurrency, retry bookkeeping, parsing);
* harness eval: ``harness.runner.run_eval`` end to end (data, prompts, backend, scoring,
  ``samples.jsonl`` writes with fsync, results) into a fresh run directory.

Each side runs ``--rounds`` times, alternating, and the medians are compared.

    .venv/bin/python bench/openai_client.py --requests 1319 --concurrency 64
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

SERVER = r'''
import json, sys
from aiohttp import web

async def chat(request):
    body = await request.json()
    n = body.get("n", 1)
    choices = [{"index": i, "message": {"role": "assistant", "content": "So the answer is \\boxed{42}."},
                "finish_reason": "stop"} for i in range(n)]
    return web.json_response({"id": "x", "object": "chat.completion", "model": body["model"], "choices": choices,
                              "usage": {"prompt_tokens": 50, "completion_tokens": 8 * n, "total_tokens": 50 + 8 * n}})

async def models(request):
    return web.json_response({"object": "list", "data": [{"id": "instant", "object": "model"}]})

app = web.Application()
app.router.add_post("/v1/chat/completions", chat)
app.router.add_get("/v1/models", models)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/models", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("instant server did not start")


def build_requests(limit: int):
    from harness.backends.base import GenerationRequest, SamplingParams
    from harness.registry import get_tasks
    from harness.runner import derive_seed
    from harness.task import PromptChoice, render_prompt

    (task,) = get_tasks(["gsm8k"])
    docs, _, _ = task.load_docs(DATA)
    params = SamplingParams(temperature=0.6, top_p=0.95, max_tokens=64)
    reqs = []
    for doc in docs[:limit]:
        messages, _ = render_prompt(task, doc, PromptChoice())
        reqs.append(GenerationRequest(key=("gsm8k", doc.id), n=1, params=params, seed=derive_seed(0, "gsm8k", doc.id),
                                      messages=messages))
    return reqs


async def _bare(base: str, reqs, concurrency: int) -> int:
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:
        async def one(r):
            async with sem:
                body = {"model": "instant", "messages": list(r.messages), "temperature": r.params.temperature,
                        "top_p": r.params.top_p, "max_tokens": r.params.max_tokens, "seed": r.seed}
                async with session.post(base + "/chat/completions", json=body) as resp:
                    data = await resp.json()
                    return data["choices"][0]["message"]["content"]

        outs = await asyncio.gather(*(one(r) for r in reqs))
    return len(outs)


def run_bare(base, reqs, concurrency) -> float:
    t = time.perf_counter()
    assert asyncio.run(_bare(base, reqs, concurrency)) == len(reqs)
    return time.perf_counter() - t


def run_backend(base, reqs, concurrency) -> float:
    from harness.backends.openai_backend import OpenAIBackend

    backend = OpenAIBackend("instant", base_url=base, concurrency=concurrency)
    t = time.perf_counter()
    got = sum(1 for _ in backend.generate(reqs))
    elapsed = time.perf_counter() - t
    backend.close()
    assert got == len(reqs)
    return elapsed


def run_harness(base, limit, concurrency, workdir: Path, round_no: int) -> float:
    from harness.runner import EvalConfig, run_eval

    cfg = EvalConfig(model="instant", backend="openai", tasks=["gsm8k"], output=workdir / f"run{round_no}", limit=limit,
                     n=1, data_dir=str(DATA), max_tokens=64, model_args={"base_url": base, "concurrency": concurrency},
                     progress=False)
    t = time.perf_counter()
    results = run_eval(cfg, log=lambda m: None)
    elapsed = time.perf_counter() - t
    assert results["counts"]["gsm8k"]["samples"] == limit
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1319)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not (DATA / "PROVENANCE.md").is_file():
        sys.exit(f"benchmark data not found at {DATA}: put shared/data beside the repo")
    reqs = build_requests(args.requests)
    proc, base = start_server()
    times = {"bare aiohttp loop": [], "OpenAIBackend.generate": [], "harness eval (run_eval)": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_bare(base, reqs[:50], args.concurrency)  # warm-up: connections, imports
            run_backend(base, reqs[:50], args.concurrency)
            for i in range(args.rounds):
                times["bare aiohttp loop"].append(run_bare(base, reqs, args.concurrency))
                times["OpenAIBackend.generate"].append(run_backend(base, reqs, args.concurrency))
                times["harness eval (run_eval)"].append(run_harness(base, len(reqs), args.concurrency, Path(tmp), i))
    finally:
        proc.terminate()
        proc.wait()
    n = len(reqs)
    floor = statistics.median(times["bare aiohttp loop"])
    print(f"{n} chat requests, concurrency {args.concurrency}, instant local server, {args.rounds} rounds (median)")
    print(f"{'client':28} {'wall s':>8} {'req/s':>8} {'us/req':>8} {'vs bare':>8}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:28} {m:8.3f} {n / m:8.0f} {1e6 * m / n:8.0f} {m / floor:8.2f}")
    print(json.dumps({k: statistics.median(v) for k, v in times.items()}))


if __name__ == "__main__":
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    main()
