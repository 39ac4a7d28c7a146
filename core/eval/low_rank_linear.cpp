// SPDX-License-Identifier: MIT
#include "eval/low_rank_linear.h"

#include "util/error.h"

#include <vector>

namespace cwb {

LowRankLinear::LowRankLinear(std::shared_ptr<const LinearWeights> a,
                             std::shared_ptr<const LinearWeights> b)
    : a_(std::move(a)), b_(std::move(b))
{
    if (!a_ || !b_)
        throw Error("LowRankLinear: a factor is missing");
    if (a_->inFeatures() != b_->outFeatures())
        throw Error("LowRankLinear: factor A is " + std::to_string(a_->outFeatures()) + " x "
                    + std::to_string(a_->inFeatures()) + " but B is "
                    + std::to_string(b_->outFeatures()) + " x "
                    + std::to_string(b_->inFeatures()) + " (inner dimensions differ)");
}

std::string LowRankLinear::format() const
{
    return "rank " + std::to_string(rank()) + " (" + a_->format() + ")";
}

void LowRankLinear::forward(const float *x, int64_t nRows, float *y) const
{
    std::vector<float> t(size_t(nRows * rank()));
    b_->forward(x, nRows, t.data());
    a_->forward(t.data(), nRows, y);
}

void LowRankLinear::row(int64_t r, float *out) const
{
    const int64_t k = rank(), in = inFeatures();
    std::vector<float> ar(static_cast<size_t>(k)), br(static_cast<size_t>(in));
    a_->row(r, ar.data());
    std::vector<double> acc(static_cast<size_t>(in), 0.0);
    for (int64_t j = 0; j < k; ++j) {
        b_->row(j, br.data());
        for (int64_t c = 0; c < in; ++c)
            acc[size_t(c)] += double(ar[size_t(j)]) * double(br[size_t(c)]);
    }
    for (int64_t c = 0; c < in; ++c)
        out[c] = float(acc[size_t(c)]);
}

void LowRankLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    forwardThroughRows(*this, x, nRows, y);
}

} // namespace cwb
