// SPDX-License-Identifier: MIT
// The two FP4 (E2M1) block formats.
// mxfp4 (the OCP MX v1.0 conversion): per block of 32, X = 2^(floor(log2(amax)) - emax_elem)
// with emax_elem = 2 (E2M1's largest binade), stored as an E8M0 byte (exponent + 127, clamped to
// -127..127; an all-zero block stores 0), elements = e2m1(w / X) rounded half to even and
// saturating at 6. MxScaleRule::NoClip raises X one binade when amax / X would exceed 6.
// nvfp4 (ModelOpt NVFP4QTensor): g = amax / (6 * 448) per tensor, block scale
// sb = fp8_e4m3(block amax / (6 g)) per 16 (a zero block scale becomes 1, as ModelOpt does),
// elements = e2m1(w / (sb g)). A block whose fp8 scale rounds to 0 keeps all-zero codes.

#include "compress/quant_methods.h"
#include "formats/float_formats.h"
#include "formats/quant_common.h"
#include "formats/quant_grids.h"
#include "formats/quant_packing.h"
#include "jobs/job_context.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

namespace cwb {
namespace {

constexpr int64_t kMxBlock = 32;
constexpr int64_t kNvBlock = 16;

int mxSharedExponent(float amax, MxScaleRule rule)
{
    if (!(amax > 0.0f))
        return -127;
    int e = 0;
    std::frexp(amax, &e); // amax = m 2^e with m in [0.5, 1): floor(log2(amax)) = e - 1
    int shared = (e - 1) - 2;
    if (rule == MxScaleRule::NoClip && amax > std::ldexp(6.0f, shared))
        ++shared;
    return std::clamp(shared, -127, 127);
}

// What a block's amax decides: the stored scale byte, and what elements are multiplied (mxfp4)
// or divided (nvfp4) by before rounding to E2M1.
struct BlockScale {
    uint8_t byte = 0;
    float factor = 0.0f;
};

BlockScale mxScale(float amax, MxScaleRule rule)
{
    const int shared = mxSharedExponent(amax, rule);
    return {uint8_t(shared + 127), std::ldexp(1.0f, -shared)}; // exact: 2^-126 .. 2^127
}

struct NvGlobal {
    float g = 1.0f;    // weights_scaling_factor_2
    float sixG = 6.0f; // 6 g, the divisor of a block amax
};

NvGlobal nvGlobal(float amax)
{
    NvGlobal n;
    n.g = amax / (6.0f * 448.0f);
    if (!(n.g > 0.0f))
        n.g = 1.0f;
    n.sixG = 6.0f * n.g;
    return n;
}

// factor = the element divisor sb * g; 0 when the fp8 block scale rounded to 0.
BlockScale nvScale(float blockAmax, const NvGlobal &n)
{
    float bs = blockAmax / n.sixG;
    if (bs == 0.0f)
        bs = 1.0f;
    const uint8_t sb = floatToFp8E4M3(bs);
    return {sb, fp8E4M3ToFloat(sb) * n.g};
}

uint8_t mxCode(float x, float factor) { return floatToE2M1(x * factor); }
uint8_t nvCode(float x, float divisor) { return divisor > 0.0f ? floatToE2M1(x / divisor) : 0; }

float blockAbsMaxReference(const float *x, int64_t n)
{
    float m = 0.0f;
    for (int64_t j = 0; j < n; ++j)
        m = std::max(m, std::fabs(x[j]));
    return m;
}

// The references: one block at a time in tensor order, codes put one by one.
template <class ScaleFn, class CodeFn>
void fp4Reference(const float *w, int64_t cols, int64_t block, QuantizedTensor &q, ScaleFn scaleOf,
                  CodeFn codeOf)
{
    const int64_t rowBytes = q.rowCodeBytes();
    for (int64_t i = 0; i < q.scaleCount(); ++i) {
        const float *x = w + i * block;
        const BlockScale s = scaleOf(blockAbsMaxReference(x, block));
        q.scales[size_t(i)] = s.byte;
        for (int64_t j = 0; j < block; ++j) {
            const int64_t flat = i * block + j;
            quantpack::putCode(q.codes.data() + (flat / cols) * rowBytes, flat % cols, 4,
                               codeOf(x[j], s.factor));
        }
    }
}

// The fast element loops run over a whole row with the block factor spread per element (one
// long loop of value operations vectorizes far better than 16 or 32 at a time).
void mxElements(const float *x, const float *factor, int64_t n, uint8_t *u)
{
    for (int64_t j = 0; j < n; ++j)
        u[j] = floatToE2M1(x[j] * factor[j]);
}

void nvElements(const float *x, const float *divisor, int64_t n, uint8_t *u)
{
    for (int64_t j = 0; j < n; ++j)
        u[j] = divisor[j] > 0.0f ? floatToE2M1(x[j] / divisor[j]) : uint8_t(0);
}

// The fast paths: row blocks in parallel, a row's codes gathered in `u`, then packed.
template <int64_t Block, class ScaleFn, class ElementsFn>
void fp4Rows(std::string_view method, const float *w, int64_t rows, int64_t cols,
             QuantizedTensor &q, const JobContext &job, bool checkFinite, ScaleFn scaleOf,
             ElementsFn elements)
{
    const int64_t perRow = cols / Block;
    const int64_t rowBytes = q.rowCodeBytes();
    quantdetail::forRowBlocks(method, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        if (checkFinite) {
            const int64_t bad = quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
            if (bad >= 0)
                return bad;
        }
        std::vector<uint8_t> u(static_cast<size_t>(cols));
        std::vector<float> factor(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            const float *x = w + r * cols;
            for (int64_t b = 0; b < perRow; ++b) {
                const BlockScale s = scaleOf(quantdetail::absMax(x + b * Block, Block));
                q.scales[size_t(r * perRow + b)] = s.byte;
                std::fill_n(factor.begin() + b * Block, Block, s.factor);
            }
            elements(x, factor.data(), cols, u.data());
            quantpack::packCodes(u.data(), cols, 4, q.codes.data() + r * rowBytes);
        }
        return -1;
    });
}

} // namespace

