// SPDX-License-Identifier: MIT
#include "analysis/stats_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cwb::stats {
namespace {

// Independent accumulators per lane: the compiler turns each lane loop into SIMD registers
// without reassociating anything (no -ffast-math needed).
constexpr int kLanes = 16;

// Moments of a piece around its own mean, corrected by the residual e = sum(d)/n:
// sum (d - e)^k from the power sums of d.
Moments4 centralFromSums(double n, double mean, double s1, double s2, double s3, double s4)
{
    Moments4 m;
    m.n = n;
    const double e = s1 / n, e2 = e * e;
    m.mean = mean + e;
    m.m2 = std::max(0.0, s2 - n * e2);
    m.m3 = s3 - 3.0 * e * s2 + 2.0 * n * e2 * e;
    m.m4 = std::max(0.0, s4 - 4.0 * e * s3 + 6.0 * e2 * s2 - 3.0 * n * e2 * e2);
    return m;
}

void mergePiece(Scalars &s, RowAcc *row, const Moments4 &m, double mn, double mx, uint64_t zeros)
{
    s.m.merge(m);
    s.min = std::min(s.min, mn);
    s.max = std::max(s.max, mx);
    s.zeros += zeros;
    if (row)
        row->merge(m.n, m.mean, m.m2, static_cast<float>(std::max(std::abs(mn), std::abs(mx))));
}

// Scalar path for pieces holding NaN or Inf.
void accumulateMixed(const float *x, int64_t n, Scalars &s, RowAcc *row)
{
    double count = 0, sum = 0;
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    uint64_t zeros = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isfinite(v)) {
            count += 1;
            sum += v;
            mn = std::min(mn, static_cast<double>(v));
            mx = std::max(mx, static_cast<double>(v));
            zeros += v == 0.0f;
        } else if (std::isnan(v)) {
            ++s.nan;
        } else {
            ++(v > 0 ? s.posInf : s.negInf);
        }
    }
    if (count == 0)
        return;
    const double mean = sum / count;
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double d = x[i] - mean, d2 = d * d;
        s1 += d;
        s2 += d2;
        s3 += d2 * d;
        s4 += d2 * d2;
    }
    mergePiece(s, row, centralFromSums(count, mean, s1, s2, s3, s4), mn, mx, zeros);
}

} // namespace

void Scalars::merge(const Scalars &o)
{
    m.merge(o.m);
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    nan += o.nan;
    posInf += o.posInf;
    negInf += o.negInf;
    zeros += o.zeros;
}

void RowAcc::merge(double nb, double meanb, double m2b, float absMaxb)
{
    absMax = std::max(absMax, absMaxb);
    if (nb == 0)
        return;
    if (n == 0) {
        n = nb;
        mean = meanb;
        m2 = m2b;
        return;
    }
    const double nn = n + nb, delta = meanb - mean;
    mean += delta * nb / nn;
    m2 += m2b + delta * delta * n * nb / nn;
    n = nn;
}

bool accumulatePiece(const float *__restrict x, int64_t n, Scalars &s, RowAcc *row)
{
    if (n <= 0)
        return true;
    // Pass 1 (in L1): sum, min, max, zeros, and a NaN probe: v * 0 is NaN exactly for NaN/Inf.
    double sum[kLanes] = {};
    float mn[kLanes], mx[kLanes], probe[kLanes] = {};
    uint32_t zeros[kLanes] = {};
    for (int j = 0; j < kLanes; ++j)
        mn[j] = mx[j] = x[0];
    const int64_t whole = n - n % kLanes;
    for (int64_t i = 0; i < whole; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            const float v = x[i + j];
            sum[j] += v;
            mn[j] = v < mn[j] ? v : mn[j];
            mx[j] = v > mx[j] ? v : mx[j];
            probe[j] += v * 0.0f;
            zeros[j] += v == 0.0f;
        }
    double total = 0;
    float lo = mn[0], hi = mx[0], p = 0;
    uint64_t z = 0;
    for (int j = 0; j < kLanes; ++j) {
        total += sum[j];
        lo = std::min(lo, mn[j]);
        hi = std::max(hi, mx[j]);
        p += probe[j];
        z += zeros[j];
    }
    for (int64_t i = whole; i < n; ++i) {
        total += x[i];
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
        p += x[i] * 0.0f;
        z += x[i] == 0.0f;
    }
    if (p != 0.0f) { // NaN: the piece holds NaN or Inf
        accumulateMixed(x, n, s, row);
        return false;
    }
    // Pass 2: central powers around the piece mean.
    const double mean = total / static_cast<double>(n);
    double a1[kLanes] = {}, a2[kLanes] = {}, a3[kLanes] = {}, a4[kLanes] = {};
    for (int64_t i = 0; i < whole; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            const double d = static_cast<double>(x[i + j]) - mean, d2 = d * d;
            a1[j] += d;
            a2[j] += d2;
            a3[j] += d2 * d;
            a4[j] += d2 * d2;
        }
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (int j = 0; j < kLanes; ++j) {
        s1 += a1[j];
        s2 += a2[j];
        s3 += a3[j];
        s4 += a4[j];
    }
    for (int64_t i = whole; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - mean, d2 = d * d;
        s1 += d;
        s2 += d2;
        s3 += d2 * d;
        s4 += d2 * d2;
    }
    mergePiece(s, row, centralFromSums(static_cast<double>(n), mean, s1, s2, s3, s4), lo, hi, z);
    return true;
}

