// SPDX-License-Identifier: MIT
#pragma once
// llama.cpp's tensor names for the "llama" architecture (src/llama-arch.cpp, LLM_ARCH_LLAMA):
// `token_embd`, `output`, `output_norm` and per layer `blk.N.attn_q` ... `ffn_down`, each with
// `.weight` or `.bias`. The GGUF export names its tensors with them, and the llama.cpp recipe
// export its tensor-type patterns and imatrix entries.

#include <string>
#include <string_view>

namespace cwb {

// "layers.3.attn.q" -> "blk.3.attn_q.weight", "layers.3.attn.q.bias" -> "blk.3.attn_q.bias",
// "embed" -> "token_embd.weight"; empty for a role the llama architecture has no tensor for.
[[nodiscard]] std::string ggufTensorName(std::string_view canonical);

} // namespace cwb
