// SPDX-License-Identifier: MIT
#include "compress/structured_prune.h"

#include "util/error.h"

#include <Eigen/Dense>

#include <algorithm>
#include <numeric>
#include <string>

namespace cwb {
namespace {

constexpr const char *kSource = "structured pruning";

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using MapD = Eigen::Map<const MatD>;

void checkView(const ConsumerView &w, bool needGram)
{
    if (w.out <= 0 || w.in <= 0 || int64_t(w.weight.size()) != w.out * w.in)
        throwIn(kSource, "the consumer matrix holds " + std::to_string(w.weight.size())
                             + " values, not " + std::to_string(w.out) + " x "
                             + std::to_string(w.in));
    if (!w.producerNormSq.empty() && int64_t(w.producerNormSq.size()) != w.in)
        throwIn(kSource, "producer norms hold " + std::to_string(w.producerNormSq.size())
                             + " values for " + std::to_string(w.in) + " channels");
    if (!needGram)
        return;
    if (int64_t(w.gram.size()) != w.in * w.in || w.tokens <= 0)
        throwIn(kSource, "this needs the calibration Gram matrix of the " + std::to_string(w.in)
                             + " input channels (have " + std::to_string(w.gram.size())
                             + " values over " + std::to_string(w.tokens) + " rows)");
}

void checkKeep(const ConsumerView &w, std::span<const int64_t> keep)
{
    if (keep.empty())
        throwIn(kSource, "at least one channel must be kept");
    for (size_t i = 0; i < keep.size(); ++i)
        if (keep[i] < 0 || keep[i] >= w.in || (i > 0 && keep[i] <= keep[i - 1]))
            throwIn(kSource, "kept channel " + std::to_string(keep[i]) + " at index "
                                 + std::to_string(i) + " is out of 0 .. "
                                 + std::to_string(w.in - 1) + " or not ascending");
}

MatD weightD(const ConsumerView &w)
{
    return MapF(w.weight.data(), w.out, w.in).cast<double>();
}

// G_SS / T for the channels S.
MatD gramBlock(const ConsumerView &w, std::span<const int64_t> rows, std::span<const int64_t> cols)
{
    const MapD g(w.gram.data(), w.in, w.in);
    MatD b(int64_t(rows.size()), int64_t(cols.size()));
    for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < cols.size(); ++j)
            b(int64_t(i), int64_t(j)) = g(rows[i], cols[j]) / double(w.tokens);
    return b;
}

double lambdaFor(const MatD &gKK, const RepairParams &p)
{
    const double meanDiag = gKK.rows() > 0 ? gKK.diagonal().mean() : 0.0;
    return p.ridge * (meanDiag > 0 ? meanDiag : 1.0);
}

std::vector<float> toFloat(const MatD &m)
{
    std::vector<float> out(size_t(m.size()));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        out.data(), m.rows(), m.cols()) = m.cast<float>();
    return out;
}

} // namespace

std::string_view structureScoreName(StructureScore s)
{
    switch (s) {
    case StructureScore::Magnitude: return "magnitude";
    case StructureScore::Activation: return "activation";
    case StructureScore::Obs: return "obs";
    }
    return "?";
}

std::optional<StructureScore> structureScoreFromName(std::string_view name)
{
    for (const auto s : {StructureScore::Magnitude, StructureScore::Activation, StructureScore::Obs})
        if (structureScoreName(s) == name)
            return s;
    return std::nullopt;
}

