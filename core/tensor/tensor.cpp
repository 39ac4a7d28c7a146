// SPDX-License-Identifier: MIT
#include "tensor/tensor.h"

#include "tensor/dequantize.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <algorithm>
#include <cstring>

namespace cwb {

// Readers reject shapes whose non-zero dimensions multiply past 2^63; a zero dimension is looked
// for first, so that the others are never multiplied when the tensor is empty.
int64_t Tensor::numel() const
{
    if (std::find(shape.begin(), shape.end(), 0) != shape.end())
        return 0;
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

int64_t Tensor::rows() const
{
    if (shape.size() > 1 && std::find(shape.begin(), shape.end() - 1, 0) != shape.end() - 1)
        return 0;
    int64_t n = 1;
    for (size_t i = 0; i + 1 < shape.size(); ++i)
        n *= shape[i];
    return n;
}

bool Tensor::decodable() const
{
    return dtypeInfo(dtype).decodable && (byteSize > 0 || numel() == 0);
}

std::string Tensor::shapeString() const
{
    if (shape.empty())
        return "scalar";
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += " x ";
        s += std::to_string(shape[i]);
    }
    return s;
}

std::string Tensor::typeLabel() const
{
    return dtypeLabel.empty() ? std::string(dtypeName(dtype)) : dtypeLabel;
}

std::vector<std::byte> Tensor::copyBytes() const
{
    if (loader)
        return loader();
    if (data.size() != byteSize || (byteSize == 0 && numel() > 0))
        throw Error(name + ": stored size of type " + typeLabel() + " is unknown");
    return {data.begin(), data.end()};
}

void Tensor::toFloat(std::span<float> out) const
{
    if (!dtypeInfo(dtype).decodable)
        throw Error(name + ": values of type " + typeLabel() + " cannot be decoded");
    if (static_cast<int64_t>(out.size()) != numel())
        throw Error(name + ": output buffer has " + std::to_string(out.size()) + " values, tensor has "
                    + std::to_string(numel()));
    if (loader) {
        const auto bytes = loader();
        convertToFloat(dtype, bytes, out);
    } else {
        convertToFloat(dtype, data, out);
    }
}

std::vector<float> Tensor::toFloat() const
{
    std::vector<float> v(static_cast<size_t>(numel()));
    toFloat(v);
    return v;
}

void Tensor::rowsToFloat(int64_t firstRow, int64_t nRows, std::span<float> out) const
{
    const int64_t rowLen = rowLength();
    if (firstRow < 0 || nRows < 0 || firstRow + nRows > rows())
        throw Error(name + ": rows " + std::to_string(firstRow) + ".." + std::to_string(firstRow + nRows)
                    + " out of range (" + std::to_string(rows()) + " rows)");
    if (static_cast<int64_t>(out.size()) != nRows * rowLen)
        throw Error(name + ": output buffer size mismatch in rowsToFloat");
    if (!dtypeInfo(dtype).decodable)
        throw Error(name + ": values of type " + typeLabel() + " cannot be decoded");
    const auto rowBytes = storageBytes(dtype, static_cast<uint64_t>(rowLen));
    if (!rowBytes)
        throw Error(name + ": row length " + std::to_string(rowLen) + " is not a whole number of "
                    + typeLabel() + " blocks");
    if (loader) {
        const auto bytes = loader();
        convertToFloat(dtype, std::span(bytes).subspan(firstRow * *rowBytes, nRows * *rowBytes), out);
    } else {
        convertToFloat(dtype, data.subspan(firstRow * *rowBytes, nRows * *rowBytes), out);
    }
}

void Tensor::releaseMappedPages() const
{
    if (mappedFrom && keepAlive.get() == static_cast<const void *>(mappedFrom))
        mappedFrom->dropPages(data);
}

} // namespace cwb
