// SPDX-License-Identifier: MIT
#include "eval/scaled_input_linear.h"

#include "util/error.h"

#include <cmath>
#include <string>
#include <utility>

namespace cwb {

ScaledInputLinear::ScaledInputLinear(std::shared_ptr<const LinearWeights> inner,
                                     std::vector<float> inputScales)
    : inner_(std::move(inner)), s_(std::move(inputScales))
{
    if (!inner_)
        throw Error("ScaledInputLinear: inner weights are null");
    if (int64_t(s_.size()) != inner_->inFeatures())
        throw Error("ScaledInputLinear: inputScales has " + std::to_string(s_.size())
                    + " values, expected inFeatures = " + std::to_string(inner_->inFeatures())
                    + " (" + inner_->format() + ")");
    for (size_t j = 0; j < s_.size(); ++j)
        if (!std::isfinite(s_[j]) || !(s_[j] > 0.0f))
            throw Error("ScaledInputLinear: inputScales of channel " + std::to_string(j) + " ("
                        + std::to_string(s_[j]) + ") is not finite and > 0");
}

uint64_t ScaledInputLinear::storedBytes() const
{
    return inner_->storedBytes() + uint64_t(sizeof(float)) * uint64_t(s_.size());
}

void ScaledInputLinear::forward(const float *x, int64_t nRows, float *y) const
{
    const int64_t in = inFeatures();
    std::vector<float> scaled(static_cast<size_t>(nRows * in));
    for (int64_t i = 0; i < nRows; ++i) {
        const float *xi = x + i * in;
        float *si = scaled.data() + i * in;
        for (int64_t j = 0; j < in; ++j)
            si[j] = xi[j] / s_[size_t(j)];
    }
    inner_->forward(scaled.data(), nRows, y);
}

std::shared_ptr<const LinearWeights> ScaledInputLinear::withIntegerActivations() const
{
    auto inner = inner_->withIntegerActivations();
    return inner ? std::make_shared<ScaledInputLinear>(std::move(inner), s_) : nullptr;
}

void ScaledInputLinear::row(int64_t r, float *out) const
{
    if (r < 0 || r >= outFeatures())
        throw Error("ScaledInputLinear: row " + std::to_string(r) + " out of range ("
                    + std::to_string(outFeatures()) + " rows)");
    inner_->row(r, out);
    for (size_t j = 0; j < s_.size(); ++j)
        out[j] /= s_[j];
}

void ScaledInputLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    const int64_t in = inFeatures(), out = outFeatures();
    std::vector<float> w(static_cast<size_t>(in));
    for (int64_t o = 0; o < out; ++o) {
        inner_->row(o, w.data());
        for (int64_t i = 0; i < nRows; ++i) {
            double acc = 0;
            for (int64_t k = 0; k < in; ++k)
                acc += double(x[i * in + k]) * (double(w[size_t(k)]) / double(s_[size_t(k)]));
            y[i * out + o] = float(acc);
        }
    }
}

} // namespace cwb
