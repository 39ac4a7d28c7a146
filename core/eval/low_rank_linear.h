// SPDX-License-Identifier: MIT
#pragma once
// A factorized matrix W ~ A B (compress/low_rank.h): A [out x r] and B [r x in], each any
// LinearWeights (float or quantized factors). forward computes Y = (X B^T) A^T through the two
// factors' own forwards, so a rank-r layer costs r (in + out) multiply-adds per row instead of
// in x out, and nothing is expanded. row(r) = A[r, :] B (for embedding lookups and tests).
// storedBytes() = both factors. forwardReference expands W in double, for tests.

#include "eval/linear_weights.h"

#include <memory>

namespace cwb {

class LowRankLinear final : public LinearWeights {
public:
    // Throws cwb::Error when a factor is null or the inner dimensions disagree.
    LowRankLinear(std::shared_ptr<const LinearWeights> a, std::shared_ptr<const LinearWeights> b);
    [[nodiscard]] int64_t outFeatures() const override { return a_->outFeatures(); }
    [[nodiscard]] int64_t inFeatures() const override { return b_->inFeatures(); }
    [[nodiscard]] int64_t rank() const { return b_->outFeatures(); }
    [[nodiscard]] uint64_t storedBytes() const override
    {
        return a_->storedBytes() + b_->storedBytes();
    }
    [[nodiscard]] std::string format() const override;
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;
    void forwardReference(const float *x, int64_t nRows, float *y) const;

private:
    std::shared_ptr<const LinearWeights> a_, b_;
};

} // namespace cwb
