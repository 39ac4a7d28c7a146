// SPDX-License-Identifier: MIT
#pragma once
// Estimated stored bytes of a planned tensor, computed from its shape and settings alone (no data
// is read). A matrix is rows x cols, cols = the contiguous last dimension; N = rows * cols; every
// row's codes start on a byte boundary (formats/quantized_tensor.h's layout). Per quantize method:
//   keep              the bytes stored now
//   f32 / f16 / bf16  N * 4 / 2 / 2
//   rtn, gptq, awq    codes rows * ceil(cols * bits / 8); S scale entries (group 0: 1, group -1:
//                     rows, else rows * cols / group), 2 bytes each (rtn with f16_scales false: 4);
//                     zeros ceil(S * bits / 8) unless sym; gptq with act_order and group > 0:
//                     4 * cols more (its int32 column-to-group map)
//   nf4               codes rows * ceil(cols / 2); B = N / block_size absmax values of 4 bytes, or
//                     with double_quant B + 4 * ceil(B / dq_block_size) + 4
//   fp8_e4m3/e5m2     codes N; scales 4 (per-tensor) or 4 * rows (per-channel)
//   mxfp4             codes rows * ceil(cols / 2); scales N / 32 (E8M0 bytes)
//   nvfp4             codes rows * ceil(cols / 2); scales N / 16 (E4M3 bytes); 4 (tensor scale)
//   ternary           codes rows * ceil(cols / 4) (two_bit) or rows * ceil(cols / 5) (base3); 4
//   q4_0 ... q6_k     ggml blocks: storageBytes(type, N), of which the blocks' d / dmin /
//                     sub-block scale fields are counted as scales
// Pruning to sparsity s (N:M: s = 1 - N/M) with an element-wise format (f32, f16, bf16, keep of
// a float tensor, rtn, gptq, awq, fp8, ternary) stores the kept values' codes plus a mask: N bits
// (unstructured) or ceil(log2 M) bits per kept value (N:M); the dense form is counted instead
// when it is smaller. Block formats (nf4, mxfp4, nvfp4, ggml) store zeros as values.
// Low rank r: W [m x n] ~ A [m x r] B [r x n]; the quantize method stores both factors ("keep":
// the tensor's float type, f16 if it has none); factors are dense, so no mask. With rank 0 the
// rank comes from the spectrum at run time: the estimate counts the tensor unfactorized (and
// says so in its note).

#include "recipe/plan.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace cwb {

[[nodiscard]] ByteEstimate estimateTensorBytes(const TensorPlan &plan);

// The ggml block type a quantize method writes ("q4_k" -> Q4_K); nullopt for other methods.
[[nodiscard]] std::optional<DType> ggmlMethodType(std::string_view method);
// Bytes of each ggml block that hold scales (d, dmin, sub-block scales) rather than codes.
[[nodiscard]] int ggmlScaleBytesPerBlock(DType t);
// What a row length must be a multiple of for this quantize slot (group, block); 1 = anything.
[[nodiscard]] int64_t quantRowMultiple(const SlotPlan &quantize);

} // namespace cwb