void accumulateColumns(const float *const *rows, int nRows, int64_t len, const ColumnSink &cols,
                       int64_t col0, bool allFinite)
{
    double *c1 = cols.s1 + col0;
    double *c2 = cols.s2 + col0;
    float *ca = cols.absMax + col0;
    if (!allFinite) {
        const double *k = cols.shiftD + col0;
        uint64_t *bad = cols.bad + col0;
        for (int r = 0; r < nRows; ++r)
            for (int64_t j = 0; j < len; ++j) {
                const float v = rows[r][j];
                if (!std::isfinite(v)) {
                    ++bad[j];
                    continue;
                }
                const double y = static_cast<double>(v) - k[j];
                c1[j] += y;
                c2[j] += y * y;
                ca[j] = std::max(ca[j], std::abs(v));
            }
        return;
    }
    // Eight columns at a time: the group's rows are summed in registers, then added once. GCC
    // vector types, because the float loads and double sums have different widths, which the
    // auto-vectoriser does not pair up.
    using F8 = float __attribute__((vector_size(32)));
    using D8 = double __attribute__((vector_size(64)));
    using I8 = int32_t __attribute__((vector_size(32)));
    const double *kd = cols.shiftD + col0;
    const int64_t whole = len - len % 8;
    for (int64_t j0 = 0; j0 < whole; j0 += 8) {
        D8 a1 = {}, a2 = {}, kk;
        F8 am;
        std::memcpy(&kk, kd + j0, sizeof kk);
        std::memcpy(&am, ca + j0, sizeof am);
        for (int r = 0; r < nRows; ++r) {
            F8 x;
            std::memcpy(&x, rows[r] + j0, sizeof x);
            const D8 y = __builtin_convertvector(x, D8) - kk;
            a1 += y;
            a2 += y * y;
            I8 bits;
            std::memcpy(&bits, &x, sizeof bits);
            bits &= 0x7fffffff;
            F8 a;
            std::memcpy(&a, &bits, sizeof a);
            am = a > am ? a : am;
        }
        D8 o1, o2;
        std::memcpy(&o1, c1 + j0, sizeof o1);
        std::memcpy(&o2, c2 + j0, sizeof o2);
        o1 += a1;
        o2 += a2;
        std::memcpy(c1 + j0, &o1, sizeof o1);
        std::memcpy(c2 + j0, &o2, sizeof o2);
        std::memcpy(ca + j0, &am, sizeof am);
    }
    for (int64_t j = whole; j < len; ++j)
        for (int r = 0; r < nRows; ++r) {
            const float v = rows[r][j];
            const double y = static_cast<double>(v) - kd[j];
            c1[j] += y;
            c2[j] += y * y;
            ca[j] = std::max(ca[j], std::abs(v));
        }
}

uint64_t countNearZero(const float *__restrict x, int64_t n, double threshold)
{
    // The float threshold t with (a < t) == (a < threshold) for every float a.
    float t = static_cast<float>(threshold);
    if (static_cast<double>(t) < threshold)
        t = std::nextafter(t, std::numeric_limits<float>::infinity());
    uint64_t total = 0;
    for (int64_t start = 0; start < n; start += kPiece) {
        const int64_t len = std::min<int64_t>(kPiece, n - start);
        const float *p = x + start;
        uint32_t lanes[kLanes] = {};
        const int64_t whole = len - len % kLanes;
        for (int64_t i = 0; i < whole; i += kLanes)
            for (int j = 0; j < kLanes; ++j)
                lanes[j] += (std::abs(p[i + j]) < t) | (p[i + j] == 0.0f);
        for (int j = 0; j < kLanes; ++j)
            total += lanes[j];
        for (int64_t i = whole; i < len; ++i)
            total += (std::abs(p[i]) < t) | (p[i] == 0.0f);
    }
    return total;
}

} // namespace cwb::stats
