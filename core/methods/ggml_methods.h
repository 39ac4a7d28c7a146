// SPDX-License-Identifier: MIT
#pragma once
// The ggml block methods q4_0 ... q6_k (methods/ggml_methods.cpp): llama.cpp's bytes.

#include "formats/dtype.h"

#include "methods/recipe_forms.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

// The ggml block type a quantize method writes ("q4_k" -> Q4_K); nullopt for other methods.
[[nodiscard]] std::optional<DType> ggmlMethodType(std::string_view method);

// The ggml block type a method's "type" parameter names (gptq_ggml, awq_ggml, ...); throws
// cwb::Error naming `method` for any other value.
[[nodiscard]] DType ggmlTypeParam(const ParamReader &p, std::string_view method);
// Recipe forms of a method that writes a ggml type's blocks by its own algorithm (gptq_ggml,
// awq_ggml): compressed-tensors and GPTQModel get the nearest integer grid (`why` says what they
// lack, after "compressed-tensors " / `gptqModelFormat` + " "); llama.cpp gets the same type with
// the method's "imatrix" flag, not exact, with `llamaNote`.
[[nodiscard]] RecipeForms ggmlGridRecipeForms(const ParamReader &p, DType type,
                                              const std::string &why,
                                              const std::string &gptqModelFormat,
                                              std::string llamaNote);
// The method names of the ggml block types, in table order ("q4_0", ..., "q6_k").
[[nodiscard]] std::vector<std::string> ggmlMethodNames();

// The integer grid nearest to a ggml block type, for recipe tools without ggml blocks.
[[nodiscard]] methoddetail::ToolGrid ggmlNearestToolGrid(DType t);

} // namespace cwb
