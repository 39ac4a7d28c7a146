// SPDX-License-Identifier: MIT
#pragma once
// Emulation of what llama.cpp's CPU backend does to a matmul's input before a quantized dot
// product, so that our logits predict llama.cpp's. ggml quantizes the activation row to the
// weight type's "vec_dot_type" and multiplies integer quants; the result equals a float product
// of the dequantized weights with the activations rounded as below (up to summation order).
//
//   weight type                     activations   rounding of each block of x (what we emulate)
//   Q4_0 Q4_1 Q5_0 Q5_1 Q8_0        Q8_0 (32)     amax = max|x|; q = nearbyint(x * (127/amax))
//                                                 (ties to even: the AVX quantize_row_q8_0 this
//                                                 x86 build runs); x' = fp16(amax/127) * q
//   Q2_K Q3_K Q4_K Q5_K Q6_K        Q8_K (256)    m = the x of largest |x| (first one wins);
//                                                 s = -127/m; q = min(127, nearest(s * x)) (ties
//                                                 to even, ggml's nearest_int); x' = (1/s) * q,
//                                                 scale kept in fp32 (quantize_row_q8_K_ref)
//   anything else (F32, F16, ...)   none          x unchanged
//
// A block whose values are all zero stays zero. Not emulated: Q8_1's extra fp16 sum term for
// Q4_1/Q5_1 (it rounds d * sum(q) to fp16; we use the exact sum), llama.cpp's rounding of
// activations to fp16 before F16 weights, and its F16 KV cache.

#include "formats/dtype.h"

#include <cstdint>

namespace cwb {

enum class ActivationRounding { None, Q8_0, Q8_K };

[[nodiscard]] ActivationRounding activationRoundingFor(DType weightType);

// Rounds `len` values in place (len must be a multiple of the block: 32 or 256).
void roundQ8_0Blocks(float *x, int64_t len);
void roundQ8_KBlocks(float *x, int64_t len);

// Rounds `rows` rows of `len` values as `r` says.
void roundActivations(ActivationRounding r, float *x, int64_t rows, int64_t len);

} // namespace cwb
