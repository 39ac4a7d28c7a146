// SPDX-License-Identifier: MIT
#include "compress/pipeline.h"

#include "compress/tensor_stages.h"
#include "project/model_fingerprint.h"
#include "recipe/method_schema.h"
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

namespace cwb {

namespace {

using Clock = std::chrono::steady_clock;

bool slotNeedsCalibration(const SlotPlan &s)
{
    const MethodSpec *spec = findMethod(s.method);
    if (!s.used() || !spec)
        return false;
    return spec->needsCalibration
           || (!spec->calibrationParam.empty() && paramBool(s.value(spec->calibrationParam)));
}

bool slotNeedsHessian(const SlotPlan &s)
{
    return s.used()
           && (s.method == "gptq" || s.method == "awq" || s.method == "sparsegpt"
               || s.method == "asvd");
}

// Hessian bytes of every distinct projection input: per layer the attention norm's output,
// the attention heads, the MLP norm's output and the MLP activation.
uint64_t hessianBytes(const Model &m)
{
    const auto sq = [](int64_t n) { return uint64_t(n) * uint64_t(n); };
    const HyperParams &h = m.hparams;
    return uint64_t(h.nLayers) * 8
           * (2 * sq(h.dim) + sq(h.nHeads * h.headDim) + sq(h.hiddenDim));
}

// Hugging Face GPT-2 stores projections [in x out] (Conv1D); the engine reads [out x in].
bool storedTransposed(const Model &m, const Tensor &t)
{
    return m.family == ArchFamily::Gpt2
           && (m.format == ModelFormat::Safetensors || m.format == ModelFormat::HfDirectory)
           && t.shape.size() == 2 && t.canonical.starts_with("layers.");
}

std::vector<float> transposed(const std::vector<float> &v, int64_t rows, int64_t cols)
{
    std::vector<float> out(v.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out[size_t(c * rows + r)] = v[size_t(r * cols + c)];
    return out;
}

// What "keep" stores after a stage changed the values: the tensor's own type when it can be
// written again (plain floats, ggml types with a quantizer), else float32.
DType keepTypeOf(const Tensor &t)
{
    switch (t.dtype) {
    case DType::F32:
    case DType::F16:
    case DType::BF16: return t.dtype;
    default: break;
    }
    if (dtypeInfo(t.dtype).quantized && t.rowLength() % dtypeInfo(t.dtype).blockElems == 0)
        return t.dtype;
    return DType::F32;
}

stages::InputStats inputStatsOf(const ActivationStats *stats, const std::string &canonical)
{
    stages::InputStats in;
    if (!stats)
        return in;
    const LinearActivationStats *s = stats->find(canonical);
    if (!s)
        return in;
    in.tokens = s->tokens;
    in.meanSquare = s->meanSquare;
    in.meanAbs = s->meanAbs;
    if (s->hessian)
        in.hessian = std::shared_ptr<const std::vector<double>>(s->hessian, &s->hessian->sum);
    return in;
}

double relativeError(const std::vector<float> &w, const std::vector<float> &wq)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        const double d = double(w[i]) - double(wq[i]);
        num += d * d;
        den += double(w[i]) * double(w[i]);
    }
    return den > 0 ? std::sqrt(num / den) : (num > 0 ? 1.0 : 0.0);
}

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

