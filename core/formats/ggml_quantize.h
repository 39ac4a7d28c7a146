// SPDX-License-Identifier: MIT
#pragma once
// Reference quantizers for ggml block types, byte-exact with llama.cpp's quantize_row_*_ref and,
// with importance weights, with ggml_quantize_chunk(type, ..., imatrix) (llama.cpp c392e509).
// Types: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K.
//
// There is no params struct: ggml's quantizers have no knobs besides the importance vector
// (llama-quantize's imatrix row: mean squared activation per input column). Q8_0 ignores it,
// as ggml does. Inputs and importance values must be finite; bad arguments throw cwb::Error.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cwb {

struct JobContext;

[[nodiscard]] bool ggmlCanQuantize(DType t);

// Quantize one row of `n` values (a multiple of the block size) into storageBytes(t, n) bytes.
// `importance` (n values, may be null) plays the role of llama.cpp's imatrix row.
void ggmlQuantizeRowReference(DType t, const float *x, std::byte *out, int64_t n,
                              const float *importance);

// Quantize `rows` rows of `rowLength` values; parallel over rows; same bytes as the reference.
// `importance` (rowLength values, may be null) applies to every row, as llama.cpp's imatrix does.
[[nodiscard]] std::vector<std::byte> ggmlQuantizeRows(DType t, const float *x, int64_t rows,
                                                      int64_t rowLength, const float *importance);
// Same, polling `job` for cancellation between chunks of rows (throws cwb::Cancelled).
[[nodiscard]] std::vector<std::byte> ggmlQuantizeRows(DType t, const float *x, int64_t rows,
                                                      int64_t rowLength, const float *importance,
                                                      const JobContext &job);

} // namespace cwb
