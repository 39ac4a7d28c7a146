// SPDX-License-Identifier: MIT
#pragma once
// What replacing a weight W [rows x cols] by W' costs at the layer's output on calibration
// inputs X, without X: through the raw Hessian sum H = X^T X (analysis/activation_stats.h),
//   ||X (W - W')^T||_F^2 = tr(D H D^T),  D = W - W'.
// The pipeline's per-tensor report and `cwb bench compress` measure their output errors here.
// Rows run in blocks of 256 in parallel (one Eigen GEMM each); the block sums are added in
// block order, so the result does not depend on scheduling.

#include "jobs/job_context.h"

#include <cstdint>

namespace cwb {

// tr(D H D^T) with D = a - b, or D = a when b is null. Polls `job` between blocks.
[[nodiscard]] double hessianForm(const float *a, const float *b, int64_t rows, int64_t cols,
                                 const double *h, const JobContext &job = {});

// sqrt(tr(D H D^T) / tr(W H W^T)); 0 when tr(W H W^T) is not positive.
[[nodiscard]] double relativeOutputError(const float *w, const float *approx, int64_t rows,
                                         int64_t cols, const double *h,
                                         const JobContext &job = {});

} // namespace cwb
