// SPDX-License-Identifier: MIT
// cwb solve MODEL --calib TEXT --budget-...: one option per tensor, least predicted damage within
// the budget, written as a recipe; --verify compresses it and measures how far the prediction
// was off, --baselines measures the uniform recipes and llama.cpp's Q4_K_M beside it.

#include "choose/recipe_bench.h"
#include "choose/solve_recipe.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/sensitivity_inputs.h"
#include "io/open_model.h"
#include "recipe/recipe_edit.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace cwb::cli {
namespace {

BudgetSpec budgetOf(const ParsedArgs &args)
{
    BudgetSpec b;
    b.threads = threadsOf(args);
    if (args.has("--budget-bpw")) {
        b.kind = BudgetSpec::Kind::BitsPerWeight;
        b.value = args.real("--budget-bpw", 0);
    } else if (args.has("--budget-bytes")) {
        b.kind = BudgetSpec::Kind::Bytes;
        b.value = double(args.integer("--budget-bytes", 0));
    } else {
        b.kind = BudgetSpec::Kind::Latency;
        b.value = args.real("--budget-latency", 0);
        b.device = args.text("--device");
    }
    return b;
}

std::vector<Lock> locksOf(const ParsedArgs &args)
{
    std::vector<Lock> locks;
    if (!args.has("--lock"))
        return locks;
    for (const std::string &text : args.texts("--lock")) {
        try {
            locks.push_back(parseLock(text));
        } catch (const Error &e) {
            throw UsageError("solve", std::string("--lock: ") + e.what());
        }
    }
    return locks;
}

void writeRecipe(const std::string &path, const Recipe &recipe)
{
    const std::string json = recipeToJson(recipe);
    writeFileAtomically(path, [&](const std::string &temp) {
        std::ofstream out(temp, std::ios::binary);
        out << json;
        out.flush();
        if (!out)
            throwIn(path, "cannot write the recipe");
    });
}

// The solver's recipe, then (with --baselines) every baseline at or below its size, those of
// the smallest size above it, and llama.cpp's Q4_K_M.
Verification verify(const Model &model, const ParsedArgs &args, Environment &env,
                    const SensitivityTable &table, const SolveOutcome &s, TargetFormat target)
{
    RecipeBenchParams p;
    p.calibrationPath = args.text("--calib");
    p.statisticsSequences = args.integer("--sequences", p.statisticsSequences);
    p.statisticsTokensPerSequence = args.integer("--seq-len", p.statisticsTokensPerSequence);
    p.windows.windows = args.integer("--windows", p.windows.windows);
    p.windows.tokensPerWindow = args.integer("--seq-len", p.windows.tokensPerWindow);
    p.evalTextPath = args.text("--text");
    p.nCtx = args.integer("--ctx", 0);
    p.chunks = args.integer("--chunks", p.chunks);
    p.threads = threadsOf(args);
    RecipeBench bench(model, p, env.job());
    *env.err << "\n";

    Verification v;
    v.evalTextPath = p.evalTextPath;
    v.nCtx = bench.nCtx();
    v.chunks = p.chunks;
    v.positions = bench.evalPositions();
    v.basePpl = bench.basePpl();
    v.rows.push_back(bench.measure("solver", s.recipe, &table, env.job()));
    *env.err << "\n";
    if (!args.has("--baselines"))
        return v;
    std::vector<std::pair<uint64_t, NamedRecipe>> sized;
    for (NamedRecipe &r : baselineRecipes(model, table, target))
        if (const auto bytes = bench.plannedBytes(r.recipe))
            sized.emplace_back(*bytes, std::move(r));
    std::stable_sort(sized.begin(), sized.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    // The smallest size above the solver's (all recipes of that size: q4_0, q4_k and rtn int4
    // g32 often tie).
    std::optional<uint64_t> nextSize;
    for (const auto &[bytes, r] : sized)
        if (bytes > s.totalBytes && !r.reference && (!nextSize || bytes < *nextSize))
            nextSize = bytes;
    for (auto &[bytes, r] : sized) {
        if (bytes > s.totalBytes && !r.reference && bytes != nextSize)
            continue;
        v.rows.push_back(bench.measure(r.name, r.recipe, &table, env.job()));
        *env.err << "\n";
    }
    return v;
}

// "0.75,0.5" -> {0.75, 0.5}; each a fraction in (0, 1).
std::vector<double> fractionList(const std::string &text)
{
    std::vector<double> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string part = text.substr(start, comma - start);
        char *end = nullptr;
        const double v = std::strtod(part.c_str(), &end);
        if (part.empty() || end != part.c_str() + part.size() || !(v > 0 && v < 1))
            throw UsageError("solve", "--ffn-keep " + text + ": \"" + part
                                          + "\" is not a fraction in (0, 1)");
        out.push_back(v);
        start = comma + 1;
    }
    return out;
}

} // namespace