std::vector<double> groupScores(StructureScore kind, const ConsumerView &w,
                                const std::vector<std::vector<int64_t>> &groups,
                                const RepairParams &params)
{
    checkView(w, kind != StructureScore::Magnitude);
    for (const auto &g : groups)
        for (const int64_t c : g)
            if (c < 0 || c >= w.in)
                throwIn(kSource, "group channel " + std::to_string(c) + " is out of 0 .. "
                                     + std::to_string(w.in - 1));
    const MatD W = weightD(w);
    std::vector<double> scores(groups.size(), 0.0);
    if (kind == StructureScore::Magnitude) {
        for (size_t i = 0; i < groups.size(); ++i)
            for (const int64_t c : groups[i])
                scores[i] += W.col(c).squaredNorm()
                             * (w.producerNormSq.empty() ? 1.0 : w.producerNormSq[size_t(c)]);
        return scores;
    }
    if (kind == StructureScore::Activation) {
        for (size_t i = 0; i < groups.size(); ++i) {
            MatD ws(W.rows(), int64_t(groups[i].size()));
            for (size_t j = 0; j < groups[i].size(); ++j)
                ws.col(int64_t(j)) = W.col(groups[i][j]);
            scores[i] = (ws * gramBlock(w, groups[i], groups[i]) * ws.transpose()).trace();
        }
        return scores;
    }
    // Obs: H = G / T + lambda I over all channels, inverted once.
    std::vector<int64_t> all(size_t(w.in));
    std::iota(all.begin(), all.end(), 0);
    MatD h = gramBlock(w, all, all);
    h.diagonal().array() += lambdaFor(h, params);
    const MatD hInv = h.ldlt().solve(MatD::Identity(w.in, w.in));
    for (size_t i = 0; i < groups.size(); ++i) {
        const auto &g = groups[i];
        const int64_t k = int64_t(g.size());
        MatD ws(W.rows(), k), block(k, k);
        for (int64_t a = 0; a < k; ++a) {
            ws.col(a) = W.col(g[size_t(a)]);
            for (int64_t b = 0; b < k; ++b)
                block(a, b) = hInv(g[size_t(a)], g[size_t(b)]);
        }
        scores[i] = (ws * block.ldlt().solve(ws.transpose())).trace();
    }
    return scores;
}

std::vector<double> channelScores(StructureScore kind, const ConsumerView &w,
                                  const RepairParams &params)
{
    std::vector<std::vector<int64_t>> groups(size_t(std::max<int64_t>(w.in, 0)));
    for (size_t c = 0; c < groups.size(); ++c)
        groups[c] = {int64_t(c)};
    if (kind != StructureScore::Obs)
        return groupScores(kind, w, groups, params);
    // Per channel the OBS block is 1 x 1: ||w_j||^2 / (H^-1)_jj, from one inverse.
    checkView(w, true);
    std::vector<int64_t> all(size_t(w.in));
    std::iota(all.begin(), all.end(), 0);
    MatD h = gramBlock(w, all, all);
    h.diagonal().array() += lambdaFor(h, params);
    const MatD hInv = h.ldlt().solve(MatD::Identity(w.in, w.in));
    const MatD W = weightD(w);
    std::vector<double> scores(size_t(w.in));
    for (int64_t c = 0; c < w.in; ++c)
        scores[size_t(c)] = W.col(c).squaredNorm() / hInv(c, c);
    return scores;
}

std::vector<int64_t> keepHighest(std::span<const double> scores, int64_t keep)
{
    const int64_t n = int64_t(scores.size());
    if (keep < 1 || keep > n)
        throwIn(kSource, "keep " + std::to_string(keep) + " of " + std::to_string(n)
                             + " structures: it must be 1 .. " + std::to_string(n));
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return scores[size_t(a)] > scores[size_t(b)]; });
    order.resize(size_t(keep));
    std::sort(order.begin(), order.end());
    return order;
}

std::vector<float> keptColumns(const ConsumerView &w, std::span<const int64_t> keep)
{
    checkView(w, false);
    checkKeep(w, keep);
    std::vector<float> out(size_t(w.out) * keep.size());
    for (int64_t r = 0; r < w.out; ++r)
        for (size_t j = 0; j < keep.size(); ++j)
            out[size_t(r) * keep.size() + j] = w.weight[size_t(r * w.in + keep[j])];
    return out;
}

std::vector<float> repairKeptColumns(const ConsumerView &w, std::span<const int64_t> keep,
                                     const RepairParams &params)
{
    checkView(w, true);
    checkKeep(w, keep);
    std::vector<int64_t> all(size_t(w.in));
    std::iota(all.begin(), all.end(), 0);
    MatD gKK = gramBlock(w, keep, keep);
    gKK.diagonal().array() += lambdaFor(gKK, params);
    const MatD gKAll = gramBlock(w, keep, all);
    const MatD rhs = gKAll * weightD(w).transpose();  // [k x out]
    const MatD solved = gKK.ldlt().solve(rhs);        // W'^T [k x out]
    return toFloat(solved.transpose());
}

