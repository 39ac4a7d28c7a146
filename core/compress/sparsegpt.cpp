// SPDX-License-Identifier: MIT
#include "compress/sparsegpt.h"

#include "compress/obs_common.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace cwb {
namespace {

constexpr const char *kMethod = "sparsegpt";
using obsdetail::RowMatrix;

struct Setup {
    obsdetail::PreparedHessian ph;
    RowMatrix W;
    SparseGptResult out;
    int64_t block = 0;
};

Setup setUp(const float *w, int64_t rows, int64_t cols, const double *h, int64_t tokens,
            const SparseGptParams &p, const JobContext &job)
{
    obsdetail::requireObsInput(kMethod, w, rows, cols, h, tokens, p.damp, p.blockSize);
    if (p.nmM == 0 && p.nmN == 0) {
        if (!(p.sparsity >= 0.0 && p.sparsity < 1.0))
            throwIn(kMethod, "sparsity = " + std::to_string(p.sparsity) + " must be in [0, 1)");
    } else if (!(p.nmN > 0 && p.nmN < p.nmM && cols % p.nmM == 0)) {
        throwIn(kMethod, "N:M = " + std::to_string(p.nmN) + ":" + std::to_string(p.nmM)
                             + " needs 0 < N < M and M dividing cols = " + std::to_string(cols));
    }
    Setup s;
    s.ph = obsdetail::prepareHessian(kMethod, h, cols, tokens, p.damp, false, job);
    s.W = obsdetail::permutedWeights(w, rows, cols, s.ph);
    s.out.weights.assign(size_t(rows * cols), 0.0f);
    s.out.pruned.assign(size_t(rows * cols), 0);
    s.block = p.blockSize;
    if (p.nmM > 0)
        s.block = (s.block + p.nmM - 1) / p.nmM * p.nmM;
    return s;
}

// Marks the `count` lowest-scored columns of row r within [j0, j1) as pruned.
void selectLowest(Setup &s, int64_t r, int64_t j0, int64_t j1, int64_t count)
{
    if (count <= 0)
        return;
    const int64_t cols = s.W.cols();
    std::vector<int64_t> idx(size_t(j1 - j0));
    std::iota(idx.begin(), idx.end(), j0);
    auto score = [&](int64_t j) {
        const double d = s.ph.hinvU(j, j);
        return s.W(r, j) * s.W(r, j) / (d * d);
    };
    std::nth_element(idx.begin(), idx.begin() + (count - 1), idx.end(), [&](int64_t a, int64_t b) {
        const double sa = score(a), sb = score(b);
        return sa < sb || (sa == sb && a < b);
    });
    for (int64_t k = 0; k < count; ++k)
        s.out.pruned[size_t(r * cols + idx[size_t(k)])] = 1;
}

// Mask decisions due at column j of row r (block start or N:M group start).
void selectAt(Setup &s, const SparseGptParams &p, int64_t r, int64_t j)
{
    const int64_t cols = s.W.cols();
    if (p.nmM > 0) {
        if (j % p.nmM == 0)
            selectLowest(s, r, j, j + p.nmM, p.nmN);
    } else if (j % s.block == 0) {
        const int64_t j1 = std::min(j + s.block, cols);
        const auto target = [&](int64_t c) { return int64_t(std::llround(p.sparsity * c)); };
        selectLowest(s, r, j, j1, target(j1) - target(j));
    }
}

// Prunes or keeps column j of row r; returns the OBS error term.
double pruneOne(Setup &s, int64_t r, int64_t j)
{
    const size_t at = size_t(r * s.W.cols() + j);
    if (!s.out.pruned[at]) {
        s.out.weights[at] = float(s.W(r, j));
        return 0.0;
    }
    return s.W(r, j) / s.ph.hinvU(j, j);
}

} // namespace

SparseGptResult sparseGptPruneReference(const float *w, int64_t rows, int64_t cols,
                                        const double *h, int64_t tokens,
                                        const SparseGptParams &p)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, JobContext{});
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) {
            selectAt(s, p, r, j);
            const double err = pruneOne(s, r, j);
            for (int64_t k = j + 1; k < cols; ++k)
                s.W(r, k) -= err * s.ph.hinvU(j, k);
        }
    return std::move(s.out);
}

SparseGptResult sparseGptPrune(const float *w, int64_t rows, int64_t cols, const double *h,
                               int64_t tokens, const SparseGptParams &p, const JobContext &job)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, job);
    const RowMatrix &U = s.ph.hinvU;
    const int64_t block = s.block;
    obsdetail::forRowChunks(rows, 16, job, [&](int64_t r0, int64_t r1) {
        const int64_t n = r1 - r0;
        RowMatrix err(n, block);
        for (int64_t i1 = 0; i1 < cols; i1 += block) {
            const int64_t i2 = std::min(i1 + block, cols);
            for (int64_t j = i1; j < i2; ++j)
                for (int64_t r = r0; r < r1; ++r) {
                    selectAt(s, p, r, j);
                    const double e = pruneOne(s, r, j);
                    err(r - r0, j - i1) = e;
                    if (e != 0.0)
                        for (int64_t k = j + 1; k < i2; ++k)
                            s.W(r, k) -= e * U(j, k);
                }
            if (i2 < cols)
                s.W.block(r0, i2, n, cols - i2).noalias() -=
                    err.leftCols(i2 - i1) * U.block(i1, i2, i2 - i1, cols - i2);
        }
    });
    return std::move(s.out);
}

} // namespace cwb
