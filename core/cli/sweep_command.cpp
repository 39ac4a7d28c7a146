// SPDX-License-Identifier: MIT
// cwb sweep MODEL: compress and evaluate a list of recipes into the project's evaluation
// history (sweep/sweep.h), or spread them over a Slurm job array and merge its results
// (sweep/slurm_array.h). Four modes on one option table: a sweep here (the default),
// --emit-slurm DIR, --task I --out-dir DIR (one task of such an array), --collect DIR.

#include "cli/commands.h"
#include "cli/common_options.h"
#include "io/open_model.h"
#include "sweep/point_json.h"
#include "sweep/slurm_array.h"
#include "sweep/sweep.h"
#include "sweep/sweep_report.h"
#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace cwb::cli {
namespace {

// The options that say what to measure: a task and a collection read them from the array.
constexpr const char *kMeasureOptions[] = {
    "--text",    "--recipe", "--recipe-dir", "--reference", "--calib",  "--sequences",
    "--seq-len", "--ctx",    "--chunks",     "--latency",   "--threads", "--emulate-q8"};

void refuseMeasureOptions(const ParsedArgs &args, const std::string &mode)
{
    for (const char *o : kMeasureOptions)
        if (args.has(o))
            throw UsageError("sweep", std::string(o) + " is not used with " + mode
                                          + ": the array's sweep.json holds what to measure");
}

SweepParams sweepParams(const ParsedArgs &args, const Model &model)
{
    if (!args.has("--text"))
        throw UsageError("sweep", "--text FILE is required (the text every point is evaluated on)");
    std::vector<std::string> files = args.texts("--recipe");
    if (args.has("--recipe-dir"))
        files = recipeFilesIn(args.text("--recipe-dir"));
    const std::vector<std::string> references = args.texts("--reference");
    if (files.empty() && references.empty())
        throw UsageError("sweep", "give the recipes to sweep: --recipe RECIPE.json (repeated) or "
                                  "--recipe-dir DIR, or reference files: --reference FILE");
    SweepParams p;
    p.model = &model;
    p.points.push_back(originalPoint());
    for (const auto &f : files)
        p.points.push_back(recipePoint(f));
    for (const auto &f : references)
        p.points.push_back(referencePoint(f));
    p.evaluation.textPath = args.text("--text");
    p.evaluation.nCtx = args.integer("--ctx", p.evaluation.nCtx);
    p.evaluation.chunks = args.integer("--chunks", p.evaluation.chunks);
    p.evaluation.latency = args.has("--latency");
    p.evaluation.integerActivations = args.has("--emulate-q8");
    p.calibration.path = args.text("--calib");
    p.calibration.sequences = args.integer("--sequences", 0);
    p.calibration.tokensPerSequence = args.integer("--seq-len", 0);
    p.threads = threadsOf(args);
    p.projectPath = args.text("--project");
    return p;
}

std::string pointLine(const SweepEvent &e)
{
    const HistoryPoint &p = e.point;
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "[" + string.
    std::string line(1, '[');
    line.append(std::to_string(e.index + 1)).append("/").append(std::to_string(e.total));
    line.append("] ").append(p.name).append(": ");
    line.append(e.source == PointSource::Measured ? "measured" : "already stored");
    line.append(", ").append(humanBytes(p.bytes)).append(", ppl ").append(fixed(p.ppl, 4));
    if (p.hasKld)
        line.append(", KLD ").append(fixed(p.kldMean, 5));
    return line;
}

int runTask(const ParsedArgs &args, Environment &env)
{
    refuseMeasureOptions(args, "--task");
    if (args.has("--project") || args.has("--emit-slurm") || args.has("--collect"))
        throw UsageError("sweep", "--task runs one point of an array and writes its result under "
                                  "--out-dir; merge results into a project with --collect");
    const Model model = io::openModel(args.positional());
    const int64_t task = args.integer("--task", 0);
    const HistoryPoint p = runSlurmTask(model, args.text("--out-dir"), task, env.job());
    *env.err << "\n";
    if (args.has("--json"))
        *env.out << historyPointJson(p).dump(2) << "\n";
    else
        *env.out << "task " << task << " (" << p.name << "): " << humanBytes(p.bytes) << ", ppl "
                 << fixed(p.ppl, 4) << ", written to results/ in " << args.text("--out-dir")
                 << "\n";
    return 0;
}

int runCollect(const ParsedArgs &args, Environment &env)
{
    refuseMeasureOptions(args, "--collect");
    const Model model = io::openModel(args.positional());
    const std::string dir = args.text("--collect");
    const std::string project = args.text("--project");
    const SlurmCollection c = collectSlurmArray(model, dir, project);
    const SweepReport r = collectionReport(c, dir, project, args.positional());
    *env.out << (args.has("--json") ? sweepJson(r) : sweepText(r));
    const size_t open = c.missing.size() + c.failed.size();
    if (open == 0)
        return 0;
    *env.err << "cwb: " << open << " of " << c.tasks << " tasks are not in the project ("
             << c.missing.size() << " missing, " << c.failed.size() << " failed)\n";
    return 1;
}

} // namespace

