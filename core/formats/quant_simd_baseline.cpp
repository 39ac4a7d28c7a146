// SPDX-License-Identifier: MIT
// The baseline level of formats/quant_simd.h (no flags beyond the build's (x86-64: SSE2), and -ffp-contract=off:
// core/CMakeLists.txt).
#define CWB_QUANT_TABLE baselineTable
#include "formats/quant_simd.inc"
