// SPDX-License-Identifier: MIT
#include "cli/sensitivity_inputs.h"

#include "choose/sensitivity.h"
#include "cli/common_options.h"
#include "project/project_file.h"
#include "util/error.h"

#include <filesystem>
#include <fstream>

namespace cwb::cli {

std::vector<OptionSpec> sensitivityOptions()
{
    OptionSpec seqLen = seqLenOption("256");
    seqLen.help = "tokens per calibration sequence and per dKLD window, BOS included";
    return {
        {.name = "--candidates", .kind = ValueKind::Text, .metavar = "LIST",
         .help = "the options, comma-separated: q4_k,q6_k,rtn:bits=4:group=32 (README: "
                 "Candidates)",
         .defaultValue = "every registry setting the target stores exactly"},
        {.name = "--target", .kind = ValueKind::Choice,
         .help = "the export the default options must be exact for (solve: every option)",
         .defaultValue = "gguf",
         .choices = {"gguf", "compressed-tensors", "any"}},
        {.name = "--windows", .kind = ValueKind::Integer, .metavar = "N",
         .help = "calibration windows the dKLD is measured on (from the end of the text)",
         .defaultValue = "8", .intMin = 1, .intMax = 4096},
        sequencesOption("64"),
        std::move(seqLen),
        {.name = "--project", .kind = ValueKind::Path, .metavar = "P.cwbproj",
         .help = "cache: reuse the analysis stored there when its key matches, else store it"},
    };
}

TargetFormat targetOf(const ParsedArgs &args)
{
    return targetFormatFromName(args.text("--target", "gguf")).value_or(TargetFormat::Gguf);
}

std::vector<Candidate> candidatesOf(const ParsedArgs &args, const std::string &command)
{
    if (!args.has("--candidates"))
        return defaultCandidates(targetOf(args));
    try {
        return parseCandidates(args.text("--candidates"));
    } catch (const Error &e) {
        throw UsageError(command, std::string("--candidates: ") + e.what());
    }
}

SensitivityRun obtainSensitivity(const Model &model, const ParsedArgs &args, Environment &env,
                                 std::vector<Candidate> candidates)
{
    SensitivityParams p;
    p.calibrationPath = args.text("--calib");
    if (!std::ifstream(p.calibrationPath).good())
        throwIn(p.calibrationPath, "cannot open the calibration text");
    p.candidates = std::move(candidates);
    p.windows.windows = args.integer("--windows", p.windows.windows);
    p.windows.tokensPerWindow = args.integer("--seq-len", p.windows.tokensPerWindow);
    p.statisticsSequences = args.integer("--sequences", p.statisticsSequences);
    p.statisticsTokensPerSequence = args.integer("--seq-len", p.statisticsTokensPerSequence);
    p.threads = threadsOf(args);

    SensitivityRun run;
    run.source.modelPath = model.path;
    run.source.projectPath = args.text("--project");
    std::optional<Project> project;
    if (!run.source.projectPath.empty() && std::filesystem::exists(run.source.projectPath)) {
        OpenedProject opened = openProject(run.source.projectPath, model);
        if (opened.match.stale)
            throwIn(run.source.projectPath, "belongs to another model: " + opened.match.reason
                                                + "; give another --project");
        project = std::move(opened.project);
        const SensitivityIdentity id = sensitivityIdentity(model, p);
        if (project->sensitivity && project->sensitivity->key == id.key) {
            run.table = *project->sensitivity;
            run.source.reused = true;
            return run;
        }
    }
    run.table = computeSensitivity(model, p, env.job());
    *env.err << "\n";
    if (!run.source.projectPath.empty()) {
        if (!project)
            project = emptyProject(model);
        project->sensitivity = run.table;
        writeProject(run.source.projectPath, *project);
    }
    return run;
}

} // namespace cwb::cli
