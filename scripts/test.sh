#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole test suite — once on the Release
# build, then again on a clang AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/).
# Set NEMOTRON_SKIP_SANITIZERS=1 to skip the second pass during local iteration.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
JOBS="$(nproc)"

bash scripts/build.sh -DNEMOTRON_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure -j"$JOBS"

if [ "${NEMOTRON_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== sanitizer pass (clang, ASan + UBSan)"
  CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEMOTRON_SANITIZE=ON \
    -DNEMOTRON_FUZZ=ON -DNEMOTRON_BUILD_TESTS=ON >/dev/null
  cmake --build build-asan -j"$JOBS"
  # The reference-only tests (Python) exercise no C++ and already ran above. The fuzz smoke tests (fuzz_smoke_*)
  # run here: any crash, sanitizer report, leak, hang or out-of-memory in a fuzz target fails the suite.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS" -LE "reference|slow"
fi
