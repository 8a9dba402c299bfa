#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, and runs the engine on the embedded model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --no-npm
bash scripts/build.sh -DNEMOTRON_BUILD_TESTS=OFF

MODEL=models/nemotron-brown-tiny
echo "== nemotron info -m $MODEL"
build/bin/nemotron info -m "$MODEL"
echo
echo "== nemotron run -p \"The jury said that\" -n 48 --seed 1   (the bundled model is the default)"
build/bin/nemotron run -p "The jury said that" -n 48 --temp 0.8 --top-k 40 --seed 1 --stats
