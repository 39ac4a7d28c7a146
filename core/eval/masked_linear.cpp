// SPDX-License-Identifier: MIT
#include "eval/masked_linear.h"

#include "eval/row_tiles.h"
#include "util/error.h"


namespace cwb {

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
    tileRows_ = l2TileRows(inner_->inFeatures());
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
    const int64_t in = inFeatures();
    forwardInRowTiles(
        x, nRows, outFeatures(), in, tileRows_,
        [&](int64_t first, int64_t count, float *w) {
            for (int64_t r = first; r < first + count; ++r)
                row(r, w + (r - first) * in);
        },
        y);
}

void MaskedLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    forwardThroughRows(*this, x, nRows, y);
}

} // namespace cwb
