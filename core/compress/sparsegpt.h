// SPDX-License-Identifier: MIT
#pragma once
// SparseGPT (Frantar & Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately
// Pruned in One-Shot"; IST-DASLab/sparsegpt sparsegpt.py): prunes W [rows x cols] column by
// column and compensates each removed weight on the columns not yet visited with the
// optimal-brain-surgeon update through the upper Cholesky factor U of H^-1 (obs_common.h):
//   err = w_j / U_jj (pruned; 0 when kept),   w_k -= err U_jk  for k > j.
// Mask selection is adaptive, per block of blockSize columns, on the weights as updated so far,
// scored w^2 / U_jj^2 (the OBS saliency; smaller is pruned first):
//   unstructured (nmM = 0): at the start of each block, in every row, the lowest-scored
//     round(sparsity * i2) - round(sparsity * i1) weights of the block's columns [i1, i2).
//     sparsegpt.py thresholds the whole block (all rows together); choosing per row makes every
//     row exactly round(sparsity * cols) sparse and keeps rows independent (parallel, with
//     results that do not depend on scheduling). Ties go to the lower column.
//   N:M (nmN:nmM, e.g. 2:4): on entering each group of nmM consecutive columns, the nmN
//     lowest-scored of that group in each row (sparsity is then nmN / nmM and `sparsity` is
//     ignored). The block is rounded up to a multiple of nmM.
// No joint quantization (sparsegpt.py's optional wbits path): quantize the result afterwards.
// Fast path: lazy block updates as one Eigen GEMM per block, rows in parallel (oneTBB); the
// reference updates every remaining column after each column. Both in double.

#include <cstdint>
#include <vector>

namespace cwb {

struct JobContext;

struct SparseGptParams {
    double sparsity = 0.5; // unstructured: fraction of each row pruned, in [0, 1)
    int nmN = 0;           // N:M: prune nmN of every nmM consecutive weights of a row;
    int nmM = 0;           // 0:0 = unstructured; else 0 < nmN < nmM and nmM divides cols
    int blockSize = 128;   // mask-selection and lazy-update block width (> 0)
    double damp = 0.01;    // added to diag(H): damp x mean(diag(H))
};

struct SparseGptResult {
    std::vector<float> weights;  // rows x cols, pruned entries exactly 0
    std::vector<uint8_t> pruned; // rows x cols, 1 where the weight was removed
};

// W row-major [rows x cols] float32; h: the raw Hessian sum X^T X (cols x cols) from `tokens`
// rows. Throws cwb::Error for bad arguments or a Hessian not positive definite after
// dampening; polls `job` between row blocks (cwb::Cancelled).
SparseGptResult sparseGptPrune(const float *w, int64_t rows, int64_t cols, const double *h,
                               int64_t tokens, const SparseGptParams &p, const JobContext &job);
SparseGptResult sparseGptPruneReference(const float *w, int64_t rows, int64_t cols,
                                        const double *h, int64_t tokens,
                                        const SparseGptParams &p);

} // namespace cwb
