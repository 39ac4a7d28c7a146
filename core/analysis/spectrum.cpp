// SPDX-License-Identifier: MIT
#include "analysis/spectrum.h"

#include "tensor/tensor.h"
#include "util/error.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>

namespace cwb {
namespace {

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string skipReason(const Tensor &t, const MatrixView &v, const SpectrumParams &p)
{
    if (t.shape.size() < 2)
        return "not a matrix (" + std::to_string(t.shape.size()) + "-D)";
    if (v.rows < 1 || v.cols < 1)
        return "empty matrix";
    if (v.rows > p.maxValues / v.cols)
        return "larger than " + std::to_string(p.maxValues) + " values";
    if (!dtypeInfo(t.dtype).decodable)
        return "values of type " + t.typeLabel() + " cannot be decoded";
    return {};
}

} // namespace

void deriveSpectrum(Spectrum &s, const SpectrumParams &params)
{
    const std::vector<double> &sv = s.singularValues;
    const size_t n = sv.size();
    s.truncationError.assign(n + 1, 0.0);
    s.frobeniusSq = s.stableRank = s.entropyRank = 0;
    s.energyRank90 = s.energyRank95 = s.energyRank99 = 0;
    s.powerLaw = {};
    if (n == 0)
        return;
    // energy left after rank r, summed from the smallest value up (accurate tails)
    std::vector<double> tail(n + 1, 0.0);
    for (size_t i = n; i-- > 0;)
        tail[i] = tail[i + 1] + sv[i] * sv[i];
    const double total = tail[0];
    s.frobeniusSq = total;
    if (!(total > 0))
        return; // zero matrix: every derived quantity stays 0
    for (size_t r = 0; r <= n; ++r)
        s.truncationError[r] = std::sqrt(tail[r] / total);
    s.stableRank = total / (sv[0] * sv[0]);

    const double sum = std::accumulate(sv.begin(), sv.end(), 0.0);
    double h = 0;
    for (double x : sv)
        if (x > 0) {
            const double p = x / sum;
            h -= p * std::log(p);
        }
    s.entropyRank = std::exp(h);

    // smallest r keeping a share q of the energy: tail[r] <= (1 - q) total
    auto energyRank = [&](double q) {
        for (size_t r = 0; r <= n; ++r)
            if (total - tail[r] >= q * total)
                return static_cast<int64_t>(r);
        return static_cast<int64_t>(n);
    };
    s.energyRank90 = energyRank(0.90);
    s.energyRank95 = energyRank(0.95);
    s.energyRank99 = energyRank(0.99);

    if (params.fitPowerLaw) {
        const double big = static_cast<double>(std::max(s.view.rows, s.view.cols));
        std::vector<double> lambda(n);
        for (size_t i = 0; i < n; ++i)
            lambda[i] = sv[i] * sv[i] / big;
        s.powerLaw = fitPowerLaw(lambda, params.minTail);
    }
}

Spectrum tensorSpectrum(const Tensor &tensor, const MatrixView &view, const SpectrumParams &params,
                        const JobContext &ctx)
{
    const auto start = std::chrono::steady_clock::now();
    if (params.gramMinDim < 1 || params.minTail < 2 || params.maxValues < 1
        || params.blockValues < 1)
        throw Error(
            "spectrum: gramMinDim, maxValues and blockValues must be positive, minTail >= 2");
    ctx.checkCancelled();
    Spectrum s;
    s.name = tensor.name;
    s.view = view;
    s.skipped = skipReason(tensor, view, params);
    if (!s.skipped.empty())
        return s;

    const Tensor t = tensorWithBytes(tensor);
    std::vector<float> w(static_cast<size_t>(view.rows * view.cols));
    readViewRows(t, view, 0, view.rows, w, params.blockValues);
    ctx.checkCancelled();
    const size_t bad = static_cast<size_t>(
        std::count_if(w.begin(), w.end(), [](float x) { return !std::isfinite(x); }));
    if (bad > 0) {
        s.skipped = std::to_string(bad) + " NaN/Inf values";
        s.seconds = seconds(start);
        return s;
    }
    s.singularValues = singularValues(w, view.rows, view.cols, params, &s.method);
    w = {};
    ctx.checkCancelled();
    deriveSpectrum(s, params);
    s.seconds = seconds(start);
    return s;
}

std::vector<Spectrum> spectraForModel(const Model &model, const SpectrumParams &params,
                                      const JobContext &ctx,
                                      const std::function<void(size_t, const Spectrum &)> &onTensor)
{
    std::vector<Spectrum> out(model.tensors.size());
    std::vector<size_t> pending;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor &t = model.tensors[i];
        out[i].name = t.name;
        if (!t.decodable()) {
            out[i].skipped = "values of type " + t.typeLabel() + " cannot be decoded";
            continue;
        }
        out[i].view = matrixView(t, model.format);
        out[i].skipped = skipReason(t, out[i].view, params);
        if (out[i].skipped.empty())
            pending.push_back(i);
    }
    // largest first, so the long ones do not start last
    std::stable_sort(pending.begin(), pending.end(), [&](size_t a, size_t b) {
        return out[a].view.rows * out[a].view.cols > out[b].view.rows * out[b].view.cols;
    });
    std::mutex callbackMutex;
    std::atomic<size_t> finished {0};
    const JobContext quiet {nullptr, ctx.cancelFlag};
    tbb::parallel_for(
        size_t {0}, pending.size(),
        [&](size_t k) {
            const size_t i = pending[k];
            if (ctx.cancelled())
                return;
            out[i] = tensorSpectrum(model.tensors[i], out[i].view, params, quiet);
            std::lock_guard lock(callbackMutex);
            if (onTensor)
                onTensor(i, out[i]);
            ctx.report(static_cast<double>(++finished) / static_cast<double>(pending.size()),
                       model.tensors[i].name);
        },
        tbb::simple_partitioner {});
    ctx.checkCancelled();
    return out;
}

} // namespace cwb
