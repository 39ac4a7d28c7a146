// SPDX-License-Identifier: MIT
#pragma once
// Summary statistics of a weight tensor, per-channel norms and outlier channels.
//
// Definitions (all over the finite values only; NaN and +-Inf are just counted):
//   mean, std       population standard deviation sqrt(m2 / n)
//   skewness        m3 / m2^1.5                     (0 for a symmetric distribution)
//   kurtosis        EXCESS kurtosis m4 / m2^2 - 3   (0 for a Gaussian, > 0 for heavy tails)
//   with mk = (1/n) sum (x - mean)^k; skewness and kurtosis are 0 when m2 == 0.
//   near-zeros      |x| < nearZero * absMax (nearZero default 1e-3); exact zeros are included
//                   in the near-zeros (and also counted alone in `zeros`).
// Channels are the rows (output channels) and columns (input features) of the tensor's
// MatrixView (analysis/matrix_view.h): Keras kernels are transposed/reshaped so that rows are
// always output channels. Per-channel statistics skip non-finite values.
// Per-channel statistics are omitted (empty vectors) for 0-D/1-D tensors, whose channels would
// be single values, and when either stored dimension exceeds 4,194,304 channels.
// Outliers: a channel is an outlier when its abs-max exceeds outlierFactor x the median of all
// channel abs-maxes of that axis (for an even count the mean of the two middle ones); with a
// median of 0 no channel is called an outlier (the ratio is undefined).
//
// `tensorStatsReference` is the plain scalar two-pass double loop over a float copy of the
// whole tensor (tests, small tensors). `tensorStats` is the fast path: it streams the tensor
// in blocks of whole stored rows (never the whole tensor as floats; mapped F32 is read in
// place), runs oneTBB over blocks and merges per-piece (count, mean, M2, M3, M4) partials in
// double with Pebay's pairwise formulas (analysis/stats_kernels.h); a second streamed pass
// counts the near-zeros (their threshold needs the global abs-max). Column sums are shifted by
// the first row's values, so the one-pass column variance does not cancel.

#include "analysis/histogram.h"
#include "analysis/matrix_view.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cwb {

struct Tensor;

struct TensorStatsParams {
    double nearZero = 1e-3; // near-zero threshold relative to the tensor's abs-max
    double outlierFactor = 6.0; // k: outlier when channel abs-max > k x median channel abs-max
    bool perChannel = true; // false: skip channel statistics and outliers (1 pass cheaper)
    int maxOutliersListed = 256; // per axis, largest ratio first; `count` holds the full number
    int64_t blockValues = int64_t {1} << 20; // values per streamed block (>= 1 stored row)
};

struct ChannelStats {
    // One entry per channel (rows: view.rows, columns: view.cols); empty when not computed.
    std::vector<float> absMax;
    std::vector<float> l2Norm; // sqrt(sum x^2)
    std::vector<float> std; // population std of the channel's finite values
};

struct OutlierChannel {
    int64_t index = 0; // row or column of the matrix view
    double absMax = 0;
    double ratio = 0; // absMax / median channel abs-max
};

struct OutlierReport {
    double median = 0; // median channel abs-max
    double threshold = 0; // outlierFactor * median
    int64_t count = 0; // all outlier channels
    std::vector<OutlierChannel> channels; // at most maxOutliersListed, ratio descending
};

struct TensorStats {
    std::string name;
    std::vector<int64_t> shape; // as stored
    MatrixView view; // rows/cols used for channels; view.reshape says if reshaped

    uint64_t count = 0; // all values
    uint64_t finite = 0;
    uint64_t nan = 0;
    uint64_t posInf = 0;
    uint64_t negInf = 0;
    uint64_t zeros = 0; // exact +-0
    uint64_t nearZeros = 0; // |x| < nearZeroThreshold (zeros included)
    double nearZeroThreshold = 0; // nearZero * absMax

    double min = 0; // of finite values; all 0 when there are none
    double max = 0;
    double absMax = 0;
    double mean = 0;
    double std = 0;
    double skewness = 0;
    double kurtosis = 0; // excess

    ChannelStats rowStats; // output channels
    ChannelStats colStats; // input features
    OutlierReport rowOutliers;
    OutlierReport colOutliers;

    [[nodiscard]] double zeroFraction() const { return count ? double(zeros) / double(count) : 0; }
    [[nodiscard]] double nearZeroFraction() const
    {
        return count ? double(nearZeros) / double(count) : 0;
    }
};

// Plain reference: whole tensor to floats, straight double loops, two passes.
[[nodiscard]] TensorStats tensorStatsReference(const Tensor &tensor, const MatrixView &view,
                                               const TensorStatsParams &params = {});
// Fast streaming path (see above). Throws cwb::Error for undecodable tensors or bad params and
// cwb::Cancelled between blocks when ctx's flag is set.
[[nodiscard]] TensorStats tensorStats(const Tensor &tensor, const MatrixView &view,
                                      const TensorStatsParams &params = {},
                                      const JobContext &ctx = {});
// tensorStats and the value histogram in the same two streamed passes: the histogram's range
// comes from the first pass, its counts from the second, beside the near-zero count. This is
// what an Analyze job wants per tensor (half the reads of tensorStats + tensorHistogram).
// Symmetric and MinMax ranges only (Percentile throws cwb::Error: use tensorHistogram). The
// histogram equals tensorHistogram's: bin counts exactly, mean and std to rounding.
[[nodiscard]] TensorStats tensorStatsWithHistogram(const Tensor &tensor, const MatrixView &view,
                                                   const TensorStatsParams &params,
                                                   const HistogramParams &histogramParams,
                                                   Histogram &histogram,
                                                   const JobContext &ctx = {});
// Outlier detection on given channel abs-maxes (shared by both paths; exposed for tests/UI).
[[nodiscard]] OutlierReport findOutliers(std::span<const float> channelAbsMax, double factor,
                                         int maxListed);

// Statistics of every decodable tensor of `model`, tensors in parallel (oneTBB). `onTensor` is
// called as each tensor finishes (index into model.tensors), from worker threads but never
// concurrently. Undecodable tensors are skipped (no callback, default entry in the result).
// Returns one entry per model tensor, in model order.
[[nodiscard]] std::vector<TensorStats>
statsForModel(const Model &model, const TensorStatsParams &params, const JobContext &ctx = {},
              const std::function<void(size_t index, const TensorStats &)> &onTensor = {});

} // namespace cwb
