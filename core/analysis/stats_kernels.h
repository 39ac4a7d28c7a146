// SPDX-License-Identifier: MIT
#pragma once
// The inner kernels of tensorStats (analysis/tensor_stats.h), separate so they can be tested and
// benchmarked alone. A "piece" is at most kPiece consecutive values of one stored row: small
// enough to stay in L1 for the two in-cache passes (mean, then central powers) that make its
// moments exact; pieces then merge with Pebay's formulas (analysis/moments.h). The loops over
// values themselves are the per-level kernels of analysis/stats_simd.h.

#include "analysis/moments.h"

#include <cstdint>
#include <limits>

namespace cwb::stats {

constexpr int64_t kPiece = 4096;

struct Scalars {
    Moments4 m; // finite values
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    uint64_t nan = 0, posInf = 0, negInf = 0, zeros = 0;

    void merge(const Scalars &o);
};

// One stored row's moments, merged piece by piece (Chan et al.).
struct RowAcc {
    double n = 0, mean = 0, m2 = 0;
    float absMax = 0;

    void merge(double nb, double meanb, double m2b, float absMaxb);
};

// Column accumulators of one thread. Column c gets y = x - shiftD[c]: s1 += y, s2 += y^2,
// absMax = max |x|; non-finite x only bump bad[c]. The shift (a value of the column) keeps the
// one-pass variance s2/n - (s1/n)^2 free of cancellation.
struct ColumnSink {
    double *s1 = nullptr;
    double *s2 = nullptr;
    float *absMax = nullptr;
    uint64_t *bad = nullptr;
    const double *shiftD = nullptr;
};

// Adds x[0..n) (n <= kPiece) to the scalars and to `row` (if not null). Vectorised fast path
// for all-finite pieces, scalar path otherwise. Returns whether all values were finite.
bool accumulatePiece(const float *x, int64_t n, Scalars &s, RowAcc *row);

// Adds `nRows` rows of `len` values, row r starting at rows[r], to columns col0..col0+len of
// `cols`. The rows of a group are summed per column strip in L1 first, so each accumulator is
// read and written once per group rather than once per row. `allFinite` (from accumulatePiece)
// selects the vectorised path; otherwise NaN/Inf are skipped and counted in bad[].
constexpr int kColumnGroup = 8;
void accumulateColumns(const float *const *rows, int nRows, int64_t len, const ColumnSink &cols,
                       int64_t col0, bool allFinite);

// Number of finite x with |x| < threshold (compared as double), or x == 0.
[[nodiscard]] uint64_t countNearZero(const float *x, int64_t n, double threshold);

} // namespace cwb::stats
