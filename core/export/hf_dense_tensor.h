// SPDX-License-Identifier: MIT
#pragma once
// One tensor of a Hugging Face directory written as plain floats (F32, F16 or BF16 safetensors
// bytes), and its check once the file is read back. Both HF exports use it: the safetensors
// export for every tensor, compressed-tensors for norms, embeddings and every Linear it leaves
// dense.
//
// Type: 1-D tensors (norms, biases) F32, matrices `floatType`. Values: the source's, or for an
// archive the values the engine uses (export/engine_values.h), in HF row order. Exact by
// construction when written as F32 or in the type they already have (F16 -> F16); anything else
// is decided by reading the file back: bit-identical values are exact, others converted with the
// largest error measured.

#include "export/export_result.h"
#include "export/hf_tensors.h"
#include "formats/dtype.h"
#include "tensor/tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct DenseTensorPlan {
    ExportedTensor report;
    DType type = DType::F32;
    std::vector<int64_t> shape;
    std::vector<std::byte> bytes;  // as written (empty for a preview)
    std::vector<float> reference;  // the values it must read back as (empty for a preview)
    bool exactByConstruction = false;
    bool forcedConverted = false;  // the same values as a function, computed differently (AWQ)
    bool formLost = false;         // a compressed form the target cannot hold: not expressible
    bool pruned = false;           // sparsity stored as zeros: dense
};

// With `materialize` false (a preview) the type, notes and expected fate are decided and no
// value is decoded.
[[nodiscard]] DenseTensorPlan planDenseTensor(const HfTensor &t, int64_t headDim,
                                              DType floatType, bool materialize);

// The fate the plan expects before anything is read back (what a preview reports).
[[nodiscard]] ExportFate expectedFate(const DenseTensorPlan &p);

// Checks the tensor read back (`back`, from `path`): name, type, shape, bytes and values. Sets
// the report's fate and error; throws cwb::Error naming `path` and the tensor when anything
// differs from what was written or a tensor exact by construction is not bit-identical.
void checkDenseTensor(DenseTensorPlan &p, const Tensor &back, const std::string &path);

// "float32", "float16", "bfloat16" (config.json's torch_dtype spelling).
[[nodiscard]] std::string torchDtypeName(DType t);

} // namespace cwb
