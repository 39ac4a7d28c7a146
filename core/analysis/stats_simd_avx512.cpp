// SPDX-License-Identifier: MIT
// The avx512 level of analysis/stats_simd.h (-mavx2 -mfma -mf16c -mavx512f/bw/vl/dq/vnni, and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_STATS_TABLE avx512SimdTable
#include "analysis/stats_simd.inc"
