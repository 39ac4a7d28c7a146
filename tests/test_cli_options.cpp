// SPDX-License-Identifier: MIT
// The CLI as a library (core/cli), without launching the binary: every command's option table
// parses its documented options into typed values; unknown, missing, malformed, out-of-range,
// repeated and conflicting options give the messages the README promises; --threads is one
// declaration; the help is generated from the tables (and the README's block is that help);
// runCli maps each outcome to its exit status; the run setup the CLI and the GUI share.

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/options.h"
#include "pipeline/run_inputs.h"

#include "test_support.h"

#include <QFile>
#include <QTest>

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <stdexcept>

using cwb::cli::ParsedArgs;
using cwb::cli::Shape;
using Args = std::vector<std::string>;

namespace {

ParsedArgs parse(const std::string &command, const Args &args)
{
    const cwb::cli::Command *c = cwb::cli::findCommand(command);
    if (!c)
        throw std::logic_error("no command " + command);
    return cwb::cli::parseArguments(c->spec(), args);
}

// The UsageError message of parsing `args` for `command`; empty when it parses.
std::string usageErrorOf(const std::string &command, const Args &args)
{
    try {
        (void)parse(command, args);
    } catch (const cwb::cli::UsageError &e) {
        return e.what();
    }
    return {};
}

struct CliRun {
    int status = 0;
    std::string out, err;
};

CliRun runCli(const Args &args)
{
    std::ostringstream out, err;
    cwb::cli::Environment env;
    env.out = &out;
    env.err = &err;
    env.version = "9.8.7";
    CliRun r;
    r.status = cwb::cli::runCli(args, env);
    r.out = out.str();
    r.err = err.str();
    return r;
}

} // namespace

class TestCliOptions : public QObject {
    Q_OBJECT
private slots:
    void everyCommandIsListed();
    void inspectOptions();
    void evalOptions();
    void analyzeOptions();
    void compressOptions();
    void chooseOptions();
    void generateOptions();
    void exportOptions();
    void sweepOptions();
    void compareOptions();
    void benchOptions();
    void defaultsWhenAbsent();
    void valuesMayStartWithADash();
    void repeatedOptions();
    void threadsDeclaredOnce();
    void errors_data();
    void errors();
    void accessorMisuseIsAProgrammingError();
    void helpRequest();
    void helpText();
    void readmeShowsTheSynopses();
    void exitStatuses_data();
    void exitStatuses();
    void sharedRunInputs();
};

void TestCliOptions::everyCommandIsListed()
{
    std::vector<std::string> names;
    for (const auto &c : cwb::cli::commands())
        names.push_back(c.spec().name);
    const std::vector<std::string> expected{"inspect",        "eval",          "analyze",
                                            "compress",       "sensitivity",   "solve",
                                            "export",         "prune",         "sweep",
                                            "compare",        "generate",      "bench open",
                                            "bench eval",     "bench analyze", "bench compress",
                                            "bench stream",   "bench quality",
                                            "help",           "--version"};
    QCOMPARE(names, expected);
    for (const auto &name : expected)
        QVERIFY(cwb::cli::findCommand(name) != nullptr);
    QVERIFY(cwb::cli::findCommand("bench") == nullptr); // a group, not a command
}

void TestCliOptions::inspectOptions()
{
    const ParsedArgs a = parse("inspect", {"m.gguf", "--json"});
    QCOMPARE(a.positional(), std::string("m.gguf"));
    QVERIFY(a.has("--json"));
    QVERIFY(!parse("inspect", {"m.gguf"}).has("--json"));
}

void TestCliOptions::evalOptions()
{
    const ParsedArgs a = parse("eval", {"--text", "t.txt", "m.gguf", "--ctx", "128", "--chunks",
                                        "0", "--threads", "3", "--protocol", "full",
                                        "--save-logits", "base.bin", "--emulate-q8", "--latency",
                                        "--devices", "--json"});
    QCOMPARE(a.positional(), std::string("m.gguf"));
    QCOMPARE(a.text("--text"), std::string("t.txt"));
    QCOMPARE(a.integer("--ctx", 512), int64_t(128));
    QCOMPARE(a.integer("--chunks", 7), int64_t(0));
    QCOMPARE(cwb::cli::threadsOf(a), 3);
    QCOMPARE(a.text("--protocol"), std::string("full"));
    QCOMPARE(a.text("--save-logits"), std::string("base.bin"));
    QVERIFY(!a.has("--kld-base"));
    for (const char *flag : {"--emulate-q8", "--latency", "--devices", "--json"})
        QVERIFY2(a.has(flag), flag);
    const ParsedArgs k = parse("eval", {"m.gguf", "--text", "t", "--kld-base", "b.bin"});
    QCOMPARE(k.text("--kld-base"), std::string("b.bin"));
    QVERIFY(!k.has("--latency"));
}

