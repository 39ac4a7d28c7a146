// SPDX-License-Identifier: MIT
// The avx512 level of formats/quant_simd.h (-mavx2 -mfma -mf16c -mavx512f/bw/vl/dq/vnni, and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_QUANT_TABLE avx512Table
#include "formats/quant_simd.inc"
