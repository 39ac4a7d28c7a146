// SPDX-License-Identifier: MIT
#include "eval/quantized_linear.h"

#include "eval/row_tiles.h"
#include "util/error.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace cwb {

QuantizedLinear::QuantizedLinear(QuantizedTensor tensor) : q_(std::move(tensor))
{
    q_.checkLayout();
    if (q_.rows <= 0 || q_.cols <= 0)
        throw Error("QuantizedLinear: tensor '" + q_.method + "' has shape "
                    + std::to_string(q_.rows) + " x " + std::to_string(q_.cols)
                    + ", expected a non-empty matrix");
    tileRows_ = l2TileRows(q_.cols);
}

void QuantizedLinear::row(int64_t r, float *out) const
{
    if (r < 0 || r >= q_.rows)
        throw Error("QuantizedLinear: row " + std::to_string(r) + " out of range ("
                    + std::to_string(q_.rows) + " rows)");
    q_.dequantizeRows(r, 1, out);
}

void QuantizedLinear::forward(const float *x, int64_t nRows, float *y) const
{
    forwardInRowTiles(
        x, nRows, q_.rows, q_.cols, tileRows_,
        [&](int64_t first, int64_t count, float *w) { q_.dequantizeRows(first, count, w); }, y);
}

void QuantizedLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    const int64_t in = q_.cols;
    std::vector<float> w(static_cast<size_t>(in));
    for (int64_t o = 0; o < q_.rows; ++o) {
        q_.dequantizeRowsReference(o, 1, w.data());
        for (int64_t i = 0; i < nRows; ++i) {
            double acc = 0;
            for (int64_t k = 0; k < in; ++k)
                acc += double(x[i * in + k]) * double(w[size_t(k)]);
            y[i * q_.rows + o] = float(acc);
        }
    }
}

} // namespace cwb
