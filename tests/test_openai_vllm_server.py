"""`--backend openai` against a real vLLM OpenAI server started here on 127.0.0.1.

The server serves the tiny random Llama; `--generation-config vllm` keeps the model's
own sampling defaults out, so the harness' sampling params are the whole spec on both
the server and the in-process engine.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from run_helpers import kill_after_rows, sample_rows

from harness.testing.local_server import CPU_ENV, start_vllm_server

VLLM_ENV = CPU_ENV


@pytest.fixture(scope="module")
def vllm_server(tiny_model_dir, tmp_path_factory):
    try:
        server = start_vllm_server(tiny_model_dir, tmp_path_factory.mktemp("vllm-server") / "server.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server.base_url
    server.stop()


def eval_cmd(backend, model, data, out, *extra):
    return [sys.executable, "-m", "harness.cli", "eval", "--backend", backend, "--model", str(model),
            "--tasks", "gsm8k", "--limit", "12", "-n", "3", "--seed", "3", "--temperature", "1.0", "--top-p", "1.0",
            "--max-tokens", "32", "--data-dir", str(data), "--output", str(out), "--no-progress", *extra]


def test_openai_backend_matches_vllm_engine_and_resumes_after_sigkill(vllm_server, tiny_model_dir, shared_data, tmp_path):
    env = {**os.environ, **VLLM_ENV}
    served = ["--model-args", json.dumps({"base_url": vllm_server, "concurrency": 8})]

    via_server = tmp_path / "server"
    done = subprocess.run(eval_cmd("openai", tiny_model_dir, shared_data, via_server, *served), env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(sample_rows(via_server)) == 36

    via_engine = tmp_path / "engine"
    done = subprocess.run(eval_cmd("vllm", tiny_model_dir, shared_data, via_engine,
                                   "--model-args", "max_model_len=512,generation_config=vllm"),
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sample_rows(via_engine) == sample_rows(via_server)  # same seed, same samples on both paths

    killed = tmp_path / "killed"
    one_at_a_time = ["--model-args", json.dumps({"base_url": vllm_server, "concurrency": 1})]
    cmd = eval_cmd("openai", tiny_model_dir, shared_data, killed, *one_at_a_time)
    assert 6 <= kill_after_rows(cmd, env, killed / "samples.jsonl", 6) < 36
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sample_rows(killed) == sample_rows(via_server)
