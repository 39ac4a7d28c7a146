// SPDX-License-Identifier: MIT
// K-quant 256-value ggml super-blocks (Q2_K Q3_K Q4_K Q5_K Q6_K), byte-exact with llama.cpp
// c392e509. Each fits sub-blocks first (make_qkx2/qkx3/q3/qx_quants), then quantizes the
// sub-block scales (and mins) to 4, 6 or 8 bits against one fp16 super-scale, then recomputes
// every level from the scales as stored, exactly as ggml does:
//   Q2_K  plain: make_qkx2_quants per 16 (weights |x|, absolute error), 4-bit scales/mins
//         weighted: make_qkx3_quants per 16, sigma2 = mean x^2; make_qp_quants for scales/mins
//   Q3_K  plain: make_q3_quants per 16; weighted: make_qx_quants per 16 (sigma2 = 2 mean x^2)
//         and for the 6-bit scales
//   Q4_K, Q5_K  plain: make_qkx2_quants per 32 (weights rms + |x|); weighted: make_qkx3_quants
//         per 32 (sigma2 = 2 mean x^2) and make_qp_quants for the 6-bit scales/mins
//   Q6_K  make_qx_quants per 16 (weights x^2, or the raw importance), 8-bit scales
// Compiled with -ffp-contract=off (core/CMakeLists.txt): every float expression keeps ggml's order.

#include "formats/ggml_quant_blocks.h"

#include <array>
#include <cmath>
#include <cstring>

namespace cwb::ggmlq {
namespace {

// Packs 2-bit levels as Q2_K/Q3_K do: byte l of each 32-byte half holds values l, l+32, l+64,
// l+96 of that 128-value half in bits 0-1, 2-3, 4-5, 6-7.
void pack2Bit(const uint8_t *levels, uint8_t *qs)
{
    for (int j = 0; j < kQkK; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 2)
                                                  | (levels[j + l + 64] << 4)
                                                  | (levels[j + l + 96] << 6));
}

// Q2_K (84 bytes): 16 sub-blocks of 16 with 4-bit scale and min; value = d*sc*q - dmin*m.
// Final levels are recomputed from the fp16 d/dmin and the 4-bit scales actually stored.
void q2KRequantize(const float *x, uint8_t *y, float d, float dmin, uint8_t *levels)
{
    const uint8_t *scales = y;
    for (int j = 0; j < 16; ++j) {
        const float ds = d * float(scales[j] & 0xF);
        if (ds == 0.0f)
            continue; // keep the search's levels, as ggml does
        const float dm = dmin * float(scales[j] >> 4);
        for (int ii = 0; ii < 16; ++ii) {
            const int l = nearestInt((x[16 * j + ii] + dm) / ds);
            levels[16 * j + ii] = static_cast<uint8_t>(ggmlMax(0, ggmlMin(3, l)));
        }
    }
    pack2Bit(levels, y + 16);
}

} // namespace

void q2KPlain(const float *x, uint8_t *y)
{
    std::array<uint8_t, kQkK> levels{};
    std::array<float, 16> weights{};
    std::array<float, 16> mins{};
    std::array<float, 16> scales{};
    float maxScale = 0; // scales and mins are >= 0 here: the min is subtracted
    float maxMin = 0;
    for (int j = 0; j < 16; ++j) {
        for (int l = 0; l < 16; ++l)
            weights[l] = std::fabs(x[16 * j + l]);
        scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights.data(), levels.data() + 16 * j,
                                   &mins[j], -0.5f, 0.1f, 15, true);
        if (scales[j] > maxScale)
            maxScale = scales[j];
        if (mins[j] > maxMin)
            maxMin = mins[j];
    }
    uint8_t *sc = y;
    float d = 0.f;
    if (maxScale > 0) {
        const float iscale = 15.f / maxScale;
        for (int j = 0; j < 16; ++j)
            sc[j] = static_cast<uint8_t>(nearestInt(iscale * scales[j]));
        d = putFp16(y + 80, maxScale / 15.f);
    } else {
        for (int j = 0; j < 16; ++j)
            sc[j] = 0;
        d = putFp16(y + 80, 0.f);
    }
    float dmin = 0.f;
    if (maxMin > 0) {
        const float iscale = 15.f / maxMin;
        for (int j = 0; j < 16; ++j)
            sc[j] = static_cast<uint8_t>(sc[j] | (nearestInt(iscale * mins[j]) << 4));
        dmin = putFp16(y + 82, maxMin / 15.f);
    } else {
        dmin = putFp16(y + 82, 0.f);
    }
    q2KRequantize(x, y, d, dmin, levels.data());
}

