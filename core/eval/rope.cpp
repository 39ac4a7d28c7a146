// SPDX-License-Identifier: MIT
#include "eval/rope.h"

#include <cmath>

namespace cwb {

void RopeTable::build(int64_t nCtx, int64_t headDim, double theta)
{
    half_ = headDim / 2;
    cos_.resize(size_t(nCtx * half_));
    sin_.resize(size_t(nCtx * half_));
    for (int64_t i = 0; i < half_; ++i) {
        const double freq = std::pow(theta, -2.0 * double(i) / double(headDim));
        for (int64_t p = 0; p < nCtx; ++p) {
            const double angle = double(p) * freq;
            cos_[size_t(p * half_ + i)] = float(std::cos(angle));
            sin_[size_t(p * half_ + i)] = float(std::sin(angle));
        }
    }
}

void RopeTable::apply(RopeLayout layout, float *rows, int64_t n, int64_t stride, int64_t nHeads,
                      int64_t firstPos) const
{
    if (layout == RopeLayout::None)
        return;
    const int64_t headDim = 2 * half_;
    // Interleaved pairs are neighbours; half-split pairs are half a head apart.
    const int64_t step = layout == RopeLayout::Interleaved ? 2 : 1;
    const int64_t partner = layout == RopeLayout::Interleaved ? 1 : half_;
    for (int64_t t = 0; t < n; ++t) {
        const float *c = cos_.data() + (firstPos + t) * half_;
        const float *s = sin_.data() + (firstPos + t) * half_;
        float *row = rows + t * stride;
        for (int64_t h = 0; h < nHeads; ++h) {
            float *head = row + h * headDim;
            for (int64_t i = 0; i < half_; ++i) {
                float &a = head[i * step];
                float &b = head[i * step + partner];
                const float a0 = a, b0 = b;
                a = a0 * c[i] - b0 * s[i];
                b = a0 * s[i] + b0 * c[i];
            }
        }
    }
}

} // namespace cwb
