// SPDX-License-Identifier: MIT
#pragma once
// What GPTQ and SparseGPT (Frantar et al. 2022/2023) share: the Hessian preparation of the
// optimal-brain-surgeon update, and the row loop both run.
//
// Preparation, in the order of IST-DASLab's gptq.py / sparsegpt.py:
//   H = 2 sum / tokens            (the raw X^T X of analysis/activation_stats.h)
//   dead columns (H_ii = 0): the input never moves, so the weight column is set to 0 and H_ii = 1
//   optional act-order permutation (descending diag(H), stable so ties keep column order)
//   H += damp * mean(diag(H)) * I
//   U = upper Cholesky factor of H^-1 (H^-1 = U^T U), computed as J L^-1 J from the Cholesky
//       factor L of the reversed J H J (upperCholeskyOfInverse; the same U as factoring H^-1)
// A Cholesky failure (H not positive definite, e.g. damp = 0 with correlated inputs) throws
// cwb::Error asking for a larger damp.
//
// Both methods update every row independently of the others (W[r, j:] -= err_r U[i, j:]), so
// the fast paths split rows over oneTBB tasks and the results do not depend on scheduling.

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace cwb {
struct JobContext;
}

namespace cwb::obsdetail {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct PreparedHessian {
    RowMatrix hinvU;            // cols x cols, upper Cholesky factor of H^-1 (permuted order)
    std::vector<int64_t> perm;  // permuted position -> original column (identity without actOrder)
    std::vector<uint8_t> dead;  // per ORIGINAL column: 1 when H_ii was 0
};

// Checks the arguments (null pointers, sizes, tokens > 0, damp >= 0 and finite, finite H, finite
// W) and throws cwb::Error prefixed with `method` naming the bad one.
void requireObsInput(std::string_view method, const float *w, int64_t rows, int64_t cols,
                     const double *h, int64_t tokens, double damp, int64_t blockSize);

// U with H^-1 = U^T U, U upper triangular, for a symmetric positive definite H (throws
// cwb::Error prefixed with `method` otherwise).
// Polls `job` between the triangular inverse's column blocks (cwb::Cancelled); the Cholesky
// itself (n^3/3, serial) runs to its end.
[[nodiscard]] RowMatrix upperCholeskyOfInverse(std::string_view method, const RowMatrix &H,
                                               double damp, const JobContext &job);
[[nodiscard]] PreparedHessian prepareHessian(std::string_view method, const double *h,
                                             int64_t cols, int64_t tokens, double damp,
                                             bool actOrder, const JobContext &job);

// Rows of W as doubles in permuted column order, dead columns zeroed: [rows x cols].
[[nodiscard]] RowMatrix permutedWeights(const float *w, int64_t rows, int64_t cols,
                                        const PreparedHessian &ph);

// Runs body(firstRow, endRow) over blocks of rows in parallel (oneTBB), polling `job` before
// each block (cwb::Cancelled).
void forRowChunks(int64_t rows, int64_t grain, const JobContext &job,
                  const std::function<void(int64_t, int64_t)> &body);

} // namespace cwb::obsdetail
