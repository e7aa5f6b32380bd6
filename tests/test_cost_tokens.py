"""Thinking vs answer token counts come from the backend's token ids, and results.json's
cost block adds up the stored rows (tiny random Llama: fast)."""
from __future__ import annotations

import json

import pytest
from backend_cases import req
from test_transformers_backend import backend  # noqa: F401  (the module's tiny-Llama TransformersBackend)

from harness.backends.base import SamplingParams, thinking_token_count
from harness.cli import main
from harness.store import scored_rows


def _ids(backend, text):
    return backend.tokenizer.encode(text, add_special_tokens=False)


@pytest.mark.parametrize("text,close", [
    ("<think>Let me add 2 and 2.</think> The answer is \\boxed{4}.", "</think>"),
    ("<think>first</think> not yet </think>\n\\boxed{4}", "</think>"),  # the last closing tag ends the thought
    ("<think>é" + " step" * 300 + "</think>ü", "</think>"),  # a long thought, non-ASCII around the tag
    ("<|begin_of_thought|>two plus two<|end_of_thought|><|begin_of_solution|>4<|end_of_solution|>", "<|end_of_thought|>"),
])
def test_thought_ends_at_the_token_completing_the_last_closing_tag(backend, text, close):
    ids = _ids(backend, text)
    n = thinking_token_count(ids, backend._decode)
    # independent check on the ids: the prefix holds every closing tag, one token less does not
    assert backend._decode(ids[:n]).count(close) == text.count(close)
    assert backend._decode(ids[:n - 1]).count(close) < text.count(close)
    assert 0 < n < len(ids)


def test_unclosed_thought_is_all_thinking_and_no_tag_is_none(backend):
    ids = _ids(backend, "<think>still thinking when the cap hit")
    assert thinking_token_count(ids, backend._decode) == len(ids)
    ids = _ids(backend, "just an answer: 4")
    assert thinking_token_count(ids, backend._decode) == 0
    # the chat template opened the thought in the prompt: the closing tag alone splits it
    ids = _ids(backend, "reasoning here</think>4")
    n = thinking_token_count(ids, backend._decode, prompt_text="User: 2+2?\nAssistant: <think>\n")
    assert backend._decode(ids[:n]).endswith("</think>") and "</think>" not in backend._decode(ids[:n - 1])


def test_generation_counts_from_its_token_ids(backend):
    row = _ids(backend, "<think>two and two</think> so \\boxed{4}") + sorted(backend.eos_ids)[:1]
    g = backend._to_generation(row, SamplingParams(max_tokens=64), "Q", 1, 0.1)
    assert g.completion_tokens == len(row) - 1  # EOS not counted
    assert g.thinking_tokens == thinking_token_count(row[:-1], backend._decode)
    assert g.thinking_tokens + g.answer_tokens == g.completion_tokens and g.answer_tokens > 0
    # real sampling from a prompt that opens the thought: no closing tag in random text -> all thinking
    for g in backend.generate_one(req(seed=3, n=2, prompt="Q: 2+2?\n<think>\n")):
        assert g.thinking_tokens + g.answer_tokens == g.completion_tokens
        assert "</think>" in g.text or g.thinking_tokens == g.completion_tokens


def test_tiny_model_run_cost_equals_the_backend_counts(tmp_path, tiny_model_dir, shared_data):
    run = tmp_path / "run"
    argv = ["eval", "--backend", "transformers", "--model", str(tiny_model_dir), "--tasks", "amc23", "--limit", "2",
            "-n", "2", "--temperature", "1.0", "--max-tokens", "12", "--data-dir", str(shared_data),
            "--output", str(run), "--no-progress"]
    assert main(argv) == 0
    rows = list(scored_rows(run))
    results = json.loads((run / "results.json").read_text())
    cost = results["cost"]["amc23"]
    assert results["schema_version"] == 3 and len(rows) == 4
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    for r in rows:
        # prompt tokens are the rendered prompt's ids; thinking + answer = completion
        assert r["prompt_tokens"] == len(tok(r["prompt_text"], add_special_tokens=False)["input_ids"])
        assert r["thinking_tokens"] + r["answer_tokens"] == r["completion_tokens"] <= 12
    for field in ("prompt_tokens", "thinking_tokens", "answer_tokens", "completion_tokens"):
        assert cost[field]["total"] == sum(r[field] for r in rows) and cost[field]["samples"] == 4
    completion = sum(r["completion_tokens"] for r in rows)
    assert cost["tokens_per_second"] == pytest.approx(completion / sum(r["latency_s"] for r in rows))
    correct = sum(r["verdict"]["passed"] for r in rows)
    assert cost["completion_tokens_per_correct"] == (completion / correct if correct else None)


def _openai_generations(usage, choices):
    from harness.backends.openai_backend import OpenAIBackend, _Call

    b = OpenAIBackend("m", base_url="http://127.0.0.1:9")
    call = _Call(data={"usage": usage, "choices": choices}, server=b.servers[0], latency=0.5, n=len(choices))
    return b._generations(req(n=len(choices), messages=({"role": "user", "content": "hi"},)), call, choices, True)


def test_openai_thinking_tokens_only_when_the_server_reports_them():
    choice = {"message": {"content": "4", "reasoning_content": "2+2"}, "finish_reason": "stop"}
    reported = {"prompt_tokens": 5, "completion_tokens": 30, "completion_tokens_details": {"reasoning_tokens": 22}}
    (g,) = _openai_generations(reported, [choice])
    assert (g.completion_tokens, g.thinking_tokens, g.answer_tokens) == (30, 22, 8)
    # no reasoning count from the server: unknown, never estimated from the text
    (g,) = _openai_generations({"prompt_tokens": 5, "completion_tokens": 30}, [choice])
    assert (g.completion_tokens, g.thinking_tokens, g.answer_tokens) == (30, None, None)
    # two choices sharing one usage total: the total on the first, unknown on the second
    gens = _openai_generations(reported, [choice, choice])
    assert [(g.thinking_tokens, g.answer_tokens) for g in gens] == [(22, 8), (None, None)]