void TestCliOptions::analyzeOptions()
{
    const ParsedArgs a =
        parse("analyze", {"m.gguf", "--project", "o.cwbproj", "--spectra", "--calib", "c.txt",
                          "--hessians", "--sequences", "3", "--seq-len", "32", "--threads", "2",
                          "--json"});
    QCOMPARE(a.text("--project"), std::string("o.cwbproj"));
    QCOMPARE(a.text("--calib"), std::string("c.txt"));
    QVERIFY(a.has("--spectra") && a.has("--hessians") && a.has("--json"));
    QCOMPARE(a.integer("--sequences", 0), int64_t(3));
    QCOMPARE(a.integer("--seq-len", 0), int64_t(32));
    QCOMPARE(cwb::cli::threadsOf(a), 2);
}

void TestCliOptions::compressOptions()
{
    const ParsedArgs dry = parse("compress", {"m.gguf", "--plan", "r.json", "--dry-run"});
    QVERIFY(dry.has("--dry-run"));
    QVERIFY(!dry.has("--out"));
    const ParsedArgs run =
        parse("compress", {"m.gguf", "--plan", "r.json", "--calib", "c.txt", "--out",
                           "o.cwbarchive", "--threads", "4", "--sequences", "8", "--seq-len",
                           "64", "--json"});
    QCOMPARE(run.text("--plan"), std::string("r.json"));
    QCOMPARE(run.text("--out"), std::string("o.cwbarchive"));
    QCOMPARE(run.text("--calib"), std::string("c.txt"));
    QCOMPARE(cwb::cli::threadsOf(run), 4);
    QCOMPARE(run.integer("--sequences", 0), int64_t(8));
    QCOMPARE(run.integer("--seq-len", 0), int64_t(64));
    QVERIFY(run.has("--json") && !run.has("--dry-run"));
}

void TestCliOptions::chooseOptions()
{
    const ParsedArgs a = parse(
        "solve", {"m", "--calib", "c.txt", "--budget-latency", "2.5", "--device", "h100-sxm",
                  "--lock", "embed=q8_0", "--lock", "layers.0.*=q6_k", "--target",
                  "compressed-tensors", "--candidates", "q4_k,rtn:bits=4:group=32", "--out",
                  "r.json", "--verify", "--text", "e.txt", "--baselines", "--windows", "4"});
    QCOMPARE(a.real("--budget-latency", 0), 2.5);
    QCOMPARE(a.text("--device"), std::string("h100-sxm"));
    QCOMPARE(a.texts("--lock"), (std::vector<std::string>{"embed=q8_0", "layers.0.*=q6_k"}));
    QCOMPARE(a.text("--target"), std::string("compressed-tensors"));
    QCOMPARE(a.integer("--windows", 8), int64_t(4));
    QVERIFY(a.has("--verify") && a.has("--baselines") && !a.has("--budget-bpw"));
    const ParsedArgs s = parse("sensitivity", {"m", "--calib", "c.txt", "--project", "p"});
    QCOMPARE(s.text("--target", "gguf"), std::string("gguf"));
    QCOMPARE(s.integer("--windows", 8), int64_t(8));
}

void TestCliOptions::generateOptions()
{
    const ParsedArgs a = parse("generate", {"m.gguf", "--prompt", "Once upon", "-n", "20",
                                            "--threads", "1"});
    QCOMPARE(a.text("--prompt"), std::string("Once upon"));
    QCOMPARE(a.integer("-n", 64), int64_t(20));
    QCOMPARE(cwb::cli::threadsOf(a), 1);
    // --tokens is the same option as -n (given twice under both names is a repeat).
    QCOMPARE(parse("generate", {"m", "--prompt", "x", "--tokens", "5"}).integer("-n", 64),
             int64_t(5));
    QCOMPARE(usageErrorOf("generate", {"m", "--prompt", "x", "-n", "5", "--tokens", "6"}),
             std::string("generate: -n given more than once"));
}

void TestCliOptions::exportOptions()
{
    const ParsedArgs a = parse("export", {"m.cwbarchive", "--to", "gguf", "--out", "m.gguf",
                                          "--float-type", "f16", "--json"});
    QCOMPARE(a.text("--to"), std::string("gguf"));
    QCOMPARE(a.text("--out"), std::string("m.gguf"));
    QCOMPARE(a.text("--float-type", "f32"), std::string("f16"));
    QVERIFY(a.has("--json"));
    QCOMPARE(usageErrorOf("export", {"m", "--out", "x.gguf"}),
             std::string("export: --to gguf|safetensors|compressed-tensors|llm-compressor|"
                         "llama.cpp|gptqmodel is required"));
    QCOMPARE(usageErrorOf("export", {"m", "--to", "onnx", "--out", "x"}),
             std::string("export: --to is gguf, safetensors, compressed-tensors, "
                         "llm-compressor, llama.cpp or gptqmodel, not 'onnx'"));
    const ParsedArgs r = parse("export", {"a.cwbarchive", "--to", "llama.cpp", "--out", "d",
                                          "--calib", "c.txt", "--sequences", "8", "--preview",
                                          "--requantize", "q4_k", "--plan", "r.json"});
    QCOMPARE(r.text("--calib"), std::string("c.txt"));
    QCOMPARE(r.integer("--sequences", 64), int64_t(8));
    QCOMPARE(r.text("--requantize"), std::string("q4_k"));
    QCOMPARE(r.text("--plan"), std::string("r.json"));
    QVERIFY(r.has("--preview"));
}

