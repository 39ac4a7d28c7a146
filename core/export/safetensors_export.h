// SPDX-License-Identifier: MIT
#pragma once
// Dense Hugging Face export: a directory any HF-compatible engine (transformers, vLLM, ...)
// loads as a Llama model, from a llama-family model we open (HF directory, GGUF "llama",
// llama2.c, safetensors) or an archive over one:
//   config.json          export/hf_config.h (LlamaForCausalLM, or the source's own config)
//   model.safetensors    one file, __metadata__ {"format": "pt"}, HF tensor names
//                        (export/hf_tensors.h), Q/K rows in rotate_half order; matrices in
//                        `floatType` (F32, F16, BF16), norms and every 1-D tensor F32; an
//                        archive's compressed tensors as the values the engine uses
//                        (dequantized, AWQ scales folded into norms staying folded, explicit AWQ
//                        multipliers folded into the weights, pruned zeros dense)
//   tokenizer files      copied from the source (export/hf_config.h)
//   cwb-export.json      the marker that lets a later export replace this directory
// Written into "<out>.tmp-<pid>", read back with our own reader (io::openModel) and compared
// tensor by tensor with the source, then moved into place (util/atomic_directory.h): a failure or
// cwb::Cancelled leaves no temporary directory and the previous export untouched, and a
// directory we did not write is never replaced.

#include "export/export.h"
#include "export/export_result.h"
#include "jobs/job_context.h"

namespace cwb {

// request.target is ignored (this is the safetensors export). Throws cwb::Error naming the model
// (not llama-family, ...) or the output path; cwb::Cancelled when `job` is.
[[nodiscard]] ExportResult exportSafetensors(const ExportRequest &request,
                                             const JobContext &job = {});

} // namespace cwb
