// SPDX-License-Identifier: MIT
#include "prune/pruned_model.h"

#include "model/canonical_name.h"
#include "util/error.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace cwb {
namespace {

// A float32 tensor held in memory, in the place (name, role) of `like`.
Tensor floatTensor(const Tensor &like, std::vector<int64_t> shape, std::vector<float> values)
{
    auto hold = std::make_shared<const std::vector<float>>(std::move(values));
    Tensor t;
    t.name = like.name;
    t.canonical = like.canonical;
    t.dtype = DType::F32;
    t.shape = std::move(shape);
    t.file = like.file + " (pruned, in memory)";
    t.byteSize = hold->size() * sizeof(float);
    t.data = std::span(reinterpret_cast<const std::byte *>(hold->data()), t.byteSize);
    t.keepAlive = hold;
    return t;
}

std::vector<float> keptRows(const std::vector<float> &w, int64_t cols,
                            std::span<const int64_t> rows)
{
    std::vector<float> out;
    out.reserve(rows.size() * size_t(cols));
    for (const int64_t r : rows)
        out.insert(out.end(), w.begin() + r * cols, w.begin() + (r + 1) * cols);
    return out;
}

std::vector<float> keptValues(const std::vector<float> &v, std::span<const int64_t> idx)
{
    std::vector<float> out;
    for (const int64_t i : idx)
        out.push_back(v[size_t(i)]);
    return out;
}

class Pruner {
public:
    Pruner(const Model &source, const ActivationStats &stats, const StructureScores &scores,
           const StructuredPlan &plan)
        : src_(source), stats_(stats), scores_(scores), plan_(plan)
    {
    }

    StructuredOutcome run();

private:
    Tensor *find(const std::string &canonical)
    {
        for (auto &t : out_.model.tensors)
            if (t.canonical == canonical)
                return &t;
        throwIn(src_.path, "structured pruning needs tensor '" + canonical + "'");
    }

    ConsumerView view(const std::vector<float> &w, int64_t out, int64_t in,
                      const std::string &weight, bool needGram) const
    {
        ConsumerView cv{w, out, in, {}, 0, {}};
        const LinearActivationStats *s = stats_.find(weight);
        if (s && s->hessian) {
            cv.gram = s->hessian->sum;
            cv.tokens = s->hessian->tokens;
        } else if (needGram) {
            throwIn(src_.path, "repairing '" + weight
                                   + "' needs its calibration Hessian (activation statistics "
                                     "with Hessians)");
        }
        return cv;
    }

    // Removal (and repair) of consumer columns; returns the new consumer [out x keep].
    std::vector<float> refit(int64_t layer, const std::string &tensor, const char *what,
                             const ConsumerView &cv, std::span<const int64_t> keep,
                             int64_t before, int64_t after)
    {
        std::vector<float> plain = keptColumns(cv, keep);
        PruneLayerReport r{layer, tensor, what, before, after, 0, -1};
        if (!cv.gram.empty())
            r.errorRemoved = relativeOutputError(cv, keep, plain);
        if (plan_.repair) {
            plain = repairKeptColumns(cv, keep, plan_.repairParams);
            r.errorRepaired = relativeOutputError(cv, keep, plain);
        }
        out_.layers.push_back(r);
        return plain;
    }

    void absorbDroppedNext(int64_t l, std::vector<float> &down, int64_t dim, int64_t hidden);
    void pruneFfn(int64_t l);
    void pruneHeads(int64_t l);

