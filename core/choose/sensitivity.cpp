// SPDX-License-Identifier: MIT
#include "choose/sensitivity.h"

#include "analysis/activation_stats.h"
#include "compress/output_error.h"
#include "eval/engine.h"
#include "eval/linear_weights.h"
#include "model/canonical_name.h"
#include "model/model_fingerprint.h"
#include "pipeline/pipeline.h"
#include "pipeline/tensor_stages.h"
#include "recipe/name_match.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace cwb {
namespace {

using Clock = std::chrono::steady_clock;

// Bumped whenever the numbers a table holds would change for the same inputs.
constexpr const char *kMeasureVersion = "cwb.sensitivity/1";
// Hessians beyond this are not collected for the output-error proxies (as the pipeline's report).
constexpr uint64_t kProxyHessianBudget = uint64_t(1) << 30;

uint64_t hashText(const std::string &s, uint64_t h = kFnvOffsetBasis)
{
    return fnv1a64(std::as_bytes(std::span<const char>(s.data(), s.size())), h);
}

uint64_t hashValues(const std::vector<float> &v)
{
    return fnv1a64(std::as_bytes(std::span<const float>(v)));
}

std::string hex(uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string fileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open the calibration text");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A tensor the engine can swap: a layer projection, the embedding or a head of its own.
bool swappable(const Tensor &t)
{
    return isMatrix(t) && t.tiedTo.empty()
           && (t.canonical == "embed" || t.canonical == "head"
               || (isLayerTensorName(t.canonical) && !t.canonical.ends_with(".bias")));
}

// Where a tensor's options are measured from: -1 the embedding (everything reruns), N a layer
// (layers N .. L-1 rerun), L the head (only the logits).
int64_t stageOf(const Tensor &t, int64_t layers)
{
    if (t.canonical == "embed")
        return -1;
    if (t.canonical == "head")
        return layers;
    return canonicalLayerIndex(t.canonical);
}

// A plan error without its provenance: every field of a one-option recipe is set by its
// defaults or the schema, so "(q4_k set by defaults)" says nothing here.
std::string withoutProvenance(std::string what)
{
    const size_t at = what.rfind(" (");
    if (at != std::string::npos
        && (what.ends_with(" set by defaults)") || what.ends_with(" set by schema)")))
        what.erase(at);
    return what;
}

// The plan errors of each tensor, by display name.
std::map<std::string, std::string> errorsByTensor(const Plan &plan)
{
    std::map<std::string, std::string> out;
    for (const RecipeProblem &p : plan.errors) {
        std::string &text = out[p.where];
        if (!text.empty())
            text += "; ";
        text += withoutProvenance(p.what);
    }
    return out;
}

class Analysis {
public:
    Analysis(const Model &model, const SensitivityParams &p, const JobContext &ctx)
        : model_(model), p_(p), ctx_(ctx)
    {
    }

    SensitivityTable run();

private:
    struct Item {
        size_t index;   // into Model::tensors and the plans
        size_t row;     // into table.tensors
        int64_t stage;  // see stageOf
    };

    void collectStatistics();
    void resolvePlans();
    std::vector<Item> items();
    void measureItem(const Item &item, Engine &engine, const std::vector<std::vector<float>> &h);
    double rerun(const Item &item, Engine &engine, const std::vector<std::vector<float>> &h);
    void progress(const std::string &what);

    const Model &model_;
    const SensitivityParams &p_;
    const JobContext &ctx_;
    std::vector<Candidate> candidates_;
    std::optional<ActivationStats> stats_;
    std::vector<Plan> plans_;
    std::vector<std::map<std::string, std::string>> errors_;
    std::optional<KldWindows> windows_;
    SensitivityTable table_;
    size_t done_ = 0, total_ = 0;
};

void Analysis::collectStatistics()
{
    ActivationParams ap;
    ap.sequences = p_.statisticsSequences;
    ap.tokensPerSequence = p_.statisticsTokensPerSequence;
    if (model_.hparams.contextLength > 0)
        ap.tokensPerSequence = std::min(ap.tokensPerSequence, model_.hparams.contextLength);
    bool needsHessian = false;
    for (const Candidate &c : candidates_)
        for (const MethodEntry &e : c.entries)
            needsHessian = needsHessian || requireMethod(e.method).needsHessian;
    ap.collectHessians = needsHessian || calibrationHessianBytes(model_) <= kProxyHessianBudget;
    ap.threads = p_.threads;
    stats_ = collectActivationStats(model_, p_.calibrationPath, ap,
                                    ctx_.stage(0.0, 0.05, "calibration statistics"));
}

void Analysis::resolvePlans()
{
    PlanOptions options;
    options.calibration = true;
    for (const Candidate &c : candidates_) {
        Recipe r;
        r.source = "candidate " + c.id;
        r.defaultMethods = c.recipeEntries();
        plans_.push_back(resolvePlan(r, model_, options));
        errors_.push_back(errorsByTensor(plans_.back()));
    }
}

std::vector<Analysis::Item> Analysis::items()
{
    std::vector<Item> out;
    for (size_t i = 0; i < model_.tensors.size(); ++i) {
        const Tensor &t = model_.tensors[i];
        if (!swappable(t))
            continue;
        out.push_back({i, table_.tensors.size(), stageOf(t, model_.hparams.nLayers)});
        SensitivityTensor row;
        row.name = t.name;
        row.canonical = t.canonical;
        row.parameters = t.numel();
        row.storedBytes = t.byteSize;
        row.cells.resize(candidates_.size());
        table_.tensors.push_back(std::move(row));
    }
    // Embedding first, then layer by layer, the head last; model order within a stage.
    std::stable_sort(out.begin(), out.end(),
                     [](const Item &a, const Item &b) { return a.stage < b.stage; });
    return out;
}

void Analysis::progress(const std::string &what)
{
    ++done_;
    ctx_.report(0.1 + 0.9 * double(done_) / double(std::max<size_t>(total_, 1)), what);
}

// The KL summed over every window with the engine's current weights, rerunning from the item's
// stage: `h` holds each window's stream entering layer max(stage, 0).
double Analysis::rerun(const Item &item, Engine &engine, const std::vector<std::vector<float>> &h)
{
    const int64_t layers = engine.layerCount();
    std::vector<float> hidden, logits;
    double sum = 0;
    for (size_t w = 0; w < windows_->count(); ++w) {
        ctx_.checkCancelled();
        if (item.stage < 0)
            engine.embedWindow(windows_->tokens(w), hidden);
        else
            hidden = h[w];
        engine.runLayers(std::max<int64_t>(item.stage, 0), layers, hidden, ctx_.cancelOnly());
        engine.windowLogits(hidden, logits);
        sum += windows_->klOfWindow(w, logits);
    }
    return sum;
}

void Analysis::measureItem(const Item &item, Engine &engine,
                           const std::vector<std::vector<float>> &h)
{
    const Tensor &t = model_.tensors[item.index];
    SensitivityTensor &row = table_.tensors[item.row];
    const stages::Matrix original = stages::loadMatrix(model_, t);
    const uint64_t originalHash = hashValues(original.values);
    const stages::InputStats in = stages::inputStatsOf(&*stats_, t.canonical);
    double trWHW = -1;
    if (in.hessian && in.tokens > 0)
        trWHW = hessianForm(original.values.data(), nullptr, original.rows, original.cols,
                            in.hessian->data(), ctx_.cancelOnly());
    std::map<uint64_t, double> measured; // values hash -> dKLD, within this tensor

    for (size_t j = 0; j < candidates_.size(); ++j) {
        ctx_.checkCancelled();
        SensitivityCell &cell = row.cells[j];
        const TensorPlan &tp = plans_[j].tensors[item.index];
        const auto problem = errors_[j].find(tp.displayName());
        cell.bytes = tp.estimate.total();
        if (problem != errors_[j].end()) {
            cell.fits = false;
            cell.why = problem->second;
            progress(t.canonical + " " + candidates_[j].id + ": does not fit");
            continue;
        }
        cell.fits = true;
        if (!tp.changed()) { // "keep": the tensor as stored
            cell.outputError = cell.hessianError = trWHW >= 0 ? 0.0 : -1.0;
            progress(t.canonical + " " + candidates_[j].id + ": as stored");
            continue;
        }
        const CompressedTensor ct =
            compressTensor(model_, tp, &*stats_, true, ctx_.cancelOnly());
        cell.relativeError = ct.report.relativeError;
        cell.outputError = ct.report.outputError;
        if (cell.outputError >= 0 && trWHW >= 0)
            cell.hessianError =
                cell.outputError * cell.outputError * trWHW / double(in.tokens);
        const uint64_t valuesHash = hashValues(ct.reconstruct());
        if (valuesHash == originalHash) {
            cell.deltaKld = 0;
        } else if (const auto seen = measured.find(valuesHash); seen != measured.end()) {
            cell.deltaKld = seen->second;
        } else {
            const auto previous = engine.swapWeights(t.canonical, ct.linear());
            try {
                cell.deltaKld = rerun(item, engine, h) / double(windows_->positions());
            } catch (...) {
                (void)engine.swapWeights(t.canonical, previous);
                throw;
            }
            (void)engine.swapWeights(t.canonical, previous);
            measured.emplace(valuesHash, cell.deltaKld);
        }
        char what[64];
        std::snprintf(what, sizeof what, ": dKLD %.3g", cell.deltaKld);
        progress(t.canonical + " " + candidates_[j].id + what);
    }
}

SensitivityTable Analysis::run()
{
    const auto start = Clock::now();
    candidates_ = withKeep(p_.candidates);
    const SensitivityIdentity id = sensitivityIdentity(model_, p_);
    table_.key = id.key;
    table_.settings = id.settings;
    for (const Candidate &c : candidates_)
        table_.options.push_back({c.id, c.label});

    collectStatistics();
    resolvePlans();
    const std::vector<Item> work = items();
    total_ = work.size() * candidates_.size();

    EngineOptions options;
    options.threads = p_.threads;
    const auto engine = Engine::create(model_, options);
    const int64_t statisticsTokens =
        stats_->coverage.streamTokensUsed;
    windows_.emplace(model_, p_.calibrationPath, p_.windows, statisticsTokens, *engine,
                     ctx_.stage(0.05, 0.1, "KLD windows"));
    table_.windows = int64_t(windows_->count());
    table_.tokensPerWindow = windows_->tokensPerWindow();
    table_.positions = windows_->positions();
    table_.baseNll = windows_->baseNll();

    // h[w]: the original's stream entering layer `at` for window w.
    const int64_t layers = engine->layerCount();
    engine->reset(windows_->tokensPerWindow());
    std::vector<std::vector<float>> h(windows_->count());
    for (size_t w = 0; w < h.size(); ++w)
        engine->embedWindow(windows_->tokens(w), h[w]);
    int64_t at = 0;
    for (const Item &item : work) {
        while (at < std::min(std::max<int64_t>(item.stage, 0), layers)) {
            for (auto &hw : h)
                engine->runLayers(at, at + 1, hw, ctx_.cancelOnly());
            ++at;
        }
        measureItem(item, *engine, h);
    }
    table_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return std::move(table_);
}

} // namespace

std::vector<Candidate> withKeep(std::vector<Candidate> candidates)
{
    for (const Candidate &c : candidates)
        if (c.keepsAsStored())
            return candidates;
    candidates.insert(candidates.begin(), parseCandidate(kKeepMethod));
    return candidates;
}

SensitivityIdentity sensitivityIdentity(const Model &model, const SensitivityParams &params)
{
    const std::vector<Candidate> candidates = withKeep(params.candidates);
    SensitivityIdentity id;
    auto &s = id.settings;
    s["measure"] = kMeasureVersion;
    s["model.content_hash"] = fingerprintModel(model).hashHex();
    s["candidates"] = candidateList(candidates);
    const std::string text = fileBytes(params.calibrationPath);
    s["calibration.text"] = params.calibrationPath;
    s["calibration.bytes"] = std::to_string(text.size());
    s["calibration.hash"] = hex(hashText(text));
    s["kld.windows"] = std::to_string(params.windows.windows);
    s["kld.tokens_per_window"] = std::to_string(params.windows.tokensPerWindow);
    s["statistics.sequences"] = std::to_string(params.statisticsSequences);
    s["statistics.tokens_per_sequence"] = std::to_string(params.statisticsTokensPerSequence);
    // Everything above but the text's path: a moved but identical text keeps the key.
    uint64_t h = kFnvOffsetBasis;
    for (const auto &[key, value] : s)
        if (key != "calibration.text")
            h = hashText(key + "=" + value + "\n", h);
    id.key = hex(h);
    return id;
}

SensitivityTable computeSensitivity(const Model &model, const SensitivityParams &params,
                                    const JobContext &ctx)
{
    if (params.calibrationPath.empty())
        throw Error("sensitivity: no calibration text given (--calib FILE)");
    if (params.candidates.empty())
        throw Error("sensitivity: no candidate options given");
    SensitivityTable table;
    const auto work = [&] { table = Analysis(model, params, ctx).run(); };
    if (params.threads > 0)
        tbb::task_arena(params.threads).execute(work);
    else
        work();
    return table;
}

} // namespace cwb
