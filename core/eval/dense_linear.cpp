// SPDX-License-Identifier: MIT
#include "eval/dense_linear.h"

#include "eval/matmul.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <cstring>

namespace cwb {

std::unique_ptr<DenseLinear> DenseLinear::fromTensor(const Tensor &t, bool transposed)
{
    if (t.shape.size() != 2)
        throw Error(t.name + ": expected a 2-D matrix, found shape " + t.shapeString());
    const int64_t rows = t.shape[0], cols = t.shape[1];
    const int64_t out = transposed ? cols : rows, in = transposed ? rows : cols;
    const std::string format(t.typeLabel());
    const uint64_t stored = t.byteSize;
    const bool mappedF32 = t.dtype == DType::F32 && !t.loader && !transposed && t.keepAlive
                           && t.data.size() == uint64_t(rows * cols) * sizeof(float)
                           && reinterpret_cast<uintptr_t>(t.data.data()) % alignof(float) == 0;
    if (mappedF32)
        return std::unique_ptr<DenseLinear>(
            new DenseLinear(reinterpret_cast<const float *>(t.data.data()), t.keepAlive, out, in,
                            format, stored));
    std::vector<float> values = t.toFloat();
    if (transposed) {
        std::vector<float> tr(values.size());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                tr[c * rows + r] = values[r * cols + c];
        values.swap(tr);
    }
    return std::make_unique<DenseLinear>(std::move(values), out, in, format, stored);
}

DenseLinear::DenseLinear(std::vector<float> values, int64_t out, int64_t in, std::string format,
                         uint64_t storedBytes)
    : owned_(std::move(values)), data_(owned_.data()), out_(out), in_(in),
      format_(std::move(format)),
      storedBytes_(storedBytes ? storedBytes : uint64_t(out * in) * sizeof(float))
{
    if (out < 0 || in < 0 || owned_.size() != size_t(out * in))
        throw Error("DenseLinear: " + std::to_string(owned_.size()) + " values do not form a "
                    + std::to_string(out) + " x " + std::to_string(in) + " matrix");
}

DenseLinear::DenseLinear(const float *mapped, std::shared_ptr<const void> keepAlive, int64_t out,
                         int64_t in, std::string format, uint64_t storedBytes)
    : keepAlive_(std::move(keepAlive)), data_(mapped), out_(out), in_(in),
      format_(std::move(format)), storedBytes_(storedBytes)
{
}

void DenseLinear::forward(const float *x, int64_t nRows, float *y) const
{
    matmulDense(x, nRows, data_, out_, in_, y);
}

void DenseLinear::row(int64_t r, float *out) const
{
    if (r < 0 || r >= out_)
        throw Error("DenseLinear: row " + std::to_string(r) + " out of range (" +
                    std::to_string(out_) + " rows)");
    std::memcpy(out, data_ + r * in_, size_t(in_) * sizeof(float));
}

} // namespace cwb
