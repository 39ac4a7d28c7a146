// SPDX-License-Identifier: MIT
#include "analysis/activation_stats.h"

#include "analysis/activation_accumulate.h"
#include "eval/engine.h"
#include "eval/perplexity.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <unordered_map>

namespace cwb {
namespace {

const char *const kSource = "activation statistics";

// One distinct projection input and what has been accumulated for it.
struct SiteAccumulator {
    LinearInputSite site;
    std::mutex mutex;
    analysis::ChannelSums sums;
    std::shared_ptr<ActivationHessian> hessian; // null unless Hessians were requested
};

// Receives the engine's projection inputs. The engine calls it from one arena thread at a time,
// but each site is still locked, so that an engine running projections concurrently later (or
// two engines sharing one observer) accumulates correctly.
class StatsObserver final : public LinearInputObserver {
public:
    explicit StatsObserver(bool hessians) : hessians_(hessians) {}

    void observe(const LinearInputSite &site, const float *x, int64_t nRows) override
    {
        SiteAccumulator &a = accumulatorFor(site);
        const std::lock_guard lock(a.mutex);
        analysis::accumulateChannels(x, nRows, site.inFeatures, a.sums);
        if (a.hessian) {
            analysis::accumulateHessian(x, nRows, site.inFeatures, a.hessian->sum);
            a.hessian->tokens += nRows;
        }
    }

    // In the order the engine first reported them: forward order.
    [[nodiscard]] const std::vector<std::unique_ptr<SiteAccumulator>> &sites() const
    {
        return sites_;
    }

private:
    SiteAccumulator &accumulatorFor(const LinearInputSite &site)
    {
        const std::lock_guard lock(mapMutex_);
        if (const auto it = index_.find(site.name); it != index_.end())
            return *sites_[it->second];
        auto a = std::make_unique<SiteAccumulator>();
        a->site = site;
        a->sums = analysis::ChannelSums(site.inFeatures);
        if (hessians_) {
            a->hessian = std::make_shared<ActivationHessian>();
            a->hessian->inFeatures = site.inFeatures;
            a->hessian->sum.assign(size_t(site.inFeatures * site.inFeatures), 0.0);
        }
        index_.emplace(site.name, sites_.size());
        sites_.push_back(std::move(a));
        return *sites_.back();
    }

