// SPDX-License-Identifier: MIT
#pragma once
// compressed-tensors export: a Hugging Face directory vLLM loads with the archive's int grids
// kept as codes (layout and config: export/compressed_tensors_format.h), from an archive over a
// llama-family model.
//
// What each Linear module becomes:
//   rtn / gptq / awq int grids of 4 or 8 bits with group or per-channel scales (symmetric or
//   asymmetric) -> pack-quantized: our codes u ARE the stored values (symmetric u = q + 2^(b-1);
//   asymmetric u in 0..2^b-1 with zero z: their q = u - 2^(b-1), zp = z - 2^(b-1), so
//   (q - zp) s = (u - z) s), scales as stored (F16, or F32 for fp32-scale grids): exact;
//   fp8 E4M3 per-tensor / per-channel -> float-quantized (the fp8 bytes, F32 scales): exact;
//   AWQ with scales folded into the preceding norm -> its codes packed, the norm written folded;
//   every other form (nf4, fp8 E5M2, mx/nv fp4, ternary, ggml blocks, low rank, AWQ's explicit
//   input multipliers, other bit widths, one scale per tensor) and lm_head -> dense values the
//   engine uses, listed in `ignore`, with a note: not expressible (or converted where the
//   values were rounded or AWQ's multipliers folded in);
//   pruned tensors keep their zeros as codes or values: dense.
// Norms, embeddings and biases are dense (F32 for 1-D tensors, `floatType` for matrices).
//
// vLLM fuses q/k/v and gate/up into one layer and needs one scheme for each fused set: a plan
// that splits them is refused with a cwb::Error naming the modules. Every module gets its own
// anchored target, so vLLM's first-match and compressed-tensors' exact > regex > class rules
// resolve each module to the same group. Writing, reading back (our decoder,
// export/compressed_tensors_decode.h, compared bit for bit with what the archive decodes to) and
// the atomic replacement of the directory are as in export/safetensors_export.h.

#include "export/export.h"
#include "export/export_result.h"
#include "jobs/job_context.h"

namespace cwb {

// Throws cwb::Error naming the model, the modules or the output path; cwb::Cancelled.
[[nodiscard]] ExportResult exportCompressedTensors(const ExportRequest &request,
                                                   const JobContext &job = {});

} // namespace cwb
