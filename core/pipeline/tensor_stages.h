// SPDX-License-Identifier: MIT
#pragma once
// The three stages the pipeline (pipeline/pipeline.h) runs on one matrix, each reading one
// SlotPlan of a resolved plan: the recipe's parameter names mapped onto the methods' params
// structs. Kept apart from the orchestration so each stage can be tested on its own.

#include "compress/awq.h"
#include "compress/compressed_model.h"
#include "compress/stored_matrix.h"
#include "recipe/plan.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

struct ActivationStats;
struct JobContext;
struct Model;
struct Tensor;

namespace stages {

// What a matrix's input looked like on the calibration text (all optional).
struct InputStats {
    std::shared_ptr<const std::vector<double>> hessian; // raw X^T X, cols x cols; null: none
    int64_t tokens = 0;
    std::vector<double> meanSquare; // per input channel; empty: none
    std::vector<double> meanAbs;    // per input channel; empty: none
    [[nodiscard]] bool empty() const { return !hessian && meanSquare.empty(); }
};

// The recipe's awq parameters (group -1 = per row) as AwqParams (group 0 = per row).
[[nodiscard]] AwqParams awqParamsOf(const SlotPlan &s);

// The statistics collected for a layer projection's input (empty for other tensors).
[[nodiscard]] InputStats inputStatsOf(const ActivationStats *stats, const std::string &canonical);

// A tensor as the float matrix the stages work on: rows x cols in the Linear layout [out x in]
// (Hugging Face GPT-2's Conv1D projections, stored [in x out], are transposed).
struct Matrix {
    std::vector<float> values;
    int64_t rows = 0, cols = 0;
    bool transposed = false; // the tensor is stored [in x out]
};
[[nodiscard]] Matrix loadMatrix(const Model &model, const Tensor &t);

// Fills the report of `ct` (whose stored parts are final): relative and output error against
// the original values, exact stored bytes, bits per weight.
void finishReport(CompressedTensor &ct, const std::vector<float> &original, const InputStats &in,
                  bool wantOutputError);

// The statistics of A's input (B x) from those of x: H_A = B H B^T; without H, mean x^2 of B x
// assuming independent channels; mean |x| is taken as the RMS.
[[nodiscard]] InputStats factorInputStats(const InputStats &x, const std::vector<float> &b,
                                          int64_t rank, int64_t cols);

struct PruneOutcome {
    std::vector<float> weights;   // pruned positions exactly 0
    std::vector<uint8_t> keep;    // bitmap, 1 = kept
    std::vector<uint8_t> nmIndices;
    int nmN = 0, nmM = 0;
    double sparsity = 0;          // fraction removed
    uint64_t maskBytes = 0;       // bitmap or N:M indices as pruning.h stores them
};
[[nodiscard]] PruneOutcome prune(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                 int64_t cols, const InputStats &in, const JobContext &job);

struct LowRankOutcome {
    std::vector<float> a, b; // rows x rank, rank x cols
    int64_t rank = 0;
    double truncationError = 0;
};
[[nodiscard]] LowRankOutcome lowRank(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                     int64_t cols, const InputStats &in, const JobContext &job);

// `keepType`: what "keep" stores. `keepMask`: a pruning bitmap gptq must respect (or null).
[[nodiscard]] StoredMatrix quantize(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                    int64_t cols, const InputStats &in, DType keepType,
                                    const uint8_t *keepMask, const JobContext &job,
                                    std::vector<std::string> &notes);

} // namespace stages
} // namespace cwb