void TestCliOptions::sweepOptions()
{
    const ParsedArgs a = parse("sweep", {"m.gguf", "--project", "p.cwbproj", "--text", "t.txt",
                                         "--recipe", "a.json", "--recipe", "b.json", "--calib",
                                         "c.txt", "--sequences", "8", "--seq-len", "64", "--ctx",
                                         "128", "--chunks", "4", "--latency", "--threads", "2",
                                         "--emit-slurm", "arr", "--json"});
    QCOMPARE(a.texts("--recipe"), (std::vector<std::string>{"a.json", "b.json"}));
    QCOMPARE(a.text("--project"), std::string("p.cwbproj"));
    QCOMPARE(a.text("--emit-slurm"), std::string("arr"));
    QCOMPARE(a.integer("--ctx", 512), int64_t(128));
    QCOMPARE(a.integer("--chunks", 0), int64_t(4));
    QVERIFY(a.has("--latency") && a.has("--json") && !a.has("--collect"));
    QVERIFY(parse("sweep", {"m", "--project", "p"}).texts("--recipe").empty());
    const ParsedArgs t = parse("sweep", {"m", "--task", "3", "--out-dir", "arr"});
    QCOMPARE(t.integer("--task", -1), int64_t(3));
    QCOMPARE(t.text("--out-dir"), std::string("arr"));
    QCOMPARE(usageErrorOf("sweep", {"m", "--text", "t"}),
             std::string("sweep: --project P.cwbproj is required (or --task)"));
    QCOMPARE(usageErrorOf("sweep", {"m", "--task", "1"}),
             std::string("sweep: --task needs --out-dir DIR"));
    QCOMPARE(usageErrorOf("sweep", {"m", "--project", "p", "--recipe", "a", "--recipe-dir", "d"}),
             std::string("sweep: --recipe and --recipe-dir are exclusive"));
    QCOMPARE(usageErrorOf("sweep", {"m", "--project", "p", "--emit-slurm", "a", "--collect",
                                    "a"}),
             std::string("sweep: --emit-slurm and --collect are exclusive"));
    QCOMPARE(cwb::cli::synopsis(cwb::cli::sweepCommand(), 300),
             std::string("cwb sweep MODEL (--project P.cwbproj | --task I) [--text FILE] "
                         "[--recipe RECIPE.json | --recipe-dir DIR] [--reference FILE]... "
                         "[--calib FILE] "
                         "[--sequences N] [--seq-len N] [--ctx N] [--chunks K] [--latency] "
                         "[--emulate-q8] [--threads T] [--emit-slurm DIR | --collect DIR] "
                         "[--out-dir DIR] "
                         "[--json]"));
}

void TestCliOptions::compareOptions()
{
    const ParsedArgs a = parse("compare", {"a.gguf", "--slices", "s1.txt", "b.cwbarchive",
                                           "--slices", "s2.txt", "--agree", "8", "--weights"});
    QCOMPARE(a.positional(), std::string("a.gguf"));
    QCOMPARE(a.positionals(), (std::vector<std::string>{"a.gguf", "b.cwbarchive"}));
    QCOMPARE(a.texts("--slices"), (std::vector<std::string>{"s1.txt", "s2.txt"}));
    QCOMPARE(a.integer("--agree", 16), int64_t(8));
    QVERIFY(a.has("--weights"));
    const ParsedArgs t = parse("compare", {"a", "b", "--text", "t.txt", "--separator", "\\n--\\n",
                                           "--order", "nll"});
    QCOMPARE(t.text("--text"), std::string("t.txt"));
    QVERIFY(t.texts("--slices").empty());
    QCOMPARE(t.text("--order", "kld"), std::string("nll"));
    QCOMPARE(usageErrorOf("compare", {"a", "--text", "t"}),
             std::string("compare: 1 of 2 models given (A B)"));
    QCOMPARE(usageErrorOf("compare", {"--text", "t"}), std::string("compare: no models given"));
    QCOMPARE(usageErrorOf("compare", {"a", "b", "c", "--text", "t"}),
             std::string("compare: unexpected argument 'c' after A B"));
    QCOMPARE(usageErrorOf("compare", {"a", "b"}),
             std::string("compare: --text FILE is required (or --slices)"));
    QCOMPARE(usageErrorOf("compare", {"a", "b", "--text", "t", "--slices", "s"}),
             std::string("compare: --text and --slices are exclusive"));
    QCOMPARE(usageErrorOf("compare", {"a", "b", "--text", "t", "--bins", "8"}),
             std::string("compare: --bins needs --weights"));
    // One positional stays one: the second is still "more than one".
    QCOMPARE(usageErrorOf("inspect", {"a", "b"}),
             std::string("inspect: more than one model given"));
}

