// SPDX-License-Identifier: MIT
#include "eval/kl_divergence.h"

#include "eval/perplexity.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace cwb::eval {

namespace {

// Below this log-probability a base token neither enters the KLD sum nor widens the code range.
constexpr float kLogProbFloor = -16.0f;

void checkToken(size_t nVocab, int32_t token)
{
    if (nVocab == 0 || token < 0 || static_cast<size_t>(token) >= nVocab)
        throwIn("kl-divergence", "token id " + std::to_string(token)
                                     + " is outside the vocabulary of " + std::to_string(nVocab));
}

// Log-sum-exp relative to the maximum, accumulated like llama-perplexity (float exp, double sum).
double sumExpBelowMax(std::span<const float> logits, float maxLogit)
{
    double sum = 0.0;
    for (const float v : logits)
        sum += std::exp(v - maxLogit);
    return sum;
}

std::vector<double> logSoftmaxDouble(std::span<const float> logits)
{
    double maxLogit = logits[0];
    for (const float v : logits)
        maxLogit = std::max(maxLogit, static_cast<double>(v));
    double sum = 0.0;
    for (const float v : logits)
        sum += std::exp(static_cast<double>(v) - maxLogit);
    const double lse = maxLogit + std::log(sum);
    std::vector<double> out(logits.size());
    for (size_t i = 0; i < logits.size(); ++i)
        out[i] = static_cast<double>(logits[i]) - lse;
    return out;
}

void checkRows(std::span<const float> logits, int64_t nVocab, const EncodedRows &base,
               std::span<const int32_t> targets, std::span<KldPosition> positions)
{
    const size_t rows = targets.size();
    const auto v = static_cast<size_t>(std::max<int64_t>(nVocab, 0));
    if (v == 0 || logits.size() != rows * v || base.codes.size() != rows * v
        || base.scales.size() != rows || base.minLogProbs.size() != rows
        || positions.size() != rows)
        throwIn("kl-divergence", "row shapes disagree: " + std::to_string(rows) + " rows of "
                                     + std::to_string(nVocab) + " logits");
}

LogProbRowView rowOf(const EncodedRows &base, size_t r, size_t v)
{
    return {base.scales[r], base.minLogProbs[r], base.codes.subspan(r * v, v)};
}

} // namespace

double encodeLogProbRow(std::span<const float> logits, int32_t token, float &scale,
                        float &minLogProb, std::span<uint16_t> codes)
{
    checkToken(logits.size(), token);
    if (codes.size() != logits.size())
        throwIn("kl-divergence", "code row has " + std::to_string(codes.size()) + " entries for "
                                     + std::to_string(logits.size()) + " logits");
    float maxLogit = logits[0];
    float minLogit = logits[0];
    for (const float v : logits) {
        maxLogit = std::max(maxLogit, v);
        minLogit = std::min(minLogit, v);
    }
    minLogit = std::max(minLogit, maxLogit + kLogProbFloor);
    const auto logSumExp = static_cast<float>(std::log(sumExpBelowMax(logits, maxLogit)));
    minLogProb = minLogit - maxLogit - logSumExp;
    scale = (maxLogit - minLogit) / 65535.0f;
    if (scale > 0) {
        const float invScale = 1.0f / scale;
        for (size_t i = 0; i < logits.size(); ++i) {
            const long code = logits[i] > minLogit ? std::lrint(invScale * (logits[i] - minLogit))
                                                   : 0;
            codes[i] = static_cast<uint16_t>(std::clamp<long>(code, 0, 65535));
        }
    } else {
        std::fill(codes.begin(), codes.end(), uint16_t{0});
    }
    return static_cast<double>(maxLogit + logSumExp - logits[static_cast<size_t>(token)]);
}

KldPosition kldAgainstRow(std::span<const float> logits, const LogProbRowView &base, int32_t token)
{
    checkToken(logits.size(), token);
    if (base.codes.size() != logits.size())
        throwIn("kl-divergence", "base row has " + std::to_string(base.codes.size())
                                     + " entries, the model " + std::to_string(logits.size())
                                     + " logits");
    size_t top = 0;
    for (size_t i = 1; i < logits.size(); ++i)
        if (logits[i] > logits[top])
            top = i;
    const float maxLogit = logits[top];
    const auto logSumExp = static_cast<float>(std::log(sumExpBelowMax(logits, maxLogit)));
    const float lse = maxLogit + logSumExp; // log p(v) = logit[v] - lse

    KldPosition p;
    p.nll = static_cast<double>(maxLogit + logSumExp - logits[static_cast<size_t>(token)]);
    p.nllBase = -static_cast<double>(base.logProb(static_cast<size_t>(token)));

    double sum = 0.0;
    size_t topBase = 0;
    float topBaseLogProb = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        const float logPBase = base.logProb(i);
        if (i == 0 || logPBase > topBaseLogProb) {
            topBaseLogProb = logPBase;
            topBase = i;
        }
        if (logPBase > kLogProbFloor)
            sum += std::exp(logPBase) * (logPBase - logits[i] + lse);
    }
    p.kld = sum;
    p.sameTop = top == topBase;
    return p;
}

double kldReference(std::span<const float> baseLogits, std::span<const float> logits)
{
    if (baseLogits.empty() || baseLogits.size() != logits.size())
        throwIn("kl-divergence", "the two rows have " + std::to_string(baseLogits.size()) + " and "
                                     + std::to_string(logits.size()) + " logits");
    const auto lb = logSoftmaxDouble(baseLogits);
    const auto lq = logSoftmaxDouble(logits);
    double sum = 0.0;
    for (size_t i = 0; i < lb.size(); ++i)
        sum += std::exp(lb[i]) * (lb[i] - lq[i]);
    return sum;
}