std::vector<float> repairKeptColumnsReference(const ConsumerView &w, std::span<const float> x,
                                              int64_t rows, std::span<const int64_t> keep,
                                              const RepairParams &params)
{
    checkView(w, false);
    checkKeep(w, keep);
    if (rows <= 0 || int64_t(x.size()) != rows * w.in)
        throwIn(kSource, "the reference needs rows x " + std::to_string(w.in) + " inputs");
    const int64_t k = int64_t(keep.size());
    const MatD X = MapF(x.data(), rows, w.in).cast<double>();
    MatD xk(rows, k);
    for (int64_t j = 0; j < k; ++j)
        xk.col(j) = X.col(keep[size_t(j)]);
    // lambda as the fast path defines it: ridge x mean diagonal of G_KK / T, applied to G / T;
    // on the sums that is lambda T.
    const double meanDiag = (xk.array().square().colwise().sum() / double(rows)).mean();
    const double lambdaT = params.ridge * (meanDiag > 0 ? meanDiag : 1.0) * double(rows);
    MatD a = MatD::Zero(rows + k, k);
    a.topRows(rows) = xk;
    a.bottomRows(k).diagonal().setConstant(std::sqrt(lambdaT));
    MatD b = MatD::Zero(rows + k, w.out);
    b.topRows(rows) = X * weightD(w).transpose();
    const MatD solved = a.householderQr().solve(b); // W'^T
    return toFloat(solved.transpose());
}

double relativeOutputError(const ConsumerView &w, std::span<const int64_t> keep,
                           std::span<const float> pruned)
{
    checkView(w, true);
    checkKeep(w, keep);
    if (pruned.size() != size_t(w.out) * keep.size())
        throwIn(kSource, "the pruned matrix holds " + std::to_string(pruned.size())
                             + " values, not " + std::to_string(w.out) + " x "
                             + std::to_string(keep.size()));
    const MatD W = weightD(w);
    MatD diff = W;
    const MapF p(pruned.data(), w.out, int64_t(keep.size()));
    for (size_t j = 0; j < keep.size(); ++j)
        diff.col(keep[j]) -= p.col(int64_t(j)).cast<double>();
    const MapD g(w.gram.data(), w.in, w.in);
    const double energy = (W * g * W.transpose()).trace();
    const double error = (diff * g * diff.transpose()).trace();
    return energy > 0 ? error / energy : 0.0;
}

std::vector<float> absorbResidual(const ConsumerView &w, std::span<const double> cross,
                                  double residualSumSq, const RepairParams &params,
                                  double &errorAfter)
{
    checkView(w, true);
    if (int64_t(cross.size()) != w.in * w.out)
        throwIn(kSource, "the cross moment holds " + std::to_string(cross.size())
                             + " values, not " + std::to_string(w.in) + " x "
                             + std::to_string(w.out));
    const MapD g(w.gram.data(), w.in, w.in);
    const MapD c(cross.data(), w.in, w.out);
    // On sums: (G + lambda T I) Delta = C, lambda as for the repair (relative to G / T).
    MatD h = g;
    const double lambda = params.ridge * std::max(h.diagonal().mean() / double(w.tokens), 1e-30);
    h.diagonal().array() += lambda * double(w.tokens);
    const MatD delta = h.ldlt().solve(MatD(c)); // [in x out] = (W' - W)^T
    // ||X Delta - D||^2 = ||D||^2 - 2 tr(Delta^T C) + tr(Delta^T G Delta)
    errorAfter = residualSumSq - 2.0 * (delta.transpose() * c).trace()
                 + (delta.transpose() * g * delta).trace();
    return toFloat(weightD(w) + delta.transpose());
}

double residualErrorAfter(const ConsumerView &original, std::span<const float> refitted,
                          std::span<const double> cross, double residualSumSq)
{
    checkView(original, true);
    if (int64_t(refitted.size()) != original.out * original.in
        || int64_t(cross.size()) != original.in * original.out)
        throwIn(kSource, "the refitted matrix or the cross moment does not match "
                             + std::to_string(original.out) + " x " + std::to_string(original.in));
    const MapD g(original.gram.data(), original.in, original.in);
    const MapD c(cross.data(), original.in, original.out);
    const MatD delta =
        (MapF(refitted.data(), original.out, original.in).cast<double>() - weightD(original))
            .transpose();
    return residualSumSq - 2.0 * (delta.transpose() * c).trace()
           + (delta.transpose() * g * delta).trace();
}

} // namespace cwb
