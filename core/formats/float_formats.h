// SPDX-License-Identifier: MIT
#pragma once
// Scalar conversions between float32 and the narrow float formats we read and write.
// fp16 <-> fp32 is IEEE binary16 with round-to-nearest-even (what ggml's portable C path does);
// bf16 is the top half of a float32 (round-to-nearest-even on the way down, NaN kept quiet);
// fp8 e4m3 follows the OCP "FN" variant (no infinities, 0x7f/0xff are NaN, max 448);
// fp8 e5m2 is IEEE-like (has infinities, max 57344).
// The fp8 encoders round to nearest, ties to even, and saturate: anything beyond the largest
// finite value (infinities included) becomes +-max, as torch's and ModelOpt's saturating casts do;
// NaN stays NaN (0x7f for e4m3, 0x7e for e5m2, sign kept).

#include <bit>
#include <cmath>
#include <cstdint>

namespace cwb {

[[nodiscard]] inline float fp16ToFloat(uint16_t h)
{
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { // subnormal: value = mant * 2^-24, exact in float
            const float v = static_cast<float>(mant) * 0x1p-24f;
            return sign ? -v : v;
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

[[nodiscard]] inline uint16_t floatToFp16(float f)
{
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u) // NaN: keep it a quiet NaN
        return static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));
    if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to infinity
        return static_cast<uint16_t>(sign | 0x7c00u);
    if (absx < 0x38800000u) { // below 2^-14: subnormal or zero, round to nearest even
        const float a = std::bit_cast<float>(absx);
        // Adding 0.5 (2^-1) aligns the subnormal's ulp (2^-24) with float's ulp at 0.5 (2^-24),
        // so the FPU's own rounding does round-to-nearest-even for us.
        const float r = a + 0.5f;
        // A result of 0x400 (rounded up to 2^-14) is exactly the smallest normal half: no mask.
        return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(r) - 0x3f000000u));
    }
    const uint32_t mantOdd = (absx >> 13) & 1u;
    uint32_t v = absx + 0xc8000fffu + mantOdd; // rebias exponent (-112 << 23) and round
    return static_cast<uint16_t>(sign | (v >> 13));
}

[[nodiscard]] inline float bf16ToFloat(uint16_t h)
{
    return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

[[nodiscard]] inline uint16_t floatToBf16(float f)
{
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return static_cast<uint16_t>((x >> 16) | 64u); // quiet NaN
    return static_cast<uint16_t>((x + (0x7fffu + ((x >> 16) & 1u))) >> 16);
}

[[nodiscard]] inline float fp8E4M3ToFloat(uint8_t b)
{
    const bool neg = b & 0x80u;
    const uint32_t exp = (b >> 3) & 0xfu;
    const uint32_t mant = b & 0x7u;
    float v;
    if (exp == 0xf && mant == 0x7)
        v = std::bit_cast<float>(0x7fc00000u);
    else if (exp == 0)
        v = static_cast<float>(mant) * 0x1p-9f; // subnormal: mant/8 * 2^-6
    else
        v = std::bit_cast<float>(((exp + 120u) << 23) | (mant << 20));
    return neg ? -v : v;
}

[[nodiscard]] inline float fp8E5M2ToFloat(uint8_t b)
{
    // e5m2 is exactly the top byte of an fp16.
    return fp16ToFloat(static_cast<uint16_t>(b) << 8);
}

[[nodiscard]] inline uint8_t floatToFp8E4M3(float f)
{
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 24) & 0x80u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u)
        return static_cast<uint8_t>(sign | 0x7fu);
    uint32_t mag;
    if (absx >= 0x3c800000u) { // >= 2^-6, the smallest normal: round the mantissa to 3 bits
        const uint32_t rounded = absx + 0x7ffffu + ((absx >> 20) & 1u);
        mag = (rounded >> 20) - (120u << 3); // rebias 127 -> 7; a mantissa carry bumps the exponent
        if (mag > 0x7eu)
            mag = 0x7eu; // 448; 0x7f would be NaN
    } else { // subnormal: multiples of 2^-9; x * 2^9 is exact, nearbyint rounds half to even
        mag = static_cast<uint32_t>(std::nearbyint(std::bit_cast<float>(absx) * 512.0f));
    }
    return static_cast<uint8_t>(sign | mag);
}

[[nodiscard]] inline uint8_t floatToFp8E5M2(float f)
{
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 24) & 0x80u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u)
        return static_cast<uint8_t>(sign | 0x7eu);
    uint32_t mag;
    if (absx >= 0x38800000u) { // >= 2^-14: round the mantissa to 2 bits
        const uint32_t rounded = absx + 0xfffffu + ((absx >> 21) & 1u);
        mag = (rounded >> 21) - (112u << 2); // rebias 127 -> 15
        if (mag > 0x7bu)
            mag = 0x7bu; // 57344; 0x7c is infinity
    } else { // subnormal: multiples of 2^-16
        mag = static_cast<uint32_t>(std::nearbyint(std::bit_cast<float>(absx) * 65536.0f));
    }
    return static_cast<uint8_t>(sign | mag);
}

} // namespace cwb
