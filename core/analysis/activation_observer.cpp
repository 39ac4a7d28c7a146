// SPDX-License-Identifier: MIT
#include "analysis/activation_observer.h"

#include "eval/perplexity.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cwb::analysis {
namespace {

const char *const kSource = "activation statistics";

std::string gib(uint64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f GiB", double(bytes) / double(uint64_t(1) << 30));
    return text;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + long(mid), v.end());
    if (v.size() % 2 == 1)
        return v[mid];
    const double upper = v[mid];
    const double lower = *std::max_element(v.begin(), v.begin() + long(mid));
    return 0.5 * (lower + upper);
}

LinearActivationStats siteStats(const SiteAccumulator &a, double outlierFactor)
{
    const ChannelSums &s = a.sums;
    LinearActivationStats r;
    r.input = a.site.name;
    r.layer = a.site.layer;
    r.inFeatures = a.site.inFeatures;
    r.tokens = s.rows;
    r.absMax = s.absMax;
    r.meanAbs = s.sumAbs;
    r.meanSquare = s.sumSquare;
    if (s.rows > 0)
        for (size_t c = 0; c < r.meanAbs.size(); ++c) {
            r.meanAbs[c] /= double(s.rows);
            r.meanSquare[c] /= double(s.rows);
        }
    r.medianAbsMax = median(r.absMax);
    if (r.medianAbsMax > 0)
        for (size_t c = 0; c < r.absMax.size(); ++c)
            if (r.absMax[c] > outlierFactor * r.medianAbsMax)
                r.outliers.push_back({int64_t(c), r.absMax[c] / r.medianAbsMax});
    std::stable_sort(r.outliers.begin(), r.outliers.end(),
                     [](const ActivationOutlier &x, const ActivationOutlier &y) {
                         return x.ratio > y.ratio;
                     });
    if (a.hessian) {
        analysis::symmetrizeFromLower(a.hessian->sum, a.hessian->inFeatures);
        r.hessian = a.hessian;
    }
    return r;
}

} // namespace

void StatsObserver::observe(const LinearInputSite &site, const float *x, int64_t nRows)
{
    if (paused_)
        return;
    SiteAccumulator &a = accumulatorFor(site);
    const std::lock_guard lock(a.mutex);
    accumulateChannels(x, nRows, site.inFeatures, a.sums);
    if (a.hessian) {
        accumulateHessian(x, nRows, site.inFeatures, a.hessian->sum);
        a.hessian->tokens += nRows;
    }
}

void StatsObserver::clear()
{
    const std::lock_guard lock(mapMutex_);
    index_.clear();
    sites_.clear();
}

SiteAccumulator &StatsObserver::accumulatorFor(const LinearInputSite &site)
{
    const std::lock_guard lock(mapMutex_);
    if (const auto it = index_.find(site.name); it != index_.end())
        return *sites_[it->second];
    auto a = std::make_unique<SiteAccumulator>();
    a->site = site;
    a->sums = ChannelSums(site.inFeatures);
    if (hessians_) {
        a->hessian = std::make_shared<ActivationHessian>();
        a->hessian->inFeatures = site.inFeatures;
        a->hessian->sum.assign(size_t(site.inFeatures * site.inFeatures), 0.0);
    }
    index_.emplace(site.name, sites_.size());
    sites_.push_back(std::move(a));
    return *sites_.back();
}

void checkActivationParams(const ActivationParams &p)
{
    if (p.sequences < 1)
        throwIn(kSource, "sequences is " + std::to_string(p.sequences) + "; it must be >= 1");
    if (p.tokensPerSequence < 2)
        throwIn(kSource, "tokens per sequence is " + std::to_string(p.tokensPerSequence)
                             + "; it must be >= 2");
    if (p.minTokens < 1)
        throwIn(kSource, "minimum tokens is " + std::to_string(p.minTokens) + "; it must be >= 1");
    if (!std::isfinite(p.outlierFactor) || p.outlierFactor <= 0)
        throwIn(kSource, "outlier factor " + std::to_string(p.outlierFactor)
                             + " must be a positive number");
    if (p.threads < 0)
        throwIn(kSource, "threads is " + std::to_string(p.threads) + "; 0 means all cores");
}

uint64_t layerHessianBytes(const HyperParams &h)
{
    const auto sq = [](int64_t n) { return uint64_t(n) * uint64_t(n); };
    const int64_t qDim = h.nHeads * h.headDim > 0 ? h.nHeads * h.headDim : h.dim;
    return (2 * sq(h.dim) + sq(qDim) + sq(h.hiddenDim)) * sizeof(double);
}