void TestCliOptions::benchOptions()
{
    const ParsedArgs open = parse("bench open", {"--gb", "0.5", "--cold"});
    QCOMPARE(open.real("--gb", 2), 0.5);
    QVERIFY(open.has("--cold"));
    QCOMPARE(parse("bench open", {"--gb", "256"}).real("--gb", 2), 256.0);

    const ParsedArgs eval = parse("bench eval", {"--model", "s.gguf", "--threads", "1", "--reps",
                                                 "2", "--figures", "f.json", "--no-random"});
    QCOMPARE(eval.text("--model"), std::string("s.gguf"));
    QCOMPARE(eval.text("--figures"), std::string("f.json"));
    QCOMPARE(cwb::cli::threadsOf(eval, 2), 1);
    QCOMPARE(eval.integer("--reps", 3), int64_t(2));
    QVERIFY(eval.has("--no-random"));

    const ParsedArgs analyze =
        parse("bench analyze", {"--dtype", "bf16", "--dim", "256", "--hidden", "512",
                                "--svd-dim", "64", "--no-lapack", "--layers", "0"});
    QCOMPARE(analyze.text("--dtype"), std::string("bf16"));
    QCOMPARE(analyze.integer("--dim", 0), int64_t(256));
    QCOMPARE(analyze.integer("--hidden", 0), int64_t(512));
    QCOMPARE(analyze.integer("--svd-dim", 0), int64_t(64));
    QCOMPARE(analyze.integer("--layers", 8), int64_t(0));
    QVERIFY(analyze.has("--no-lapack"));

    const ParsedArgs compress =
        parse("bench compress", {"--shape", "256x512", "--reps", "1", "--no-reference",
                                 "--hessian-shape", "64x256", "--tokens", "600",
                                 "--hessian-reps", "2", "--no-hessian"});
    QCOMPARE(compress.shapes("--shape"), (std::vector<Shape>{{256, 512}}));
    QCOMPARE(compress.shapes("--hessian-shape"), (std::vector<Shape>{{64, 256}}));
    QCOMPARE(compress.integer("--tokens", 0), int64_t(600));
    QCOMPARE(compress.integer("--hessian-reps", 1), int64_t(2));
    QVERIFY(compress.has("--no-reference") && compress.has("--no-hessian"));

    const ParsedArgs quality = parse(
        "bench quality", {"m.gguf", "--text", "e.txt", "--calib", "c.txt", "--llama-tools", "t",
                          "--budgets", "3.5,4.5", "--types", "Q4_K_M,Q8_0", "--ctx", "128",
                          "--chunks", "10", "--imatrix-chunks", "8", "--keep-dir", "k",
                          "--candidates", "q4_k,q8_0", "--windows", "2", "--project", "p",
                          "--threads", "1", "--json", "q.json"});
    QCOMPARE(quality.text("--llama-tools"), std::string("t"));
    QCOMPARE(quality.text("--budgets"), std::string("3.5,4.5"));
    QCOMPARE(quality.text("--types"), std::string("Q4_K_M,Q8_0"));
    QCOMPARE(quality.integer("--imatrix-chunks", 200), int64_t(8));
    QCOMPARE(quality.text("--json"), std::string("q.json"));
    QCOMPARE(quality.text("--keep-dir"), std::string("k"));
    QVERIFY(!quality.command().find("--target")); // the solver's target is always gguf
    QCOMPARE(usageErrorOf("bench quality", {"m.gguf", "--text", "e", "--calib", "c"}),
             std::string("bench quality: --llama-tools DIR is required"));
}

void TestCliOptions::defaultsWhenAbsent()
{
    const ParsedArgs a = parse("eval", {"m", "--text", "t"});
    QCOMPARE(a.integer("--ctx", 512), int64_t(512));
    QCOMPARE(cwb::cli::threadsOf(a), 0);
    QCOMPARE(a.text("--protocol", "llama"), std::string("llama"));
    QCOMPARE(a.text("--kld-base"), std::string());
    QVERIFY(parse("bench compress", {}).shapes("--shape").empty());
    QCOMPARE(parse("bench open", {}).real("--gb", 2), 2.0);
}

void TestCliOptions::valuesMayStartWithADash()
{
    // A value-taking option takes the next argument whatever it looks like.
    QCOMPARE(parse("generate", {"m", "--prompt", "-x"}).text("--prompt"), std::string("-x"));
    QCOMPARE(parse("generate", {"m", "--prompt", "--json"}).text("--prompt"),
             std::string("--json"));
    // ... so a negative number is a value, rejected by its range, not an unknown option.
    QCOMPARE(usageErrorOf("bench open", {"--gb", "-1"}),
             std::string("bench open: --gb must be a number in (0, 256], got '-1'"));
}

void TestCliOptions::repeatedOptions()
{
    const ParsedArgs a = parse("bench compress", {"--shape", "1x2", "--hessian-shape", "8x128",
                                                  "--shape", "3x4", "--shape", "5x6"});
    QCOMPARE(a.shapes("--shape"), (std::vector<Shape>{{1, 2}, {3, 4}, {5, 6}}));
    QCOMPARE(a.shapes("--hessian-shape"), (std::vector<Shape>{{8, 128}}));
    // Options that are not repeatable: the second one is an error, flags included.
    QCOMPARE(usageErrorOf("eval", {"m", "--text", "t", "--ctx", "64", "--ctx", "128"}),
             std::string("eval: --ctx given more than once"));
    QCOMPARE(usageErrorOf("inspect", {"m", "--json", "--json"}),
             std::string("inspect: --json given more than once"));
    QCOMPARE(usageErrorOf("bench compress", {"--reps", "1", "--reps", "2"}),
             std::string("bench compress: --reps given more than once"));
}