const CommandSpec &solveCommand()
{
    static const CommandSpec spec = [] {
        CommandSpec s{
            .name = "solve",
            .positional = "MODEL",
            .positionalHelp = "model",
            .summary =
                "chooses one option per tensor with the least summed dKLD (from\n"
                "`cwb sensitivity`, computed or reused from --project) whose whole\n"
                "model fits the budget: bits/weight or bytes of every tensor\n"
                "(embeddings, head and norms included), or a decode latency on a\n"
                "device profile (memory-bound estimate); exact (multiple-choice\n"
                "knapsack); writes a recipe whose overrides say why; --verify\n"
                "compresses it and measures KLD on --text and on the calibration\n"
                "windows (prediction error); --baselines also the uniform recipes\n"
                "at or below its size and llama.cpp's Q4_K_M",
        };
        s.options.push_back(
            calibrationOption("calibration text: method statistics and the KLD windows"));
        s.options.back().required = true;
        s.options.push_back({.name = "--budget-bpw", .kind = ValueKind::Real, .metavar = "B",
                             .help = "bits per weight of the whole model", .realMin = 0,
                             .realMax = 64, .realMinExclusive = true, .required = true,
                             .oneOf = "budget"});
        s.options.push_back({.name = "--budget-bytes", .kind = ValueKind::Integer,
                             .metavar = "N", .help = "bytes of the whole model", .intMin = 1,
                             .intMax = int64_t{1} << 52, .required = true, .oneOf = "budget"});
        s.options.push_back({.name = "--budget-latency", .kind = ValueKind::Real,
                             .metavar = "MS", .help = "milliseconds per decoded token (estimate)",
                             .realMin = 0, .realMax = 1e6, .realMinExclusive = true,
                             .required = true, .oneOf = "budget"});
        s.options.push_back({.name = "--device", .kind = ValueKind::Text, .metavar = "PROFILE",
                             .help = "device profile id for --budget-latency (cwb eval "
                                     "--devices lists them)",
                             .needs = "--budget-latency", .oneOf = "budget"});
        for (OptionSpec &o : sensitivityOptions())
            s.options.push_back(std::move(o));
        s.options.push_back({.name = "--ffn-keep", .kind = ValueKind::Text, .metavar = "F,F",
                             .help = "structures as candidates: also try keeping these "
                                     "fractions of every layer's FFN channels (prune_channels "
                                     "with repair; each measured per layer on the calibration "
                                     "windows), the plan of least predicted damage wins"});
        s.options.push_back({.name = "--lock", .kind = ValueKind::Text,
                             .metavar = "PATTERN=METHOD",
                             .help = "tensors the recipe pattern selects take this option",
                             .repeatable = true});
        s.options.push_back({.name = "--out", .kind = ValueKind::Path, .metavar = "RECIPE.json",
                             .help = "the recipe to write", .required = true});
        s.options.push_back({.name = "--verify",
                             .help = "compress the recipe and measure its KLD",
                             .needs = "--text"});
        s.options.push_back({.name = "--text", .kind = ValueKind::Path, .metavar = "FILE",
                             .help = "held-out text for --verify", .needs = "--verify"});
        s.options.push_back({.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                             .help = "evaluation window length",
                             .defaultValue = "256 or the model's context", .intMin = 2,
                             .intMax = int64_t{1} << 20, .needs = "--verify"});
        s.options.push_back({.name = "--chunks", .kind = ValueKind::Integer, .metavar = "K",
                             .help = "evaluation windows", .defaultValue = "100", .intMin = 0,
                             .intMax = int64_t{1} << 20, .rangeNote = "0 = all",
                             .needs = "--verify"});
        s.options.push_back({.name = "--baselines",
                             .help = "also measure the uniform recipes and llama.cpp Q4_K_M",
                             .needs = "--verify"});
        s.options.push_back(threadsOption());
        s.options.push_back(jsonOption());
        return s;
    }();
    return spec;
}

int runSolve(const ParsedArgs &args, Environment &env)
{
    const TargetFormat target = targetOf(args);
    std::vector<Candidate> candidates = candidatesOf(args, "solve");
    SolveParams params;
    params.target = target;
    params.locks = locksOf(args);
    for (const Lock &lock : params.locks)
        candidates.push_back(lock.candidate);
    {
        std::vector<Candidate> unique;
        for (Candidate &c : candidates)
            if (std::none_of(unique.begin(), unique.end(),
                             [&](const Candidate &u) { return u.id == c.id; }))
                unique.push_back(std::move(c));
        candidates = std::move(unique);
    }
    const Model model = io::openModel(args.positional());
    params.budget = resolveBudget(model, budgetOf(args));
    const SensitivityRun run = obtainSensitivity(model, args, env, std::move(candidates));
    if (args.has("--ffn-keep")) {
        FfnKeepParams fp;
        fp.calibrationPath = args.text("--calib");
        fp.keeps = fractionList(args.text("--ffn-keep"));
        fp.statisticsSequences = args.integer("--sequences", fp.statisticsSequences);
        fp.statisticsTokensPerSequence = args.integer("--seq-len", fp.statisticsTokensPerSequence);
        fp.windows.windows = args.integer("--windows", fp.windows.windows);
        fp.windows.tokensPerWindow = args.integer("--seq-len", fp.windows.tokensPerWindow);
        fp.threads = threadsOf(args);
        *env.err << "FFN keep candidates...\n";
        params.ffnKeeps = measureFfnKeepDamage(model, fp, env.job());
    }
    const SolveOutcome outcome = solveFromTable(model, run.table, params, env.job(false));
    const std::string recipePath = args.text("--out");
    writeRecipe(recipePath, outcome.recipe);
    std::optional<Verification> verification;
    if (args.has("--verify"))
        verification = verify(model, args, env, run.table, outcome, target);

    SolveReport report;
    report.table = &run.table;
    report.source = run.source;
    report.outcome = &outcome;
    report.target = target;
    report.recipePath = recipePath;
    report.verification = verification ? &*verification : nullptr;
    *env.out << (args.has("--json") ? solveJson(report) : solveText(report));
    return 0;
}

} // namespace cwb::cli