const CommandSpec &sweepCommand()
{
    static const CommandSpec spec{
        .name = "sweep",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary =
            "compress and evaluate each recipe, and the original model, on one text:\n"
            "stored bytes, bits/weight, perplexity, KLD and top-1 agreement against\n"
            "the original, weight/KV memory and peak RSS (--latency: prefill and\n"
            "decode tokens/s); each point joins the project's evaluation history as\n"
            "it finishes, and points already there are not measured again, so an\n"
            "interrupted sweep resumes; --emit-slurm writes a Slurm job array of the\n"
            "points instead (one task each, run by --task), --collect merges the\n"
            "tasks' results into the project; progress on stderr, Ctrl-C stops\n"
            "keeping the points finished",
        .options =
            {
                {.name = "--project", .kind = ValueKind::Path, .metavar = "P.cwbproj",
                 .help = "the project whose evaluation history the points join (created when "
                         "missing)",
                 .requiredUnless = "--task"},
                {.name = "--text", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "UTF-8 text every point is evaluated on (to measure or emit)"},
                {.name = "--recipe", .kind = ValueKind::Path, .metavar = "RECIPE.json",
                 .help = "a recipe to compress and evaluate", .repeatable = true,
                 .exclusiveWith = "--recipe-dir"},
                {.name = "--recipe-dir", .kind = ValueKind::Path, .metavar = "DIR",
                 .help = "every *.json recipe in DIR, in name order"},
                {.name = "--reference", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "another file of the same model (e.g. llama.cpp's Q4_K_M GGUF of it), "
                         "evaluated as stored: a reference point, drawn apart and never on the "
                         "Pareto front",
                 .repeatable = true},
                calibrationOption("calibration text for the recipes that need statistics "
                                  "(collected once per sweep)"),
                sequencesOption("64"),
                seqLenOption("256"),
                {.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "evaluation window length in tokens", .defaultValue = "512",
                 .intMin = 2, .intMax = int64_t{1} << 24},
                {.name = "--chunks", .kind = ValueKind::Integer, .metavar = "K",
                 .help = "evaluation windows", .defaultValue = "all", .intMin = 0,
                 .intMax = int64_t{1} << 24, .rangeNote = "0 = all"},
                {.name = "--latency", .help = "also measure prefill and decode speed"},
                {.name = "--emulate-q8",
                 .help = "integer activations: quantized matrices multiply Q8 inputs in int8,\n"
                         "as llama.cpp computes (its speed and its numbers); default float"},
                threadsOption(),
                {.name = "--emit-slurm", .kind = ValueKind::Path, .metavar = "DIR",
                 .help = "write a Slurm job array of the points not in the project into DIR "
                         "(new or empty) instead of running them",
                 .exclusiveWith = "--collect"},
                {.name = "--collect", .kind = ValueKind::Path, .metavar = "DIR",
                 .help = "merge the results of the array in DIR into the project; lists the "
                         "tasks missing or failed (exit status 1)"},
                {.name = "--task", .kind = ValueKind::Integer, .metavar = "I",
                 .help = "run task I of the array in --out-dir and write its result (what the "
                         "array's task.sh runs)",
                 .intMin = 0, .intMax = int64_t{1} << 20, .needs = "--out-dir"},
                {.name = "--out-dir", .kind = ValueKind::Path, .metavar = "DIR",
                 .help = "the --emit-slurm directory --task reads and writes", .needs = "--task"},
                jsonOption(),
            },
    };
    return spec;
}

int runSweep(const ParsedArgs &args, Environment &env)
{
    if (args.has("--task"))
        return runTask(args, env);
    if (args.has("--collect"))
        return runCollect(args, env);
    const std::string &modelPath = args.positional();
    const Model model = io::openModel(modelPath);
    SweepParams p = sweepParams(args, model);
    const std::string project = p.projectPath;
    if (args.has("--emit-slurm")) {
        const SlurmEmission e = emitSlurmArray(p, args.text("--emit-slurm"), env.executable);
        *env.out << emissionText(e, std::filesystem::absolute(modelPath).string(),
                                 std::filesystem::absolute(project).string());
        return 0;
    }
    p.onPoint = [&](const SweepEvent &e) { *env.err << "\n" << pointLine(e); };
    const SweepResult r = cwb::runSweep(p, env.job());
    *env.err << "\n";
    const SweepReport report = sweepReport(r, project, modelPath);
    *env.out << (args.has("--json") ? sweepJson(report) : sweepText(report));
    return 0;
}

} // namespace cwb::cli
