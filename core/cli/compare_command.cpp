// SPDX-License-Identifier: MIT
// cwb compare A B --text FILE: before/after comparison of two models or archives, through the
// same runComparison() the GUI's comparison view is to call (core/compare/compare.h).

#include "cli/commands.h"
#include "cli/common_options.h"
#include "compare/compare.h"
#include "compare/compare_report.h"

namespace cwb::cli {

namespace {

// "\n", "\t" and "\\" in a --separator, so that a separator line can be given on one line.
std::string unescaped(const std::string &s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        switch (const char next = s[++i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '\\': out += '\\'; break;
        default: out.append(1, '\\').append(1, next); break;
        }
    }
    return out;
}

} // namespace

const CommandSpec &compareCommand()
{
    static const CommandSpec spec{
        .name = "compare",
        .positional = "A B",
        .positionalHelp = "models",
        .positionalCount = 2,
        .summary =
            "before/after comparison of two models or .cwbarchives: per-tensor\n"
            "errors side by side (--weights: B - A measured, with histograms);\n"
            "the text cut into documents at blank lines (or --separator), or\n"
            "one slice per --slices file, each scored with both (perplexity,\n"
            "KLD of B from A, top-1), the most degraded slices first; greedy\n"
            "continuations of a prompt list with both: how many keep their\n"
            "first --agree tokens, and where each first diverges",
        .options =
            {
                {.name = "--text", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "UTF-8 text, cut into documents at blank lines",
                 .requiredUnless = "--slices", .exclusiveWith = "--slices"},
                {.name = "--slices", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "a slice of its own (instead of --text's documents)",
                 .repeatable = true},
                {.name = "--separator", .kind = ValueKind::Text, .metavar = "STR",
                 .help = "documents end at STR instead of blank lines (\\n, \\t understood)",
                 .needs = "--text"},
                {.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "window length in tokens; shorter documents join the next",
                 .defaultValue = "512", .intMin = 2, .intMax = int64_t{1} << 24},
                {.name = "--chunks", .kind = ValueKind::Integer, .metavar = "K",
                 .help = "windows to score in all, slice after slice", .defaultValue = "all",
                 .intMin = 0, .intMax = int64_t{1} << 24, .rangeNote = "0 = all"},
                {.name = "--order", .kind = ValueKind::Choice,
                 .help = "rank slices by mean KLD or by the NLL difference B - A",
                 .defaultValue = "kld", .choices = {"kld", "nll"}},
                {.name = "--prompts", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "prompts for the behavioural check, one per line",
                 .defaultValue = "12 built in"},
                {.name = "--tokens", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "greedy tokens per prompt and model", .defaultValue = "32", .intMin = 1,
                 .intMax = kOpenEndedInteger},
                {.name = "--agree", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "a prompt is unchanged when its first N tokens are",
                 .defaultValue = "16, at most --tokens", .intMin = 1,
                 .intMax = kOpenEndedInteger},
                {.name = "--weights",
                 .help = "also measure B - A per tensor (reads every weight of both)"},
                {.name = "--bins", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "histogram bins of B - A", .defaultValue = "16", .intMin = 1,
                 .intMax = 4096, .needs = "--weights"},
                threadsOption(),
                jsonOption(),
            },
    };
    return spec;
}

int runCompare(const ParsedArgs &args, Environment &env)
{
    CompareParams p;
    p.pathA = args.positionals().at(0);
    p.pathB = args.positionals().at(1);
    p.textPath = args.text("--text");
    p.sliceFiles = args.texts("--slices");
    p.slicing.separator = unescaped(args.text("--separator"));
    p.evaluation.nCtx = args.integer("--ctx", p.evaluation.nCtx);
    p.evaluation.chunks = args.integer("--chunks", p.evaluation.chunks);
    if (args.text("--order", "kld") == "nll")
        p.evaluation.order = SliceOrder::DeltaNll;
    p.behaviour.promptsPath = args.text("--prompts");
    p.behaviour.tokens = args.integer("--tokens", p.behaviour.tokens);
    p.behaviour.agree = args.integer("--agree", std::min(p.behaviour.agree, p.behaviour.tokens));
    if (p.behaviour.agree > p.behaviour.tokens)
        throw UsageError("compare", "--agree " + std::to_string(p.behaviour.agree)
                                        + " exceeds --tokens "
                                        + std::to_string(p.behaviour.tokens));
    p.tensors.weightDifferences = args.has("--weights");
    p.tensors.bins = static_cast<int>(args.integer("--bins", p.tensors.bins));
    p.threads = threadsOf(args, p.threads);
    const CompareResult r = runComparison(p, env.job());
    *env.err << "\n";
    *env.out << (args.has("--json") ? compareResultJson(r) : compareResultText(r));
    return 0;
}

} // namespace cwb::cli
