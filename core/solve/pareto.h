// SPDX-License-Identifier: MIT
#pragma once
// The Pareto front of a set of plans measured on two costs, both to be minimised (bytes and KL
// divergence, bits/weight and perplexity, ...): the points no other point dominates. A point
// dominates another when it is no worse on both costs and better on at least one. Exact ties (the
// same pair twice) dominate neither, so both are on the front. Points with a NaN cost are never on
// it (nothing can be said about them) and never dominate.

#include <cstddef>
#include <vector>

namespace cwb {

struct CostPoint {
    double x = 0; // first cost (e.g. bytes)
    double y = 0; // second cost (e.g. mean KLD)
};

// Indices of the points on the front, ordered by increasing x (ties by index). O(n log n).
[[nodiscard]] std::vector<size_t> paretoFront(const std::vector<CostPoint> &points);

// Plain O(n^2) reference: every point that no other dominates, in index order.
[[nodiscard]] std::vector<size_t> paretoFrontReference(const std::vector<CostPoint> &points);

} // namespace cwb
