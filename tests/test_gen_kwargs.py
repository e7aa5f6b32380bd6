"""--gen-kwargs, --chat-template-kwargs and --chat-template on the tiny random Llama, with the
transformers backend and the in-process vLLM engine: they reach the sampler and the chat
template, are checked per backend before anything is written, and are part of the run config."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from backend_cases import CHAT, req, texts
from run_helpers import snapshot, usage_error

from harness.backends.base import GenerationRequest, SamplingParams
from harness.cli import main
from harness.testing.local_server import CPU_ENV

TEMPLATE = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}[mode={{ mode | default('none') }}]<assistant>{% endif %}")
SAMPLED = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=12)
GREEDY = SamplingParams(temperature=0.0, max_tokens=12)


def chat(params=SAMPLED, seed=5, n=3, **fields) -> GenerationRequest:
    return replace(req(seed=seed, n=n, params=params, messages=CHAT), **fields)


def check_backend(backend):
    """What every in-process backend must do with the new request fields."""
    greedy = texts(gen for _, gens in backend.generate([chat(GREEDY, n=1)]) for gen in gens)
    sampled = [g.text for _, gens in backend.generate([chat()]) for g in gens]
    top1 = [g.text for _, gens in backend.generate([chat(replace(SAMPLED, extra={"top_k": 1}))]) for g in gens]
    assert any(text != greedy[0][0] for text in sampled)  # temperature 1 samples differ from greedy ...
    assert top1 == [greedy[0][0]] * 3  # ... but not with top_k=1: the gen kwarg reached the sampler

    (_, (own,)), = backend.generate([chat(GREEDY, n=1, chat_template=TEMPLATE)])
    (_, (var,)), = backend.generate([chat(GREEDY, n=1, chat_template=TEMPLATE, chat_template_kwargs={"mode": "fast"})])
    (_, (model,)), = backend.generate([chat(GREEDY, n=1)])
    assert own.prompt_text == "<user>What is 2+3?\n[mode=none]<assistant>"
    assert var.prompt_text == "<user>What is 2+3?\n[mode=fast]<assistant>"
    assert "[mode=" not in model.prompt_text  # the model's own template otherwise


def test_transformers_backend_applies_gen_kwargs_and_chat_template(tiny_model_dir):
    from harness.backends.transformers_backend import TransformersBackend, check_gen_kwargs

    backend = TransformersBackend(str(tiny_model_dir))
    try:
        check_backend(backend)
    finally:
        backend.close()
    check_gen_kwargs({"top_k": 5, "min_p": 0.1, "repetition_penalty": 1.1})
    with pytest.raises(ValueError, match="unknown key\\(s\\) min_pp: not a transformers GenerationConfig attribute"):
        check_gen_kwargs({"min_pp": 0.1})
    with pytest.raises(ValueError, match="temperature is set by the harness: use --temperature"):
        check_gen_kwargs({"temperature": 0.5})


@pytest.mark.slow
def test_vllm_backend_applies_gen_kwargs_and_chat_template(tiny_model_dir):
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**CPU_ENV, "HF_DATASETS_OFFLINE": "1"}.items():
            mp.setenv(key, value)
        from harness.backends.vllm_backend import VLLMBackend, check_gen_kwargs

        backend = VLLMBackend(str(tiny_model_dir))
        try:
            check_backend(backend)
        finally:
            backend.close()
    check_gen_kwargs({"top_k": 5, "min_p": 0.1, "presence_penalty": 0.5, "repetition_penalty": 1.1})
    with pytest.raises(ValueError, match="unknown key\\(s\\) topk: not a vllm.SamplingParams field"):
        check_gen_kwargs({"topk": 5})
    with pytest.raises(ValueError, match="output_kind"):
        check_gen_kwargs({"output_kind": 1})
    with pytest.raises(ValueError, match="min_p"):
        check_gen_kwargs({"min_p": 2.0})  # vLLM's own range check


def test_openai_body_carries_gen_kwargs_and_chat_template_kwargs():
    from harness.backends.openai_backend import OpenAIBackend

    backend = OpenAIBackend("m", base_url="http://127.0.0.1:9/v1")
    body = backend._body(chat(replace(SAMPLED, extra={"min_p": 0.05}), chat_template_kwargs={"enable_thinking": False}),
                         n=3, seed=1)
    assert body["min_p"] == 0.05 and body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["temperature"] == 1.0 and body["n"] == 3


# --- through the CLI ---------------------------------------------------------------------


def eval_args(model, data, out, *extra):
    return ["eval", "--backend", "transformers", "--model", str(model), "--tasks", "amc23", "--limit", "1", "-n", "2",
            "--temperature", "1.0", "--max-tokens", "8", "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def test_cli_records_the_options_and_refuses_a_change(tmp_path, tiny_model_dir, shared_data, capsys):
    template = tmp_path / "chat.jinja"
    template.write_text(TEMPLATE)
    run = tmp_path / "run"
    extra = ("--gen-kwargs", "top_k=1,repetition_penalty=1.0", "--chat-template", str(template),
             "--chat-template-kwargs", '{"mode": "exam"}')
    assert main(eval_args(tiny_model_dir, shared_data, run, *extra)) == 0
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["run"]["gen_kwargs"] == {"top_k": 1, "repetition_penalty": 1.0}
    assert manifest["run"]["chat_template_kwargs"] == {"mode": "exam"}
    assert manifest["run"]["chat_template_sha256"].startswith("sha256:")
    rows = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    assert all("[mode=exam]<assistant>" in r["prompt_text"] for r in rows)
    assert len({r["output"] for r in rows}) == 1  # top_k=1: both temperature-1 samples are the greedy one

    before = snapshot(run)
    err = usage_error(capsys, eval_args(tiny_model_dir, shared_data, run, *extra[:4], "--chat-template-kwargs", "mode=quiz"))
    assert "chat_template_kwargs.mode exam -> quiz" in err
    template.write_text(TEMPLATE.replace("<assistant>", "<bot>"))
    err = usage_error(capsys, eval_args(tiny_model_dir, shared_data, run, *extra))
    assert "chat template content changed" in err
    err = usage_error(capsys, eval_args(tiny_model_dir, shared_data, run, "--gen-kwargs", "top_k=2", *extra[2:]))
    assert "gen_kwargs.top_k 1 -> 2" in err
    assert snapshot(run) == before


@pytest.mark.parametrize("extra, expected", [
    (["--gen-kwargs", "min_pp=0.1"], "--gen-kwargs for --backend transformers: unknown key(s) min_pp"),
    (["--gen-kwargs", "seed=3"], "--gen-kwargs for --backend transformers: seed is set by the harness: use --seed"),
    (["--gen-kwargs", "top_k"], "argument --gen-kwargs: 'top_k' is not key=value"),
    (["--chat-template-kwargs", '{"a": NaN}'], "argument --chat-template-kwargs: a is not a finite number"),
    (["--chat-template-kwargs", "add_generation_prompt=false"], "add_generation_prompt is set by the harness"),
    (["--chat-template", "/nonexistent/t.jinja"], "--chat-template: cannot read /nonexistent/t.jinja"),
    (["--chat-template", "BROKEN"], "is not valid jinja2"),
    (["--chat-template-kwargs", "mode=x", "--prompt-mode", "base"], "--chat-template-kwargs applies to --prompt-mode chat only"),
])
def test_bad_options_are_one_line_and_write_nothing(tmp_path, tiny_model_dir, shared_data, capsys, extra, expected):
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% for m in messages %}")
    extra = [str(broken) if e == "BROKEN" else e for e in extra]
    out = tmp_path / "run"
    err = usage_error(capsys, eval_args(tiny_model_dir, shared_data, out, *extra), alone=True)
    assert expected in err
    assert not out.exists()


@pytest.mark.parametrize("backend, extra, expected", [
    ("replay", ["--gen-kwargs", "top_k=1"], "--gen-kwargs has no effect with --backend replay"),
    ("openai", ["--chat-template", "x.jinja"], "--chat-template needs --backend transformers or vllm"),
    ("openai", ["--gen-kwargs", "n=4"], "--gen-kwargs for --backend openai: n is set by the harness: use -n"),
])
def test_options_a_backend_cannot_use_are_refused(tmp_path, shared_data, capsys, monkeypatch, backend, extra, expected):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"task": "amc23", "doc_id": "amc23-0", "sample": 0, "output": "1"}) + "\n")
    out = tmp_path / "run"
    argv = ["eval", "--backend", backend, "--model", "m", "--predictions", str(preds), "--tasks", "amc23", "--limit", "1",
            "--data-dir", str(shared_data), "--output", str(out), "--model-args", "base_url=http://127.0.0.1:9/v1", *extra]
    if backend == "replay":
        argv.remove("--model-args"), argv.remove("base_url=http://127.0.0.1:9/v1")
    err = usage_error(capsys, argv, alone=True)
    assert expected in err
    assert not out.exists()


def test_vllm_gen_kwargs_are_checked_before_anything_is_written(tmp_path, tiny_model_dir, shared_data, capsys):
    out = tmp_path / "run"
    argv = ["eval", "--backend", "vllm", "--model", str(tiny_model_dir), "--tasks", "amc23", "--limit", "1",
            "--data-dir", str(shared_data), "--output", str(out), "--gen-kwargs", "min_p=2"]
    err = usage_error(capsys, argv)
    assert "--gen-kwargs for --backend vllm: " in err and "min_p" in err
    assert not out.exists()
