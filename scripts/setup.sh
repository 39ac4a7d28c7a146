#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages the workbench needs (only those missing), then configures and
# builds it (Release) in ./build. Safe to run again: it does only what is left to do.
# Environment: BUILD_DIR (default build), JOBS (default: number of cores).
# --packages-only: install what is missing and stop (scripts/run-sanitized-tests.sh builds itself).
# --with-clang: also clang and its sanitizer runtimes (the sanitizer suite and the fuzzers).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

packages=(
  cmake g++ ccache pkg-config dpkg-dev file
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-svg-dev libgl1-mesa-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  libeigen3-dev libtbb-dev libhdf5-dev nlohmann-json3-dev zlib1g-dev libsentencepiece-dev
  libyaml-cpp-dev libre2-dev
  liblapacke-dev
  xvfb xauth
)

for arg in "$@"; do
  if [ "$arg" = "--with-clang" ]; then packages+=(clang libclang-rt-14-dev); fi
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for arg in "$@"; do
  if [ "$arg" = "--packages-only" ]; then exit 0; fi
done

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$jobs"
