#!/usr/bin/env bash
# Fresh machine -> a real evaluation, offline: set up, then evaluate SmolLM2-135M-Instruct
# with the in-process vLLM engine (CPU build) on 5 problems of every math task (a seeded
# random subset: the first problems of a dataset are often its easiest), 2 samples each.
# Rerunning resumes (and then finishes in seconds). LIMIT, SAMPLE_SEED, MAX_TOKENS and
# OUTPUT override the defaults; the run's log is OUTPUT/run.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
data="${HARNESS_SHARED_DATA:-$root/../shared/data}"
[ -d "$data" ] && data="$(cd "$data" && pwd)"
if [ ! -f "$data/PROVENANCE.md" ]; then
    echo "quickstart: benchmark data not found at $data: put shared/data beside the repo or set HARNESS_SHARED_DATA" >&2
    exit 2
fi
model="$(.venv/bin/python -m harness.testing.local_models smollm2)"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# vLLM's CPU build: 1 GiB of KV cache, engine core in this process (starts in seconds).
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" VLLM_ENABLE_V1_MULTIPROCESSING="${VLLM_ENABLE_V1_MULTIPROCESSING:-0}"
.venv/bin/harness eval --model "$model" --backend vllm --model-args max_model_len=2048 \
    --tasks math --sample-docs "${SAMPLE_SEED:-0}" --limit "${LIMIT:-5}" -n 2 --seed 0 \
    --temperature 0.6 --top-p 0.95 --max-tokens "${MAX_TOKENS:-512}" \
    --data-dir "$data" --output "${OUTPUT:-runs/quickstart-smollm2}"
