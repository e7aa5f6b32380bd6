#!/usr/bin/env bash
# Fresh machine -> a real evaluation, offline: set up, then evaluate SmolLM2-135M-Instruct
# on the first problems of every math task. Rerunning resumes (and then finishes in seconds).
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
model="$(.venv/bin/python -m harness.local_models smollm2)"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/harness eval --model "$model" --backend transformers \
    --tasks gsm8k,math500,aime24,aime25,amc23 --limit "${LIMIT:-2}" -n 2 --seed 0 \
    --temperature 0.6 --top-p 0.95 --max-tokens "${MAX_TOKENS:-320}" \
    --data-dir "$data" --output "${OUTPUT:-runs/quickstart-smollm2}"
