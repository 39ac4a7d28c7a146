// SPDX-License-Identifier: MIT
#include "analysis/matrix_view.h"

#include "formats/dtype.h"
#include "util/error.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace cwb {
namespace {

int64_t checkedProduct(const Tensor &t, size_t first, size_t last)
{
    int64_t n = 1;
    for (size_t i = first; i < last; ++i) {
        const int64_t d = t.shape[i];
        if (d < 0)
            throw Error(t.name + ": negative dimension in shape " + t.shapeString());
        if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
            throw Error(t.name + ": shape " + t.shapeString() + " overflows 64 bits");
        n *= d;
    }
    return n;
}

std::string dims(const Tensor &t)
{
    std::string s = "(";
    for (size_t i = 0; i < t.shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(t.shape[i]);
    return s + ")";
}

// Keras Embedding tables are (vocab, dim): a lookup table, not an (in, out) kernel.
bool isKerasEmbedding(const Tensor &t)
{
    const std::string &n = t.name;
    const std::string suffix = "embeddings:0";
    return n.size() >= suffix.size()
        && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

MatrixView matrixView(const Tensor &tensor, ModelFormat format)
{
    MatrixView v;
    const size_t nd = tensor.shape.size();
    const int64_t numel = checkedProduct(tensor, 0, nd);
    if (nd < 2) {
        v.rows = 1;
        v.cols = numel;
        v.storedRows = 1;
        v.storedCols = numel;
        v.perChannel = false;
        return v;
    }
    const bool keras = format == ModelFormat::KerasH5 && !isKerasEmbedding(tensor);
    if (keras) {
        v.storedRows = checkedProduct(tensor, 0, nd - 1);
        v.storedCols = tensor.shape.back();
        v.transposed = true;
        v.rows = v.storedCols;
        v.cols = v.storedRows;
        const std::string size = std::to_string(v.rows) + " x " + std::to_string(v.cols);
        if (nd == 2)
            v.reshape = "Keras Dense kernel (in, out) " + dims(tensor)
                + " transposed to out x in = " + size;
        else if (nd == 4)
            v.reshape
                = "conv kernel HWIO " + dims(tensor) + " reshaped to out x kh*kw*in = " + size;
        else if (nd == 3)
            v.reshape
                = "conv kernel (k, in, out) " + dims(tensor) + " reshaped to out x k*in = " + size;
        else
            v.reshape = "Keras kernel " + dims(tensor) + " reshaped to last x rest = " + size;
        return v;
    }
    v.storedRows = tensor.shape[0];
    v.storedCols = checkedProduct(tensor, 1, nd);
    v.rows = v.storedRows;
    v.cols = v.storedCols;
    if (nd > 2)
        v.reshape = dims(tensor) + " reshaped to first x rest = " + std::to_string(v.rows) + " x "
            + std::to_string(v.cols);
    return v;
}

Tensor tensorWithBytes(const Tensor &tensor)
{
    if (!dtypeInfo(tensor.dtype).decodable)
        throw Error(tensor.name + ": values of type " + tensor.typeLabel() + " cannot be decoded");
    const int64_t numel = tensor.numel();
    const auto expected
        = storageBytes(tensor.dtype, static_cast<uint64_t>(std::max<int64_t>(numel, 0)));
    if (!expected)
        throw Error(tensor.name + ": shape " + tensor.shapeString() + " is not a whole number of "
                    + tensor.typeLabel() + " blocks");
    Tensor t = tensor;
    if (tensor.loader) {
        auto bytes = std::make_shared<std::vector<std::byte>>(tensor.loader());
        t.data = std::span<const std::byte>(*bytes);
        t.loader = nullptr;
        t.keepAlive = bytes;
    }
    if (t.data.size() < *expected)
        throw Error(tensor.name + ": " + std::to_string(t.data.size()) + " stored bytes, shape "
                    + tensor.shapeString() + " needs " + std::to_string(*expected));
    return t;
}

void readViewRows(const Tensor &tensor, const MatrixView &view, int64_t firstRow, int64_t nRows,
                  std::span<float> out, int64_t blockValues)
{
    if (firstRow < 0 || nRows < 0 || firstRow > view.rows - nRows)
        throw Error(tensor.name + ": view rows " + std::to_string(firstRow) + ".."
                    + std::to_string(firstRow + nRows) + " out of range ("
                    + std::to_string(view.rows) + " rows)");
    if (static_cast<int64_t>(out.size()) != nRows * view.cols)
        throw Error(tensor.name + ": view output buffer has " + std::to_string(out.size())
                    + " values, needs " + std::to_string(nRows * view.cols));
    if (nRows == 0 || view.cols == 0)
        return;
    const int64_t rowLen = std::max<int64_t>(tensor.rowLength(), 1);
    if (!view.transposed) {
        // stored row r is tensor rows [r*k, (r+1)*k): a contiguous reshape
        const int64_t k = view.storedCols / rowLen;
        tensor.rowsToFloat(firstRow * k, nRows * k, out);
        return;
    }
    // Transposed (Keras): stored rows are tensor rows; gather columns [firstRow, +nRows).
    const Tensor t = tensor.loader ? tensorWithBytes(tensor) : tensor;
    const int64_t sc = view.storedCols;
    const int64_t perBlock = std::max<int64_t>(1, blockValues / std::max<int64_t>(sc, 1));
    std::vector<float> buf(static_cast<size_t>(std::min(perBlock, view.storedRows) * sc));
    for (int64_t r0 = 0; r0 < view.storedRows; r0 += perBlock) {
        const int64_t n = std::min(perBlock, view.storedRows - r0);
        std::span<float> block(buf.data(), static_cast<size_t>(n * sc));
        t.rowsToFloat(r0, n, block);
        for (int64_t r = 0; r < n; ++r) {
            const float *src = block.data() + r * sc + firstRow;
            for (int64_t i = 0; i < nRows; ++i)
                out[static_cast<size_t>(i * view.cols + r0 + r)] = src[i];
        }
    }
}

} // namespace cwb
