// SPDX-License-Identifier: MIT
// cwb generate MODEL --prompt TEXT: greedy generation, printed as it comes.

#include "cli/commands.h"
#include "cli/common_options.h"

#include <cstdio>

namespace cwb::cli {

const CommandSpec &generateCommand()
{
    static const CommandSpec spec{
        .name = "generate",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary = "greedy generation (N tokens, default 64), text printed as it comes,\n"
                   "tokens/s on stderr at the end",
        .options =
            {
                {.name = "--prompt", .kind = ValueKind::Text, .metavar = "TEXT",
                 .help = "the text to continue", .required = true},
                {.name = "-n", .aliases = {"--tokens"}, .kind = ValueKind::Integer,
                 .metavar = "N", .help = "tokens to generate", .defaultValue = "64", .intMin = 1,
                 .intMax = int64_t{1} << 20},
                threadsOption(),
            },
    };
    return spec;
}

std::string generationSummary(const GenerateResult &r)
{
    char line[256];
    std::snprintf(line, sizeof line,
                  "%zu prompt tokens at %.1f tok/s, %zu generated at %.1f tok/s%s\n",
                  r.promptTokens.size(), r.prefillTokPerS, r.tokens.size(), r.decodeTokPerS,
                  r.stoppedAtEos ? " (stopped at end of sequence)" : "");
    return line;
}

int runGenerate(const ParsedArgs &args, Environment &env)
{
    GenerateParams p;
    p.modelPath = args.positional();
    p.prompt = args.text("--prompt");
    p.maxTokens = args.integer("-n", p.maxTokens);
    p.threads = threadsOf(args, p.threads);
    std::ostream &out = *env.out;
    out << p.prompt << std::flush;
    const GenerateResult r = generateGreedy(
        p, [&out](const std::string &piece) { out << piece << std::flush; }, env.job(false));
    out << "\n";
    *env.err << generationSummary(r);
    return 0;
}

} // namespace cwb::cli
