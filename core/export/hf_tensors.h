// SPDX-License-Identifier: MIT
#pragma once
// The tensors of a Hugging Face Llama directory (what the safetensors and compressed-tensors
// exports write), taken from a llama-family model we opened and, for an archive, its compressed
// tensors: each one's HF name ("model.layers.0.self_attn.q_proj.weight", model/architecture.h
// hfLlamaTensorName), whether it is a Linear layer's weight, and whether its rows must be permuted
// into HF's rotate_half order.
//
// Q/K rows: GGUF and llama2.c store each head's rows interleaved (RoPE rotates rows 2j and 2j+1);
// HF's rotate_half pairs row j with row j + d/2. HF row h*d + i*d/2 + j is interleaved row
// h*d + 2j + i (i in {0,1}, j < d/2, d = head_dim): the inverse of convert_hf_to_gguf.py's
// permutation (../shared/FORMATS.md). Whole rows move, so per-row scales and zero points move
// with them unchanged.
//
// The head: written as lm_head.weight only where the engine uses a matrix of its own (the source
// stores a head that is not a copy of the embedding, or the archive compressed the head apart
// from it); otherwise it is left out and config.json says tie_word_embeddings.

#include "compress/compressed_model.h"
#include "formats/dtype.h"
#include "model/model.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct HfTensor {
    const Tensor *tensor = nullptr;               // in the source model
    const CompressedTensor *compressed = nullptr; // the archive's form of it, or null
    std::string name;      // "model.layers.0.self_attn.q_proj.weight"
    std::string module;    // "model.layers.0.self_attn.q_proj"
    bool linear = false;   // the weight of a Linear layer (projections and lm_head)
    int64_t ropeHeads = 0; // > 0: rows are in interleaved order, this many heads of head_dim
};

struct HfTensorList {
    std::vector<HfTensor> tensors; // embedding, layer by layer (source order within), the rest
    bool tiedHead = true;          // no lm_head.weight: the head is the embedding
    std::vector<std::string> notes;
};

// Throws cwb::Error naming the model when it is not llama-family, its Q/K row order is unknown,
// a GGUF source's architecture is not "llama", or a tensor with a role has no HF Llama name.
// `target` names the export in messages ("safetensors export").
[[nodiscard]] HfTensorList hfTensorList(const Model &m, const CompressedModel *archive,
                                        std::string_view target);

// For HF row r, the source row it comes from (interleaved -> rotate_half, per head).
[[nodiscard]] std::vector<int64_t> halfSplitRowSources(int64_t heads, int64_t headDim);

// Rows of `elemBytes * cols` bytes (or floats) reordered into HF order when t.ropeHeads > 0.
[[nodiscard]] std::vector<std::byte> toHfRowOrder(const HfTensor &t, int64_t headDim,
                                                  std::vector<std::byte> rows);
[[nodiscard]] std::vector<float> toHfRowOrder(const HfTensor &t, int64_t headDim,
                                              std::vector<float> rows);

// The values the model (or the archive, through engineValues) gives this tensor, in HF order.
[[nodiscard]] std::vector<float> hfValues(const HfTensor &t, int64_t headDim);

// Floats as F32, F16 or BF16 bytes (round to nearest even).
[[nodiscard]] std::vector<std::byte> floatBytes(const std::vector<float> &values, DType type);

// What the tensor is in the source, for the report: "F32", "int4 g32 sym (archive)".
[[nodiscard]] std::string hfSourceLabel(const HfTensor &t);

} // namespace cwb
