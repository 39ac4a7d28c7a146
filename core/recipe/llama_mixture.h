// SPDX-License-Identifier: MIT
#pragma once
// llama-quantize's choice of a ggml type per tensor, written as a recipe (one override per
// matrix), so that its mixtures can be compressed, evaluated and compared like any recipe.
// The rules are those of llama.cpp's src/llama-quant.cpp (c392e509, the build in
// shared/tools) for a llama-architecture model without experts, without an imatrix:
//
//   tensors      every matrix: the embedding, the head and the layer projections
//   base type    Q4_K_M: q4_k, Q5_K_M: q5_k; "pure" TYPE: TYPE everywhere (--pure)
//   output       the head, or the embedding when the model has no head tensor (tied
//                embeddings: llama.cpp quantizes token_embd as the output): q8_0 when its rows
//                are not whole blocks of the base type, else q6_k
//   attn.v       q6_k when use_more_bits(i, n) (i: the layer, n: the layers), where
//                use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2
//   attn.qkv     (fused) Q4_K_M: q5_k, Q5_K_M: q6_k
//   mlp.down     q6_k when use_more_bits(layer, layers)
//   fallback     a type whose block does not divide the row length falls back as
//                tensor_type_fallback does: q2_k / q3_k -> q4_0, q4_k -> q5_0, q5_k -> q5_1,
//                q6_k -> q8_0, and when that still does not divide it, f16. Types llama.cpp
//                defines no fallback for (q4_0 ... q8_0 in a pure mixture) go to f16 directly,
//                as the llama.cpp-written stories260K Q8_0 / Q4_0 files store those tensors.
// Norms and other 1-D tensors stay as stored (llama.cpp keeps them F32).

#include "model/model.h"
#include "recipe/recipe.h"

#include <string_view>

namespace cwb {

// `mixture`: "Q4_K_M", "Q5_K_M", or a ggml type name ("Q4_K", "q8_0", ...) for a pure mixture.
// Throws cwb::Error for another name.
[[nodiscard]] Recipe llamaCppMixture(const Model &model, std::string_view mixture);

} // namespace cwb
