// SPDX-License-Identifier: MIT
#include "compress/pruning.h"

#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace cwb {

namespace {

constexpr const char *kSource = "pruning";

bool isNm(const PruneParams &p)
{
    return p.nmN != 0 || p.nmM != 0;
}

int nmIndexBits(int m)
{
    return int(std::bit_width(unsigned(m - 1)));
}

void checkParams(int64_t rows, int64_t cols, const PruneParams &p)
{
    if (rows <= 0 || cols <= 0)
        throwIn(kSource, "shape " + std::to_string(rows) + " x " + std::to_string(cols)
                             + " is empty or negative");
    if (cols > std::numeric_limits<int64_t>::max() / rows)
        throwIn(kSource, "shape " + std::to_string(rows) + " x " + std::to_string(cols)
                             + " overflows");
    if (!(p.sparsity >= 0.0 && p.sparsity < 1.0))
        throwIn(kSource, "sparsity " + std::to_string(p.sparsity) + " is outside [0, 1)");
    if (isNm(p)) {
        const std::string nm = std::to_string(p.nmN) + ":" + std::to_string(p.nmM);
        if (p.nmM < 2 || p.nmM > 32 || p.nmN < 1 || p.nmN >= p.nmM)
            throwIn(kSource, "N:M pattern " + nm + " needs 1 <= N < M <= 32 (or 0:0)");
        if (cols % p.nmM != 0)
            throwIn(kSource, "N:M pattern " + nm + " needs cols (" + std::to_string(cols)
                                 + ") to be a multiple of " + std::to_string(p.nmM));
    }
}

int64_t prunedPerRow(int64_t cols, const PruneParams &p)
{
    if (isNm(p))
        return cols / p.nmM * (p.nmM - p.nmN);
    return std::min(cols, int64_t(std::floor(p.sparsity * double(cols) + 1e-9)));
}

void checkInputs(std::span<const float> w, int64_t rows, int64_t cols,
                 std::span<const double> norm, bool wanda)
{
    if (w.size() != uint64_t(rows * cols))
        throwIn(kSource, "weights hold " + std::to_string(w.size()) + " values, shape "
                             + std::to_string(rows) + " x " + std::to_string(cols) + " needs "
                             + std::to_string(rows * cols));
    if (wanda) {
        if (norm.size() != uint64_t(cols))
            throwIn(kSource, "input norms hold " + std::to_string(norm.size())
                                 + " values, cols is " + std::to_string(cols));
        for (int64_t j = 0; j < cols; ++j)
            if (!(std::isfinite(norm[j]) && norm[j] >= 0.0))
                throwIn(kSource, "input norm of channel " + std::to_string(j) + " is "
                                     + std::to_string(norm[j]) + " (needs finite, >= 0)");
    }
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!std::isfinite(w[i]))
            throwIn(kSource, "weight at row " + std::to_string(i / cols) + ", col "
                                 + std::to_string(i % cols) + " is not finite");
}

// Prunes one row: writes the kept weights (others 0) and keep flags. `scores` is scratch.
void pruneRow(const float *w, const double *norm, int64_t cols, const PruneParams &p,
              bool reference, float *out, uint8_t *keep, std::vector<double> &scores,
              std::vector<int64_t> &order)
{
    scores.resize(size_t(cols));
    for (int64_t j = 0; j < cols; ++j)
        scores[j] = std::abs(double(w[j])) * (norm ? norm[j] : 1.0);
    const auto less = [&](int64_t a, int64_t b) {
        return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
    };
    std::fill(keep, keep + cols, uint8_t(1));
    const int64_t group = isNm(p) ? p.nmM : cols;
    const int64_t drop = isNm(p) ? p.nmM - p.nmN : prunedPerRow(cols, p);
    order.resize(size_t(group));
    for (int64_t g0 = 0; g0 < cols && drop > 0; g0 += group) {
        std::iota(order.begin(), order.end(), g0);
        if (reference)
            std::sort(order.begin(), order.end(), less);
        else
            std::nth_element(order.begin(), order.begin() + drop, order.end(), less);
        for (int64_t t = 0; t < drop; ++t)
            keep[order[t]] = 0;
    }
    for (int64_t j = 0; j < cols; ++j)
        out[j] = keep[j] ? w[j] : 0.0f;
}

