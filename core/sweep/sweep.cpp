// SPDX-License-Identifier: MIT
#include "sweep/sweep.h"

#include "pipeline/structure_step.h"

#include "analysis/activation_stats.h"
#include "eval/evaluation.h"
#include "host/memory_status.h"
#include "io/open_model.h"
#include "methods/registry.h"
#include "pipeline/pipeline.h"
#include "pipeline/run_inputs.h"
#include "project/project_file.h"
#include "recipe/resolve.h"
#include "util/error.h"
#include "util/version.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

namespace cwb {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxRecipeBytes = uint64_t(16) << 20; // as recipe/recipe.h refuses

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string utcNow()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool planNeedsHessian(const Plan &plan)
{
    for (const TensorPlan &tp : plan.tensors)
        for (const SlotPlan &s : tp.stages)
            if (const MethodSpec *m = s.used() ? findMethod(s.method) : nullptr;
                m && m->needsHessian)
                return true;
    return false;
}

// A point resolved against the model, before any work.
struct Prepared {
    const SweepPointSpec *spec = nullptr;
    std::optional<Plan> plan; // none for the original and references
    std::shared_ptr<const Model> reference; // a reference point's model, opened once
    bool needsCalibration = false;
    bool needsHessian = false;
    std::string recipeHash, key;
    std::map<std::string, std::string> settings;
};

std::vector<Prepared> prepare(const SweepParams &p, const ModelFingerprint &fp)
{
    if (!p.model)
        throw Error("sweep: no model given");
    if (p.evaluation.textPath.empty())
        throw Error("sweep: no evaluation text given");
    const FileIdentity text = fileIdentity(p.evaluation.textPath);
    std::optional<FileIdentity> calibration;
    if (!p.calibration.path.empty())
        calibration = fileIdentity(p.calibration.path);

    std::vector<Prepared> out;
    std::vector<std::string> failures;
    for (const SweepPointSpec &spec : p.points) {
        Prepared x;
        x.spec = &spec;
        std::string canonical;
        try {
            if (!spec.modelPath.empty()) {
                // Identified by its content, as the original is: a moved file is the same point.
                x.reference = std::make_shared<const Model>(io::openModel(spec.modelPath));
                if (x.reference->hparams.vocabSize != p.model->hparams.vocabSize)
                    throwIn(spec.modelPath,
                            "has a vocabulary of " + std::to_string(x.reference->hparams.vocabSize)
                                + " tokens, the model " + std::to_string(p.model->hparams.vocabSize)
                                + ": its KL divergence to the original cannot be measured");
                canonical = "reference:" + fingerprintModel(*x.reference).hashHex();
            } else if (!spec.recipeJson.empty()) {
                PlanOptions options;
                options.calibration = calibration.has_value();
                Plan plan = resolvePlan(parseRecipeLenient(spec.recipeJson, spec.source),
                                        *p.model, options);
                requireValidPlan(plan);
                x.needsCalibration = planNeedsCalibration(plan);
                x.needsHessian = planNeedsHessian(plan);
                x.plan = std::move(plan);
                canonical = canonicalRecipe(spec.recipeJson, spec.source);
                x.recipeHash = hashHex(canonical);
            }
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            failures.push_back(e.what());
            continue;
        }
        x.settings = evaluationSettings(p.evaluation, text,
                                        x.needsCalibration ? &p.calibration : nullptr,
                                        x.needsCalibration ? &*calibration : nullptr);
        x.key = historyKey(fp, canonical, x.settings);
        out.push_back(std::move(x));
    }
    if (failures.size() == 1)
        throw Error(failures[0]);
    if (!failures.empty()) {
        std::string all = std::to_string(failures.size()) + " of the sweep's recipes cannot run:";
        for (const auto &f : failures)
            all += "\n" + f;
        throw Error(all);
    }
    return out;
}

// Measures points, sharing what they have in common: the KLD base and the calibration.
class PointRunner {
public:
    PointRunner(const SweepParams &p, bool anyHessian) : p_(p), anyHessian_(anyHessian)
    {
        static std::atomic<int> serial{0};
        const fs::path dir = p.workDir.empty() ? fs::temp_directory_path() : fs::path(p.workDir);
        basePath_ = (dir / ("cwb-sweep-base-" + std::to_string(::getpid()) + "-"
                            + std::to_string(serial++) + ".cwblogits"))
                        .string();
    }
    ~PointRunner()
    {
        std::error_code ec;
        fs::remove(basePath_, ec);
        fs::remove(basePath_ + ".partial", ec);
    }
    PointRunner(const PointRunner &) = delete;
    PointRunner &operator=(const PointRunner &) = delete;

