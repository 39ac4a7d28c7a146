// SPDX-License-Identifier: MIT
// The avx2 level of analysis/stats_simd.h (-mavx2 -mfma -mf16c, and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_STATS_TABLE avx2SimdTable
#include "analysis/stats_simd.inc"
