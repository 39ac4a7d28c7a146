// SPDX-License-Identifier: MIT
#pragma once
// Central moments up to the fourth, mergeable: the partial results of blocks computed in any
// order combine exactly as if the data had been seen at once (Pebay 2008, "Formulas for robust,
// one-pass parallel computation of covariances and arbitrary-order statistical moments").

#include <cmath>
#include <cstdint>

namespace cwb {

struct Moments4 {
    double n = 0; // count, as double for the formulas
    double mean = 0;
    double m2 = 0; // sum (x - mean)^2
    double m3 = 0; // sum (x - mean)^3
    double m4 = 0; // sum (x - mean)^4

    void merge(const Moments4 &o)
    {
        if (o.n == 0)
            return;
        if (n == 0) {
            *this = o;
            return;
        }
        const double na = n, nb = o.n, nn = na + nb;
        const double delta = o.mean - mean;
        const double dn = delta / nn, dn2 = dn * dn;
        const double m2n = m2 + o.m2 + delta * dn * na * nb;
        const double m3n
            = m3 + o.m3 + delta * dn2 * na * nb * (na - nb) + 3.0 * dn * (na * o.m2 - nb * m2);
        m4 = m4 + o.m4 + delta * dn2 * dn * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * dn2 * (na * na * o.m2 + nb * nb * m2) + 4.0 * dn * (na * o.m3 - nb * m3);
        m3 = m3n;
        m2 = m2n;
        mean += nb * dn;
        n = nn;
    }
    [[nodiscard]] double variance() const { return n > 0 ? m2 / n : 0.0; }
    // m3/n / (m2/n)^1.5; 0 when there is no spread
    [[nodiscard]] double skewness() const
    {
        return (n > 0 && m2 > 0) ? std::sqrt(n) * m3 / std::pow(m2, 1.5) : 0.0;
    }
    // excess kurtosis: n m4 / m2^2 - 3; 0 when there is no spread
    [[nodiscard]] double excessKurtosis() const
    {
        return (n > 0 && m2 > 0) ? n * m4 / (m2 * m2) - 3.0 : 0.0;
    }
};

} // namespace cwb