    HistoryPoint measure(const Prepared &x, const JobContext &job);
    [[nodiscard]] size_t compressions() const { return compressions_; }
    [[nodiscard]] size_t evaluations() const { return evaluations_; }

private:
    [[nodiscard]] EvalParams evalParams() const;
    EvalResult evaluate(const EvalParams &ep, const JobContext &job)
    {
        ++evaluations_;
        return runEvaluation(ep, job);
    }
    const ActivationStats &calibration(const JobContext &job);
    // Records the original's logits as the KLD base unless a run already did.
    void ensureBase(const JobContext &job)
    {
        if (haveBase_)
            return;
        EvalParams base = evalParams();
        base.saveLogitsPath = basePath_;
        (void)evaluate(base, job);
        haveBase_ = true;
    }

    const SweepParams &p_;
    bool anyHessian_ = false;
    std::string basePath_;
    bool haveBase_ = false;
    std::optional<ActivationStats> stats_;
    size_t compressions_ = 0, evaluations_ = 0;
};

EvalParams PointRunner::evalParams() const
{
    EvalParams ep;
    ep.model = p_.model;
    ep.textPath = p_.evaluation.textPath;
    ep.nCtx = p_.evaluation.nCtx;
    ep.chunks = p_.evaluation.chunks;
    ep.threads = p_.threads;
    ep.latencyPrompt = p_.evaluation.latencyPrompt;
    ep.latencyGenerate = p_.evaluation.latencyGenerate;
    ep.emulateQ8 = p_.evaluation.integerActivations;
    return ep;
}

const ActivationStats &PointRunner::calibration(const JobContext &job)
{
    if (!stats_) {
        CompressionInputs in;
        in.sequences = p_.calibration.sequences;
        in.tokensPerSequence = p_.calibration.tokensPerSequence;
        in.threads = p_.threads;
        ActivationParams ap = compressParams(in).calibration;
        if (p_.model->hparams.contextLength > 0)
            ap.tokensPerSequence = std::min(ap.tokensPerSequence, p_.model->hparams.contextLength);
        ap.collectHessians = anyHessian_;
        stats_ = collectActivationStats(*p_.model, p_.calibration.path, ap, job);
    }
    return *stats_;
}

HistoryPoint PointRunner::measure(const Prepared &x, const JobContext &job)
{
    const auto t0 = Clock::now();
    const Model &model = *p_.model;
    host::resetPeakRss();
    HistoryPoint hp;
    hp.key = x.key;
    hp.name = x.spec->name;
    hp.recipeJson = x.spec->recipeJson;
    hp.recipeHash = x.recipeHash;
    hp.referencePath = x.spec->modelPath;
    hp.settings = x.settings;
    hp.createdBy = createdBy();
    hp.textPath = p_.evaluation.textPath;
    hp.threads = p_.threads;

    EvalParams ep = evalParams();
    ep.measureLatency = p_.evaluation.latency;
    EvalResult r;
    if (x.reference) {
        ensureBase(job.stage(0.0, 0.4, "original (KLD base)"));
        ep.model = x.reference.get();
        ep.modelPath = x.spec->modelPath;
        ep.kldBasePath = basePath_;
        r = evaluate(ep, job.stage(0.4, 1.0, "evaluate"));
        const ModelTotals t = x.reference->totals();
        hp.bytes = t.bytes;
        hp.parameters = uint64_t(t.parameters);
        hp.bitsPerWeight = t.bitsPerWeight;
        hp.hasKld = r.hasKld;
        hp.kldMean = r.kld.mean;
        hp.kldP99 = r.kld.p99;
        hp.top1Pct = r.kld.top1AgreementPct;
    } else if (!x.plan) {
        // The original: its own run records the KLD base when there is none yet.
        if (!haveBase_)
            ep.saveLogitsPath = basePath_;
        r = evaluate(ep, job.stage(0.0, 1.0, "evaluate"));
        haveBase_ = true;
        const ModelTotals t = model.totals();
        hp.bytes = t.bytes;
        hp.parameters = uint64_t(t.parameters);
        hp.bitsPerWeight = t.bitsPerWeight;
        hp.hasKld = true; // the base itself: no divergence, full agreement
        hp.top1Pct = 100.0;
    } else {
        ensureBase(job.stage(0.0, 0.2, "original (KLD base)"));
        CompressionInputs in;
        in.threads = p_.threads;
        in.recipeJson = x.spec->recipeJson;
        if (x.needsCalibration) {
            in.calibrationPath = p_.calibration.path;
            in.sequences = p_.calibration.sequences;
            in.tokensPerSequence = p_.calibration.tokensPerSequence;
            hp.calibrationPath = p_.calibration.path;
        }
        CompressParams cp = compressParams(in);
        cp.outputError = false; // a per-tensor report the history does not keep
        if (x.needsCalibration)
            cp.calibrationStats = &calibration(job.stage(0.2, 0.3, "calibration"));
        const auto tc = Clock::now();
        ++compressions_;
        const CompressedModel cm =
            compressModel(model, *x.plan, cp, job.stage(0.3, 0.7, "compress"));
        hp.compressSeconds = secondsSince(tc);
        hp.bytes = cm.totals.compressedBytes;
        hp.parameters = cm.totals.parameters;
        hp.bitsPerWeight = cm.totals.bitsPerWeight;
        // The model the compressed tensors belong to (smaller when the plan removed structures).
        const Model evaluated = structuredSource(model, cm);
        ep.model = &evaluated;
        useCompressedWeights(ep, replacementsOf(cm), x.spec->name);
        ep.kldBasePath = basePath_;
        r = evaluate(ep, job.stage(0.7, 1.0, "evaluate"));
        hp.hasKld = r.hasKld;
        hp.kldMean = r.kld.mean;
        hp.kldP99 = r.kld.p99;
        hp.top1Pct = r.kld.top1AgreementPct;
    }
    hp.ppl = r.ppl;
    hp.pplStderr = r.pplStderr;
    hp.tokensScored = r.tokensScored;
    hp.windows = r.windows;
    hp.hasLatency = r.hasLatency;
    hp.prefillTokPerS = r.latency.prefillTokPerS;
    hp.decodeTokPerS = r.latency.decodeTokPerS;
    hp.weightBytes = r.weightBytes;
    hp.kvBytes = r.kvCacheBytes;
    hp.peakRssMiB = r.peakRssMiB;
    hp.seconds = secondsSince(t0);
    hp.finished = utcNow();
    return hp;
}

} // namespace