void q2KWeighted(const float *x, uint8_t *y, const float *imp)
{
    std::array<uint8_t, kQkK> levels{};
    std::array<float, 16> weights{};
    std::array<float, 16> mins{};
    std::array<float, 16> scales{};
    std::array<float, 16> groupWeight{};
    const float sigma2 = sumOfSquares(x, kQkK) / float(kQkK);
    for (int j = 0; j < 16; ++j) {
        importanceWeights(imp + 16 * j, x + 16 * j, sigma2, 16, weights.data());
        for (int l = 0; l < 16; ++l)
            groupWeight[j] += weights[l];
        scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weights.data(), levels.data() + 16 * j,
                                   &mins[j], -0.9f, 0.05f, 36);
    }
    std::array<uint8_t, 16> ls{};
    std::array<uint8_t, 16> lm{};
    const float dm = makeQpQuants(16, 15, scales.data(), ls.data(), groupWeight.data());
    const float mm = makeQpQuants(16, 15, mins.data(), lm.data(), groupWeight.data());
    const float d = putFp16(y + 80, dm);
    const float dmin = putFp16(y + 82, mm);
    for (int j = 0; j < 16; ++j)
        y[j] = static_cast<uint8_t>(ls[j] | (lm[j] << 4));
    q2KRequantize(x, y, d, dmin, levels.data());
}

