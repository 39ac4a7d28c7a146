// SPDX-License-Identifier: MIT
#pragma once
// What structured pruning removes, resolved to counts per layer, and whether the shapes it
// leaves can be loaded by the engine a model is meant for. Refusals are made here, at plan
// time, before anything is computed, and name the tensor and the engine:
//   cwb (this workbench's engine)  per-layer FFN widths: yes; per-layer head counts: no (one
//                                  KV cache width and one head count for every layer);
//                                  dropped blocks: yes (the later blocks are renumbered)
//   gguf (llama.cpp, `llama` architecture)
//                                  llama.cpp's loader reads feed_forward_length,
//                                  attention.head_count and head_count_kv with get_key_or_arr,
//                                  so per-layer arrays are accepted as hyper-parameters; but
//                                  the `llama` architecture creates every layer's tensors with
//                                  hparams.n_ff() / n_head() (layer 0's value): non-uniform
//                                  widths fail to load ("wrong shape" for blk.N.ffn_gate).
//                                  Only uniform counts (scalars) are written.
//   safetensors (Hugging Face LlamaConfig)
//                                  intermediate_size, num_attention_heads and
//                                  num_key_value_heads are single integers: uniform only.

#include "compress/structured_prune.h"
#include "model/model.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct StructuredPlan {
    // FFN channels kept per layer (-1: all). Filled by resolveFfnKeep from the options below.
    std::vector<int64_t> ffnKeep;
    int64_t kvGroupsKeep = -1;        // KV groups (with their query heads) kept in every layer
    std::vector<int64_t> dropBlocks;  // layers removed whole, ascending
    StructureScore score = StructureScore::Activation;
    bool repair = true;               // least-squares refit of down / o (and of the block before
                                      // a dropped one); false: plain removal
    RepairParams repairParams;
};

enum class PruneTarget : uint8_t { Engine, Gguf, Safetensors };

[[nodiscard]] std::string_view pruneTargetName(PruneTarget t); // "cwb", "gguf", "safetensors"

// Channels kept per layer from a fraction of each layer's width (rounded, at least 1), or a
// count. `widths`: the current FFN width per layer.
[[nodiscard]] std::vector<int64_t> uniformFfnKeep(const std::vector<int64_t> &widths,
                                                  double fraction);
[[nodiscard]] std::vector<int64_t> countFfnKeep(const std::vector<int64_t> &widths, int64_t count);
// A global budget: round(fraction x all channels) kept, chosen across layers by score (scores
// of one kind are output energies on the residual stream, comparable across layers), at least
// one per layer. Gives non-uniform widths.
[[nodiscard]] std::vector<int64_t> globalFfnKeep(const std::vector<std::vector<double>> &scores,
                                                 double fraction);

// Numbering after blocks are dropped (the later blocks move down; `dropped` in any order):
// a layer's index once the `dropped` blocks are gone (-1 for a dropped one), and back from it.
[[nodiscard]] int64_t layerAfterDrops(int64_t layer, const std::vector<int64_t> &dropped);
[[nodiscard]] int64_t layerBeforeDrops(int64_t layer, const std::vector<int64_t> &dropped);
// The same for a canonical name ("layers.4.attn.q" -> "layers.3.attn.q"; "" when its block is
// dropped); names outside a layer are returned as they are.
[[nodiscard]] std::string nameAfterDrops(const std::string &canonical,
                                         const std::vector<int64_t> &dropped);
[[nodiscard]] std::string nameBeforeDrops(const std::string &canonical,
                                          const std::vector<int64_t> &dropped);

// FFN width per layer of `model` (its down projections' input features).
[[nodiscard]] std::vector<int64_t> ffnWidths(const Model &model);

// Parameters the plan removes from `model` (FFN rows/columns, the q/k/v rows and o columns of
// removed KV groups, whole blocks); the pruned model has totals().parameters minus this.
[[nodiscard]] int64_t parametersRemoved(const Model &model, const StructuredPlan &plan);

// Every reason `plan` cannot be loaded by `target`'s engine, each naming the tensor and the
// engine; empty: loadable. Also range errors (a count above the width, a block twice).
[[nodiscard]] std::vector<std::string> planRefusals(const Model &model, const StructuredPlan &plan,
                                                    PruneTarget target);

} // namespace cwb
