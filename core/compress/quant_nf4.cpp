// SPDX-License-Identifier: MIT
// nf4: QLoRA's NormalFloat-4 with block absmax scaling, and optional double quantization of the
// block absmax values (QLoRA section 3: minus their mean, 8-bit dynamic map, blocks of 256).
// The normalized weight is x * (1 / absmax), as bitsandbytes' kQuantizeBlockwise computes it;
// its code is the number of level midpoints strictly below it. Codes always use the exact fp32
// absmax, and double quantization then compresses the absmax values on their own, as
// bitsandbytes' quantize_4bit(compress_statistics=True) does.

#include "compress/quant_methods.h"
#include "formats/quant_common.h"
#include "formats/quant_grids.h"
#include "formats/quant_packing.h"
#include "formats/quant_simd.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "nf4";

float inverse(float absmax) { return absmax > 0.0f ? 1.0f / absmax : 0.0f; }

void storeF32(std::vector<uint8_t> &out, int64_t i, float v)
{
    const uint32_t u = std::bit_cast<uint32_t>(v);
    for (int b = 0; b < 4; ++b)
        out[size_t(4 * i + b)] = uint8_t(u >> (8 * b));
}

// The mean the scales are centred on: fp32 absmax values summed in double, in block order.
float meanOf(const std::vector<float> &absmax)
{
    double sum = 0.0;
    for (const float a : absmax)
        sum += a;
    return float(sum / double(absmax.size()));
}

// Double quantization. `indexOf(v)` is the dynamic-map index of v in [-1, 1]: the reference
// counts thresholds one by one, the fast path binary-searches them (same answer: sorted).
template <class IndexOf>
void doubleQuantize(const std::vector<float> &absmax, QuantizedTensor &q, IndexOf indexOf)
{
    q.scaleOffset = meanOf(absmax);
    const int64_t n = int64_t(absmax.size());
    const int zeroIndex = dynamicMap8ZeroIndex();
    for (int64_t g0 = 0; g0 < n; g0 += q.dqBlockSize) {
        const int64_t g1 = std::min(n, g0 + q.dqBlockSize);
        float a2 = 0.0f;
        for (int64_t i = g0; i < g1; ++i)
            a2 = std::max(a2, std::fabs(absmax[size_t(i)] - q.scaleOffset));
        q.secondScales[size_t(g0 / q.dqBlockSize)] = a2;
        for (int64_t i = g0; i < g1; ++i)
            q.scales[size_t(i)] = uint8_t(
                a2 > 0.0f ? indexOf((absmax[size_t(i)] - q.scaleOffset) / a2) : zeroIndex);
    }
}

void storeScales(const std::vector<float> &absmax, QuantizedTensor &q, bool reference)
{
    if (q.scaleType == ScaleType::F32) {
        for (size_t i = 0; i < absmax.size(); ++i)
            storeF32(q.scales, int64_t(i), absmax[i]);
        return;
    }
    const auto &t = dynamicMap8Thresholds();
    if (reference)
        doubleQuantize(absmax, q, [&](float v) {
            int c = 0;
            for (const float th : t)
                c += v > th ? 1 : 0;
            return c;
        });
    else
        doubleQuantize(absmax, q, [&](float v) {
            return int(std::lower_bound(t.begin(), t.end(), v) - t.begin());
        });
}

} // namespace

QuantizedTensor quantizeNf4Reference(const float *w, int64_t rows, int64_t cols, const Nf4Params &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    quantdetail::requireFinite(kMethod, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    const auto &t = nf4Thresholds();
    const int64_t block = p.blockSize;
    const int64_t rowBytes = q.rowCodeBytes();
    std::vector<float> absmax(static_cast<size_t>(q.scaleCount()));
    for (int64_t i = 0; i < q.scaleCount(); ++i) {
        const float *x = w + i * block;
        float am = 0.0f;
        for (int64_t j = 0; j < block; ++j)
            am = std::max(am, std::fabs(x[j]));
        absmax[size_t(i)] = am;
        const float inv = inverse(am);
        for (int64_t j = 0; j < block; ++j) {
            const float xn = x[j] * inv;
            uint32_t code = 0;
            for (const float th : t)
                code += xn > th ? 1u : 0u;
            const int64_t flat = i * block + j;
            quantpack::putCode(q.codes.data() + (flat / cols) * rowBytes, flat % cols, 4, code);
        }
    }
    storeScales(absmax, q, true);
    return q;
}

QuantizedTensor quantizeNf4(const float *w, int64_t rows, int64_t cols, const Nf4Params &p,
                            const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayoutToOverwrite(p, rows, cols);
    const int64_t block = p.blockSize;
    const int64_t perRow = cols / block;
    const int64_t rowBytes = q.rowCodeBytes();
    std::vector<float> absmax(static_cast<size_t>(q.scaleCount()));
    quantdetail::forRowBlocks(kMethod, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        const quantsimd::Table &k = quantsimd::activeTable();
        for (int64_t r = r0; r < r1; ++r)
            if (!k.nf4RowCodes(w + r * cols, perRow, block, nf4Thresholds().data(),
                               absmax.data() + r * perRow, q.codes.data() + r * rowBytes))
                return quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
        return -1;
    });
    storeScales(absmax, q, false);
    return q;
}

} // namespace cwb
