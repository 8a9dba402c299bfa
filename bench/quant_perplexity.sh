#!/usr/bin/env bash
# Perplexity of the bundled model after quantization: the checkpoint (F32), then GGUF files written by
# `nemotron quantize` at bf16, q8_0, q4_0, q4_k_m and q6_k, on the held-out Brown text (same windows, same
# tokens). Prints one JSON object per line and a Markdown table with the change relative to BF16.
#   bash bench/quant_perplexity.sh [TEXT] [CTX]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/nemotron}
TEXT=${1:-models/brown-heldout.txt}
CTX=${2:-256}
MODEL=models/nemotron-brown-tiny
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
results="$OUT/results.jsonl"
"$BIN" perplexity -m "$MODEL" -f "$TEXT" --ctx "$CTX" |
  python3 -c "import json,sys; j=json.load(sys.stdin); j['type']='f32 (safetensors)'; print(json.dumps(j))" >> "$results"
for t in bf16 q8_0 q6_k q4_k_m q4_0; do
  "$BIN" quantize -m "$MODEL" --type "$t" --out "$OUT/$t.gguf" 2> /dev/null
  "$BIN" perplexity -m "$OUT/$t.gguf" -f "$TEXT" --ctx "$CTX" |
    python3 -c "import json,sys; j=json.load(sys.stdin); j['type']=sys.argv[1]; print(json.dumps(j))" "$t" >> "$results"
done
cat "$results"
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base = next(r["ppl"] for r in rows if r["type"] == "bf16")
print("\n| weights | perplexity | vs BF16 | tokens |")
print("|---|---|---|---|")
for r in rows:
    print(f"| {r['type']} | {r['ppl']:.4f} | {100 * (r['ppl'] / base - 1):+.3f}% | {r['tokens']} |")
PY
