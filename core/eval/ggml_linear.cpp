// SPDX-License-Identifier: MIT
#include "eval/ggml_linear.h"

#include "eval/matmul.h"
#include "eval/row_tiles.h"
#include "formats/fast_dequant.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_dot.h"
#include "formats/int_dot.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <algorithm>
#include <cstring>

namespace cwb {
namespace {

constexpr int64_t kL1TileBytes = 16 * 1024;
constexpr int64_t kFewRows = 4;
// Weight rows per band of the integer path (forwardInteger).
constexpr int64_t kBandRows = 16;

} // namespace

GgmlLinear::GgmlLinear(const Tensor &t, bool intActivations)
    : type_(t.dtype)
{
    if (t.shape.size() != 2)
        throw Error(t.name + ": expected a 2-D matrix, found shape " + t.shapeString());
    out_ = t.shape[0];
    in_ = t.shape[1];
    if (!ggmlCanDequantize(type_))
        throw Error(t.name + ": type " + t.typeLabel() + " cannot be multiplied (no decoder)");
    if (t.loader || !t.keepAlive) {
        owned_ = t.copyBytes();
        bytes_ = owned_;
    } else {
        keepAlive_ = t.keepAlive;
        bytes_ = t.data;
    }
    if (intActivations)
        rounding_ = activationRoundingFor(type_);
    init(t.name);
}

GgmlLinear::GgmlLinear(DType type, std::vector<std::byte> bytes, int64_t out, int64_t in,
                       bool intActivations)
    : type_(type), owned_(std::move(bytes)), bytes_(owned_), out_(out), in_(in)
{
    if (!ggmlCanDequantize(type_))
        throw Error("GgmlLinear: type " + std::string(dtypeName(type)) + " cannot be multiplied");
    if (intActivations)
        rounding_ = activationRoundingFor(type_);
    init("GgmlLinear");
}

void GgmlLinear::init(const std::string &name)
{
    const auto row = storageBytes(type_, uint64_t(std::max<int64_t>(in_, 0)));
    if (out_ <= 0 || in_ <= 0 || !row)
        throw Error(name + ": rows of " + std::to_string(in_) + " values are not a whole number of "
                    + std::string(dtypeName(type_)) + " blocks");
    rowSize_ = int64_t(*row);
    if (uint64_t(out_) * uint64_t(rowSize_) != bytes_.size())
        throw Error(name + ": " + std::to_string(bytes_.size()) + " bytes do not hold "
                    + std::to_string(out_) + " rows of " + std::to_string(rowSize_) + " bytes");
    tileRows_ = l2TileRows(in_);
    if (rounding_ != ActivationRounding::None && intDotSupported(type_)) {
        intKernel_ = intDotKernel(type_);
        interleave();
    }
}

void GgmlLinear::interleave()
{
    groupKernel_ = intDotGroupKernel(type_);
    if (!groupKernel_ || out_ < kInterleavedRows) {
        groupKernel_ = nullptr;
        return;
    }
    groupedRows_ = out_ / kInterleavedRows * kInterleavedRows;
    std::vector<std::byte> stored(bytes_.size());
    for (int64_t g = 0; g < groupedRows_; g += kInterleavedRows)
        interleaveRows(type_, bytes_.data() + g * rowSize_, rowSize_, in_,
                           stored.data() + g * rowSize_);
    std::copy(bytes_.begin() + groupedRows_ * rowSize_, bytes_.end(),
              stored.begin() + groupedRows_ * rowSize_);
    owned_ = std::move(stored);
    bytes_ = owned_;
    keepAlive_.reset();
}

const std::byte *GgmlLinear::rowBytes(int64_t r, std::vector<std::byte> &scratch) const
{
    if (r >= groupedRows_)
        return rowBytes(r);
    scratch.resize(size_t(rowSize_));
    const int64_t g = r / kInterleavedRows * kInterleavedRows;
    deinterleaveRow(type_, rowBytes(g), in_, int(r - g), scratch.data());
    return scratch.data();
}

std::shared_ptr<const LinearWeights> GgmlLinear::withIntegerActivations() const
{
    if (rounding_ != ActivationRounding::None) // already integer (or rounded)
        return nullptr;
    return std::make_shared<GgmlLinear>(type_, std::vector<std::byte>(bytes_.begin(), bytes_.end()),
                                        out_, in_, true);
}

std::string GgmlLinear::format() const { return std::string(dtypeName(type_)); }

void GgmlLinear::row(int64_t r, float *out) const
{
    if (r < 0 || r >= out_)
        throw Error("GgmlLinear: row " + std::to_string(r) + " out of range (" +
                    std::to_string(out_) + " rows)");
    std::vector<std::byte> scratch;
    dequantizeRowFast(type_, rowBytes(r, scratch), out, in_);
}

void GgmlLinear::forward(const float *x, int64_t nRows, float *y) const
{
    if (intKernel_) {
        forwardInteger(x, nRows, y);
        return;
    }
    std::vector<float> rounded;
    if (rounding_ != ActivationRounding::None) {
        rounded.assign(x, x + nRows * in_);
        roundActivations(rounding_, rounded.data(), nRows, in_);
        x = rounded.data();
    }
    if (nRows <= kFewRows && ggmlDotSupported(type_)) {
        // Decode: each weight is used for a handful of products, straight from its block.
        forEachRowTile(nRows, out_, in_, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t i = 0; i < nRows; ++i)
                    y[i * out_ + r] = ggmlDot(type_, rowBytes(r), x + i * in_, in_);
        });
        return;
    }
    // Otherwise tiles of dequantized rows through Eigen: L1-sized for a few input rows (no fused
    // kernel for this type), ~256 KiB (fewer, larger GEMMs) for a prefill.
    const int64_t sub = nRows <= kFewRows ? std::max<int64_t>(1, kL1TileBytes / (in_ * 4))
                                          : tileRows_;
    forwardInRowTiles(
        x, nRows, out_, in_, sub,
        [&](int64_t first, int64_t count, float *w) {
            for (int64_t r = first; r < first + count; ++r)
                dequantizeRowFast(type_, rowBytes(r), w + (r - first) * in_, in_);
        },
        y);
}

