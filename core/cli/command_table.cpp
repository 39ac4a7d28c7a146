// SPDX-License-Identifier: MIT
// The list of commands, `cwb help` and `cwb --version`.

#include "cli/commands.h"

#include "util/cpu_features.h"

namespace cwb::cli {
namespace {

// The summaries start in this column of `cwb help`, under their synopsis.
constexpr size_t kSummaryColumn = 29;
// `cwb help` indents the synopses by 2: 98 keeps its lines within 100 columns.
constexpr int kSynopsisWidth = 98;

std::string indented(const std::string &text, size_t column)
{
    const std::string pad(column, ' ');
    std::string out = pad;
    for (const char c : text) {
        out += c;
        if (c == '\n')
            out += pad;
    }
    return out + "\n";
}

} // namespace

const std::vector<Command> &commands()
{
    static const std::vector<Command> table{
        {inspectCommand, runInspect},
        {evalCommand, runEval},
        {analyzeCommand, runAnalyze},
        {compressCommand, runCompress},
        {sensitivityCommand, runSensitivity},
        {solveCommand, runSolve},
        {exportCommand, runExport},
        {pruneCommand, runPrune},
        {sweepCommand, runSweep},
        {compareCommand, runCompare},
        {generateCommand, runGenerate},
        {benchOpenCommand, runBenchOpen},
        {benchEvalCommand, runBenchEval},
        {benchAnalyzeCommand, runBenchAnalyze},
        {benchCompressCommand, runBenchCompress},
        {benchStreamCommand, runBenchStream},
        {benchQualityCommand, runBenchQuality},
        {helpCommand, runHelp},
        {versionCommand, runVersion},
    };
    return table;
}

const Command *findCommand(const std::string &name)
{
    for (const auto &c : commands())
        if (c.spec().name == name)
            return &c;
    return nullptr;
}

std::string usageText()
{
    std::string out = "usage: cwb <command> [options]\n\ncommands:\n";
    for (const auto &c : commands()) {
        const CommandSpec &spec = c.spec();
        out += indented(synopsis(spec, kSynopsisWidth), 2);
        out += indented(spec.summary, kSummaryColumn);
    }
    return out;
}

std::string synopses()
{
    std::string out;
    for (const auto &c : commands())
        out += synopsis(c.spec(), kSynopsisWidth) + "\n";
    return out;
}

const CommandSpec &helpCommand()
{
    static const CommandSpec spec{
        .name = "help",
        .positional = "COMMAND",
        .positionalHelp = "command",
        .positionalOptional = true,
        .summary = "this text; with a COMMAND (\"eval\", \"bench open\"), that command's\n"
                   "options with their ranges and defaults (also `cwb COMMAND --help`)",
    };
    return spec;
}

int runHelp(const ParsedArgs &args, Environment &env)
{
    if (args.positional().empty()) {
        *env.out << usageText();
        return 0;
    }
    const Command *c = findCommand(args.positional());
    if (!c)
        throw UsageError("help", "unknown command '" + args.positional() + "'");
    *env.out << commandHelp(c->spec());
    return 0;
}

const CommandSpec &versionCommand()
{
    static const CommandSpec spec{.name = "--version", .summary = "print the version"};
    return spec;
}

int runVersion(const ParsedArgs &, Environment &env)
{
    *env.out << "cwb " << env.version << "\n"
             << "kernels: " << kernelLevelDescription() << "\n";
    return 0;
}

} // namespace cwb::cli
