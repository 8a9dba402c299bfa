#!/usr/bin/env bash
# Produces the CPU tables of the README: random-weight models of the real shapes (configs/), written by
# `nemotron synth` (timed), then `nemotron bench` at 2 and 1 threads. One JSON object per line goes to
# $OUT/results.jsonl and the Markdown tables to stdout.
#
#   bash bench/cpu_tables.sh                 # 8B Q8_0 + Q4_0, 30B-A3B Q4_0
#   MODELOPT=1 bash bench/cpu_tables.sh      # the same plus the 8B ModelOpt FP8 and NVFP4 checkpoints
#   MODELS="8b:nvfp4" THREADS="2" bash bench/cpu_tables.sh
#
# Environment: OUT (model files and results; default ${TMPDIR:-/tmp}/nemotron-bench; needs ~35 GB for the three
# GGUF models, ~16 GB more for the two ModelOpt directories), MODELS (list of shape:type; a ModelOpt type, fp8,
# fp8_per_channel, nvfp4 or w4a16_nvfp4, is synthesized as a Hugging Face directory), MODELOPT=1 (appends
# 8b:fp8 8b:nvfp4 to MODELS), THREADS (list), P / N (prompt and generated tokens, 512 / 128), P1 / N1 (the
# 1-thread runs, default the same).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/nemotron}
OUT=${OUT:-${TMPDIR:-/tmp}/nemotron-bench}
MODELS=${MODELS:-"8b:q8_0 8b:q4_0 30b-a3b:q4_0"}
if [ "${MODELOPT:-0}" = 1 ]; then MODELS="$MODELS 8b:fp8 8b:nvfp4"; fi
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
  case "$type" in
    fp8|fp8_per_channel|nvfp4|w4a16_nvfp4) file="$OUT/nemotron-$shape-$type" weights="$file/*.safetensors" written="$file/config.json" ;;
    *) file="$OUT/nemotron-$shape-$type.gguf" weights="$file" written="$file" ;;
  esac
  # A directory gets its config.json last, so it marks a complete write.
  if [ ! -s "$written" ]; then
    start=$(date +%s.%N)
    "$BIN" synth --config "$(config_of "$shape")" --type "$type" --out "$file" >&2
    end=$(date +%s.%N)
    python3 -c "import json,glob,os,sys; print(json.dumps({'synth': sys.argv[1], 'type': sys.argv[2], 'seconds': float(sys.argv[4]) - float(sys.argv[3]), 'bytes': sum(os.path.getsize(f) for f in glob.glob(sys.argv[5]))}))" \
      "$shape" "$type" "$start" "$end" "$weights" >> "$results"
  fi
  # Routed experts that do not fit the packing budget are packed once into $OUT/cache (a 1-token run writes the
  # file, untimed; nothing is written for models whose experts fit or that have none).
  "$BIN" bench -m "$file" -p 1 -n 1 -t 2 --bw-mb 16 --expert-cache "$OUT/cache" > /dev/null
  experts=$(ls "$OUT/cache/$(basename "$file")".*.experts 2>/dev/null || true)
  for t in $THREADS; do
    # Warm page cache: the file was just written or other models pushed it out; a decode that reads weights from
    # disk measures the disk, not the engine. The other models' pages go first (the 30B-A3B file needs most of a
    # 24 GiB machine), and the file is read through a huge-page mapping as the engine maps it (bench/page_cache.py).
    # The packed-experts file is warmed last: the run reads the experts from it, not from the model file.
    python3 bench/page_cache.py --warm $weights $experts \
      --evict $(ls -d "$OUT"/*.gguf "$OUT"/*/*.safetensors "$OUT"/cache/*.experts 2>/dev/null)
    p=$P n=$N
    if [ "$t" = 1 ]; then p=$P1 n=$N1; fi
    "$BIN" bench -m "$file" -p "$p" -n "$n" -t "$t" --expert-cache "$OUT/cache" --json |
      python3 -c "import json,sys; j=json.load(sys.stdin); j['shape']=sys.argv[1]; print(json.dumps(j))" "$shape" >> "$results"
  done
done
python3 bench/cpu_tables.py "$results"
