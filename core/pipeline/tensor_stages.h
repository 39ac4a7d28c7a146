// SPDX-License-Identifier: MIT
#pragma once
// The three stages the pipeline (pipeline/pipeline.h) runs on one matrix, each running the
// registry entry (methods/registry.h) of one SlotPlan of a resolved plan, and what the stages
// share: loading the matrix, the input statistics, the report. Kept apart from the
// orchestration so each stage can be tested on its own.

#include "compress/compressed_model.h"
#include "compress/stored_matrix.h"
#include "methods/method.h"
#include "recipe/plan.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

struct ActivationStats;
struct JobContext;
struct Model;
struct Tensor;

namespace stages {

using cwb::InputStats; // methods/method.h
using cwb::LowRankOutcome;
using cwb::PruneOutcome;

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

// Walks the reconstruction of `ct` in row order, in blocks of about 2^20 values (of `blockRows`
// rows when it is positive), calling visit(firstRow, nRows, values) until it returns false: a
// pass over a large matrix without a whole float copy. Returns the buffer, holding the last
// block visited (the whole matrix when blockRows >= ct.rows).
std::vector<float> visitReconstruction(
    const CompressedTensor &ct, int64_t blockRows,
    const std::function<bool(int64_t firstRow, int64_t nRows, const float *values)> &visit);

// Fills the report of `ct` (whose stored parts are final): relative and output error against
// the original values, exact stored bytes, bits per weight.
void finishReport(CompressedTensor &ct, const std::vector<float> &original, const InputStats &in,
                  bool wantOutputError);

// The statistics of A's input (B x) from those of x: H_A = B H B^T (the cross moment with the
// original inputs likewise, B C B^T); without H, mean x^2 of B x
// assuming independent channels; mean |x| is taken as the RMS.
[[nodiscard]] InputStats factorInputStats(const InputStats &x, const std::vector<float> &b,
                                          int64_t rank, int64_t cols);

[[nodiscard]] PruneOutcome prune(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                 int64_t cols, const InputStats &in, const JobContext &job);

[[nodiscard]] LowRankOutcome lowRank(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                     int64_t cols, const InputStats &in, const JobContext &job);

// `keepType`: what "keep" stores. `keepMask`: a pruning bitmap gptq must respect (or null).
[[nodiscard]] StoredMatrix quantize(const SlotPlan &s, const std::vector<float> &w, int64_t rows,
                                    int64_t cols, const InputStats &in, DType keepType,
                                    const uint8_t *keepMask, const JobContext &job,
                                    std::vector<std::string> &notes);

} // namespace stages
} // namespace cwb
