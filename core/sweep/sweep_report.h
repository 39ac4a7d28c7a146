// SPDX-License-Identifier: MIT
#pragma once
// What `cwb sweep` prints: a table of the points (text) or the "cwb.sweep/1" JSON document
// (README "cwb sweep"), for a sweep run here and for a collected Slurm array alike, with the
// points on the Pareto front of stored bytes and mean KLD marked (sweep/history_chart.h).
//
//   {"schema": "cwb.sweep/1", "mode": "sweep" | "collect", "project", "model",
//    "measured", "stored", "merged" (counts), "points": [POINT + "status": "measured" |
//    "stored" | "merged"], "front": {"x": "bytes", "y": "kld_mean", "keys": [...]},
//    "missing": [{task, name, what}], "failed": [{task, name, what}]}
// POINT is sweep/point_json.h's object.

#include "sweep/slurm_array.h"

#include <string>
#include <vector>

namespace cwb {

enum class PointStatus { Measured, Stored, Merged };

struct SweepReport {
    bool collect = false;     // points merged from a Slurm array, not measured here
    std::string project;      // the project file
    std::string model;        // the model's path
    std::vector<HistoryPoint> points;
    std::vector<PointStatus> status; // one per point
    std::vector<SlurmTaskProblem> missing, failed; // collect only
    std::string rerun;        // collect: the tasks to run again ("2,5"), or empty
    std::string sbatch;       // collect: the array's sweep.sbatch
};

[[nodiscard]] SweepReport sweepReport(const SweepResult &r, const std::string &project,
                                      const std::string &model);
[[nodiscard]] SweepReport collectionReport(const SlurmCollection &c, const std::string &dir,
                                           const std::string &project, const std::string &model);

[[nodiscard]] std::string sweepText(const SweepReport &r);
[[nodiscard]] std::string sweepJson(const SweepReport &r);

// --emit-slurm: what was written and how to run it.
[[nodiscard]] std::string emissionText(const SlurmEmission &e, const std::string &model,
                                       const std::string &project);

} // namespace cwb
