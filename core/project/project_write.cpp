// SPDX-License-Identifier: MIT
// Writes a Project into the layout README.md documents ("Project file (.cwbproj) layout").
#include "project/project_codec.h"

#include <map>

namespace cwb::projectio {
namespace {

using h5::Node;
using h5::Writer;

template <class T>
void put(const Writer &w, const Node &loc, std::string_view name, const std::vector<T> &v,
         std::vector<uint64_t> dims = {})
{
    w.dataset<T>(loc, name, std::span<const T>(v), std::move(dims));
}

std::string_view svdName(SvdMethod m)
{
    switch (m) {
    case SvdMethod::Gram: return "gram";
    case SvdMethod::Bdc: return "bdc";
    case SvdMethod::Auto: break;
    }
    return "auto";
}

void writeView(const Writer &w, const Node &parent, const MatrixView &v)
{
    const Node g = w.createGroup(parent, "view");
    w.attr(g, "rows", v.rows);
    w.attr(g, "cols", v.cols);
    w.attr(g, "transposed", v.transposed);
    w.attr(g, "stored_rows", v.storedRows);
    w.attr(g, "stored_cols", v.storedCols);
    w.attr(g, "per_channel", v.perChannel);
    w.attr(g, "reshape", v.reshape);
}

void writeStats(const Writer &w, const Node &parent, const TensorStats &s)
{
    const Node g = w.createGroup(parent, "stats");
    w.attr(g, "count", s.count);
    w.attr(g, "finite", s.finite);
    w.attr(g, "nan", s.nan);
    w.attr(g, "pos_inf", s.posInf);
    w.attr(g, "neg_inf", s.negInf);
    w.attr(g, "zeros", s.zeros);
    w.attr(g, "near_zeros", s.nearZeros);
    w.attr(g, "near_zero_threshold", s.nearZeroThreshold);
    w.attr(g, "min", s.min);
    w.attr(g, "max", s.max);
    w.attr(g, "abs_max", s.absMax);
    w.attr(g, "mean", s.mean);
    w.attr(g, "std", s.std);
    w.attr(g, "skewness", s.skewness);
    w.attr(g, "kurtosis", s.kurtosis);

    const Node channels = w.createGroup(parent, "channels");
    for (const auto &[name, c] : {std::pair{"rows", &s.rowStats}, std::pair{"cols", &s.colStats}}) {
        const Node axis = w.createGroup(channels, name);
        put(w, axis, "abs_max", c->absMax);
        put(w, axis, "l2_norm", c->l2Norm);
        put(w, axis, "std", c->std);
    }
    const Node outliers = w.createGroup(parent, "outliers");
    for (const auto &[name, o] :
         {std::pair{"rows", &s.rowOutliers}, std::pair{"cols", &s.colOutliers}}) {
        const Node axis = w.createGroup(outliers, name);
        w.attr(axis, "median", o->median);
        w.attr(axis, "threshold", o->threshold);
        w.attr(axis, "count", o->count);
        std::vector<int64_t> index;
        std::vector<double> absMax, ratio;
        for (const auto &c : o->channels) {
            index.push_back(c.index);
            absMax.push_back(c.absMax);
            ratio.push_back(c.ratio);
        }
        put(w, axis, "index", index);
        put(w, axis, "abs_max", absMax);
        put(w, axis, "ratio", ratio);
    }
}

void writeHistogram(const Writer &w, const Node &parent, const Histogram &h)
{
    const Node g = w.createGroup(parent, "histogram");
    put(w, g, "edges", h.edges);
    std::vector<uint64_t> counts(h.counts.begin(), h.counts.end());
    put(w, g, "counts", counts);
    w.attr(g, "below", h.below);
    w.attr(g, "above", h.above);
    w.attr(g, "finite", h.finite);
    w.attr(g, "nan", h.nan);
    w.attr(g, "inf", h.inf);
    w.attr(g, "zeros", h.zeros);
    w.attr(g, "min", h.min);
    w.attr(g, "max", h.max);
    w.attr(g, "mean", h.mean);
    w.attr(g, "std", h.std);
}

void writeSpectrum(const Writer &w, const Node &parent, const Spectrum &s)
{
    const Node g = w.createGroup(parent, "spectrum");
    w.attr(g, "skipped", s.skipped);
    w.attr(g, "method", svdName(s.method));
    w.attr(g, "seconds", s.seconds);
    put(w, g, "singular_values", s.singularValues);
    put(w, g, "truncation_error", s.truncationError);
    w.attr(g, "frobenius_sq", s.frobeniusSq);
    w.attr(g, "stable_rank", s.stableRank);
    w.attr(g, "entropy_rank", s.entropyRank);
    w.attr(g, "energy_rank_90", s.energyRank90);
    w.attr(g, "energy_rank_95", s.energyRank95);
    w.attr(g, "energy_rank_99", s.energyRank99);
    w.attr(g, "power_law_valid", s.powerLaw.valid);
    w.attr(g, "power_law_alpha", s.powerLaw.alpha);
    w.attr(g, "power_law_xmin", s.powerLaw.xmin);
    w.attr(g, "power_law_ks", s.powerLaw.ks);
    w.attr(g, "power_law_n_tail", s.powerLaw.nTail);
}

void writeTensor(const Writer &w, const Node &tensors, const TensorAnalysis &t)
{
    const Node g = w.createGroup(tensors, h5::escapeName(t.name));
    w.attr(g, "index", static_cast<int64_t>(t.index));
    w.attr(g, "name", t.name);
    w.attr(g, "canonical", t.canonical);
    w.attr(g, "dtype", t.dtype);
    w.attr(g, "skipped", t.skipped);
    w.attr(g, "seconds", t.seconds);
    put(w, g, "shape", t.shape);
    if (!t.skipped.empty())
        return; // nothing was computed
    writeView(w, g, t.stats.view);
    writeStats(w, g, t.stats);
    writeHistogram(w, g, t.histogram);
    writeSpectrum(w, g, t.spectrum);
}

void writeActivations(const Writer &w, const Node &analysis, const ActivationStats &a)
{
    const Node g = w.createGroup(analysis, "activations");
    const auto &c = a.coverage;
    w.attr(g, "source", c.source);
    w.attr(g, "stream_tokens", c.streamTokens);
    w.attr(g, "stream_tokens_used", c.streamTokensUsed);
    w.attr(g, "sequences", c.sequences);
    w.attr(g, "tokens_per_sequence", c.tokensPerSequence);
    w.attr(g, "tokens_evaluated", c.tokensEvaluated);
    w.attr(g, "bos_prepended", c.bosPrepended);
    w.attr(g, "outlier_factor", a.outlierFactor);
    w.attr(g, "has_hessians", a.hasHessians);
    w.attr(g, "linear_count", static_cast<int64_t>(a.linears.size()));
    w.strings(g, "not_observed", c.notObserved);
    w.strings(g, "short_weights", c.shortWeights);

    // A Hessian shared by several weights (q, k, v read one input) is stored once and
    // hard-linked from the others.
    std::map<const ActivationHessian *, std::string> written;
    for (size_t i = 0; i < a.linears.size(); ++i) {
        const LinearActivationStats &l = a.linears[i];
        const Node lg = w.createGroup(g, h5::escapeName(l.weight));
        w.attr(lg, "index", static_cast<int64_t>(i));
        w.attr(lg, "weight", l.weight);
        w.attr(lg, "input", l.input);
        w.attr(lg, "layer", l.layer);
        w.attr(lg, "in_features", l.inFeatures);
        w.attr(lg, "tokens", l.tokens);
        w.attr(lg, "median_abs_max", l.medianAbsMax);
        put(w, lg, "abs_max", l.absMax);
        put(w, lg, "mean_abs", l.meanAbs);
        put(w, lg, "mean_square", l.meanSquare);
        std::vector<int64_t> channel;
        std::vector<double> ratio;
        for (const auto &o : l.outliers) {
            channel.push_back(o.channel);
            ratio.push_back(o.ratio);
        }
        put(w, lg, "outlier_channel", channel);
        put(w, lg, "outlier_ratio", ratio);
        if (!l.hessian)
            continue;
        w.attr(lg, "hessian_tokens", l.hessian->tokens);
        if (auto it = written.find(l.hessian.get()); it != written.end()) {
            w.hardLink(lg, "hessian", it->second);
            continue;
        }
        const auto n = static_cast<uint64_t>(l.hessian->inFeatures);
        put(w, lg, "hessian", l.hessian->sum, {n, n});
        written.emplace(l.hessian.get(), lg.child("hessian"));
    }
}

} // namespace

void writeContents(const Writer &w, const Project &p)
{
    const Node model = w.createGroup(w.root(), "model");
    w.attr(model, "path", p.model.path);
    w.attr(model, "format", p.model.format);
    w.attr(model, "file_size", p.model.fileSize);
    w.attr(model, "file_count", p.model.fileCount);
    w.attr(model, "content_hash", p.model.hashHex());

    const Node settings = w.createGroup(w.root(), "settings");
    for (const auto &[key, value] : p.settings)
        w.attr(settings, h5::escapeName(key).c_str(), value);
    if (!p.history.empty())
        writeHistory(w, p.history);

    const Node analysis = w.createGroup(w.root(), "analysis");
    w.attr(analysis, "seconds", p.analysis.seconds);
    w.attr(analysis, "tensor_count", static_cast<int64_t>(p.analysis.tensors.size()));
    w.attr(analysis, "has_activations", p.analysis.activations.has_value());
    const Node tensors = w.createGroup(analysis, "tensors");
    for (const auto &t : p.analysis.tensors)
        writeTensor(w, tensors, t);
    if (p.analysis.activations)
        writeActivations(w, analysis, *p.analysis.activations);
    if (p.sensitivity)
        writeSensitivity(w, *p.sensitivity);
}

} // namespace cwb::projectio
