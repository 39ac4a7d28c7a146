// SPDX-License-Identifier: MIT
#pragma once
// Structured pruning on one projection: which input channels (or groups of channels, such as
// the columns one attention head writes) of a consumer matrix W [out x in] matter, which to
// keep, and the closed-form repair of W on the kept channels. The channels are the inputs of
// W: for an FFN the columns of the down projection (and the rows of gate/up that produce them),
// for attention the columns of the output projection (and the q/k/v rows of the heads).
//
// Calibration enters through the Gram matrix G = X^T X (sum over T rows, double; the
// "Hessian" of analysis/activation_stats.h) of the inputs X [T x in]. With it
//   output energy of W on X:    tr(W G W^T) / T
//   error of W' [out x k] on the kept channels K:
//                               tr((W - W'_pad) G (W - W'_pad)^T) / T  (W'_pad: zero columns
//                               where channels were removed)
//   ridge least-squares repair: W'^T = (G_KK + lambda I)^-1 G_K: W^T
// which is the W' minimising ||X_K W'^T - X W^T||^2 + lambda ||W'||^2: the pruned projection
// reproduces the original's output on the calibration rows as closely as any matrix on the
// kept channels can (removed channels correlate with kept ones, so the kept columns can carry
// part of their contribution).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace cwb {

enum class StructureScore : uint8_t {
    // ||W_S||_F^2 (x the producers' squared row norms when given): no calibration data; the
    // magnitude baseline.
    Magnitude,
    // tr(W_S G_SS W_S^T) / T: the output energy the group carries on the calibration rows
    // (per channel: ||w_j||^2 E[x_j^2], Wanda's activation-weighted norm for whole columns).
    Activation,
    // tr(W_S [(H^-1)_SS]^-1 W_S^T), H = G / T + lambda I: the least output error left when the
    // group alone is removed and the other channels are refitted (OBS for structures).
    Obs,
};

[[nodiscard]] std::string_view structureScoreName(StructureScore s); // "magnitude", ...
[[nodiscard]] std::optional<StructureScore> structureScoreFromName(std::string_view name);

// A consumer matrix and what the scores and the repair read.
struct ConsumerView {
    std::span<const float> weight; // W [out x in], row-major
    int64_t out = 0, in = 0;
    std::span<const double> gram;  // G [in x in] (sum, symmetric); empty: Magnitude only
    int64_t tokens = 0;            // T, rows summed into G
    // Per input channel: the summed squared norms of the rows that produce it (gate and up
    // rows of an FFN channel). Empty: not used. Magnitude multiplies by it.
    std::span<const double> producerNormSq;
};

struct RepairParams {
    // lambda = ridge x mean diagonal of G_KK / T (scale free); also regularises the OBS
    // inverse. Small: the repair should follow the data, the ridge only keeps it well posed
    // when kept channels are (nearly) collinear or never active.
    double ridge = 1e-3;
};

// One score per group (a group: the channel indices it owns); higher = more important.
// Throws cwb::Error for a group index out of range, or Activation/Obs without a Gram matrix.
[[nodiscard]] std::vector<double> groupScores(StructureScore kind, const ConsumerView &w,
                                              const std::vector<std::vector<int64_t>> &groups,
                                              const RepairParams &params = {});
// groupScores with one group per channel.
[[nodiscard]] std::vector<double> channelScores(StructureScore kind, const ConsumerView &w,
                                                const RepairParams &params = {});

// Indices of the `keep` highest scores, ascending (ties: the lower index is kept).
[[nodiscard]] std::vector<int64_t> keepHighest(std::span<const double> scores, int64_t keep);

// The columns `keep` (ascending) of W: [out x keep.size()], row-major (removal without repair).
[[nodiscard]] std::vector<float> keptColumns(const ConsumerView &w, std::span<const int64_t> keep);

// The ridge least-squares repair above through G (fast path: Eigen LDLT in double).
[[nodiscard]] std::vector<float> repairKeptColumns(const ConsumerView &w,
                                                   std::span<const int64_t> keep,
                                                   const RepairParams &params = {});
// Scalar reference from the raw rows X [rows x in]: the same ridge least squares solved as an
// ordinary least-squares problem on [X_K; sqrt(lambda T) I] vs [X W^T; 0] by Householder QR.
[[nodiscard]] std::vector<float> repairKeptColumnsReference(const ConsumerView &w,
                                                            std::span<const float> x, int64_t rows,
                                                            std::span<const int64_t> keep,
                                                            const RepairParams &params = {});

// tr((W - W'_pad) G (W - W'_pad)^T) / tr(W G W^T): the output error of `pruned` [out x keep]
// relative to the original's output energy (0 when nothing is lost; 1 = as if the output were 0).
[[nodiscard]] double relativeOutputError(const ConsumerView &w, std::span<const int64_t> keep,
                                         std::span<const float> pruned);

// Refit W so that its output also carries a residual update D the model loses (a dropped
// block's): W'^T = W^T + (G + lambda I)^-1 C with C = X^T D [in x out] summed over the same T
// rows as G. Returns W' [out x in]; `residualBefore` = ||D||^2 (sum) and the error left after,
// ||X (W' - W)^T - D||^2, are reported through `errorAfter` (both from G, C and ||D||^2).
[[nodiscard]] std::vector<float> absorbResidual(const ConsumerView &w, std::span<const double> cross,
                                                double residualSumSq, const RepairParams &params,
                                                double &errorAfter);

// ||X (W' - W)^T - D||^2 on any rows summarised by their Gram G (in `original`), cross moment
// C = X^T D and ||D||^2: how well a refitted W' [out x in] carries D on rows it was not fitted on
// (held out), where absorbResidual's own figure is in-sample.
[[nodiscard]] double residualErrorAfter(const ConsumerView &original, std::span<const float> refitted,
                                        std::span<const double> cross, double residualSumSq);

} // namespace cwb
