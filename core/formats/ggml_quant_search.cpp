// SPDX-License-Identifier: MIT
// Scale searches of the ggml block quantizers. Every arithmetic expression keeps ggml's operand
// order and its implicit int->float conversions (written out as `float(l)`), because a single
// differently rounded operation changes which level or scale wins and so changes the bytes.
// This file is compiled with -ffp-contract=off (see core/CMakeLists.txt).
#include "formats/ggml_quant_search.h"

#include <array>
#include <cassert>
#include <cmath>

namespace cwb::ggmlq {
namespace {

// Symmetric level for make_qx_quants / make_q3_quants: round, then clamp to [-nmax, nmax-1].
int symmetricLevel(float v, int nmax)
{
    return ggmlMax(-nmax, ggmlMin(nmax - 1, nearestInt(v)));
}

// Value of largest magnitude (keeping its sign); the first one wins on ties, as in ggml.
float signedAbsMax(int n, const float *x, float *absMax)
{
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    *absMax = amax;
    return max;
}

} // namespace

float sumOfSquares(const float *x, int64_t n)
{
    float s = 0;
    for (int64_t j = 0; j < n; ++j)
        s += x[j] * x[j];
    return s;
}

void importanceWeights(const float *imp, const float *x, float sigma2, int n, float *w)
{
    for (int j = 0; j < n; ++j)
        w[j] = imp[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

float makeQxQuants(int n, int nmax, const float *x, int8_t *levels, const float *weights)
{
    float amax = 0;
    const float max = signedAbsMax(n, x, &amax);
    if (amax < kGroupMaxEps) {
        for (int i = 0; i < n; ++i)
            levels[i] = 0;
        return 0.f;
    }
    auto weightAt = [&](int i) { return weights ? weights[i] : x[i] * x[i]; };

    // Start at the scale that maps the extreme value onto -nmax.
    float iscale = float(-nmax) / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = symmetricLevel(iscale * x[i], nmax);
        levels[i] = static_cast<int8_t>(l + nmax);
        const float w = weightAt(i);
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    // Try slightly wider and narrower grids; keep one only if it explains more of the signal.
    for (int is = -9; is <= 9; ++is) {
        if (is == 0)
            continue;
        iscale = -(float(nmax) + 0.1f * float(is)) / max;
        sumlx = 0;
        suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = symmetricLevel(iscale * x[i], nmax);
            const float w = weightAt(i);
            sumlx += w * x[i] * float(l);
            suml2 += w * float(l) * float(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i)
                levels[i] = static_cast<int8_t>(nmax + symmetricLevel(iscale * x[i], nmax));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float makeQ3Quants(int n, int nmax, const float *x, int8_t *levels)
{
    float amax = 0;
    const float max = signedAbsMax(n, x, &amax);
    if (amax < kGroupMaxEps) {
        for (int i = 0; i < n; ++i)
            levels[i] = 0;
        return 0.f;
    }
    const float iscale = float(-nmax) / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = symmetricLevel(iscale * x[i], nmax);
        levels[i] = static_cast<int8_t>(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    // Coordinate descent: move one level to its best value given all the others, keep the move
    // when the fitted error (-(sumlx^2 / suml2)) decreases.
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * float(levels[i]);
            if (slx > 0) {
                float sl2 = suml2 - w * float(levels[i]) * float(levels[i]);
                const int newL = symmetricLevel(x[i] * sl2 / slx, nmax);
                if (newL != levels[i]) {
                    slx += w * x[i] * float(newL);
                    sl2 += w * float(newL) * float(newL);
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        levels[i] = static_cast<int8_t>(newL);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (!changed)
            break;
    }
    for (int i = 0; i < n; ++i)
        levels[i] = static_cast<int8_t>(levels[i] + nmax);
    return sumlx / suml2;
}

namespace {

// The grid search shared by make_qkx2_quants and make_qkx3_quants once min/max and the weight
// sums are known. `min` <= 0 is the offset of level 0; returns the scale, stores -min.
float affineGridSearch(int n, int nmax, const float *x, const float *weights, uint8_t *levels,
                       float *theMin, float min, float max, float sumW, float sumX, float rmin,
                       float rdelta, int nstep, bool useMad)
{
    auto errorOf = [useMad](float diff) { return useMad ? std::fabs(diff) : diff * diff; };

    float iscale = float(nmax) / (max - min);
    float scale = 1 / iscale;
    float bestError = 0;
    for (int i = 0; i < n; ++i) {
        const int l = nearestInt(iscale * (x[i] - min));
        levels[i] = static_cast<uint8_t>(ggmlMax(0, ggmlMin(nmax, l)));
        const float diff = scale * float(levels[i]) + min - x[i];
        bestError += weights[i] * errorOf(diff);
    }
    if (nstep < 1) {
        *theMin = -min;
        return scale;
    }
    std::array<uint8_t, kMaxGroup> trial{};
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
        float sumL = 0;
        float sumL2 = 0;
        float sumXL = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * (x[i] - min));
            l = ggmlMax(0, ggmlMin(nmax, l));
            trial[i] = static_cast<uint8_t>(l);
            const float w = weights[i];
            sumL += w * float(l);
            sumL2 += w * float(l) * float(l);
            sumXL += w * float(l) * x[i];
        }
        // Weighted least squares for value = thisScale * l + thisMin with these levels.
        const float det = sumW * sumL2 - sumL * sumL;
        if (det > 0) {
            float thisScale = (sumW * sumXL - sumX * sumL) / det;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
            if (thisMin > 0) { // the format only stores mins <= 0: refit the scale alone
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float error = 0;
            for (int i = 0; i < n; ++i) {
                const float diff = thisScale * float(trial[i]) + thisMin - x[i];
                error += weights[i] * errorOf(diff);
            }
            if (error < bestError) {
                for (int i = 0; i < n; ++i)
                    levels[i] = trial[i];
                bestError = error;
                scale = thisScale;
                min = thisMin;
            }
        }
    }
    *theMin = -min;
    return scale;
}

// min, max, sum of weights and weighted sum of x, accumulated in ggml's order.
struct GroupSums {
    float min, max, sumW, sumX;
};

GroupSums groupSums(int n, const float *x, const float *weights)
{
    GroupSums s{x[0], x[0], weights[0], weights[0] * x[0]};
    for (int i = 1; i < n; ++i) {
        if (x[i] < s.min)
            s.min = x[i];
        if (x[i] > s.max)
            s.max = x[i];
        const float w = weights[i];
        s.sumW += w;
        s.sumX += w * x[i];
    }
    if (s.min > 0) // level 0 must be able to represent 0
        s.min = 0;
    return s;
}

} // namespace

float makeQkx2Quants(int n, int nmax, const float *x, const float *weights, uint8_t *levels,
                     float *theMin, float rmin, float rdelta, int nstep, bool useMad)
{
    assert(n <= kMaxGroup);
    const GroupSums s = groupSums(n, x, weights);
    if (s.max == s.min) {
        for (int i = 0; i < n; ++i)
            levels[i] = 0;
        *theMin = -s.min;
        return 0.f;
    }
    return affineGridSearch(n, nmax, x, weights, levels, theMin, s.min, s.max, s.sumW, s.sumX,
                            rmin, rdelta, nstep, useMad);
}

float makeQkx3Quants(int n, int nmax, const float *x, const float *weights, uint8_t *levels,
                     float *theMin, float rmin, float rdelta, int nstep)
{
    assert(n <= kMaxGroup);
    const GroupSums s = groupSums(n, x, weights);
    if (s.max <= s.min) {
        for (int i = 0; i < n; ++i)
            levels[i] = 0;
        *theMin = -s.min;
        return 0.f;
    }
    return affineGridSearch(n, nmax, x, weights, levels, theMin, s.min, s.max, s.sumW, s.sumX,
                            rmin, rdelta, nstep, false);
}

float makeQpQuants(int n, int nmax, const float *x, uint8_t *levels, const float *weights)
{
    float max = 0;
    for (int i = 0; i < n; ++i)
        max = ggmlMax(max, x[i]);
    // c392e509 tests exactly zero here (later llama.cpp versions use kGroupMaxEps).
    if (max == 0.0f) {
        for (int i = 0; i < n; ++i)
            levels[i] = 0;
        return 0.f;
    }
    float iscale = float(nmax) / max;
    for (int i = 0; i < n; ++i)
        levels[i] = static_cast<uint8_t>(nearestInt(iscale * x[i]));
    const float scale = 1 / iscale;
    float bestMse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * float(levels[i]);
        bestMse += weights[i] * diff * diff;
    }
    // Eight nearby grid widths; keep the best weighted squared error.
    for (int is = -4; is <= 4; ++is) {
        if (is == 0)
            continue;
        const float iscaleIs = (0.1f * float(is) + float(nmax)) / max;
        const float scaleIs = 1 / iscaleIs;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            const int l = ggmlMin(nmax, nearestInt(iscaleIs * x[i]));
            const float diff = x[i] - scaleIs * float(l);
            mse += weights[i] * diff * diff;
        }
        if (mse < bestMse) {
            bestMse = mse;
            iscale = iscaleIs;
        }
    }
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = ggmlMin(nmax, nearestInt(iscale * x[i]));
        levels[i] = static_cast<uint8_t>(l);
        const float w = weights[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    // Coordinate descent on single levels, as in makeQ3Quants.
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = weights[i];
            float slx = sumlx - w * x[i] * float(levels[i]);
            float sl2 = suml2 - w * float(levels[i]) * float(levels[i]);
            if (slx > 0 && sl2 > 0) {
                const int newL = ggmlMin(nmax, nearestInt(x[i] * sl2 / slx));
                if (newL != levels[i]) {
                    slx += w * x[i] * float(newL);
                    sl2 += w * float(newL) * float(newL);
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        levels[i] = static_cast<uint8_t>(newL);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (!changed)
            break;
    }
    // c392e509 divides unguarded (0/0 gives NaN for all-zero weights, as llama.cpp did then).
    return sumlx / suml2;
}

} // namespace cwb::ggmlq
