// SPDX-License-Identifier: MIT
#pragma once
// The evaluation history as plain chart data: one point per measured plan with x = a size
// (stored bytes or bits/weight) and y = what it cost (KL divergence, perplexity, decode latency,
// memory), its name and a one-line summary of its recipe, and the Pareto front of the two
// (solve/pareto.h, both minimised) marked. The CLI marks the same front in its table; the GUI's
// Trade-offs dock (widgets/tradeoff_chart.h, which picks its axes itself) takes every measure
// of a point at once, as HistoryPoint holds them.

#include "project/evaluation_history.h"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace cwb {

enum class HistoryX { Bytes, BitsPerWeight };
enum class HistoryY {
    KldMean,          // nats per token
    KldP99,
    Perplexity,       // with its standard error as yError
    Top1Disagreement, // 100 - top-1 agreement, %
    DecodeMsPerToken, // 1000 / decode tok/s (points without latency are left out)
    PrefillMsPerToken,
    MemoryBytes,      // weights + KV cache at n_ctx
    PeakRssMiB,
};

[[nodiscard]] const char *axisLabel(HistoryX x); // "stored bytes", "bits/weight"
[[nodiscard]] const char *axisLabel(HistoryY y); // "mean KLD (nats)", ...

struct HistoryChartPoint {
    size_t history = 0;        // index in the history given (load its recipe from there)
    std::string key;
    std::string name;
    std::string summary;       // historySummary()
    double x = 0;
    double y = 0;
    double yError = 0;         // perplexity: its standard error; else 0
    bool original = false;     // the uncompressed model
    bool reference = false;    // a reference file (HistoryPoint::referencePath): not on the front
    bool onFront = false;
};

struct HistoryChart {
    std::string xLabel, yLabel;
    std::vector<HistoryChartPoint> points; // in history order
    std::vector<size_t> front;             // indices into points, by increasing x (no references)
    size_t omitted = 0;                    // history points without the y value (no latency...)
};

// `evaluation`: when non-empty, only points whose "eval.*" settings equal these (one text and
// n_ctx: numbers measured otherwise do not compare).
[[nodiscard]] HistoryChart historyChart(const std::vector<HistoryPoint> &history, HistoryX x,
                                        HistoryY y,
                                        const std::map<std::string, std::string> &evaluation = {});

// The distinct evaluations of a history -- its points' "eval.*" settings, what one chart may
// compare -- in order of first appearance, each with a label for people ("tinystories.txt,
// n_ctx 64, 3 windows") and how many points were measured with it. `settings` is what
// historyChart's `evaluation` takes.
struct HistoryEvaluation {
    std::map<std::string, std::string> settings;
    std::string label;
    size_t points = 0;
};
[[nodiscard]] std::vector<HistoryEvaluation>
historyEvaluations(const std::vector<HistoryPoint> &history);

// A point's recipe in a line for people: "original" for the model itself, else
// "reference file PATH" for a reference point, recipe/recipe.h's recipeSummary ("rtn 8; defaults: rtn(bits=8, group=-1)"), or "unreadable
// recipe" when it is no recipe at all.
[[nodiscard]] std::string historySummary(const HistoryPoint &point);

} // namespace cwb