void TestCliOptions::threadsDeclaredOnce()
{
    // Every command with --threads has the one declaration of cli/common_options.h; only
    // bench eval raises the minimum (llama-bench style, 2 threads by default).
    const cwb::cli::OptionSpec reference = cwb::cli::threadsOption();
    std::vector<std::string> with;
    for (const auto &c : cwb::cli::commands()) {
        const cwb::cli::OptionSpec *o = c.spec().find("--threads");
        if (!o)
            continue;
        with.push_back(c.spec().name);
        QCOMPARE(o->kind, cwb::cli::ValueKind::Integer);
        QCOMPARE(o->metavar, reference.metavar);
        QCOMPARE(o->help, reference.help);
        QCOMPARE(o->intMax, int64_t(1024));
        QCOMPARE(o->intMin, c.spec().name == "bench eval" ? int64_t(1) : int64_t(0));
        // The command's required options (the first of a required group; of two alternatives
        // the one that is not a flag), then --threads.
        Args args;
        if (!c.spec().positional.empty())
            args.insert(args.end(), c.spec().positionalCount, "m");
        std::vector<std::string> groups;
        for (const auto &other : c.spec().options) {
            if (!other.oneOf.empty()) {
                if (!other.required || std::find(groups.begin(), groups.end(), other.oneOf)
                                           != groups.end())
                    continue;
                groups.push_back(other.oneOf);
            }
            const bool number = other.kind == cwb::cli::ValueKind::Integer
                                || other.kind == cwb::cli::ValueKind::Real;
            if (other.required)
                args.insert(args.end(), {other.name, other.kind == cwb::cli::ValueKind::Choice
                                                         ? other.choices.front()
                                                     : number ? std::string("1")
                                                              : std::string("v")});
            else if (!other.requiredUnless.empty())
                args.insert(args.end(), {other.name, "v"});
        }
        args.insert(args.end(), {"--threads", "7"});
        QCOMPARE(cwb::cli::threadsOf(cwb::cli::parseArguments(c.spec(), args)), 7);
    }
    QCOMPARE(with, (std::vector<std::string>{"eval", "analyze", "compress", "sensitivity",
                                             "solve", "export", "prune", "sweep", "compare",
                                             "generate", "bench eval", "bench stream",
                                             "bench quality"}));
    for (const std::string command : {"eval", "analyze", "compress", "sensitivity", "solve",
                                      "export", "sweep", "compare", "generate"})
        QCOMPARE(usageErrorOf(command, {"--threads", "2000"}),
                 command + ": --threads must be an integer in 0..1024 (0 = all cores), got "
                           "'2000'");
    QCOMPARE(usageErrorOf("bench eval", {"--threads", "0"}),
             std::string("bench eval: --threads must be an integer in 1..1024, got '0'"));
}

