// SPDX-License-Identifier: MIT
#pragma once
// The stored types a tensor keeps as they are: plain floats (F32, F16, BF16) and ggml blocks.
// "keep", f32 / f16 / bf16 and the ggml methods (q4_0 ... q6_k) write these; their exact bytes,
// whether they decode a zero exactly, and their GGUF names are here once.

#include "methods/method.h"

#include <cstdint>

namespace cwb {

// What "keep" writes for a tensor stored as `stored` whose values a stage changed: the same type
// when it can be written again (plain floats; ggml types with a quantizer and whole blocks per
// row), else F32.
[[nodiscard]] DType keepStorageType(DType stored, int64_t rowLength);
// What "keep" writes for low-rank factors (compress/low_rank.h's default factor type).
inline constexpr DType kFactorKeepType = DType::F16;

// Bytes of rows x cols values in `t` (F32/F16/BF16 or a ggml block type); ggml's d / dmin /
// sub-block scale fields are counted as scales.
[[nodiscard]] ByteEstimate typeBytes(DType t, uint64_t rows, uint64_t cols);
// Bytes of each ggml block that hold scales (d, dmin, sub-block scales) rather than codes.
[[nodiscard]] int ggmlScaleBytesPerBlock(DType t);
// True when a zero weight decodes as exactly 0.0 in `t`: floats, and the ggml types without a
// block minimum (q4_0, q5_0, q8_0, q3_k, q6_k); q4_1, q5_1, q2_k, q4_k and q5_k add an offset.
[[nodiscard]] bool typeDecodesZeroExactly(DType t);
// rows x cols floats stored in `t` (F32/F16/BF16 as values, ggml types re-quantized).
[[nodiscard]] StoredMatrix storeInType(DType t, const QuantizeInput &in,
                                       const float *importance = nullptr);
// GGUF and compressed-tensors forms of a tensor stored in `t`.
[[nodiscard]] ExportForms typeExportForms(DType t);

} // namespace cwb
