// SPDX-License-Identifier: MIT
#include "formats/q8_activations.h"

#include "formats/float_formats.h"
#include "util/error.h"
#include "util/round_even.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cwb {
namespace {

constexpr int64_t kQ8_0Block = 32;
constexpr int64_t kQ8_KBlock = 256;

void requireWholeBlocks(int64_t len, int64_t block, const char *what)
{
    if (len % block != 0)
        throw Error(std::string(what) + ": " + std::to_string(len)
                    + " values are not a whole number of " + std::to_string(block)
                    + "-value blocks");
}

} // namespace

ActivationRounding activationRoundingFor(DType weightType)
{
    switch (weightType) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q8_1: return ActivationRounding::Q8_0;
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K: return ActivationRounding::Q8_K;
    default: return ActivationRounding::None;
    }
}

void roundQ8_0Blocks(float *x, int64_t len)
{
    requireWholeBlocks(len, kQ8_0Block, "Q8_0 activation rounding");
    for (int64_t b = 0; b < len; b += kQ8_0Block) {
        float *v = x + b;
        float amax = 0;
        for (int64_t j = 0; j < kQ8_0Block; ++j)
            amax = std::max(amax, std::fabs(v[j]));
        const float d = fp16ToFloat(floatToFp16(amax / 127.f));
        const float id = amax != 0.f ? 127.f / amax : 0.f;
        for (int64_t j = 0; j < kQ8_0Block; ++j)
            v[j] = d * roundHalfEven(v[j] * id); // default FP environment: ties to even
    }
}

void roundQ8_KBlocks(float *x, int64_t len)
{
    requireWholeBlocks(len, kQ8_KBlock, "Q8_K activation rounding");
    for (int64_t b = 0; b < len; b += kQ8_KBlock) {
        float *v = x + b;
        float amax = 0, max = 0;
        for (int64_t j = 0; j < kQ8_KBlock; ++j)
            if (std::fabs(v[j]) > amax) {
                amax = std::fabs(v[j]);
                max = v[j];
            }
        if (amax == 0.f) {
            std::fill(v, v + kQ8_KBlock, 0.f);
            continue;
        }
        const float iscale = -127.f / max;
        const float d = 1.f / iscale;
        for (int64_t j = 0; j < kQ8_KBlock; ++j)
            v[j] = d * std::min(127.f, roundHalfEven(iscale * v[j]));
    }
}

namespace {

// One Q8_0 block as the AVX2 quantize_row_q8_1 (Q8_0 is the same without s): x * id rounded to
// nearest even, d and s stored as fp16.
void quantizeQ8_0Block(const float *v, int8_t *q, float &d, float &s, int16_t &sum)
{
    float amax = 0;
    for (int64_t j = 0; j < kQ8_0Block; ++j)
        amax = std::max(amax, std::fabs(v[j]));
    const float dExact = amax / 127.f;
    const float id = amax != 0.f ? 127.f / amax : 0.f;
    int32_t total = 0;
    for (int64_t j = 0; j < kQ8_0Block; ++j) {
        const float scaled = v[j] * id;
        const int qi = int(roundHalfEven(scaled));
        q[j] = int8_t(qi);
        total += qi;
    }
    d = fp16ToFloat(floatToFp16(dExact));
    s = fp16ToFloat(floatToFp16(dExact * float(total)));
    sum = int16_t(total);
}

// quantize_row_q8_K_ref, bsums per 16.
void quantizeQ8_KBlock(const float *v, int8_t *q, float &d, int16_t *bsums)
{
    float amax = 0, max = 0;
    for (int64_t j = 0; j < kQ8_KBlock; ++j)
        if (std::fabs(v[j]) > amax) {
            amax = std::fabs(v[j]);
            max = v[j];
        }
    if (amax == 0.f) {
        std::fill(q, q + kQ8_KBlock, int8_t(0));
        std::fill(bsums, bsums + kQ8_KBlock / 16, int16_t(0));
        d = 0;
        return;
    }
    const float iscale = -127.f / max;
    for (int64_t j = 0; j < kQ8_KBlock; ++j) {
        const float scaled = iscale * v[j];
        q[j] = int8_t(std::min(127, int(roundHalfEven(scaled))));
    }
    for (int64_t g = 0; g < kQ8_KBlock / 16; ++g) {
        int32_t sum = 0;
        for (int64_t j = 0; j < 16; ++j)
            sum += q[16 * g + j];
        bsums[g] = int16_t(sum);
    }
    d = 1.f / iscale;
}

} // namespace

void quantizeActivations(ActivationRounding kind, const float *x, int64_t rows, int64_t len,
                         Q8Activations &out)
{
    if (kind == ActivationRounding::None)
        throw Error("quantizeActivations: no activation type given");
    const bool k = kind == ActivationRounding::Q8_K;
    const int64_t block = k ? kQ8_KBlock : kQ8_0Block;
    requireWholeBlocks(len, block, k ? "Q8_K activations" : "Q8_0 activations");
    const int64_t blocks = rows * (len / block);
    out.kind = kind;
    out.rows = rows;
    out.len = len;
    out.qs.resize(size_t(rows * len));
    out.d.resize(size_t(blocks));
    out.s.resize(k ? 0 : size_t(blocks));
    out.sums.resize(size_t(k ? rows * len / 16 : blocks));
    for (int64_t b = 0; b < blocks; ++b) {
        if (k)
            quantizeQ8_KBlock(x + b * block, out.qs.data() + b * block, out.d[size_t(b)],
                              out.sums.data() + b * 16);
        else
            quantizeQ8_0Block(x + b * block, out.qs.data() + b * block, out.d[size_t(b)],
                              out.s[size_t(b)], out.sums[size_t(b)]);
    }
}

void roundActivations(ActivationRounding r, float *x, int64_t rows, int64_t len)
{
    for (int64_t i = 0; i < rows; ++i) {
        if (r == ActivationRounding::Q8_0)
            roundQ8_0Blocks(x + i * len, len);
        else if (r == ActivationRounding::Q8_K)
            roundQ8_KBlocks(x + i * len, len);
    }
}

} // namespace cwb
