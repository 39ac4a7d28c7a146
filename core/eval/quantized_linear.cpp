// SPDX-License-Identifier: MIT
#include "eval/quantized_linear.h"

#include "eval/matmul.h"
#include "eval/row_tiles.h"
#include "formats/packed_dot.h"
#include "util/error.h"

#include <algorithm>
#include <utility>
#include <variant>
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
    // The fused decode kernel takes rtn codes of 4 or 8 bits in groups of a multiple of 32.
    const auto *rtn = std::get_if<RtnParams>(&q_.params);
    const int64_t group = q_.groupSize > 0 ? q_.groupSize : q_.cols;
    fused_ = rtn && q_.packing == CodePacking::Bits && (q_.codeBits == 4 || q_.codeBits == 8)
             && group % 32 == 0 && q_.cols % group == 0;
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
    if (fused_ && nRows <= kPackedDotMaxRows) {
        forwardFused(x, nRows, y);
        return;
    }
    forwardInRowTiles(
        x, nRows, q_.rows, q_.cols, tileRows_,
        [&](int64_t first, int64_t count, float *w) { q_.dequantizeRows(first, count, w); }, y);
}

void QuantizedLinear::forwardFused(const float *x, int64_t nRows, float *y) const
{
    // Decode: every code is read once, straight from the packed row (formats/packed_dot.h).
    const int64_t cols = q_.cols;
    const int64_t group = q_.groupSize > 0 ? q_.groupSize : cols;
    const int64_t groups = cols / group;
    std::vector<float> xsum(size_t(nRows * groups));
    for (int64_t i = 0; i < nRows; ++i)
        for (int64_t g = 0; g < groups; ++g) {
            float s = 0;
            for (int64_t j = g * group; j < (g + 1) * group; ++j)
                s += x[i * cols + j];
            xsum[size_t(i * groups + g)] = s;
        }
    const bool symmetric = std::get<RtnParams>(q_.params).symmetric;
    const float half = float(1 << (q_.codeBits - 1));
    const int64_t rowBytes = q_.rowCodeBytes();
    const PackedDotFn kernel = packedDotKernel();
    forEachRowTile(nRows, q_.rows, cols, [&](int64_t r0, int64_t r1) {
        std::vector<float> scale(static_cast<size_t>(groups)), zero(static_cast<size_t>(groups));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t g = 0; g < groups; ++g) {
                const int64_t i = q_.groupSize == 0 ? 0 : (r * cols + g * group) / q_.groupSize;
                scale[size_t(g)] = q_.scaleAt(i);
                zero[size_t(g)] = symmetric ? half : float(q_.zeroAt(i));
            }
            const PackedRow row{q_.codes.data() + r * rowBytes, scale.data(), zero.data(),
                                q_.codeBits, cols, group};
            kernel(row, x, cols, xsum.data(), int(nRows), y + r, q_.rows);
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
