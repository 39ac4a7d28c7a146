// SPDX-License-Identifier: MIT
#pragma once
// Dequantization for the engine's inner loop: bit-identical to ggmlDequantizeRow (the scalar
// reference in formats/ggml_dequant.h, which tests pin against llama.cpp), restructured where the
// reference's loop order keeps the compiler from vectorising it. Today that is Q6_K (its
// reference writes four strided outputs per step, ~10x slower than the other types); every
// other type goes straight to the reference.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

void dequantizeRowFast(DType t, const std::byte *src, float *dst, int64_t n);

} // namespace cwb
