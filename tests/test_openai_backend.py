"""The OpenAI-compatible backend against fake servers on 127.0.0.1 (no vLLM needed).

``FakeOpenAI`` answers ``/v1/chat/completions``, ``/v1/completions`` and ``/v1/models``
deterministically: choice ``i`` of a request with seed ``s`` is derived from (prompt, s, i).
It can ignore ``n``, inject 429 / 500 / dropped connections per request, and, run as a
subprocess (``python tests/test_openai_backend.py serve ...``), kill itself mid-run.
Every server stops by itself (a lifetime bound) and only listens on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

MODEL = "fake/reasoner-1.5b"
SERVER_LIFETIME_S = 120


def fake_choice(prompt_key: str, seed: int, index: int) -> dict:
    """Deterministic thinking, answer and finish reason for one choice."""
    h = hashlib.sha256(f"{prompt_key}\x00{seed}\x00{index}".encode()).hexdigest()
    value = int(h[:6], 16) % 5
    return {
        "thinking": f"Let me think about it ({h[:10]}).",
        "answer": f"The answer is \\boxed{{{value}}}.",
        "finish_reason": "length" if int(h[6:8], 16) % 4 == 0 else "stop",
    }


FAULT_PLANS = (("429", "ok"), ("500", "drop_mid", "ok"), ("drop_before", "429_retry_after", "ok"), ("ok",))


class FakeOpenAI:
    """A small OpenAI-compatible server. ``reasoning_field``: where thinking goes
    (``reasoning_content``, ``reasoning``, or None: inline ``<think>`` in content)."""

    def __init__(self, *, honour_n=True, reasoning_field="reasoning_content", faults=False, port=0,
                 die_after=None, delay_s=0.0, reject=None):
        self.honour_n = honour_n
        self.reasoning_field = reasoning_field
        self.faults = faults
        self.port = port
        self.die_after = die_after  # subprocess mode: exit abruptly on POST number die_after + 1
        self.delay_s = delay_s
        self.reject = reject  # (status, message) for every POST
        self.posts: list[dict] = []  # {"path", "body", "auth"}
        self.auth_seen: list[str | None] = []
        self.fault_counts: dict[str, int] = {}
        self.attempts: dict[str, int] = {}
        self.plans: dict[str, tuple[str, ...]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop = None
        self._thread = None

    # --- handlers ---

    def _app(self):
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/v1/completions", self._complete)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request):
        from aiohttp import web

        self.auth_seen.append(request.headers.get("Authorization"))
        return web.json_response({"object": "list", "data": [
            {"id": MODEL, "object": "model", "owned_by": "vllm", "root": "/models/reasoner", "max_model_len": 4096}]})

    async def _complete(self, request):
        from aiohttp import web

        body = await request.json()
        auth = request.headers.get("Authorization")
        self.auth_seen.append(auth)
        self.posts.append({"path": request.path, "body": body, "auth": auth})
        if self.die_after is not None and len(self.posts) > self.die_after:
            os._exit(17)  # killed mid-run: open connections reset, later ones refused
        if self.reject:
            status, message = self.reject
            return web.json_response({"error": {"message": message.replace("{auth}", str(auth)), "code": status}},
                                     status=status)
        if self.faults:
            # the k-th distinct request gets plan k % 4: faults on its first attempts, then success
            key = json.dumps(body, sort_keys=True)
            plan = self.plans.setdefault(key, FAULT_PLANS[len(self.plans) % len(FAULT_PLANS)])
            attempt = self.attempts.get(key, 0)
            self.attempts[key] = attempt + 1
            action = plan[min(attempt, len(plan) - 1)]
            if action != "ok":
                self.fault_counts[action] = self.fault_counts.get(action, 0) + 1
                return await self._fault(request, action)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            delay = self.delay_s(body) if callable(self.delay_s) else self.delay_s
            if delay:
                await asyncio.sleep(delay)
            return web.json_response(self._response(request.path, body))
        finally:
            self.in_flight -= 1

    async def _fault(self, request, action):
        from aiohttp import web

        if action == "429":
            return web.json_response({"error": {"message": "rate limited"}}, status=429)
        if action == "429_retry_after":
            return web.json_response({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "0"})
        if action == "500":
            return web.json_response({"object": "error", "message": "engine hiccup", "code": 500}, status=500)
        if action == "drop_before":
            request.transport.abort()
            raise web.HTTPInternalServerError()  # never reaches the client
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})  # drop_mid
        resp.content_length = 4000
        await resp.prepare(request)
        await resp.write(b'{"id": "cmpl-1", "choices": [{"index": 0, "mess')
        request.transport.abort()
        return resp

    def _response(self, path: str, body: dict) -> dict:
        chat = path.endswith("chat/completions")
        prompt_key = json.dumps(body["messages"], sort_keys=True) if chat else body["prompt"]
        n = body.get("n", 1) if self.honour_n else 1
        choices, completion_tokens = [], 0
        for i in range(n):
            c = fake_choice(prompt_key, body["seed"], i)
            completion_tokens += len(c["thinking"].split()) + len(c["answer"].split())
            if not chat:
                choices.append({"index": i, "text": f"<think>{c['thinking']}</think>{c['answer']}",
                                "finish_reason": c["finish_reason"]})
                continue
            message = {"role": "assistant", "content": c["answer"]}
            if self.reasoning_field:
                message[self.reasoning_field] = c["thinking"]
            else:
                message["content"] = f"<think>{c['thinking']}</think>{c['answer']}"
            choices.append({"index": i, "message": message, "finish_reason": c["finish_reason"]})
        return {"id": "cmpl-fake", "object": "chat.completion" if chat else "text_completion", "model": body["model"],
                "choices": choices[::-1],  # out of order on purpose: the client sorts by index
                "usage": {"prompt_tokens": len(prompt_key.split()), "completion_tokens": completion_tokens,
                          "total_tokens": len(prompt_key.split()) + completion_tokens}}

    # --- running ---

    async def _serve(self, ready: threading.Event | None = None):
        from aiohttp import web

        runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._stop = asyncio.Event()
        if ready:
            ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), SERVER_LIFETIME_S)
        except TimeoutError:
            pass
        await runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(ready),), daemon=True)
        self._thread.start()
        assert ready.wait(10), "fake server did not start"
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()


def serve_main(argv: list[str]) -> None:
    """Subprocess mode: print the port, serve until killed, ``--die-after`` or the lifetime."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--die-after", type=int)
    args = p.parse_args(argv)
    server = FakeOpenAI(port=args.port, die_after=args.die_after)

    async def run():
        ready = threading.Event()
        task = asyncio.ensure_future(server._serve(ready))
        while not ready.is_set():
            await asyncio.sleep(0.01)
        print(server.port, flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve_main(sys.argv[2:])
        sys.exit(0)

# --- tests -------------------------------------------------------------------------------

import pytest  # noqa: E402

from harness.backends.base import GenerationRequest, SamplingParams  # noqa: E402
from harness.backends.openai_backend import BackendError, OpenAIBackend  # noqa: E402
from harness.cli import main  # noqa: E402
from harness.errors import UsageError  # noqa: E402

FAST = {"backoff_base_s": 0.001, "backoff_max_s": 0.01}
DOCS = 6


@pytest.fixture
def data_dir(tmp_path) -> Path:
    d = tmp_path / "data" / "amc23"
    d.mkdir(parents=True)
    d.joinpath("test.jsonl").write_text(
        "".join(json.dumps({"id": f"amc23-{i}", "problem": f"What is {i} + {i % 3}?", "answer": str(i % 5)}) + "\n"
                for i in range(DOCS)))
    return d.parent


def chat_request(i: int, n: int = 3, temperature: float = 0.6, stop=()) -> GenerationRequest:
    return GenerationRequest(key=("t", f"doc-{i}"), n=n, seed=1000 + i, messages=({"role": "user", "content": f"problem {i}"},),
                             params=SamplingParams(temperature=temperature, top_p=0.95, max_tokens=64, stop=tuple(stop)))


def run_all(backend, requests) -> dict:
    try:
        return {req.key: gens for req, gens in backend.generate(requests)}
    finally:
        backend.close()


def eval_args(url_or_urls, data_dir, out, *, n=2, **model_args) -> list[str]:
    margs = {"base_url": url_or_urls, "max_retries": 6, "concurrency": 4, **FAST, **model_args}
    return ["eval", "--backend", "openai", "--model", MODEL, "--model-args", json.dumps(margs), "--tasks", "amc23",
            "--data-dir", str(data_dir), "-n", str(n), "--seed", "3", "--output", str(out), "--workers", "1", "--no-progress"]


def rows(run_dir: Path) -> dict:
    out = {}
    for line in (run_dir / "samples.jsonl").read_text().splitlines():
        r = json.loads(line)
        key = (r["task"], r["doc_id"], r["sample"])
        assert key not in out, f"duplicate row {key}"
        # latency and time vary; the config id names the server URL, which differs between compared runs
        out[key] = {k: v for k, v in r.items() if k not in ("latency_s", "config", "generated_at")}
    return out


# --- field mapping, n, fan-out ---


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_chat_fields_native_n_and_usage(monkeypatch, field):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI(reasoning_field=field) as srv:
        got = run_all(OpenAIBackend(MODEL, base_url=srv.url + "/"), [chat_request(i, stop=["\n\n"]) for i in range(4)])
    assert len(got) == 4 and len(srv.posts) == 4
    for post in srv.posts:
        b = post["body"]
        assert post["path"] == "/v1/chat/completions" and post["auth"] is None
        assert b["model"] == MODEL and b["n"] == 3 and b["temperature"] == 0.6 and b["top_p"] == 0.95
        assert b["max_tokens"] == 64 and b["stop"] == ["\n\n"] and "stream" not in b
        i = int(b["messages"][0]["content"].split()[-1])
        assert b["seed"] == 1000 + i and b["messages"] == [{"role": "user", "content": f"problem {i}"}]
    for i in range(4):
        gens = got[("t", f"doc-{i}")]
        key = json.dumps([{"role": "user", "content": f"problem {i}"}], sort_keys=True)
        assert [g.extra["sample"] for g in gens] == [0, 1, 2]
        for j, g in enumerate(gens):
            want = fake_choice(key, 1000 + i, j)
            assert (g.text, g.thinking, g.finish_reason) == (want["answer"], want["thinking"], want["finish_reason"])
            assert g.prompt_text is None and g.prompt_tokens == len(key.split()) and g.latency_s > 0
        # usage covers all 3 choices: the total goes on the first sample, the others are unknown
        total = sum(len(c["thinking"].split()) + len(c["answer"].split())
                    for c in (fake_choice(key, 1000 + i, j) for j in range(3)))
        assert [g.completion_tokens for g in gens] == [total, None, None]


def test_completions_greedy_and_inline_thinking(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    raw = GenerationRequest(key=("t", "raw"), n=2, seed=7, prompt="Q: 1+1?\nA:", params=SamplingParams(0.7, 1.0, 32, ("Q:",)))
    greedy = chat_request(9, n=4, temperature=0.0)
    with FakeOpenAI(reasoning_field=None) as srv:
        got = run_all(OpenAIBackend(MODEL, base_url=srv.url), [raw, greedy])
    by_path = {p["path"]: p["body"] for p in srv.posts}
    assert len(srv.posts) == 2 and by_path["/v1/completions"]["prompt"] == "Q: 1+1?\nA:"
    assert by_path["/v1/completions"]["stop"] == ["Q:"] and by_path["/v1/completions"]["n"] == 2
    assert "n" not in by_path["/v1/chat/completions"]  # greedy: one sample, copied
    r = got[("t", "raw")]
    want = fake_choice("Q: 1+1?\nA:", 7, 1)
    assert r[1].text == f"<think>{want['thinking']}</think>{want['answer']}" and r[1].thinking is None
    assert r[1].prompt_text == "Q: 1+1?\nA:"
    g = got[("t", "doc-9")]
    assert len(g) == 4 and len({x.text for x in g}) == 1 and g[0].text.startswith("<think>") and g[0].thinking is None
    assert [x.extra["sample"] for x in g] == [0, 1, 2, 3] and g[3].completion_tokens == g[0].completion_tokens


def test_fan_out_when_server_ignores_n(monkeypatch, caplog):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI(honour_n=False) as srv:
        got = run_all(OpenAIBackend(MODEL, base_url=srv.url, concurrency=1), [chat_request(0, n=4), chat_request(1, n=4)])
    bodies = [p["body"] for p in srv.posts]
    # first request: n=4 answered with 1 choice, then 3 separate n=1 calls with seeds +1..+3;
    # second request: the server is known to cap n, so 4 n=1 calls straight away
    assert [b.get("n", 1) for b in bodies] == [4, 1, 1, 1, 1, 1, 1, 1]
    assert sorted(b["seed"] for b in bodies[:4]) == [1000, 1001, 1002, 1003]
    assert sorted(b["seed"] for b in bodies[4:]) == [1001, 1002, 1003, 1004]
    assert "ignores n" in caplog.text
    for i in range(2):
        key = json.dumps([{"role": "user", "content": f"problem {i}"}], sort_keys=True)
        gens = got[("t", f"doc-{i}")]
        assert [g.text for g in gens] == [fake_choice(key, 1000 + i + j, 0)["answer"] for j in range(4)]
        assert all(g.completion_tokens is not None for g in gens)  # one choice per call: exact counts


def test_concurrency_is_bounded_and_input_is_pulled_lazily(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pulled = []

    def requests():
        for i in range(24):
            pulled.append(i)
            yield chat_request(i, n=1)

    with FakeOpenAI(delay_s=0.03) as srv:
        backend = OpenAIBackend(MODEL, base_url=srv.url, concurrency=3)
        it = backend.generate(requests())
        next(it)
        time.sleep(0.3)  # the consumer dawdles: the backend must not run ahead unboundedly
        assert len(pulled) <= 1 + 3 + 3
        rest = list(it)
        backend.close()
    assert len(rest) == 23 and len(pulled) == 24
    assert 2 <= srv.max_in_flight <= 3
    with FakeOpenAI(delay_s=0.03, honour_n=False) as srv:  # fan-out calls count against the bound too
        got = run_all(OpenAIBackend(MODEL, base_url=srv.url, concurrency=3), [chat_request(i, n=4) for i in range(4)])
    assert len(got) == 4 and len(srv.posts) == 16 and 2 <= srv.max_in_flight <= 3


def test_stopping_early_cancels_what_is_in_flight(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    before = threading.active_count()
    with FakeOpenAI(delay_s=lambda body: 0.02 if body["seed"] == 1000 else 5.0) as srv:
        backend = OpenAIBackend(MODEL, base_url=srv.url, concurrency=4)
        it = backend.generate([chat_request(i, n=1) for i in range(8)])
        req, _ = next(it)
        start = time.monotonic()
        it.close()
        assert time.monotonic() - start < 1.0 and req.key == ("t", "doc-0")
        assert threading.active_count() == before + 1  # only the server's thread is left
    assert len(srv.posts) <= 5  # 4 in flight, one admitted when the first finished: nothing more


def test_two_servers_share_the_load_and_a_dead_one_is_avoided(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with FakeOpenAI(delay_s=0.01) as a, FakeOpenAI(delay_s=0.01) as b:
        got = run_all(OpenAIBackend(MODEL, base_url=[a.url, b.url], concurrency=4), [chat_request(i, n=2) for i in range(20)])
        assert len(got) == 20 and len(a.posts) + len(b.posts) == 20
        assert min(len(a.posts), len(b.posts)) >= 6
        backend = OpenAIBackend(MODEL, base_url=[dead, a.url], concurrency=2, max_retries=3, backoff_base_s=0.001,
                                backoff_max_s=1)
        got = run_all(backend, [chat_request(i, n=1) for i in range(60)])
    assert len(got) == 60
    dead_server = backend.servers[0]
    # tried, then avoided for growing spells (without that it would draw about every other call)
    assert dead_server.calls == 0 and 3 <= dead_server.failures <= 12
    # describe() survives a dead fleet member, and a server without /models
    with FakeOpenAI() as a:
        info = OpenAIBackend(MODEL, base_url=[dead, a.url, a.url + "/elsewhere"], max_retries=1, **FAST).describe()
    assert "unreachable after 1 retry (connection refused)" in info["servers"][0]["error"]
    assert info["servers"][1]["model"]["max_model_len"] == 4096 and info["servers"][2]["model"] is None


# --- retries and errors ---


def test_4xx_fails_at_once_with_the_server_message(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI(reject=(400, "max_tokens is too large: 64 > 16")) as srv:
        backend = OpenAIBackend(MODEL, base_url=srv.url, max_retries=5, **FAST)
        with pytest.raises(BackendError) as err:
            run_all(backend, [chat_request(0)])
    assert len(srv.posts) == 1  # not retried
    assert str(err.value) == f"server {srv.url} rejected the request: HTTP 400: max_tokens is too large: 64 > 16"


def test_retry_after_header_sets_the_delay(monkeypatch):
    from aiohttp import web

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    srv = FakeOpenAI()
    stamps = []
    plain = srv._complete

    async def limited(request):
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            await request.read()
            return web.json_response({"error": {"message": "quota"}}, status=429, headers={"Retry-After": "1"})
        return await plain(request)

    srv._complete = limited
    with srv:
        got = run_all(OpenAIBackend(MODEL, base_url=srv.url, backoff_base_s=0.001, backoff_max_s=5), [chat_request(0)])
    assert len(got) == 1 and len(stamps) == 2 and stamps[1] - stamps[0] >= 0.9


def test_faulty_server_run_loses_nothing(tmp_path, data_dir, capsys):
    with FakeOpenAI(faults=True) as srv:
        code = main(eval_args(srv.url, data_dir, tmp_path / "faulty", n=3))
    assert code == 0, capsys.readouterr().err
    with FakeOpenAI() as clean:
        assert main(eval_args(clean.url, data_dir, tmp_path / "clean", n=3)) == 0
    assert set(srv.fault_counts) == {"429", "500", "drop_mid", "drop_before", "429_retry_after"}
    faulty, reference = rows(tmp_path / "faulty"), rows(tmp_path / "clean")
    assert set(faulty) == {("amc23", f"amc23-{i}", s) for i in range(DOCS) for s in range(3)}
    for key, row in reference.items():
        assert faulty[key] == row
    assert all(r["thinking_separate"] and r["thinking"] for r in faulty.values())
    results = json.loads((tmp_path / "faulty" / "results.json").read_text())
    assert results["counts"]["amc23"] == json.loads((tmp_path / "clean" / "results.json").read_text())["counts"]["amc23"]


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(10)
    proc.stdout.close()


def _spawn_server(port=0, die_after=None) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, __file__, "serve", "--port", str(port)]
    if die_after is not None:
        cmd += ["--die-after", str(die_after)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip().isdigit(), "fake server subprocess did not start"
    return proc, int(line)


def test_killed_server_exits_3_and_a_rerun_completes_identically(tmp_path, data_dir, capsys):
    proc, port = _spawn_server(die_after=3)
    url = f"http://127.0.0.1:{port}"
    try:
        code = main(eval_args(url, data_dir, tmp_path / "run", concurrency=1, max_retries=2))
        err = capsys.readouterr().err
        assert proc.wait(10) == 17  # it really died mid-run
    finally:
        _stop(proc)
    assert code == 3
    last = err.strip().splitlines()[-1]
    assert last == f"harness: error: server {url} unreachable after 2 retries (connection refused)"
    partial = rows(tmp_path / "run")
    assert 0 < len(partial) < DOCS * 2
    proc, _ = _spawn_server(port=port)  # same URL: the same run identity
    try:
        assert main(eval_args(url, data_dir, tmp_path / "run", concurrency=1, max_retries=2)) == 0
    finally:
        _stop(proc)
    with FakeOpenAI() as clean:
        assert main(eval_args(clean.url, data_dir, tmp_path / "uninterrupted")) == 0
    resumed = rows(tmp_path / "run")
    assert resumed == rows(tmp_path / "uninterrupted")
    assert all(resumed[k] == v for k, v in partial.items())


def test_api_key_only_in_authorization_header(tmp_path, data_dir, capsys, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    sentinel = "sk-SENTINEL-6f1c0e9b2d"
    monkeypatch.setenv("HARNESS_TEST_KEY", sentinel)
    monkeypatch.setenv("OPENAI_API_KEY", sentinel + "-default")
    with FakeOpenAI(faults=True) as srv:  # faults: retry messages get logged too
        code = main(eval_args(srv.url, data_dir, tmp_path / "run", api_key_env="HARNESS_TEST_KEY"))
        backend = OpenAIBackend(MODEL, base_url=srv.url)
        shown = repr(backend) + json.dumps(backend.describe()) + repr(vars(backend)) + repr(backend.servers)
        backend.close()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert srv.auth_seen and set(srv.auth_seen) == {f"Bearer {sentinel}", f"Bearer {sentinel}-default"}
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(files) >= 3
    for text in [p.read_bytes().decode("utf-8", "replace") for p in files] + [out, err, caplog.text, shown]:
        assert "SENTINEL" not in text
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["backend"]["api_key_env"] == "HARNESS_TEST_KEY"
    assert manifest["backend"]["servers"] == [{"base_url": srv.url, "model": {
        "id": MODEL, "root": "/models/reasoner", "max_model_len": 4096, "owned_by": "vllm"}}]
    # a server that echoes the key in its error message: redacted, with a hint
    with FakeOpenAI(reject=(401, "Incorrect API key provided: {auth}")) as srv:
        with pytest.raises(BackendError) as exc:
            run_all(OpenAIBackend(MODEL, base_url=srv.url, api_key_env="HARNESS_TEST_KEY"), [chat_request(0)])
    assert "SENTINEL" not in str(exc.value) and "HTTP 401: Incorrect API key provided: Bearer ***" in str(exc.value)
    assert "$HARNESS_TEST_KEY" in str(exc.value)


@pytest.mark.parametrize("margs, expected", [
    ({}, "needs --model-args base_url="),
    ({"base_url": "127.0.0.1:8000"}, "is not an http(s) URL"),
    ({"base_url": "http://x", "concurency": 4}, "unknown --model-args for --backend openai: concurency"),
    ({"base_url": "http://x", "extra_body": {"seed": 1}}, "extra_body may not set seed"),
    ({"base_url": "http://x", "endpoint": "responses"}, "endpoint must be one of chat, completions"),
])
def test_bad_options_are_usage_errors(tmp_path, data_dir, capsys, margs, expected):
    code = main(["eval", "--backend", "openai", "--model", MODEL, "--model-args", json.dumps(margs), "--tasks", "amc23",
                 "--data-dir", str(data_dir), "--output", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and expected in err
    assert not (tmp_path / "run").exists()


def test_chat_request_to_completions_endpoint_is_refused(monkeypatch):
    with FakeOpenAI() as srv:
        with pytest.raises(UsageError, match="--prompt-mode base"):
            run_all(OpenAIBackend(MODEL, base_url=srv.url, endpoint="completions"), [chat_request(0)])
    assert srv.posts == []


def test_retry_after_and_error_message_parsing():
    from harness.backends.openai_backend import _error_message, _retry_after

    assert _retry_after("2") == 2.0 and _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _retry_after("soon") is None and _retry_after(None) is None
    assert 55 < _retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))) <= 60
    assert _error_message(b'{"error": {"message": "bad\\n  thing", "code": 400}}') == "bad thing"  # vLLM, OpenAI
    assert _error_message(b'{"object": "error", "message": "old vLLM", "code": 400}') == "old vLLM"
    assert _error_message(b'{"detail": "Not authenticated"}') == "Not authenticated"  # FastAPI
    assert _error_message(b"<html>502 Bad Gateway</html>") == "<html>502 Bad Gateway</html>"
    assert _error_message(b"") == "(empty body)" and len(_error_message(b"x" * 5000)) == 301


def test_base_url_forms_and_masked_credentials():
    b = OpenAIBackend(MODEL, base_url=["http://h:1", "https://api.example.com/v1/", "http://u:pw@h:2/api/v2"])
    assert [s.root for s in b.servers] == ["http://h:1/v1", "https://api.example.com/v1", "http://u:pw@h:2/api/v2"]
    assert [s.label for s in b.servers] == ["http://h:1", "https://api.example.com/v1", "http://***@h:2/api/v2"]
    assert "pw" not in repr(b)
