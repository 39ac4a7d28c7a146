// SPDX-License-Identifier: MIT
#pragma once
// GGUF export for llama.cpp: a llama-family model (any format we open) or an archive (its source
// model with the compressed tensors, as the engine runs it) written as GGUF v3 with the metadata
// and tensor names llama.cpp's "llama" loader requires (../shared/FORMATS.md), then reopened with
// our reader and compared tensor by tensor with what the source decodes to.
//
// What each tensor becomes:
//   ggml block types (stored in the source, or by a ggml method such as q4_k / q6_k / q8_0,
//   whose registry export form names that same type) -> written byte for byte: exact;
//   float matrices -> `floatType` (F32 or F16); exact when no rounding happens (F16 -> F16,
//   F16/BF16/F32 -> F32), else converted with the error measured;
//   norms, biases and every 1-D tensor -> F32 (llama.cpp's converter forces it);
//   symmetric int grids in groups of 32 with fp16 scales (rtn, gptq, awq codes; the registry's
//   export form Q4_0 / Q5_0 / Q8_0) -> repacked into those blocks (export/ggml_repack.h): exact;
//   asymmetric 4- / 5-bit grids in groups of 32 with fp16 scales -> Q4_1 / Q5_1 with the same
//   codes and scale and the minimum -s*zero rounded to fp16: exact where every product is an
//   fp16 value, else converted (the error is the minimum's rounding, measured);
//   AWQ's explicit input multipliers (not folded into a norm) -> folded into the weights;
//   other compressed tensors -> re-quantized to `requantize` when given, else dequantized:
//   our other int grids, nf4, fp8, low rank, masks decoded as non-zero: from the values the
//   engine multiplies with, in `floatType` or the ggml type; converted, the error measured;
//   pruned tensors -> stored dense (their zeros are values like any other).
// Hugging Face Q/K rows (rotate_half order) are permuted into GGUF's interleaved order as
// convert_hf_to_gguf.py does; GGUF and llama2.c sources are already in that order. Rows permute
// whole, so block bytes move unchanged.
//
// The write is atomic: the file is written and verified under a temporary name and renamed over
// the target only then, so a failure, a verification that finds a tensor planned "exact" not
// bit-identical, or cwb::Cancelled leaves no file and no temporary file, and the previous file
// under the output path untouched.

#include "compress/compressed_model.h"
#include "export/export_result.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "util/atomic_file.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

struct GgufExportParams {
    const Model *model = nullptr;                 // the source model (required)
    const CompressedModel *compressed = nullptr;  // an archive's tensors over `model`, or null
    std::string outPath;                          // the .gguf to write (replaced atomically)
    DType floatType = DType::F32;                 // F32 or F16 for float matrices
    // The ggml type compressed matrices without an exact GGUF form are re-quantized to, from the
    // values the engine uses (llama-quantize's fallback where rows do not fit its blocks);
    // nullopt: they are dequantized to floatType. Either way the error is measured.
    std::optional<DType> requantize;
    bool preview = false; // decide every tensor's type and note; decode, write and verify nothing
    AtomicWriteHooks writeHooks; // tests inject failures into the atomic write here
};

// Throws cwb::Error naming the model (not llama-family, no tokenizer, hyper-parameters missing,
// a tensor llama.cpp would not accept) or the output path; cwb::Cancelled when `job` is.
[[nodiscard]] ExportResult exportGguf(const GgufExportParams &params, const JobContext &job = {});

} // namespace cwb
