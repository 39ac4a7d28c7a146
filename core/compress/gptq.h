// SPDX-License-Identifier: MIT
#pragma once
// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative
// Pre-trained Transformers", Algorithm 1; IST-DASLab/gptq gptq.py): quantizes W [rows x cols]
// one input column at a time and spreads each column's rounding error over the columns not yet
// quantized through the upper Cholesky factor U of H^-1 (H = 2 X^T X / tokens, obs_common.h):
//   err = (w_j - q_j) / U_jj,   w_k -= err U_jk  for k > j.
// The result is an ordinary rtn QuantizedTensor (the same grid, packing, fp16/fp32 scales and
// zero points as quantizeRtn with the same bits / group / symmetric), so dequantizeRows and the
// engine read it unchanged; only the codes and scales were chosen better.
//
// Scales:
//   per-channel (group 0): from the whole row before the loop (gptq.py's find_params(W)).
//   groups without actOrder: from the current, already error-updated weights of the group when
//     the loop enters it (gptq.py's behaviour).
//   groups with actOrder: from the original weights of each group before the loop, i.e. gptq.py's
//     static_groups=True. gptq.py's default (static_groups=False) computes a group's scale on
//     consecutive PERMUTED columns and needs a per-column group index (g_idx) to dequantize;
//     the rtn layout has contiguous groups and no g_idx, so static groups are the only choice
//     that keeps the result rtn-compatible.
// The fast path defers updates over blocks of blockSize columns (rounded up to a multiple of the
// group when scales are computed lazily, so a group never straddles a pending block update) and
// applies them as one Eigen GEMM; rows run in parallel (oneTBB). The reference updates every
// remaining column after each column. Both use double arithmetic; they differ only in summation
// order, so codes agree except where a value sits within rounding noise of a grid midpoint.

#include "formats/quantized_tensor.h"

#include <cstdint>

namespace cwb {

struct JobContext;

struct GptqParams {
    int bits = 4;          // 2..8
    int group = 128;       // 32, 64, 128 or 256 dividing cols; 0 = per channel (one scale a row)
    bool sym = true;       // rtn's symmetric grid (-7..7 at 4 bits); false: asymmetric + zero
    double damp = 0.01;    // added to diag(H): damp x mean(diag(H)) (gptq.py's percdamp)
    bool actOrder = true;  // columns in descending diag(H) order (gptq.py's act_order / desc_act)
    int blockSize = 128;   // lazy-batch width of the fast path (> 0)
    bool f16Scales = true; // as RtnParams::f16Scales
};

// W row-major [rows x cols] float32; h: the raw Hessian sum X^T X, cols x cols row-major, from
// `tokens` input rows (ActivationHessian). Throws cwb::Error for bad arguments, non-finite
// values, or a Hessian that is not positive definite after dampening; polls `job` between row
// blocks (cwb::Cancelled).
// keepMask (optional): a pruning bitmap over W (rows x cols bits, row-major, LSB first, 1 = kept;
// compress/pruning.h's layout). Pruned weights get the code of zero, whatever their updated
// value, and that rounding error is compensated like any other: SparseGPT's joint
// prune-and-quantize with the mask held fixed, so the result stays exactly as sparse.
QuantizedTensor gptqQuantize(const float *w, int64_t rows, int64_t cols, const double *h,
                             int64_t tokens, const GptqParams &p, const JobContext &job,
                             const uint8_t *keepMask = nullptr);
QuantizedTensor gptqQuantizeReference(const float *w, int64_t rows, int64_t cols,
                                      const double *h, int64_t tokens, const GptqParams &p,
                                      const uint8_t *keepMask = nullptr);

} // namespace cwb
