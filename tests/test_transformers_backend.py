"""TransformersBackend on the tiny random Llama (plumbing) and on real SmolLM2 (one slow test)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from backend_cases import CHAT, GREEDY, RAW, req, texts

from harness.backends.base import SamplingParams
from harness.backends.transformers_backend import (
    TransformersBackend,
    cut_at_eos,
    strip_trailing,
    truncate_at_stop,
    weights_fingerprint,
)


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    b = TransformersBackend(str(tiny_model_dir))
    yield b
    b.close()


def test_same_seed_same_samples_whatever_the_order_or_company(backend, tiny_model_dir):
    a, b, c = req(seed=1, doc="a"), req(seed=2, doc="b", prompt="Sam has 3 apples"), req(seed=3, doc="c", messages=CHAT)
    first = {r.key: texts(g) for r, g in backend.generate([a, b, c])}
    alone = texts(backend.generate_one(b))
    other = TransformersBackend(str(tiny_model_dir))
    reordered = {r.key: texts(g) for r, g in other.generate([c, b, a])}
    other.close()
    assert first == reordered
    assert first[b.key] == alone


def test_different_seeds_differ_and_samples_differ(backend):
    one = texts(backend.generate_one(req(seed=1)))
    two = texts(backend.generate_one(req(seed=2)))
    assert one != two
    assert len({t for t, _, _ in one}) == 3  # the n samples of a request are distinct draws


def test_returns_n_generations(backend):
    results = list(backend.generate([req(n=1), req(n=4, doc="x"), req(n=2, params=GREEDY, doc="y")]))
    assert [len(g) for _, g in results] == [1, 4, 2]


def test_greedy_samples_identical_and_seed_independent(backend):
    gens = backend.generate_one(req(seed=5, n=3, params=GREEDY))
    assert len({(g.text, g.completion_tokens) for g in gens}) == 1
    assert gens[0] is not gens[1]
    assert texts(backend.generate_one(req(seed=6, n=1, params=GREEDY))) == texts(gens[:1])


def test_token_cap_gives_length(backend):
    for params in (SamplingParams(temperature=0.0, max_tokens=8), SamplingParams(temperature=1.0, max_tokens=6)):
        for g in backend.generate_one(req(seed=0, n=4, params=params)):
            assert (g.finish_reason, g.completion_tokens) == ("length", params.max_tokens)
            assert g.text


def test_eos_gives_stop_and_counts_tokens_before_it(backend):
    # The tiny model greedily ends this chat with <|im_end|> after 3 tokens.
    (g,) = backend.generate_one(req(n=1, params=SamplingParams(temperature=0.0, max_tokens=20), messages=CHAT))
    assert g.finish_reason == "stop"
    assert 0 < g.completion_tokens < 20
    assert "<|im_end|>" not in g.text and "<|pad|>" not in g.text


def test_finish_reason_matches_token_count_over_many_samples(backend):
    params = SamplingParams(temperature=1.0, max_tokens=12)
    gens = [g for seed in range(4) for g in backend.generate_one(req(seed=seed, n=4, params=params))]
    for g in gens:
        assert (g.finish_reason == "length") == (g.completion_tokens == params.max_tokens)
        assert g.latency_s is not None and g.latency_s > 0


def test_stop_string_truncates_and_stops(backend):
    params = SamplingParams(temperature=0.0, max_tokens=20)
    (full,) = backend.generate_one(req(n=1, params=params))
    stop = full.text[8:11]
    assert stop and stop in full.text
    (cut,) = backend.generate_one(req(n=1, params=SamplingParams(temperature=0.0, max_tokens=20, stop=(stop, "@@never@@"))))
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.finish_reason == "stop"
    assert cut.completion_tokens < full.completion_tokens


def test_chat_and_raw_prompt_rendering(backend):
    (chat,) = backend.generate_one(req(n=1, params=GREEDY, messages=CHAT))
    (raw,) = backend.generate_one(req(n=1, params=GREEDY, prompt=RAW))
    assert chat.prompt_text == "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"
    assert raw.prompt_text == RAW and "<|im_start|>" not in raw.prompt_text
    assert chat.prompt_tokens == len(backend.tokenizer(chat.prompt_text, add_special_tokens=False).input_ids)
    assert raw.prompt_tokens == len(backend.tokenizer(RAW).input_ids)


def test_describe_is_stable(backend, tiny_model_dir):
    d = backend.describe()
    assert d == {
        "backend": "transformers",
        "model": str(tiny_model_dir),
        "revision": None,
        "dtype": "float32",
        "device": "cpu",
        "weights_fingerprint": d["weights_fingerprint"],
    }
    assert len(d["weights_fingerprint"]) == 64
    assert weights_fingerprint(tiny_model_dir) == d["weights_fingerprint"]
    other = TransformersBackend(str(tiny_model_dir))
    assert other.describe() == d
    other.close()


def test_weights_fingerprint_reads_names_sizes_heads_and_tails(tmp_path):
    big = tmp_path / "model.safetensors"
    data = bytearray(9 * 1024 * 1024)
    big.write_bytes(data)
    (tmp_path / "config.json").write_text("{}")
    base = weights_fingerprint(tmp_path)
    (tmp_path / "config.json").write_text('{"x": 1}')  # not a weight file
    assert weights_fingerprint(tmp_path) == base
    data[-1] = 1
    big.write_bytes(data)
    assert weights_fingerprint(tmp_path) != base
    data[-1] = 0
    data[4 * 1024 * 1024 + 10] = 1  # between head and tail: a fingerprint, not a full hash
    big.write_bytes(data)
    assert weights_fingerprint(tmp_path) == base
    big.rename(tmp_path / "other.safetensors")
    assert weights_fingerprint(tmp_path) != base
    assert weights_fingerprint(tmp_path / "nothing-here") is None


def test_completion_helpers():
    assert cut_at_eos([5, 6, 2, 3, 3], {2}) == ([5, 6], True)
    assert cut_at_eos([5, 6, 7], {2, 9}) == ([5, 6, 7], False)
    assert strip_trailing([5, 3, 6, 3, 3], 3) == [5, 3, 6]
    assert strip_trailing([5, 6], None) == [5, 6]
    assert truncate_at_stop("abc\n\nQ: def", ["Q:", "\n\n"]) == ("abc", True)
    assert truncate_at_stop("abc", ["x", ""]) == ("abc", False)


def test_closed_backend_refuses(tiny_model_dir):
    b = TransformersBackend(str(tiny_model_dir))
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        b.generate_one(req())


def test_backends_package_does_not_import_torch():
    code = "import sys, harness.backends, harness.backends.base; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.slow
def test_smollm2_answers_a_chat_prompt(smollm2_model_dir):
    b = TransformersBackend(str(smollm2_model_dir))
    try:
        request = req(n=2, params=SamplingParams(temperature=0.0, max_tokens=48), messages=({"role": "user", "content": "What is 2+3?"},))
        ((_, gens),) = list(b.generate([request]))
    finally:
        b.close()
    assert len(gens) == 2
    g = gens[0]
    assert g.text.strip()
    assert "5" in g.text
    assert g.finish_reason in ("stop", "length")
    assert 0 < g.completion_tokens <= 48
    assert g.prompt_text.endswith("<|im_start|>assistant\n")
    assert g.prompt_tokens > 0
