#!/usr/bin/env bash
# nemotron.cpp and llama.cpp on the same GGUF file, interleaved (nemotron, llama.cpp, nemotron, llama.cpp)
# so that both see the same machine state; prints the four JSON lines and the llama.cpp / nemotron ratios
# of the better run of each.
#   bash bench/side_by_side.sh FILE.gguf [THREADS] [PP] [TG]
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:?usage: bench/side_by_side.sh FILE.gguf [THREADS] [PP] [TG]}
T=${2:-2}; PP=${3:-512}; TG=${4:-128}
BIN=${NEMOTRON_BIN:-build/bin/nemotron}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for rep in 1 2; do
  "$BIN" bench -m "$FILE" --json -t "$T" -p "$PP" -n "$TG" | tail -n 1 | tee -a "$out"
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true node bench/llama_cpp_bench.mjs -m "$FILE" --threads "$T" --pp "$PP" --tg "$TG" \
    | tail -n 1 | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
best = {}
for r in rows:
    e = r.get("engine", "nemotron")
    b = best.setdefault(e, {"prefill_tokens_per_s": 0.0, "decode_tokens_per_s": 0.0})
    for k in b: b[k] = max(b[k], float(r[k]))
n, l = best.get("nemotron"), best.get("llama.cpp")
if n and l:
    for k in ("prefill_tokens_per_s", "decode_tokens_per_s"):
        print(f"{k}: nemotron {n[k]:.1f}  llama.cpp {l[k]:.1f}  nemotron/llama.cpp {n[k] / l[k]:.2f}")
PY
