// SPDX-License-Identifier: MIT
// cwb export MODEL|ARCHIVE --to TARGET --out PATH: a model for an engine (GGUF, safetensors,
// compressed-tensors) or a recipe for another tool (llm-compressor, llama.cpp, GPTQModel), each
// read back and compared with the source after writing (export/export.h).

#include "analysis/activation_stats.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "export/export.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/run_inputs.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <algorithm>
#include <fstream>
#include <optional>

namespace cwb::cli {
namespace {

std::vector<std::string> targetNames()
{
    std::vector<std::string> names;
    for (const ExportTarget t : allExportTargets())
        names.emplace_back(exportTargetName(t));
    return names;
}

std::optional<DType> requantizeType(const ParsedArgs &args)
{
    if (!args.has("--requantize"))
        return std::nullopt;
    const std::string name = args.text("--requantize");
    const std::optional<DType> t = dtypeFromName(name);
    if (!t || !(dtypeInfo(*t).quantized || *t == DType::F16))
        throw UsageError("export", "--requantize: '" + name + "' is not a ggml type we write");
    return t;
}

} // namespace

const CommandSpec &exportCommand()
{
    static const CommandSpec spec{
        .name = "export",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary =
            "a model or a .cwbarchive for another engine or tool, read back and\n"
            "compared with the source after writing (exact / converted + error /\n"
            "stored dense / not expressible, per tensor):\n"
            "gguf: a GGUF v3 file llama.cpp loads (ggml blocks byte for byte, our\n"
            "int grids repacked where a ggml type holds them, others re-quantized\n"
            "with --requantize or dequantized to --float-type, norms F32);\n"
            "safetensors: a dense Hugging Face directory; compressed-tensors: a\n"
            "directory vLLM loads (pack-quantized); llm-compressor: a recipe YAML;\n"
            "llama.cpp: llama-quantize's tensor types, command line and imatrix;\n"
            "gptqmodel: quantize_config.json with per-module `dynamic` overrides.\n"
            "Recipe targets translate the archive's recipe, or --plan over MODEL",
        .options =
            {
                {.name = "--to", .kind = ValueKind::Choice, .help = "target format",
                 .choices = targetNames(), .required = true},
                {.name = "--out", .kind = ValueKind::Path, .metavar = "PATH",
                 .help = "file or directory to write (replaced atomically)", .required = true},
                {.name = "--float-type", .kind = ValueKind::Choice,
                 .help = "type of float matrices (norms stay F32; bf16: safetensors only)",
                 .defaultValue = "f32", .choices = {"f16", "bf16", "f32"}},
                {.name = "--requantize", .kind = ValueKind::Text, .metavar = "TYPE",
                 .help = "gguf: ggml type for tensors without an exact GGUF form\n"
                         "(q4_0 ... q8_0, q2_k ... q6_k; default: dequantize)"},
                {.name = "--plan", .kind = ValueKind::Path, .metavar = "RECIPE.json",
                 .help = "recipe targets: the recipe to translate (default: the\n"
                         "archive's own)"},
                calibrationOption("llama.cpp: calibration text for the imatrix .dat"),
                sequencesOption("64"),
                seqLenOption("256"),
                threadsOption(),
                {.name = "--preview", .help = "say what each tensor becomes, write nothing"},
                jsonOption(),
            },
    };
    return spec;
}

int runExport(const ParsedArgs &args, Environment &env)
{
    const std::string &path = args.positional();
    ExportRequest request;
    request.target = *exportTargetFromName(args.text("--to"));
    std::optional<OpenedArchive> archive;
    std::optional<Model> model;
    if (isArchive(path)) {
        archive = openArchive(path);
        request.model = archive->source.get();
        request.compressed = &archive->compressed;
    } else {
        model = io::openModel(path);
        request.model = &*model;
    }
    request.outPath = args.text("--out");
    const std::string floatType = args.text("--float-type", "f32");
    request.floatType = floatType == "f16"    ? DType::F16
                      : floatType == "bf16" ? DType::BF16
                                            : DType::F32;
    request.requantize = requantizeType(args);
    request.preview = args.has("--preview");

    // Recipe targets: the plan to translate.
    std::optional<Plan> plan;
    const std::string calibPath = args.text("--calib");
    if (isRecipeTarget(request.target)) {
        PlanOptions options;
        std::optional<ParsedRecipe> recipe;
        // The recipe is run by another tool on its own calibration data: methods that need
        // calibration are valid here without --calib (llama.cpp's imatrix entries need it).
        options.calibration = true;
        if (args.has("--plan")) {
            recipe = readRecipeFile(args.text("--plan"));
        } else if (archive) {
            recipe = parseRecipeLenient(archive->compressed.recipeJson, path + " (its recipe)");
        } else {
            throw UsageError("export", "--to " + args.text("--to")
                                           + " translates a recipe: give --plan RECIPE.json "
                                             "or a .cwbarchive");
        }
        plan = resolvePlan(*recipe, *request.model, options);
        for (const auto &w : plan->warnings)
            *env.err << "cwb: warning: " << w.text() << "\n";
        requireValidPlan(*plan);
        request.plan = &*plan;
    }
    std::optional<ActivationStats> calibration;
    if (!calibPath.empty() && !request.preview && request.target == ExportTarget::LlamaCpp) {
        if (!std::ifstream(calibPath).good())
            throwIn(calibPath, "cannot open the calibration text");
        CompressionInputs inputs;
        inputs.calibrationPath = calibPath;
        inputs.sequences = args.integer("--sequences", 0);
        inputs.tokensPerSequence = args.integer("--seq-len", 0);
        inputs.threads = threadsOf(args);
        // As the pipeline collects them (pipeline.cpp), so the imatrix matches an archive
        // compressed with the same --calib, --sequences and --seq-len.
        ActivationParams ap = compressParams(inputs).calibration;
        if (request.model->hparams.contextLength > 0)
            ap.tokensPerSequence = std::min(ap.tokensPerSequence,
                                            request.model->hparams.contextLength);
        calibration = collectActivationStats(*request.model, calibPath, ap, env.job());
        request.calibration = &*calibration;
        *env.err << "\n";
    }
    const ExportResult r = runExport(request, env.job());
    *env.err << "\n";
    *env.out << (args.has("--json") ? exportJson(r) : exportText(r));
    return 0;
}

} // namespace cwb::cli
