// SPDX-License-Identifier: MIT
#pragma once
// Value histograms of weight tensors, with the summary statistics shown beside them.
// NaN and ±Inf never enter the range, the bins or the moments; they are only counted.
// `computeHistogramReference` is the plain scalar reference; `computeHistogram` is the oneTBB
// fast path (per-thread bins, merged) and gives identical bin counts. `tensorHistogram` streams
// a Tensor by row blocks, so a multi-GB tensor is never converted to one float vector.

#include "jobs/job_context.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

struct Tensor;

enum class HistogramRange {
    // [-a, a] with a = max(|min|, |max|): zero sits in the middle, as for symmetric quantizers
    Symmetric,
    MinMax, // [min, max] of the finite values
    // central `clipPercentile` % of the values: [q(100 - p), q(p)], outliers counted apart
    Percentile,
};

struct HistogramParams {
    int bins = 128; // equal-width bins, 1 .. 1'000'000
    HistogramRange range = HistogramRange::Symmetric;
    double clipPercentile = 99.9;           // Percentile only: in (50, 100]
    int64_t blockValues = int64_t{1} << 20; // tensorHistogram: values per streamed block (>= 1 row)
};

struct Histogram {
    // bins + 1 ascending edges; bin i is [edges[i], edges[i+1]), the last one closed
    std::vector<double> edges;
    std::vector<uint64_t> counts; // one per bin
    uint64_t below = 0;           // finite values left of edges.front() (Percentile clipping)
    uint64_t above = 0;           // finite values right of edges.back()
    uint64_t finite = 0;          // values that entered the statistics
    uint64_t nan = 0;
    uint64_t inf = 0;   // +Inf and -Inf
    uint64_t zeros = 0; // exact ±0
    double min = 0;     // of finite values (0 when there are none)
    double max = 0;
    double mean = 0;
    double std = 0; // population standard deviation

    [[nodiscard]] uint64_t total() const { return finite + nan + inf; }
};

// Scalar reference: one value at a time, in order.
[[nodiscard]] Histogram computeHistogramReference(std::span<const float> values,
                                                  const HistogramParams &params);
// Fast path: oneTBB parallel_reduce with per-thread bins. Bin counts equal the reference exactly;
// mean and std agree to rounding. Throws cwb::Cancelled when ctx's flag is set.
[[nodiscard]] Histogram computeHistogram(std::span<const float> values,
                                         const HistogramParams &params, const JobContext &ctx = {});
// Streams the tensor in blocks of whole rows (Tensor::rowsToFloat): one pass for the range and
// moments (two for Percentile), one for the counts. Throws cwb::Error for undecodable tensors and
// cwb::Cancelled between blocks when ctx's flag is set.
[[nodiscard]] Histogram tensorHistogram(const Tensor &tensor, const HistogramParams &params,
                                        const JobContext &ctx = {});

// For callers that know the range of the finite values from a pass of their own (tensorStats'
// fused statistics + histogram): the edges computeHistogram would choose for finite values
// spanning [min, max] under a Symmetric or MinMax range, with zero counts (min > max: no finite
// values, the [-1, 1] range used then). Percentile throws cwb::Error: it needs its own pass.
[[nodiscard]] Histogram histogramFrame(const HistogramParams &params, double min, double max);
// Adds the finite values to h.counts / below / above, binned exactly as above; the moment fields
// are left to the caller.
void addToHistogram(std::span<const float> values, Histogram &h);

} // namespace cwb
