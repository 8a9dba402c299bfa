#!/usr/bin/env bash
# Produces the CPU tables of the README: random-weight models of the real shapes (configs/), written by
# `nemotron synth` (timed), then `nemotron bench` at 2 and 1 threads. One JSON object per line goes to
# $OUT/results.jsonl and the Markdown tables to stdout.
#
#   bash bench/cpu_tables.sh                 # 8B Q8_0 + Q4_0, 30B-A3B Q4_0
#   MODELS="8b:q4_0" THREADS="2" bash bench/cpu_tables.sh
#
# Environment: OUT (model files and results; default ${TMPDIR:-/tmp}/nemotron-bench; needs ~35 GB for all
# three models), MODELS (list of shape:type), THREADS (list), P / N (prompt and generated tokens, 512 / 128),
# P1 / N1 (the 1-thread runs, default the same).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/nemotron}
OUT=${OUT:-${TMPDIR:-/tmp}/nemotron-bench}
MODELS=${MODELS:-"8b:q8_0 8b:q4_0 30b-a3b:q4_0"}
THREADS=${THREADS:-"2 1"}
P=${P:-512}
N=${N:-128}
P1=${P1:-$P}
N1=${N1:-$N}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }

config_of() {
  case "$1" in
    8b) echo configs/Nemotron-H-8B.json ;;
    9b) echo configs/NVIDIA-Nemotron-Nano-9B-v2.json ;;
    30b-a3b) echo configs/NVIDIA-Nemotron-3-Nano-30B-A3B.json ;;
    *) echo "unknown shape $1 (8b, 9b, 30b-a3b)" >&2; exit 1 ;;
  esac
}

results="$OUT/results.jsonl"
: > "$results"
for m in $MODELS; do
  shape=${m%%:*} type=${m##*:}
  file="$OUT/nemotron-$shape-$type.gguf"
  if [ ! -s "$file" ]; then
    start=$(date +%s.%N)
    "$BIN" synth --config "$(config_of "$shape")" --type "$type" --out "$file" >&2
    end=$(date +%s.%N)
    python3 -c "import json,os,sys; print(json.dumps({'synth': sys.argv[1], 'type': sys.argv[2], 'seconds': float(sys.argv[4]) - float(sys.argv[3]), 'bytes': os.path.getsize(sys.argv[5])}))" \
      "$shape" "$type" "$start" "$end" "$file" >> "$results"
  fi
  # Warm page cache: the file was just written or other models pushed it out; a decode that reads weights from
  # disk measures the disk, not the engine.
  cat "$file" > /dev/null
  for t in $THREADS; do
    p=$P n=$N
    if [ "$t" = 1 ]; then p=$P1 n=$N1; fi
    "$BIN" bench -m "$file" -p "$p" -n "$n" -t "$t" --json |
      python3 -c "import json,sys; j=json.load(sys.stdin); j['shape']=sys.argv[1]; print(json.dumps(j))" "$shape" >> "$results"
  done
done
python3 bench/cpu_tables.py "$results"
