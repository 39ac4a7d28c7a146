// SPDX-License-Identifier: MIT
#include "host/gemm_peak.h"

#include "jobs/job_context.h"

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>

namespace cwb::host {

namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

double measureGemmGflops(int64_t n, int repeats, GemmSplit split, int threads,
                         const JobContext &ctx)
{
    RowMatrixD a(n, n), b(n, n), c(n, n);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return double(int64_t(state >> 40) - (int64_t(1) << 23)) / double(int64_t(1) << 23);
    };
    for (Eigen::Index i = 0; i < a.size(); ++i) {
        a.data()[i] = next();
        b.data()[i] = next();
    }
    double best = 0;
    for (int rep = 0; rep <= std::max(1, repeats); ++rep) {
        ctx.checkCancelled();
        const auto t0 = Clock::now();
        if (split == GemmSplit::Rows16) {
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 16), [&](const auto &r) {
                const int64_t r0 = r.begin(), m = int64_t(r.size());
                c.middleRows(r0, m).noalias() = a.middleRows(r0, m) * b;
            });
        } else if (split == GemmSplit::Panels) {
            const int64_t panel = (n + threads - 1) / threads;
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, threads, 1), [&](const auto &r) {
                for (int64_t t = r.begin(); t != r.end(); ++t) {
                    const int64_t r0 = t * panel, m = std::min(panel, n - r0);
                    if (m > 0)
                        c.middleRows(r0, m).noalias() = a.middleRows(r0, m) * b;
                }
            });
        } else {
            c.noalias() = a * b;
        }
        const double s = secondsSince(t0);
        if (rep > 0 && s > 0)
            best = std::max(best, 2.0 * double(n) * double(n) * double(n) / s / 1e9);
    }
    volatile double sink = c(0, 0); // keep the product observable
    (void)sink;
    return best;
}

} // namespace cwb::host
