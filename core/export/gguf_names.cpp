// SPDX-License-Identifier: MIT
#include "export/gguf_names.h"

#include "model/canonical_name.h"

#include <utility>

namespace cwb {
namespace {

// Canonical role -> llama.cpp tensor name stem.
constexpr std::pair<std::string_view, std::string_view> kGlobalNames[] = {
    {"embed", "token_embd"}, {"head", "output"}, {"final_norm", "output_norm"}};
constexpr std::pair<std::string_view, std::string_view> kLayerNames[] = {
    {"attn.q", "attn_q"},       {"attn.k", "attn_k"},       {"attn.v", "attn_v"},
    {"attn.o", "attn_output"},  {"attn_norm", "attn_norm"}, {"mlp.gate", "ffn_gate"},
    {"mlp.up", "ffn_up"},       {"mlp.down", "ffn_down"},   {"mlp_norm", "ffn_norm"}};

} // namespace

std::string ggufTensorName(std::string_view canonical)
{
    std::string suffix = ".weight";
    if (canonical.ends_with(".bias")) {
        suffix = ".bias";
        canonical.remove_suffix(5);
    }
    for (const auto &[from, to] : kGlobalNames)
        if (canonical == from)
            return std::string(to) + suffix;
    if (const auto split = splitLayerTensorName(canonical))
        for (const auto &[from, to] : kLayerNames)
            if (split->role == from)
                return "blk." + std::to_string(split->layer) + "." + std::string(to) + suffix;
    return {};
}

} // namespace cwb
