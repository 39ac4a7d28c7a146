// SPDX-License-Identifier: MIT
#include "compress/stored_matrix.h"

#include "eval/dense_linear.h"
#include "eval/ggml_linear.h"
#include "eval/quantized_linear.h"
#include "eval/scaled_input_linear.h"
#include "formats/float_formats.h"
#include "tensor/dequantize.h"
#include "util/error.h"

#include <cmath>
#include <cstring>
#include <span>

namespace cwb {

namespace {

bool plainFloat(DType t)
{
    return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

} // namespace

StoredMatrix StoredMatrix::fromFloats(const std::vector<float> &values, int64_t rows,
                                      int64_t cols, DType type)
{
    if (!plainFloat(type))
        throw Error("stored matrix: float storage must be F32, F16 or BF16, not "
                    + std::string(dtypeName(type)));
    if (values.size() != size_t(rows * cols))
        throw Error("stored matrix: " + std::to_string(values.size()) + " values for a "
                    + std::to_string(rows) + " x " + std::to_string(cols) + " matrix");
    StoredMatrix m;
    m.kind = Kind::Float;
    m.rows = rows;
    m.cols = cols;
    m.type = type;
    if (type == DType::F32) {
        m.bytes.resize(values.size() * 4);
        if (!values.empty()) // memcpy's pointers must not be null, even for 0 bytes
            std::memcpy(m.bytes.data(), values.data(), m.bytes.size());
    } else {
        m.bytes.resize(values.size() * 2);
        for (size_t i = 0; i < values.size(); ++i) {
            const uint16_t h =
                type == DType::F16 ? floatToFp16(values[i]) : floatToBf16(values[i]);
            m.bytes[2 * i] = std::byte(h & 0xff);
            m.bytes[2 * i + 1] = std::byte(h >> 8);
        }
    }
    return m;
}

StoredMatrix StoredMatrix::fromQuantized(QuantizedTensor q, std::vector<float> inputScales)
{
    StoredMatrix m;
    m.kind = Kind::Quantized;
    m.rows = q.rows;
    m.cols = q.cols;
    m.type = DType::Unknown;
    m.quant = std::move(q);
    m.inputScales = std::move(inputScales);
    return m;
}

StoredMatrix StoredMatrix::fromGgml(DType type, std::vector<std::byte> bytes, int64_t rows,
                                    int64_t cols)
{
    StoredMatrix m;
    m.kind = Kind::Ggml;
    m.rows = rows;
    m.cols = cols;
    m.type = type;
    m.bytes = std::move(bytes);
    return m;
}

uint64_t StoredMatrix::storedBytes() const
{
    const uint64_t multiplier = inputScales.size() * sizeof(float);
    if (kind == Kind::Quantized)
        return quant.storedBytes() + multiplier;
    return bytes.size() + multiplier;
}

std::string StoredMatrix::format() const
{
    std::string f = kind == Kind::Quantized ? quant.method : std::string(dtypeName(type));
    return inputScales.empty() ? f : "awq(" + f + ")";
}

std::string StoredMatrix::describe() const
{
    std::string d;
    if (kind != Kind::Quantized) {
        d = std::string(dtypeName(type));
    } else if (const auto *rtn = std::get_if<RtnParams>(&quant.params)) {
        d = "int" + std::to_string(rtn->bits) + " ";
        switch (rtn->granularity) {
        case Granularity::PerTensor: d += "per-tensor"; break;
        case Granularity::PerChannel: d += "per-channel"; break;
        case Granularity::Group: d += "g" + std::to_string(rtn->groupSize); break;
        }
        d += rtn->symmetric ? " sym" : " asym";
    } else if (const auto *nf4 = std::get_if<Nf4Params>(&quant.params)) {
        d = "nf4 b" + std::to_string(nf4->blockSize) + (nf4->doubleQuant ? " dq" : "");
    } else if (const auto *fp8 = std::get_if<Fp8Params>(&quant.params)) {
        d = quant.method + " " + granularityName(fp8->granularity);
    } else {
        d = quant.method;
    }
    return inputScales.empty() ? d : d + " + input scales";
}

void StoredMatrix::check(const std::string &where) const
{
    if (rows <= 0 || cols <= 0)
        throwIn(where, "the matrix is " + std::to_string(rows) + " x " + std::to_string(cols));
    if (!inputScales.empty()) {
        if (int64_t(inputScales.size()) != cols)
            throwIn(where, "input_scales holds " + std::to_string(inputScales.size())
                               + " values for " + std::to_string(cols) + " columns");
        for (size_t i = 0; i < inputScales.size(); ++i)
            if (!(inputScales[i] > 0.0f) || !std::isfinite(inputScales[i]))
                throwIn(where, "input_scales[" + std::to_string(i) + "] = "
                                   + std::to_string(inputScales[i]) + " is not a positive number");
    }
    if (kind == Kind::Quantized) {
        if (quant.rows != rows || quant.cols != cols)
            throwIn(where, "the quantized tensor is " + std::to_string(quant.rows) + " x "
                               + std::to_string(quant.cols) + ", expected "
                               + std::to_string(rows) + " x " + std::to_string(cols));
        try {
            quant.checkLayout();
        } catch (const Error &e) {
            throwIn(where, e.what());
        }
        return;
    }
    if (kind == Kind::Float && !plainFloat(type))
        throwIn(where, "float storage of type " + std::string(dtypeName(type)));
    if (kind == Kind::Ggml && !dtypeInfo(type).quantized)
        throwIn(where, std::string(dtypeName(type)) + " is not a ggml block type");
    if (cols % dtypeInfo(type).blockElems != 0)
        throwIn(where, std::to_string(cols) + " columns are not whole blocks of "
                           + std::string(dtypeName(type)));
    const auto expected = storageBytes(type, uint64_t(rows) * uint64_t(cols));
    if (!expected || *expected != bytes.size())
        throwIn(where, std::to_string(bytes.size()) + " bytes stored, "
                           + (expected ? std::to_string(*expected) : std::string("?"))
                           + " expected for " + std::to_string(rows) + " x "
                           + std::to_string(cols) + " " + std::string(dtypeName(type)));
}

std::shared_ptr<const LinearWeights> StoredMatrix::linear() const
{
    check("stored matrix");
    std::shared_ptr<const LinearWeights> lw;
    switch (kind) {
    case Kind::Float: {
        std::vector<float> v(size_t(rows * cols));
        convertToFloat(type, bytes, v);
        lw = std::make_shared<DenseLinear>(std::move(v), rows, cols, std::string(dtypeName(type)),
                                           bytes.size());
        break;
    }
    case Kind::Quantized: lw = std::make_shared<QuantizedLinear>(quant); break;
    case Kind::Ggml: lw = std::make_shared<GgmlLinear>(type, bytes, rows, cols, false); break;
    }
    if (!inputScales.empty())
        lw = std::make_shared<ScaledInputLinear>(lw, inputScales);
    return lw;
}

std::vector<float> StoredMatrix::dequantize() const
{
    check("stored matrix");
    std::vector<float> v(size_t(rows * cols));
    dequantizeRows(0, rows, v.data());
    return v;
}

void StoredMatrix::dequantizeRows(int64_t firstRow, int64_t nRows, float *out) const
{
    check("stored matrix");
    if (firstRow < 0 || nRows < 0 || firstRow > rows - nRows)
        throw Error("stored matrix: rows [" + std::to_string(firstRow) + ", +"
                    + std::to_string(nRows) + ") are outside its " + std::to_string(rows)
                    + " rows");
    const std::span<float> dst(out, size_t(nRows * cols));
    switch (kind) {
    case Kind::Float:
    case Kind::Ggml: {
        // check() made sure cols is whole blocks and the bytes hold every row.
        const uint64_t rowBytes = *storageBytes(type, uint64_t(cols));
        convertToFloat(type,
                       std::span(bytes).subspan(size_t(uint64_t(firstRow) * rowBytes),
                                                size_t(uint64_t(nRows) * rowBytes)),
                       dst);
        break;
    }
    case Kind::Quantized: quant.dequantizeRowsParallel(firstRow, nRows, out); break;
    }
    if (!inputScales.empty())
        for (int64_t r = 0; r < nRows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                dst[size_t(r * cols + c)] /= inputScales[size_t(c)];
}

} // namespace cwb