void TestCliOptions::errors_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    auto row = [](const char *name, const char *command,
                  std::initializer_list<const char *> args, const char *message) {
        QStringList list;
        for (const char *a : args)
            list << QString::fromUtf8(a);
        QTest::newRow(name) << QString::fromUtf8(command) << list << QString::fromUtf8(message);
    };
    // Unknown options and missing values keep the wording scripts and test_cli_* match.
    row("unknown option", "eval", {"m", "--text", "t", "--foo"},
        "eval: unknown option or missing value: --foo (cwb eval has no option --foo)");
    row("option of another command", "generate", {"m", "--prompt", "x", "--json"},
        "generate: unknown option or missing value: --json (cwb generate has no option --json)");
    row("missing value", "eval", {"m", "--text"},
        "eval: unknown option or missing value: --text (--text needs a value: FILE)");
    row("missing choice", "eval", {"m", "--text", "t", "--protocol"},
        "eval: unknown option or missing value: --protocol (--protocol needs a value: "
        "llama|full)");
    row("not an integer", "eval", {"m", "--text", "t", "--ctx", "x"},
        "eval: --ctx must be an integer >= 2, got 'x'");
    row("trailing text", "eval", {"m", "--text", "t", "--ctx", "12abc"},
        "eval: --ctx must be an integer >= 2, got '12abc'");
    row("below the range", "eval", {"m", "--text", "t", "--ctx", "1"},
        "eval: --ctx must be an integer >= 2, got '1'");
    row("above the cap", "eval", {"m", "--text", "t", "--ctx", "99999999"},
        "eval: --ctx must be at most 16777216, got '99999999'");
    row("range note", "eval", {"m", "--text", "t", "--chunks", "-1"},
        "eval: --chunks must be an integer >= 0 (0 = all), got '-1'");
    row("positive integer", "analyze", {"m", "--project", "p", "--sequences", "0"},
        "analyze: --sequences must be a positive integer, got '0'");
    row("bounded integer", "bench eval", {"--reps", "101"},
        "bench eval: --reps must be an integer in 1..100, got '101'");
    row("bad choice", "eval", {"m", "--text", "t", "--protocol", "half"},
        "eval: --protocol is llama or full, not 'half'");
    row("three choices", "bench analyze", {"--dtype", "f64"},
        "bench analyze: --dtype is f32, f16 or bf16, not 'f64'");
    row("not a number", "bench open", {"--gb", "big"},
        "bench open: --gb must be a number in (0, 256], got 'big'");
    row("zero is outside (0, 256]", "bench open", {"--gb", "0"},
        "bench open: --gb must be a number in (0, 256], got '0'");
    row("above 256", "bench open", {"--gb", "300"},
        "bench open: --gb must be a number in (0, 256], got '300'");
    row("not a shape", "bench compress", {"--shape", "12"},
        "bench compress: --shape must be RxC with R, C in 1..1048576, got '12'");
    row("empty extent", "bench compress", {"--shape", "0x5"},
        "bench compress: --shape must be RxC with R, C in 1..1048576, got '0x5'");
    row("no model", "eval", {"--text", "t"}, "eval: no model given");
    row("two models", "eval", {"a", "b", "--text", "t"}, "eval: more than one model given");
    row("required option", "eval", {"m"}, "eval: --text FILE is required");
    row("required project", "analyze", {"m"}, "analyze: --project OUT.cwbproj is required");
    row("required plan", "compress", {"m", "--dry-run"},
        "compress: --plan RECIPE.json is required");
    row("required unless", "compress", {"m", "--plan", "r"},
        "compress: --out OUT.cwbarchive is required (or --dry-run)");
    row("needs", "analyze", {"m", "--project", "p", "--hessians"},
        "analyze: --hessians needs --calib FILE");
    row("exclusive", "eval", {"m", "--text", "t", "--save-logits", "a", "--kld-base", "b"},
        "eval: --save-logits and --kld-base are exclusive");
    row("prompt required", "generate", {"m"}, "generate: --prompt TEXT is required");
    row("calibration required", "sensitivity", {"m"}, "sensitivity: --calib FILE is required");
    row("one budget required", "solve", {"m", "--calib", "c", "--out", "r"},
        "solve: one of --budget-bpw B | --budget-bytes N | --budget-latency MS --device PROFILE "
        "is required");
    row("alternatives", "solve",
        {"m", "--calib", "c", "--out", "r", "--budget-bytes", "9", "--budget-bpw", "4"},
        "solve: --budget-bpw and --budget-bytes are alternatives: give one of --budget-bpw B | "
        "--budget-bytes N | --budget-latency MS --device PROFILE");
    row("attached member", "solve", {"m", "--calib", "c", "--out", "r", "--budget-latency", "3"},
        "solve: --budget-latency needs --device PROFILE");
    row("attached member alone", "solve",
        {"m", "--calib", "c", "--out", "r", "--budget-bpw", "4", "--device", "d"},
        "solve: --device needs --budget-latency MS");
    row("bad target", "solve", {"m", "--calib", "c", "--out", "r", "--budget-bpw", "4",
                                "--target", "onnx"},
        "solve: --target is gguf, compressed-tensors or any, not 'onnx'");
    row("no positional", "bench open", {"extra"}, "bench open: unexpected argument 'extra'");
    row("version takes nothing", "--version", {"x"}, "--version: unexpected argument 'x'");
}

void TestCliOptions::errors()
{
    QFETCH(QString, command);
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    Args list;
    for (const auto &a : args)
        list.push_back(a.toStdString());
    QCOMPARE(usageErrorOf(command.toStdString(), list), message.toStdString());
}

void TestCliOptions::accessorMisuseIsAProgrammingError()
{
    const ParsedArgs a = parse("eval", {"m", "--text", "t", "--ctx", "64"});
    QVERIFY_THROWS_EXCEPTION(std::logic_error, (void)a.integer("--nope", 0));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, (void)a.text("--ctx"));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, (void)a.integer("--text", 0));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, (void)a.has("--tokens"));
    // Asked by an alias rather than the main name: also a mistake in the caller.
    const ParsedArgs g = parse("generate", {"m", "--prompt", "x", "-n", "3"});
    QVERIFY_THROWS_EXCEPTION(std::logic_error, (void)g.integer("--tokens", 0));
}

void TestCliOptions::helpRequest()
{
    // --help where an option could stand stops the parse: required options may be missing.
    QVERIFY(parse("eval", {"--help"}).helpRequested());
    QVERIFY(parse("compress", {"m", "-h"}).helpRequested());
    QVERIFY(parse("bench open", {"--gb", "1", "--help"}).helpRequested());
    QVERIFY(!parse("inspect", {"m"}).helpRequested());
    // As a value it is a value.
    QCOMPARE(parse("generate", {"m", "--prompt", "--help"}).text("--prompt"),
             std::string("--help"));
}

