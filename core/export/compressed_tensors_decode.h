// SPDX-License-Identifier: MIT
#pragma once
// A decoder of compressed-tensors weights (layout: export/compressed_tensors_format.h), written
// from the format and used to verify what the export wrote: the weight of one Linear module, from
// the tensors of the safetensors file it was read back from, as the values the scheme defines:
//   pack-quantized   unpack, q = u - 2^(b-1), zp likewise (0 when symmetric),
//                    value = float(q - zp) * scale
//   float-quantized  value = fp8_e4m3(weight) * scale
//   dense (no scheme) P.weight as float
// in float32, the arithmetic of our own dequantizers: codes written from our grids decode bit
// for bit, and any difference is a fault of the export.

#include "export/compressed_tensors_format.h"
#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct CtDecodedWeight {
    std::vector<int64_t> shape; // {out, in}
    std::vector<float> values;  // row-major
};

// Throws cwb::Error naming `source` and the tensor when a tensor the scheme needs is missing or
// its type or shape disagrees with the format.
[[nodiscard]] CtDecodedWeight decodeCtWeight(const Model &file, const std::string &module,
                                             const CtScheme *scheme, const std::string &source);

// The tensor names a module's scheme stores ("P.weight_packed", ...), for completeness checks.
[[nodiscard]] std::vector<std::string> ctTensorNames(const std::string &module,
                                                     const CtScheme *scheme);

} // namespace cwb
