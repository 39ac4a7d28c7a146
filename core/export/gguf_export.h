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
//   other compressed tensors (our int grids, nf4, fp8, low rank, masks decoded as non-zero)
//   -> their dequantized values (what the engine multiplies with) in `floatType`: converted;
//   pruned tensors -> stored dense (their zeros are values like any other).
// Hugging Face Q/K rows (rotate_half order) are permuted into GGUF's interleaved order as
// convert_hf_to_gguf.py does; GGUF and llama2.c sources are already in that order. Rows permute
// whole, so block bytes move unchanged.
//
// The write is atomic (io/gguf_writer.h): a failure or cwb::Cancelled leaves no file and no
// temporary file, and the previous file under the output path untouched. A verification that
// finds a tensor "exact" but not bit-identical removes the written file and throws.

#include "compress/compressed_model.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct GgufExportParams {
    const Model *model = nullptr;                 // the source model (required)
    const CompressedModel *compressed = nullptr;  // an archive's tensors over `model`, or null
    std::string outPath;                          // the .gguf to write (replaced atomically)
    DType floatType = DType::F32;                 // F32 or F16 for float matrices
};

struct ExportedTensor {
    std::string name;        // GGUF name ("blk.0.attn_q.weight")
    std::string source;      // what it was: "F32", "Q4_K (q4_k)", "rtn int4 g32 sym", ...
    std::string written;     // ggml type written ("Q4_K", "F16", "F32")
    bool exact = false;      // the file decodes to exactly the source's values
    double maxAbsError = 0;  // max |file value - source value| over the tensor (0 when exact)
    std::string note;        // why it was converted, permuted, stored dense ...
};

struct GgufExportResult {
    std::string path;
    uint64_t fileBytes = 0;
    std::vector<ExportedTensor> tensors; // in file order
    std::vector<std::string> notes;      // model-wide: skipped tensors, tied head, tokenizer
    [[nodiscard]] int64_t exactCount() const;
};

// Throws cwb::Error naming the model (not llama-family, no tokenizer, hyper-parameters missing,
// a tensor llama.cpp would not accept) or the output path; cwb::Cancelled when `job` is.
[[nodiscard]] GgufExportResult exportGguf(const GgufExportParams &params,
                                          const JobContext &job = {});

} // namespace cwb
