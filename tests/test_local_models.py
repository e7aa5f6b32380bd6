"""harness.testing.local_models: atomic, locked, idempotent builds; the tiny model; the SmolLM2 GGUF."""
from __future__ import annotations

import hashlib
import threading
import time

import pytest



from harness.testing.local_models import MARKER, build_once, smollm2_gguf, tiny_llama_dir  # noqa: E402


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_tiny_model_is_deterministic_and_cached(tiny_model_dir, tmp_path):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json", MARKER} <= names
    again = tiny_llama_dir(tmp_path / "again")
    assert _digests(again) == _digests(tiny_model_dir)
    mtime = (again / "model.safetensors").stat().st_mtime_ns
    assert tiny_llama_dir(again) == again
    assert (again / "model.safetensors").stat().st_mtime_ns == mtime


def test_tiny_tokenizer_and_config(tiny_model_dir):
    from transformers import AutoConfig, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    cfg = AutoConfig.from_pretrained(tiny_model_dir)
    assert 500 < len(tok) <= 1000 == cfg.vocab_size
    assert cfg.hidden_size // cfg.num_attention_heads == cfg.head_dim == 64
    assert (tok.bos_token, tok.eos_token, tok.pad_token) == ("<|endoftext|>", "<|im_end|>", "<|pad|>")
    assert cfg.eos_token_id == tok.eos_token_id and cfg.pad_token_id == tok.pad_token_id
    rendered = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert rendered == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    text = "<think> 12 + 7 = 19 </think> \\boxed{19}"
    ids = tok(text).input_ids
    assert tok.convert_tokens_to_ids("<think>") in ids and tok.convert_tokens_to_ids("</think>") in ids
    assert tok.decode(ids + [tok.eos_token_id, tok.pad_token_id], skip_special_tokens=True) == text


def test_build_once_is_atomic_on_failure(tmp_path):
    def broken(out):
        (out / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        build_once(tmp_path / "m", "r1", broken)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_build_once_builds_once_under_concurrency(tmp_path):
    calls = []

    def slow(out):
        calls.append(1)
        time.sleep(0.3)
        (out / "w.bin").write_bytes(b"w")

    threads = [threading.Thread(target=build_once, args=(tmp_path / "m", "r1", slow)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert (tmp_path / "m" / "w.bin").read_bytes() == b"w"


def test_build_once_rebuilds_old_recipe_and_spares_foreign_folders(tmp_path):
    build_once(tmp_path / "m", "r1", lambda out: (out / "v").write_text("1"))
    build_once(tmp_path / "m", "r2", lambda out: (out / "v").write_text("2"))
    assert (tmp_path / "m" / "v").read_text() == "2"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        build_once(tmp_path / "mine", "r1", lambda out: None)
    assert (tmp_path / "mine" / "keep.txt").read_text() == "precious"
    (tmp_path / "empty").mkdir()
    assert (build_once(tmp_path / "empty", "r1", lambda out: None) / MARKER).is_file()


def test_smollm2_gguf_is_packaged():
    path = smollm2_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
