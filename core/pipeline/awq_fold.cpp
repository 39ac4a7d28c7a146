// SPDX-License-Identifier: MIT
#include "pipeline/awq_fold.h"

#include "compress/awq.h"
#include "methods/registry.h"
#include "pipeline/tensor_stages.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace cwb {

namespace {

// The slot's method runs AWQ, whose scales can fold into a norm (methods/awq_method.cpp).
bool foldsIntoNorm(const SlotPlan &q)
{
    const MethodSpec *m = findMethod(q.method);
    return m && m->awqFold;
}

// One joint search needs one method with the same settings everywhere.
bool sameAwqParams(const SlotPlan &a, const SlotPlan &b)
{
    if (a.method != b.method || a.params.size() != b.params.size())
        return false;
    for (const ResolvedParam &p : a.params)
        if (!(b.value(p.name) == p.value))
            return false;
    return true;
}

const TensorPlan *planOf(const Plan &plan, const std::string &canonical)
{
    for (const TensorPlan &tp : plan.tensors)
        if (tp.canonical == canonical)
            return &tp;
    return nullptr;
}

// The norm vector divided by s: the same layer function, its output scaled down per channel.
CompressedTensor foldedVector(const Model &model, const TensorPlan &tp,
                              const std::vector<float> &s, const std::string &site)
{
    const Tensor &t = model.tensors[tp.index];
    std::vector<float> v = t.toFloat();
    if (v.size() != s.size())
        throw Error("tensor " + tp.canonical + " has " + std::to_string(v.size())
                    + " values, the AWQ scales " + std::to_string(s.size()));
    for (size_t i = 0; i < v.size(); ++i)
        v[i] /= s[i];
    CompressedTensor ct;
    ct.index = tp.index;
    ct.name = tp.name;
    ct.canonical = tp.canonical;
    ct.shape = tp.shape;
    ct.rows = 1;
    ct.cols = int64_t(v.size());
    ct.plan = "keep (AWQ scales of " + site + " folded in)";
    ct.weight = StoredMatrix::fromFloats(v, 1, ct.cols, DType::F32);
    ct.report.originalBytes = t.byteSize;
    ct.report.storedBytes = ct.storedBytes();
    ct.report.bitsPerWeight = double(ct.report.storedBytes) * 8.0 / double(ct.cols);
    ct.report.format = "F32";
    // The layer computes the same function; only the scale of its output moved to the next
    // projections, so there is no error to report against the original values.
    ct.report.relativeError = 0;
    ct.report.notes.push_back("divided by the AWQ scales the projections reading " + site
                              + " multiply back (exact up to float rounding)");
    return ct;
}

} // namespace

std::vector<AwqFoldGroup> findAwqFoldGroups(const Model &model, const Plan &plan,
                                            const ActivationStats &stats)
{
    (void)model;
    // Every projection input site and the weights that read it.
    std::map<std::string, std::vector<std::string>> readers;
    for (const LinearActivationStats &s : stats.linears)
        readers[s.input].push_back(s.weight);
    std::vector<AwqFoldGroup> groups;
    for (const auto &[site, weights] : readers) {
        if (!(site.ends_with(".attn_norm.out") || site.ends_with(".mlp_norm.out")))
            continue; // attn.o and mlp.down have no norm before them
        AwqFoldGroup g;
        g.site = site;
        bool ok = !weights.empty();
        for (const std::string &w : weights) {
            const TensorPlan *tp = planOf(plan, w);
            ok = ok && tp && foldsIntoNorm(tp->slot(MethodSlot::Quantize))
                 && !tp->slot(MethodSlot::Prune).used() && !tp->slot(MethodSlot::LowRank).used()
                 && (g.members.empty()
                     || sameAwqParams(g.members[0]->slot(MethodSlot::Quantize),
                                      tp->slot(MethodSlot::Quantize)));
            if (ok)
                g.members.push_back(tp);
        }
        const std::string norm = site.substr(0, site.size() - 4); // drop ".out"
        g.norm = planOf(plan, norm);
        g.normBias = planOf(plan, norm + ".bias");
        ok = ok && g.norm && !g.norm->changed() && (!g.normBias || !g.normBias->changed());
        if (ok) {
            std::sort(g.members.begin(), g.members.end(),
                      [](const TensorPlan *a, const TensorPlan *b) { return a->index < b->index; });
            groups.push_back(std::move(g));
        }
    }
    return groups;
}

