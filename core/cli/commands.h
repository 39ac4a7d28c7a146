// SPDX-License-Identifier: MIT
#pragma once
// Every `cwb` command: its option table (what `cwb help` shows and the parser accepts) and the
// function that runs it with the parsed options. Each pair lives in its own <name>_command.cpp.
// run() returns the exit status; errors are thrown (cli/cli.h turns them into statuses).

#include "cli/environment.h"
#include "cli/options.h"
#include "eval/generation.h"

#include <string>
#include <vector>

namespace cwb::cli {

struct Command {
    const CommandSpec &(*spec)();
    int (*run)(const ParsedArgs &args, Environment &env);
};

// In the order `cwb help` lists them.
[[nodiscard]] const std::vector<Command> &commands();
// The command called `name` ("eval", "bench open"); nullptr when there is none.
[[nodiscard]] const Command *findCommand(const std::string &name);

// `cwb help`: every command's synopsis and summary.
[[nodiscard]] std::string usageText();
// Every command's synopsis, one after the other (the README's "Command line" block).
[[nodiscard]] std::string synopses();

const CommandSpec &inspectCommand();
int runInspect(const ParsedArgs &args, Environment &env);

const CommandSpec &evalCommand();
int runEval(const ParsedArgs &args, Environment &env);

const CommandSpec &analyzeCommand();
int runAnalyze(const ParsedArgs &args, Environment &env);

const CommandSpec &compressCommand();
int runCompress(const ParsedArgs &args, Environment &env);

const CommandSpec &sensitivityCommand();
int runSensitivity(const ParsedArgs &args, Environment &env);

const CommandSpec &solveCommand();
int runSolve(const ParsedArgs &args, Environment &env);

const CommandSpec &exportCommand();
int runExport(const ParsedArgs &args, Environment &env);

const CommandSpec &pruneCommand();
int runPrune(const ParsedArgs &args, Environment &env);

const CommandSpec &sweepCommand();
int runSweep(const ParsedArgs &args, Environment &env);
const CommandSpec &compareCommand();
int runCompare(const ParsedArgs &args, Environment &env);

const CommandSpec &generateCommand();
int runGenerate(const ParsedArgs &args, Environment &env);
// The line on stderr after the text: prompt and generated tokens with their speeds.
[[nodiscard]] std::string generationSummary(const GenerateResult &r);

const CommandSpec &benchOpenCommand();
int runBenchOpen(const ParsedArgs &args, Environment &env);
const CommandSpec &benchEvalCommand();
int runBenchEval(const ParsedArgs &args, Environment &env);
const CommandSpec &benchAnalyzeCommand();
int runBenchAnalyze(const ParsedArgs &args, Environment &env);
const CommandSpec &benchCompressCommand();
int runBenchCompress(const ParsedArgs &args, Environment &env);
const CommandSpec &benchStreamCommand();
int runBenchStream(const ParsedArgs &args, Environment &env);
const CommandSpec &benchQualityCommand();
int runBenchQuality(const ParsedArgs &args, Environment &env);

const CommandSpec &helpCommand();
int runHelp(const ParsedArgs &args, Environment &env);
const CommandSpec &versionCommand();
int runVersion(const ParsedArgs &args, Environment &env);

} // namespace cwb::cli