QuantizedTensor quantizeMxFp4Reference(const float *w, int64_t rows, int64_t cols,
                                       const MxFp4Params &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    quantdetail::requireFinite("mxfp4", w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    fp4Reference(
        w, cols, kMxBlock, q, [&](float amax) { return mxScale(amax, p.scaleRule); }, mxCode);
    return q;
}

QuantizedTensor quantizeMxFp4(const float *w, int64_t rows, int64_t cols, const MxFp4Params &p,
                              const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    fp4Rows<kMxBlock>(
        "mxfp4", w, rows, cols, q, job, true,
        [&](float amax) { return mxScale(amax, p.scaleRule); }, mxElements);
    return q;
}

QuantizedTensor quantizeNvFp4Reference(const float *w, int64_t rows, int64_t cols,
                                       const NvFp4Params &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    quantdetail::requireFinite("nvfp4", w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    float amax = p.globalAmax;
    if (amax == 0.0f)
        amax = blockAbsMaxReference(w, rows * cols);
    const NvGlobal n = nvGlobal(amax);
    q.tensorScale = n.g;
    fp4Reference(
        w, cols, kNvBlock, q, [&](float bamax) { return nvScale(bamax, n); }, nvCode);
    return q;
}

QuantizedTensor quantizeNvFp4(const float *w, int64_t rows, int64_t cols, const NvFp4Params &p,
                              const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    // The global amax pass also checks finiteness; with a given globalAmax the rows do it.
    const bool ownAmax = p.globalAmax == 0.0f;
    const NvGlobal n =
        nvGlobal(ownAmax ? quantdetail::tensorAbsMax("nvfp4", w, rows, cols) : p.globalAmax);
    q.tensorScale = n.g;
    fp4Rows<kNvBlock>(
        "nvfp4", w, rows, cols, q, job, !ownAmax, [&](float bamax) { return nvScale(bamax, n); },
        nvElements);
    return q;
}

} // namespace cwb
