// SPDX-License-Identifier: MIT
#pragma once
// The key/value cache: float32 [layers][positions][kvDim] for keys and the same for values, so
// a projection of n new tokens writes straight into rows pos..pos+n-1 of its layer, and
// attention reads one head as a strided [positions x headDim] block of contiguous rows.

#include "eval/aligned_buffer.h"

#include <cstdint>
#include <vector>

namespace cwb {

class KvCache {
public:
    // Reserves nCtx positions (reallocating only when the size changes); contents undefined.
    void reset(int64_t layers, int64_t nCtx, int64_t kvDim)
    {
        layers_ = layers;
        nCtx_ = nCtx;
        kvDim_ = kvDim;
        const size_t values = size_t(layers * nCtx * kvDim);
        if (keys_.size() != values) {
            keys_.assign(values, 0.f);
            values_.assign(values, 0.f);
        }
    }
    [[nodiscard]] static uint64_t bytesFor(int64_t layers, int64_t nCtx, int64_t kvDim)
    {
        return 2 * uint64_t(layers) * uint64_t(nCtx) * uint64_t(kvDim) * sizeof(float);
    }
    [[nodiscard]] int64_t capacity() const { return nCtx_; }
    [[nodiscard]] float *keys(int64_t layer, int64_t pos)
    {
        return keys_.data() + (layer * nCtx_ + pos) * kvDim_;
    }
    [[nodiscard]] float *values(int64_t layer, int64_t pos)
    {
        return values_.data() + (layer * nCtx_ + pos) * kvDim_;
    }

private:
    int64_t layers_ = 0;
    int64_t nCtx_ = 0;
    int64_t kvDim_ = 0;
    AlignedVector<float> keys_; // aligned: eval/aligned_buffer.h says why
    AlignedVector<float> values_;
};

} // namespace cwb
