// SPDX-License-Identifier: MIT
#pragma once
// The fixed value grids of the non-uniform formats: QLoRA's NF4 levels, the FP4 E2M1 element
// grid (OCP MX v1.0 / NVFP4), and bitsandbytes' 8-bit dynamic map used for NF4 double
// quantization. Encoders here are the single definition both the reference and fast paths use.

#include <array>
#include <bit>
#include <cstdint>

namespace cwb {

// QLoRA (Dettmers et al. 2023, appendix E) / bitsandbytes NF4 code, as float32.
inline constexpr std::array<float, 16> kNf4Levels{
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// Midpoints between adjacent NF4 levels (computed in double, rounded to float). The code of a
// normalized x is the number of thresholds strictly below it: a tie goes to the lower level, as
// bitsandbytes' dQuantizeNF4 (`x > threshold`) does.
[[nodiscard]] const std::array<float, 15> &nf4Thresholds();

// E2M1 magnitudes by 3-bit index; bit 3 of a code is the sign.
inline constexpr std::array<float, 8> kE2M1Values{0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

[[nodiscard]] inline float e2m1ToFloat(uint8_t code)
{
    const float v = kE2M1Values[code & 7u];
    return (code & 8u) ? -v : v;
}

// Round to nearest, ties to even (even = even index), saturating at 6; the sign of x is kept
// (a negative value that rounds to zero gives code 8, -0). x must not be NaN. The comparisons
// are written as a sum so that loops over it vectorize.
[[nodiscard]] inline uint8_t floatToE2M1(float x)
{
    const float a = x < 0.0f ? -x : x;
    const int mag = int(a > 0.25f) + int(a >= 0.75f) + int(a > 1.25f) + int(a >= 1.75f)
        + int(a > 2.5f) + int(a >= 3.5f) + int(a > 5.0f);
    const uint32_t sign = (std::bit_cast<uint32_t>(x) >> 28) & 8u;
    return static_cast<uint8_t>(static_cast<uint32_t>(mag) | sign);
}

// bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): 254 values
// +-10^(i-6) * (midpoints of linspace(0.1, 1, 2^i + 1)) for i = 0..6, plus 0 and 1, sorted
// ascending; evaluated in float32 the way torch does.
[[nodiscard]] const std::array<float, 256> &dynamicMap8();
// Midpoints of dynamicMap8(): index of a value = number of thresholds strictly below it.
[[nodiscard]] const std::array<float, 255> &dynamicMap8Thresholds();
// The map's index of 0.0 (where a block of equal scales lands).
[[nodiscard]] int dynamicMap8ZeroIndex();

} // namespace cwb
