// SPDX-License-Identifier: MIT
#pragma once
// A sweep: a list of plans (the original model, uniform baselines, solver outputs, a user's
// recipes, and reference files: other compressed files of the same model) each compressed (pipeline/pipeline.h) and evaluated with the engine
// (eval/evaluation.h) on one text with one setting, so they can be compared on the trade-off
// charts (sweep/history_chart.h). Per point: stored bytes and bits/weight, perplexity ±
// stderr, mean and p99 KL divergence and top-1 agreement against the original's logits,
// optionally measured prefill and decode tokens/s, weight and KV-cache bytes and the peak RSS.
//
// How it runs:
//   1. every recipe is parsed and resolved against the model before any work; all that fail
//      are reported at once, each naming its file;
//   2. each point gets its key (sweep/sweep_key.h); with a project, points whose key is already
//      in its history are not measured again (resume) but reported from the history;
//   3. the original model is evaluated once, recording its logits as the KLD base in a
//      temporary file (removed afterwards) that every other point compares against; when the
//      original is itself a point to measure, that same run is its measurement;
//   4. calibration statistics (with Hessians when a method needs them) are collected once, on
//      the first point that needs them, and shared by the others;
//   5. after each measured point the project is written (atomically, project/project_file.h),
//      so an interrupted sweep (cancel, kill) keeps every point it finished.
// Cancellation (JobContext) is polled between points and inside compression and evaluation;
// cwb::Cancelled leaves the project as written after the last finished point.

#include "jobs/job_context.h"
#include "model/model.h"
#include "project/project_file.h"
#include "sweep/sweep_key.h"

#include <functional>
#include <string>
#include <vector>

namespace cwb {

struct SweepPointSpec {
    std::string name;       // for people: "original", the recipe file's name without .json
    std::string recipeJson; // the recipe as given; empty: the original model (or a reference)
    std::string source;     // where the recipe came from (its path), for messages
    // A reference point: another file of the same model (llama.cpp's own Q4_K_M GGUF of it,
    // say) evaluated by our engine as it is stored, against the original's logits; it must
    // have the original's vocabulary. Empty for the original and for recipes.
    std::string modelPath;
};

// The original model's point, then one per recipe file in the order given.
[[nodiscard]] SweepPointSpec originalPoint();
// Reads a recipe file (16 MiB at most) as a point named after the file. Throws cwb::Error
// naming it.
[[nodiscard]] SweepPointSpec recipePoint(const std::string &path);
// A reference file as a point named after the file (checked when the sweep prepares it).
[[nodiscard]] SweepPointSpec referencePoint(const std::string &path);
// The *.json files of a directory, by name. Throws cwb::Error when it is no directory or holds
// none.
[[nodiscard]] std::vector<std::string> recipeFilesIn(const std::string &dir);

// Why a point was reported: measured now, or found in the project's history.
enum class PointSource { Measured, Stored };

struct SweepEvent {
    size_t index = 0; // in SweepParams::points
    size_t total = 0;
    const HistoryPoint &point;
    PointSource source = PointSource::Measured;
};

struct SweepParams {
    const Model *model = nullptr; // the open model (required)
    std::vector<SweepPointSpec> points;
    SweepEvaluation evaluation;
    SweepCalibration calibration;
    int threads = 0;              // compression and engine threads; 0 = all cores
    // The project whose history is resumed and extended; created for the model when missing,
    // refused when it belongs to another model. Empty: no project (nothing is skipped or
    // written).
    std::string projectPath;
    std::string workDir;          // the KLD base's temporary file; empty: the system's temp dir
    // After each point, measured (the project already written) or stored, in order; may set
    // the job's cancel flag to stop the sweep there.
    std::function<void(const SweepEvent &)> onPoint;
};

struct SweepResult {
    std::vector<HistoryPoint> points; // one per SweepParams::points, in that order
    std::vector<PointSource> sources;
    size_t measured = 0;     // points compressed (recipes) or evaluated (original) now
    size_t compressions = 0; // compressModel runs
    size_t evaluations = 0;  // runEvaluation runs, the KLD base's included
};

// Throws cwb::Error (bad recipes, all at once; a project of another model; failures naming the
// point) or cwb::Cancelled.
[[nodiscard]] SweepResult runSweep(const SweepParams &params, const JobContext &job = {});

// The project a sweep extends: read (refused, naming it, when it belongs to another model) or,
// when the file does not exist, a new one holding the model's identity.
[[nodiscard]] Project sweepProject(const std::string &path, const ModelFingerprint &model);

// The key of every point, in order, without running anything (what --emit-slurm and
// --collect compare). Throws like runSweep's first step.
[[nodiscard]] std::vector<std::string> sweepKeys(const SweepParams &params);

} // namespace cwb
