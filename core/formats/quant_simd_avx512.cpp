// SPDX-License-Identifier: MIT
// The avx512 level of formats/quant_simd.h (-mavx2 -mfma -mf16c -mavx512f/bw/vl/dq/vnni, and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_QUANT_TABLE avx512Table
// GCC 12.2's AVX-512 intrinsics pass _mm*_undefined_*() as the unused source of their masked
// builtins, which -Wuninitialized reports once they are inlined deep enough (GCC bug 105593,
// fixed in 12.3): a false positive, silenced for this file only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "formats/quant_simd.inc"