    const Model &src_;
    const ActivationStats &stats_;
    const StructureScores &scores_;
    const StructuredPlan &plan_;
    StructuredOutcome out_;
    std::set<int64_t> dropped_;
};

void Pruner::absorbDroppedNext(int64_t l, std::vector<float> &down, int64_t dim, int64_t hidden)
{
    const int64_t next = l + 1;
    if (!plan_.repair || !dropped_.contains(next) || dropped_.contains(l))
        return;
    const auto m = scores_.absorb.find(next);
    if (m == scores_.absorb.end())
        throwIn(src_.path, "repairing dropped block " + std::to_string(next)
                               + " needs its absorb moments (scoreBlocks with absorbLayers)");
    const AbsorbMoments &a = m->second;
    if (a.hidden != hidden || a.dim != dim || a.fit.tokens == 0)
        throwIn(src_.path, "the absorb moments of block " + std::to_string(next)
                               + " do not match layers." + std::to_string(l) + ".mlp.down");
    const ConsumerView fit{down, dim, hidden, a.fit.gram, a.fit.tokens, {}};
    const ConsumerView held{down, dim, hidden, a.heldOut.gram, a.heldOut.tokens, {}};
    const bool validate = a.heldOut.tokens > 0 && a.heldOut.residualSumSq > 0;
    // A dropped block's update has `hidden` unknowns per output to fit: the ridge is chosen on
    // the held-out windows (from the plan's upwards), and a refit that does not carry the update
    // there better than nothing is not used.
    double best = 1.0;
    std::vector<float> chosen;
    for (double ridge = plan_.repairParams.ridge; ridge <= 1e3; ridge *= 10) {
        RepairParams p = plan_.repairParams;
        p.ridge = ridge;
        double inSample = 0;
        std::vector<float> refitted =
            absorbResidual(fit, a.fit.cross, a.fit.residualSumSq, p, inSample);
        const double ratio =
            validate ? residualErrorAfter(held, refitted, a.heldOut.cross, a.heldOut.residualSumSq)
                           / a.heldOut.residualSumSq
                     : inSample / std::max(a.fit.residualSumSq, 1e-300);
        if (ratio < best) {
            best = ratio;
            chosen = std::move(refitted);
        }
        if (!validate || ridge <= 0)
            break;
    }
    const bool helps = !chosen.empty();
    if (helps)
        down = std::move(chosen);
    out_.layers.push_back({next, layerPrefix(l) + "mlp.down",
                           helps ? "block" : "block (no refit helps)", 1, 0, 1.0, best});
}

void Pruner::pruneFfn(int64_t l)
{
    const std::string p = layerPrefix(l);
    Tensor &down = *find(p + "mlp.down");
    const int64_t dim = down.shape[0], hidden = down.shape[1];
    std::vector<float> d = down.toFloat();
    const bool absorbs = plan_.repair && dropped_.contains(l + 1) && !dropped_.contains(l);
    absorbDroppedNext(l, d, dim, hidden);
    const int64_t keepCount = plan_.ffnKeep.empty() ? -1 : plan_.ffnKeep[size_t(l)];
    if (keepCount < 0 || keepCount >= hidden) {
        if (absorbs)
            down = floatTensor(down, {dim, hidden}, std::move(d));
        return;
    }
    const std::vector<int64_t> keep =
        keepHighest(scores_.layers[size_t(l)].ffnChannels, keepCount);
    Tensor &gate = *find(p + "mlp.gate");
    Tensor &up = *find(p + "mlp.up");
    gate = floatTensor(gate, {keepCount, dim}, keptRows(gate.toFloat(), dim, keep));
    up = floatTensor(up, {keepCount, dim}, keptRows(up.toFloat(), dim, keep));
    const ConsumerView cv = view(d, dim, hidden, p + "mlp.down", plan_.repair);
    Tensor &downAgain = *find(p + "mlp.down");
    downAgain = floatTensor(downAgain, {dim, keepCount},
                            refit(l, p + "mlp.down", "ffn channels", cv, keep, hidden, keepCount));
}

void Pruner::pruneHeads(int64_t l)
{
    const HyperParams &h = src_.hparams;
    if (plan_.kvGroupsKeep < 0 || plan_.kvGroupsKeep >= h.nKvHeads)
        return;
    const std::string p = layerPrefix(l);
    const int64_t perGroup = h.nHeads / h.nKvHeads, hd = h.headDim;
    const std::vector<int64_t> groups =
        keepHighest(scores_.layers[size_t(l)].kvGroups, plan_.kvGroupsKeep);
    std::vector<int64_t> qRows, kvRows;
    for (const int64_t g : groups) {
        for (int64_t r = g * perGroup * hd; r < (g + 1) * perGroup * hd; ++r)
            qRows.push_back(r);
        for (int64_t r = g * hd; r < (g + 1) * hd; ++r)
            kvRows.push_back(r);
    }
    const auto slice = [&](const std::string &role, const std::vector<int64_t> &rows) {
        Tensor &t = *find(p + role);
        t = floatTensor(t, {int64_t(rows.size()), h.dim}, keptRows(t.toFloat(), h.dim, rows));
        for (auto &b : out_.model.tensors)
            if (b.canonical == p + role + ".bias")
                b = floatTensor(b, {int64_t(rows.size())}, keptValues(b.toFloat(), rows));
    };
    slice("attn.q", qRows);
    slice("attn.k", kvRows);
    slice("attn.v", kvRows);
    Tensor &o = *find(p + "attn.o");
    const std::vector<float> ov = o.toFloat();
    const ConsumerView cv = view(ov, h.dim, h.nHeads * hd, p + "attn.o", plan_.repair);
    std::vector<float> refitted = refit(l, p + "attn.o", "kv groups", cv, qRows, h.nKvHeads,
                                        plan_.kvGroupsKeep);
    Tensor &oAgain = *find(p + "attn.o");
    oAgain = floatTensor(oAgain, {h.dim, int64_t(qRows.size())}, std::move(refitted));
}

StructuredOutcome Pruner::run()
{
    const std::vector<std::string> refusals = planRefusals(src_, plan_, PruneTarget::Engine);
    if (!refusals.empty())
        throwIn(src_.path, "structured pruning plan refused: " + refusals.front());
    if (int64_t(scores_.layers.size()) != src_.hparams.nLayers)
        throwIn(src_.path, "structure scores cover " + std::to_string(scores_.layers.size())
                               + " layers, the model has "
                               + std::to_string(src_.hparams.nLayers));
    dropped_.insert(plan_.dropBlocks.begin(), plan_.dropBlocks.end());
    const ModelTotals before = src_.totals();
    out_.parametersBefore = before.parameters;
    out_.bytesBefore = before.bytes;
    out_.model = src_;
    for (int64_t l = 0; l < src_.hparams.nLayers; ++l) {
        if (dropped_.contains(l))
            continue;
        pruneFfn(l);
        pruneHeads(l);
    }
    dropBlocksAndRenumber(out_.model, plan_.dropBlocks);
    HyperParams &h = out_.model.hparams;
    if (plan_.kvGroupsKeep > 0 && plan_.kvGroupsKeep < h.nKvHeads) {
        h.nHeads = h.nHeads / h.nKvHeads * plan_.kvGroupsKeep;
        h.nKvHeads = plan_.kvGroupsKeep;
    }
    const std::vector<int64_t> widths = ffnWidths(out_.model);
    h.hiddenDim = widths.empty() ? h.hiddenDim : *std::max_element(widths.begin(), widths.end());
    const ModelTotals after = out_.model.totals();
    out_.parametersAfter = after.parameters;
    out_.bytesAfter = after.bytes;
    return std::move(out_);
}

} // namespace

void dropBlocksAndRenumber(Model &model, const std::vector<int64_t> &droppedList)
{
    const std::set<int64_t> dropped(droppedList.begin(), droppedList.end());
    if (dropped.empty())
        return;
    std::vector<Tensor> kept;
    for (auto &t : model.tensors) {
        if (canonicalLayerIndex(t.canonical) >= 0) {
            const std::string after = nameAfterDrops(t.canonical, droppedList);
            if (after.empty())
                continue; // its block is dropped
            if (after != t.canonical) {
                t.canonical = after;
                t.name = t.canonical; // the source's spelling names the old index
            }
        }
        kept.push_back(std::move(t));
    }
    model.tensors = std::move(kept);
    model.hparams.nLayers -= int64_t(dropped.size());
}

StructuredOutcome applyStructuredPlan(const Model &model, const ActivationStats &stats,
                                 const StructureScores &scores, const StructuredPlan &plan)
{
    return Pruner(model, stats, scores, plan).run();
}

} // namespace cwb
