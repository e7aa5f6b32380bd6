"""`--backend openai` against a real vLLM OpenAI server started here on 127.0.0.1.

The server serves the tiny random Llama; `--generation-config vllm` keeps the model's
own sampling defaults out, so the harness' sampling params are the whole spec on both
the server and the in-process engine.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from harness.local_server import CPU_ENV, start_vllm_server
from harness.store import iter_samples

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


def rows(run):
    return sorted((r["task"], r["doc_id"], r["sample"], r["output"]) for r in iter_samples(run))


def test_openai_backend_matches_vllm_engine_and_resumes_after_sigkill(vllm_server, tiny_model_dir, shared_data, tmp_path):
    env = {**os.environ, **VLLM_ENV}
    served = ["--model-args", json.dumps({"base_url": vllm_server, "concurrency": 8})]

    via_server = tmp_path / "server"
    done = subprocess.run(eval_cmd("openai", tiny_model_dir, shared_data, via_server, *served), env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(rows(via_server)) == 36

    via_engine = tmp_path / "engine"
    done = subprocess.run(eval_cmd("vllm", tiny_model_dir, shared_data, via_engine,
                                   "--model-args", "max_model_len=512,generation_config=vllm"),
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert rows(via_engine) == rows(via_server)  # same seed, same samples on both paths

    killed = tmp_path / "killed"
    proc = subprocess.Popen(eval_cmd("openai", tiny_model_dir, shared_data, killed, "--model-args",
                                     json.dumps({"base_url": vllm_server, "concurrency": 1})),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    samples = killed / "samples.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if samples.exists() and samples.read_text().count("\n") >= 6:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 6 <= len(list(iter_samples(killed))) < 36
    done = subprocess.run(eval_cmd("openai", tiny_model_dir, shared_data, killed, "--model-args",
                                   json.dumps({"base_url": vllm_server, "concurrency": 1})),
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    keys = [r[:3] for r in rows(killed)]
    assert not [k for k, c in Counter(keys).items() if c > 1]
    assert rows(killed) == rows(via_server)