void GgmlLinear::forwardInteger(const float *x, int64_t nRows, float *y) const
{
    // The input is quantized once (llama.cpp does it once per matmul too), then every weight
    // row meets every activation row in integer arithmetic. Tiles: a band of kBandRows weight
    // rows (a few KiB, stays in L1) against groups of kIntDotMaxRows activation rows, so each
    // weight block is unpacked once per group and each group's quants are reused by the band.
    Q8Activations q;
    quantizeActivations(rounding_, x, nRows, in_, q);
    const Q8View view = q.view();
    const IntDotFn kernel = intKernel_;
    const IntDotGroupFn group = groupKernel_;
    // Tiles are multiples of 16 rows (forEachRowTile), so a group of 8 is never split.
    forEachRowTile(nRows, out_, in_, [&](int64_t r0, int64_t r1) {
        for (int64_t b0 = r0; b0 < r1; b0 += kBandRows) {
            const int64_t b1 = std::min(r1, b0 + kBandRows);
            for (int64_t i = 0; i < nRows; i += kIntDotMaxRows) {
                const int rows = int(std::min<int64_t>(kIntDotMaxRows, nRows - i));
                int64_t r = b0;
                for (; r + kInterleavedRows <= std::min(b1, groupedRows_); r += kInterleavedRows)
                    group(rowBytes(r), view, i, rows, y + i * out_ + r, out_);
                for (; r < b1; ++r)
                    kernel(rowBytes(r), view, i, rows, y + i * out_ + r, out_);
            }
        }
    });
}

void GgmlLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    std::vector<float> xr(x, x + nRows * in_);
    roundActivations(rounding_, xr.data(), nRows, in_);
    std::vector<float> w(static_cast<size_t>(in_));
    std::vector<std::byte> scratch;
    for (int64_t o = 0; o < out_; ++o) {
        ggmlDequantizeRow(type_, rowBytes(o, scratch), w.data(), in_);
        for (int64_t i = 0; i < nRows; ++i) {
            double acc = 0;
            for (int64_t k = 0; k < in_; ++k)
                acc += double(xr[i * in_ + k]) * double(w[k]);
            y[i * out_ + o] = float(acc);
        }
    }
}

} // namespace cwb
