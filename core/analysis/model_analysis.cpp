// SPDX-License-Identifier: MIT
#include "analysis/model_analysis.h"

#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <numeric>

namespace cwb {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Exact decimal text of a double (round-trips).
std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string boolean(bool v)
{
    return v ? "true" : "false";
}

std::string_view rangeName(HistogramRange r)
{
    switch (r) {
    case HistogramRange::Symmetric: return "symmetric";
    case HistogramRange::MinMax: return "minmax";
    case HistogramRange::Percentile: return "percentile";
    }
    return "unknown";
}

std::string_view svdName(SvdMethod m)
{
    switch (m) {
    case SvdMethod::Auto: return "auto";
    case SvdMethod::Gram: return "gram";
    case SvdMethod::Bdc: return "bdc";
    }
    return "unknown";
}

// One tensor, start to finish. cwb::Error from reading it becomes `skipped`; Cancelled passes.
TensorAnalysis analyseTensor(const Model &model, size_t index, const ModelAnalysisParams &params,
                             const JobContext &inner)
{
    const auto start = std::chrono::steady_clock::now();
    const Tensor &t = model.tensors[index];
    TensorAnalysis a;
    a.index = index;
    a.name = t.name;
    a.canonical = t.canonical;
    a.dtype = t.typeLabel();
    a.shape = t.shape;
    const auto identityOnly = [&](std::string why) {
        TensorAnalysis s;
        s.index = a.index;
        s.name = a.name;
        s.canonical = a.canonical;
        s.dtype = a.dtype;
        s.shape = a.shape;
        s.skipped = std::move(why);
        s.seconds = secondsSince(start);
        return s;
    };
    if (!t.decodable())
        return identityOnly("values of type " + a.dtype + " cannot be decoded");
    try {
        const MatrixView view = matrixView(t, model.format);
        a.stats = tensorStats(t, view, params.stats, inner);
        a.histogram = tensorHistogram(t, params.histogram, inner);
        if (params.spectra) {
            a.spectrum = tensorSpectrum(t, view, params.spectrum, inner);
        } else {
            a.spectrum.skipped = "spectra not requested";
        }
        // One identity for all parts, so a project stores it once and reads back the same.
        a.stats.name = a.name;
        a.stats.shape = a.shape;
        a.stats.view = view;
        a.spectrum.name = a.name;
        a.spectrum.view = view;
    } catch (const Cancelled &) {
        t.releaseMappedPages();
        throw;
    } catch (const Error &e) {
        t.releaseMappedPages();
        return identityOnly(e.what());
    }
    // Read for the last time in this pass: a model larger than memory must not stay resident.
    t.releaseMappedPages();
    a.seconds = secondsSince(start);
    return a;
}

} // namespace

const TensorAnalysis *ModelAnalysis::find(std::string_view nameOrCanonical) const
{
    for (const auto &t : tensors)
        if (t.name == nameOrCanonical)
            return &t;
    for (const auto &t : tensors)
        if (!t.canonical.empty() && t.canonical == nameOrCanonical)
            return &t;
    return nullptr;
}

ModelAnalysis analyzeModel(const Model &model, const ModelAnalysisParams &params,
                           const JobContext &ctx, const TensorAnalysisCallback &onTensor)
{
    if (params.threads < 0 || params.threads > 1024)
        throw Error("analysis: threads must be in 0..1024 (0 = all cores), not "
                    + std::to_string(params.threads));
    const auto start = std::chrono::steady_clock::now();
    const size_t n = model.tensors.size();
    ModelAnalysis out;
    out.tensors.resize(n);

    // Largest first, so one big tensor does not start last and run alone.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return model.tensors[a].numel() > model.tensors[b].numel();
    });
    double totalValues = 0;
    for (const auto &t : model.tensors)
        totalValues += static_cast<double>(std::max<int64_t>(t.numel(), 1));
    const double tensorShare = params.calibrationText.empty() ? 1.0 : 0.5;

    // Progress and onTensor are called under this lock: callers need not be thread-safe.
    std::mutex reportMutex;
    double doneValues = 0;
    size_t doneTensors = 0;
    // Per-tensor work: cancellation only; progress is reported per tensor.
    const JobContext inner = ctx.cancelOnly();

    ctx.report(0.0, "analysing " + std::to_string(n) + " tensors");
    tbb::task_group_context group;
    tbb::task_arena arena(params.threads > 0 ? params.threads : tbb::task_arena::automatic);
    arena.execute([&] {
        tbb::parallel_for(
            tbb::blocked_range<size_t>(0, n, 1),
            [&](const tbb::blocked_range<size_t> &range) {
                for (size_t k = range.begin(); k != range.end(); ++k) {
                    if (ctx.cancelled()) {
                        group.cancel_group_execution();
                        return;
                    }
                    const size_t i = order[k];
                    TensorAnalysis a = analyseTensor(model, i, params, inner);
                    std::lock_guard lock(reportMutex);
                    out.tensors[i] = std::move(a);
                    doneValues +=
                        static_cast<double>(std::max<int64_t>(model.tensors[i].numel(), 1));
                    ++doneTensors;
                    if (onTensor)
                        onTensor(out.tensors[i]);
                    ctx.report(tensorShare * doneValues / totalValues,
                               "tensor " + std::to_string(doneTensors) + "/" + std::to_string(n)
                                   + ": " + model.tensors[i].name);
                }
            },
            tbb::simple_partitioner(), group);
    });
    ctx.checkCancelled();

    if (!params.calibrationText.empty()) {
        out.activations = collectActivationStats(model, params.calibrationText,
                                                 params.activations,
                                                 ctx.stage(tensorShare, 1.0, "calibration"));
        ctx.checkCancelled();
    }
    out.seconds = secondsSince(start);
    ctx.report(1.0, "analysis done");
    return out;
}

std::map<std::string, std::string> analysisSettings(const ModelAnalysisParams &params)
{
    std::map<std::string, std::string> s;
    s["stats.near_zero"] = number(params.stats.nearZero);
    s["stats.outlier_factor"] = number(params.stats.outlierFactor);
    s["stats.per_channel"] = boolean(params.stats.perChannel);
    s["stats.max_outliers_listed"] = std::to_string(params.stats.maxOutliersListed);
    s["histogram.bins"] = std::to_string(params.histogram.bins);
    s["histogram.range"] = std::string(rangeName(params.histogram.range));
    s["histogram.clip_percentile"] = number(params.histogram.clipPercentile);
    s["spectra"] = boolean(params.spectra);
    if (params.spectra) {
        s["spectrum.method"] = std::string(svdName(params.spectrum.method));
        s["spectrum.gram_min_dim"] = std::to_string(params.spectrum.gramMinDim);
        s["spectrum.fit_power_law"] = boolean(params.spectrum.fitPowerLaw);
        s["spectrum.min_tail"] = std::to_string(params.spectrum.minTail);
        s["spectrum.max_values"] = std::to_string(params.spectrum.maxValues);
    }
    s["calibration.text"] = params.calibrationText;
    if (!params.calibrationText.empty()) {
        const auto &a = params.activations;
        s["calibration.sequences"] = std::to_string(a.sequences);
        s["calibration.tokens_per_sequence"] = std::to_string(a.tokensPerSequence);
        s["calibration.min_tokens"] = std::to_string(a.minTokens);
        s["calibration.hessians"] = boolean(a.collectHessians);
        s["calibration.outlier_factor"] = number(a.outlierFactor);
    }
    return s;
}

} // namespace cwb
