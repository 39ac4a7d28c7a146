// SPDX-License-Identifier: MIT
#pragma once
// Builders for the methods' recipe forms (methods/method.h RecipeForms): how llm-compressor's
// config groups, GPTQModel's per-module fields and llama-quantize's types state an integer grid,
// and the forms of methods a tool does not have. Only methods/*.cpp include this.

#include "formats/dtype.h"
#include "methods/method.h"

#include <cstdint>
#include <string>

namespace cwb::methoddetail {

// An integer grid as quantization tools describe it: `group` > 0 weights per scale along a row,
// -1 one scale per row (output channel), 0 one per tensor.
struct ToolGrid {
    int64_t bits = 4;
    int64_t group = 128;
    bool symmetric = true;
};

// llm-compressor's config group `weights` (compressed-tensors QuantizationArgs) for an int grid:
// num_bits, type int, symmetric, strategy group|channel|tensor, group_size (group only).
[[nodiscard]] std::vector<ToolArg> llmCompressorIntWeights(const ToolGrid &g);
// GPTQModel's per-module fields: bits, group_size (-1 per channel), sym, desc_act. It has no
// per-tensor scale: group 0 is given per channel (the caller says so).
[[nodiscard]] std::vector<ToolArg> gptqModelGridArgs(const ToolGrid &g, bool descAct);

// A form for a tool that does nothing to the tensor, with why.
[[nodiscard]] ToolForm noToolForm(std::string note);

// rtn's grid in each tool (QuantizationModifier; GPTQModel's rtn; the ggml legacy block holding
// it, which llama-quantize fills with its own rounding). gptq and awq start from this with
// `method` naming them in notes.
[[nodiscard]] RecipeForms intGridRecipeForms(const ParamReader &p, bool f16Scales,
                                             const std::string &method);

// A method's forms where no tool has it: each gets `note`; `nearest`, when given, is the grid
// llm-compressor and GPTQModel are given instead (quantized with their own algorithm).
[[nodiscard]] RecipeForms unsupportedRecipeForms(const std::string &llmCompressorNote,
                                                 const std::string &gptqModelNote,
                                                 const std::string &llamaCppNote,
                                                 const std::optional<ToolGrid> &nearest = {});

// Forms of a tensor kept in `t` (keep; exact = the plan leaves it as it is) or stored as the
// float type `t` (f32 / f16 / bf16): llama-quantize writes `t`; llm-compressor and GPTQModel
// leave the weight unquantized in the checkpoint's own dtype.
[[nodiscard]] RecipeForms storedTypeRecipeForms(DType t, bool keep);

} // namespace cwb::methoddetail
