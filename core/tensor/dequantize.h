// SPDX-License-Identifier: MIT
#pragma once
// Conversion of stored values to float32, for every decodable DType.
// `convertRowReference` is the plain scalar reference (one element or block at a time);
// `convertToFloat` is the fast path (oneTBB over chunks of whole blocks), tested against it.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace cwb {

// Scalar reference: decode `n` values (a whole number of blocks) from `src` into `dst`.
void convertRowReference(DType t, const std::byte *src, float *dst, int64_t n);

// Fast path: same result as the reference, parallel over chunks for large inputs.
// `src` must hold exactly storageBytes(t, dst.size()) bytes.
void convertToFloat(DType t, std::span<const std::byte> src, std::span<float> dst);

} // namespace cwb
