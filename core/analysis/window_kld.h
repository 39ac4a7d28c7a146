// SPDX-License-Identifier: MIT
#pragma once
// The measure of record of the sensitivity analysis: the KL divergence of a model's next-token
// distributions from the original model's, KL(p || q) = sum_v p_v (log p_v - log q_v), at every
// position of a few calibration windows, exactly (double precision, the whole vocabulary).
//
// The original's distributions are kept as float probabilities p~ per row, with two row
// constants computed once in double: 1 / sum_v p~_v (so the row sums to 1 exactly) and
// sum_v p_v log p_v (p = p~ / sum p~). Then for another model's logits z,
//   KL = sum_v p_v log p_v - sum_v p_v z_v + logsumexp(z)
// needs one pass of exp and one dot product per row. klRowReference evaluates the definition
// term by term (log-softmax of z, then the sum); the two agree to ~1e-12 (tested). Rows run in
// parallel; row values are summed in row order, so a sum does not depend on scheduling.

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

struct BaseRows {
    int64_t rows = 0, vocab = 0;
    std::vector<float> probs;       // rows x vocab: softmax of the original's logits
    std::vector<double> invNorm;    // per row: 1 / sum_v probs
    std::vector<double> negEntropy; // per row: sum_v p log p of the normalised row
};

// The base rows of `logits` (rows x vocab, row-major); `nll[r]` = -log p(targets[r]) when
// `targets` is not empty. Rows run in parallel on the current oneTBB arena.
void encodeBaseRows(std::span<const float> logits, int64_t vocab, BaseRows &base,
                    std::span<const int32_t> targets = {}, std::span<double> nll = {});

// KL(base row r || softmax(logits)) from the definition (the scalar reference).
[[nodiscard]] double klRowReference(const BaseRows &base, int64_t row,
                                    std::span<const float> logits);
// The same through the row constants (the fast path).
[[nodiscard]] double klRow(const BaseRows &base, int64_t row, std::span<const float> logits);

// Sum over every row of the KL of `logits` (base.rows x vocab) from the base rows: reference
// (serial, klRowReference) and fast path (rows in parallel, klRow, summed in row order).
[[nodiscard]] double klRowsSumReference(const BaseRows &base, std::span<const float> logits);
[[nodiscard]] double klRowsSum(const BaseRows &base, std::span<const float> logits);

} // namespace cwb