namespace {

// Q3_K (110 bytes): hmask[32], qs[64], 12 bytes of 6-bit signed scales (+32), d.
// Scale s: low 4 bits in byte s (s < 8) or the high nibble of byte s-8; top 2 bits in byte
// 8 + s%4 at bit 2*(s/4).
void q3KStoreScale(uint8_t *scales, int j, int l)
{
    if (j < 8)
        scales[j] = static_cast<uint8_t>(l & 0xF);
    else
        scales[j - 8] = static_cast<uint8_t>(scales[j - 8] | ((l & 0xF) << 4));
    l >>= 4;
    scales[j % 4 + 8] = static_cast<uint8_t>(scales[j % 4 + 8] | (l << (2 * (j / 4))));
}

// Recomputes levels in [0, 7] from the stored scales, then splits off the high bit into hmask.
void q3KFinish(const float *x, uint8_t *y, float d, int8_t *levels)
{
    const uint8_t *scales = y + 96;
    for (int j = 0; j < 16; ++j) {
        int sc = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
        sc = static_cast<int8_t>((sc | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
        const float ds = d * float(sc);
        if (ds == 0.0f)
            continue;
        for (int ii = 0; ii < 16; ++ii) {
            const int l = nearestInt(x[16 * j + ii] / ds);
            levels[16 * j + ii] = static_cast<int8_t>(ggmlMax(-4, ggmlMin(3, l)) + 4);
        }
    }
    uint8_t *hmask = y;
    std::memset(hmask, 0, 32);
    // The high bit of value j goes to hmask[j % 32], bit j / 32.
    std::array<uint8_t, kQkK> low{};
    for (int j = 0; j < kQkK; ++j) {
        int l = levels[j];
        if (l > 3) {
            hmask[j % 32] = static_cast<uint8_t>(hmask[j % 32] | (1u << (j / 32)));
            l -= 4;
        }
        low[j] = static_cast<uint8_t>(l);
    }
    pack2Bit(low.data(), y + 32);
}

} // namespace

void q3KPlain(const float *x, uint8_t *y)
{
    std::array<int8_t, kQkK> levels{};
    std::array<float, 16> scales{};
    float maxScale = 0;
    float amax = 0;
    for (int j = 0; j < 16; ++j) {
        scales[j] = makeQ3Quants(16, 4, x + 16 * j, levels.data() + 16 * j);
        const float scale = std::fabs(scales[j]);
        if (scale > amax) {
            amax = scale;
            maxScale = scales[j];
        }
    }
    uint8_t *sc = y + 96;
    std::memset(sc, 0, 12);
    float d = 0.f;
    if (maxScale != 0.0f) {
        const float iscale = -32.f / maxScale;
        for (int j = 0; j < 16; ++j) {
            int l = static_cast<int8_t>(nearestInt(iscale * scales[j]));
            l = static_cast<int8_t>(ggmlMax(-32, ggmlMin(31, l)) + 32);
            q3KStoreScale(sc, j, l);
        }
        d = putFp16(y + 108, 1 / iscale);
    } else {
        d = putFp16(y + 108, 0.f);
    }
    q3KFinish(x, y, d, levels.data());
}

void q3KWeighted(const float *x, uint8_t *y, const float *imp)
{
    std::array<int8_t, kQkK> levels{};
    std::array<float, 16> scales{};
    std::array<float, 16> weights{};
    std::array<float, 16> groupWeight{};
    const float sigma2 = 2 * sumOfSquares(x, kQkK) / float(kQkK);
    for (int j = 0; j < 16; ++j) {
        importanceWeights(imp + 16 * j, x + 16 * j, sigma2, 16, weights.data());
        float sumW = 0;
        for (int l = 0; l < 16; ++l)
            sumW += weights[l];
        groupWeight[j] = sumW;
        scales[j] = makeQxQuants(16, 4, x + 16 * j, levels.data() + 16 * j, weights.data());
    }
    uint8_t *sc = y + 96;
    std::memset(sc, 0, 12);
    std::array<int8_t, 16> ls{};
    const float dBlock = makeQxQuants(16, 32, scales.data(), ls.data(), groupWeight.data());
    for (int j = 0; j < 16; ++j)
        q3KStoreScale(sc, j, ls[j]);
    const float d = putFp16(y + 108, dBlock);
    q3KFinish(x, y, d, levels.data());
}

namespace {

// Q4_K/Q5_K 12-byte scales: 8 pairs of 6-bit (scale, min). Pairs 0-3 sit in the low 6 bits of
// bytes 0-3 (scale) and 4-7 (min); pairs 4-7 keep their low nibbles in bytes 8-11 and their top
// 2 bits in the high bits of bytes 0-3 (scale) and 4-7 (min).
void packScaleMin(uint8_t *scales, int j, uint8_t ls, uint8_t lm)
{
    if (j < 4) {
        scales[j] = ls;
        scales[j + 4] = lm;
    } else {
        scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        scales[j - 4] = static_cast<uint8_t>(scales[j - 4] | ((ls >> 4) << 6));
        scales[j] = static_cast<uint8_t>(scales[j] | ((lm >> 4) << 6));
    }
}

void unpackScaleMin(const uint8_t *q, int j, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Levels in [0, nmax] recomputed from the stored fp16 d/dmin and 6-bit scale/min pairs.
void requantizeScaleMin(const float *x, const uint8_t *scales, float d, float dmin, int nmax,
                        uint8_t *levels)
{
    for (int j = 0; j < 8; ++j) {
        uint8_t sc = 0;
        uint8_t m = 0;
        unpackScaleMin(scales, j, &sc, &m);
        const float ds = d * float(sc);
        if (ds == 0.0f)
            continue;
        const float dm = dmin * float(m);
        for (int ii = 0; ii < 32; ++ii) {
            const int l = nearestInt((x[32 * j + ii] + dm) / ds);
            levels[32 * j + ii] = static_cast<uint8_t>(ggmlMax(0, ggmlMin(nmax, l)));
        }
    }
}

// Reference search of Q4_K/Q5_K: per 32 values a make_qkx2_quants fit weighted by
// rms + |x|, then 6-bit scales and mins relative to the largest of each.
void scaleMinPlain(const float *x, uint8_t *y, int nmax, float rmin, float rdelta, int nstep,
                   uint8_t *levels)
{
    std::array<float, 32> weights{};
    std::array<float, 8> mins{};
    std::array<float, 8> scales{};
    float maxScale = 0;
    float maxMin = 0;
    for (int j = 0; j < 8; ++j) {
        float sumX2 = 0;
        for (int l = 0; l < 32; ++l)
            sumX2 += x[32 * j + l] * x[32 * j + l];
        const float avX = std::sqrt(sumX2 / 32.0f);
        for (int l = 0; l < 32; ++l)
            weights[l] = avX + std::fabs(x[32 * j + l]);
        scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights.data(), levels + 32 * j,
                                   &mins[j], rmin, rdelta, nstep, false);
        if (scales[j] > maxScale)
            maxScale = scales[j];
        if (mins[j] > maxMin)
            maxMin = mins[j];
    }
    const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
    const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t *sc = y + 4;
    for (int j = 0; j < 8; ++j) {
        const auto ls = static_cast<uint8_t>(nearestInt(invScale * scales[j]));
        const auto lm = static_cast<uint8_t>(nearestInt(invMin * mins[j]));
        packScaleMin(sc, j, ggmlMin<uint8_t>(63, ls), ggmlMin<uint8_t>(63, lm));
    }
    const float d = putFp16(y, maxScale / 63.f);
    const float dmin = putFp16(y + 2, maxMin / 63.f);
    requantizeScaleMin(x, sc, d, dmin, nmax, levels);
}

// Importance search of Q4_K/Q5_K: make_qkx3_quants per 32, make_qp_quants for the 6-bit
// scales and mins. Q5_K clamps the packed levels to 63, Q4_K does not (as in ggml).
void scaleMinWeighted(const float *x, uint8_t *y, const float *imp, int nmax, bool clampLevels,
                      uint8_t *levels)
{
    std::array<float, 32> weights{};
    std::array<float, 8> mins{};
    std::array<float, 8> scales{};
    std::array<float, 8> groupWeight{};
    const float sigma2 = 2 * sumOfSquares(x, kQkK) / float(kQkK);
    for (int j = 0; j < 8; ++j) {
        importanceWeights(imp + 32 * j, x + 32 * j, sigma2, 32, weights.data());
        float sumW = 0;
        for (int l = 0; l < 32; ++l)
            sumW += weights[l];
        groupWeight[j] = sumW;
        scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights.data(), levels + 32 * j,
                                   &mins[j], -0.9f, 0.05f, 36);
    }
    std::array<uint8_t, 8> ls{};
    std::array<uint8_t, 8> lm{};
    const float dBlock = makeQpQuants(8, 63, scales.data(), ls.data(), groupWeight.data());
    const float mBlock = makeQpQuants(8, 63, mins.data(), lm.data(), groupWeight.data());
    uint8_t *sc = y + 4;
    for (int j = 0; j < 8; ++j) {
        const uint8_t s = clampLevels ? ggmlMin<uint8_t>(63, ls[j]) : ls[j];
        const uint8_t m = clampLevels ? ggmlMin<uint8_t>(63, lm[j]) : lm[j];
        packScaleMin(sc, j, s, m);
    }
    const float d = putFp16(y, dBlock);
    const float dmin = putFp16(y + 2, mBlock);
    requantizeScaleMin(x, sc, d, dmin, nmax, levels);
}

// Q4_K (144 bytes): d, dmin, scales[12], qs[128]: per 64 values, 32 bytes of low nibbles
// (values 0-31) and high nibbles (values 32-63).
void q4KStore(const uint8_t *levels, uint8_t *y)
{
    uint8_t *q = y + 16;
    for (int j = 0; j < kQkK; j += 64) {
        for (int l = 0; l < 32; ++l)
            q[l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 4));
        q += 32;
    }
}

} // namespace