std::vector<CompressedTensor> compressAwqFoldGroup(const Model &model, const AwqFoldGroup &group,
                                                   const ActivationStats &stats,
                                                   bool outputError, const JobContext &job)
{
    const auto start = std::chrono::steady_clock::now();
    const stages::InputStats in = stages::inputStatsOf(&stats, group.members.front()->canonical);
    if (!in.hessian || in.meanAbs.empty())
        throw Error("awq needs the calibration statistics of " + group.site);
    const SlotPlan &slot = group.members.front()->slot(MethodSlot::Quantize);
    const AwqParams p = requireMethod(slot.method).awqFold(slot.reader());

    // The members stacked row-wise: one search over their summed output error.
    std::vector<stages::Matrix> mats;
    int64_t rows = 0;
    for (const TensorPlan *tp : group.members) {
        mats.push_back(stages::loadMatrix(model, model.tensors[tp->index]));
        if (mats.back().cols != mats.front().cols)
            throw Error("the projections reading " + group.site + " differ in width");
        rows += mats.back().rows;
    }
    const int64_t cols = mats.front().cols;
    std::vector<float> stacked;
    stacked.reserve(size_t(rows * cols));
    for (const auto &m : mats)
        stacked.insert(stacked.end(), m.values.begin(), m.values.end());
    const AwqResult joint =
        awqQuantize(stacked.data(), rows, cols, in.meanAbs, in.hessian->data(), in.tokens, p, job);
    stacked.clear();
    stacked.shrink_to_fit();

    std::string names;
    for (const TensorPlan *tp : group.members)
        names += (names.empty() ? "" : ", ") + tp->canonical.substr(tp->canonical.rfind('.') + 1);
    const std::string plain = p.ggml ? std::string(dtypeName(*p.ggml)) : std::string("rtn");
    char note[320];
    std::snprintf(note, sizeof note,
                  "%s alpha %.3g chosen jointly for %s: output error %.4g (plain %s %.4g); "
                  "scales folded into %s",
                  slot.method.c_str(), joint.alpha, names.c_str(), joint.outputError,
                  plain.c_str(), joint.plainRtnError, group.norm->canonical.c_str());

    std::vector<CompressedTensor> out;
    const std::vector<float> &s = joint.inputScales;
    for (size_t i = 0; i < group.members.size(); ++i) {
        job.checkCancelled();
        const TensorPlan &tp = *group.members[i];
        const stages::Matrix &m = mats[i];
        std::vector<float> ws(m.values.size());
        awqScaleWeights(m.values.data(), m.rows, cols, s, ws.data());
        CompressedTensor ct;
        ct.index = tp.index;
        ct.name = tp.name;
        ct.canonical = tp.canonical;
        ct.shape = tp.shape;
        ct.rows = m.rows;
        ct.cols = cols;
        ct.plan = tp.summary();
        ct.weight = awqGrid(ws.data(), m.rows, cols, s, in.hessian->data(), in.tokens, p, job);
        ct.foldedScales = s;
        ct.report.originalBytes = model.tensors[tp.index].byteSize;
        ct.report.format = "awq " + ct.weight->describe() + ", scales in the norm";
        ct.report.notes.emplace_back(note);
        stages::finishReport(ct, m.values, in, outputError);
        ct.report.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out.push_back(std::move(ct));
    }
    out.push_back(foldedVector(model, *group.norm, s, group.site));
    if (group.normBias)
        out.push_back(foldedVector(model, *group.normBias, s, group.site));
    return out;
}

} // namespace cwb
