// SPDX-License-Identifier: MIT
#pragma once
// The .cwbarchive file: a compressed model as HDF5, with what it takes to reload and evaluate it
// (packed codes, scales, zero points, masks, low-rank factors), the recipe as given, the
// resolved plan (recipe/plan_report.h JSON) and the per-tensor reports. Tensors the plan keeps
// are not copied: the archive names its source model (path, format, size, content hash of
// model/model_fingerprint.h) and is always read together with it.
//
// Layout (schema "cwb-archive", version 1):
//   /                 @schema @schema_version @created_by @source_path @source_format
//                     @source_size @source_hash @calibration_source @calibration_tokens
//                     recipe, plan              1-element string datasets (JSON)
//   /totals           @tensors @original_bytes @compressed_bytes @parameters @bits_per_weight
//                     @compression_ratio @seconds
//   /tensors/<canonical, escaped>   @index @name @canonical @rows @cols @plan, shape (int64),
//                     folded_scales (float; AWQ scales folded into the preceding norm),
//                     report: @relative_error @output_error @original_bytes @stored_bytes
//                     @bits_per_weight @sparsity @rank @seconds @format, notes (strings)
//     weight | factor_a | factor_b   a stored matrix:
//                     @kind ("float", "quantized", "ggml") @rows @cols
//                     float / ggml: @type (dtype name), bytes (uint8)
//                     quantized: @method @code_bits @packing @group_size @scale_type
//                     @dq_block_size @scale_offset @has_tensor_scale @tensor_scale, the method's
//                     parameters as @p_<name>, codes / scales / zeros (uint8), second_scales
//                     (float); input_scales (float) for AWQ
//     mask            @nm_n @nm_m @stored_bytes, bitmap (uint8), nm_indices (uint8)
//   /structure        only when the plan removed structures (pipeline/structure_step.h):
//                     @layers @heads @kv_heads @ffn_width (after) @parameters_before
//                     @parameters_after, dropped_blocks (int64, source numbering), per removed
//                     structure change_layer change_before change_after (int64)
//                     change_error_removed change_error_repaired (double) change_tensor
//                     change_what (strings); the tensors' @index / @name are then those of
//                     the smaller model
// Empty arrays are not written (absent = empty).
//
// Reading checks everything against the layout before anything decodes it; a hostile or
// truncated file gives a cwb::Error naming the file and the object.

#include "compress/compressed_model.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <functional>
#include <memory>
#include <string>

namespace cwb {

inline constexpr const char *kArchiveSchema = "cwb-archive";
inline constexpr int64_t kArchiveSchemaVersion = 1;

// Atomic (util/atomic_file.h); polls `job` between tensors: cwb::Cancelled leaves no file.
void writeArchive(const std::string &path, const CompressedModel &model,
                  const JobContext &job = {});

// Takes one finished tensor; it is written to the archive before the call returns. Calls are
// serialized by the caller (the pipeline's onTensor is).
using ArchiveTensorSink = std::function<void(const CompressedTensor &)>;

// Writes the archive while its tensors are being made, so only the tensors in flight are ever
// held (a 7B model's compressed form need not fit in memory): `produce` hands every tensor to
// the sink as it finishes and returns the model, whose header (source, recipe, plan, totals,
// structure) is written last; its `tensors` are not written again (the pipeline's
// CompressParams::keepStoredData = false leaves only their reports there). Returns what
// `produce` returned. Atomic like writeArchive: whatever `produce` throws (cwb::Cancelled
// included) leaves no file and the previous one as it was. Throws cwb::Error naming the file
// when the totals' tensor count differs from the tensors handed over.
CompressedModel writeArchiveStreamed(
    const std::string &path,
    const std::function<CompressedModel(const ArchiveTensorSink &)> &produce);
[[nodiscard]] CompressedModel readArchive(const std::string &path);

// True when the file is an HDF5 file whose root says it is a cwb archive.
[[nodiscard]] bool isArchive(const std::string &path);

struct OpenedArchive {
    std::shared_ptr<const Model> source;
    CompressedModel compressed;
    CompressedReplacements replacements;
};

// Reads the archive, opens its source model (the recorded path; when that does not exist, the
// same file name next to the archive; or `sourceOverride`), checks the fingerprint (a different
// file is refused, naming both) and builds the engine replacements. With a /structure group,
// `source` is the smaller model the structure step left (structuredSource).
[[nodiscard]] OpenedArchive openArchive(const std::string &path,
                                        const std::string &sourceOverride = {});

} // namespace cwb