SweepPointSpec originalPoint()
{
    return {"original", {}, "the original model"};
}

SweepPointSpec recipePoint(const std::string &path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec)
        throwIn(path, "cannot read the recipe: " + ec.message());
    if (size > kMaxRecipeBytes)
        throwIn(path, "recipe is " + std::to_string(size)
                          + " bytes; recipes larger than 16 MiB are refused");
    std::ifstream in(path, std::ios::binary);
    std::string text(size_t(size), '\0');
    if (!in || !in.read(text.data(), std::streamsize(size)))
        throwIn(path, "cannot read the recipe");
    if (text.empty())
        throwIn(path, "the recipe file is empty");
    return {fs::path(path).stem().string(), std::move(text), path};
}

SweepPointSpec referencePoint(const std::string &path)
{
    SweepPointSpec spec;
    spec.name = fs::path(path).filename().string();
    spec.source = path;
    spec.modelPath = path;
    return spec;
}

std::vector<std::string> recipeFilesIn(const std::string &dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throwIn(dir, "not a directory of recipes");
    std::vector<std::string> files;
    for (const auto &e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".json" && e.is_regular_file())
            files.push_back(e.path().string());
    if (ec)
        throwIn(dir, "cannot list the directory: " + ec.message());
    if (files.empty())
        throwIn(dir, "holds no recipe (*.json)");
    std::sort(files.begin(), files.end());
    return files;
}

Project sweepProject(const std::string &path, const ModelFingerprint &fp)
{
    if (!fs::exists(path)) {
        Project p;
        p.createdBy = createdBy();
        p.model = fp;
        return p;
    }
    Project p = readProject(path);
    const ProjectMatch m = matchProject(p.model, fp);
    if (m.stale)
        throwIn(path, "the project belongs to another model: " + m.reason
                          + "; give a new project file for this model");
    return p;
}

std::vector<std::string> sweepKeys(const SweepParams &params)
{
    std::vector<std::string> keys;
    for (const Prepared &x : prepare(params, fingerprintModel(*params.model)))
        keys.push_back(x.key);
    return keys;
}

SweepResult runSweep(const SweepParams &params, const JobContext &job)
{
    if (!params.model)
        throw Error("sweep: no model given");
    const ModelFingerprint fp = fingerprintModel(*params.model);
    const std::vector<Prepared> points = prepare(params, fp);
    std::optional<Project> project;
    if (!params.projectPath.empty())
        project = sweepProject(params.projectPath, fp);

    // Key -> the point already measured: the project's history, then this sweep's own.
    std::map<std::string, HistoryPoint> known;
    if (project)
        for (const HistoryPoint &h : project->history)
            known.emplace(h.key, h);
    bool anyHessian = false;
    for (const Prepared &x : points)
        anyHessian = anyHessian || x.needsHessian;

    SweepResult result;
    PointRunner runner(params, anyHessian);
    const size_t n = points.size();
    for (size_t i = 0; i < n; ++i) {
        job.checkCancelled();
        const Prepared &x = points[i];
        PointSource source = PointSource::Stored;
        if (!known.contains(x.key)) {
            const std::string label = "point " + std::to_string(i + 1) + "/" + std::to_string(n)
                + " " + x.spec->name;
            HistoryPoint hp = runner.measure(
                x, job.stage(double(i) / double(n), double(i + 1) / double(n), label));
            if (project) {
                project->history.push_back(hp);
                writeProject(params.projectPath, *project);
            }
            known.emplace(x.key, std::move(hp));
            source = PointSource::Measured;
            ++result.measured;
        }
        result.points.push_back(known.at(x.key));
        result.sources.push_back(source);
        if (params.onPoint)
            params.onPoint(SweepEvent{i, n, result.points.back(), source});
    }
    result.compressions = runner.compressions();
    result.evaluations = runner.evaluations();
    return result;
}

} // namespace cwb
