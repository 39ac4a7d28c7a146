// SPDX-License-Identifier: MIT
#include "pipeline/pipeline.h"

#include "pipeline/structure_step.h"

#include "analysis/layerwise_activations.h"
#include "eval/scaled_input_linear.h"
#include "host/memory_status.h"
#include "methods/registry.h"
#include "methods/stored_types.h"
#include "model/canonical_name.h"
#include "model/model_fingerprint.h"
#include "pipeline/awq_fold.h"
#include "pipeline/tensor_stages.h"
#include "recipe/plan_report.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <condition_variable>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
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

bool slotNeedsOriginalCross(const SlotPlan &s)
{
    const MethodSpec *spec = s.used() ? findMethod(s.method) : nullptr;
    return spec && spec->needsOriginalCross;
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

    std::optional<stages::PruneOutcome> pruned;
    if (pruneSlot.used()) {
        job.checkCancelled();
        pruned = stages::prune(pruneSlot, original, rows, cols, in, job);
        ct.report.sparsity = pruned->sparsity;
    }
    // The values the next stages see; no copy (a 7B embedding is 0.5 GB of floats).
    const std::vector<float> &w = pruned ? pruned->weights : original;
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
        // tp.dtype, not t.dtype: a tensor the structure step rewrote is float in memory but is
        // stored again in its source's type (pipeline/structure_step.h).
        const DType keep = keepStorageType(tp.dtype, t.rowLength());
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
        bool leaks = !quantSpec.exactZeros(quantSlot.reader(), ct.weight->type);
        if (!leaks) // row blocks of the reconstruction, not a whole float copy
            (void)stages::visitReconstruction(ct, 0, [&](int64_t r0, int64_t n, const float *v) {
                for (int64_t k = 0; k < n * cols && !leaks; ++k) {
                    const uint64_t i = uint64_t(r0 * cols + k);
                    leaks = !((pruned->keep[i / 8] >> (i % 8)) & 1u) && v[k] != 0.0f;
                }
                return !leaks;
            });
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

namespace {

// What CompressParams::keepStoredData = false leaves of a tensor: its identity and report.
void dropStoredData(CompressedTensor &ct)
{
    ct.weight.reset();
    ct.factorA.reset();
    ct.factorB.reset();
    ct.mask.reset();
    ct.foldedScales = {};
}

// Working memory a unit is expected to need (CompressParams::memoryBudgetBytes).
uint64_t workingBytesOf(const TensorPlan &tp)
{
    const uint64_t weights = uint64_t(std::max<int64_t>(0, tp.parameters()));
    const uint64_t cols = tp.shape.empty() ? 0 : uint64_t(std::max<int64_t>(0, tp.shape.back()));
    bool hessian = false;
    for (const SlotPlan &s : tp.stages)
        hessian = hessian || slotNeedsHessian(s);
    return 8 * weights + (hessian ? 16 * cols * cols : 0);
}

// Admits units while their working memory fits the budget; one unit is always admitted, so a
// unit larger than the budget runs alone rather than never.
class MemoryGate {
public:
    explicit MemoryGate(uint64_t budget) : budget_(budget) {}

    void acquire(uint64_t bytes)
    {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [&] { return inUse_ == 0 || inUse_ + bytes <= budget_; });
        inUse_ += bytes;
    }
    void release(uint64_t bytes)
    {
        {
            const std::lock_guard lock(mutex_);
            inUse_ -= bytes;
        }
        freed_.notify_all();
    }

private:
    uint64_t budget_;
    uint64_t inUse_ = 0;
    std::mutex mutex_;
    std::condition_variable freed_;
};

// The changed tensors of a plan and the AWQ groups that fold into a norm, run as units (a single
// tensor, or a fold group giving its members and the norm) in parallel on oneTBB, reporting
// each finished tensor. One instance per compressModel call; run() may be called several times
// (once per layer in sequential calibration), each with the statistics of its units.
class UnitRunner {
public:
    UnitRunner(const Model &model, const CompressParams &params, const JobContext &job,
               const TensorDoneFn &onTensor, size_t total, uint64_t workParams)
        : model_(model), params_(params), job_(job), onTensor_(onTensor), total_(total),
          workParams_(workParams)
    {
    }

    // Maps the finished share of the work's parameters to the job's progress.
    std::function<double(double)> progressOf = [](double f) { return f; };
    // Drop each tensor's stored data once onTensor has seen it (CompressParams::keepStoredData).
    bool dropAfterReport = false;

    // Runs the units; returns their tensors (unit order). Throws cwb::Error naming the tensor
    // or group, or cwb::Cancelled.
    std::vector<CompressedTensor> run(const std::vector<const TensorPlan *> &tensors,
                                      const std::vector<AwqFoldGroup> &folds,
                                      const ActivationStats *stats)
    {
        std::vector<std::vector<CompressedTensor>> results(tensors.size() + folds.size());
        const auto unitBytes = [&](size_t unit) {
            if (unit < tensors.size())
                return workingBytesOf(*tensors[unit]);
            uint64_t b = 0;
            for (const TensorPlan *tp : folds[unit - tensors.size()].members)
                b += workingBytesOf(*tp);
            return b;
        };
        MemoryGate gate(memoryBudget());
        const auto runOne = [&](size_t unit) {
            // The methods see the cancel flag only: their own progress (per row block, from
            // many threads) is not the run's; the run reports once per finished tensor.
            const JobContext inner = job_.cancelOnly();
            std::vector<CompressedTensor> made;
            if (unit >= tensors.size()) {
                const AwqFoldGroup &g = folds[unit - tensors.size()];
                try {
                    made = compressAwqFoldGroup(model_, g, *stats, params_.outputError, inner);
                } catch (const Cancelled &) {
                    throw;
                } catch (const Error &e) {
                    throw Error("awq over " + g.site + ": " + e.what());
                }
            } else {
                const TensorPlan &tp = *tensors[unit];
                try {
                    made.push_back(compressTensor(model_, tp, stats, params_.outputError, inner));
                } catch (const Cancelled &) {
                    throw;
                } catch (const Error &e) {
                    throw Error("tensor " + tp.displayName() + " (" + tp.summary()
                                + "): " + e.what());
                }
            }
            // Its source tensors have been read for the last time in this run: a model larger
            // than memory must not stay resident page by page.
            for (const CompressedTensor &ct : made)
                if (ct.index < model_.tensors.size())
                    model_.tensors[ct.index].releaseMappedPages();
            finished(unit, std::move(made), stats, results);
        };
        const auto runAll = [&] {
            tbb::parallel_for(size_t(0), results.size(), [&](size_t i) {
                job_.checkCancelled();
                const uint64_t bytes = unitBytes(i);
                gate.acquire(bytes);
                struct Release {
                    MemoryGate &gate;
                    uint64_t bytes;
                    ~Release() { gate.release(bytes); }
                } release{gate, bytes};
                job_.checkCancelled();
                // Isolated: while this unit's own parallel loops wait, its thread must not pick
                // up another unit, which could block in the gate on the memory this one holds.
                tbb::this_task_arena::isolate([&] { runOne(i); });
            });
        };
        if (params_.threads > 0) {
            tbb::task_arena arena(params_.threads);
            arena.execute(runAll);
        } else {
            runAll();
        }
        job_.checkCancelled();
        std::vector<CompressedTensor> out;
        for (auto &unit : results)
            for (CompressedTensor &ct : unit)
                out.push_back(std::move(ct));
        return out;
    }

private:
    uint64_t memoryBudget() const
    {
        if (params_.memoryBudgetBytes > 0)
            return params_.memoryBudgetBytes;
        const uint64_t physical = host::physicalMemoryBytes();
        return physical > 0 ? physical / 2 : std::numeric_limits<uint64_t>::max();
    }

    void finished(size_t unit, std::vector<CompressedTensor> tensors,
                  const ActivationStats *stats,
                  std::vector<std::vector<CompressedTensor>> &results)
    {
        // Coverage: the tokens each tensor's statistics were accumulated over (0: none used).
        for (CompressedTensor &ct : tensors) {
            const LinearActivationStats *s = stats ? stats->find(ct.canonical) : nullptr;
            ct.report.calibrationTokens = s ? s->tokens : 0;
        }
        const std::lock_guard lock(mutex_);
        for (const CompressedTensor &ct : tensors) {
            ++done_;
            if (ct.shape.size() >= 2)
                doneParams_ += uint64_t(ct.rows * ct.cols);
            job_.report(progressOf(std::min(1.0, double(doneParams_) / double(workParams_))),
                        "tensor " + std::to_string(done_) + "/" + std::to_string(total_) + ": "
                            + ct.canonical);
            if (onTensor_)
                onTensor_(ct, done_, total_);
        }
        if (dropAfterReport)
            for (CompressedTensor &ct : tensors)
                dropStoredData(ct);
        results[unit] = std::move(tensors);
    }

    const Model &model_;
    const CompressParams &params_;
    const JobContext &job_;
    const TensorDoneFn &onTensor_;
    size_t total_;
    uint64_t workParams_;
    std::mutex mutex_;
    size_t done_ = 0;
    uint64_t doneParams_ = 0;
};

ActivationParams calibrationParamsFor(const Model &model, const CompressParams &params,
                                      bool needsHessian)
{
    ActivationParams ap = params.calibration;
    if (model.hparams.contextLength > 0)
        ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
    const bool reportFits = calibrationHessianBytes(model) <= params.reportHessianBudgetBytes;
    ap.collectHessians = needsHessian || (params.outputError && reportFits);
    return ap;
}

// Which projections read which input, from the model's tensor names as the engine lays out its
// sites (analysis/activation_stats.h): enough for findAwqFoldGroups before any statistics exist.
ActivationStats projectionSites(const Model &model)
{
    ActivationStats sites;
    for (const Tensor &t : model.tensors) {
        const auto name = splitLayerTensorName(t.canonical);
        if (!name || t.shape.size() != 2)
            continue;
        const std::string_view role = name->role;
        std::string input;
        if (role == "attn.q" || role == "attn.k" || role == "attn.v" || role == "attn.qkv")
            input = "attn_norm.out";
        else if (role == "mlp.gate" || role == "mlp.up" || role == "mlp.gate_up")
            input = "mlp_norm.out";
        else
            continue; // attn.o and mlp.down have no norm before them
        LinearActivationStats l;
        l.weight = t.canonical;
        l.input = layerTensorName(name->layer, input);
        l.layer = name->layer;
        sites.linears.push_back(std::move(l));
    }
    return sites;
}

// The engine's view of a compressed projection of the prefix: folded AWQ scales become an
// explicit input multiplier (the engine's norm is the original one), the same product.
std::shared_ptr<const LinearWeights> prefixWeights(const CompressedTensor &ct)
{
    if (ct.foldedScales.empty())
        return ct.linear();
    return std::make_shared<ScaledInputLinear>(ct.linear(), ct.foldedScales);
}

int64_t layerOfUnit(const TensorPlan *tp)
{
    return canonicalLayerIndex(tp->canonical);
}

// The group of a layer's projection in GPTQ's true-sequential order, by the input it reads:
// 0 q/k/v (attention norm), 1 attn.o (heads), 2 gate/up (MLP norm), 3 mlp.down (activation);
// anything else of the layer (1-D tensors) goes last.
int groupOfRole(std::string_view role)
{
    if (role == "attn.q" || role == "attn.k" || role == "attn.v" || role == "attn.qkv")
        return 0;
    if (role == "attn.o")
        return 1;
    if (role == "mlp.gate" || role == "mlp.up" || role == "mlp.gate_up")
        return 2;
    return 3;
}

int groupOf(std::string_view canonical)
{
    const auto name = splitLayerTensorName(canonical);
    return name ? groupOfRole(name->role) : 3;
}

// One layer's units in the order they are compressed: all at once, or (`split`) in the four
// true-sequential groups, empty groups left out.
struct LayerGroup {
    std::vector<const TensorPlan *> tensors;
    std::vector<AwqFoldGroup> folds;
    std::set<std::string> inputs; // the input sites it reads; empty: every one of the layer
};

// The input site a true-sequential group's projections read (see groupOfRole).
std::string inputOfGroup(int64_t layer, int group)
{
    static const char *const kInputs[] = {"attn_norm.out", "attn.heads", "mlp_norm.out",
                                          "mlp.act"};
    return layerTensorName(layer, kInputs[group]);
}

std::vector<LayerGroup> groupsOfLayer(const std::vector<const TensorPlan *> &tensors,
                                      const std::vector<AwqFoldGroup> &folds, bool split)
{
    if (!split)
        return tensors.empty() && folds.empty() ? std::vector<LayerGroup>{}
                                                : std::vector<LayerGroup>{{tensors, folds, {}}};
    std::vector<LayerGroup> groups(4);
    for (const TensorPlan *tp : tensors)
        groups[size_t(groupOf(tp->canonical))].tensors.push_back(tp);
    for (const AwqFoldGroup &g : folds)
        groups[size_t(groupOf(g.members.front()->canonical))].folds.push_back(g);
    for (int i = 0; i < 4; ++i) {
        const auto &ts = groups[size_t(i)].tensors;
        const auto &fs = groups[size_t(i)].folds;
        const std::string &any = !ts.empty() ? ts.front()->canonical : fs.empty() ? std::string()
                                                                                  : fs.front().site;
        if (!any.empty())
            groups[size_t(i)].inputs = {inputOfGroup(canonicalLayerIndex(any), i)};
    }
    std::erase_if(groups, [](const LayerGroup &g) { return g.tensors.empty() && g.folds.empty(); });
    return groups;
}

// Sequential calibration (CompressParams::sequentialCalibration): layer by layer, the inputs
// of layer k's projections are collected on the stream that layers 0..k-1, already compressed,
// produce (analysis/layerwise_activations.h), layer k's units run on them, and their compressed
// matrices replace the originals in the collector's engine before the stream moves on. Units
// outside the layers (embed, head, final norm) run last; they have no statistics either way.
// With `originalCross` (a method reconstructs the original block's output) the collector also
// records the cross moments with the original model, and each layer is compressed in GPTQ's
// true-sequential groups (q/k/v, o, gate/up, down), each group's inputs collected after the
// groups before it are compressed: a reconstructed q/k/v already undoes part of the prefix's
// error, which attn.o, fitted on the inputs of the original q/k/v, would otherwise correct a
// second time (measured on dev256: README, issue 13 part 5).
void runSequential(const Model &model, const CompressParams &params, const ActivationParams &ap,
                   const std::vector<const TensorPlan *> &work,
                   const std::vector<AwqFoldGroup> &folds, UnitRunner &runner,
                   bool originalCross, const JobContext &job, CompressedModel &out)
{
    std::map<int64_t, std::vector<const TensorPlan *>> tensorsOf;
    std::map<int64_t, std::vector<AwqFoldGroup>> foldsOf;
    std::vector<const TensorPlan *> outside;
    int64_t last = -1;
    for (const TensorPlan *tp : work) {
        const int64_t layer = layerOfUnit(tp);
        if (layer < 0) {
            outside.push_back(tp);
            continue;
        }
        tensorsOf[layer].push_back(tp);
        last = std::max(last, layer);
    }
    for (const AwqFoldGroup &g : folds) {
        const int64_t layer = canonicalLayerIndex(g.site);
        foldsOf[layer].push_back(g);
        last = std::max(last, layer);
    }
    std::vector<std::vector<LayerGroup>> groupsOf(size_t(last + 1));
    // Progress: half for the passes over the calibration set (one per collection, one per
    // advance), half for the tensors (by parameters, as in the one-pass run).
    double passes = 1.0; // embedding the sequences
    for (int64_t k = 0; k <= last; ++k) {
        groupsOf[size_t(k)] = groupsOfLayer(tensorsOf[k], foldsOf[k], originalCross);
        passes += double(std::max<size_t>(1, groupsOf[size_t(k)].size())) + 1.0;
    }
    double passesDone = 0;
    double tensorShare = 0; // of the tensors' half, finished
    const auto passStage = [&](const std::string &label) {
        const double base = 0.5 * tensorShare;
        return job.stage(base + 0.5 * passesDone / passes, base + 0.5 * (passesDone + 1) / passes,
                         label);
    };
    runner.progressOf = [&](double f) {
        tensorShare = f;
        return 0.5 * passesDone / passes + 0.5 * f;
    };

    std::vector<CompressedTensor> made;
    if (last >= 0) {
        LayerwiseActivations layers(model, params.calibrationPath, ap,
                                    passStage("calibration: embedding"));
        if (originalCross)
            layers.collectOriginalCross(model);
        passesDone += 1;
        for (int64_t k = 0; k <= last; ++k) {
            job.checkCancelled();
            const std::string where = "calibration, layer " + std::to_string(k);
            const auto &groups = groupsOf[size_t(k)];
            for (const LayerGroup &group : groups) {
                const ActivationStats stats =
                    layers.collectLayer(group.inputs, passStage(where));
                out.calibrationTokens = stats.coverage.tokensEvaluated;
                passesDone += 1;
                std::vector<CompressedTensor> done = runner.run(group.tensors, group.folds, &stats);
                for (CompressedTensor &ct : done) {
                    if (ct.shape.size() >= 2 && stats.find(ct.canonical))
                        layers.replaceWeights(ct.canonical, prefixWeights(ct));
                    if (!params.keepStoredData)
                        dropStoredData(ct);
                    made.push_back(std::move(ct));
                }
            }
            if (groups.empty())
                passesDone += 1;
            if (k < last)
                layers.advance(passStage(where + " (compressed)"));
            passesDone += 1;
        }
    }
    runner.dropAfterReport = !params.keepStoredData;
    std::vector<CompressedTensor> rest = runner.run(outside, {}, nullptr);
    for (CompressedTensor &ct : rest)
        made.push_back(std::move(ct));
    out.tensors = std::move(made);
}

} // namespace

