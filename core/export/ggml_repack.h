// SPDX-License-Identifier: MIT
#pragma once
// Our symmetric int grids in ggml's legacy blocks, bit for bit. The method registry says which
// stored forms these are (methods/int_grid.cpp, ExportForms::gguf): rtn-form codes (rtn, gptq,
// awq) that are symmetric, 4-, 5- or 8-bit, in groups of 32 with fp16 scales. A block decodes
// (q - 2^(b-1)) d with an fp16 d per 32 weights, exactly our (u - 2^(b-1)) s:
//   Q4_0  d, qs[16]: byte j holds u_j (low nibble) and u_{j+16} (high nibble)
//   Q5_0  d, qh (u32: bit j = fifth bit of u_j), qs[16] as Q4_0 with the low four bits
//   Q8_0  d, qs[32] int8 = u - 128

#include "formats/dtype.h"
#include "formats/quantized_tensor.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace cwb {

// The ggml type that holds `q` exactly, or nullopt for any other stored form.
[[nodiscard]] std::optional<DType> exactGgmlTypeOf(const QuantizedTensor &q);

// `q`'s codes and scales as blocks of `type` (exactGgmlTypeOf(q)), rows x cols/32 blocks.
[[nodiscard]] std::vector<std::byte> repackAsGgml(const QuantizedTensor &q, DType type);

} // namespace cwb