    std::vector<float> original = t.toFloat();
    int64_t cols = t.rowLength(), rows = cols > 0 ? int64_t(original.size()) / cols : 0;
    if (storedTransposed(model, t)) {
        original = transposed(original, rows, cols);
        std::swap(rows, cols);
    }
    ct.rows = rows;
    ct.cols = cols;
    const stages::InputStats in = inputStatsOf(stats, tp.canonical);
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
    const bool valuesChanged = pruned.has_value();
    if (rankSlot.used()) {
        job.checkCancelled();
        stages::LowRankOutcome lr = stages::lowRank(rankSlot, w, rows, cols, in, job);
        ct.report.rank = lr.rank;
        // Factors under "keep" are stored as F16 (compress/low_rank.h's default).
        const DType factorKeep = DType::F16;
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
        const DType keep = quantSlot.method == "keep" && !valuesChanged && !storedTransposed(model, t)
                               && (t.dtype == DType::F32 || t.dtype == DType::F16
                                   || t.dtype == DType::BF16)
                               ? t.dtype
                               : keepTypeOf(t);
        ct.weight = stages::quantize(quantSlot, w, rows, cols, in, keep,
                                     pruned ? pruned->keep.data() : nullptr, job,
                                     ct.report.notes);
    }
    // The method when its name is not the storage's (gptq and awq store rtn grids).
    const std::string via =
        quantSlot.method == "gptq" || quantSlot.method == "awq" ? quantSlot.method + " " : "";
    ct.report.format = ct.weight ? via + ct.weight->describe()
                                 : "rank " + std::to_string(ct.report.rank) + " (" + via
                                       + ct.factorA->describe() + ")";

    // The mask is stored only when the stored form does not decode the pruned weights as 0.
    std::vector<float> result = ct.reconstruct();
    if (pruned && ct.weight) {
        bool leaks = false;
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
            result = ct.reconstruct();
        }
    }
    ct.report.relativeError = relativeError(original, result);
    if (wantOutputError && in.hessian && tp.shape.size() >= 2)
        ct.report.outputError = stages::outputError(original, result, rows, cols, *in.hessian);
    ct.report.storedBytes = ct.storedBytes();
    ct.report.bitsPerWeight = double(ct.report.storedBytes) * 8.0 / double(rows * cols);
    ct.report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return ct;
}

} // namespace

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
    if (needsCalibration && params.calibrationPath.empty())
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

    std::optional<ActivationStats> stats;
    const double calibShare = params.calibrationPath.empty() ? 0.0 : 0.2;
    if (!params.calibrationPath.empty() && !work.empty()) {
        ActivationParams ap = params.calibration;
        if (model.hparams.contextLength > 0)
            ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
        ap.collectHessians =
            needsHessian
            || (params.outputError && hessianBytes(model) <= params.reportHessianBudgetBytes);
        JobContext calibJob;
        calibJob.cancelFlag = job.cancelFlag;
        calibJob.progress = [&](double f, const std::string &what) {
            job.report(calibShare * f, "calibration: " + what);
        };
        stats = collectActivationStats(model, params.calibrationPath, ap, calibJob);
        out.calibrationSource = params.calibrationPath;
        out.calibrationTokens = stats->coverage.tokensEvaluated;
    }
    job.checkCancelled();

    std::vector<std::optional<CompressedTensor>> results(work.size());
    std::mutex mutex;
    size_t done = 0;
    uint64_t doneParams = 0;
    const auto runOne = [&](size_t i) {
        const TensorPlan &tp = *work[i];
        CompressedTensor ct;
        // The methods see the cancel flag only: their own progress (per row block, from many
        // threads) is not the run's; the run reports once per finished tensor.
        JobContext inner;
        inner.cancelFlag = job.cancelFlag;
        try {
            ct = compressTensor(model, tp, stats ? &*stats : nullptr, params.outputError, inner);
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            throw Error("tensor " + tp.displayName() + " (" + tp.summary() + "): " + e.what());
        }
        const std::lock_guard lock(mutex);
        ++done;
        doneParams += uint64_t(tp.parameters());
        job.report(calibShare + (1.0 - calibShare) * double(doneParams) / double(workParams),
                   "tensor " + std::to_string(done) + "/" + std::to_string(work.size()) + ": "
                       + tp.canonical);
        if (onTensor)
            onTensor(ct, done, work.size());
        results[i] = std::move(ct);
    };
    const auto runAll = [&] {
        tbb::parallel_for(size_t(0), work.size(), [&](size_t i) {
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
    for (size_t i = 0; i < results.size(); ++i) {
        CompressedTensor &ct = *results[i];
        if (work[i]->countedInTotals) {
            replacedOriginal += ct.report.originalBytes;
            replacedStored += ct.report.storedBytes;
        }
        out.tensors.push_back(std::move(ct));
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
