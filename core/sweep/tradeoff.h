// SPDX-License-Identifier: MIT
#pragma once
// The evaluation history as plain chart data: one point per measured plan with x = a size
// (bytes or bits/weight) and y = what it cost (KL divergence, perplexity, decode latency,
// memory), its label and a one-line summary of its recipe, and the Pareto front of the two
// (solve/pareto.h: both minimised) marked. The GUI's trade-off chart draws exactly this; the
// CLI marks the same front in its table.

#include "project/evaluation_history.h"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace cwb {

enum class TradeoffX { Bytes, BitsPerWeight };
enum class TradeoffY {
    KldMean,          // nats per token
    KldP99,
    Perplexity,       // with its standard error as yError
    Top1Disagreement, // 100 - top-1 agreement, %
    DecodeMsPerToken, // 1000 / decode tok/s (points without latency are left out)
    PrefillMsPerToken,
    WeightBytes,
    KvBytes,
    PeakRssMiB,
};

[[nodiscard]] const char *axisLabel(TradeoffX x); // "stored bytes", "bits/weight"
[[nodiscard]] const char *axisLabel(TradeoffY y); // "mean KLD (nats)", ...

struct TradeoffPoint {
    size_t history = 0;        // index in the history given (load its recipe from there)
    std::string key;
    std::string label;         // the point's name
    std::string recipeSummary; // recipeSummary() of its recipe
    double x = 0;
    double y = 0;
    double yError = 0;         // perplexity: its standard error; else 0
    bool original = false;     // the uncompressed model
    bool onFront = false;
};

struct TradeoffChart {
    std::string xLabel, yLabel;
    std::vector<TradeoffPoint> points; // in history order
    std::vector<size_t> front;         // indices into points, by increasing x
    size_t omitted = 0;                // history points without the y value (no latency, ...)
};

// `evaluation`: when non-empty, only points whose "eval.*" settings equal these (one text and
// n_ctx: numbers measured otherwise do not compare).
[[nodiscard]] TradeoffChart
tradeoffChart(const std::vector<HistoryPoint> &history, TradeoffX x, TradeoffY y,
              const std::map<std::string, std::string> &evaluation = {});

// One line for people: "original" without a recipe; else the recipe's name when it has one,
// then what it does, rule by rule ("rtn(bits=4, group=32) on layers.*; q8_0 on embed"),
// shortened to about `width` characters. A recipe that does not parse gives "unreadable
// recipe".
[[nodiscard]] std::string recipeSummary(const std::string &recipeJson, size_t width = 96);

} // namespace cwb
