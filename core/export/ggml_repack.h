// SPDX-License-Identifier: MIT
#pragma once
// Our symmetric int grids in ggml's legacy blocks, bit for bit. The method registry says which
// stored forms these are (methods/int_grid.cpp, ExportForms::gguf): rtn-form codes (rtn, gptq,
// awq) that are symmetric, 4-, 5- or 8-bit, in groups of 32 with fp16 scales. A block decodes
// (q - 2^(b-1)) d with an fp16 d per 32 weights, exactly our (u - 2^(b-1)) s:
//   Q4_0  d, qs[16]: byte j holds u_j (low nibble) and u_{j+16} (high nibble)
//   Q5_0  d, qh (u32: bit j = fifth bit of u_j), qs[16] as Q4_0 with the low four bits
//   Q8_0  d, qs[32] int8 = u - 128
// Asymmetric grids (u in 0..2^b-1, w = (u - zero) s) go into Q4_1 / Q5_1, which decode
// q d + m: the same codes, d = s, m = -s zero rounded to fp16. m is exact when s zero is an fp16
// value (often not: s has 11 significant bits, zero up to 5 more), so the export verifies it and
// reports the minimum's rounding as the tensor's error.
//   Q4_1  d, m, qs[16] as Q4_0        Q5_1  d, m, qh, qs[16] as Q5_0

#include "formats/dtype.h"
#include "formats/quantized_tensor.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace cwb {

// The ggml type that holds `q` exactly, or nullopt for any other stored form.
[[nodiscard]] std::optional<DType> exactGgmlTypeOf(const QuantizedTensor &q);

// Q4_1 or Q5_1 for an asymmetric 4- or 5-bit grid in groups of 32 with fp16 scales whose every
// -s zero is a finite fp16 after rounding; nullopt otherwise.
[[nodiscard]] std::optional<DType> minimumGgmlTypeOf(const QuantizedTensor &q);

// `q`'s codes and scales as blocks of `type` (exactGgmlTypeOf(q) or minimumGgmlTypeOf(q)),
// rows x cols/32 blocks.
[[nodiscard]] std::vector<std::byte> repackAsGgml(const QuantizedTensor &q, DType type);

} // namespace cwb
