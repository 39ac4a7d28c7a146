// SPDX-License-Identifier: MIT
#pragma once
// Fused dequantize-and-dot for the packed integer codes of QuantizedTensor (rtn / gptq / awq:
// 4-bit and 8-bit, symmetric or asymmetric, groups of a multiple of 32 or one per row) with
// float activations: the decode path of QuantizedLinear, reading each weight code once and never
// writing the row out as floats. Per group g of a row
//   y += s_g * (sum_j u_j x_j) - s_g z_g * (sum_j x_j)
// where u are the stored codes, s_g the group scale and z_g the zero (2^(b-1) when symmetric);
// the activation sums per group are computed once per input row by the caller. Codes that index
// a table of levels (16 for 4-bit nf4 / mxfp4, 256 for 8-bit fp8: value = s_g * level[u]) take
// y += s_g * sum_j level[u_j] x_j (fp8 codes are converted from their bits instead: see fp8).
//
// Scalar reference (packed_dot.cpp) and per-ISA kernels (int_dot_simd.inc, in the same per-ISA
// translation units as the ggml integer kernels); tests compare them within 1e-5 of the sum of
// |terms| and the whole product with QuantizedLinear::forwardReference.

#include <cstdint>

namespace cwb {

enum class CpuLevel; // util/cpu_features.h (not included: the per-ISA files include this header)

// One weight row of `len` codes of `bits` (4: two per byte, low nibble first; 8: one per byte),
// groups of `group` values (a multiple of 32, or 16 for 4-bit level codes: nvfp4; len a multiple
// of 32); `scale[g]`, `zero[g]` per group as floats.
// x: nRows rows of len floats (stride xStride); xsum: per row, len / group sums (stride
// len / group). y[r * yStride] = dot of the row with x row r, for r < nRows (1..4). With
// `levels` (2^bits floats) the codes index it and `zero` / xsum are not read.
struct PackedRow {
    const uint8_t *codes = nullptr;
    const float *scale = nullptr;
    const float *zero = nullptr;
    int bits = 4;
    int64_t len = 0;
    int64_t group = 0;
    const float *levels = nullptr;
    // 8-bit codes that are fp8 bit patterns (levels = their values): 1 E4M3, 2 E5M2, 0 other.
    // The x86 kernels then convert the bits (to fp16, then float: exact, NaN codes included)
    // instead of gathering from `levels`; the scalar reference always looks them up.
    int fp8 = 0;
};

using PackedDotFn = void (*)(const PackedRow &w, const float *x, int64_t xStride,
                             const float *xsum, int nRows, float *y, int64_t yStride);

inline constexpr int kPackedDotMaxRows = 4;

// The kernel of `level` (scalar, avx2, avx512).
[[nodiscard]] PackedDotFn packedDotKernel(CpuLevel level);
// The kernel of activeCpuLevel(), chosen once.
[[nodiscard]] PackedDotFn packedDotKernel();

namespace packeddot {
void scalar(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
            float *y, int64_t yStride);
void avx2(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
          float *y, int64_t yStride);
void avx512(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
            float *y, int64_t yStride);
} // namespace packeddot

} // namespace cwb
