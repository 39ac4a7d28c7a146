// SPDX-License-Identifier: MIT
#pragma once
// The ggml block methods q4_0 ... q6_k (methods/ggml_methods.cpp): llama.cpp's bytes.

#include "formats/dtype.h"

#include <optional>
#include <string_view>

namespace cwb {

// The ggml block type a quantize method writes ("q4_k" -> Q4_K); nullopt for other methods.
[[nodiscard]] std::optional<DType> ggmlMethodType(std::string_view method);

} // namespace cwb
