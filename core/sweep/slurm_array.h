// SPDX-License-Identifier: MIT
#pragma once
// A sweep beyond one machine: `cwb sweep --emit-slurm DIR` writes a Slurm job array with one
// task per point not yet in the project, each task runs that one point (`cwb sweep MODEL --task
// I --out-dir DIR`, what DIR/task.sh does with I = $SLURM_ARRAY_TASK_ID) and writes its result
// as JSON, and `cwb sweep --collect DIR` merges the results into the project's history.
//
// DIR, as emitted (paths in the files are absolute):
//   sweep.json         the manifest, "schema": "cwb.sweep-array/1": created_by, model {path,
//                      format, file_size, file_count, content_hash}, evaluation {text, n_ctx,
//                      chunks, latency, latency_prompt, latency_generate,
//                      integer_activations (absent: false)}, calibration {text
//                      (null: none), sequences, seq_len}, threads, tasks [{task, name, source,
//                      recipe ("recipes/NNN.json", null for the original and references),
//                      reference (the reference file's absolute path, else null), key}]
//   recipes/NNN.json   task NNN's recipe, byte for byte as given
//   sweep.sbatch       #SBATCH --array=0-(N-1), job name, log files; runs task.sh
//   task.sh            runs task $SLURM_ARRAY_TASK_ID with the cwb that emitted the array (or
//                      $CWB)
//   results/NNN.json   written by task NNN, atomically: "schema": "cwb.sweep-result/1", task,
//                      key, status "ok" with point (sweep/point_json.h) or "failed" with error
//   logs/              the tasks' standard output and error
// NNN is the task index, zero-padded to 3 digits. Each task records its own KLD base (one
// evaluation of the original) and its own calibration statistics, since tasks share nothing.

#include "jobs/job_context.h"
#include "project/evaluation_history.h"
#include "sweep/sweep.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct SlurmEmission {
    std::string dir;
    std::vector<std::string> taskNames; // one per task, in task order
    size_t stored = 0;                  // points left out: already in the project
    std::string sbatchPath;
};

// Resolves every point (bad recipes refused, all at once, before anything is written), leaves
// out those already in params.projectPath's history, and writes DIR (which must not exist or
// be empty). `executable`: the cwb the tasks run (empty: "cwb" from PATH). With no point left
// to measure, nothing is written. Throws cwb::Error naming the file or directory.
[[nodiscard]] SlurmEmission emitSlurmArray(const SweepParams &params, const std::string &dir,
                                           const std::string &executable);

// Runs task `task` of an emitted DIR on `model` (which must be the manifest's: same format,
// size and content hash) and writes DIR/results/NNN.json: the point, or the error that stopped
// it (then rethrown). Returns the measured point. cwb::Cancelled writes nothing.
HistoryPoint runSlurmTask(const Model &model, const std::string &dir, int64_t task,
                          const JobContext &job = {});

struct SlurmTaskProblem {
    int64_t task = 0;
    std::string name;
    std::string what; // "missing: results/002.json was not written", or the task's error
};

struct SlurmCollection {
    std::vector<HistoryPoint> merged;  // added to the project now, in task order
    std::vector<HistoryPoint> stored;  // results whose key the project already held
    std::vector<SlurmTaskProblem> missing;
    std::vector<SlurmTaskProblem> failed; // the task's error, or a result file we refuse
    size_t tasks = 0;
    // "2,5": the tasks to run again (sbatch --array=2,5 DIR/sweep.sbatch); empty when none.
    [[nodiscard]] std::string rerunList() const;
};

// Reads DIR/sweep.json and every DIR/results/NNN.json, checks each result (schema, task, the
// manifest's key, the point's fields) and adds the valid ones to the project's history,
// written atomically once at the end (created for `model` when missing). A missing, failed or
// malformed result is listed, never merged, and never stops the others.
[[nodiscard]] SlurmCollection collectSlurmArray(const Model &model, const std::string &dir,
                                                const std::string &projectPath);

} // namespace cwb
