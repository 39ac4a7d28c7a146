// SPDX-License-Identifier: MIT
#include "pipeline/pipeline.h"

#include "methods/registry.h"
#include "methods/stored_types.h"
#include "model/model_fingerprint.h"
#include "pipeline/awq_fold.h"
#include "pipeline/tensor_stages.h"
#include "recipe/plan_report.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <set>

namespace cwb {

namespace {

using Clock = std::chrono::steady_clock;

bool slotNeedsCalibration(const SlotPlan &s)
{
    const MethodSpec *spec = s.used() ? findMethod(s.method) : nullptr;
    return spec && spec->needsCalibrationWith(s.reader());
}

bool slotNeedsHessian(const SlotPlan &s)
{
    const MethodSpec *spec = s.used() ? findMethod(s.method) : nullptr;
    return spec && spec->needsHessian;
}

} // namespace

CompressedTensor compressTensor(const Model &model, const TensorPlan &tp,
                                const ActivationStats *stats, bool wantOutputError,
                                const JobContext &job)
{
    const auto start = Clock::now();
    const Tensor &t = model.tensors[tp.index];
    CompressedTensor ct;
    ct.index = tp.index;
    ct.name = tp.name;
    ct.canonical = tp.canonical;
    ct.shape = tp.shape;
    ct.plan = tp.summary();
    ct.report.originalBytes = t.byteSize;

    stages::Matrix m = stages::loadMatrix(model, t);
    const std::vector<float> &original = m.values;
    const int64_t rows = m.rows, cols = m.cols;
    ct.rows = rows;
    ct.cols = cols;
    const stages::InputStats in = stages::inputStatsOf(stats, tp.canonical);
    const SlotPlan &pruneSlot = tp.slot(MethodSlot::Prune);
    const SlotPlan &rankSlot = tp.slot(MethodSlot::LowRank);
    const SlotPlan &quantSlot = tp.slot(MethodSlot::Quantize);

    std::vector<float> w = original;
    std::optional<stages::PruneOutcome> pruned;
    if (pruneSlot.used()) {
        job.checkCancelled();
        pruned = stages::prune(pruneSlot, w, rows, cols, in, job);
        w = pruned->weights;
        ct.report.sparsity = pruned->sparsity;
    }
    if (rankSlot.used()) {
        job.checkCancelled();
        stages::LowRankOutcome lr = stages::lowRank(rankSlot, w, rows, cols, in, job);
        ct.report.rank = lr.rank;
        const DType factorKeep = kFactorKeepType; // what "keep" stores for factors
        job.checkCancelled();
        const stages::InputStats inA = stages::factorInputStats(in, lr.b, lr.rank, cols);
        ct.factorB = stages::quantize(quantSlot, lr.b, lr.rank, cols, in, factorKeep, nullptr, job,
                                      ct.report.notes);
        ct.factorA = stages::quantize(quantSlot, lr.a, rows, lr.rank, inA, factorKeep, nullptr,
                                      job, ct.report.notes);
        if (pruned)
            ct.report.notes.push_back("the low-rank factors of the pruned matrix are dense");
        ct.report.sparsity = 0;
    } else {
        job.checkCancelled();
        // Reached only when a stage changed the values: "keep" writes the tensor's own type
        // again where it can (methods/stored_types.h).
        const DType keep = keepStorageType(t.dtype, t.rowLength());
        ct.weight = stages::quantize(quantSlot, w, rows, cols, in, keep,
                                     pruned ? pruned->keep.data() : nullptr, job,
                                     ct.report.notes);
    }
    // The method when its name is not the storage's (gptq and awq store rtn grids).
    const MethodSpec &quantSpec = requireMethod(quantSlot.method);
    const std::string via = quantSpec.reportsMethodName ? quantSlot.method + " " : "";
    ct.report.format = ct.weight ? via + ct.weight->describe()
                                 : "rank " + std::to_string(ct.report.rank) + " (" + via
                                       + ct.factorA->describe() + ")";

    // The mask is stored when the stored form does not decode the pruned weights as 0: always
    // for a method whose registry entry says so (so the estimate knows it in advance), and
    // whenever the data shows it (a safety net; the size test would flag the method).
    if (pruned && ct.weight) {
        const std::vector<float> result = ct.reconstruct();
        bool leaks = !quantSpec.exactZeros(quantSlot.reader(), ct.weight->type);
        for (size_t i = 0; i < result.size() && !leaks; ++i)
            leaks = !((pruned->keep[i / 8] >> (i % 8)) & 1u) && result[i] != 0.0f;
        if (leaks) {
            PruneMask mask;
            mask.bitmap = pruned->keep;
            mask.nmIndices = pruned->nmIndices;
            mask.nmN = pruned->nmN;
            mask.nmM = pruned->nmM;
            mask.applyWhenDecoding = true;
            mask.storedBytes = pruned->maskBytes;
            ct.mask = std::move(mask);
            ct.report.format += "+mask";
            ct.report.notes.push_back(ct.weight->format()
                                      + " does not store exact zeros: the pruning mask is kept");
        }
    }
    stages::finishReport(ct, original, in, wantOutputError);
    ct.report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return ct;
}

// Hessian bytes of every distinct projection input: per layer the attention norm's output,
// the attention heads, the MLP norm's output and the MLP activation.
uint64_t calibrationHessianBytes(const Model &m)
{
    const auto sq = [](int64_t n) { return uint64_t(n) * uint64_t(n); };
    const HyperParams &h = m.hparams;
    return uint64_t(h.nLayers) * 8
           * (2 * sq(h.dim) + sq(h.nHeads * h.headDim) + sq(h.hiddenDim));
}

bool planNeedsCalibration(const Plan &plan)
{
    for (const TensorPlan &tp : plan.tensors)
        for (const SlotPlan &s : tp.stages)
            if (slotNeedsCalibration(s))
                return true;
    return false;
}

CompressedModel compressModel(const Model &model, const Plan &plan, const CompressParams &params,
                              const JobContext &job, const TensorDoneFn &onTensor)
{
    const auto start = Clock::now();
    requireValidPlan(plan);
    const bool needsCalibration = planNeedsCalibration(plan);
    if (needsCalibration && params.calibrationPath.empty() && !params.calibrationStats)
        throw Error(plan.recipeSource + ": the plan needs calibration text (--calib FILE)");

    std::vector<const TensorPlan *> work;
    uint64_t workParams = 0;
    bool needsHessian = false;
    for (const TensorPlan &tp : plan.tensors) {
        if (!tp.changed() || (!tp.tiedTo.empty() && !tp.countedInTotals))
            continue; // kept, or a tied copy that follows its twin
        if (tp.index >= model.tensors.size() || model.tensors[tp.index].name != tp.name)
            throw Error("the plan does not belong to this model: tensor " + tp.name
                        + " is not at index " + std::to_string(tp.index));
        work.push_back(&tp);
        workParams += uint64_t(tp.parameters());
        for (const SlotPlan &s : tp.stages)
            needsHessian = needsHessian || slotNeedsHessian(s);
    }

    CompressedModel out;
    out.sourcePath = model.path;
    out.sourceFormat = std::string(formatName(model.format));
    const ModelFingerprint fp = fingerprintModel(model);
    out.sourceFileSize = fp.fileSize;
    out.sourceHash = fp.hashHex();
    out.recipeJson = params.recipeJson;
    out.planJson = planJson(plan);

    std::optional<ActivationStats> collected;
    const ActivationStats *stats = nullptr;
    const double calibShare =
        params.calibrationPath.empty() || params.calibrationStats ? 0.0 : 0.2;
    if (params.calibrationStats && !work.empty()) {
        stats = params.calibrationStats;
        if (needsHessian && !stats->hasHessians)
            throw Error(plan.recipeSource + ": the calibration statistics given hold no Hessians, "
                                            "which the plan's methods need");
        out.calibrationSource = params.calibrationPath.empty() ? stats->coverage.source
                                                               : params.calibrationPath;
        out.calibrationTokens = stats->coverage.tokensEvaluated;
    } else if (!params.calibrationPath.empty() && !work.empty()) {
        ActivationParams ap = params.calibration;
        if (model.hparams.contextLength > 0)
            ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
        const bool reportFits =
            calibrationHessianBytes(model) <= params.reportHessianBudgetBytes;
        ap.collectHessians = needsHessian || (params.outputError && reportFits);
        collected = collectActivationStats(model, params.calibrationPath, ap,
                                           job.stage(0.0, calibShare, "calibration"));
        stats = &*collected;
        out.calibrationSource = params.calibrationPath;
        out.calibrationTokens = stats->coverage.tokensEvaluated;
    }
    job.checkCancelled();

    // AWQ groups whose scales fold into their norm run as one unit each (pipeline/awq_fold.h).
    std::vector<AwqFoldGroup> folds;
    if (stats)
        folds = findAwqFoldGroups(model, plan, *stats);
    std::set<size_t> foldedIndices;
    size_t total = 0;
    for (const AwqFoldGroup &g : folds) {
        for (const TensorPlan *tp : g.members)
            foldedIndices.insert(tp->index);
        total += g.members.size() + 1 + (g.normBias ? 1 : 0);
    }
    std::erase_if(work, [&](const TensorPlan *tp) { return foldedIndices.contains(tp->index); });
    total += work.size();

    // Units: the single tensors first, then the fold groups; each gives one or more tensors.
    std::vector<std::vector<CompressedTensor>> results(work.size() + folds.size());
    std::mutex mutex;
    size_t done = 0;
    uint64_t doneParams = 0;
    const auto finished = [&](size_t unit, std::vector<CompressedTensor> tensors) {
        const std::lock_guard lock(mutex);
        for (const CompressedTensor &ct : tensors) {
            ++done;
            if (ct.shape.size() >= 2)
                doneParams += uint64_t(ct.rows * ct.cols);
            job.report(calibShare
                           + (1.0 - calibShare) * std::min(1.0, double(doneParams) / double(workParams)),
                       "tensor " + std::to_string(done) + "/" + std::to_string(total) + ": "
                           + ct.canonical);
            if (onTensor)
                onTensor(ct, done, total);
        }
        results[unit] = std::move(tensors);
    };
    const auto runOne = [&](size_t unit) {
        // The methods see the cancel flag only: their own progress (per row block, from many
        // threads) is not the run's; the run reports once per finished tensor.
        const JobContext inner = job.cancelOnly();
        if (unit >= work.size()) {
            const AwqFoldGroup &g = folds[unit - work.size()];
            try {
                finished(unit, compressAwqFoldGroup(model, g, *stats, params.outputError, inner));
            } catch (const Cancelled &) {
                throw;
            } catch (const Error &e) {
                throw Error("awq over " + g.site + ": " + e.what());
            }
            return;
        }
        const TensorPlan &tp = *work[unit];
        std::vector<CompressedTensor> one(1);
        try {
            one[0] = compressTensor(model, tp, stats, params.outputError, inner);
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            throw Error("tensor " + tp.displayName() + " (" + tp.summary() + "): " + e.what());
        }
        finished(unit, std::move(one));
    };
    const auto runAll = [&] {
        tbb::parallel_for(size_t(0), results.size(), [&](size_t i) {
            job.checkCancelled();
            runOne(i);
        });
    };
    if (params.threads > 0) {
        tbb::task_arena arena(params.threads);
        arena.execute(runAll);
    } else {
        runAll();
    }
    job.checkCancelled();

    CompressionTotals &tot = out.totals;
    tot.originalBytes = plan.totals.originalBytes;
    tot.parameters = uint64_t(plan.totals.parameters);
    uint64_t replacedOriginal = 0, replacedStored = 0;
    for (auto &unit : results)
        for (CompressedTensor &ct : unit)
            out.tensors.push_back(std::move(ct));
    std::sort(out.tensors.begin(), out.tensors.end(),
              [](const CompressedTensor &a, const CompressedTensor &b) { return a.index < b.index; });
    for (const CompressedTensor &ct : out.tensors) {
        const auto tp = std::find_if(plan.tensors.begin(), plan.tensors.end(),
                                     [&](const TensorPlan &p) { return p.index == ct.index; });
        if (tp != plan.tensors.end() && tp->countedInTotals) {
            // A tied copy planned apart from its twin is stored on its own now, but its original
            // bytes were never in the total (the plan counts a tied copy once, as its twin).
            if (tp->tiedTo.empty())
                replacedOriginal += ct.report.originalBytes;
            replacedStored += ct.report.storedBytes;
        }
    }
    tot.tensors = int64_t(out.tensors.size());
    tot.compressedBytes = tot.originalBytes - replacedOriginal + replacedStored;
    tot.bitsPerWeight =
        tot.parameters > 0 ? double(tot.compressedBytes) * 8.0 / double(tot.parameters) : 0.0;
    tot.compressionRatio =
        tot.compressedBytes > 0 ? double(tot.originalBytes) / double(tot.compressedBytes) : 0.0;
    tot.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return out;
}

} // namespace cwb
