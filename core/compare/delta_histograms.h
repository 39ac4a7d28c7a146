// SPDX-License-Identifier: MIT
#pragma once
// The distributions behind a comparison's means, as histograms the comparison view draws: how
// B's NLL and KL divergence spread over the scored tokens and over the slices, and how the
// per-tensor errors moved (B's relative error minus A's). Means hide whether a few tokens or
// slices carry the damage; these show it.

#include "analysis/histogram.h"
#include "compare/compare.h"

namespace cwb {

struct DeltaHistogramParams {
    int bins = 40;               // per histogram, 1 .. 1'000'000
    // Token histograms span the central `tokenPercentile` % of the values (the rest counted in
    // below/above): a handful of extreme tokens would otherwise squeeze the rest into one bin.
    double tokenPercentile = 99.0; // in (50, 100]
};

struct DeltaHistograms {
    Histogram tokenDeltaNll;    // per scored token: NLL of B minus NLL of A (nats)
    Histogram tokenKld;         // per scored token: KLD of B from A (nats)
    Histogram sliceDeltaNll;    // per evaluated slice: mean NLL difference
    Histogram sliceKld;         // per evaluated slice: mean KLD
    Histogram tensorDeltaError; // per tensor with both errors known: relative error B - A
};

// Throws cwb::Error for bins or tokenPercentile out of range. An empty distribution (no tensor
// with both errors known) gives a histogram with finite == 0.
[[nodiscard]] DeltaHistograms deltaHistograms(const CompareResult &result,
                                              const DeltaHistogramParams &params = {});

} // namespace cwb
