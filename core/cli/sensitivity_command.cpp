// SPDX-License-Identifier: MIT
// cwb sensitivity MODEL --calib TEXT: the damage of every option on every tensor alone, cached in
// a project file.

#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/sensitivity_inputs.h"
#include "io/open_model.h"

namespace cwb::cli {

const CommandSpec &sensitivityCommand()
{
    static const CommandSpec spec = [] {
        CommandSpec s{
            .name = "sensitivity",
            .positional = "MODEL",
            .positionalHelp = "model",
            .summary = "for every matrix and every candidate option, the damage when only\n"
                       "that tensor is compressed: dKLD of the next-token distributions\n"
                       "against the original on N calibration windows (the measure of\n"
                       "record), the proxies (relative error, Hessian-weighted output\n"
                       "error) and the stored bytes; options that do not fit a tensor are\n"
                       "listed, not replaced; --project caches the table (reused when\n"
                       "model, options and calibration match); progress on stderr",
        };
        s.options.push_back(
            calibrationOption("calibration text: method statistics and the KLD windows"));
        s.options.back().required = true;
        for (OptionSpec &o : sensitivityOptions())
            s.options.push_back(std::move(o));
        s.options.push_back(threadsOption());
        s.options.push_back(jsonOption());
        return s;
    }();
    return spec;
}

int runSensitivity(const ParsedArgs &args, Environment &env)
{
    std::vector<Candidate> candidates = candidatesOf(args, "sensitivity");
    const Model model = io::openModel(args.positional());
    const SensitivityRun run = obtainSensitivity(model, args, env, std::move(candidates));
    *env.out << (args.has("--json") ? sensitivityJson(run.table, run.source)
                                    : sensitivityText(run.table, run.source));
    return 0;
}

} // namespace cwb::cli
