// SPDX-License-Identifier: MIT
// QuantizedTensor: layout arithmetic, the layout check, and dequantization (a plain per-weight
// reference and a per-row fast path that decodes runs of codes through small lookup tables).

#include "formats/quantized_tensor.h"

#include "formats/float_formats.h"
#include "formats/quant_common.h"
#include "formats/quant_grids.h"
#include "formats/quant_packing.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <string>

namespace cwb {
namespace {

enum class Kind { Rtn, Nf4, Fp8, MxFp4, NvFp4, Ternary };

Kind kindOf(const QuantParams &p) { return static_cast<Kind>(p.index()); }

int scaleEntryBytes(ScaleType t)
{
    switch (t) {
    case ScaleType::None: return 0;
    case ScaleType::F32: return 4;
    case ScaleType::F16: return 2;
    case ScaleType::E8M0:
    case ScaleType::Fp8E4M3:
    case ScaleType::DoubleQuant8: return 1;
    }
    return 0;
}

float readF32(const uint8_t *p)
{
    const uint32_t u = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16
        | uint32_t(p[3]) << 24;
    return std::bit_cast<float>(u);
}

float e8m0ToFloat(uint8_t e)
{
    return e == 0xffu ? std::nanf("") : std::ldexp(1.0f, int(e) - 127);
}

const std::array<float, 256> &fp8Table(bool wantE5M2)
{
    static const auto build = [](bool wide) {
        std::array<float, 256> t{};
        for (int b = 0; b < 256; ++b)
            t[b] = wide ? fp8E5M2ToFloat(uint8_t(b)) : fp8E4M3ToFloat(uint8_t(b));
        return t;
    };
    static const std::array<float, 256> e4m3 = build(false);
    static const std::array<float, 256> e5m2 = build(true);
    return wantE5M2 ? e5m2 : e4m3;
}

bool isE5M2(const QuantParams &p)
{
    const auto *f = std::get_if<Fp8Params>(&p);
    return f && f->format == Fp8Format::E5M2;
}

const char *scaleTypeName(ScaleType t)
{
    switch (t) {
    case ScaleType::None: return "none";
    case ScaleType::F32: return "f32";
    case ScaleType::F16: return "f16";
    case ScaleType::E8M0: return "e8m0";
    case ScaleType::Fp8E4M3: return "fp8_e4m3";
    case ScaleType::DoubleQuant8: return "double-quant8";
    }
    return "unknown";
}

} // namespace

int64_t QuantizedTensor::rowCodeBytes() const
{
    return packing == CodePacking::Base3 ? quantpack::base3Bytes(cols)
                                         : quantpack::streamBytes(cols, codeBits);
}

int64_t QuantizedTensor::scaleCount() const
{
    if (scaleType == ScaleType::None)
        return 0;
    return groupSize == 0 ? 1 : rows * (cols / groupSize);
}

int64_t QuantizedTensor::scaleBytes() const { return scaleCount() * scaleEntryBytes(scaleType); }

int64_t QuantizedTensor::zeroBytes() const
{
    const auto *rtn = std::get_if<RtnParams>(&params);
    return rtn && !rtn->symmetric ? quantpack::streamBytes(scaleCount(), codeBits) : 0;
}

uint64_t QuantizedTensor::storedBytes() const
{
    uint64_t n = codes.size() + scales.size() + zeros.size() + 4 * secondScales.size();
    if (scaleType == ScaleType::DoubleQuant8)
        n += 4; // scaleOffset
    if (hasTensorScale)
        n += 4;
    return n;
}

double QuantizedTensor::bitsPerWeight() const
{
    const double weights = double(rows) * double(cols);
    return weights > 0 ? double(storedBytes()) * 8.0 / weights : 0.0;
}

void QuantizedTensor::checkLayout() const
{
    const std::string src = "quantized tensor (" + method + ")";
    const std::string expectedMethod = methodName(params);
    if (method != expectedMethod)
        throwIn(src, "method '" + method + "' does not match its parameters ('" + expectedMethod
                         + "')");
    validateQuantParams(params, rows, cols);
    const QuantizedTensor want = quantdetail::describeLayout(params, rows, cols);
    auto field = [&](const char *name, int64_t have, int64_t expect) {
        if (have != expect)
            throwIn(src, std::string(name) + " = " + std::to_string(have) + ", the layout needs "
                             + std::to_string(expect));
    };
    field("codeBits", codeBits, want.codeBits);
    field("packing", int(packing), int(want.packing));
    field("groupSize", groupSize, want.groupSize);
    if (scaleType != want.scaleType)
        throwIn(src, std::string("scaleType = ") + scaleTypeName(scaleType) + ", the layout needs "
                         + scaleTypeName(want.scaleType));
    field("dqBlockSize", dqBlockSize, want.dqBlockSize);
    field("hasTensorScale", hasTensorScale, want.hasTensorScale);
    field("codes bytes", int64_t(codes.size()), rows * rowCodeBytes());
    field("scales bytes", int64_t(scales.size()), scaleBytes());
    field("zeros bytes", int64_t(zeros.size()), zeroBytes());
    const int64_t second =
        dqBlockSize > 0 ? (scaleCount() + dqBlockSize - 1) / dqBlockSize : 0;
    field("secondScales entries", int64_t(secondScales.size()), second);
}

float QuantizedTensor::scaleAt(int64_t i) const
{
    switch (scaleType) {
    case ScaleType::None: return 1.0f;
    case ScaleType::F32: return readF32(scales.data() + 4 * i);
    case ScaleType::F16:
        return fp16ToFloat(uint16_t(scales[2 * i] | (scales[2 * i + 1] << 8)));
    case ScaleType::E8M0: return e8m0ToFloat(scales[i]);
    case ScaleType::Fp8E4M3: return fp8E4M3ToFloat(scales[i]);
    case ScaleType::DoubleQuant8:
        return std::fma(dynamicMap8()[scales[i]], secondScales[i / dqBlockSize], scaleOffset);
    }
    return 1.0f;
}

uint32_t QuantizedTensor::codeAt(int64_t r, int64_t c) const
{
    const uint8_t *row = codes.data() + r * rowCodeBytes();
    return packing == CodePacking::Base3 ? quantpack::getBase3(row, c)
                                         : quantpack::getCode(row, c, codeBits);
}

uint32_t QuantizedTensor::zeroAt(int64_t i) const
{
    return zeros.empty() ? 0u : quantpack::getCode(zeros.data(), i, codeBits);
}

void QuantizedTensor::dequantizeRowsReference(int64_t firstRow, int64_t nRows, float *out) const
{
    checkLayout();
    if (firstRow < 0 || nRows < 0 || firstRow > rows - nRows)
        throwIn(method, "rows [" + std::to_string(firstRow) + ", +" + std::to_string(nRows)
                            + ") are outside the tensor's " + std::to_string(rows) + " rows");
    const Kind kind = kindOf(params);
    const auto *rtn = std::get_if<RtnParams>(&params);
    const int half = 1 << (codeBits - 1);
    for (int64_t r = firstRow; r < firstRow + nRows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const int64_t i = groupSize == 0 ? 0 : (r * cols + c) / groupSize;
            const uint32_t u = codeAt(r, c);
            float v = 0.0f;
            switch (kind) {
            case Kind::Rtn:
                v = rtn->symmetric ? float(int(u) - half) * scaleAt(i)
                                   : float(int(u) - int(zeroAt(i))) * scaleAt(i);
                break;
            case Kind::Nf4: v = kNf4Levels[u] * scaleAt(i); break;
            case Kind::Fp8:
                v = (isE5M2(params) ? fp8E5M2ToFloat(uint8_t(u)) : fp8E4M3ToFloat(uint8_t(u)))
                    * scaleAt(i);
                break;
            case Kind::MxFp4: v = e2m1ToFloat(uint8_t(u)) * scaleAt(i); break;
            case Kind::NvFp4: v = e2m1ToFloat(uint8_t(u)) * (scaleAt(i) * tensorScale); break;
            case Kind::Ternary: v = float(int(u) - 1) * tensorScale; break;
            }
            out[(r - firstRow) * cols + c] = v;
        }
    }
}

