// SPDX-License-Identifier: MIT
// cwb compress MODEL --plan RECIPE.json: resolve a recipe (--dry-run: print the plan) or run
// it and write the archive, through the pipeline the GUI's Layer Plan runs.

#include "cli/commands.h"
#include "cli/common_options.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "pipeline/run_inputs.h"
#include "recipe/plan_report.h"
#include "recipe/resolve.h"
#include "report/compression_report.h"
#include "util/error.h"

#include <fstream>
#include <sstream>

namespace cwb::cli {
namespace {

// The whole of a small text file (a recipe, already size-checked by readRecipeFile).
std::string readTextFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

const CommandSpec &compressCommand()
{
    static const CommandSpec spec{
        .name = "compress",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary =
            "--dry-run: resolve a recipe against the model and print the plan:\n"
            "every tensor, what it gets, which rule set each field, estimated\n"
            "bytes; dead rules are warned, and every problem (unknown tensors or\n"
            "methods, sizes that do not divide rows, Hessian methods without\n"
            "--calib) is listed at once with exit status 1\n"
            "--out: run the plan (prune -> low rank -> quantize per tensor, tensors\n"
            "in parallel) with calibration statistics from FILE (N sequences of\n"
            "seq-len tokens, default 64 x 256), write the archive atomically, each\n"
            "tensor as it finishes (memory holds the tensors in flight, within\n"
            "--memory-budget), and print per-tensor errors, bytes, bits/weight\n"
            "and the calibration tokens each tensor's statistics saw; `cwb eval`\n"
            "and `cwb inspect` accept the archive (read with its source model);\n"
            "progress on stderr, Ctrl-C stops without writing",
        .options =
            {
                {.name = "--plan", .kind = ValueKind::Path, .metavar = "RECIPE.json",
                 .help = "the recipe to resolve and run", .required = true},
                {.name = "--out", .kind = ValueKind::Path, .metavar = "OUT.cwbarchive",
                 .help = "run the plan and write the archive here",
                 .requiredUnless = "--dry-run"},
                {.name = "--dry-run", .help = "print the resolved plan, run nothing"},
                calibrationOption("calibration text for the methods that need statistics"),
                threadsOption(),
                memoryBudgetOption(),
                sequencesOption("64"),
                seqLenOption("256"),
                {.name = "--sequential",
                 .help = "collect the calibration statistics layer by layer, each layer's\n"
                         "inputs from the layers before it already compressed (GPTQ's\n"
                         "\"true sequential\"); default: once, on the original model"},
                jsonOption(),
            },
    };
    return spec;
}

int runCompress(const ParsedArgs &args, Environment &env)
{
    const std::string &modelPath = args.positional();
    const std::string recipePath = args.text("--plan");
    const std::string calibPath = args.text("--calib");
    const bool json = args.has("--json");
    if (!calibPath.empty() && !std::ifstream(calibPath).good())
        throwIn(calibPath, "cannot open the calibration text");
    const ParsedRecipe recipe = readRecipeFile(recipePath);
    const Model model = io::openModel(modelPath);
    PlanOptions options;
    options.calibration = !calibPath.empty();
    const Plan plan = resolvePlan(recipe, model, options);
    // The text report lists warnings itself; elsewhere they go to stderr.
    if (json || !plan.valid())
        for (const auto &w : plan.warnings)
            *env.err << "cwb: warning: " << w.text() << "\n";
    requireValidPlan(plan);
    if (args.has("--dry-run")) {
        *env.out << (json ? planJson(plan) : planText(plan));
        return 0;
    }
    CompressionInputs inputs;
    inputs.calibrationPath = calibPath;
    inputs.sequences = args.integer("--sequences", 0);
    inputs.tokensPerSequence = args.integer("--seq-len", 0);
    inputs.threads = threadsOf(args);
    inputs.sequential = args.has("--sequential");
    inputs.recipeJson = readTextFile(recipePath);
    // Each tensor goes into the archive as it finishes and is then dropped: memory holds the
    // tensors in flight, not the compressed model (a 7B model's would not fit in 2 GB).
    CompressParams params = compressParams(inputs);
    params.keepStoredData = false;
    params.memoryBudgetBytes = memoryBudgetOf(args);
    const std::string outPath = args.text("--out");
    const CompressedModel result =
        writeArchiveStreamed(outPath, [&](const ArchiveTensorSink &sink) {
            return compressModel(model, plan, params, env.job(),
                                 [&](const CompressedTensor &t, size_t, size_t) { sink(t); });
        });
    *env.err << "\n";
    *env.out << (json ? compressionJson(result, outPath) : compressionText(result, outPath));
    return 0;
}

} // namespace cwb::cli
