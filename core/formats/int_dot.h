// SPDX-License-Identifier: MIT
#pragma once
// Integer dot products of ggml weight rows with activations quantized to 8 bits, as llama.cpp's
// CPU backend computes them (ggml_vec_dot_<type>_q8_<k>): per block, the integer sum of weight
// quants times activation quants, scaled by the two block scales; min/offset terms through the
// activations' block sums. The activations are quantized once per matmul input
// (formats/q8_activations.h: Q8_0 for the 32-value types, Q8_K for the K-quants).
//
// Every kernel exists as a scalar reference (int_dot_scalar.cpp, written in llama.cpp's scalar
// order) and per instruction set (int_dot_avx2.cpp, int_dot_avx512.cpp: one shared source
// compiled twice, the second with AVX-512 VNNI's vpdpbusd). The integer part of every block is
// exact on every level; the float sums over blocks differ in order only (tests pin both:
// exactly equal where all scales are powers of two, a relative tolerance otherwise).
//
// A kernel takes one weight row and 1..kIntDotMaxRows activation rows: each weight block is
// unpacked once and multiplied with every activation row (the prefill tiling).

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

enum class CpuLevel; // util/cpu_features.h (not included: the per-ISA files include this header)

inline constexpr int kIntDotMaxRows = 4;

// Activation rows quantized for one weight type, structure of arrays (plain pointers: the
// per-ISA translation units see no std:: templates). Row i of `len` values:
//   qs   + i * len                 int8 quants
//   d    + i * len / block         block scales (block = 32 for Q8_0, 256 for Q8_K), as float
//   s    + i * len / 32            Q8_0 only: Q8_1's term fp16(d * sum q), for Q4_1 / Q5_1
//   sums + i * len / sumBlock      integer sums of the quants per 32 (Q8_0) or 16 (Q8_K: bsums),
//                                  int16 as llama.cpp's block_q8_K (|sum| <= 32 * 127)
struct Q8View {
    const int8_t *qs = nullptr;
    const float *d = nullptr;
    const float *s = nullptr;
    const int16_t *sums = nullptr;
    int64_t len = 0;
};

// y[r * yStride] = dot(weight row w, activation row row0 + r) for r < nRows (1..kIntDotMaxRows).
using IntDotFn = void (*)(const std::byte *w, const Q8View &x, int64_t row0, int nRows, float *y,
                          int64_t yStride);

// Types with an integer kernel: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K.
[[nodiscard]] bool intDotSupported(DType t);
// The kernel of `level` for `t` (nullptr when intDotSupported(t) is false).
[[nodiscard]] IntDotFn intDotKernel(DType t, CpuLevel level);
// The kernel of activeCpuLevel(), chosen once.
[[nodiscard]] IntDotFn intDotKernel(DType t);

// The per-level tables (each defined in its own translation unit).
namespace intdot {
struct Table {
    IntDotFn q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k;
};
const Table &scalarTable();
const Table &avx2Table();
const Table &avx512Table();
} // namespace intdot

} // namespace cwb
