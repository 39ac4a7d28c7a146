// SPDX-License-Identifier: MIT
#pragma once
// GPTQModel's quantize_config.json from a resolved plan over a llama-family model (fields read
// from gptqmodel/quantization/config.py; FORMATS.md "GPTQModel dynamic"):
//
//   {"bits", "group_size", "sym", "desc_act",            the most common gptq / rtn setting
//    "static_groups", "act_group_aware", "damp_percent", gptq: the most common gptq settings
//    "lm_head",                                          true when the head is quantized
//    "quant_method": "gptq", "format": "gptq",
//    "weight_only": {"method": "rtn"},                   only when rtn is the model's algorithm
//    "dynamic": {"+:^model\.layers\.3\.mlp\.down_proj$": {bits, group_size, sym, desc_act},
//                "-:^model\.layers\.5\.self_attn\.o_proj$": {}, ...}}
//
// `dynamic` holds a positive entry for each module whose grid differs from the base and a
// negative one for each decoder-layer module the plan leaves unquantized; keys are anchored
// regular expressions on full module names, which GPTQModel matches with re.match, the first
// match in dict order winning, so none overlap. Where q/k/v (or gate/up) of a layer all get the
// same entry, one key names them and vLLM's fused module (`self_attn.qkv_proj`,
// `mlp.gate_up_proj`), which vLLM matches instead.
//
// GPTQModel runs one algorithm for the whole model (gptq, or rtn as weight_only) and quantizes
// the decoder layers' linear modules and, with lm_head, the head: what the plan does besides
// (pruning, low rank, nf4, fp8, an embedding's grid, awq's scales, a second algorithm) is
// reported per tensor as not expressible, with what GPTQModel does instead. Written atomically
// (nlohmann::ordered_json keeps the key order) and parsed back before it replaces the file.

#include "export/export_result.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"
#include "util/atomic_file.h"

#include <string>

namespace cwb {

struct GptqModelExportParams {
    const Model *model = nullptr; // the plan's model (llama family)
    const Plan *plan = nullptr;
    std::string outPath;          // quantize_config.json
    bool preview = false;
    AtomicWriteHooks hooks;
};

// Throws cwb::Error for a missing or non-llama model, a plan that quantizes nothing GPTQModel
// can (when writing), or a path that cannot be written.
[[nodiscard]] ExportResult exportGptqModel(const GptqModelExportParams &params,
                                           const JobContext &job = {});

} // namespace cwb
