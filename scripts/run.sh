#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, and runs the engine on the embedded model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --no-npm
bash scripts/build.sh -DNEMOTRON_BUILD_TESTS=OFF
MODEL=tests/fixtures/moe_f32
echo "== nemotron info -m $MODEL"
build/bin/nemotron info -m "$MODEL"
echo "== nemotron run -m $MODEL --tokens 1,2,3 -n 16 --temp 0 --ids"
build/bin/nemotron run -m "$MODEL" --tokens 1,2,3 -n 16 --temp 0 --ids --ignore-eos
