// SPDX-License-Identifier: MIT
// fp8_e4m3 / fp8_e5m2 weights with an fp32 scale per tensor or per output channel:
// scale = amax / fp8 max (1 for an all-zero scope), code = saturating RNE cast of w / scale,
// the recipe of ModelOpt's and llm-compressor's FP8 weight quantization.

#include "compress/quant_methods.h"
#include "formats/float_formats.h"
#include "formats/quant_common.h"
#include "formats/quant_simd.h"
#include "jobs/job_context.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

namespace cwb {
namespace {

float fp8Max(Fp8Format f) { return f == Fp8Format::E5M2 ? 57344.0f : 448.0f; }

float scaleFor(float amax, Fp8Format f) { return amax > 0.0f ? amax / fp8Max(f) : 1.0f; }

void storeF32(QuantizedTensor &q, int64_t i, float v)
{
    const uint32_t u = std::bit_cast<uint32_t>(v);
    for (int b = 0; b < 4; ++b)
        q.scales[size_t(4 * i + b)] = uint8_t(u >> (8 * b));
}

void encodeRun(const float *x, int64_t n, float s, Fp8Format f, uint8_t *out)
{
    quantsimd::activeTable().fp8Codes(x, n, s, f == Fp8Format::E5M2, out);
}

} // namespace

QuantizedTensor quantizeFp8Reference(const float *w, int64_t rows, int64_t cols, const Fp8Params &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    const std::string method = methodName(p);
    quantdetail::requireFinite(method, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    const bool perTensor = p.granularity == Granularity::PerTensor;
    const int64_t len = perTensor ? rows * cols : cols;
    for (int64_t i = 0; i < q.scaleCount(); ++i) {
        const float *x = w + i * len;
        float amax = 0.0f;
        for (int64_t j = 0; j < len; ++j)
            amax = std::max(amax, std::fabs(x[j]));
        const float s = scaleFor(amax, p.format);
        storeF32(q, i, s);
        for (int64_t j = 0; j < len; ++j)
            q.codes[size_t(i * len + j)] = p.format == Fp8Format::E5M2 ? floatToFp8E5M2(x[j] / s)
                                                                       : floatToFp8E4M3(x[j] / s);
    }
    return q;
}

QuantizedTensor quantizeFp8(const float *w, int64_t rows, int64_t cols, const Fp8Params &p,
                            const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    const std::string method = methodName(p);
    QuantizedTensor q = quantdetail::makeLayoutToOverwrite(p, rows, cols);
    const bool perTensor = p.granularity == Granularity::PerTensor;
    float tensorScale = 1.0f;
    if (perTensor) {
        tensorScale = scaleFor(quantdetail::tensorAbsMax(method, w, rows, cols), p.format);
        storeF32(q, 0, tensorScale);
    }
    quantdetail::forRowBlocks(method, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        for (int64_t r = r0; r < r1; ++r) {
            const float *x = w + r * cols;
            float s = tensorScale;
            if (!perTensor) {
                const float amax = quantsimd::activeTable().absMax(x, cols);
                if (!std::isfinite(amax)) // a NaN or infinity in the row: name the first one
                    return quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
                s = scaleFor(amax, p.format);
                storeF32(q, r, s);
            }
            encodeRun(x, cols, s, p.format, q.codes.data() + r * cols);
        }
        return -1;
    });
    return q;
}

} // namespace cwb
