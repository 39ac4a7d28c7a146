// SPDX-License-Identifier: MIT
#include "prune/structure_scores.h"

#include "eval/engine.h"
#include "model/canonical_name.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <set>

namespace cwb {
namespace {

constexpr const char *kSource = "structure scores";

const Tensor &tensorOf(const Model &m, const std::string &canonical)
{
    for (const auto &t : m.tensors)
        if (t.canonical == canonical)
            return t;
    throwIn(m.path, "structured pruning needs tensor '" + canonical
                        + "' (fused gate_up / qkv projections are not split here)");
}

std::vector<double> rowNormsSq(const std::vector<float> &w, int64_t rows, int64_t cols)
{
    std::vector<double> out(size_t(rows), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out[size_t(r)] += double(w[size_t(r * cols + c)]) * w[size_t(r * cols + c)];
    return out;
}

std::span<const double> gramOf(const ActivationStats &stats, const std::string &weight,
                               StructureScore kind, int64_t &tokens)
{
    const LinearActivationStats *s = stats.find(weight);
    tokens = s ? s->tokens : 0;
    if (kind == StructureScore::Magnitude)
        return {};
    if (!s || !s->hessian)
        throwIn(kSource, "the " + std::string(structureScoreName(kind)) + " score of '" + weight
                             + "' needs calibration Hessians (activation statistics with "
                               "collectHessians)");
    tokens = s->hessian->tokens;
    return s->hessian->sum;
}

// Accumulates one window's rows into the absorb moments of a dropped block.
void accumulateAbsorb(const AbsorbMoments &shape, AbsorbMoments::Rows &m,
                      const std::vector<float> &act, const float *in, const float *out, int64_t n)
{
    const int64_t hidden = shape.hidden, dim = shape.dim;
    for (int64_t t = 0; t < n; ++t) {
        const float *a = act.data() + t * hidden;
        for (int64_t i = 0; i < hidden; ++i) {
            const double ai = a[i];
            if (ai == 0)
                continue;
            double *g = m.gram.data() + i * hidden;
            for (int64_t j = 0; j < hidden; ++j)
                g[j] += ai * a[j];
            double *c = m.cross.data() + i * dim;
            for (int64_t j = 0; j < dim; ++j)
                c[j] += ai * (double(out[t * dim + j]) - in[t * dim + j]);
        }
        for (int64_t j = 0; j < dim; ++j) {
            const double d = double(out[t * dim + j]) - in[t * dim + j];
            m.residualSumSq += d * d;
        }
        ++m.tokens;
    }
}

// Keeps the FFN activations of chosen layers from the last rows the engine ran while recording.
class ActivationRecorder final : public LinearInputObserver {
public:
    explicit ActivationRecorder(std::set<std::string> sites) : sites_(std::move(sites)) {}
    void observe(const LinearInputSite &site, const float *x, int64_t nRows) override
    {
        if (recording && sites_.contains(site.name))
            rows[site.layer].assign(x, x + nRows * site.inFeatures);
    }
    bool recording = false;
    std::map<int64_t, std::vector<float>> rows;

private:
    std::set<std::string> sites_;
};

} // namespace

StructureScores scoreChannelsAndGroups(const Model &model, const ActivationStats &stats,
                                       StructureScore kind, const RepairParams &params)
{
    if (model.family != ArchFamily::Llama)
        throwIn(model.path, "structured pruning runs on the llama family (this is "
                                + std::string(familyName(model.family)) + ")");
    const HyperParams &h = model.hparams;
    StructureScores scores;
    scores.kind = kind;
    for (int64_t l = 0; l < h.nLayers; ++l) {
        const std::string p = layerPrefix(l);
        LayerStructureScores ls;
        ls.layer = l;
        // FFN: the down projection's columns, produced by gate and up rows.
        const Tensor &down = tensorOf(model, p + "mlp.down");
        const std::vector<float> d = down.toFloat();
        const int64_t hidden = down.shape[1];
        const std::vector<float> g = tensorOf(model, p + "mlp.gate").toFloat();
        const std::vector<float> u = tensorOf(model, p + "mlp.up").toFloat();
        std::vector<double> producer = rowNormsSq(g, hidden, h.dim);
        const std::vector<double> upNorms = rowNormsSq(u, hidden, h.dim);
        for (size_t i = 0; i < producer.size(); ++i)
            producer[i] += upNorms[i];
        ConsumerView cv{d, h.dim, hidden, {}, 0, producer};
        cv.gram = gramOf(stats, p + "mlp.down", kind, cv.tokens);
        ls.ffnChannels = channelScores(kind, cv, params);
        // Attention: attn.o's columns, one group per KV head with its query heads.
        const Tensor &o = tensorOf(model, p + "attn.o");
        const std::vector<float> ov = o.toFloat();
        const int64_t qDim = o.shape[1];
        const int64_t perGroup = h.nHeads / h.nKvHeads;
        std::vector<std::vector<int64_t>> groups(size_t(h.nKvHeads));
        for (int64_t k = 0; k < h.nKvHeads; ++k)
            for (int64_t c = k * perGroup * h.headDim; c < (k + 1) * perGroup * h.headDim; ++c)
                groups[size_t(k)].push_back(c);
        ConsumerView ocv{ov, h.dim, qDim, {}, 0, {}};
        ocv.gram = gramOf(stats, p + "attn.o", kind, ocv.tokens);
        ls.kvGroups = groupScores(kind, ocv, groups, params);
        scores.layers.push_back(std::move(ls));
    }
    return scores;
}

void scoreBlocks(const Model &model, const std::string &calibPath, const BlockPassParams &params,
                 StructureScores &scores, const JobContext &ctx)
{
    const int64_t nLayers = model.hparams.nLayers;
    std::set<std::string> sites;
    for (const int64_t l : params.absorbLayers) {
        if (l < 1 || l >= nLayers)
            throwIn(model.path, "block " + std::to_string(l)
                                    + " has no earlier block whose down projection could absorb "
                                      "it (blocks 1 .. "
                                    + std::to_string(nLayers - 1) + ")");
        sites.insert(layerPrefix(l - 1) + "mlp.act");
    }
    auto recorder = std::make_shared<ActivationRecorder>(sites);
    EngineOptions options;
    options.threads = params.threads;
    options.observer = recorder;
    const auto engine = Engine::create(model, options);
    const KldWindows windows(model, calibPath, params.windows, 0, *engine, ctx);
    const int64_t dim = engine->hiddenSize();
    scores.blocks.assign(size_t(nLayers), {});
    for (int64_t l = 0; l < nLayers; ++l)
        scores.blocks[size_t(l)].layer = l;
    scores.absorb.clear();
    for (const int64_t l : params.absorbLayers) {
        AbsorbMoments m;
        m.layer = l;
        m.dim = dim;
        m.hidden = tensorOf(model, layerPrefix(l - 1) + "mlp.down").shape[1];
        for (AbsorbMoments::Rows *rows : {&m.fit, &m.heldOut}) {
            rows->gram.assign(size_t(m.hidden * m.hidden), 0.0);
            rows->cross.assign(size_t(m.hidden * m.dim), 0.0);
        }
        scores.absorb[l] = std::move(m);
    }
    std::vector<double> angleSum(size_t(nLayers), 0.0), klSum(size_t(nLayers), 0.0);
    int64_t tokens = 0;
    double baseKl = 0;
    std::vector<std::vector<float>> streams(size_t(nLayers + 1));
    std::vector<float> logits;
    for (size_t w = 0; w < windows.count(); ++w) {
        ctx.checkCancelled();
        ctx.report(double(w) / double(windows.count()), "block scores");
        const std::vector<int32_t> &toks = windows.tokens(w);
        const int64_t n = int64_t(toks.size());
        engine->reset(n);
        engine->embedWindow(toks, streams[0]);
        recorder->recording = true;
        for (int64_t l = 0; l < nLayers; ++l) {
            streams[size_t(l + 1)] = streams[size_t(l)];
            engine->runLayers(l, l + 1, streams[size_t(l + 1)], ctx);
        }
        recorder->recording = false;
        for (int64_t l = 0; l < nLayers; ++l) {
            const float *in = streams[size_t(l)].data(), *out = streams[size_t(l + 1)].data();
            for (int64_t t = 0; t < n; ++t) {
                double dot = 0, a = 0, b = 0;
                for (int64_t j = 0; j < dim; ++j) {
                    const double x = in[t * dim + j], y = out[t * dim + j];
                    dot += x * y;
                    a += x * x;
                    b += y * y;
                }
                const double cosine = a > 0 && b > 0 ? dot / std::sqrt(a * b) : 1.0;
                angleSum[size_t(l)] += std::acos(std::clamp(cosine, -1.0, 1.0)) / std::numbers::pi;
            }
            const auto absorb = scores.absorb.find(l);
            if (absorb != scores.absorb.end())
                accumulateAbsorb(absorb->second,
                                 w % 2 == 0 ? absorb->second.fit : absorb->second.heldOut,
                                 recorder->rows.at(l - 1), in, out, n);
        }
        tokens += n;
        engine->windowLogits(streams[size_t(nLayers)], logits);
        baseKl += windows.klOfWindow(w, logits);
        for (int64_t l = 0; l < nLayers; ++l) {
            std::vector<float> skipped = streams[size_t(l)];
            engine->runLayers(l + 1, nLayers, skipped, ctx);
            engine->windowLogits(skipped, logits);
            klSum[size_t(l)] += windows.klOfWindow(w, logits);
        }
    }
    const double positions = double(std::max<int64_t>(windows.positions(), 1));
    for (int64_t l = 0; l < nLayers; ++l) {
        scores.blocks[size_t(l)].angularDistance = angleSum[size_t(l)] / double(std::max<int64_t>(tokens, 1));
        scores.blocks[size_t(l)].deltaKld = klSum[size_t(l)] / positions;
    }
    scores.baseKld = baseKl / positions;
    scores.windows = int64_t(windows.count());
    scores.positions = windows.positions();
    ctx.report(1.0, "block scores");
}

std::vector<int64_t> blockRanking(const StructureScores &scores, bool byKld)
{
    std::vector<int64_t> order(scores.blocks.size());
    std::iota(order.begin(), order.end(), 0);
    const auto value = [&](int64_t l) {
        const BlockScore &b = scores.blocks[size_t(l)];
        return byKld ? b.deltaKld : b.angularDistance;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return value(a) < value(b); });
    for (auto &l : order)
        l = scores.blocks[size_t(l)].layer;
    return order;
}

} // namespace cwb
