// SPDX-License-Identifier: MIT
#include "choose/recipe_bench.h"

#include "pipeline/structure_step.h"

#include "choose/solve_recipe.h"
#include "eval/engine.h"
#include "methods/ggml_methods.h"
#include "pipeline/pipeline.h"
#include "recipe/llama_mixture.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace cwb {
namespace {

std::string temporaryBasePath()
{
    static std::atomic<int> counter{0};
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    return (dir / ("cwb-recipe-bench-" + std::to_string(::getpid()) + "-"
                   + std::to_string(counter++) + ".logits"))
        .string();
}

PlanOptions withCalibration()
{
    PlanOptions o;
    o.calibration = true;
    return o;
}

} // namespace

RecipeBench::RecipeBench(const Model &model, const RecipeBenchParams &params,
                         const JobContext &ctx)
    : model_(model), params_(params)
{
    if (params.calibrationPath.empty() || params.evalTextPath.empty())
        throw Error("measuring recipes needs calibration text and a held-out text");
    const int64_t context = model.hparams.contextLength > 0 ? model.hparams.contextLength : 2048;
    nCtx_ = params.nCtx > 0 ? params.nCtx : std::min<int64_t>(256, context);

    ActivationParams ap;
    ap.sequences = params.statisticsSequences;
    ap.tokensPerSequence = std::min(params.statisticsTokensPerSequence, context);
    ap.collectHessians = true;
    ap.threads = params.threads;
    stats_ = collectActivationStats(model, params.calibrationPath, ap,
                                    ctx.stage(0.0, 0.4, "calibration statistics"));

    EngineOptions options;
    options.threads = params.threads;
    const auto engine = Engine::create(model, options);
    windows_ = std::make_unique<KldWindows>(model, params.calibrationPath, params.windows,
                                            stats_.coverage.streamTokensUsed, *engine,
                                            ctx.stage(0.4, 0.5, "calibration windows"));

    basePath_ = temporaryBasePath();
    EvalParams ep = heldOutEval();
    ep.saveLogitsPath = basePath_;
    const EvalResult base = runEvaluation(ep, ctx.stage(0.5, 1.0, "original model"));
    basePpl_ = base.ppl;
    evalPositions_ = base.tokensScored;
}

RecipeBench::~RecipeBench()
{
    std::error_code ec;
    std::filesystem::remove(basePath_, ec);
}

std::optional<uint64_t> RecipeBench::plannedBytes(const Recipe &recipe) const
{
    const Plan plan = resolvePlan(recipe, model_, withCalibration());
    if (!plan.valid())
        return std::nullopt;
    return plan.totals.estimatedBytes;
}

RecipeMeasurement RecipeBench::measure(const std::string &name, const Recipe &recipe,
                                       const SensitivityTable *table, const JobContext &ctx)
{
    RecipeMeasurement m;
    m.name = name;
    const Plan plan = resolvePlan(recipe, model_, withCalibration());
    if (!plan.valid()) {
        m.problem = plan.errors.front().text();
        return m;
    }
    if (table)
        m.predicted = predictedKld(*table, plan);

    CompressParams cp;
    cp.calibrationPath = params_.calibrationPath;
    cp.calibration.sequences = params_.statisticsSequences;
    cp.calibration.tokensPerSequence = params_.statisticsTokensPerSequence;
    cp.calibration.threads = params_.threads;
    cp.threads = params_.threads;
    cp.outputError = false;
    cp.calibrationStats = &stats_;
    const CompressedModel compressed =
        compressModel(model_, plan, cp, ctx.stage(0.0, 0.3, name + ": compress"));
    m.bytes = compressed.totals.compressedBytes;
    m.bitsPerWeight = compressed.totals.bitsPerWeight;
    const CompressedReplacements weights = replacementsOf(compressed);

    EvalParams ep = heldOutEval();
    ep.kldBasePath = basePath_;
    // The model the compressed tensors belong to (smaller when the plan removed structures).
    const Model evaluated = structuredSource(model_, compressed);
    ep.model = &evaluated;
    ep.replacements = weights.matrices;
    ep.vectorReplacements = weights.vectors;
    const EvalResult r = runEvaluation(ep, ctx.stage(0.3, 0.9, name + ": evaluate"));
    m.eval = r.kld;
    m.ppl = r.ppl;

    EngineOptions options;
    options.threads = params_.threads;
    options.replacements = weights.matrices;
    options.vectorReplacements = weights.vectors;
    const auto engine = Engine::create(evaluated, options);
    m.calibrationKld = windows_->measure(*engine, ctx.stage(0.9, 1.0, name + ": calibration"));
    return m;
}

namespace {

// Option `j` on every matrix that can store it; elsewhere llama-quantize's fallback (a ggml type:
// its --pure mixture) or Q8_0, F16 where Q8_0 does not tile the rows (any other option).
Recipe uniformRecipe(const Model &model, const SensitivityTable &table, size_t j,
                     const Candidate &c)
{
    const std::vector<MethodEntry> entries = c.recipeEntries();
    if (entries.size() == 1 && entries[0].params.empty())
        if (const auto type = ggmlMethodType(entries[0].method)) {
            Recipe r = llamaCppMixture(model, dtypeName(*type));
            r.source = r.name = "uniform " + c.id;
            return r;
        }
    Recipe r;
    r.source = r.name = "uniform " + c.id;
    r.defaultMethods = entries;
    for (const SensitivityTensor &t : table.tensors) {
        if (t.cells[j].fits)
            continue;
        const Tensor *mt = model.findTensor(t.name);
        const DType type = mt && mt->rowLength() % dtypeInfo(DType::Q8_0).blockElems == 0
                               ? DType::Q8_0
                               : DType::F16;
        const std::string method(methodStoringType(type));
        r.overrides.push_back({t.canonical.empty() ? t.name : t.canonical,
                               {MethodEntry{method, MethodSlot::Quantize, {}, {}}},
                               c.id + " cannot store it (" + t.cells[j].why + "): "
                                   + std::string(dtypeName(type))});
        for (const Tensor &copy : model.tensors)
            if (mt && copy.tiedTo == mt->name)
                r.overrides.push_back({copy.canonical.empty() ? copy.name : copy.canonical,
                                       {MethodEntry{method, MethodSlot::Quantize, {}, {}}},
                                       "tied copy"});
    }
    return r;
}

} // namespace

std::vector<NamedRecipe> baselineRecipes(const Model &model, const SensitivityTable &table,
                                         TargetFormat target)
{
    std::vector<NamedRecipe> out;
    const PlanOptions options = withCalibration();
    for (size_t j = 0; j < table.options.size(); ++j) {
        const Candidate c = parseCandidate(table.options[j].id);
        if (c.keepsAsStored() || !representsExactly(c, target, DType::F32))
            continue;
        Recipe r = uniformRecipe(model, table, j, c);
        if (resolvePlan(r, model, options).valid())
            out.push_back({r.name, std::move(r), false});
    }
    out.push_back({"llama.cpp Q4_K_M", llamaCppMixture(model, "Q4_K_M"), true});
    return out;
}

EvalParams RecipeBench::heldOutEval() const
{
    EvalParams ep;
    ep.model = &model_;
    ep.textPath = params_.evalTextPath;
    ep.nCtx = nCtx_;
    ep.chunks = params_.chunks;
    ep.threads = params_.threads;
    return ep;
}

} // namespace cwb
