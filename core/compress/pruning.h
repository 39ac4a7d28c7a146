// SPDX-License-Identifier: MIT
#pragma once
// Weight pruning of one linear weight W (rows = output channels, cols = input channels,
// row-major float32): magnitude pruning (score |W_ij|) and Wanda (Sun et al. 2023, "A Simple
// and Effective Pruning Approach for Large Language Models"; score |W_ij| * ||X_j||_2, where
// ||X_j||_2 is the L2 norm of input channel j over the calibration tokens). Both compare scores
// within one output row, which is what Wanda prescribes and what makes the per-channel input
// norm matter: in a row it re-ranks the weights by how much they contribute to that output.
//
// Selection (both methods, both paths):
//   unstructured (nmN = nmM = 0)  every row loses exactly k = floor(sparsity * cols + 1e-9)
//                                 weights (the 1e-9 keeps 0.29 * 100 at 29, not 28)
//   N:M (e.g. 2:4, 4:8)           every group of M consecutive weights of a row keeps exactly N;
//                                 `sparsity` is ignored (it is 1 - N/M)
//   The weights pruned are those with the smallest (score, column) pairs in lexicographic order:
//   among equal scores the LOWER column index is pruned first, so the result is a pure function
//   of the input and the reference (full sort) and fast path (nth_element) agree bit for bit.
//
// Mask storage (what `maskBytes` counts):
//   unstructured  bitmap, 1 bit per weight, row-major, bit (i % 8) of byte i / 8 (LSB first)
//                 is weight i = row * cols + col, 1 = kept: ceil(rows * cols / 8) bytes
//   N:M           the column-in-group of each kept weight, ceil(log2 M) bits each (2 bits for
//                 2:4, 3 for 4:8), in ascending order within the group, groups row-major,
//                 packed LSB first: ceil(rows * cols / M * N * bits / 8) bytes (the metadata
//                 NVIDIA sparse tensor cores keep beside the kept values: 1 bit per weight
//                 for 2:4, as much as the bitmap; 1.5 for 4:8)
//   The bitmap is filled for N:M too (it is what callers test against) but not counted.
//
// Scores are computed in double. NaN / Inf weights, and negative or non-finite input norms,
// are refused with the row and column named.

#include "analysis/activation_stats.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

struct PruneParams {
    double sparsity = 0.5; // unstructured: fraction of each row zeroed, in [0, 1)
    int nmN = 0;           // N:M semi-structured: keep nmN of every nmM; 0:0 = unstructured
    int nmM = 0;           // 2..32 when used; cols must be a multiple of it
};

struct PruneResult {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> weights;     // rows * cols, pruned positions set to 0
    std::vector<uint8_t> mask;      // bitmap (layout above), 1 = kept
    std::vector<uint8_t> nmIndices; // N:M only: packed in-group indices (layout above)
    int indexBits = 0;              // N:M only: bits per kept weight's index
    int64_t pruned = 0;             // positions zeroed (rows * k, or rows * cols / M * (M - N))
    uint64_t maskBytes = 0;         // stored mask: bitmap bytes, or nmIndices bytes for N:M

    [[nodiscard]] bool kept(int64_t row, int64_t col) const
    {
        const auto i = uint64_t(row * cols + col);
        return (mask[i / 8] >> (i % 8)) & 1u;
    }
};

// Fast paths: nth_element per row (or per group), rows in parallel on oneTBB. Polls ctx between
// blocks of rows (cwb::Cancelled) and reports progress. Throws cwb::Error for bad params, a
// weight span that is not rows * cols, or non-finite weights (row / col named).
[[nodiscard]] PruneResult pruneMagnitude(std::span<const float> weights, int64_t rows,
                                         int64_t cols, const PruneParams &params,
                                         const JobContext &ctx = {});
// inputNorm: ||X_j||_2 per input channel (cols values).
[[nodiscard]] PruneResult pruneWanda(std::span<const float> weights, int64_t rows, int64_t cols,
                                     std::span<const double> inputNorm,
                                     const PruneParams &params, const JobContext &ctx = {});

// Scalar references: a full sort of every row / group, one thread. Same results, for tests.
[[nodiscard]] PruneResult pruneMagnitudeReference(std::span<const float> weights, int64_t rows,
                                                  int64_t cols, const PruneParams &params);
[[nodiscard]] PruneResult pruneWandaReference(std::span<const float> weights, int64_t rows,
                                              int64_t cols, std::span<const double> inputNorm,
                                              const PruneParams &params);

// ||X_j||_2 = sqrt(meanSquare_j * tokens) from collected activation statistics.
[[nodiscard]] std::vector<double> inputNorms(const LinearActivationStats &stats);

// Stored mask bytes for a shape (what PruneResult::maskBytes will be); validates params.
[[nodiscard]] uint64_t pruneMaskBytes(int64_t rows, int64_t cols, const PruneParams &params);

} // namespace cwb