namespace {

bool hasStructures(const Plan &plan)
{
    return std::any_of(plan.tensors.begin(), plan.tensors.end(), [](const TensorPlan &tp) {
        return tp.slot(MethodSlot::Structure).used();
    });
}

// The structure step, then the per-tensor plan on the smaller model (pipeline/structure_step.h).
CompressedModel compressWithStructures(const Model &model, const Plan &plan,
                                       const CompressParams &params, const JobContext &job,
                                       const TensorDoneFn &onTensor)
{
    const auto start = Clock::now();
    const StructureStep step =
        runStructureStep(model, plan, params, job.stage(0.0, 0.4, "structures"));
    CompressParams inner = params;
    inner.calibrationStats = nullptr; // the smaller model's inputs are collected again
    CompressedModel out =
        compressModel(step.model, step.plan, inner, job.stage(0.4, 1.0, "tensors"), onTensor);
    out.planJson = planJson(plan);
    out.structure = step.record;
    CompressionTotals &tot = out.totals;
    tot.originalBytes = plan.totals.originalBytes;
    tot.compressionRatio =
        tot.compressedBytes > 0 ? double(tot.originalBytes) / double(tot.compressedBytes) : 0.0;
    tot.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return out;
}

} // namespace

CompressedModel compressModel(const Model &model, const Plan &plan, const CompressParams &params,
                              const JobContext &job, const TensorDoneFn &onTensor)
{
    const auto start = Clock::now();
    requireValidPlan(plan);
    if (hasStructures(plan))
        return compressWithStructures(model, plan, params, job, onTensor);
    const bool needsCalibration = planNeedsCalibration(plan);
    if (needsCalibration && params.calibrationPath.empty() && !params.calibrationStats)
        throw Error(plan.recipeSource + ": the plan needs calibration text (--calib FILE)");
    if (params.sequentialCalibration && params.calibrationStats)
        throw Error(plan.recipeSource
                    + ": sequential calibration collects its own statistics layer by layer; "
                      "statistics collected before cannot be used with it");
    // A method that reconstructs the original block's output (gptq_ggml_recon) needs the cross
    // moment that only sequential calibration collects: the plan turns it on.
    std::string crossMethod;
    for (const TensorPlan &tp : plan.tensors)
        for (const SlotPlan &s : tp.stages)
            if (tp.changed() && crossMethod.empty() && slotNeedsOriginalCross(s))
                crossMethod = s.method;
    if (!crossMethod.empty() && params.calibrationStats)
        throw Error(plan.recipeSource + ": " + crossMethod
                    + " needs sequential calibration (the inputs of the compressed prefix beside "
                      "the original ones); statistics collected before cannot be used with it");

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

    const bool collect = !params.calibrationStats && !params.calibrationPath.empty()
                         && !work.empty();
    const bool sequential = collect && (params.sequentialCalibration || !crossMethod.empty());
    std::optional<ActivationStats> collected;
    const ActivationStats *stats = nullptr;
    const double calibShare = collect && !sequential ? 0.2 : 0.0;
    if (params.calibrationStats && !work.empty()) {
        stats = params.calibrationStats;
        if (needsHessian && !stats->hasHessians)
            throw Error(plan.recipeSource + ": the calibration statistics given hold no Hessians, "
                                            "which the plan's methods need");
        out.calibrationSource = params.calibrationPath.empty() ? stats->coverage.source
                                                               : params.calibrationPath;
        out.calibrationTokens = stats->coverage.tokensEvaluated;
    } else if (collect && !sequential) {
        collected = collectActivationStats(model, params.calibrationPath,
                                           calibrationParamsFor(model, params, needsHessian),
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
    else if (sequential)
        folds = findAwqFoldGroups(model, plan, projectionSites(model));
    std::set<size_t> foldedIndices;
    size_t total = 0;
    for (const AwqFoldGroup &g : folds) {
        for (const TensorPlan *tp : g.members)
            foldedIndices.insert(tp->index);
        total += g.members.size() + 1 + (g.normBias ? 1 : 0);
    }
    std::erase_if(work, [&](const TensorPlan *tp) { return foldedIndices.contains(tp->index); });
    total += work.size();

    UnitRunner runner(model, params, job, onTensor, total, workParams);
    if (!sequential) {
        runner.progressOf = [&](double f) { return calibShare + (1.0 - calibShare) * f; };
        runner.dropAfterReport = !params.keepStoredData;
        out.tensors = runner.run(work, folds, stats);
    } else {
        out.calibrationSource = params.calibrationPath;
        out.calibrationSequential = true;
        runSequential(model, params, calibrationParamsFor(model, params, needsHessian), work,
                      folds, runner, !crossMethod.empty(), job, out);
    }
    std::sort(out.tensors.begin(), out.tensors.end(),
              [](const CompressedTensor &a, const CompressedTensor &b) { return a.index < b.index; });

    CompressionTotals &tot = out.totals;
    tot.originalBytes = plan.totals.originalBytes;
    tot.parameters = uint64_t(plan.totals.parameters);
    uint64_t replacedOriginal = 0, replacedStored = 0;
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
