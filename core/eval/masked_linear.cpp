// SPDX-License-Identifier: MIT
#include "eval/masked_linear.h"

#include "eval/matmul.h"
#include "util/error.h"

#include <algorithm>

namespace cwb {

namespace {

constexpr int64_t kTileBytes = 256 * 1024;

} // namespace

MaskedLinear::MaskedLinear(std::shared_ptr<const LinearWeights> inner,
                           std::vector<uint8_t> keepBitmap, uint64_t maskStoredBytes)
    : inner_(std::move(inner)), keep_(std::move(keepBitmap)), maskBytes_(maskStoredBytes)
{
    if (!inner_)
        throw Error("MaskedLinear: no weights");
    const uint64_t n = uint64_t(inner_->outFeatures()) * uint64_t(inner_->inFeatures());
    if (keep_.size() != (n + 7) / 8)
        throw Error("MaskedLinear: the mask holds " + std::to_string(keep_.size())
                    + " bytes, expected " + std::to_string((n + 7) / 8) + " for "
                    + std::to_string(inner_->outFeatures()) + " x "
                    + std::to_string(inner_->inFeatures()) + " weights");
    tileRows_ = std::max<int64_t>(16, kTileBytes / (inner_->inFeatures() * int64_t(sizeof(float))));
}

void MaskedLinear::row(int64_t r, float *out) const
{
    inner_->row(r, out);
    const int64_t in = inner_->inFeatures();
    const uint64_t base = uint64_t(r) * uint64_t(in);
    for (int64_t c = 0; c < in; ++c) {
        const uint64_t i = base + uint64_t(c);
        if (!((keep_[i / 8] >> (i % 8)) & 1u))
            out[c] = 0.0f;
    }
}

void MaskedLinear::forward(const float *x, int64_t nRows, float *y) const
{
    const int64_t in = inFeatures(), out = outFeatures();
    forEachRowTile(nRows, out, in, [&](int64_t r0, int64_t r1) {
        std::vector<float> w(size_t(std::min(tileRows_, r1 - r0) * in));
        for (int64_t t0 = r0; t0 < r1; t0 += tileRows_) {
            const int64_t t1 = std::min(r1, t0 + tileRows_);
            for (int64_t r = t0; r < t1; ++r)
                row(r, w.data() + (r - t0) * in);
            matmulTile(x, nRows, in, w.data(), t1 - t0, y + t0, out);
        }
    });
}

void MaskedLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    forwardThroughRows(*this, x, nRows, y);
}

} // namespace cwb
