// SPDX-License-Identifier: MIT
#pragma once
// A pruned matrix whose storage format cannot hold an exact zero (ggml's q4_1, q5_1 and the
// k-quants store w = d q + m, so a pruned weight decodes to a small non-zero value): the inner
// weights plus the pruning bitmap (compress/pruning.h layout: bit i of the row-major matrix,
// LSB first, 1 = kept). Rows are decoded through inner->row() a tile at a time, masked, and
// multiplied with Eigen, tiles in parallel. storedBytes() = the inner storage + the mask bytes
// given (the bitmap, or N:M indices when those are what is kept).
// forwardReference: masked rows and double accumulation, for tests.

#include "eval/linear_weights.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace cwb {

class MaskedLinear final : public LinearWeights {
public:
    // Throws cwb::Error when the bitmap is not ceil(out * in / 8) bytes or inner is null.
    MaskedLinear(std::shared_ptr<const LinearWeights> inner, std::vector<uint8_t> keepBitmap,
                 uint64_t maskStoredBytes);
    [[nodiscard]] int64_t outFeatures() const override { return inner_->outFeatures(); }
    [[nodiscard]] int64_t inFeatures() const override { return inner_->inFeatures(); }
    [[nodiscard]] uint64_t storedBytes() const override
    {
        return inner_->storedBytes() + maskBytes_;
    }
    [[nodiscard]] std::string format() const override { return inner_->format() + "+mask"; }
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;
    void forwardReference(const float *x, int64_t nRows, float *y) const;

private:
    std::shared_ptr<const LinearWeights> inner_;
    std::vector<uint8_t> keep_;
    uint64_t maskBytes_ = 0;
    int64_t tileRows_ = 16;
};

} // namespace cwb
