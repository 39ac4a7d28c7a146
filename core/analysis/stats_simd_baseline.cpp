// SPDX-License-Identifier: MIT
// The baseline level of analysis/stats_simd.h (no flags beyond the build's (x86-64: SSE2), and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_STATS_TABLE baselineSimdTable
#include "analysis/stats_simd.inc"