    bool hessians_;
    std::mutex mapMutex_;
    std::unordered_map<std::string, size_t> index_;
    std::vector<std::unique_ptr<SiteAccumulator>> sites_;
};

void checkParams(const ActivationParams &p)
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

// Bytes the Hessians of every projection input take (see the site table in the header).
uint64_t hessianBytes(const HyperParams &h)
{
    const auto sq = [](int64_t n) { return uint64_t(n) * uint64_t(n); };
    const int64_t qDim = h.nHeads * h.headDim > 0 ? h.nHeads * h.headDim : h.dim;
    return uint64_t(h.nLayers) * (2 * sq(h.dim) + sq(qDim) + sq(h.hiddenDim)) * sizeof(double);
}

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
    const analysis::ChannelSums &s = a.sums;
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

bool isNorm(const std::string &canonical)
{
    return canonical.find("norm") != std::string::npos;
}

// Canonical matrices of the model that no observed weight covers ("embed", "head", ...).
std::vector<std::string> unobservedMatrices(const Model &model, const ActivationStats &stats)
{
    std::set<std::string> observed;
    for (const auto &l : stats.linears)
        observed.insert(l.weight);
    std::vector<std::string> out;
    for (const Tensor &t : model.tensors) {
        const std::string &name = t.canonical;
        if (name.empty() || t.shape.size() != 2 || name.ends_with(".bias") || isNorm(name)
            || observed.count(name) || std::find(out.begin(), out.end(), name) != out.end())
            continue;
        out.push_back(name);
    }
    return out;
}

// The calibration sequences: [BOS] + piece, pieces cut back to back from the stream.
struct SequencePlan {
    int64_t count = 0;
    int64_t length = 0; // tokens per sequence, with BOS
    int64_t piece = 0;  // stream tokens per sequence
};

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

} // namespace

const LinearActivationStats *ActivationStats::find(std::string_view weight) const
{
    for (const auto &l : linears)
        if (l.weight == weight)
            return &l;
    return nullptr;
}

ActivationStats collectActivationStats(const Model &model, const std::string &textPath,
                                       const ActivationParams &params, const JobContext &ctx)
{
    checkParams(params);
    if (model.tokenizer.kind.empty())
        throwIn(model.path, "the model names no tokenizer, so the calibration text " + textPath
                                + " cannot be tokenized (pass token ids instead)");
    const std::string text = eval::loadEvalText(textPath);
    const auto tokenizer = loadTokenizer(model);
    const std::vector<int32_t> stream = tokenizer->encode(text, false);
    const int32_t bos = tokenizer->addsBos() ? tokenizer->bos() : -1;
    ActivationStats stats = collectActivationStats(model, stream, bos, params, ctx);
    stats.coverage.source = textPath;
    return stats;
}

ActivationStats collectActivationStats(const Model &model, std::span<const int32_t> stream,
                                       int32_t bos, const ActivationParams &params,
                                       const JobContext &ctx)
{
    checkParams(params);
    const auto nStream = int64_t(stream.size());
    if (nStream < params.minTokens)
        throwIn(kSource, "the calibration text is too short: it gives " + std::to_string(nStream)
                             + " tokens, at least " + std::to_string(params.minTokens)
                             + " are needed");
    if (params.collectHessians && hessianBytes(model.hparams) > params.hessianBudgetBytes)
        throwIn(kSource, "the Hessians of this model need " + gib(hessianBytes(model.hparams))
                             + ", more than the budget of " + gib(params.hessianBudgetBytes));

    auto observer = std::make_shared<StatsObserver>(params.collectHessians);
    EngineOptions options;
    options.threads = params.threads;
    options.observer = observer;
    const auto engine = Engine::create(model, options);
    if (params.tokensPerSequence > engine->contextLimit())
        throwIn(kSource, "tokens per sequence " + std::to_string(params.tokensPerSequence)
                             + " exceeds the model's context limit of "
                             + std::to_string(engine->contextLimit()));
    const int64_t vocab = engine->vocabSize();
    if (bos >= vocab)
        throwIn(kSource, "BOS id " + std::to_string(bos) + " is outside the model's vocabulary of "
                             + std::to_string(vocab));
    for (size_t i = 0; i < stream.size(); ++i)
        if (stream[i] < 0 || stream[i] >= vocab)
            throwIn(kSource, "calibration token " + std::to_string(i) + " has id "
                                 + std::to_string(stream[i])
                                 + ", outside the model's vocabulary of " + std::to_string(vocab)
                                 + ": the tokenizer does not belong to it");

    const SequencePlan plan = planSequences(nStream, bos, params);
    std::vector<int32_t> sequence;
    std::vector<float> logits;
    for (int64_t s = 0; s < plan.count; ++s) {
        ctx.checkCancelled();
        sequence.clear();
        if (bos >= 0)
            sequence.push_back(bos);
        const auto piece = stream.subspan(size_t(s * plan.piece), size_t(plan.piece));
        sequence.insert(sequence.end(), piece.begin(), piece.end());
        engine->reset(std::max<int64_t>(plan.length, 2));
        engine->eval(sequence, logits, false, ctx);
        ctx.report(double(s + 1) / double(plan.count),
                   "sequence " + std::to_string(s + 1) + "/" + std::to_string(plan.count));
    }

    ActivationStats stats;
    stats.outlierFactor = params.outlierFactor;
    stats.hasHessians = params.collectHessians;
    for (const auto &a : observer->sites()) {
        const LinearActivationStats base = siteStats(*a, params.outlierFactor);
        for (const std::string &weight : a->site.weights) {
            stats.linears.push_back(base);
            stats.linears.back().weight = weight;
        }
    }
    ActivationCoverage &c = stats.coverage;
    c.source = "token ids";
    c.streamTokens = nStream;
    c.streamTokensUsed = plan.count * plan.piece;
    c.sequences = plan.count;
    c.tokensPerSequence = plan.length;
    c.tokensEvaluated = plan.count * plan.length;
    c.bosPrepended = bos >= 0;
    c.notObserved = unobservedMatrices(model, stats);
    for (const auto &l : stats.linears)
        if (l.tokens < c.tokensEvaluated)
            c.shortWeights.push_back(l.weight);
    return stats;
}

std::string coverageReport(const ActivationStats &stats)
{
    const ActivationCoverage &c = stats.coverage;
    std::string r = "calibration: " + std::to_string(c.sequences) + " sequences x "
                    + std::to_string(c.tokensPerSequence) + " tokens"
                    + (c.bosPrepended ? " (BOS first)" : "") + " = "
                    + std::to_string(c.tokensEvaluated) + " tokens per weight; "
                    + std::to_string(c.streamTokensUsed) + " of " + std::to_string(c.streamTokens)
                    + " stream tokens used, from " + c.source + "\n";
    if (c.shortWeights.empty()) {
        r += "all " + std::to_string(stats.linears.size()) + " observed weights saw "
             + std::to_string(c.tokensEvaluated) + " tokens\n";
    } else {
        for (const std::string &w : c.shortWeights)
            if (const LinearActivationStats *l = stats.find(w))
                r += "short: " + w + " saw " + std::to_string(l->tokens) + " tokens\n";
    }
    if (!c.notObserved.empty()) {
        r += "not observed:";
        for (const std::string &w : c.notObserved)
            r += " " + w;
        r += "\n";
    }
    if (stats.hasHessians)
        r += "Hessians: raw sums X^T X in double (GPTQ's H = 2 * sum / tokens)\n";
    return r;
}

} // namespace cwb