void TestCliOptions::helpText()
{
    const std::string usage = cwb::cli::usageText();
    QVERIFY(usage.starts_with("usage: cwb <command> [options]\n"));
    for (const auto &c : cwb::cli::commands()) {
        const auto &spec = c.spec();
        const std::string syn = cwb::cli::synopsis(spec);
        QVERIFY2(syn.starts_with("cwb " + spec.name), syn.c_str());
        // Every option is in the synopsis and in the command's help, and no line is wider
        // than 100 columns.
        const std::string help = cwb::cli::commandHelp(spec);
        for (const auto &o : spec.options) {
            QVERIFY2(syn.find(o.name) != std::string::npos, (spec.name + " " + o.name).c_str());
            QVERIFY2(help.find("\n  " + o.name) != std::string::npos,
                     (spec.name + " " + o.name).c_str());
        }
        std::istringstream lines(usage + help);
        for (std::string line; std::getline(lines, line);)
            QVERIFY2(line.size() <= 100, line.c_str());
        QVERIFY2(usage.find(spec.summary.substr(0, spec.summary.find('\n')))
                     != std::string::npos,
                 spec.name.c_str());
    }
    QCOMPARE(cwb::cli::synopsis(cwb::cli::evalCommand()),
             std::string("cwb eval MODEL --text FILE [--ctx N] [--chunks K] [--threads T] "
                         "[--protocol llama|full]\n"
                         "         [--save-logits FILE | --kld-base FILE] [--emulate-q8] "
                         "[--cache-type-k f32|f16|q8_0|q4_0]\n"
                         "         [--cache-type-v f32|f16|q8_0|q4_0] [--latency] [--devices] "
                         "[--json]"));
    QCOMPARE(cwb::cli::synopsis(cwb::cli::compressCommand(), 200),
             std::string("cwb compress MODEL --plan RECIPE.json (--out OUT.cwbarchive | "
                         "--dry-run) [--calib FILE] [--threads T] [--memory-budget MIB] [--sequences N] "
                         "[--seq-len N] [--sequential] [--json]"));
    QCOMPARE(cwb::cli::synopsis(cwb::cli::benchCompressCommand(), 200),
             std::string("cwb bench compress [--shape RxC]... [--reps R] [--no-reference] "
                         "[--hessian-shape RxC]... [--tokens N] [--hessian-reps R] "
                         "[--no-hessian] [--llama-quantize PATH]"));
    QCOMPARE(cwb::cli::synopsis(cwb::cli::helpCommand()), std::string("cwb help [COMMAND]"));
    // Ranges, defaults and cross-option rules are spelled out per option.
    const std::string eval = cwb::cli::commandHelp(cwb::cli::evalCommand());
    for (const char *part :
         {"--ctx N                   window length in tokens (an integer >= 2; default 512)",
          "--text FILE               UTF-8 text to score (required)",
          "(an integer in 0..1024; 0 = all cores; default all cores)",
          "(not with\n                            --kld-base)",
          "(llama or\n                            full; default llama)"})
        QVERIFY2(eval.find(part) != std::string::npos, (std::string(part) + "\n" + eval).c_str());
    const std::string gen = cwb::cli::commandHelp(cwb::cli::generateCommand());
    QVERIFY2(gen.find("also --tokens") != std::string::npos, gen.c_str());
}

