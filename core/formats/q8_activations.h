// SPDX-License-Identifier: MIT
#pragma once
// What llama.cpp's CPU backend does to a matmul's input before a quantized dot product: ggml
// quantizes the activation row to the weight type's "vec_dot_type" and multiplies integer quants
// (formats/int_dot.h). quantizeActivations produces exactly those quants and scales; the
// rounding functions below give the same values as floats (d * q), for the float paths that
// emulate it (a dequantized product of the rounded activations equals the integer one up to
// summation order).
//
//   weight type                     activations   rounding of each block of x
//   Q4_0 Q4_1 Q5_0 Q5_1 Q8_0        Q8_0 (32)     amax = max|x|; q = nearbyint(x * (127/amax))
//                                                 (ties to even: the AVX quantize_row_q8_0 this
//                                                 x86 build runs); d = fp16(amax/127); x' = d * q.
//                                                 Q4_1 / Q5_1 take Q8_1: the same quants plus
//                                                 s = fp16((amax/127) * sum q) for the min term
//   Q2_K Q3_K Q4_K Q5_K Q6_K        Q8_K (256)    m = the x of largest |x| (first one wins);
//                                                 s = -127/m; q = min(127, nearest(s * x)) (ties
//                                                 to even, ggml's nearest_int); x' = (1/s) * q,
//                                                 scale kept in fp32 (quantize_row_q8_K_ref),
//                                                 bsums = sums of 16 quants
//   anything else (F32, F16, ...)   none          x unchanged
//
// A block whose values are all zero stays zero. The float emulation (roundActivations) does not
// reproduce Q8_1's fp16 sum term (it uses the exact sum); the integer path does. Not reproduced
// by either: llama.cpp's rounding of activations to fp16 before F16 weights, and its F16 KV
// cache.

#include "formats/dtype.h"

#include "formats/int_dot.h"

#include <cstdint>
#include <vector>

namespace cwb {

enum class ActivationRounding { None, Q8_0, Q8_K };

[[nodiscard]] ActivationRounding activationRoundingFor(DType weightType);

// Rounds `len` values in place (len must be a multiple of the block: 32 or 256).
void roundQ8_0Blocks(float *x, int64_t len);
void roundQ8_KBlocks(float *x, int64_t len);

// Rounds `rows` rows of `len` values as `r` says.
void roundActivations(ActivationRounding r, float *x, int64_t rows, int64_t len);

// `rows` rows of `len` values quantized as `kind` says (Q8_0 or Q8_K), the input of the integer
// kernels; view() hands them over.
struct Q8Activations {
    ActivationRounding kind = ActivationRounding::None;
    int64_t rows = 0;
    int64_t len = 0;
    std::vector<int8_t> qs;
    std::vector<float> d;
    std::vector<float> s;      // Q8_0 only
    std::vector<int16_t> sums; // per 32 (Q8_0) or 16 (Q8_K)

    [[nodiscard]] Q8View view() const
    {
        return Q8View{qs.data(), d.data(), s.empty() ? nullptr : s.data(), sums.data(), len};
    }
};

// Throws cwb::Error when `kind` is None or len is not a whole number of blocks.
void quantizeActivations(ActivationRounding kind, const float *x, int64_t rows, int64_t len,
                         Q8Activations &out);

} // namespace cwb
