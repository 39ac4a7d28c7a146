// SPDX-License-Identifier: MIT
#include "analysis/stats_kernels.h"

#include "analysis/stats_simd.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb::stats {
namespace {

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

bool accumulatePiece(const float *x, int64_t n, Scalars &s, RowAcc *row)
{
    if (n <= 0)
        return true;
    PieceSums p;
    if (!activeSimdTable().piece(x, n, p)) {
        accumulateMixed(x, n, s, row);
        return false;
    }
    const double count = static_cast<double>(n);
    mergePiece(s, row, centralFromSums(count, p.sum / count, p.s1, p.s2, p.s3, p.s4), p.min,
               p.max, p.zeros);
    return true;
}

void accumulateColumns(const float *const *rows, int nRows, int64_t len, const ColumnSink &cols,
                       int64_t col0, bool allFinite)
{
    double *c1 = cols.s1 + col0;
    double *c2 = cols.s2 + col0;
    float *ca = cols.absMax + col0;
    if (allFinite) {
        activeSimdTable().columns(rows, nRows, len, c1, c2, ca, cols.shiftD + col0);
        return;
    }
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
}

uint64_t countNearZero(const float *x, int64_t n, double threshold)
{
    // The float threshold t with (a < t) == (a < threshold) for every float a.
    float t = static_cast<float>(threshold);
    if (static_cast<double>(t) < threshold)
        t = std::nextafter(t, std::numeric_limits<float>::infinity());
    return n > 0 ? activeSimdTable().nearZero(x, n, t) : 0;
}

} // namespace cwb::stats
