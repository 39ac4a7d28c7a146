#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the test suite once more with AddressSanitizer + UndefinedBehaviorSanitizer, in a build
# directory of its own (build-asan; ccache keys on the flags, so it never mixes objects with
# ./build), and runs the whole suite there headless. Only the test executables and the `cwb`
# they run are built (not the GUI application, not the benchmarks, which no test runs).
# -O1 -g1: sanitizer builds at -O1 compile much faster than at -O3 and run the suite fast enough;
# line tables keep the reports readable.
# Any sanitizer report fails the test that caused it (halt_on_error); leaks are reported, except
# inside third-party libraries listed in scripts/sanitizer/lsan.supp.
# Environment: ASAN_BUILD_DIR (default build-asan), JOBS (default: number of cores),
# CWB_SHARED as for run-tests.sh. Extra arguments go to ctest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
jobs=${JOBS:-$(nproc)}
"$root/scripts/setup.sh" --packages-only --with-clang

# clang: with both sanitizers at -O1 it compiles this code base faster than GCC 12 (timings in the
# README, Reliability), which keeps the suite inside CI's budget.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
    -DCWB_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j "$jobs" --target cwb_test_executables

export QT_QPA_PLATFORM=offscreen
# Qt Test's own limit per test function (300 s) is too short for the dev256 functions under the
# sanitizers (test_block_recon's model KLD takes ~6 min here); CTest's per-test limit (5x) stays.
export QTEST_FUNCTION_TIMEOUT=${QTEST_FUNCTION_TIMEOUT:-1800000}
export CWB_SHARED=${CWB_SHARED:-$(cd "$root/.." && pwd)/shared}
supp=$root/scripts/sanitizer
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp
cd "$build"
ctest --output-on-failure -j "$jobs" "$@"
