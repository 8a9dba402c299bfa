#!/bin/sh
# A short libFuzzer run of one target over its committed seeds (ctest's fuzz_smoke_* tests, see fuzz.cmake).
#   smoke.sh FUZZER SEED_DIR SCRATCH_DIR SECONDS [-dict=FILE]
# New inputs go to SCRATCH_DIR/corpus (the seeds are never written); a finding leaves its input in SCRATCH_DIR
# and makes the fuzzer, and so this script, exit non-zero.
set -eu
fuzzer="$1"; seeds="$2"; scratch="$3"; seconds="$4"; shift 4
rm -rf "$scratch"
mkdir -p "$scratch/corpus"
exec "$fuzzer" "$@" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$scratch/" "$scratch/corpus" "$seeds"
