// SPDX-License-Identifier: MIT
#pragma once
// One side of a before/after comparison: a model as opened, or a .cwbarchive run as its source
// model with the compressed tensors in place (pipeline/archive.h), with what the comparison
// asks of either: an engine, the tokenizer, the values a tensor is multiplied with, and whether
// the other side is the original it was compressed from.

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
    std::shared_ptr<const Model> model;            // what the engine runs (an archive's source)
    std::shared_ptr<const OpenedArchive> archive;  // null for a plain model

    [[nodiscard]] bool isArchive() const { return archive != nullptr; }
    // Engine options with the archive's tensors in place (none for a plain model).
    [[nodiscard]] EngineOptions engineOptions(int threads) const;
    // The archive's entry for this tensor of `model`; null when the tensor is kept as stored
    // (or the side is a plain model).
    [[nodiscard]] const CompressedTensor *compressed(const Tensor &tensor) const;
    // The values the engine multiplies with, as float32 in the tensor's layout: the archive's
    // reconstruction (pruned, low-rank, AWQ scales divided out) or the stored values decoded.
    [[nodiscard]] std::vector<float> values(const Tensor &tensor) const;
    // Stored bytes of all weights as the engine runs them, and their bits per parameter.
    [[nodiscard]] uint64_t storedBytes() const;
    [[nodiscard]] double bitsPerWeight() const;
};

// Opens `path`: an archive (read with its source model, which must match the recorded
// fingerprint) or any model io::openModel reads. Throws cwb::Error naming the file.
[[nodiscard]] CompareSide openCompareSide(const std::string &path);

// True when `original` is a plain model and `compressed` an archive made from that very file
// (the same size and content hash the archive recorded).
[[nodiscard]] bool isOriginalOf(const CompareSide &original, const CompareSide &compressed);

} // namespace cwb
