// SPDX-License-Identifier: MIT
#pragma once
// GPTQ onto ggml's grids: the codes of Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K chosen
// by GPTQ's error-compensating column loop (compress/gptq_loop.h), the scales and mins of each
// block chosen by llama.cpp's own search (formats/ggml_quantize.h, byte-exact with
// llama-quantize), optionally weighted by the inputs' mean squares as llama.cpp's imatrix
// weights it. The result is the type's exact bytes: the GGUF export writes them as they are and
// llama.cpp decodes them; only the codes differ from llama-quantize's.
//
// Scales:
//   static (actOrder = true, the default): every block's scales are searched on the original
//     row before the loop; columns are then visited in descending diag(H) order.
//   lazy (actOrder = false): a block's scales are searched when the loop enters it, on the
//     current, already error-updated weights of the row (gptq.py's behaviour for groups).
// Static scales with act order measured better on dev256 (all layer matrices, embed Q6_K, 64 x
// 256 calibration tokens, KLD vs F32 over 60 windows of 256 on eval.txt): onto Q4_K 1.121e-3
// (lazy 1.134e-3; llama.cpp's quantizer with imatrix 1.857e-3), onto Q3_K 4.39e-3 (lazy
// 4.51e-3; llama.cpp 7.79e-3).
// Codes: each weight takes the nearest code of its block's grid, value = step * (u - offset) +
// base (formats/ggml_block_codes.h), clamped to the type's range.
//
// Why it helps: llama.cpp's search picks scales that fit the weights; GPTQ then rounds each
// weight knowing how the error of the columns before it moves the layer's output, so the same
// grid reproduces X W^T better (compress/output_error.h measures exactly that).

#include "compress/stored_matrix.h"
#include "formats/dtype.h"

#include <cstdint>

namespace cwb {

struct JobContext;

struct GptqGgmlParams {
    DType type = DType::Q4_K; // any type of formats/ggml_block_codes.h
    bool importance = true;   // weight the scale search by mean x^2 (diag(H) / tokens)
    double damp = 0.01;       // added to diag(H): damp x mean(diag(H)) (gptq.py's percdamp)
    bool actOrder = true;     // columns in descending diag(H) order, scales static (see above)
    int blockSize = 128;      // lazy-batch width of the fast path (> 0; rounded up to the block)
    // After the loop, per row: the blocks' fp16 d (and min) refitted by least squares to the
    // original weights for the chosen codes, (w - q)^T H (w - q) minimised over the whole row,
    // kept where it lowers that error. Codes and integer sub-scales stay. Off by default: on
    // dev256 it gained 1% of KLD onto Q4_K (1.121e-3 -> 1.111e-3), 0.4% onto Q3_K, 1.5% onto
    // Q4_0 for about 3 x rows x cols^2 more flops.
    bool refit = false;
};

// W row-major [rows x cols] float32, cols a multiple of the type's block; h: the raw Hessian sum
// X^T X (cols x cols, row-major) from `tokens` input rows. Throws cwb::Error for bad arguments,
// non-finite values or a Hessian that is not positive definite after dampening; polls `job`
// between row blocks (cwb::Cancelled).
// keepMask (optional, compress/pruning.h's bitmap, 1 = kept): pruned weights take the code whose
// value is nearest zero, and their error is compensated as if they were exactly zero (the
// pipeline zeroes them when decoding types that cannot store an exact zero).
StoredMatrix gptqGgmlQuantize(const float *w, int64_t rows, int64_t cols, const double *h,
                              int64_t tokens, const GptqGgmlParams &p, const JobContext &job,
                              const uint8_t *keepMask = nullptr);
StoredMatrix gptqGgmlQuantizeReference(const float *w, int64_t rows, int64_t cols,
                                       const double *h, int64_t tokens, const GptqGgmlParams &p,
                                       const uint8_t *keepMask = nullptr);

} // namespace cwb
