// SPDX-License-Identifier: MIT
// The avx2 level of formats/quant_simd.h (-mavx2 -mfma -mf16c, and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_QUANT_TABLE avx2Table
#include "formats/quant_simd.inc"