void packMasks(const std::vector<uint8_t> &keep, int64_t rows, int64_t cols,
               const PruneParams &p, PruneResult &r)
{
    const uint64_t n = uint64_t(rows * cols);
    r.mask.assign(size_t((n + 7) / 8), 0);
    for (uint64_t i = 0; i < n; ++i)
        r.mask[i / 8] |= uint8_t(keep[i] << (i % 8));
    r.maskBytes = r.mask.size();
    if (!isNm(p))
        return;
    r.indexBits = nmIndexBits(p.nmM);
    r.nmIndices.assign(size_t(pruneMaskBytes(rows, cols, p)), 0);
    uint64_t bit = 0;
    for (uint64_t g0 = 0; g0 < n; g0 += uint64_t(p.nmM))
        for (int c = 0; c < p.nmM; ++c)
            if (keep[g0 + uint64_t(c)])
                for (int b = 0; b < r.indexBits; ++b, ++bit)
                    r.nmIndices[bit / 8] |= uint8_t(((c >> b) & 1) << (bit % 8));
    r.maskBytes = r.nmIndices.size();
}

PruneResult prune(std::span<const float> w, int64_t rows, int64_t cols,
                  std::span<const double> norm, bool wanda, const PruneParams &p,
                  bool reference, const JobContext &ctx)
{
    checkParams(rows, cols, p);
    checkInputs(w, rows, cols, norm, wanda);
    ctx.checkCancelled();
    PruneResult r;
    r.rows = rows;
    r.cols = cols;
    r.weights.assign(size_t(rows * cols), 0.0f);
    std::vector<uint8_t> keep(size_t(rows * cols));
    const double *normData = wanda ? norm.data() : nullptr;
    const auto rowRange = [&](int64_t begin, int64_t end) {
        std::vector<double> scores;
        std::vector<int64_t> order;
        for (int64_t i = begin; i < end; ++i)
            pruneRow(w.data() + i * cols, normData, cols, p, reference,
                     r.weights.data() + i * cols, keep.data() + i * cols, scores, order);
    };
    if (reference) {
        rowRange(0, rows);
    } else {
        // Blocks of about 16M weights between cancellation polls and progress reports.
        const int64_t block = std::max<int64_t>(1, (int64_t {1} << 24) / cols);
        for (int64_t b0 = 0; b0 < rows; b0 += block) {
            ctx.checkCancelled();
            const int64_t b1 = std::min(rows, b0 + block);
            tbb::parallel_for(tbb::blocked_range<int64_t>(b0, b1, 16),
                              [&](const tbb::blocked_range<int64_t> &range) {
                                  rowRange(range.begin(), range.end());
                              });
            ctx.report(double(b1) / double(rows), wanda ? "wanda pruning" : "magnitude pruning");
        }
    }
    r.pruned = rows * prunedPerRow(cols, p);
    packMasks(keep, rows, cols, p, r);
    return r;
}

} // namespace

PruneResult pruneMagnitude(std::span<const float> weights, int64_t rows, int64_t cols,
                           const PruneParams &params, const JobContext &ctx)
{
    return prune(weights, rows, cols, {}, false, params, false, ctx);
}

PruneResult pruneWanda(std::span<const float> weights, int64_t rows, int64_t cols,
                       std::span<const double> inputNorm, const PruneParams &params,
                       const JobContext &ctx)
{
    return prune(weights, rows, cols, inputNorm, true, params, false, ctx);
}

PruneResult pruneMagnitudeReference(std::span<const float> weights, int64_t rows, int64_t cols,
                                    const PruneParams &params)
{
    return prune(weights, rows, cols, {}, false, params, true, {});
}

PruneResult pruneWandaReference(std::span<const float> weights, int64_t rows, int64_t cols,
                                std::span<const double> inputNorm, const PruneParams &params)
{
    return prune(weights, rows, cols, inputNorm, true, params, true, {});
}

std::vector<double> inputNorms(const LinearActivationStats &stats)
{
    std::vector<double> norms(stats.meanSquare.size());
    for (size_t j = 0; j < norms.size(); ++j)
        norms[j] = std::sqrt(std::max(0.0, stats.meanSquare[j]) * double(stats.tokens));
    return norms;
}

uint64_t pruneMaskBytes(int64_t rows, int64_t cols, const PruneParams &params)
{
    checkParams(rows, cols, params);
    const uint64_t n = uint64_t(rows) * uint64_t(cols);
    if (!isNm(params))
        return (n + 7) / 8;
    const uint64_t keptBits = n / uint64_t(params.nmM) * uint64_t(params.nmN)
                              * uint64_t(nmIndexBits(params.nmM));
    return (keptBits + 7) / 8;
}

} // namespace cwb
