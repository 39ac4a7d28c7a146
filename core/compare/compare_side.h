// SPDX-License-Identifier: MIT
#pragma once
// One side of a before/after comparison: a model as opened, a .cwbarchive run as its source
// model with the compressed tensors in place (pipeline/archive.h), or a compression held in
// memory (the GUI's last compression run), with what the comparison asks of each: an engine,
// the tokenizer, the values a tensor is multiplied with, and whether the other side is the
// original it was compressed from.

#include "eval/engine.h"
#include "model/model.h"
#include "pipeline/archive.h"

#include <memory>
#include <string>
#include <vector>

namespace cwb {

struct CompareSide {
    std::string path;                              // as given
    std::string label;                             // its file name
    std::shared_ptr<const Model> model; // what the engine runs (a compression's source)
    // The compressed tensors (an archive's, or one held in memory) and the same tensors as the
    // engine multiplies with them; both null for a plain model.
    std::shared_ptr<const CompressedModel> compression;
    std::shared_ptr<const CompressedReplacements> replacements;

    [[nodiscard]] bool isCompressed() const { return compression != nullptr; }
    // Engine options with the compressed tensors in place (none for a plain model).
    [[nodiscard]] EngineOptions engineOptions(int threads) const;
    // The compression's entry for this tensor of `model`; null when the tensor is kept as
    // stored (or the side is a plain model).
    [[nodiscard]] const CompressedTensor *compressed(const Tensor &tensor) const;
    // The tensor's name in the source's numbering: its canonical name (else its name), with the
    // layer index moved past the blocks a structure step dropped (layers.3 of a model without
    // block 2 is the source's layers.4), so per-tensor rows pair the same layers.
    [[nodiscard]] std::string sourceKey(const Tensor &tensor) const;
    // The values the engine multiplies with, as float32 in the tensor's layout: the compressed
    // reconstruction (pruned, low-rank, AWQ scales divided out) or the stored values decoded.
    [[nodiscard]] std::vector<float> values(const Tensor &tensor) const;
    // Stored bytes of all weights as the engine runs them (a compression's total), and their
    // bits per parameter.
    [[nodiscard]] uint64_t storedBytes() const;
    [[nodiscard]] double bitsPerWeight() const;
};

// Opens `path`: an archive (read with its source model, which must match the recorded
// fingerprint) or any model io::openModel reads. Throws cwb::Error naming the file.
[[nodiscard]] CompareSide openCompareSide(const std::string &path);

// A model already opened (e.g. the GUI's open model), labelled with its file name.
[[nodiscard]] CompareSide modelCompareSide(std::shared_ptr<const Model> model);

// A compression held in memory (`compression` made from `model`, e.g. by compressModel), named
// `label` in the report; `replacements` are its engine tensors when the caller already built
// them (null: built here). Throws cwb::Error when either pointer is null.
[[nodiscard]] CompareSide compressedCompareSide(
    std::shared_ptr<const Model> model, std::shared_ptr<const CompressedModel> compression,
    std::string label, std::shared_ptr<const CompressedReplacements> replacements = nullptr);

// True when `original` is a plain model and `compressed` a compression made from that very file
// (the same size and content hash the compression recorded).
[[nodiscard]] bool isOriginalOf(const CompareSide &original, const CompareSide &compressed);

} // namespace cwb