void q4KPlain(const float *x, uint8_t *y)
{
    std::array<uint8_t, kQkK> levels{};
    scaleMinPlain(x, y, 15, -1.f, 0.1f, 20, levels.data());
    q4KStore(levels.data(), y);
}

void q4KWeighted(const float *x, uint8_t *y, const float *imp)
{
    std::array<uint8_t, kQkK> levels{};
    scaleMinWeighted(x, y, imp, 15, false, levels.data());
    q4KStore(levels.data(), y);
}

namespace {

// Q5_K (176 bytes): as Q4_K plus qh[32]: the 5th bit of value 64p + l is bit 2p of qh[l] and of
// value 64p + 32 + l bit 2p + 1.
void q5KStore(const uint8_t *levels, uint8_t *y)
{
    uint8_t *qh = y + 16;
    uint8_t *ql = y + 48;
    std::memset(qh, 0, 32);
    unsigned m1 = 1;
    unsigned m2 = 2;
    for (int n = 0; n < kQkK; n += 64) {
        for (int j = 0; j < 32; ++j) {
            int l1 = levels[n + j];
            if (l1 > 15) {
                l1 -= 16;
                qh[j] = static_cast<uint8_t>(qh[j] | m1);
            }
            int l2 = levels[n + j + 32];
            if (l2 > 15) {
                l2 -= 16;
                qh[j] = static_cast<uint8_t>(qh[j] | m2);
            }
            ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
        }
        m1 <<= 2;
        m2 <<= 2;
        ql += 32;
    }
}

} // namespace

