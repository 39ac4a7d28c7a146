// SPDX-License-Identifier: MIT
// The AVX-512 level of the formats kernels (compiled with AVX-512 F/BW/VL/DQ + VNNI:
// core/CMakeLists.txt): the integer dot products of formats/int_dot.h and the packed-code decode of
// formats/packed_dot.h and the float-activation ggml dots of formats/ggml_dot.h
// (int_dot_simd.inc). This file must include nothing with inline code
// shared with other translation units: the linker could otherwise keep this file's copy, built
// for a wider instruction set, for every caller.

#include "formats/dtype.h"
#include "formats/ggml_dot.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define CWB_INT_DOT_VNNI 1
#include "formats/int_dot_simd.inc"
#define CWB_LEVEL_KERNELS 1
#else
// Not an x86-64 compiler (or the flags are missing): the integer and packed kernels of this level
// are the scalar references, the float ones the portable vector-extension code.
#define CWB_LEVEL_KERNELS 0
#include "formats/ggml_dot_simd.inc"
#endif

#define CWB_LEVEL_FN(suffix) avx512##suffix
#include "formats/kernels_level.inc"
