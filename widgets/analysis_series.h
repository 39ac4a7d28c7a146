// SPDX-License-Identifier: MIT
#pragma once
// Turns core's analysis results into the plain series the chart classes draw: a tensor's
// spectrum (SpectrumSeries), its channel panels (ChannelPanel: weights and, when calibrated,
// activations) and the outlier markers of its histogram. Pure functions, no QCustomPlot, so the
// texts and numbers the Inspector shows are tested without a window.

#include "channels_chart.h"
#include "histogram_chart.h"
#include "spectrum_chart.h"

#include <QString>

#include <vector>

namespace cwb {
struct ActivationStats;
struct TensorAnalysis;
struct TensorStats;
struct MatrixView;
} // namespace cwb

namespace cwb::gui {

// "layers.0.attn.q   (blk.0.attn_q.weight)", or the name alone when there is no other.
[[nodiscard]] QString tensorTitle(const QString &name, const QString &canonical);

// How the tensor became the out x in matrix the spectrum and channels use; empty when it
// already was one.
[[nodiscard]] QString matrixViewNote(const std::vector<int64_t> &shape,
                                     const cwb::MatrixView &view);

// The spectrum of an analysed tensor; without one (not requested, a vector, skipped) the series
// has no singular values and its title says why.
[[nodiscard]] SpectrumSeries spectrumSeries(const cwb::TensorAnalysis &analysis);

// Panels: weight output channels, weight input channels, activation input channels. The last
// one shows "no calibration data" when `activations` is null, and says so when the calibration
// run did not observe this tensor. Empty for tensors without per-channel statistics.
[[nodiscard]] std::vector<ChannelPanel> channelPanels(const cwb::TensorAnalysis &analysis,
                                                      const cwb::ActivationStats *activations,
                                                      double outlierFactor);

// Vertical markers at +-threshold of the output- and input-channel outlier tests: values beyond
// them occur only in outlier channels.
[[nodiscard]] std::vector<HistogramMarker> outlierMarkers(const cwb::TensorStats &stats,
                                                          double outlierFactor);
// One line under the histogram: outlier channel counts and thresholds (empty for tensors
// without channels).
[[nodiscard]] QString outlierNote(const cwb::TensorStats &stats, double outlierFactor);

} // namespace cwb::gui
