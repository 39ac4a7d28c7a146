// SPDX-License-Identifier: MIT
#include "compress/output_error.h"

#include <Eigen/Core>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace cwb {

namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr int64_t kBlockRows = 256;

} // namespace

double hessianForm(const float *a, const float *b, int64_t rows, int64_t cols, const double *h,
                   const JobContext &job)
{
    const Eigen::Map<const RowMatrixD> H(h, cols, cols);
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    std::vector<double> part(static_cast<size_t>(blocks), 0.0);
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          for (int64_t blk = r.begin(); blk != r.end(); ++blk) {
                              if (job.cancelled())
                                  return;
                              const int64_t r0 = blk * kBlockRows;
                              const int64_t n = std::min(kBlockRows, rows - r0);
                              RowMatrixD d(n, cols);
                              for (int64_t i = 0; i < n; ++i)
                                  for (int64_t j = 0; j < cols; ++j) {
                                      const size_t at = size_t((r0 + i) * cols + j);
                                      d(i, j) = double(a[at]) - (b ? double(b[at]) : 0.0);
                                  }
                              RowMatrixD y(n, cols);
                              y.noalias() = d * H;
                              part[size_t(blk)] = y.cwiseProduct(d).sum();
                          }
                      });
    job.checkCancelled();
    return std::accumulate(part.begin(), part.end(), 0.0);
}

double relativeOutputError(const float *w, const float *approx, int64_t rows, int64_t cols,
                           const double *h, const JobContext &job)
{
    const double den = hessianForm(w, nullptr, rows, cols, h, job);
    if (!(den > 0))
        return 0.0;
    return std::sqrt(std::max(0.0, hessianForm(w, approx, rows, cols, h, job)) / den);
}

} // namespace cwb
