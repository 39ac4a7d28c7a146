// SPDX-License-Identifier: MIT
#include "eval/linear_weights.h"

#include <vector>

namespace cwb {

void forwardThroughRows(const LinearWeights &w, const float *x, int64_t nRows, float *y)
{
    const int64_t in = w.inFeatures(), out = w.outFeatures();
    std::vector<float> row(static_cast<size_t>(in));
    for (int64_t o = 0; o < out; ++o) {
        w.row(o, row.data());
        for (int64_t i = 0; i < nRows; ++i) {
            double acc = 0;
            for (int64_t k = 0; k < in; ++k)
                acc += double(x[i * in + k]) * double(row[size_t(k)]);
            y[i * out + o] = float(acc);
        }
    }
}

} // namespace cwb
