// SPDX-License-Identifier: MIT
#pragma once
// The two accumulation kernels behind activation_stats.h, each a scalar reference and a fast
// path tested against it. Inputs are row-major float blocks X [nRows x cols]; sums are double,
// so that 128 x 512 calibration rows lose nothing to float rounding.

#include <cstdint>
#include <vector>

namespace cwb::analysis {

// Per-channel running sums over all rows seen.
struct ChannelSums {
    int64_t rows = 0;
    std::vector<double> absMax, sumAbs, sumSquare; // cols values each

    explicit ChannelSums(int64_t cols = 0);
};

// Scalar reference: rows in order, channel by channel.
void accumulateChannelsReference(const float *x, int64_t nRows, int64_t cols, ChannelSums &s);
// Fast path: column blocks in parallel on the calling thread's oneTBB arena. Each channel still
// adds its rows in order: absMax equals the reference exactly, the sums to rounding (the
// compiler may contract x*x + s into an FMA differently in the two loops).
void accumulateChannels(const float *x, int64_t nRows, int64_t cols, ChannelSums &s);

// Scalar reference: h[i*cols + j] += sum_r x[r][i] * x[r][j] for the lower triangle (j <= i),
// in double. The upper triangle is not touched.
void accumulateHessianReference(const float *x, int64_t nRows, int64_t cols,
                                std::vector<double> &h);
// Fast path: row blocks converted to double, then X^T X by Eigen GEMMs on column panels of the
// lower triangle, panels in parallel on the calling thread's oneTBB arena. Agrees with the
// reference to double rounding (summation order differs). Also writes the diagonal blocks'
// upper parts; callers read the lower triangle only, then call symmetrizeFromLower.
void accumulateHessian(const float *x, int64_t nRows, int64_t cols, std::vector<double> &h);

// Copies the lower triangle onto the upper one: h becomes exactly symmetric.
void symmetrizeFromLower(std::vector<double> &h, int64_t cols);

} // namespace cwb::analysis
