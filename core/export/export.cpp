// SPDX-License-Identifier: MIT
#include "export/export.h"

#include "export/compressed_tensors_export.h"
#include "export/gguf_export.h"
#include "export/gptqmodel_export.h"
#include "export/llamacpp_export.h"
#include "export/llm_compressor_export.h"
#include "export/safetensors_export.h"
#include "util/error.h"

#include <array>

namespace cwb {
namespace {

constexpr std::array<std::pair<ExportTarget, std::string_view>, 6> kTargetNames{{
    {ExportTarget::Gguf, "gguf"},
    {ExportTarget::Safetensors, "safetensors"},
    {ExportTarget::CompressedTensors, "compressed-tensors"},
    {ExportTarget::LlmCompressor, "llm-compressor"},
    {ExportTarget::LlamaCpp, "llama.cpp"},
    {ExportTarget::GptqModel, "gptqmodel"},
}};

} // namespace

std::string_view exportTargetName(ExportTarget t)
{
    for (const auto &[target, name] : kTargetNames)
        if (target == t)
            return name;
    return "?";
}

std::optional<ExportTarget> exportTargetFromName(std::string_view name)
{
    for (const auto &[target, n] : kTargetNames)
        if (n == name)
            return target;
    return std::nullopt;
}

const std::vector<ExportTarget> &allExportTargets()
{
    static const std::vector<ExportTarget> all = [] {
        std::vector<ExportTarget> v;
        for (const auto &[target, name] : kTargetNames)
            v.push_back(target);
        return v;
    }();
    return all;
}

bool isRecipeTarget(ExportTarget t)
{
    return t == ExportTarget::LlmCompressor || t == ExportTarget::LlamaCpp
        || t == ExportTarget::GptqModel;
}

ExportResult runExport(const ExportRequest &request, const JobContext &job)
{
    switch (request.target) {
    case ExportTarget::Gguf: {
        GgufExportParams p;
        p.model = request.model;
        p.compressed = request.compressed;
        p.outPath = request.outPath;
        p.floatType = request.floatType;
        p.requantize = request.requantize;
        p.preview = request.preview;
        p.writeHooks = request.writeHooks;
        return exportGguf(p, job);
    }
    case ExportTarget::LlmCompressor:
        return exportLlmCompressor({.model = request.model,
                                    .plan = request.plan,
                                    .outPath = request.outPath,
                                    .preview = request.preview,
                                    .hooks = request.writeHooks},
                                   job);
    case ExportTarget::LlamaCpp:
        return exportLlamaCpp({.model = request.model,
                               .plan = request.plan,
                               .calibration = request.calibration,
                               .outDir = request.outPath,
                               .preview = request.preview,
                               .hooks = request.writeHooks},
                              job);
    case ExportTarget::GptqModel:
        return exportGptqModel({.model = request.model,
                                .plan = request.plan,
                                .outPath = request.outPath,
                                .preview = request.preview,
                                .hooks = request.writeHooks},
                               job);
    case ExportTarget::Safetensors: return exportSafetensors(request, job);
    case ExportTarget::CompressedTensors: return exportCompressedTensors(request, job);
    default:
        break;
    }
    throw Error("export: target " + std::string(exportTargetName(request.target))
                + " is not available in this build");
}

} // namespace cwb
