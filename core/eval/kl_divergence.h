// SPDX-License-Identifier: MIT
#pragma once
// KL divergence of a model's next-token distributions from a base model's, position by position,
// and the summary llama-perplexity --kl-divergence prints (mean, median, 99th percentile, max,
// "same top p", PPL(Q)/PPL(base)).
//
// The base distributions are kept the way llama.cpp keeps them, because a 32000-token vocabulary
// at thousands of positions would not fit in memory as doubles: one row per scored position,
//   scale      = (maxLogit - minLogit) / 65535, minLogit clamped to >= maxLogit - 16
//   minLogProb = minLogit - maxLogit - log(sum exp(logit - maxLogit))
//   code[v]    = round((logit[v] - minLogit) / scale), 0 for logits at or below minLogit
// so log p_base(v) = scale * code[v] + minLogProb, accurate to scale / 2 (<= 1.3e-4 nats).
// Probabilities below e^-16 are dropped from the KLD sum, as llama.cpp drops them.

#include "eval/evaluation.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb::eval {

// One encoded base row: log p(v) = scale * codes[v] + minLogProb.
struct LogProbRowView {
    float scale = 0;
    float minLogProb = 0;
    std::span<const uint16_t> codes;
    [[nodiscard]] float logProb(size_t v) const { return scale * codes[v] + minLogProb; }
};

// Encodes `logits` (one position, nVocab values) into `codes` (nVocab entries) and the two
// row constants; returns -log p(token) like tokenNll (up to float rounding of log-sum-exp).
double encodeLogProbRow(std::span<const float> logits, int32_t token, float &scale,
                        float &minLogProb, std::span<uint16_t> codes);

// What one position contributes.
struct KldPosition {
    double kld = 0;       // sum_v p_base(v) (log p_base(v) - log p(v)) over p_base(v) > e^-16
    double nll = 0;       // -log p(token) of the evaluated model
    double nllBase = 0;   // -log p_base(token)
    bool sameTop = false; // both distributions put their first maximum on the same token
};

// Compares the evaluated model's logits at one position with an encoded base row.
[[nodiscard]] KldPosition kldAgainstRow(std::span<const float> logits, const LogProbRowView &base,
                                        int32_t token);

// Exact KL(p_base || p) in double from two rows of logits: the reference the encoded path is
// tested against.
[[nodiscard]] double kldReference(std::span<const float> baseLogits, std::span<const float> logits);

// Two models' logits at the same position compared exactly, without the base encoding: both
// log-softmaxes in double, KL(p_base || p) over the whole vocabulary (no e^-16 floor), so that
// identical rows give exactly 0. nll and nllBase are tokenNll (eval/perplexity.h) of each row,
// the values a perplexity run adds up. For comparisons that hold both runs in memory.
[[nodiscard]] KldPosition kldBetweenLogits(std::span<const float> baseLogits,
                                           std::span<const float> logits, int32_t token);
// Row r of `baseLogits` against row r of `logits` (nRows x nVocab each), rows in parallel on the
// calling thread's oneTBB arena; each row is kldBetweenLogits, so results do not depend on the
// scheduling.
void kldBetweenRows(std::span<const float> baseLogits, std::span<const float> logits,
                    int64_t nVocab, std::span<const int32_t> targets,
                    std::span<KldPosition> positions);

// Scalar reference and parallel fast path over a window's rows: positions[r] compares row r of
// `logits` with base row r (`codes` holds nRows * nVocab entries, scales/mins one per row).
struct EncodedRows {
    std::span<const float> scales;
    std::span<const float> minLogProbs;
    std::span<const uint16_t> codes;
};
void kldRowsReference(std::span<const float> logits, int64_t nVocab, const EncodedRows &base,
                      std::span<const int32_t> targets, std::span<KldPosition> positions);
void kldRows(std::span<const float> logits, int64_t nVocab, const EncodedRows &base,
             std::span<const int32_t> targets, std::span<KldPosition> positions);

// Running statistics over positions, summarised as llama-perplexity does: median of the sorted
// values (mean of the middle two for an even count), percentiles by linear interpolation.
class KldAccumulator {
public:
    void add(const KldPosition &p);
    [[nodiscard]] int64_t count() const { return static_cast<int64_t>(values_.size()); }
    [[nodiscard]] KldSummary summary() const;

private:
    double sumNll_ = 0;
    double sumNllBase_ = 0;
    double sumKld_ = 0, sumKld2_ = 0;
    int64_t sameTop_ = 0;
    std::vector<float> values_;
};

// The value at `fraction` (0..1) of the sorted values, interpolated linearly between neighbours.
[[nodiscard]] double percentileOfSorted(std::span<const float> sorted, double fraction);

} // namespace cwb::eval
