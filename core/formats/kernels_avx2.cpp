// SPDX-License-Identifier: MIT
// The AVX2 level of the formats kernels (compiled with -mavx2 -mfma -mf16c: core/CMakeLists.txt):
// the integer dot products of formats/int_dot.h and the packed-code decode of
// formats/packed_dot.h and the float-activation ggml dots of formats/ggml_dot.h
// (int_dot_simd.inc). This file must include nothing with inline code
// shared with other translation units: the linker could otherwise keep this file's copy, built
// for a wider instruction set, for every caller.

#include "formats/dtype.h"
#include "formats/ggml_dot.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define CWB_INT_DOT_VNNI 0
#include "formats/int_dot_simd.inc"
#define CWB_LEVEL_KERNELS 1
#else
// Not an x86-64 compiler (or the flags are missing): the integer and packed kernels of this level
// are the scalar references, the float ones the portable vector-extension code.
#define CWB_LEVEL_KERNELS 0
#include "formats/ggml_dot_simd.inc"
#endif

#define CWB_LEVEL_FN(suffix) avx2##suffix
#include "formats/kernels_level.inc"
