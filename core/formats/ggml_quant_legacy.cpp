// SPDX-License-Identifier: MIT
// Legacy 32-value ggml blocks (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0), byte-exact with llama.cpp c392e509:
//   Plain      quantize_row_<type>_ref: scale from the block's extreme value (Q4_0/Q5_0/Q8_0) or
//              its min/max (Q4_1/Q5_1), levels by truncating x/d + 0.5 offsets.
//   Weighted   quantize_row_<type>_impl: weights imp * sqrt(sigma2 + x^2) with sigma2 the row's
//              mean x^2; make_qx_quants (Q4_0/Q5_0) or make_qkx3_quants (Q4_1/Q5_1).
// Compiled with -ffp-contract=off (core/CMakeLists.txt): every float expression keeps ggml's order.

#include "formats/ggml_quant_blocks.h"

#include <array>
#include <cfloat>
#include <cmath>

namespace cwb::ggmlq {
namespace {

// The 5th bits of 32 five-bit levels as Q5_0/Q5_1 store them: bit j belongs to value j.
uint32_t highBits5(const uint8_t *levels)
{
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        qh |= ((levels[j] & 0x10u) >> 4) << j;
        qh |= ((levels[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    return qh;
}

// Value with the largest magnitude (the first on ties), kept with its sign.
float signedMax(const float *x)
{
    float amax = 0;
    float max = 0;
    for (int j = 0; j < kQk; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

void minMax(const float *x, float *min, float *max)
{
    *min = FLT_MAX;
    *max = -FLT_MAX;
    for (int j = 0; j < kQk; ++j) {
        if (x[j] < *min)
            *min = x[j];
        if (x[j] > *max)
            *max = x[j];
    }
}

} // namespace

// Q4_0 (18 bytes): d, 16 bytes of nibbles; value = d * (q - 8). The extreme value maps to -8.
void q4_0Plain(const float *x, uint8_t *y)
{
    const float d = signedMax(x) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    putFp16(y, d);
    for (int j = 0; j < 16; ++j) {
        const int q0 = ggmlMin(15, toInt8(x[j] * id + 8.5f));
        const int q1 = ggmlMin(15, toInt8(x[j + 16] * id + 8.5f));
        y[2 + j] = static_cast<uint8_t>(static_cast<uint8_t>(q0) | (static_cast<uint8_t>(q1) << 4));
    }
}

void q4_0Weighted(const float *x, uint8_t *y, const float *imp, float sigma2)
{
    std::array<float, kQk> w{};
    std::array<int8_t, kQk> levels{};
    importanceWeights(imp, x, sigma2, kQk, w.data());
    putFp16(y, makeQxQuants(kQk, 8, x, levels.data(), w.data()));
    for (int j = 0; j < 16; ++j)
        y[2 + j] = static_cast<uint8_t>(levels[j] | (levels[j + 16] << 4));
}

// Q4_1 (20 bytes): d, m, nibbles; value = d * q + m with m the block minimum.
void q4_1Plain(const float *x, uint8_t *y)
{
    float min = 0;
    float max = 0;
    minMax(x, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    putFp16(y, d);
    putFp16(y + 2, min);
    for (int j = 0; j < 16; ++j) {
        const int q0 = ggmlMin(15, toInt8((x[j] - min) * id + 0.5f));
        const int q1 = ggmlMin(15, toInt8((x[j + 16] - min) * id + 0.5f));
        y[4 + j] = static_cast<uint8_t>(static_cast<uint8_t>(q0) | (static_cast<uint8_t>(q1) << 4));
    }
}

void q4_1Weighted(const float *x, uint8_t *y, const float *imp, float sigma2)
{
    std::array<float, kQk> w{};
    std::array<uint8_t, kQk> levels{};
    importanceWeights(imp, x, sigma2, kQk, w.data());
    float negMin = 0;
    const float d = makeQkx3Quants(kQk, 15, x, w.data(), levels.data(), &negMin, -0.9f, 0.05f, 36);
    putFp16(y, d);
    putFp16(y + 2, -negMin);
    for (int j = 0; j < 16; ++j)
        y[4 + j] = static_cast<uint8_t>(levels[j] | (levels[j + 16] << 4));
}

namespace {

// Q5_0 (22 bytes): d, qh (5th bits), nibbles; value = d * (q - 16).
void q5_0Store(uint8_t *y, const uint8_t *levels)
{
    putU32(y + 2, highBits5(levels));
    for (int j = 0; j < 16; ++j)
        y[6 + j] = static_cast<uint8_t>((levels[j] & 0x0F) | ((levels[j + 16] & 0x0F) << 4));
}

} // namespace

void q5_0Plain(const float *x, uint8_t *y)
{
    const float d = signedMax(x) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    putFp16(y, d);
    std::array<uint8_t, kQk> levels{};
    for (int j = 0; j < kQk; ++j)
        levels[j] = static_cast<uint8_t>(ggmlMin(31, toInt8(x[j] * id + 16.5f)));
    q5_0Store(y, levels.data());
}

void q5_0Weighted(const float *x, uint8_t *y, const float *imp, float sigma2)
{
    std::array<float, kQk> w{};
    std::array<int8_t, kQk> signedLevels{};
    importanceWeights(imp, x, sigma2, kQk, w.data());
    putFp16(y, makeQxQuants(kQk, 16, x, signedLevels.data(), w.data()));
    std::array<uint8_t, kQk> levels{};
    for (int j = 0; j < kQk; ++j)
        levels[j] = static_cast<uint8_t>(signedLevels[j]);
    q5_0Store(y, levels.data());
}

namespace {

// Q5_1 (24 bytes): d, m, qh, nibbles; value = d * q + m.
void q5_1Store(uint8_t *y, const uint8_t *levels)
{
    putU32(y + 4, highBits5(levels));
    for (int j = 0; j < 16; ++j)
        y[8 + j] = static_cast<uint8_t>((levels[j] & 0x0F) | ((levels[j + 16] & 0x0F) << 4));
}

} // namespace

void q5_1Plain(const float *x, uint8_t *y)
{
    float min = 0;
    float max = 0;
    minMax(x, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    putFp16(y, d);
    putFp16(y + 2, min);
    std::array<uint8_t, kQk> levels{};
    for (int j = 0; j < kQk; ++j)
        levels[j] = static_cast<uint8_t>(toUint8((x[j] - min) * id + 0.5f));
    q5_1Store(y, levels.data());
}

void q5_1Weighted(const float *x, uint8_t *y, const float *imp, float sigma2)
{
    std::array<float, kQk> w{};
    std::array<uint8_t, kQk> levels{};
    importanceWeights(imp, x, sigma2, kQk, w.data());
    float negMin = 0;
    const float d = makeQkx3Quants(kQk, 31, x, w.data(), levels.data(), &negMin, -0.9f, 0.05f, 36);
    putFp16(y, d);
    putFp16(y + 2, -negMin);
    q5_1Store(y, levels.data());
}

// Q8_0 (34 bytes): d, 32 int8; value = d * q, d = absmax / 127.
void q8_0Plain(const float *x, uint8_t *y)
{
    float amax = 0;
    for (int j = 0; j < kQk; ++j)
        amax = ggmlMax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    putFp16(y, d);
    for (int j = 0; j < kQk; ++j)
        y[2 + j] = static_cast<uint8_t>(toInt8(std::round(x[j] * id)));
}

} // namespace cwb::ggmlq
