// SPDX-License-Identifier: MIT
#include "compare/delta_histograms.h"

#include "util/error.h"

#include <string>
#include <vector>

namespace cwb {

namespace {

Histogram histogramOf(const std::vector<float> &values, int bins, HistogramRange range,
                      double percentile = 99.9)
{
    HistogramParams p;
    p.bins = bins;
    p.range = range;
    p.clipPercentile = percentile;
    return computeHistogram(values, p);
}

} // namespace

DeltaHistograms deltaHistograms(const CompareResult &r, const DeltaHistogramParams &params)
{
    if (params.bins < 1 || params.bins > 1'000'000)
        throwIn("compare", "histogram bins " + std::to_string(params.bins)
                               + " outside 1..1000000");
    if (!(params.tokenPercentile > 50.0 && params.tokenPercentile <= 100.0))
        throwIn("compare", "token percentile " + std::to_string(params.tokenPercentile)
                               + " outside (50, 100]");
    DeltaHistograms h;
    h.tokenDeltaNll = histogramOf(r.slices.positionDeltaNll, params.bins,
                                  HistogramRange::Percentile, params.tokenPercentile);
    h.tokenKld = histogramOf(r.slices.positionKld, params.bins, HistogramRange::Percentile,
                             params.tokenPercentile);
    std::vector<float> sliceNll, sliceKld, tensorDelta;
    for (const SliceResult &s : r.slices.evaluated) {
        sliceNll.push_back(static_cast<float>(s.scores.deltaNll));
        sliceKld.push_back(static_cast<float>(s.scores.kld.mean));
    }
    for (const TensorComparison &t : r.tensors)
        if (t.deltaRelativeError)
            tensorDelta.push_back(static_cast<float>(*t.deltaRelativeError));
    // Few values each: their own range, so none falls outside.
    h.sliceDeltaNll = histogramOf(sliceNll, params.bins, HistogramRange::MinMax);
    h.sliceKld = histogramOf(sliceKld, params.bins, HistogramRange::MinMax);
    h.tensorDeltaError = histogramOf(tensorDelta, params.bins, HistogramRange::Symmetric);
    return h;
}

} // namespace cwb
