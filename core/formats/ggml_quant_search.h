// SPDX-License-Identifier: MIT
#pragma once
// Scale searches shared by the ggml block quantizers (internal to core/compress).
// They reproduce the helpers of llama.cpp's ggml-quants.c at c392e509 (nearest_int,
// make_qx_quants, make_q3_quants, make_qkx2_quants, make_qkx3_quants, make_qp_quants) so that
// our bytes equal llama.cpp's. Byte equality needs the same single-precision operations in the
// same order: every expression below keeps ggml's evaluation order and int->float conversions,
// and this code is compiled with -ffp-contract=off (no fused multiply-add).
//
// Common shape: a group of n values x gets integer levels L and a float scale (and, for the
// "affine" searches, a min) chosen to minimise a weighted squared (or absolute) error.

#include <bit>
#include <cstdint>

namespace cwb::ggmlq {

// Groups whose largest magnitude is below this are treated as all zero (ggml's GROUP_MAX_EPS).
inline constexpr float kGroupMaxEps = 1e-15f;
// Largest group any search is called with (32 values in Q4_K/Q5_K sub-blocks).
inline constexpr int kMaxGroup = 32;

// ggml's MAX/MIN macros: `a > b ? a : b`. On ties and NaN they return the second argument,
// which std::max/std::min do not, so we keep the macro semantics.
template <class T>
[[nodiscard]] constexpr T ggmlMax(T a, T b)
{
    return a > b ? a : b;
}
template <class T>
[[nodiscard]] constexpr T ggmlMin(T a, T b)
{
    return a < b ? a : b;
}

// Round to nearest, ties to even, by adding 1.5*2^23 and reading the mantissa bits. Exact for
// |v| < 2^22; outside that range it returns what ggml's bit trick returns (deterministic garbage
// rather than undefined behaviour).
[[nodiscard]] inline int nearestInt(float v)
{
    const float shifted = v + 12582912.f;
    const int32_t bits = std::bit_cast<int32_t>(shifted);
    return (bits & 0x007fffff) - 0x00400000;
}

// float -> int32 the way x86-64's cvttss2si truncates: NaN and out-of-range values give
// INT32_MIN. ggml converts floats straight to int8_t/uint8_t (e.g. `(int8_t)(x0 + 8.5f)`),
// which gcc compiles to cvttss2si plus taking the low byte; narrowing this result with a
// static_cast reproduces that without undefined behaviour for non-finite intermediates.
[[nodiscard]] inline int32_t truncateLikeX86(float v)
{
    // -2147483904 is the float just below -2^31; anything above it truncates into int32 range.
    if (!(v > -2147483904.f && v < 2147483648.f))
        return INT32_MIN;
    return static_cast<int32_t>(v);
}

// Sum of x^2 over n values, accumulated left to right as ggml does.
float sumOfSquares(const float *x, int64_t n);

// Importance weights of ggml's imatrix paths: imp[j] * sqrt(sigma2 + x[j]^2), where sigma2 is a
// mean square of the row (legacy types) or of the super-block (K-quants).
void importanceWeights(const float *imp, const float *x, float sigma2, int n, float *w);

// make_qx_quants with rmse_type 1: symmetric levels l in [-nmax, nmax-1], stored as l + nmax.
// Weights default to x^2 when `weights` is null. Tries 18 scales around nmax/max and keeps the
// one maximising (sum w x l)^2 / (sum w l^2). Returns the scale (0 for an all-zero group).
float makeQxQuants(int n, int nmax, const float *x, int8_t *levels, const float *weights);

// make_q3_quants with do_rmse: symmetric levels like makeQxQuants (weights x^2), then up to 5
// passes of coordinate descent moving single levels while the fit improves.
float makeQ3Quants(int n, int nmax, const float *x, int8_t *levels);

// make_qkx2_quants: affine levels in [0, nmax] with value = scale * l - theMin (theMin >= 0).
// Searches nstep+1 grid widths (rmin + rdelta*is + nmax) and solves the weighted least-squares
// scale/min for each; `useMad` scores with |error| instead of error^2.
float makeQkx2Quants(int n, int nmax, const float *x, const float *weights, uint8_t *levels,
                     float *theMin, float rmin, float rdelta, int nstep, bool useMad);

// make_qkx3_quants as ggml's importance-weighted paths call it (weights given, squared error).
// Same search as makeQkx2Quants; differs in its degenerate-group test.
float makeQkx3Quants(int n, int nmax, const float *x, const float *weights, uint8_t *levels,
                     float *theMin, float rmin, float rdelta, int nstep);

// make_qp_quants: non-negative levels in [0, nmax] for non-negative values (the sub-block
// scales and mins of the K-quants), weighted by `weights`; 8 nearby scales plus coordinate
// descent. Levels are stored as uint8_t exactly as ggml does (wrapping if a value is negative).
float makeQpQuants(int n, int nmax, const float *x, uint8_t *levels, const float *weights);

} // namespace cwb::ggmlq
