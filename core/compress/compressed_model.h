// SPDX-License-Identifier: MIT
#pragma once
// The result of running a plan over a model: per changed tensor what is stored (a matrix, or two
// low-rank factors; a pruning mask when the stored form keeps the sparsity) and a report of what
// it cost. Tensors the plan keeps are not copied: a CompressedModel is read together with its
// source model, whose fingerprint it records (pipeline/archive.h refuses a different file).
//
// What the stages leave (prune -> lowrank -> quantize):
//   quantize only          `weight` = the quantized (or re-typed) matrix
//   prune (+ quantize)     `weight` holds the pruned values (exact zeros where pruned, as every
//                          grid here decodes zero exactly except ggml's types with a block
//                          minimum: q4_1, q5_1, q2_k, q4_k, q5_k); for those (the method's
//                          registry entry: exactZeros) `mask` holds the bitmap (or N:M indices),
//                          applied when decoding and counted in the stored bytes
//                          (recipe/size_estimate.h)
//   lowrank (+ quantize)   `factorA` [rows x rank] and `factorB` [rank x cols], each quantized
//                          by the quantize stage; a mask from an earlier prune is not kept
//                          (A B is dense again)
// 1-D tensors (norms, biases) named by a rule store `weight` as a 1 x n matrix.

#include "compress/stored_matrix.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

class LinearWeights;

struct TensorReport {
    double relativeError = 0;      // ||W - W'||_F / ||W||_F over the original float values
    double outputError = -1;       // sqrt(tr(D H D^T) / tr(W H W^T)) on the calibration
                                   // Hessian H, D = W - W'; -1 when there is none
    uint64_t originalBytes = 0;    // as stored in the source model
    uint64_t storedBytes = 0;      // exact, everything needed to decode
    double bitsPerWeight = 0;      // storedBytes * 8 / parameters
    double sparsity = 0;           // fraction of weights that are exactly zero after pruning
    int64_t rank = 0;              // low rank kept (0: none)
    double seconds = 0;            // wall time of this tensor's stages
    // Calibration coverage: the tokens (rows) its input statistics were accumulated over; 0
    // when it had none (not observed, no calibration, or statistics given by the caller that
    // do not name it).
    int64_t calibrationTokens = 0;
    std::string format;            // "gptq", "Q4_K", "rank 12 (F16)", "F16", ...
    std::vector<std::string> notes; // what the stages decided ("awq alpha 0.45", ...)
};

struct PruneMask {
    std::vector<uint8_t> bitmap;    // rows x cols bits, 1 = kept (compress/pruning.h layout)
    std::vector<uint8_t> nmIndices; // N:M only: packed in-group indices of the kept weights
    int nmN = 0, nmM = 0;           // 0:0 = unstructured
    bool applyWhenDecoding = false; // the stored form decodes pruned weights as non-zero
    uint64_t storedBytes = 0;       // counted in the tensor's bytes (0: the zeros are stored)
};

struct CompressedTensor {
    size_t index = 0; // in the source Model::tensors
    std::string name, canonical;
    std::vector<int64_t> shape;
    int64_t rows = 0, cols = 0; // the 2-D view (cols = innermost dimension)
    std::string plan;           // TensorPlan::summary()
    std::optional<StoredMatrix> weight;
    std::optional<StoredMatrix> factorA, factorB;
    std::optional<PruneMask> mask;
    // AWQ scales s folded into the preceding norm (pipeline/awq_fold.h): the stored matrix is
    // W diag(s) and the norm now outputs x / s, so the weight the layer applies is
    // weight diag(1/s). linear() leaves them out (the engine's input is already divided);
    // reconstruct() divides them out. Empty: none.
    std::vector<float> foldedScales;
    TensorReport report;

    [[nodiscard]] uint64_t storedBytes() const;
    // Throws cwb::Error naming the tensor when the parts disagree with its shape.
    void check() const;
    // The engine's view (a matrix; 1-D tensors are 1 x n).
    [[nodiscard]] std::shared_ptr<const LinearWeights> linear() const;
    // The weight the layer applies, as dense row-major floats (rows x cols).
    [[nodiscard]] std::vector<float> reconstruct() const;
    // Rows [firstRow, firstRow + nRows) of reconstruct() into out[nRows * cols], for passes
    // that must not hold the whole float matrix (a 7B model's embedding is 0.5 GB of floats).
    // Low-rank factors decode factor B on every call: ask for many rows at once.
    void reconstructRows(int64_t firstRow, int64_t nRows, float *out) const;
};

// One structure the structure step removed (and the projection it refitted), as reported.
struct StructureChange {
    int64_t layer = 0;             // in the source model's numbering
    std::string tensor;            // the refitted projection ("layers.3.mlp.down")
    std::string what;              // "ffn channels", "kv groups", "block"
    int64_t before = 0, after = 0; // channels / groups / 1 -> 0 for a block
    double errorRemoved = 0;       // relative output error with plain removal
    double errorRepaired = -1;     // after repair; -1: not repaired
};

// What a plan's structure step (recipe/plan_structures.h) made of the source model: the
// compressed tensors then belong to the smaller model, which is the source with these blocks
// removed (later ones renumbered), these hyper-parameters, and every tensor whose shape or
// values the step changed stored among the compressed tensors (pipeline/structure_step.h
// rebuilds it from the source).
struct StructureRecord {
    std::vector<int64_t> droppedBlocks; // source numbering, ascending
    int64_t layers = 0, heads = 0, kvHeads = 0, ffnWidth = 0; // after; layers 0 = no step
    int64_t parametersBefore = 0, parametersAfter = 0;
    std::vector<StructureChange> changes;
    [[nodiscard]] bool any() const { return layers > 0; }
};

struct CompressionTotals {
    int64_t tensors = 0;             // changed tensors
    uint64_t originalBytes = 0;      // of the whole model, a tied copy counted once
    uint64_t compressedBytes = 0;    // of the whole model after compression
    uint64_t parameters = 0;
    double bitsPerWeight = 0;        // compressedBytes * 8 / parameters
    double compressionRatio = 0;     // originalBytes / compressedBytes
    double seconds = 0;              // wall time of the run
};

struct CompressedModel {
    std::string sourcePath;        // the model as opened
    std::string sourceFormat;      // formatName() of it
    uint64_t sourceFileSize = 0;   // ModelFingerprint of the source
    std::string sourceHash;
    std::string recipeJson;        // the recipe as given
    std::string planJson;          // the resolved plan (recipe/plan_report.h planJson)
    std::string calibrationSource; // text file used, or empty
    int64_t calibrationTokens = 0;
    // Statistics collected layer by layer on the compressed prefix (pipeline.h), not once.
    bool calibrationSequential = false;
    std::vector<CompressedTensor> tensors; // changed tensors, model order
    CompressionTotals totals;
    // Set when the plan removed structures: the tensors' indices and names are then those of
    // the smaller model (pipeline/structure_step.h structuredSource), not of the source.
    StructureRecord structure;

    [[nodiscard]] const CompressedTensor *find(const std::string &canonicalOrName) const;
};

// What the engine needs to evaluate it (EngineOptions::replacements and vectorReplacements).
struct CompressedReplacements {
    std::map<std::string, std::shared_ptr<const LinearWeights>> matrices;
    std::map<std::string, std::shared_ptr<const std::vector<float>>> vectors;
};
[[nodiscard]] CompressedReplacements replacementsOf(const CompressedModel &m);

} // namespace cwb
