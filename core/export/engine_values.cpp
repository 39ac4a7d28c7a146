// SPDX-License-Identifier: MIT
#include "export/engine_values.h"

#include <cmath>
#include <cstring>

namespace cwb {

std::vector<float> engineValues(const CompressedTensor &ct)
{
    if (ct.shape.size() == 1 || !ct.weight || ct.foldedScales.empty())
        return ct.reconstruct();
    std::vector<float> w = ct.weight->dequantize();
    if (ct.mask && ct.mask->applyWhenDecoding)
        for (size_t i = 0; i < w.size(); ++i)
            if (!((ct.mask->bitmap[i / 8] >> (i % 8)) & 1u))
                w[i] = 0.0f;
    return w;
}

double maxAbsDifference(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(double(a[i]) - double(b[i]));
        if (std::isnan(d))
            return INFINITY;
        m = std::max(m, d);
    }
    return m;
}

bool bitIdentical(const std::vector<float> &a, const std::vector<float> &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

} // namespace cwb
