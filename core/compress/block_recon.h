// SPDX-License-Identifier: MIT
#pragma once
// Block-wise reconstruction onto ggml's grids (issue 13 part 5): each projection of block k is
// quantized so that, fed the inputs of the ALREADY COMPRESSED prefix, it reproduces what the
// ORIGINAL projection gives on the ORIGINAL inputs -- the block's own output as the original
// model computes it -- instead of reproducing its own output on its own (already perturbed)
// input, which is what GPTQ with sequential calibration does ("asymmetric calibration",
// GPTAQ, Li et al. 2025, ICML; called GPTQv2 in GPTQModel).
//
// With X the original inputs and X~ those of the compressed prefix (tokens x cols, the same
// tokens in the same order: pipeline/pipeline.h's sequential calibration collects both), the
// block-output error of a row w_q of the quantized matrix is
//     || X~ w_q - X w ||^2  =  (w_q - w*)^T H~ (w_q - w*) + const,
//     H~ = X~^T X~,  w* = H~^-1 X~^T X w,
// so it is exactly GPTQ's objective with the Hessian H~ on the TARGET w* instead of w. In
// matrix form (rows of W): W* = W C H~^-1 with C = X^T X~ (cols x cols, the cross moment).
// Written as a correction of W, W* = W - W (H~ - C) H~^-1, since H~ - C = (X~ - X)^T X~: the
// correction vanishes where the prefix changed nothing (layer 0's q/k/v), and the dampening
// (the same damp x mean(diag H~) GPTQ adds) then shrinks only the correction, never W:
//     W* = W - strength x W (H~ - C) (H~ + lambda I)^-1.
// Then gptq_ggml (compress/gptq_ggml.h: llama.cpp's scale search, GPTQ's codes) rounds W* with
// H~, and its optional scale refit fits W* under H~, i.e. the block output too.
//
// Why closed form and not AutoRound's signed-gradient steps: for one linear projection the
// least-squares optimum over real weights is exact and costs one solve; what the grid then
// loses is GPTQ's to compensate. Across the projections of a block the inputs of attn.o and
// mlp.down are taken from the block's ORIGINAL q/k/v and gate/up on the compressed prefix (as
// the sequential collector records them), so each projection's target is the original block's
// value at that point.

#include "compress/gptq_ggml.h"

#include <cstdint>
#include <vector>

namespace cwb {

struct JobContext;

struct BlockReconParams {
    GptqGgmlParams gptq; // the grid, the scale search and GPTQ's settings; gptq.damp also
                         // regularizes the target's solve (lambda = damp x mean(diag H~))
    // The share of the least-squares correction applied: 1 = the full optimum W* (the default),
    // 0 = W itself (then this is gptq_ggml on the prefix's inputs). GPTAQ scales its asymmetry
    // term the same way.
    double strength = 1.0;
};

// The target W* above, row-major rows x cols float32 (dead input columns, H~_ii = 0, keep W's
// values: GPTQ zeroes them anyway). h: the raw sum X~^T X~, cross: the raw sum X^T X~ (row i =
// original channel i), both cols x cols row-major over the same `tokens` rows. Throws cwb::Error
// for bad arguments or a matrix that is not positive definite after dampening; polls `job`.
[[nodiscard]] std::vector<float> blockReconTarget(const float *w, int64_t rows, int64_t cols,
                                                  const double *h, const double *cross,
                                                  int64_t tokens, const BlockReconParams &p,
                                                  const JobContext &job);
// The same by plain loops and a textbook Cholesky, one row at a time (the tests' reference).
[[nodiscard]] std::vector<float> blockReconTargetReference(const float *w, int64_t rows,
                                                           int64_t cols, const double *h,
                                                           const double *cross, int64_t tokens,
                                                           const BlockReconParams &p);

// gptq_ggml of the target with the Hessian H~ (keepMask as gptq_ggml takes it: pruned weights
// end at the code nearest zero whatever the target says).
[[nodiscard]] StoredMatrix blockReconQuantize(const float *w, int64_t rows, int64_t cols,
                                              const double *h, const double *cross,
                                              int64_t tokens, const BlockReconParams &p,
                                              const JobContext &job,
                                              const uint8_t *keepMask = nullptr);
[[nodiscard]] StoredMatrix blockReconQuantizeReference(const float *w, int64_t rows,
                                                       int64_t cols, const double *h,
                                                       const double *cross, int64_t tokens,
                                                       const BlockReconParams &p,
                                                       const uint8_t *keepMask = nullptr);

} // namespace cwb
