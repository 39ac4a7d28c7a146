// SPDX-License-Identifier: MIT
#include "compare/tensor_compare.h"

#include <cmath>
#include <map>

namespace cwb {

namespace {


TensorSideErrors sideErrors(const CompareSide &side, const Tensor *t, bool isOriginal)
{
    TensorSideErrors e;
    if (!t)
        return e;
    e.present = true;
    e.format = t->typeLabel();
    e.bytes = t->byteSize;
    if (const CompressedTensor *c = side.compressed(*t)) {
        e.format = c->report.format;
        e.bytes = c->report.storedBytes;
        e.relativeError = c->report.relativeError;
        if (c->report.outputError >= 0)
            e.outputError = c->report.outputError;
        e.basis = "archive";
    } else if (side.isCompressed() || isOriginal) {
        e.relativeError = 0.0;
        e.outputError = 0.0;
        e.basis = side.isCompressed() ? "kept" : "original";
    }
    return e;
}

std::optional<double> difference(const std::optional<double> &a, const std::optional<double> &b)
{
    if (a && b)
        return *b - *a;
    return std::nullopt;
}

// Q and K rows are permuted differently in the two RoPE layouts: their values cannot be
// compared entry by entry.
bool ropePermuted(const CompareSide &a, const CompareSide &b, const std::string &canonical)
{
    if (a.model->rope == b.model->rope || a.model->rope == RopeLayout::None
        || b.model->rope == RopeLayout::None)
        return false;
    return canonical.find(".attn.q") != std::string::npos
           || canonical.find(".attn.k") != std::string::npos;
}

bool decodes(const CompareSide &side, const Tensor &t)
{
    return side.compressed(t) || t.decodable();
}

TensorDifference measure(const std::vector<float> &va, const std::vector<float> &vb, int bins,
                         const JobContext &ctx)
{
    std::vector<float> d(va.size());
    double normA = 0, normD = 0, maxAbs = 0;
    for (size_t i = 0; i < va.size(); ++i) {
        d[i] = vb[i] - va[i];
        normA += double(va[i]) * double(va[i]);
        normD += double(d[i]) * double(d[i]);
        maxAbs = std::max(maxAbs, std::fabs(double(d[i])));
    }
    TensorDifference r;
    r.relative = normA > 0 ? std::sqrt(normD / normA) : (normD > 0 ? INFINITY : 0.0);
    r.maxAbs = maxAbs;
    HistogramParams hp;
    hp.bins = bins;
    hp.range = HistogramRange::Symmetric;
    r.histogram = computeHistogram(d, hp, ctx);
    return r;
}

void addSideNotes(const CompareSide &a, const CompareSide &b, bool aIsOriginal, bool bIsOriginal,
                  bool measured, std::vector<std::string> &notes)
{
    if (aIsOriginal)
        notes.push_back("A is the original B was compressed from: its errors are 0");
    if (bIsOriginal)
        notes.push_back("B is the original A was compressed from: its errors are 0");
    if (a.isCompressed() && b.isCompressed()
        && a.compression->sourceHash != b.compression->sourceHash)
        notes.push_back("A and B were compressed from different models: each error is against "
                        "its own original");
    const std::string hint = measured ? "" : " (--weights measures B - A)";
    for (const auto *side : {&a, &b})
        if (!side->isCompressed() && !(side == &a ? aIsOriginal : bIsOriginal))
            notes.push_back(std::string(side == &a ? "A" : "B") + " (" + side->label
                            + ") is a model, not an archive or the other's original: its "
                              "per-tensor errors are unknown"
                            + hint);
}

} // namespace

std::vector<TensorComparison> compareTensors(const CompareSide &a, const CompareSide &b,
                                             const TensorCompareParams &params,
                                             std::vector<std::string> &notes,
                                             const JobContext &ctx)
{
    const bool aIsOriginal = isOriginalOf(a, b);
    const bool bIsOriginal = isOriginalOf(b, a);
    addSideNotes(a, b, aIsOriginal, bIsOriginal, params.weightDifferences, notes);

    std::map<std::string, const Tensor *> inB;
    for (const auto &t : b.model->tensors)
        inB.emplace(b.sourceKey(t), &t);
    // A's tensors in order, paired with B's; then B's unpaired ones.
    std::vector<std::pair<const Tensor *, const Tensor *>> pairs;
    std::map<std::string, bool> paired;
    for (const auto &t : a.model->tensors) {
        const auto it = inB.find(a.sourceKey(t));
        pairs.emplace_back(&t, it == inB.end() ? nullptr : it->second);
        paired[a.sourceKey(t)] = true;
    }
    for (const auto &t : b.model->tensors)
        if (!paired.count(b.sourceKey(t)))
            pairs.emplace_back(nullptr, &t);

    std::vector<TensorComparison> out;
    for (size_t i = 0; i < pairs.size(); ++i) {
        ctx.checkCancelled();
        const auto [ta, tb] = pairs[i];
        const Tensor &any = ta ? *ta : *tb;
        TensorComparison c;
        c.name = any.name;
        // In the source's numbering (a side whose structure step dropped blocks renumbers).
        c.canonical = any.canonical.empty() ? std::string()
                      : ta                  ? a.sourceKey(*ta)
                                            : b.sourceKey(*tb);
        c.shape = any.shape;
        c.a = sideErrors(a, ta, aIsOriginal);
        c.b = sideErrors(b, tb, bIsOriginal);
        c.deltaRelativeError = difference(c.a.relativeError, c.b.relativeError);
        c.deltaOutputError = difference(c.a.outputError, c.b.outputError);
        if (!ta || !tb)
            c.note = ta ? "only in A" : "only in B";
        else if (ta->shape != tb->shape)
            c.note = "shapes differ: " + ta->shapeString() + " and " + tb->shapeString();
        else if (params.weightDifferences && ropePermuted(a, b, c.canonical))
            c.note = "rows in different RoPE orders (" + std::string(ropeLayoutName(a.model->rope))
                     + ", " + std::string(ropeLayoutName(b.model->rope)) + "): not compared";
        else if (params.weightDifferences && !(decodes(a, *ta) && decodes(b, *tb)))
            c.note = "stored as " + (decodes(a, *ta) ? tb : ta)->typeLabel()
                     + ", which cannot be decoded: not compared";
        else if (params.weightDifferences)
            c.difference = measure(a.values(*ta), b.values(*tb), params.bins, ctx.cancelOnly());
        out.push_back(std::move(c));
        ctx.report(double(i + 1) / double(pairs.size()), any.name);
    }
    return out;
}

} // namespace cwb
