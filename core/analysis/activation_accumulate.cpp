// SPDX-License-Identifier: MIT
#include "analysis/activation_accumulate.h"

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace cwb::analysis {
namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Columns per parallel task: wide enough that each task streams whole cache lines of every row.
constexpr int64_t kChannelBlock = 64;
// Below this many values a oneTBB fork/join costs more than the work.
constexpr int64_t kParallelValues = int64_t(1) << 15;
// Rows converted to double at a time: at most this many doubles (32 MiB).
constexpr int64_t kHessianBlockDoubles = int64_t(1) << 22;
// Columns of H per GEMM task.
constexpr int64_t kHessianPanel = 128;

void accumulateColumns(const float *x, int64_t nRows, int64_t cols, int64_t c0, int64_t c1,
                       ChannelSums &s)
{
    for (int64_t r = 0; r < nRows; ++r) {
        const float *row = x + r * cols;
        for (int64_t c = c0; c < c1; ++c) {
            const double v = row[c];
            const double a = std::fabs(v);
            s.absMax[size_t(c)] = std::max(s.absMax[size_t(c)], a);
            s.sumAbs[size_t(c)] += a;
            s.sumSquare[size_t(c)] += v * v;
        }
    }
}

} // namespace

ChannelSums::ChannelSums(int64_t cols)
    : absMax(size_t(cols), 0.0), sumAbs(size_t(cols), 0.0), sumSquare(size_t(cols), 0.0)
{
}

void accumulateChannelsReference(const float *x, int64_t nRows, int64_t cols, ChannelSums &s)
{
    for (int64_t r = 0; r < nRows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const double v = x[r * cols + c];
            s.absMax[size_t(c)] = std::max(s.absMax[size_t(c)], std::fabs(v));
            s.sumAbs[size_t(c)] += std::fabs(v);
            s.sumSquare[size_t(c)] += v * v;
        }
    s.rows += nRows;
}

void accumulateChannels(const float *x, int64_t nRows, int64_t cols, ChannelSums &s)
{
    if (nRows * cols < kParallelValues || cols <= kChannelBlock) {
        accumulateColumns(x, nRows, cols, 0, cols, s);
    } else {
        const int64_t blocks = (cols + kChannelBlock - 1) / kChannelBlock;
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1),
                          [&](const tbb::blocked_range<int64_t> &range) {
                              for (int64_t b = range.begin(); b != range.end(); ++b)
                                  accumulateColumns(x, nRows, cols, b * kChannelBlock,
                                                    std::min(cols, (b + 1) * kChannelBlock), s);
                          });
    }
    s.rows += nRows;
}

void accumulateHessianReference(const float *x, int64_t nRows, int64_t cols,
                                std::vector<double> &h)
{
    for (int64_t r = 0; r < nRows; ++r) {
        const float *row = x + r * cols;
        for (int64_t i = 0; i < cols; ++i) {
            const double xi = row[i];
            for (int64_t j = 0; j <= i; ++j)
                h[size_t(i * cols + j)] += xi * double(row[j]);
        }
    }
}

void accumulateHessian(const float *x, int64_t nRows, int64_t cols, std::vector<double> &h)
{
    Eigen::Map<RowMatrixD> hm(h.data(), cols, cols);
    const int64_t blockRows = std::clamp<int64_t>(kHessianBlockDoubles / cols, 1, nRows);
    RowMatrixD xd(blockRows, cols);
    const int64_t panels = (cols + kHessianPanel - 1) / kHessianPanel;
    for (int64_t r0 = 0; r0 < nRows; r0 += blockRows) {
        const int64_t rows = std::min(blockRows, nRows - r0);
        xd.topRows(rows) = Eigen::Map<const RowMatrixF>(x + r0 * cols, rows, cols).cast<double>();
        const auto xb = xd.topRows(rows);
        // Panel p covers columns j0 .. j0 + w of H and its rows j0 .. cols (the lower part):
        // panels write disjoint columns, so they run in parallel without locks.
        auto panel = [&](int64_t p) {
            const int64_t j0 = p * kHessianPanel, w = std::min(kHessianPanel, cols - j0);
            hm.block(j0, j0, cols - j0, w).noalias() +=
                xb.rightCols(cols - j0).transpose() * xb.middleCols(j0, w);
        };
        if (panels == 1) {
            panel(0);
            continue;
        }
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, panels, 1),
                          [&](const tbb::blocked_range<int64_t> &range) {
                              for (int64_t p = range.begin(); p != range.end(); ++p)
                                  panel(p);
                          });
    }
}

void symmetrizeFromLower(std::vector<double> &h, int64_t cols)
{
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = i + 1; j < cols; ++j)
            h[size_t(i * cols + j)] = h[size_t(j * cols + i)];
}

} // namespace cwb::analysis
