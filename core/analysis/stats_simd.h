// SPDX-License-Identifier: MIT
#pragma once
// The streaming inner loops of tensor statistics and histograms (analysis/stats_kernels.h,
// analysis/histogram.cpp), compiled once per instruction-set level in their own translation
// units (stats_simd_<level>.cpp, flags in core/CMakeLists.txt) and picked by activeCpuLevel()
// (util/cpu_features.h). The portable build's baseline is x86-64's SSE2, where these loops of
// double sums run two lanes wide; AVX2 runs four, AVX-512 eight.
//
// Every level compiles the same source (stats_simd.inc): the same independent lanes, summed in
// the same order, without contraction into FMA (-ffp-contract=off). So every level gives
// bit-identical results to the baseline, which is what the tests check (tests/test_kernels.cpp);
// the baseline is checked against the scalar references of tensor_stats.h and histogram.h.

#include <cstdint>

namespace cwb {
enum class CpuLevel; // util/cpu_features.h; not included: the per-level files see no std code
}

namespace cwb::stats {

// A piece's (at most kPiece values, all finite) sums: the sum, extremes and zeros of pass 1,
// then the power sums of d = x - mean around mean = sum / n in pass 2.
struct PieceSums {
    double sum = 0;
    float min = 0, max = 0;
    uint64_t zeros = 0;
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
};

// Bins of a histogram in float (analysis/histogram.cpp, countsBlock, explains the margin).
struct SlotParams {
    float lo = 0, scale = 1, binsF = 1, eps = 0;
    float loF = 0, hiF = 0;        // exact float bounds: x < loF is below, x > hiF above
    int32_t last = 0;              // bins - 1
    int32_t above = 0, dropped = 0; // the slots of "above" and of NaN/Inf
};

struct SimdTable {
    // Pass 1 and 2 over x[0..n), 0 < n <= kPiece. Returns false, leaving `out` unspecified, when
    // x holds a NaN or an infinity (the caller then takes its scalar path).
    bool (*piece)(const float *x, int64_t n, PieceSums &out);
    // Column sums of nRows all-finite rows of len values: s1[j] += x - shift[j],
    // s2[j] += (x - shift[j])^2, absMax[j] = max(absMax[j], |x|); rows summed per column in
    // registers, added to the accumulators once.
    void (*columns)(const float *const *rows, int nRows, int64_t len, double *s1, double *s2,
                    float *absMax, const double *shift);
    // Count of x with |x| < t or x == 0 (NaN counts nowhere).
    uint64_t (*nearZero)(const float *x, int64_t n, float t);
    // slot[i] for x[i]: 0 below, 1 + bin, above, or dropped (NaN/Inf); unsure[i] = 1 where the
    // float position lies within eps of a bin edge. Returns whether any is unsure.
    bool (*binSlots)(const float *x, int64_t n, const SlotParams &p, int32_t *slot,
                  uint8_t *unsure);
};

[[nodiscard]] const SimdTable &baselineSimdTable();
[[nodiscard]] const SimdTable &avx2SimdTable();
[[nodiscard]] const SimdTable &avx512SimdTable();
// The table of a level (tests run every supported one), and of activeCpuLevel().
[[nodiscard]] const SimdTable &simdTable(CpuLevel level);
[[nodiscard]] const SimdTable &activeSimdTable();

} // namespace cwb::stats