void checkCalibrationInputs(const Model &model, const Engine &engine,
                            std::span<const int32_t> stream, int32_t bos,
                            const ActivationParams &params, bool perLayer)
{
    const auto nStream = int64_t(stream.size());
    if (nStream < params.minTokens)
        throwIn(kSource, "the calibration text is too short: it gives " + std::to_string(nStream)
                             + " tokens, at least " + std::to_string(params.minTokens)
                             + " are needed");
    const uint64_t hessians =
        layerHessianBytes(model.hparams) * uint64_t(perLayer ? 1 : model.hparams.nLayers);
    if (params.collectHessians && hessians > params.hessianBudgetBytes)
        throwIn(kSource, "the Hessians of this model need " + gib(hessians)
                             + (perLayer ? " per layer" : "") + ", more than the budget of "
                             + gib(params.hessianBudgetBytes));
    if (params.tokensPerSequence > engine.contextLimit())
        throwIn(kSource, "tokens per sequence " + std::to_string(params.tokensPerSequence)
                             + " exceeds the model's context limit of "
                             + std::to_string(engine.contextLimit()));
    const int64_t vocab = engine.vocabSize();
    if (bos >= vocab)
        throwIn(kSource, "BOS id " + std::to_string(bos) + " is outside the model's vocabulary of "
                             + std::to_string(vocab));
    for (size_t i = 0; i < stream.size(); ++i)
        if (stream[i] < 0 || stream[i] >= vocab)
            throwIn(kSource, "calibration token " + std::to_string(i) + " has id "
                                 + std::to_string(stream[i])
                                 + ", outside the model's vocabulary of " + std::to_string(vocab)
                                 + ": the tokenizer does not belong to it");
}

SequencePlan planSequences(int64_t streamTokens, int32_t bos, const ActivationParams &p)
{
    SequencePlan plan;
    const int64_t withBos = bos >= 0 ? 1 : 0;
    plan.piece = p.tokensPerSequence - withBos;
    plan.count = std::min(p.sequences, streamTokens / plan.piece);
    if (plan.count == 0) { // shorter than one sequence: all of it, once
        plan.count = 1;
        plan.piece = streamTokens;
    }
    plan.length = plan.piece + withBos;
    return plan;
}

void sequenceTokens(std::span<const int32_t> stream, int32_t bos, const SequencePlan &plan,
                    int64_t s, std::vector<int32_t> &out)
{
    out.clear();
    if (bos >= 0)
        out.push_back(bos);
    const auto piece = stream.subspan(size_t(s * plan.piece), size_t(plan.piece));
    out.insert(out.end(), piece.begin(), piece.end());
}

ActivationStats statsOf(const StatsObserver &observer, const ActivationParams &params,
                        int64_t streamTokens, int32_t bos, const SequencePlan &plan)
{
    ActivationStats stats;
    stats.outlierFactor = params.outlierFactor;
    stats.hasHessians = params.collectHessians;
    for (const auto &a : observer.sites()) {
        const LinearActivationStats base = siteStats(*a, params.outlierFactor);
        for (const std::string &weight : a->site.weights) {
            stats.linears.push_back(base);
            stats.linears.back().weight = weight;
        }
    }
    ActivationCoverage &c = stats.coverage;
    c.source = "token ids";
    c.streamTokens = streamTokens;
    c.streamTokensUsed = plan.count * plan.piece;
    c.sequences = plan.count;
    c.tokensPerSequence = plan.length;
    c.tokensEvaluated = plan.count * plan.length;
    c.bosPrepended = bos >= 0;
    for (const auto &l : stats.linears)
        if (l.tokens < c.tokensEvaluated)
            c.shortWeights.push_back(l.weight);
    return stats;
}

CalibrationStream tokenizeCalibration(const Model &model, const std::string &textPath)
{
    if (model.tokenizer.kind.empty())
        throwIn(model.path, "the model names no tokenizer, so the calibration text " + textPath
                                + " cannot be tokenized (pass token ids instead)");
    const std::string text = eval::loadEvalText(textPath);
    const auto tokenizer = loadTokenizer(model);
    CalibrationStream out;
    out.tokens = tokenizer->encode(text, false);
    out.bos = tokenizer->addsBos() ? tokenizer->bos() : -1;
    return out;
}

} // namespace cwb::analysis
