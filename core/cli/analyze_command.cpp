// SPDX-License-Identifier: MIT
// cwb analyze MODEL --project OUT.cwbproj: the analysis the GUI's Analyze Model runs, written
// to a project file.

#include "analysis/model_analysis.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "io/open_model.h"
#include "project/project_file.h"
#include "report/analysis_report.h"
#include "util/error.h"

#include <filesystem>

namespace cwb::cli {

const CommandSpec &analyzeCommand()
{
    static const CommandSpec spec{
        .name = "analyze",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary = "statistics, histogram and outlier channels of every tensor;\n"
                   "--spectra adds singular values and derived ranks; --calib runs\n"
                   "the model on a text and records each linear's input activations\n"
                   "(N sequences of seq-len tokens, default 128 x 512), --hessians\n"
                   "also X^T X; writes the project file atomically and prints a\n"
                   "per-tensor table (or JSON); progress on stderr, Ctrl-C stops\n"
                   "without writing",
        .options =
            {
                {.name = "--project", .kind = ValueKind::Path, .metavar = "OUT.cwbproj",
                 .help = "the project file to write", .required = true},
                {.name = "--spectra", .help = "singular values, stable and energy ranks"},
                calibrationOption("calibration text: record every linear's input activations"),
                {.name = "--hessians", .help = "also record X^T X per linear",
                 .needs = "--calib"},
                sequencesOption("128"),
                seqLenOption("512"),
                threadsOption(),
                jsonOption(),
            },
    };
    return spec;
}

int runAnalyze(const ParsedArgs &args, Environment &env)
{
    const std::string &modelPath = args.positional();
    const std::string projectPath = args.text("--project");
    ModelAnalysisParams p;
    p.calibrationText = args.text("--calib");
    p.spectra = args.has("--spectra");
    p.activations.collectHessians = args.has("--hessians");
    p.activations.sequences = args.integer("--sequences", p.activations.sequences);
    p.activations.tokensPerSequence = args.integer("--seq-len", p.activations.tokensPerSequence);
    p.threads = threadsOf(args, p.threads);
    p.activations.threads = p.threads;
    const Model model = io::openModel(modelPath);
    ModelAnalysis analysis = analyzeModel(model, p, env.job());
    *env.err << "\n";
    Project project = makeProject(model, std::move(analysis), p);
    project.history = historyToKeep(projectPath, project.model); // sweeps of the same model
    // A sensitivity table the project already holds for this model stays (a re-analysis does
    // not change what it measured); an unreadable or stale project is simply replaced.
    if (std::filesystem::exists(projectPath)) {
        try {
            OpenedProject old = openProject(projectPath, model);
            if (!old.match.stale)
                project.sensitivity = std::move(old.project.sensitivity);
        } catch (const Error &) {
        }
    }
    writeProject(projectPath, project);
    *env.out << (args.has("--json") ? analysisJson(project, projectPath)
                                    : analysisText(project, projectPath));
    return 0;
}

} // namespace cwb::cli
