// SPDX-License-Identifier: MIT
#pragma once
// The trade-off chart's points from what the window measured: one per finished evaluation run
// (its model size and bits/weight, perplexity, mean KLD when it was compared with a base, decode
// latency when it was measured, weights + KV memory) with the recipe of the compressed weights
// it ran, so clicking the point can load that recipe. A view of the runs, nothing computed.

#include "tradeoff_chart.h"

#include <vector>

namespace cwb::gui {

struct EvaluationRun;

[[nodiscard]] std::vector<TradeoffPoint> tradeoffPointsOf(const std::vector<EvaluationRun> &runs);

} // namespace cwb::gui
