// SPDX-License-Identifier: MIT
#pragma once
// What the methods that run GPTQ onto a ggml block type's grid share (gptq_ggml; gptq_ggml_recon,
// block reconstruction onto the same grids): the parameters, the stored form, its size, export
// and recipe forms. Each method adds its own parameters, label and quantize function.

#include "compress/gptq_ggml.h"
#include "methods/method.h"

#include <string>
#include <vector>

namespace cwb {

// gptq_ggml's descriptor under `name`, its parameters followed by `extra`, the label text
// `label` (marked with CWB_TRANSLATE_NOOP by the caller, %1 = the ggml type's name); quantize
// is left for the caller.
[[nodiscard]] MethodSpec gptqGgmlDescriptor(const std::string &name, std::vector<ParamSpec> extra,
                                            std::string summary, const char *label);

// The GptqGgmlParams a descriptor of gptqGgmlDescriptor() was given (cwb::Error naming `method`
// for a type that is not a ggml block type).
[[nodiscard]] GptqGgmlParams gptqGgmlParamsOf(const ParamReader &p, const std::string &method);

} // namespace cwb
