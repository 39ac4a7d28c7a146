// SPDX-License-Identifier: MIT
#pragma once
// Dot products of one ggml-block row with a float vector, straight from the blocks: the decode
// path of GgmlLinear (one token reads every weight once, so expanding rows to floats first would
// cost more than the multiply). Per block the quants are multiplied with x into 16 float lanes
// and the block's scale is applied once (plus the min term for types with one); the lanes are
// summed at the end. Written with GCC/Clang vector extensions (16 float lanes: one AVX-512
// register, two AVX2 ones, or SSE2 code at the baseline level), compiled once per CPU level and
// picked at start (util/cpu_features.h). Same value as dequantize-then-dot
// up to float rounding order; tests compare it with GgmlLinear::forwardReference.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

enum class CpuLevel; // util/cpu_features.h (not included: the per-ISA files include this header)

// Types with a fused kernel: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q6_K.
[[nodiscard]] bool ggmlDotSupported(DType t);

// sum_k w[k] * x[k] over one row of `n` values (a whole number of blocks) stored at `row`.
[[nodiscard]] float ggmlDot(DType t, const std::byte *row, const float *x, int64_t n);
// The same on a given level (tests compare the levels).
[[nodiscard]] float ggmlDot(DType t, const std::byte *row, const float *x, int64_t n,
                            CpuLevel level);

namespace ggmldot {
// The per-level entries (kernels_avx2.cpp, kernels_avx512.cpp); arguments checked by ggmlDot.
float avx2(DType t, const std::byte *row, const float *x, int64_t n);
float avx512(DType t, const std::byte *row, const float *x, int64_t n);
} // namespace ggmldot

} // namespace cwb
