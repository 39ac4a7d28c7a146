// SPDX-License-Identifier: MIT
#include "eval/attention.h"

#include "eval/aligned_buffer.h"

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace cwb {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedRows = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

// Query rows per task in a prefill: small enough that the keys a block cannot see (its upper
// triangle) stay a few percent of the work, large enough for an efficient GEMM.
constexpr int64_t kRowBlock = 32;
// Below this many multiply-adds the heads run inline (see matmul.cpp for the reasoning).
constexpr int64_t kParallelMacs = int64_t(1) << 17;

// Aligned (eval/aligned_buffer.h): which thread's scratch a task gets must not change a bit.
struct Scratch {
    AlignedVector<float> q, scores, out;
};

Scratch &scratch()
{
    // Used only inside one task (no oneTBB call in between), never by two tasks at once.
    thread_local Scratch s;
    return s;
}

float *sized(AlignedVector<float> &v, int64_t n)
{
    if (v.size() < size_t(n))
        v.resize(size_t(n));
    return v.data();
}

} // namespace

void attentionReference(const AttentionShape &s, const float *q, int64_t n, int64_t firstPos,
                        const float *keys, const float *values, float *out)
{
    const int64_t hd = s.headDim, qDim = s.nHeads * hd, kvDim = s.nKvHeads * hd;
    const int64_t group = s.nHeads / s.nKvHeads;
    const double scale = 1.0 / std::sqrt(double(hd));
    std::vector<double> p;
    for (int64_t t = 0; t < n; ++t) {
        const int64_t visible = firstPos + t + 1;
        p.assign(size_t(visible), 0.0);
        for (int64_t h = 0; h < s.nHeads; ++h) {
            const float *qh = q + t * qDim + h * hd;
            const int64_t kvOff = (h / group) * hd;
            double max = -INFINITY;
            for (int64_t j = 0; j < visible; ++j) {
                double dot = 0;
                for (int64_t d = 0; d < hd; ++d)
                    dot += double(qh[d]) * double(keys[j * kvDim + kvOff + d]);
                p[size_t(j)] = dot * scale;
                max = std::max(max, p[size_t(j)]);
            }
            double sum = 0;
            for (int64_t j = 0; j < visible; ++j)
                sum += (p[size_t(j)] = std::exp(p[size_t(j)] - max));
            for (int64_t d = 0; d < hd; ++d) {
                double acc = 0;
                for (int64_t j = 0; j < visible; ++j)
                    acc += p[size_t(j)] * double(values[j * kvDim + kvOff + d]);
                out[t * qDim + h * hd + d] = float(acc / sum);
            }
        }
    }
}

void attention(const AttentionShape &s, const float *q, int64_t n, int64_t firstPos,
               const float *keys, const float *values, float *out)
{
    const int64_t hd = s.headDim, qDim = s.nHeads * hd, kvDim = s.nKvHeads * hd;
    const int64_t group = s.nHeads / s.nKvHeads;
    const float scale = float(1.0 / std::sqrt(double(hd)));
    const int64_t rowBlock = std::min(n, kRowBlock);
    const int64_t blocks = (n + rowBlock - 1) / rowBlock;

    const auto runTask = [&](int64_t task) {
        const int64_t g = task % s.nKvHeads;
        const int64_t i0 = (task / s.nKvHeads) * rowBlock, i1 = std::min(n, i0 + rowBlock);
        const int64_t rows = (i1 - i0) * group, nKeys = firstPos + i1;
        Scratch &sc = scratch();
        // Stack the group's query heads: row (t - i0) * group + r is head g * group + r of token t.
        Eigen::Map<RowMatrix> qp(sized(sc.q, rows * hd), rows, hd);
        for (int64_t t = i0; t < i1; ++t)
            for (int64_t r = 0; r < group; ++r)
                qp.row((t - i0) * group + r) =
                    Eigen::Map<const Eigen::RowVectorXf>(q + t * qDim + (g * group + r) * hd, hd)
                    * scale;
        const StridedRows k(keys + g * hd, nKeys, hd, Eigen::OuterStride<>(kvDim));
        const StridedRows v(values + g * hd, nKeys, hd, Eigen::OuterStride<>(kvDim));
        Eigen::Map<RowMatrix> sm(sized(sc.scores, rows * nKeys), rows, nKeys);
        sm.noalias() = qp * k.transpose();
        for (int64_t row = 0; row < rows; ++row) {
            const int64_t visible = firstPos + i0 + row / group + 1;
            auto seen = sm.row(row).head(visible).array();
            seen = (seen - seen.maxCoeff()).exp();
            seen /= seen.sum();
            sm.row(row).tail(nKeys - visible).setZero();
        }
        Eigen::Map<RowMatrix> o(sized(sc.out, rows * hd), rows, hd);
        o.noalias() = sm * v;
        for (int64_t t = i0; t < i1; ++t)
            for (int64_t r = 0; r < group; ++r)
                Eigen::Map<Eigen::RowVectorXf>(out + t * qDim + (g * group + r) * hd, hd) =
                    o.row((t - i0) * group + r);
    };

    const int64_t tasks = s.nKvHeads * blocks;
    const int64_t macs = 2 * s.nHeads * hd * n * (firstPos + (n + 1) / 2);
    if (tasks == 1 || macs < kParallelMacs || tbb::this_task_arena::max_concurrency() == 1) {
        for (int64_t t = 0; t < tasks; ++t)
            runTask(t);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, tasks, 1),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          for (int64_t t = r.begin(); t < r.end(); ++t)
                              runTask(t);
                      });
}

} // namespace cwb