void QuantizedTensor::dequantizeRows(int64_t firstRow, int64_t nRows, float *out) const
{
    checkLayout();
    if (firstRow < 0 || nRows < 0 || firstRow > rows - nRows)
        throwIn(method, "rows [" + std::to_string(firstRow) + ", +" + std::to_string(nRows)
                            + ") are outside the tensor's " + std::to_string(rows) + " rows");
    const Kind kind = kindOf(params);
    const auto *rtn = std::get_if<RtnParams>(&params);
    const bool base3 = packing == CodePacking::Base3;
    // A piece is a run of codes that starts on a byte boundary and shares one scale entry:
    // groups are 16..4096 weights (16 b bits is whole bytes), longer scopes are cut every 256
    // (255 for base-3, 5 trits a byte).
    const int64_t scope = groupSize > 0 ? groupSize : cols;
    const int64_t piece = base3 ? 255 : std::min<int64_t>(scope, 256);
    const int64_t rowBytes = rowCodeBytes();
    const auto &fp8 = fp8Table(isE5M2(params));
    std::array<uint8_t, 256> u{};
    std::array<float, 16> lut{};
    for (int64_t r = firstRow; r < firstRow + nRows; ++r) {
        const uint8_t *row = codes.data() + r * rowBytes;
        float *y = out + (r - firstRow) * cols;
        for (int64_t j0 = 0; j0 < cols; j0 += piece) {
            const int64_t n = std::min(piece, cols - j0);
            if (base3)
                quantpack::unpackBase3(row + j0 / 5, n, u.data());
            else
                quantpack::unpackCodes(row + j0 * codeBits / 8, n, codeBits, u.data());
            const int64_t i = groupSize == 0 ? 0 : (r * cols + j0) / groupSize;
            float *yp = y + j0;
            switch (kind) {
            case Kind::Rtn: {
                const float s = scaleAt(i);
                const int zero = rtn->symmetric ? 1 << (codeBits - 1) : int(zeroAt(i));
                for (int64_t j = 0; j < n; ++j)
                    yp[j] = float(int(u[j]) - zero) * s;
                break;
            }
            case Kind::Nf4: {
                const float s = scaleAt(i);
                for (int k = 0; k < 16; ++k)
                    lut[k] = kNf4Levels[k] * s;
                for (int64_t j = 0; j < n; ++j)
                    yp[j] = lut[u[j]];
                break;
            }
            case Kind::Fp8: {
                const float s = scaleAt(i);
                for (int64_t j = 0; j < n; ++j)
                    yp[j] = fp8[u[j]] * s;
                break;
            }
            case Kind::MxFp4:
            case Kind::NvFp4: {
                const float s = kind == Kind::MxFp4 ? scaleAt(i) : scaleAt(i) * tensorScale;
                for (int k = 0; k < 16; ++k)
                    lut[k] = e2m1ToFloat(uint8_t(k)) * s;
                for (int64_t j = 0; j < n; ++j)
                    yp[j] = lut[u[j]];
                break;
            }
            case Kind::Ternary: {
                for (int k = 0; k < 4; ++k)
                    lut[k] = float(k - 1) * tensorScale;
                for (int64_t j = 0; j < n; ++j)
                    yp[j] = lut[u[j] & 3u];
                break;
            }
            }
        }
    }
}

