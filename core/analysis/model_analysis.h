// SPDX-License-Identifier: MIT
#pragma once
// The whole analysis of a model in one call: per tensor statistics (with per-channel arrays and
// outlier channels), a histogram and, on request, the singular-value spectrum with its derived
// metrics; with a calibration text, the input-activation statistics of every linear (and, on
// request, their Hessians X^T X). The GUI's Analyze action and `cwb analyze` both call this.
//
// Tensors run in parallel (oneTBB, inside an arena of `threads`); each finished tensor is handed
// to `onTensor` at once so views can fill in while the rest is computed. The activation run
// follows the tensors (the engine uses every core itself). Progress: tensors take [0, 0.5] of
// the fraction when a calibration text is given, [0, 1] otherwise, weighted by value count.
// A cancelled JobContext stops the work between tensors/blocks/sequences with cwb::Cancelled.

#include "analysis/activation_stats.h"
#include "analysis/histogram.h"
#include "analysis/spectrum.h"
#include "analysis/tensor_stats.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct ModelAnalysisParams {
    TensorStatsParams stats;         // near-zero threshold, outlier factor, per-channel arrays
    HistogramParams histogram;       // 128 symmetric bins by default
    bool spectra = false;            // singular values + derived metrics (the costly part)
    SpectrumParams spectrum;
    std::string calibrationText;     // UTF-8 text file; empty: no activation statistics
    ActivationParams activations;    // sequences, length, collectHessians, ...
    int threads = 0;                 // tensor-level parallelism; 0 = all cores
};

// Everything computed for one tensor of the model.
struct TensorAnalysis {
    size_t index = 0;        // into Model::tensors
    std::string name;        // as spelled in the file
    std::string canonical;   // empty when the tensor has no known role
    std::string dtype;       // Tensor::typeLabel()
    std::vector<int64_t> shape;
    // Non-empty: the tensor was not analysed (undecodable type, unreadable bytes) and why; the
    // other fields are then defaults.
    std::string skipped;
    TensorStats stats;
    Histogram histogram;
    // When spectra were not asked for, spectrum.skipped is "spectra not requested"; a 1-D,
    // oversized or non-finite tensor has its own reason there.
    Spectrum spectrum;
    double seconds = 0; // wall time spent on this tensor

    [[nodiscard]] bool hasSpectrum() const { return skipped.empty() && spectrum.skipped.empty(); }
};

struct ModelAnalysis {
    std::vector<TensorAnalysis> tensors;     // one per model tensor, in model order
    std::optional<ActivationStats> activations; // set when a calibration text was given
    double seconds = 0;                      // wall time of the whole analysis

    [[nodiscard]] const TensorAnalysis *find(std::string_view nameOrCanonical) const;
};

// Runs from worker threads, never concurrently with itself; must not throw.
using TensorAnalysisCallback = std::function<void(const TensorAnalysis &)>;

// Throws cwb::Cancelled when ctx's flag is set, and cwb::Error for bad params or a calibration
// run that cannot start (no tokenizer, text too short, unsupported architecture). A tensor that
// cannot be read is recorded with `skipped` set, not thrown.
[[nodiscard]] ModelAnalysis analyzeModel(const Model &model, const ModelAnalysisParams &params,
                                         const JobContext &ctx = {},
                                         const TensorAnalysisCallback &onTensor = {});

// The parameters as "key" -> "value" strings (what a project's /settings records), e.g.
// "histogram.bins" -> "128", "spectra" -> "true", "calibration.text" -> "/path/file.txt".
[[nodiscard]] std::map<std::string, std::string>
analysisSettings(const ModelAnalysisParams &params);

} // namespace cwb
