// SPDX-License-Identifier: MIT
// Continuous power-law fit of an eigenvalue tail (Clauset, Shalizi & Newman 2009): for every
// candidate xmin among the sorted eigenvalues, the maximum-likelihood exponent of the tail
// x >= xmin and the Kolmogorov-Smirnov distance of the fitted CDF; the candidate with the
// smallest distance wins. This is the estimator WeightWatcher uses (its WWFit scans every
// eigenvalue but the largest as xmin the same way).
#include "analysis/spectrum.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cwb {

PowerLawFit fitPowerLaw(std::span<const double> eigenvalues, int minTail)
{
    PowerLawFit best;
    std::vector<double> x;
    x.reserve(eigenvalues.size());
    double top = 0;
    for (double v : eigenvalues)
        if (std::isfinite(v))
            top = std::max(top, v);
    // numerical zeros (rank deficiency) are not part of any tail
    const double floor = top * 1e-12;
    for (double v : eigenvalues)
        if (std::isfinite(v) && v > floor)
            x.push_back(v);
    std::sort(x.begin(), x.end());
    const int64_t n = static_cast<int64_t>(x.size());
    const int64_t minN = std::max(minTail, 2);
    if (n < minN)
        return best;
    std::vector<double> logs(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        logs[i] = std::log(x[i]);
    // suffix sums of the logs: sum_{j >= i} ln x_j
    std::vector<double> suffix(x.size() + 1, 0.0);
    for (int64_t i = n - 1; i >= 0; --i)
        suffix[static_cast<size_t>(i)]
            = suffix[static_cast<size_t>(i) + 1] + logs[static_cast<size_t>(i)];

    best.ks = std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i + minN <= n; ++i) {
        const double tail = static_cast<double>(n - i);
        const double lxmin = logs[static_cast<size_t>(i)];
        const double spread = suffix[static_cast<size_t>(i)] - tail * lxmin;
        if (!(spread > 0))
            continue; // all tail values equal: no exponent
        const double alpha = 1.0 + tail / spread;
        // KS distance: the fitted CDF against both sides of each empirical step.
        double d = 0;
        for (int64_t k = i; k < n; ++k) {
            const double f = 1.0 - std::exp((1.0 - alpha) * (logs[static_cast<size_t>(k)] - lxmin));
            const double below = static_cast<double>(k - i) / tail;
            const double above = static_cast<double>(k - i + 1) / tail;
            d = std::max(d, std::max(std::abs(f - below), std::abs(above - f)));
        }
        if (d < best.ks) {
            best.ks = d;
            best.alpha = alpha;
            best.xmin = x[static_cast<size_t>(i)];
            best.nTail = n - i;
            best.valid = true;
        }
    }
    if (!best.valid)
        best.ks = 0;
    return best;
}

} // namespace cwb