KldPosition kldBetweenLogits(std::span<const float> baseLogits, std::span<const float> logits,
                             int32_t token)
{
    if (baseLogits.empty() || baseLogits.size() != logits.size())
        throwIn("kl-divergence", "the two rows have " + std::to_string(baseLogits.size()) + " and "
                                     + std::to_string(logits.size()) + " logits");
    checkToken(logits.size(), token);
    // log-sum-exp of each row in double; the first maximum is each row's top token.
    auto lse = [](std::span<const float> row, size_t &top) {
        top = 0;
        for (size_t i = 1; i < row.size(); ++i)
            if (row[i] > row[top])
                top = i;
        const double max = row[top];
        double sum = 0.0;
        for (const float v : row)
            sum += std::exp(static_cast<double>(v) - max);
        return max + std::log(sum);
    };
    size_t topBase = 0, top = 0;
    const double lseBase = lse(baseLogits, topBase);
    const double lseModel = lse(logits, top);
    double sum = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) {
        const double logPBase = static_cast<double>(baseLogits[i]) - lseBase;
        const double logP = static_cast<double>(logits[i]) - lseModel;
        sum += std::exp(logPBase) * (logPBase - logP);
    }
    KldPosition p;
    p.kld = sum;
    p.nll = tokenNll(logits, token);
    p.nllBase = tokenNll(baseLogits, token);
    p.sameTop = top == topBase;
    return p;
}

void kldBetweenRows(std::span<const float> baseLogits, std::span<const float> logits,
                    int64_t nVocab, std::span<const int32_t> targets,
                    std::span<KldPosition> positions)
{
    const size_t rows = targets.size();
    const auto v = static_cast<size_t>(std::max<int64_t>(nVocab, 0));
    if (v == 0 || baseLogits.size() != rows * v || logits.size() != rows * v
        || positions.size() != rows)
        throwIn("kl-divergence", "row shapes disagree: " + std::to_string(rows) + " rows of "
                                     + std::to_string(nVocab) + " logits");
    tbb::parallel_for(tbb::blocked_range<size_t>(0, rows, 8),
                      [&](const tbb::blocked_range<size_t> &range) {
                          for (size_t r = range.begin(); r != range.end(); ++r)
                              positions[r] = kldBetweenLogits(baseLogits.subspan(r * v, v),
                                                              logits.subspan(r * v, v),
                                                              targets[r]);
                      });
}

void kldRowsReference(std::span<const float> logits, int64_t nVocab, const EncodedRows &base,
                      std::span<const int32_t> targets, std::span<KldPosition> positions)
{
    checkRows(logits, nVocab, base, targets, positions);
    const auto v = static_cast<size_t>(nVocab);
    for (size_t r = 0; r < targets.size(); ++r)
        positions[r] = kldAgainstRow(logits.subspan(r * v, v), rowOf(base, r, v), targets[r]);
}

void kldRows(std::span<const float> logits, int64_t nVocab, const EncodedRows &base,
             std::span<const int32_t> targets, std::span<KldPosition> positions)
{
    checkRows(logits, nVocab, base, targets, positions);
    const auto v = static_cast<size_t>(nVocab);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, targets.size(), 8),
                      [&](const tbb::blocked_range<size_t> &range) {
                          for (size_t r = range.begin(); r != range.end(); ++r)
                              positions[r] = kldAgainstRow(logits.subspan(r * v, v),
                                                           rowOf(base, r, v), targets[r]);
                      });
}

void KldAccumulator::add(const KldPosition &p)
{
    sumNll_ += p.nll;
    sumNllBase_ += p.nllBase;
    sumKld_ += p.kld;
    sumKld2_ += p.kld * p.kld;
    sameTop_ += p.sameTop ? 1 : 0;
    values_.push_back(static_cast<float>(p.kld));
}

double percentileOfSorted(std::span<const float> sorted, double fraction)
{
    if (sorted.empty())
        return 0.0;
    if (fraction <= 0)
        return sorted.front();
    if (fraction >= 1)
        return sorted.back();
    const double pos = fraction * static_cast<double>(sorted.size() - 1);
    const auto i = static_cast<size_t>(pos);
    const double t = pos - static_cast<double>(i);
    const size_t j = std::min(i + 1, sorted.size() - 1);
    return (1 - t) * sorted[i] + t * sorted[j];
}

KldSummary KldAccumulator::summary() const
{
    KldSummary s;
    const auto n = static_cast<double>(values_.size());
    s.positions = count();
    if (values_.empty())
        return s;
    s.mean = sumKld_ / n;
    const double var = sumKld2_ / n - s.mean * s.mean;
    s.meanStderr = var > 0 && values_.size() > 10 ? std::sqrt(var / (n - 1)) : 0.0;
    std::vector<float> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    const size_t m = sorted.size();
    s.median = m % 2 == 0 ? 0.5 * (sorted[m / 2] + sorted[m / 2 - 1]) : sorted[m / 2];
    s.p99 = percentileOfSorted(sorted, 0.99);
    s.max = sorted.back();
    s.top1AgreementPct = 100.0 * static_cast<double>(sameTop_) / n;
    const double meanNll = sumNll_ / n;
    const double meanNllBase = sumNllBase_ / n;
    s.basePpl = std::exp(meanNllBase);
    s.pplRatio = std::exp(meanNll - meanNllBase);
    s.deltaPpl = std::exp(meanNll) - s.basePpl;
    return s;
}

} // namespace cwb::eval
