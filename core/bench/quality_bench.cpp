// SPDX-License-Identifier: MIT
#include "bench/quality_bench.h"

#include "analysis/activation_stats.h"
#include "bench/bench_util.h"
#include "bench/llama_logs.h"
#include "bench/tool_process.h"
#include "choose/sensitivity.h"
#include "choose/solve_recipe.h"
#include "export/export.h"
#include "io/open_model.h"
#include "pipeline/pipeline.h"
#include "solve/budget_solver.h"
#include "util/error.h"
#include "util/text_format.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

namespace cwb::bench {
namespace fs = std::filesystem;

namespace {

// The tools, checked up front so that a wrong directory fails before any work.
struct LlamaTools {
    std::string perplexity, quantize, imatrix;
};

LlamaTools findTools(const std::string &dir)
{
    LlamaTools t;
    const auto tool = [&](const char *name) {
        const std::string path = (fs::path(dir) / name).string();
        if (!fs::is_regular_file(path))
            throwIn(path, std::string("no ") + name + " in the llama.cpp tools directory");
        return path;
    };
    t.perplexity = tool("llama-perplexity");
    t.quantize = tool("llama-quantize");
    t.imatrix = tool("llama-imatrix");
    return t;
}

// Where the files go: the kept directory, or a scratch one removed with this object.
class WorkDir {
public:
    WorkDir(const QualityBenchParams &p)
    {
        if (p.keepDir.empty()) {
            scratch_ = std::make_unique<ScratchDir>(p.tempParent, "quality");
            path_ = scratch_->path().string();
            return;
        }
        std::error_code ec;
        fs::create_directories(p.keepDir, ec);
        if (ec)
            throwIn(p.keepDir, "cannot create the directory: " + ec.message());
        path_ = p.keepDir;
    }
    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] std::string file(const std::string &name) const
    {
        return (fs::path(path_) / name).string();
    }
    [[nodiscard]] bool kept() const { return !scratch_; }

private:
    std::unique_ptr<ScratchDir> scratch_;
    std::string path_;
};

std::vector<std::string> perplexityArgs(const LlamaTools &tools, const QualityBenchParams &p,
                                        const std::string &model)
{
    std::vector<std::string> a{tools.perplexity, "-m", model, "-f", p.evalTextPath,
                               "-c", std::to_string(p.nCtx), "-b", std::to_string(p.nCtx),
                               "-t", std::to_string(p.threads)};
    if (p.chunks > 0)
        a.insert(a.end(), {"--chunks", std::to_string(p.chunks)});
    return a;
}

uint64_t tensorBytes(const std::string &gguf)
{
    return io::openModel(gguf).totals().bytes;
}

// llama-perplexity --kl-divergence of `model` against the base logits.
JudgedFile judge(const LlamaTools &tools, const QualityBenchParams &p, const WorkDir &dir,
                 const std::string &model, const std::string &baseLogits, const std::string &stem,
                 const JobContext &ctx)
{
    JudgedFile f;
    f.path = model;
    f.bytes = tensorBytes(model);
    std::vector<std::string> argv = perplexityArgs(tools, p, model);
    argv.insert(argv.end(), {"--kl-divergence-base", baseLogits, "--kl-divergence"});
    f.command = commandLine(argv);
    const ToolOutput out = runTool({argv, dir.path(), stem}, ctx);
    const std::string log = out.log();
    const std::string source = tools.perplexity + " (" + model + ")";
    const LoadedSize size = parseLoadedSize(log, source);
    f.mebibytes = size.mebibytes;
    f.bitsPerWeight = size.bitsPerWeight;
    const PerplexityFigures figures = parsePerplexityLog(log, source);
    if (!figures.hasKld)
        throwIn(tools.perplexity, "printed no KL divergence statistics for " + model);
    f.ppl = figures.ppl;
    f.pplError = figures.pplError;
    f.meanKld = figures.meanKld;
    f.meanKldError = figures.meanKldError;
    f.p99Kld = figures.p99Kld;
    f.sameTopPct = figures.sameTopPct;
    return f;
}

// "q4_k x20, gptq:group=32 x14": the options the solver chose, most tensors first.
std::string choiceSummary(const SolveOutcome &s, const SensitivityTable &table)
{
    std::map<std::string, int> count;
    for (const TensorChoice &c : s.tensors)
        ++count[table.options[c.option].id];
    std::vector<std::pair<std::string, int>> sorted(count.begin(), count.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    std::string out;
    for (const auto &[id, n] : sorted)
        out += (out.empty() ? "" : ", ") + id + " x" + std::to_string(n);
    return out;
}

std::string rowName(const LlamaQuantRow &r)
{
    return r.type + (r.imatrix ? " + imatrix" : "");
}

// What judging a file needs: the tools, the settings, where files go and the base logits.
struct Judge {
    const LlamaTools &tools;
    const QualityBenchParams &params;
    const WorkDir &dir;
    std::string baseLogits;

    [[nodiscard]] JudgedFile operator()(const std::string &model, const std::string &stem,
                                        const JobContext &ctx) const
    {
        return judge(tools, params, dir, model, baseLogits, stem, ctx);
    }
};

SensitivityTable sensitivityFor(const Model &model, const QualityBenchParams &params,
                                const JobContext &ctx)
{
    SensitivityParams sp;
    sp.calibrationPath = params.calibrationPath;
    sp.candidates =
        params.candidates.empty() ? defaultCandidates(TargetFormat::Gguf) : params.candidates;
    sp.windows.windows = params.windows;
    sp.windows.tokensPerWindow = params.seqLen;
    sp.statisticsSequences = params.sequences;
    sp.statisticsTokensPerSequence = params.seqLen;
    sp.threads = params.threads;
    return computeSensitivity(model, sp, ctx);
}

// The base GGUF (the model's own, or our F32 export of it), the imatrix and the base logits.
void prepareBase(const Model &model, Judge &judge, QualityBenchResult &r, const JobContext &ctx)
{
    const QualityBenchParams &params = judge.params;
    const LlamaTools &tools = judge.tools;
    r.basePath = params.modelPath;
    if (model.format != ModelFormat::Gguf) {
        ExportRequest req;
        req.target = ExportTarget::Gguf;
        req.model = &model;
        req.outPath = judge.dir.file("base-f32.gguf");
        req.floatType = DType::F32;
        (void)runExport(req, ctx.cancelOnly());
        r.basePath = req.outPath;
        r.baseExported = true;
    }
    if (!params.types.empty()) {
        ctx.report(0.0, "llama-imatrix");
        const std::vector<std::string> argv{
            tools.imatrix, "-m", r.basePath, "-f", params.calibrationPath, "-c",
            std::to_string(params.nCtx), "--chunks", std::to_string(params.imatrixChunks), "-t",
            std::to_string(params.threads), "-o", judge.dir.file("imatrix.dat")};
        r.imatrixCommand = commandLine(argv);
        (void)runTool({argv, judge.dir.path(), "imatrix"}, ctx);
    }
    ctx.report(0.1, "llama-perplexity --kl-divergence-base");
    judge.baseLogits = judge.dir.file("base.kld");
    std::vector<std::string> argv = perplexityArgs(tools, params, r.basePath);
    argv.insert(argv.end(), {"--kl-divergence-base", judge.baseLogits});
    r.base.path = r.basePath;
    r.base.bytes = tensorBytes(r.basePath);
    r.base.command = commandLine(argv);
    const ToolOutput out = runTool({argv, judge.dir.path(), "perplexity-base"}, ctx);
    const LoadedSize size = parseLoadedSize(out.log(), tools.perplexity + " (base)");
    r.base.mebibytes = size.mebibytes;
    r.base.bitsPerWeight = size.bitsPerWeight;
    const PerplexityFigures f = parsePerplexityLog(out.log(), tools.perplexity + " (base)");
    r.base.ppl = f.ppl;
    r.base.pplError = f.pplError;
}

// llama-quantize to each type without and with the imatrix, each file judged.
void measureLlama(const Judge &judge, QualityBenchResult &r, const JobContext &ctx)
{
    const QualityBenchParams &params = judge.params;
    const size_t files = params.types.size() * 2;
    for (const std::string &type : params.types)
        for (const bool imatrix : {false, true}) {
            const std::string name = type + (imatrix ? "-imatrix" : "");
            ctx.report(0.1 + 0.9 * double(r.llama.size()) / double(files), name);
            LlamaQuantRow row;
            row.type = type;
            row.imatrix = imatrix;
            const std::string out = judge.dir.file(name + ".gguf");
            std::vector<std::string> argv{judge.tools.quantize};
            if (imatrix)
                argv.insert(argv.end(), {"--imatrix", judge.dir.file("imatrix.dat")});
            argv.insert(argv.end(), {r.basePath, out, type, std::to_string(params.threads)});
            row.quantizeCommand = commandLine(argv);
            const ToolOutput q = runTool({argv, judge.dir.path(), "quantize-" + name}, ctx);
            row.fallbacks = parseQuantizeLog(q.log(), judge.tools.quantize + " " + type).fallbacks;
            row.file = judge(out, "perplexity-" + name, ctx);
            r.llama.push_back(std::move(row));
        }
}

// One budget per llama.cpp type (its file's bytes), or the given bits/weight; smallest first.
std::vector<OurRow> ourBudgets(const Model &model, const QualityBenchParams &params,
                               const QualityBenchResult &r)
{
    std::vector<OurRow> budgets;
    if (params.budgets.empty()) {
        for (const LlamaQuantRow &l : r.llama) {
            if (l.imatrix)
                continue; // the imatrix file of a type has the same size
            OurRow o;
            o.pairedType = l.type;
            o.budgetBytes = l.file.bytes;
            o.budgetText = l.type + "'s size (" + groupThousands(int64_t(l.file.bytes))
                           + " bytes)";
            budgets.push_back(std::move(o));
        }
    } else {
        for (const double bpw : params.budgets) {
            BudgetSpec spec;
            spec.value = bpw;
            const ResolvedBudget b = resolveBudget(model, spec);
            OurRow o;
            o.budgetBytes = b.bytes;
            o.budgetText = b.text;
            budgets.push_back(std::move(o));
        }
    }
    std::stable_sort(budgets.begin(), budgets.end(), [](const OurRow &a, const OurRow &b) {
        return a.budgetBytes < b.budgetBytes;
    });
    return budgets;
}

// Calibration statistics, collected once for every budget with the pipeline's own settings
// (and Hessians, which the GPTQ options read), as the solver's verification does.
class SharedStatistics {
public:
    SharedStatistics(const Model &model, const QualityBenchParams &params)
        : model_(model), params_(params)
    {
    }
    // Sets the statistics into `cp` when the plan needs them (collecting them the first time).
    void provide(const Plan &plan, CompressParams &cp, const JobContext &ctx)
    {
        if (!planNeedsCalibration(plan))
            return;
        if (!stats_) {
            ActivationParams ap = cp.calibration;
            ap.collectHessians = true;
            const int64_t context = model_.hparams.contextLength > 0
                                        ? model_.hparams.contextLength
                                        : ap.tokensPerSequence;
            ap.tokensPerSequence = std::min(ap.tokensPerSequence, context);
            stats_ = collectActivationStats(model_, params_.calibrationPath, ap, ctx);
        }
        cp.calibrationPath = params_.calibrationPath;
        cp.calibrationStats = &*stats_;
    }

private:
    const Model &model_;
    const QualityBenchParams &params_;
    std::optional<ActivationStats> stats_;
};

// The solver's plan for one budget, compressed, exported to GGUF and judged. A budget the
// solver refuses is the row's problem; every other failure is thrown.
void measureOurs(const Model &model, const SensitivityTable &table, const Judge &judge,
                 SharedStatistics &stats, size_t index, OurRow &o, const JobContext &ctx)
{
    const QualityBenchParams &params = judge.params;
    SolveParams sp;
    sp.target = TargetFormat::Gguf;
    sp.budget.bytes = o.budgetBytes;
    sp.budget.text = o.budgetText;
    std::optional<SolveOutcome> solved;
    try {
        solved = solveFromTable(model, table, sp, ctx.cancelOnly());
    } catch (const Cancelled &) {
        throw;
    } catch (const Error &e) {
        o.problem = e.what(); // "budget solver: the smallest plan ... needs N bytes"
        return;
    }
    o.plannedBytes = solved->totalBytes;
    o.plannedBitsPerWeight = solved->bitsPerWeight;
    o.predictedKld = solved->predictedKld;
    o.choices = choiceSummary(*solved, table);

    CompressParams cp;
    cp.calibration.sequences = params.sequences;
    cp.calibration.tokensPerSequence = params.seqLen;
    cp.calibration.threads = params.threads;
    cp.threads = params.threads;
    cp.outputError = false;
    stats.provide(solved->plan, cp, ctx.stage(0.0, 0.2, "calibration statistics"));
    const CompressedModel compressed =
        compressModel(model, solved->plan, cp, ctx.stage(0.2, 0.7, "compress"));

    ExportRequest req;
    req.target = ExportTarget::Gguf;
    req.model = &model;
    req.compressed = &compressed;
    req.outPath = judge.dir.file("ours-" + std::to_string(index) + ".gguf");
    const ExportResult exported = runExport(req, ctx.stage(0.7, 0.8, "export").cancelOnly());
    o.inexactTensors = int64_t(exported.tensors.size()) - exported.exactCount();

    ctx.report(0.8, "llama-perplexity --kl-divergence");
    o.file = judge(req.outPath, "perplexity-ours-" + std::to_string(index), ctx.cancelOnly());
}

} // namespace

const std::vector<std::string> &defaultQualityTypes()
{
    static const std::vector<std::string> types{"Q2_K",   "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M",
                                                "Q5_K_S", "Q5_K_M", "Q6_K",   "Q8_0"};
    return types;
}

void compareWithLlama(QualityBenchResult &r)
{
    for (OurRow &o : r.ours) {
        o.bestLlamaKld.reset();
        o.bestLlamaName.clear();
        o.ratio.reset();
        o.largerThanPaired = false;
        if (!o.problem.empty())
            continue;
        // The smallest llama.cpp size at or above ours (the paired type's, unless ours came out
        // larger), then the lowest KLD among the files of that size: with or without imatrix.
        // (The lowest KLD over every larger file would always be the largest type's.)
        std::optional<uint64_t> size;
        for (const LlamaQuantRow &l : r.llama) {
            if (l.type == o.pairedType && o.file.bytes > l.file.bytes)
                o.largerThanPaired = true;
            if (l.file.bytes >= o.file.bytes && (!size || l.file.bytes < *size))
                size = l.file.bytes;
        }
        if (!size)
            continue;
        for (const LlamaQuantRow &l : r.llama)
            if (l.file.bytes == *size && (!o.bestLlamaKld || l.file.meanKld < *o.bestLlamaKld)) {
                o.bestLlamaKld = l.file.meanKld;
                o.bestLlamaName = rowName(l);
            }
        if (*o.bestLlamaKld > 0)
            o.ratio = o.file.meanKld / *o.bestLlamaKld;
    }
}

QualityBenchResult runQualityBench(const QualityBenchParams &params, const JobContext &ctx)
{
    const Clock::time_point t0 = Clock::now();
    for (const auto &[path, what] : {std::pair{params.evalTextPath, "the evaluation text"},
                                     std::pair{params.calibrationPath, "the calibration text"}})
        if (path.empty() || !fs::is_regular_file(path))
            throwIn(path, std::string("cannot open ") + what);
    if (params.types.empty() && params.budgets.empty())
        throw Error("bench quality: no llama.cpp types and no budgets: nothing to measure");
    const LlamaTools tools = findTools(params.llamaToolsDir);
    const Model model = io::openModel(params.modelPath);
    const WorkDir dir(params);

    QualityBenchResult r;
    r.model = params.modelPath;
    r.params = params;
    r.params.table = nullptr;
    r.filesDir = dir.path();
    r.filesKept = dir.kept();

    // The sensitivity table first: the longest step of our side, and the one most likely to
    // refuse the model (before the tools have run for minutes).
    std::optional<SensitivityTable> computed;
    if (!params.table)
        computed = sensitivityFor(model, params, ctx.stage(0.0, 0.3, "sensitivity"));
    const SensitivityTable &table = params.table ? *params.table : *computed;
    r.sensitivityKey = table.key;
    r.candidateCount = int64_t(table.options.size());

    Judge judge{tools, params, dir, {}};
    const JobContext llamaCtx = ctx.stage(0.3, 0.6, "llama.cpp");
    prepareBase(model, judge, r, llamaCtx);
    measureLlama(judge, r, llamaCtx);

    std::vector<OurRow> budgets = ourBudgets(model, params, r);
    SharedStatistics stats(model, params);
    const JobContext oursCtx = ctx.stage(0.6, 1.0, "ours");
    for (size_t i = 0; i < budgets.size(); ++i) {
        const double n = double(budgets.size());
        measureOurs(model, table, judge, stats, i, budgets[i],
                    oursCtx.stage(double(i) / n, double(i + 1) / n, budgets[i].budgetText));
        r.ours.push_back(std::move(budgets[i]));
    }
    compareWithLlama(r);
    r.seconds = secondsSince(t0);
    ctx.report(1.0, "done");
    return r;
}

} // namespace cwb::bench
