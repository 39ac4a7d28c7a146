// SPDX-License-Identifier: MIT
#pragma once
// The architecture adapter: decides the family (llama, gpt2, generic), gives every tensor its
// canonical name from its original one, marks tied (duplicate) tensors, and records the RoPE
// layout of Q/K rows. Canonical names:
//   embed, head, final_norm, layers.N.attn.{q,k,v,o}, layers.N.attn_norm,
//   layers.N.mlp.{gate,up,down}, layers.N.mlp_norm  (+ ".bias" suffix for biases, e.g. layers.N.attn.q.bias)
// Generic models (Keras, unknown) get "<layer>.<param>" names; tensors with no role keep an
// empty canonical name and are shown as unknown, never dropped.

#include "model/model.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cwb {

void applyArchitecture(Model &model);

// Canonical name for one original tensor name in a given format; empty when it has no role.
[[nodiscard]] std::string canonicalName(ModelFormat format, ArchFamily family, const std::string &original);

// The Hugging Face (LlamaForCausalLM) tensor name of a llama-family canonical name:
// "layers.3.mlp.down" -> "model.layers.3.mlp.down_proj.weight", "embed" ->
// "model.embed_tokens.weight", "head" -> "lm_head.weight", "layers.0.attn.q.bias" ->
// "model.layers.0.self_attn.q_proj.bias"; empty for a name with no HF llama tensor. The module
// name is this without its ".weight" / ".bias".
[[nodiscard]] std::string hfLlamaTensorName(std::string_view canonical);

// Reorders the rows of a Q or K weight ([nHeads*headDim, cols], row-major floats) between RoPE
// layouts, per head. Interleaved -> HalfSplit moves row 2i to i and 2i+1 to i + headDim/2.
void permuteRopeRows(std::span<float> weight, int64_t nHeads, int64_t headDim, int64_t cols,
                     RopeLayout from, RopeLayout to);

} // namespace cwb
