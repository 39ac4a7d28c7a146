// SPDX-License-Identifier: MIT
#pragma once
// A comparison as the comparison view's charts take it: the per-tensor errors of both sides
// (compare/tensor_compare.h) as pairs of bars, the Δ histograms (compare/delta_histograms.h) as
// histogram series, and the behavioural check as an HTML table with each continuation's first
// divergent token highlighted. Formatting only: every number comes from core.

#include "compare_delta_chart.h"
#include "compare_error_chart.h"

#include "compare/compare.h"
#include "compare/delta_histograms.h"

#include <QString>

#include <vector>

namespace cwb::gui {

enum class CompareErrorMetric { Relative, Output };

// The tensors either side compressed (the others are unchanged on both), in A's order, with
// each side's error against the original (NaN where the side does not know it).
[[nodiscard]] std::vector<CompareErrorEntry> compareErrorEntries(const cwb::CompareResult &r,
                                                                 CompareErrorMetric metric);

// ΔNLL and KLD per token, the same per slice, and the per-tensor change of the relative error.
[[nodiscard]] std::vector<DeltaDistribution> deltaDistributions(const cwb::DeltaHistograms &h);

// One row per prompt, the earliest divergence first and identical ones last: the prompt and
// where the continuations part, then A's and B's side by side: the text both generated alike,
// then each one's own continuation highlighted.
[[nodiscard]] QString behaviourHtml(const cwb::BehaviourComparison &b, const QString &nameA,
                                    const QString &nameB);

// "9 of 12 prompts keep their first 16 tokens (75 %); 7 identical throughout"
[[nodiscard]] QString behaviourSummary(const cwb::BehaviourComparison &b);

} // namespace cwb::gui
