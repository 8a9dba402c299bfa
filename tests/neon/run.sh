#!/usr/bin/env bash
# Cross-compiles the library and the NEON kernel check for AArch64 and runs it under QEMU user-mode emulation
# (a CPU model with dotprod). Usage: tests/neon/run.sh BUILD_DIR. Exits 77 (skipped) when the cross compiler or
# QEMU is missing; scripts/install-deps.sh installs both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR}
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "skipped: aarch64-linux-gnu-g++ or qemu-aarch64 not installed (scripts/install-deps.sh installs them)"
  exit 77
fi
mkdir -p "$build"
cat > "$build/toolchain.cmake" <<'TC'
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
TC
cmake -S "$here" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$build/toolchain.cmake" >/dev/null
# One job: ctest counts this test as one of its parallel slots, and more jobs would oversubscribe the cores under
# the timing-based tests running beside it (MachineRoofline.PeakLoopsRunEveryOperationTheyCount measured the clock
# low and failed when this build ran with two jobs on a 2-core machine).
cmake --build "$build" -j 1 >/dev/null
qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu "$build/neon_check"
