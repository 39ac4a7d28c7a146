// SPDX-License-Identifier: MIT
#include "host/triad.h"

#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace cwb::host {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

double measureTriadGBps(uint64_t elements, int repeats, double *bestSeconds)
{
    const size_t n = static_cast<size_t>(std::max<uint64_t>(elements, 1));
    std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
    // First touch in parallel with the same static partition as the timed loop, so pages sit
    // near the threads that use them.
    tbb::static_partitioner part;
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, n),
        [&](const auto &r) {
            for (size_t i = r.begin(); i < r.end(); ++i) {
                a[i] = 0.0;
                b[i] = 1.0 + static_cast<double>(i & 7);
                c[i] = 2.0;
            }
        },
        part);
    const double s = 3.0;
    double best = 1e30;
    for (int rep = 0; rep < std::max(1, repeats); ++rep) {
        const auto t0 = Clock::now();
        tbb::parallel_for(
            tbb::blocked_range<size_t>(0, n),
            [&](const auto &r) {
                for (size_t i = r.begin(); i < r.end(); ++i)
                    a[i] = b[i] + s * c[i];
            },
            part);
        best = std::min(best, secondsSince(t0));
    }
    if (a[n - 1] != b[n - 1] + s * c[n - 1])
        throw Error("triad produced a wrong value");
    if (bestSeconds)
        *bestSeconds = best;
    return 3.0 * sizeof(double) * static_cast<double>(n) / best / 1e9;
}

} // namespace cwb::host
