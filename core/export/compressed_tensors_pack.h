// SPDX-License-Identifier: MIT
#pragma once
// From our stored forms to compressed-tensors (layout: export/compressed_tensors_format.h):
// which scheme an archive's matrix has, if any, and the tensors of its module.
//
// Our int grids (formats/quantized_tensor.h) store per weight a code u and per scale entry a
// zero z in codeBits bits: symmetric u = q + 2^(b-1), asymmetric u in 0..2^b-1. compressed-
// tensors stores q + 2^(b-1) and zp + 2^(b-1) for its signed q and zp, and decodes (q - zp) s.
// Taking q = u - 2^(b-1) (and zp = z - 2^(b-1); 0 when symmetric) gives stored values u and z
// unchanged and (q - zp) s = (u - z) s, our value. So codes and zeros are copied, only repacked
// into int32 words; scales are copied as stored. fp8 E4M3 codes are the float8_e4m3fn bytes.

#include "compress/compressed_model.h"
#include "export/compressed_tensors_format.h"
#include "io/safetensors_writer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

// The scheme `ct`'s matrix is written in, or nullopt with `whyNot` saying why it has none (empty
// for a plain float matrix, which has nothing to lose).
[[nodiscard]] std::optional<CtScheme> ctSchemeOf(const CompressedTensor &ct, std::string &whyNot);

// The tensors of `module` for a matrix of scheme `s` (from ctSchemeOf), rows reordered so that
// row r is the stored row rowSources[r] (empty: unchanged).
[[nodiscard]] std::vector<io::SafetensorsTensor>
packCtModule(const QuantizedTensor &q, const CtScheme &s, const std::string &module,
             const std::vector<int64_t> &rowSources);

} // namespace cwb
