// SPDX-License-Identifier: MIT
#pragma once
// Measuring recipes side by side, as the solver's verification does: each recipe is compressed
// by the pipeline (all with one set of calibration statistics, collected once, so every method
// quantizes exactly as `cwb compress` would) and evaluated twice:
//   - on the held-out text, KL divergence against the original model's saved logits
//     (llama.cpp's protocol, as `cwb eval --kld-base`): the measure of record;
//   - on the sensitivity analysis's calibration windows (analysis/kld_windows.h), the same
//     measure the additive prediction sums, so "how far the prediction was off" compares like
//     with like.
// Baselines: the uniform recipes of a candidate set -- one option on every matrix that can store
// it; for a ggml type, llama-quantize --pure with its fallback where rows are not whole blocks;
// for another option, Q8_0 on the matrices it cannot store (F16 where Q8_0 does not tile the
// rows), as llama.cpp keeps what it cannot quantize at high precision -- and llama.cpp's Q4_K_M
// mixture (recipe/llama_mixture.h).

#include "analysis/activation_stats.h"
#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "analysis/kld_windows.h"
#include "eval/evaluation.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/recipe.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

struct RecipeBenchParams {
    std::string calibrationPath;      // statistics and the calibration windows
    int64_t statisticsSequences = 64; // as `cwb compress` (and the sensitivity analysis)
    int64_t statisticsTokensPerSequence = 256;
    KldWindowParams windows;          // the sensitivity analysis's
    std::string evalTextPath;         // held-out text
    int64_t nCtx = 0;                 // 0: min(256, the model's context length)
    int64_t chunks = 100;             // evaluation windows; 0 = all
    int threads = 0;                  // 0 = all cores
};

struct RecipeMeasurement {
    std::string name;                 // "solver", "uniform q4_k", "llama.cpp Q4_K_M"
    std::string problem;              // non-empty: not measured, and why
    uint64_t bytes = 0;               // whole model, as compressed
    double bitsPerWeight = 0;
    std::optional<double> predicted;  // summed dKLD of the table's cells, when all are in it
    double calibrationKld = 0;        // mean KL on the calibration windows
    KldSummary eval;                  // mean KL and friends on the held-out text
    double ppl = 0;                   // on the held-out text
};

class RecipeBench {
public:
    // Collects the statistics, the windows' base distributions and the original's logits on
    // the held-out text (a temporary file, removed with the bench).
    RecipeBench(const Model &model, const RecipeBenchParams &params, const JobContext &ctx = {});
    ~RecipeBench();
    RecipeBench(const RecipeBench &) = delete;
    RecipeBench &operator=(const RecipeBench &) = delete;

    // A recipe that does not resolve comes back with `problem` set; errors while compressing or
    // evaluating are thrown.
    [[nodiscard]] RecipeMeasurement measure(const std::string &name, const Recipe &recipe,
                                            const SensitivityTable *table,
                                            const JobContext &ctx = {});
    // The recipe's whole-model bytes from the dry run, or nullopt when it does not resolve.
    [[nodiscard]] std::optional<uint64_t> plannedBytes(const Recipe &recipe) const;

    [[nodiscard]] double basePpl() const { return basePpl_; }
    [[nodiscard]] int64_t evalPositions() const { return evalPositions_; }
    [[nodiscard]] int64_t nCtx() const { return nCtx_; }

private:
    // The held-out evaluation every measurement runs (the original's and each recipe's).
    [[nodiscard]] EvalParams heldOutEval() const;

    const Model &model_;
    RecipeBenchParams params_;
    ActivationStats stats_;
    std::unique_ptr<KldWindows> windows_;
    std::string basePath_;
    double basePpl_ = 0;
    int64_t evalPositions_ = 0;
    int64_t nCtx_ = 0;
};

// What a verification measured: the solver's recipe first, then the baselines.
struct Verification {
    std::string evalTextPath;
    int64_t nCtx = 0, chunks = 0, positions = 0;
    double basePpl = 0;
    std::vector<RecipeMeasurement> rows;
};

struct NamedRecipe {
    std::string name;
    Recipe recipe;
    bool reference = false; // a published mixture: compared at any size
};

// "uniform ID" for every option of the table other than keep, stored exactly by `target`, whose
// uniform recipe resolves (see above), then "llama.cpp Q4_K_M".
[[nodiscard]] std::vector<NamedRecipe> baselineRecipes(const Model &model,
                                                       const SensitivityTable &table,
                                                       TargetFormat target);

} // namespace cwb
