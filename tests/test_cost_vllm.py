"""vLLM backend: thinking vs answer token counts from the completion's token ids (tiny random
Llama on CPU, one engine for the module)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from backend_cases import req

from harness.testing.local_server import CPU_ENV

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    from harness.backends.vllm_backend import VLLMBackend

    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**CPU_ENV, **OFFLINE}.items():
            mp.setenv(key, value)
        b = VLLMBackend(str(tiny_model_dir))
        yield b
        b.close()


def test_vllm_counts_thinking_tokens_from_its_token_ids(backend):
    text = "<think>two and two</think> so \\boxed{4}"
    ids = backend.tokenizer.encode(text, add_special_tokens=False) + [backend.tokenizer.eos_token_id]
    completion = SimpleNamespace(token_ids=ids, text=text, finish_reason="stop", stop_reason=None, index=0)
    g = backend._to_generation(completion, "Q", 1, 0.1)
    assert g.completion_tokens == len(ids) - 1  # the EOS ends the sample, not counted
    n = g.thinking_tokens
    assert backend._decode(ids[:n]).endswith("</think>") and "</think>" not in backend._decode(ids[:n - 1])
    assert g.answer_tokens == g.completion_tokens - n > 0
    # real sampling from a prompt that opens the thought: all thinking unless the random text closes it
    (_, gens), = backend.generate([req(seed=3, n=2, prompt="Q: 2+2?\n<think>\n")])
    for g in gens:
        assert g.thinking_tokens + g.answer_tokens == g.completion_tokens
        assert "</think>" in g.text or g.thinking_tokens == g.completion_tokens
    # and from a chat prompt without thinking tags: no thinking tokens unless the text has a tag
    (_, gens), = backend.generate([req(seed=4, n=2, messages=({"role": "user", "content": "2+2?"},))])
    for g in gens:
        assert g.thinking_tokens == 0 or "think" in g.text
