"""VLLMBackend with the real vLLM engine on CPU: the tiny random Llama (plumbing), SmolLM2
(one sanity answer) and ``harness eval --backend vllm`` end to end (SIGKILL + resume is in
test_resume_sigkill.py).

One in-process engine per model for the whole module (engine start costs seconds). The
CPU settings are set here, for these tests only: KV cache 1 GiB, engine core in-process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from backend_cases import CHAT, GREEDY, RAW, req, texts

from harness.backends.base import BackendError, SamplingParams
from harness.backends.transformers_backend import TransformersBackend, weights_fingerprint
from harness.backends.vllm_backend import VLLMBackend, engine_options
from harness.errors import UsageError
from harness.testing.local_server import CPU_ENV
from harness.runner import EvalConfig, build_backend, derive_seed, pending_requests, plan_tasks
from harness.store import iter_samples

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def run(backend, requests):
    return {r.key: texts(g) for r, g in backend.generate(requests)}


@pytest.fixture(scope="module")
def cpu_env():
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**CPU_ENV, **OFFLINE}.items():
            mp.setenv(key, value)
        yield


class Engines:
    """The module's tiny-model engine, started on first use. Closing an in-process engine
    tears down vLLM's process-wide distributed state, which breaks any other live one, so
    a test that starts its own engine first calls :meth:`close` (those tests come last)."""

    def __init__(self, model_dir):
        self.model_dir = model_dir
        self.backend = None

    def tiny(self) -> VLLMBackend:
        if self.backend is None:
            self.backend = VLLMBackend(str(self.model_dir))
        return self.backend

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


@pytest.fixture(scope="module")
def engines(cpu_env, tiny_model_dir):
    holder = Engines(tiny_model_dir)
    yield holder
    holder.close()


@pytest.fixture
def backend(engines):
    return engines.tiny()


def subprocess_env():
    return {**os.environ, **CPU_ENV, **OFFLINE}


# --- sampling, seeds, batching --------------------------------------------------------


def test_returns_n_generations_per_request(backend):
    results = list(backend.generate([req(n=1), req(n=4, doc="x"), req(n=2, params=GREEDY, doc="y")]))
    assert sorted(len(g) for _, g in results) == [1, 2, 4]
    assert {r.key: len(g) for r, g in results} == {("t", "d-0"): 1, ("t", "x-0"): 4, ("t", "y-0"): 2}


def test_same_seed_same_samples_whatever_the_order_or_company(backend):
    a, b, c = req(seed=1, doc="a"), req(seed=2, doc="b", prompt="Sam has 3 apples"), req(seed=3, doc="c", messages=CHAT)
    # Long prompts: together more than one step's token budget (4096), so the batch needs
    # several prefill steps; with chunked prefill a seeded CPU request would crash vLLM 0.32.
    filler = "Sam has 3 apples and buys 5 more. " * 40
    others = [req(seed=10 + i, doc=f"o{i}", n=2, params=SamplingParams(temperature=1.0, max_tokens=30), prompt=f"Compute {i} times 7. {filler}")
              for i in range(12)]
    assert sum(len(backend.tokenizer(o.prompt).input_ids) for o in others) > 4096
    first = run(backend, [a, b, c])
    crowded = run(backend, [*others[:6], c, *others[6:], b, a])
    alone = run(backend, [b])
    assert {k: crowded[k] for k in first} == first
    assert alone[b.key] == first[b.key]


def test_different_seeds_differ_and_samples_differ(backend):
    one = run(backend, [req(seed=1)])[("t", "d-1")]
    two = run(backend, [req(seed=2)])[("t", "d-2")]
    assert one != two
    assert len({t for t, _, _ in one}) == 3  # the n samples of a request are distinct draws


def test_greedy_samples_identical_and_seed_independent(backend):
    ((_, gens),) = list(backend.generate([req(seed=5, n=3, params=GREEDY)]))
    assert len({(g.text, g.completion_tokens) for g in gens}) == 1
    assert gens[0] is not gens[1]
    ((_, other),) = list(backend.generate([req(seed=6, n=1, params=GREEDY)]))
    assert texts(other) == texts(gens[:1])


def test_greedy_matches_the_transformers_backend(backend, tiny_model_dir):
    """Same rendering, same EOS handling, no sampling defaults leaking in: greedy text and
    token counts equal those of the transformers backend on the same model."""
    params = SamplingParams(temperature=0.0, max_tokens=20)
    requests = [req(n=1, params=params, messages=CHAT, doc="c"), req(n=1, params=params, doc="r"),
                req(n=1, params=params, prompt="Sam has 3 apples and buys", doc="s")]
    hf = TransformersBackend(str(tiny_model_dir))
    try:
        expected = {r.key: texts(g) for r, g in hf.generate(requests)}
    finally:
        hf.close()
    assert run(backend, requests) == expected
    assert any(g[0][2] == "stop" for g in expected.values())  # the comparison covers an EOS finish


def test_token_cap_gives_length(backend):
    for params in (SamplingParams(temperature=0.0, max_tokens=8), SamplingParams(temperature=1.0, max_tokens=6)):
        ((_, gens),) = list(backend.generate([req(seed=0, n=4, params=params)]))
        for g in gens:
            assert (g.finish_reason, g.completion_tokens) == ("length", params.max_tokens)
            assert g.text


def test_eos_gives_stop_and_counts_tokens_before_it(backend):
    # The tiny model greedily ends this chat with <|im_end|> after 3 tokens.
    ((_, (g,)),) = list(backend.generate([req(n=1, params=SamplingParams(temperature=0.0, max_tokens=20), messages=CHAT)]))
    assert g.finish_reason == "stop"
    assert g.completion_tokens == 3
    assert "<|im_end|>" not in g.text and "<|pad|>" not in g.text


def test_finish_reason_matches_token_count_over_many_samples(backend):
    params = SamplingParams(temperature=1.0, max_tokens=12)
    requests = [req(seed=s, n=4, params=params, doc=f"m{s}", messages=CHAT if s % 2 else None) for s in range(8)]
    gens = [g for _, gs in backend.generate(requests) for g in gs]
    assert len(gens) == 32
    assert {g.finish_reason for g in gens} == {"stop", "length"}
    for g in gens:
        assert (g.finish_reason == "length") == (g.completion_tokens == params.max_tokens)
        assert g.latency_s is not None and g.latency_s > 0


def test_stop_string_truncates_and_stops(backend):
    params = SamplingParams(temperature=0.0, max_tokens=20)
    ((_, (full,)),) = list(backend.generate([req(n=1, params=params)]))
    stop = full.text[8:11]
    assert stop and stop in full.text
    stopped = SamplingParams(temperature=0.0, max_tokens=20, stop=(stop, "@@never@@"))
    ((_, (cut,)),) = list(backend.generate([req(n=1, params=stopped)]))
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.finish_reason == "stop"
    assert cut.completion_tokens < full.completion_tokens


def test_chat_and_raw_prompt_rendering(backend):
    results = {r.key[1]: g for r, g in backend.generate([req(n=1, params=GREEDY, messages=CHAT, doc="chat"), req(n=1, params=GREEDY, doc="raw")])}
    (chat,), (raw,) = results["chat-0"], results["raw-0"]
    tok = backend.tokenizer
    assert chat.prompt_text == "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"
    assert chat.prompt_text == tok.apply_chat_template(list(CHAT), add_generation_prompt=True, tokenize=False)
    assert raw.prompt_text == RAW and "<|im_start|>" not in raw.prompt_text
    assert chat.prompt_tokens == len(tok(chat.prompt_text, add_special_tokens=False).input_ids)
    assert raw.prompt_tokens == len(tok(RAW).input_ids)
    assert chat.thinking is None and raw.thinking is None


# --- streaming ------------------------------------------------------------------------


def test_yields_each_request_as_soon_as_it_finishes(backend):
    long = req(seed=4, n=2, params=SamplingParams(temperature=1.0, max_tokens=150), doc="long")
    short = req(seed=4, n=2, params=SamplingParams(temperature=1.0, max_tokens=2), doc="short")
    stream = backend.generate([long, short])
    first, gens = next(stream)
    assert first is short and [g.completion_tokens for g in gens] == [2, 2]
    assert backend.llm.llm_engine.has_unfinished_requests()  # the long request is still generating
    ((last, long_gens),) = list(stream)
    assert last is long
    assert [g.finish_reason for g in long_gens] == ["length", "length"]
    assert long_gens[0].latency_s > gens[0].latency_s


def test_a_stream_abandoned_midway_leaves_the_engine_idle(backend):
    stream = backend.generate([req(seed=1, n=1, params=SamplingParams(temperature=1.0, max_tokens=150), doc="long"),
                               req(seed=1, n=1, params=SamplingParams(temperature=1.0, max_tokens=1), doc="short")])
    next(stream)
    stream.close()
    assert not backend.llm.llm_engine.has_unfinished_requests()
    assert len(list(backend.generate([req(n=2)]))) == 1  # still usable


def test_a_refused_request_fails_alone_after_the_others_are_yielded(backend):
    too_long = req(n=1, prompt="Sam has 3 apples and buys 5 more. " * 300, doc="long")  # > 2048 tokens
    fine = req(n=2, doc="fine")
    stream = backend.generate([too_long, fine])
    ((done, gens),) = [next(stream)]
    assert done is fine and len(gens) == 2
    with pytest.raises(BackendError) as err:
        next(stream)
    message = str(err.value)
    assert "\n" not in message and "1 of 2 requests" in message and "t/long-0" in message and "maximum context length" in message
    assert not backend.llm.llm_engine.has_unfinished_requests()


# --- description, options, errors -------------------------------------------------------


def test_describe(backend, tiny_model_dir):
    d = backend.describe()
    assert d["backend"] == "vllm" and d["model"] == str(tiny_model_dir)
    assert (d["dtype"], d["device"], d["revision"], d["reasoning_parser"]) == ("float32", "cpu", None, None)
    assert d["weights_fingerprint"] == weights_fingerprint(tiny_model_dir)
    assert d["vllm_version"]
    assert d["engine_defaults"] == {"generation_config": "vllm", "dtype": "float32", "enforce_eager": True, "enable_chunked_prefill": False}
    json.dumps(d)
    assert backend.describe() == d


def test_engine_options_defaults_and_overrides():
    assert engine_options("auto", {}, cpu=True) == {
        "generation_config": "vllm", "dtype": "float32", "enforce_eager": True, "enable_chunked_prefill": False}
    assert engine_options("auto", {"tensor_parallel_size": 2}, cpu=False) == {
        "generation_config": "vllm", "dtype": "auto", "tensor_parallel_size": 2}
    given = engine_options("bfloat16", {"enforce_eager": False, "generation_config": "auto"}, cpu=True)
    assert (given["dtype"], given["enforce_eager"], given["generation_config"]) == ("bfloat16", False, "auto")


def test_bad_models_and_options_give_one_clear_line(cpu_env, tmp_path, tiny_model_dir):
    with pytest.raises(OSError, match="does not exist"):
        VLLMBackend(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="Invalid repository ID or local directory"):
        VLLMBackend(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="bad vLLM engine option.*no_such_option"):
        VLLMBackend(str(tiny_model_dir), no_such_option=1)
    cfg = EvalConfig(model=str(tmp_path / "empty"), backend="vllm", tasks=["gsm8k"], output=tmp_path / "run")
    with pytest.raises(UsageError) as err:
        build_backend(cfg)
    message = str(err.value)
    assert "\n" not in message and "cannot load model" in message and "Invalid repository ID" in message


# --- harness eval --backend vllm ------------------------------------------------------------


def eval_cmd(model, data, out, *args):
    return [sys.executable, "-m", "harness.cli", "eval", "--backend", "vllm", "--model", str(model),
            "--data-dir", str(data), "--output", str(out), "--no-progress", *args]


def test_harness_eval_end_to_end_matches_in_process_engine(tmp_path, backend, tiny_model_dir, shared_data):
    """A subprocess run writes results.json; its samples equal what the module's engine
    generates for the same requests in one batch (a second engine, other batch company)."""
    out = tmp_path / "run"
    args = ("--tasks", "gsm8k", "--limit", "4", "-n", "2", "--seed", "3", "--temperature", "1.0", "--max-tokens", "16")
    done = subprocess.run(eval_cmd(tiny_model_dir, shared_data, out, *args), env=subprocess_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert (results["counts"]["gsm8k"]["problems"], results["counts"]["gsm8k"]["samples"]) == (4, 8)
    assert "pass@1" in results["tasks"]["gsm8k"] and results["run"]["backend"] == "vllm"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"]["backend"] == "vllm" and manifest["backend"]["dtype"] == "float32"
    rows = list(iter_samples(out))
    assert len(rows) == 8 and {r["sample"] for r in rows} == {0, 1}

    cfg = EvalConfig(model=str(tiny_model_dir), backend="vllm", tasks=["gsm8k"], output=out, n=2, limit=4, seed=3,
                     temperature=1.0, max_tokens=16, data_dir=str(shared_data))
    requests = pending_requests(plan_tasks(cfg, default_n=lambda t: None), set(), cfg.seed)
    assert [r.seed for r in requests] == [derive_seed(3, "gsm8k", r.key[1]) for r in requests]
    mine = {(r.key[1], i): g.text for r, gs in backend.generate(requests) for i, g in enumerate(gs)}
    assert {(r["doc_id"], r["sample"]): r["output"] for r in rows} == mine


# --- own engines (last: they close the shared one) -----------------------------------------


def test_reasoning_parser_splits_thinking_and_close_restores_the_process(engines, tiny_model_dir):
    import torch

    engines.close()
    set_threads, threads, environ = torch.set_num_threads, torch.get_num_threads(), dict(os.environ)
    b = VLLMBackend(str(tiny_model_dir), reasoning_parser="deepseek_r1")
    try:
        assert b.describe()["reasoning_parser"] == "deepseek_r1"
        gens = [g for _, gs in b.generate([req(seed=s, n=4, params=SamplingParams(temperature=1.0, max_tokens=40), doc=f"r{s}")
                                          for s in range(4)]) for g in gs]
    finally:
        b.close()
    assert (torch.set_num_threads, torch.get_num_threads(), dict(os.environ)) == (set_threads, threads, environ)
    closed = [g for g in gens if "</think>" in g.extra["raw_text"]]
    assert closed, "no sample closed its thought: pick other seeds"
    for g in closed:
        head, tail = g.extra["raw_text"].split("</think>", 1)
        assert (g.thinking, g.text) == (head, tail)
    for g in gens:
        if "</think>" not in g.extra["raw_text"]:  # R1 style: an unclosed thought is all thinking
            assert (g.thinking, g.text) == (g.extra["raw_text"], "")
    with pytest.raises(ValueError, match="unknown vLLM reasoning parser 'nope'.*deepseek_r1"):
        VLLMBackend(str(tiny_model_dir), reasoning_parser="nope")


@pytest.mark.slow
def test_smollm2_answers_a_chat_prompt(engines, smollm2_model_dir):
    engines.close()
    b = VLLMBackend(str(smollm2_model_dir))
    try:
        request = req(n=2, params=SamplingParams(temperature=0.0, max_tokens=48), messages=({"role": "user", "content": "What is 2+3?"},))
        ((_, gens),) = list(b.generate([request]))
    finally:
        b.close()
    assert len(gens) == 2 and texts(gens[:1]) == texts(gens[1:])
    g = gens[0]
    assert "5" in g.text
    assert g.finish_reason in ("stop", "length")
    assert 0 < g.completion_tokens <= 48
    assert g.prompt_text.endswith("<|im_start|>assistant\n")
    assert g.prompt_tokens > 0
