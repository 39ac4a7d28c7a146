// SPDX-License-Identifier: MIT
#include "formats/q8_activations.h"

#include "formats/float_formats.h"
#include "util/error.h"

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
            v[j] = d * std::nearbyint(v[j] * id); // default FP environment: ties to even
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
            v[j] = d * std::min(127.f, std::nearbyint(iscale * v[j]));
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