void TestCliOptions::readmeShowsTheSynopses()
{
    QFile f(QString::fromUtf8(CWB_SOURCE_DIR "/README.md"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const std::string readme = f.readAll().toStdString();
    const std::string head = "## Command line\n\n```\n";
    const size_t start = readme.find(head);
    QVERIFY(start != std::string::npos);
    const size_t from = start + head.size();
    const size_t end = readme.find("```", from);
    QCOMPARE(readme.substr(from, end - from), cwb::cli::synopses());
}

void TestCliOptions::exitStatuses_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("out");
    QTest::addColumn<QString>("err");
    QTest::newRow("nothing") << QStringList{} << 2 << QStringLiteral("usage: cwb <command>")
                             << QString();
    QTest::newRow("help") << QStringList{QStringLiteral("help")} << 0
                          << QStringLiteral("  cwb bench compress [--shape RxC]...") << QString();
    QTest::newRow("--help") << QStringList{QStringLiteral("--help")} << 0
                            << QStringLiteral("usage: cwb <command>") << QString();
    QTest::newRow("--help COMMAND")
        << QStringList{QStringLiteral("--help"), QStringLiteral("eval")} << 0
        << QStringLiteral("usage: cwb eval MODEL --text FILE") << QString();
    QTest::newRow("help of a two-word command")
        << QStringList{QStringLiteral("help"), QStringLiteral("bench"), QStringLiteral("open")}
        << 0 << QStringLiteral("usage: cwb bench open [--gb N] [--cold]\n") << QString();
    QTest::newRow("command --help")
        << QStringList{QStringLiteral("eval"), QStringLiteral("--help")} << 0
        << QStringLiteral("\noptions:\n  --text FILE") << QString();
    QTest::newRow("help of nothing known")
        << QStringList{QStringLiteral("help"), QStringLiteral("frob")} << 2 << QString()
        << QStringLiteral("cwb help: unknown command 'frob'");
    QTest::newRow("version") << QStringList{QStringLiteral("--version")} << 0
                             << QStringLiteral("cwb 9.8.7\n") << QString();
    QTest::newRow("unknown command")
        << QStringList{QStringLiteral("frob")} << 2 << QString()
        << QStringLiteral("cwb: unknown command 'frob'\n\nusage: cwb <command>");
    QTest::newRow("group without member")
        << QStringList{QStringLiteral("bench")} << 2 << QString()
        << QStringLiteral("cwb bench: name one of open, eval, analyze, compress, stream, "
                          "quality\n"
                          "  cwb bench open [--gb N] [--cold]\n");
    QTest::newRow("unknown member")
        << QStringList{QStringLiteral("bench"), QStringLiteral("frob")} << 2 << QString()
        << QStringLiteral("cwb bench: unknown bench command 'frob' (open, eval, analyze, "
                          "compress, stream, quality)");
    QTest::newRow("usage error")
        << QStringList{QStringLiteral("eval"), QStringLiteral("m"), QStringLiteral("--ctx"),
                       QStringLiteral("x")}
        << 2 << QString()
        << QStringLiteral("cwb eval: --ctx must be an integer >= 2, got 'x'\n"
                          "usage: cwb eval MODEL --text FILE");
    QTest::newRow("usage error in a command's own check")
        << QStringList{QStringLiteral("bench"), QStringLiteral("compress"),
                       QStringLiteral("--hessian-shape"), QStringLiteral("8x100")}
        << 2 << QString()
        << QStringLiteral("cwb bench compress: --hessian-shape must be RxC with C a multiple of "
                          "128 in 128..16384, got '8x100'");
    QTest::newRow("file error")
        << QStringList{QStringLiteral("inspect"), QStringLiteral("/nonexistent/m.gguf")} << 1
        << QString() << QStringLiteral("cwb: error: /nonexistent/m.gguf");
}

void TestCliOptions::exitStatuses()
{
    QFETCH(QStringList, args);
    QFETCH(int, status);
    QFETCH(QString, out);
    QFETCH(QString, err);
    Args list;
    for (const auto &a : args)
        list.push_back(a.toStdString());
    const CliRun r = runCli(list);
    QCOMPARE(r.status, status);
    QVERIFY2(r.out.find(out.toStdString()) != std::string::npos, r.out.c_str());
    QVERIFY2(r.err.find(err.toStdString()) != std::string::npos, r.err.c_str());
    // Help and usage lines fit 100 columns (a message naming a file may not).
    std::istringstream lines(r.out + r.err);
    for (std::string line; std::getline(lines, line);)
        if (!line.starts_with("cwb"))
            QVERIFY2(line.size() <= 100, line.c_str());
    if (out.isEmpty())
        QCOMPARE(r.out, std::string());
    if (err.isEmpty())
        QCOMPARE(r.err, std::string());
}

void TestCliOptions::sharedRunInputs()
{
    // What the CLI's compress and the GUI's Layer Plan both build.
    const cwb::CompressParams defaults = cwb::compressParams({});
    const cwb::CompressParams reference;
    QCOMPARE(defaults.calibration.sequences, reference.calibration.sequences);
    QCOMPARE(defaults.calibration.tokensPerSequence, reference.calibration.tokensPerSequence);
    QCOMPARE(defaults.threads, 0);
    cwb::CompressionInputs in;
    in.calibrationPath = "c.txt";
    in.sequences = 8;
    in.tokensPerSequence = 32;
    in.threads = 3;
    in.recipeJson = "{}";
    const cwb::CompressParams p = cwb::compressParams(in);
    QCOMPARE(p.calibrationPath, std::string("c.txt"));
    QCOMPARE(p.calibration.sequences, int64_t(8));
    QCOMPARE(p.calibration.tokensPerSequence, int64_t(32));
    QCOMPARE(p.threads, 3);
    QCOMPARE(p.calibration.threads, 3); // one setting for the pipeline and the calibration
    QCOMPARE(p.recipeJson, std::string("{}"));

    // What the CLI's eval of an archive and the GUI's "Compressed" weights both set.
    cwb::CompressedReplacements weights;
    weights.vectors["final_norm"] = std::make_shared<const std::vector<float>>(4, 1.0f);
    weights.matrices["layers.0.attn.q"] = nullptr;
    cwb::EvalParams e;
    cwb::useCompressedWeights(e, weights, "m.gguf (compressed, Q4_0)");
    QCOMPARE(e.modelLabel, std::string("m.gguf (compressed, Q4_0)"));
    QCOMPARE(e.replacements.size(), size_t(1));
    QVERIFY(e.replacements.count("layers.0.attn.q"));
    QCOMPARE(e.vectorReplacements.at("final_norm"), weights.vectors.at("final_norm"));
    QVERIFY(e.model == nullptr);

    cwb::OpenedArchive archive;
    archive.replacements = weights;
    cwb::EvalParams fromArchive;
    cwb::useArchive(fromArchive, archive, "/tmp/dir/run.cwbarchive");
    QCOMPARE(fromArchive.modelLabel, std::string("run.cwbarchive"));
    QCOMPARE(fromArchive.vectorReplacements.size(), size_t(1));
    QVERIFY(fromArchive.model == archive.source.get());
}

QTEST_GUILESS_MAIN(TestCliOptions)
#include "test_cli_options.moc"
