// SPDX-License-Identifier: MIT
#pragma once
// The project file (.cwbproj): an HDF5 file caching a model's analysis next to the identity of
// the model it was made from. Layout, schema version 1 (README.md, "Project file (.cwbproj)
// layout" documents every attribute and dataset):
//
//   /                       @schema = "cwb.project", @schema_version = 1,
//                           @created_by = "Compression Workbench <version>"
//   /model                  @path @format @file_size @file_count @content_hash (hex) @tensors
//   /settings               one string attribute per key (analysis parameters, user settings)
//   /history                optional: the evaluation history (project/evaluation_history.h)
//   /analysis               @seconds @tensor_count
//   /analysis/tensors/<escaped tensor name>
//                           @index @name @canonical @dtype @shape-dataset, stats, view,
//                           histogram/, channels/{rows,cols}/, outliers/{rows,cols}/, spectrum/
//   /analysis/activations   coverage attributes, not_observed, short_weights
//   /analysis/activations/<escaped canonical weight>
//                           @index @input @layer @in_features @tokens, abs_max, mean_abs,
//                           mean_square, outlier_channel, outlier_ratio, hessian (float64,
//                           chunked; weights sharing an input hard-link one dataset)
//   /sensitivity            optional (older builds ignore it): a SensitivityTable
//                           (analysis/sensitivity_table.h) with @key; project_sensitivity.cpp
//
// Names are escaped with h5::escapeName ('/' -> "%2F"); the original is kept in @name/@weight.
// Arrays of 16 KiB or more are chunked with shuffle + deflate; small ones are contiguous.
//
// Writing is atomic: everything goes to "<target>.tmp-<pid>" in the target's directory, which
// is flushed, closed, fsync'ed and renamed over the target (then the directory is fsync'ed). On
// any failure the temporary file is removed and an existing target is left untouched.
// Reading checks the schema and version first: a non-HDF5 file, a truncated one, another schema
// or a newer schema_version each give a cwb::Error naming the file.

#include "analysis/model_analysis.h"
#include "analysis/sensitivity_table.h"
#include "model/model.h"
#include "model/model_fingerprint.h"
#include "project/evaluation_history.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

inline constexpr const char *kProjectSchema = "cwb.project";
inline constexpr int64_t kProjectSchemaVersion = 1;
inline constexpr const char *kProjectExtension = ".cwbproj";

struct Project {
    int64_t schemaVersion = kProjectSchemaVersion; // as read (always this build's when written)
    std::string createdBy;                         // as read; writing records this build
    ModelFingerprint model;                        // the model the analysis belongs to
    ModelAnalysis analysis;
    // Every plan measured on this model, in the order measured (sweep/sweep.h); empty in
    // projects without /history.
    std::vector<HistoryPoint> history;
    std::map<std::string, std::string> settings;
    // The last sensitivity analysis (choose/sensitivity.h); absent in projects without one.
    std::optional<SensitivityTable> sensitivity;
};

// A project holding nothing but the identity of `model` (fingerprinted now): what a
// sensitivity analysis starts from when there is no project file yet.
[[nodiscard]] Project emptyProject(const Model &model);

// A project for `model` (fingerprinted now) holding `analysis`, with the analysis parameters in
// its settings (analysisSettings()).
[[nodiscard]] Project makeProject(const Model &model, ModelAnalysis analysis,
                                  const ModelAnalysisParams &params);

struct ProjectWriteOptions {
    // Test hook: called at the named points of a write ("analysis-written", "closed",
    // "synced"); an exception thrown from it aborts the write exactly as a real I/O failure at
    // that point would (temporary file removed, existing target untouched).
    std::function<void(std::string_view point)> failpoint;
};

// Writes atomically (see above). Throws cwb::Error naming `path` when it cannot.
void writeProject(const std::string &path, const Project &project,
                  const ProjectWriteOptions &options = {});

// Reads a whole project back. Throws cwb::Error naming `path` for anything that is not a
// readable project of schema version <= kProjectSchemaVersion.
[[nodiscard]] Project readProject(const std::string &path);

// Whether a project still describes a model.
struct ProjectMatch {
    bool stale = false;
    std::string reason; // empty when current: "model content changed (hash 1a2b... -> 3c4d...)"
};
[[nodiscard]] ProjectMatch matchProject(const ModelFingerprint &recorded,
                                        const ModelFingerprint &current);

// A project opened for the model that is open now: the analysis is usable only when !stale.
struct OpenedProject {
    Project project;
    ProjectMatch match;
};
[[nodiscard]] OpenedProject openProject(const std::string &path, const Model &model);

// The evaluation history of the project at `path` when it exists and was made for `model`; else
// none. Writing a new analysis over a project keeps the points measured on the same model:
// `cwb analyze` and the GUI's Save project carry them into the project they write. Reads only
// /model and /history (not the analysis, which can be gigabytes of Hessians).
[[nodiscard]] std::vector<HistoryPoint> historyToKeep(const std::string &path,
                                                      const ModelFingerprint &model);

} // namespace cwb
