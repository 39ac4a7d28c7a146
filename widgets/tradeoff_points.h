// SPDX-License-Identifier: MIT
#pragma once
// The trade-off chart's points from what the window measured: one per finished evaluation run
// (its model size and bits/weight, perplexity, mean KLD when it was compared with a base, decode
// latency when it was measured, weights + KV memory) with the recipe of the compressed weights
// it ran, so clicking the point can load that recipe; or one per point of the project's
// evaluation history (sweeps), with its recipe. A view of the measurements, nothing computed.

#include "tradeoff_chart.h"

#include "project/evaluation_history.h"

#include <map>
#include <string>
#include <vector>

namespace cwb::gui {

struct EvaluationRun;

[[nodiscard]] std::vector<TradeoffPoint> tradeoffPointsOf(const std::vector<EvaluationRun> &runs);

// One point per history point measured with `evaluation` (sweep/history_chart.h's
// historyEvaluations() settings; empty: all), reference files marked as references.
[[nodiscard]] std::vector<TradeoffPoint>
tradeoffPointsOf(const std::vector<cwb::HistoryPoint> &history,
                 const std::map<std::string, std::string> &evaluation);

} // namespace cwb::gui
