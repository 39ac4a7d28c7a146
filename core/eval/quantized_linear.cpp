// SPDX-License-Identifier: MIT
#include "eval/quantized_linear.h"

#include "eval/matmul.h"
#include "util/error.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace cwb {
namespace {

// A dequantized tile stays within L2 while Eigen packs and multiplies it.
constexpr int64_t kTileBytes = 256 * 1024;
constexpr int64_t kMinTileRows = 16;

float *tileBuffer(size_t values)
{
    // Used inside one tile only (no oneTBB call in between), so never shared by two tiles.
    thread_local std::vector<float> buffer;
    if (buffer.size() < values)
        buffer.resize(values);
    return buffer.data();
}

} // namespace

QuantizedLinear::QuantizedLinear(QuantizedTensor tensor) : q_(std::move(tensor))
{
    q_.checkLayout();
    if (q_.rows <= 0 || q_.cols <= 0)
        throw Error("QuantizedLinear: tensor '" + q_.method + "' has shape "
                    + std::to_string(q_.rows) + " x " + std::to_string(q_.cols)
                    + ", expected a non-empty matrix");
    tileRows_ = std::max(kMinTileRows, kTileBytes / (q_.cols * int64_t(sizeof(float))));
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
    const int64_t in = q_.cols, out = q_.rows;
    forEachRowTile(nRows, out, in, [&](int64_t r0, int64_t r1) {
        float *w = tileBuffer(size_t(std::min(tileRows_, r1 - r0) * in));
        for (int64_t t0 = r0; t0 < r1; t0 += tileRows_) {
            const int64_t t1 = std::min(r1, t0 + tileRows_);
            q_.dequantizeRows(t0, t1 - t0, w);
            matmulTile(x, nRows, in, w, t1 - t0, y + t0, out);
        }
    });
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
