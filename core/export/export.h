// SPDX-License-Identifier: MIT
#pragma once
// One entry point for every export the workbench makes, for `cwb export` and the GUI's
// File > Export: a target, the source (a model, optionally with an archive's compressed tensors,
// and for recipe targets the resolved plan), where to write, and the target's options. A
// preview plans what each tensor or plan entry becomes and writes nothing; a real run writes
// atomically (a failure or cancel leaves no file and the previous one intact), then reads what
// it wrote back and compares it with the source (export/export_result.h).
//
// Targets and what they write:
//   gguf               one .gguf for llama.cpp (export/gguf_export.h)
//   safetensors        a dense Hugging Face directory: config.json, model.safetensors, the
//                      source's tokenizer files
//   compressed-tensors a Hugging Face directory vLLM loads: pack-quantized int weights and the
//                      quantization_config block in config.json
//   llm-compressor     a recipe YAML for llm-compressor's oneshot
//   llama.cpp          a directory: llama-quantize's tensor-type file, the command line, and the
//                      imatrix .dat from the calibration statistics
//   gptqmodel          quantize_config.json with GPTQModel's `dynamic` per-module overrides

#include "compress/compressed_model.h"
#include "export/export_result.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "util/atomic_file.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct ActivationStats;
struct Plan;

enum class ExportTarget : uint8_t {
    Gguf,
    Safetensors,
    CompressedTensors,
    LlmCompressor,
    LlamaCpp,
    GptqModel,
};

// "gguf", "safetensors", "compressed-tensors", "llm-compressor", "llama.cpp", "gptqmodel"
[[nodiscard]] std::string_view exportTargetName(ExportTarget t);
[[nodiscard]] std::optional<ExportTarget> exportTargetFromName(std::string_view name);
[[nodiscard]] const std::vector<ExportTarget> &allExportTargets();
// True for the targets that write a recipe (the plan), not the model's weights.
[[nodiscard]] bool isRecipeTarget(ExportTarget t);

struct ExportRequest {
    ExportTarget target = ExportTarget::Gguf;
    const Model *model = nullptr;                 // the source model (required)
    const CompressedModel *compressed = nullptr;  // an archive's tensors over `model`, or null
    // Recipe targets: the resolved plan to translate (an archive's recipe resolved against its
    // source, or a recipe given with the model). Model targets ignore it.
    const Plan *plan = nullptr;
    // llama.cpp: calibration statistics written as the imatrix .dat (null: no imatrix).
    const ActivationStats *calibration = nullptr;
    std::string outPath;          // the file or directory to write (replaced atomically)
    DType floatType = DType::F32; // float matrices: gguf F32 / F16; safetensors F32 / F16 / BF16
    // gguf: the ggml type tensors without an exact GGUF form are re-quantized to (with the added
    // error reported); nullopt: they are dequantized to floatType.
    std::optional<DType> requantize;
    bool preview = false;         // plan only: say what each tensor becomes, write nothing
    AtomicWriteHooks writeHooks;  // tests inject failures into the atomic writes here
};

// Throws cwb::Error naming the source, the output path or the tensor that cannot be exported;
// cwb::Cancelled when `job` is cancelled (nothing is left behind).
[[nodiscard]] ExportResult runExport(const ExportRequest &request, const JobContext &job = {});

} // namespace cwb