void QuantizedTensor::dequantizeRowsParallel(int64_t firstRow, int64_t nRows, float *out,
                                             const JobContext &job) const
{
    checkLayout();
    if (firstRow < 0 || nRows < 0 || firstRow > rows - nRows)
        throwIn(method, "rows [" + std::to_string(firstRow) + ", +" + std::to_string(nRows)
                            + ") are outside the tensor's " + std::to_string(rows) + " rows");
    tbb::task_group_context group;
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(firstRow, firstRow + nRows, quantdetail::rowGrain(cols)),
        [&](const tbb::blocked_range<int64_t> &range) {
            if (job.cancelled()) {
                group.cancel_group_execution();
                return;
            }
            dequantizeRows(range.begin(), range.size(), out + (range.begin() - firstRow) * cols);
        },
        group);
    job.checkCancelled();
}

void QuantizedTensor::dequantizeRowsParallel(int64_t firstRow, int64_t nRows, float *out) const
{
    dequantizeRowsParallel(firstRow, nRows, out, JobContext{});
}

std::vector<float> QuantizedTensor::dequantize(const JobContext &job) const
{
    checkLayout();
    std::vector<float> out(static_cast<size_t>(rows * cols));
    dequantizeRowsParallel(0, rows, out.data(), job);
    return out;
}

std::vector<float> QuantizedTensor::dequantize() const { return dequantize(JobContext{}); }

} // namespace cwb
