// SPDX-License-Identifier: MIT
#pragma once
// Round to nearest, ties to even, of a float whose magnitude is below 2^22, as plain arithmetic:
// adding and subtracting 1.5 * 2^23 leaves the value's integer part in the mantissa, rounded by
// the FPU's default mode (nearest even) — exactly std::nearbyint in the default environment, for
// those values. Unlike std::nearbyint, which the portable (SSE2) build compiles to a libm call per
// value, this vectorizes at every instruction-set level, so the quantizers' hot loops (codes of
// values already scaled to a few hundred levels at most) run at vector speed. Callers guarantee
// the range (their values are clamped to the grid or bounded by the block's own maximum); NaN
// stays NaN. The library is built without -ffast-math, which could fold the two operations away.

#include <cmath>

namespace cwb {

[[nodiscard]] inline float roundHalfEven(float v)
{
    constexpr float kMagic = 12582912.0f; // 1.5 * 2^23
    // On the magnitude, with the sign put back: -0.3 rounds to -0, as nearbyint does.
    return std::copysign((std::fabs(v) + kMagic) - kMagic, v);
}

} // namespace cwb
