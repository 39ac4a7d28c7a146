// SPDX-License-Identifier: MIT
#include "compress/obs_common.h"

#include "jobs/job_context.h"
#include "util/error.h"

#include <Eigen/Cholesky>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace cwb::obsdetail {

void requireObsInput(std::string_view method, const float *w, int64_t rows, int64_t cols,
                     const double *h, int64_t tokens, double damp, int64_t blockSize)
{
    if (rows <= 0 || cols <= 0 || rows > (int64_t(1) << 31) || cols > (int64_t(1) << 20))
        throwIn(method, "shape " + std::to_string(rows) + " x " + std::to_string(cols)
                            + " is empty or too large");
    if (!w)
        throwIn(method, "weights are null");
    if (!h)
        throwIn(method, "Hessian is null");
    if (tokens <= 0)
        throwIn(method, "tokens = " + std::to_string(tokens) + " must be > 0");
    if (!(damp >= 0.0) || !std::isfinite(damp))
        throwIn(method, "damp = " + std::to_string(damp) + " must be finite and >= 0");
    if (blockSize <= 0)
        throwIn(method, "blockSize = " + std::to_string(blockSize) + " must be > 0");
    for (int64_t i = 0; i < cols * cols; ++i)
        if (!std::isfinite(h[i]))
            throwIn(method, "Hessian entry (" + std::to_string(i / cols) + ", "
                                + std::to_string(i % cols) + ") is not finite");
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!std::isfinite(w[i]))
            throwIn(method, "weight (row " + std::to_string(i / cols) + ", col "
                                + std::to_string(i % cols) + ") is not finite");
}

RowMatrix upperCholeskyOfInverse(std::string_view method, const RowMatrix &H, double damp,
                                 const JobContext &job)
{
    // With J the exchange matrix and J H J = L L^T (lower Cholesky):
    //   H^-1 = J L^-T L^-1 J = (J L^-1 J)^T (J L^-1 J),
    // and J L^-1 J is upper triangular, so U = J L^-1 J: one Cholesky and one triangular
    // inverse instead of inverting H and factoring the inverse (gptq.py's cholesky_inverse +
    // cholesky(upper)), which is 3 to 4 times the arithmetic.
    // Column-major storage: Eigen's blocked Cholesky and triangular solves are written for it.
    using ColMatrix = Eigen::MatrixXd;
    const int64_t n = H.rows();
    const ColMatrix reversed = H.reverse();
    const Eigen::LLT<ColMatrix> llt(reversed);
    if (llt.info() != Eigen::Success)
        throwIn(method, "the Hessian is not positive definite after dampening (damp = "
                            + std::to_string(damp) + "); increase damp");
    const ColMatrix &factor = llt.matrixLLT(); // L in the lower triangle
    // L^-1 column block by column block, in parallel: columns [c0, c1) of L^-1 are zero above
    // row c0 and solve L[c0:, c0:] X = I[c0:, c0:c1].
    ColMatrix linv = ColMatrix::Zero(n, n);
    constexpr int64_t kBlock = 128;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, (n + kBlock - 1) / kBlock, 1),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          for (int64_t b = r.begin(); b < r.end(); ++b) {
                              if (job.cancelled())
                                  return;
                              const int64_t c0 = b * kBlock, w = std::min(kBlock, n - c0);
                              auto x = linv.block(c0, c0, n - c0, w);
                              x.topRows(w).setIdentity();
                              factor.bottomRightCorner(n - c0, n - c0)
                                  .triangularView<Eigen::Lower>()
                                  .solveInPlace(x);
                          }
                      });
    job.checkCancelled();
    return linv.reverse();
}

PreparedHessian prepareHessian(std::string_view method, const double *h, int64_t cols,
                               int64_t tokens, double damp, bool actOrder, const JobContext &job)
{
    PreparedHessian ph;
    RowMatrix H(cols, cols);
    const double f = 2.0 / double(tokens);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j)
            H(i, j) = f * h[i * cols + j];
    ph.dead.assign(size_t(cols), 0);
    for (int64_t i = 0; i < cols; ++i)
        if (H(i, i) == 0.0) {
            ph.dead[size_t(i)] = 1;
            H(i, i) = 1.0;
        }
    ph.perm.resize(size_t(cols));
    std::iota(ph.perm.begin(), ph.perm.end(), int64_t(0));
    if (actOrder) {
        std::stable_sort(ph.perm.begin(), ph.perm.end(),
                         [&](int64_t a, int64_t b) { return H(a, a) > H(b, b); });
        RowMatrix P(cols, cols);
        for (int64_t i = 0; i < cols; ++i)
            for (int64_t j = 0; j < cols; ++j)
                P(i, j) = H(ph.perm[size_t(i)], ph.perm[size_t(j)]);
        H.swap(P);
    }
    const double d = damp * H.diagonal().mean();
    H.diagonal().array() += d;
    job.checkCancelled();
    ph.hinvU = upperCholeskyOfInverse(method, H, damp, job);
    return ph;
}

RowMatrix permutedWeights(const float *w, int64_t rows, int64_t cols, const PreparedHessian &ph)
{
    RowMatrix W(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) {
            const int64_t c = ph.perm[size_t(j)];
            W(r, j) = ph.dead[size_t(c)] ? 0.0 : double(w[r * cols + c]);
        }
    return W;
}

void forRowChunks(int64_t rows, int64_t grain, const JobContext &job,
                  const std::function<void(int64_t, int64_t)> &body)
{
    job.checkCancelled();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, std::max<int64_t>(1, grain)),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          if (job.cancelled())
                              return;
                          body(r.begin(), r.end());
                      });
    job.checkCancelled();
}

} // namespace cwb::obsdetail
