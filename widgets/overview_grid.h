// SPDX-License-Identifier: MIT
#pragma once
// What the Model Overview heat map shows: where each tensor sits (columns: "model" for the
// embedding/head/final norm, then layers 0..N-1, then other named groups such as Keras layers;
// rows: roles in forward order, attn_norm, attn.q ... mlp.down, then the model-level roles) and
// the value of the chosen metric for each. Tensors without a canonical role are left out.
// Pure functions over core's results, no QCustomPlot.

#include "overview_heatmap.h"

#include <QString>
#include <QStringList>

#include <cstddef>
#include <functional>
#include <vector>

namespace cwb {
struct ActivationStats;
struct Model;
struct TensorAnalysis;
} // namespace cwb

namespace cwb::gui {

enum class OverviewMetric {
    AbsMax,
    Std,
    Kurtosis,
    OutlierChannels,
    StableRank,
    EffectiveRank,
    EnergyRank90,
    EnergyRank99,
    Alpha,
    ActivationAbsMax,
    ActivationOutliers,
};

// In the order the metric box lists them.
[[nodiscard]] std::vector<OverviewMetric> overviewMetrics();
[[nodiscard]] QString overviewMetricName(OverviewMetric metric);
// Computed only with spectra / only with a calibration text.
[[nodiscard]] bool metricNeedsSpectra(OverviewMetric metric);
[[nodiscard]] bool metricNeedsCalibration(OverviewMetric metric);

// The metric's value for one tensor; NaN when it has none (1-D tensor for a channel metric, no
// spectrum, no activation statistics, tensor skipped).
[[nodiscard]] double overviewValue(const cwb::TensorAnalysis &analysis,
                                   const cwb::ActivationStats *activations, OverviewMetric metric);

struct OverviewLayout {
    QStringList columns;
    QStringList rows;
    std::vector<int> cells; // rows x columns, row-major: model tensor index, -1 for none

    [[nodiscard]] int tensorAt(int row, int column) const;
};

[[nodiscard]] OverviewLayout overviewLayout(const cwb::Model &model);

// The heat map for `metric`: cells of tensors without a result yet are NaN (grey).
[[nodiscard]] HeatmapGrid
overviewGrid(const cwb::Model &model, const OverviewLayout &layout, OverviewMetric metric,
             const std::function<const cwb::TensorAnalysis *(size_t index)> &result,
             const cwb::ActivationStats *activations);

} // namespace cwb::gui
