// SPDX-License-Identifier: MIT
#pragma once
// A loaded model: where it came from, its metadata, its architecture and hyper-parameters, and
// its tensors (lazy views). Every reader in core/io produces one; the architecture adapter
// (model/architecture.h) then gives each tensor its canonical name.

#include "model/meta_value.h"
#include "tensor/tensor.h"
#include "util/mapped_file.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb {

enum class ModelFormat { Gguf, Safetensors, HfDirectory, Llama2c, KerasH5 };
enum class ArchFamily { Llama, Gpt2, Generic };

// How Q/K weight rows are ordered relative to the rotary embedding.
//  Interleaved: RoPE rotates adjacent pairs (2i, 2i+1) of each head — llama2.c's layout and
//               GGUF's for the llama family (llama.cpp's converter permutes HF rows into it).
//  HalfSplit:   RoPE rotates (i, i + head_dim/2) — Hugging Face's rotate_half layout.
enum class RopeLayout { None, Interleaved, HalfSplit };

[[nodiscard]] std::string_view formatName(ModelFormat f);
[[nodiscard]] std::string_view familyName(ArchFamily f);
[[nodiscard]] std::string_view ropeLayoutName(RopeLayout r);

struct HyperParams {
    int64_t dim = 0;           // model width (embedding length)
    int64_t nLayers = 0;
    int64_t nHeads = 0;
    int64_t nKvHeads = 0;      // == nHeads without GQA
    int64_t headDim = 0;
    int64_t hiddenDim = 0;     // FFN width
    int64_t vocabSize = 0;
    int64_t contextLength = 0; // as declared by the file (may be a converter default)
    double normEps = 1e-5;
    double ropeTheta = 10000.0;
    bool tiedEmbeddings = false; // head shares the embedding matrix
};

// Where the tokenizer for this model lives; the evaluation engine reads it.
struct TokenizerSource {
    std::string kind;               // "gguf", "llama2c-bin", "tokenizer.json", "sentencepiece", or empty
    std::vector<std::string> files; // absolute paths (empty for "gguf": it is in the model file)
};

struct ModelTotals {
    int64_t tensors = 0;
    int64_t parameters = 0;   // unique parameters: a tensor tied to another is counted once
    uint64_t bytes = 0;       // stored bytes of those unique tensors
    double bitsPerWeight = 0; // 8 * bytes / parameters
    int64_t unknownTensors = 0; // tensors without a canonical role
};

struct Model {
    std::string path;        // what the user opened (file or directory)
    ModelFormat format = ModelFormat::Gguf;
    ArchFamily family = ArchFamily::Generic;
    std::string architecture; // as the file names it: "llama", "gpt2", "keras Sequential", ...
    HyperParams hparams;
    RopeLayout rope = RopeLayout::None;
    std::vector<std::pair<std::string, MetaValue>> metadata; // in file order
    std::vector<Tensor> tensors;                             // in file order
    TokenizerSource tokenizer;
    std::vector<std::string> notes; // things the user should know ("context_length is a converter default")
    std::vector<std::shared_ptr<const io::MappedFile>> files;

    [[nodiscard]] const Tensor *findTensor(std::string_view nameOrCanonical) const;
    [[nodiscard]] const MetaValue *findMeta(std::string_view key) const;
    [[nodiscard]] ModelTotals totals() const;
};

} // namespace cwb
