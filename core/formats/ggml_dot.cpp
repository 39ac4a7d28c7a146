// SPDX-License-Identifier: MIT
// Block layouts are documented in formats/ggml_dequant.cpp. Every kernel keeps 16 float lanes:
// `s` collects one scale's quants times x, `acc` the scaled block sums.

#include "formats/ggml_dot.h"

#include "formats/float_formats.h"
#include "formats/ggml_blocks.h"
#include "util/error.h"

#include <cstring>
#include <string>

namespace cwb {
namespace {

using namespace ggmlblocks;
// GCC/Clang vector extensions: 16 lanes, lowered to one AVX-512 register, two AVX2 registers or
// scalar code, whatever the target has.
using F16 = float __attribute__((vector_size(64)));
using I16 = int32_t __attribute__((vector_size(64)));
using U16 = uint32_t __attribute__((vector_size(64)));
using U8 = uint8_t __attribute__((vector_size(16)));

inline F16 loadF(const float *p)
{
    F16 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline U8 loadU8(const Byte *p)
{
    U8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline F16 splat(float f) { return F16{} + f; }
inline F16 toFloat(U8 v) { return __builtin_convertvector(__builtin_convertvector(v, I16), F16); }
inline F16 toFloat(I16 v) { return __builtin_convertvector(v, F16); }

// int8 bytes to int32 lanes. GCC 12 lowers a signed char -> int vector conversion (and any
// conversion it cannot see a byte-vector operation before) to scalar code; biasing the bytes to
// unsigned first, zero-extending and removing the bias vectorises.
inline I16 signExtend(U8 v)
{
    v ^= 0x80;
    return __builtin_convertvector(v, I16) - 0x80;
}

inline float sumLanes(F16 acc)
{
    float s = 0;
    for (int j = 0; j < 16; ++j)
        s += acc[j];
    return s;
}

float dotQ8_0(const Byte *p, const float *x, int64_t blocks)
{
    F16 acc{};
    for (int64_t b = 0; b < blocks; ++b, p += 34, x += 32) {
        const F16 s = toFloat(signExtend(loadU8(p + 2))) * loadF(x)
                      + toFloat(signExtend(loadU8(p + 18))) * loadF(x + 16);
        acc += splat(halfAt(p)) * s;
    }
    return sumLanes(acc);
}

// Q4_0 / Q4_1 (withMin) and Q5_0 / Q5_1 (withHigh): nibble j (high nibble: value j + 16), fifth
// bit j (j + 16) of qh, minus the offset (8 or 16) for the symmetric types, + m * sum(x) otherwise.
template <bool withMin, bool withHigh>
float dotLegacy(const Byte *p, const float *x, int64_t blocks)
{
    constexpr int blockBytes = 18 + (withMin ? 2 : 0) + (withHigh ? 4 : 0);
    constexpr int qsAt = 2 + (withMin ? 2 : 0) + (withHigh ? 4 : 0);
    constexpr int offset = withMin ? 0 : (withHigh ? 16 : 8);
    const U16 lane{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    F16 acc{};
    for (int64_t b = 0; b < blocks; ++b, p += blockBytes, x += 32) {
        const U8 qs = loadU8(p + qsAt);
        I16 lo = __builtin_convertvector(qs & 0xF, I16);
        I16 hi = __builtin_convertvector(qs >> 4, I16);
        if constexpr (withHigh) {
            const U16 qh = U16{} + u32At(p + (withMin ? 4 : 2));
            lo |= I16((qh >> lane) & 1u) << 4;
            hi |= I16((qh >> (lane + 16)) & 1u) << 4;
        }
        const F16 x0 = loadF(x), x1 = loadF(x + 16);
        const F16 s = toFloat(lo - offset) * x0 + toFloat(hi - offset) * x1;
        acc += splat(halfAt(p)) * s;
        if constexpr (withMin)
            acc += splat(halfAt(p + 2)) * (x0 + x1);
    }
    return sumLanes(acc);
}

float dotQ4_K(const Byte *p, const float *x, int64_t blocks)
{
    F16 acc{};
    for (int64_t b = 0; b < blocks; ++b, p += 144) {
        const float d = halfAt(p), dmin = halfAt(p + 2);
        const Byte *scales = p + 4;
        const Byte *q = p + 16;
        for (int is = 0; is < 8; is += 2, q += 32, x += 64) {
            int sc1 = 0, mn1 = 0, sc2 = 0, mn2 = 0;
            scaleMinK4(is, scales, sc1, mn1);
            scaleMinK4(is + 1, scales, sc2, mn2);
            // 32 low nibbles with x[0..31] (scale 1), 32 high nibbles with x[32..63] (scale 2).
            const U8 qa = loadU8(q), qb = loadU8(q + 16);
            const F16 xa = loadF(x), xb = loadF(x + 16), xc = loadF(x + 32), xd = loadF(x + 48);
            const F16 s1 = toFloat(qa & 0xF) * xa + toFloat(qb & 0xF) * xb;
            const F16 s2 = toFloat(qa >> 4) * xc + toFloat(qb >> 4) * xd;
            acc += splat(d * float(sc1)) * s1 + splat(d * float(sc2)) * s2
                   - splat(dmin * float(mn1)) * (xa + xb) - splat(dmin * float(mn2)) * (xc + xd);
        }
    }
    return sumLanes(acc);
}

float dotQ6_K(const Byte *p, const float *x, int64_t blocks)
{
    F16 acc{};
    for (int64_t b = 0; b < blocks; ++b, p += 210) {
        const float d = halfAt(p + 208);
        const Byte *ql = p;
        const Byte *qh = p + 128;
        const auto *sc = reinterpret_cast<const signed char *>(p + 192);
        for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, x += 128) {
            for (int k = 0; k < 4; ++k) {
                const Byte *low = ql + 32 * (k & 1);
                const int nibbleShift = k >= 2 ? 4 : 0;
                for (int part = 0; part < 2; ++part) {
                    const U8 lq = (loadU8(low + 16 * part) >> nibbleShift) & 0xF;
                    const U8 hq = (loadU8(qh + 16 * part) >> (2 * k)) & 3;
                    const I16 q = __builtin_convertvector(lq | (hq << 4), I16) - 32;
                    const F16 s = toFloat(q) * loadF(x + 32 * k + 16 * part);
                    acc += splat(d * float(sc[part + 2 * k])) * s;
                }
            }
        }
    }
    return sumLanes(acc);
}

} // namespace

bool ggmlDotSupported(DType t)
{
    switch (t) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q6_K: return true;
    default: return false;
    }
}

float ggmlDot(DType t, const std::byte *row, const float *x, int64_t n)
{
    const auto *p = reinterpret_cast<const Byte *>(row);
    const bool kQuant = t == DType::Q4_K || t == DType::Q6_K;
    const int64_t block = kQuant ? 256 : 32;
    if (!ggmlDotSupported(t) || n % block != 0)
        throw Error("ggmlDot: no fused kernel for " + std::to_string(n) + " values of type "
                    + std::string(dtypeName(t)));
    switch (t) {
    case DType::Q4_0: return dotLegacy<false, false>(p, x, n / 32);
    case DType::Q4_1: return dotLegacy<true, false>(p, x, n / 32);
    case DType::Q5_0: return dotLegacy<false, true>(p, x, n / 32);
    case DType::Q5_1: return dotLegacy<true, true>(p, x, n / 32);
    case DType::Q8_0: return dotQ8_0(p, x, n / 32);
    case DType::Q4_K: return dotQ4_K(p, x, n / 256);
    default: return dotQ6_K(p, x, n / 256);
    }
}

} // namespace cwb