void q5KPlain(const float *x, uint8_t *y)
{
    std::array<uint8_t, kQkK> levels{};
    scaleMinPlain(x, y, 31, -0.5f, 0.1f, 15, levels.data());
    q5KStore(levels.data(), y);
}

void q5KWeighted(const float *x, uint8_t *y, const float *imp)
{
    std::array<uint8_t, kQkK> levels{};
    scaleMinWeighted(x, y, imp, 31, true, levels.data());
    q5KStore(levels.data(), y);
}

namespace {

// Q6_K (210 bytes): ql[128], qh[64], 16 int8 scales, d; value = d * sc * (q - 32).
// Sub-block fits come from make_qx_quants (weights x^2, or the raw importance when given).
void q6KBlock(const float *x, uint8_t *y, const float *imp)
{
    std::array<int8_t, kQkK> levels{};
    std::array<float, 16> scales{};
    float maxScale = 0;
    float maxAbsScale = 0;
    for (int ib = 0; ib < 16; ++ib) {
        const float *w = imp ? imp + 16 * ib : nullptr;
        scales[ib] = makeQxQuants(16, 32, x + 16 * ib, levels.data() + 16 * ib, w);
        const float absScale = std::fabs(scales[ib]);
        if (absScale > maxAbsScale) {
            maxAbsScale = absScale;
            maxScale = scales[ib];
        }
    }
    if (maxAbsScale < kGroupMaxEps) { // all-zero block: zero bytes, d = +0
        std::memset(y, 0, 210);
        putFp16(y + 208, 0.f);
        return;
    }
    const float iscale = -128.f / maxScale;
    const float d = putFp16(y + 208, 1 / iscale);
    auto *sc = reinterpret_cast<int8_t *>(y + 192);
    for (int ib = 0; ib < 16; ++ib)
        sc[ib] = static_cast<int8_t>(ggmlMin(127, nearestInt(iscale * scales[ib])));
    for (int j = 0; j < 16; ++j) {
        const float ds = d * float(sc[j]);
        if (ds == 0.0f)
            continue;
        for (int ii = 0; ii < 16; ++ii) {
            const int l = nearestInt(x[16 * j + ii] / ds);
            levels[16 * j + ii] = static_cast<int8_t>(ggmlMax(-32, ggmlMin(31, l)) + 32);
        }
    }
    // Per 128 values: ql[0..63] low nibbles (values l and l+64 share byte l, l+32 and l+96
    // share byte l+32), qh[0..31] the top 2 bits of values l, l+32, l+64, l+96.
    uint8_t *ql = y;
    uint8_t *qh = y + 128;
    for (int j = 0; j < kQkK; j += 128) {
        for (int l = 0; l < 32; ++l) {
            const int v0 = levels[j + l];
            const int v1 = levels[j + l + 32];
            const int v2 = levels[j + l + 64];
            const int v3 = levels[j + l + 96];
            ql[l] = static_cast<uint8_t>((v0 & 0xF) | ((v2 & 0xF) << 4));
            ql[l + 32] = static_cast<uint8_t>((v1 & 0xF) | ((v3 & 0xF) << 4));
            qh[l] = static_cast<uint8_t>((v0 >> 4) | ((v1 >> 4) << 2) | ((v2 >> 4) << 4)
                                         | ((v3 >> 4) << 6));
        }
        ql += 64;
        qh += 32;
    }
}

} // namespace

void q6KPlain(const float *x, uint8_t *y) { q6KBlock(x, y, nullptr); }

void q6KWeighted(const float *x, uint8_t *y, const float *imp) { q6KBlock(x, y, imp); }

} // namespace cwb::ggmlq
