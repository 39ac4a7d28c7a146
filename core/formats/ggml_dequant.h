// SPDX-License-Identifier: MIT
#pragma once
// Scalar reference dequantizers for ggml block types (Q4_0 … Q8_K), bit-exact with ggml's
// `dequantize_row_*` in ggml-quants.c. Block layouts are documented in ggml_dequant.cpp.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

// True for the block types ggmlDequantizeRow decodes: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q2_K..Q8_K.
[[nodiscard]] bool ggmlCanDequantize(DType t);

// `n` must be a multiple of the type's block size; throws cwb::Error for non-ggml or
// undecodable types. `src` holds storageBytes(t, n) bytes; no alignment is required.
void ggmlDequantizeRow(DType t, const std::byte *src, float *dst, int64_t n);

} // namespace cwb
